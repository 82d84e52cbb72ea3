/* Store lifecycle: open (directory, lock, LMDB environment, databases, layout
 * check, safety record) and close. On top of store_lmdb.c and store_meta.c;
 * no other file of storage/ calls this one. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/wb_error.h"
#include "storage/store_internal.h"
#include "storage/store_lmdb_internal.h"
#include "storage/store_meta_internal.h"
#include "storage/store_open_internal.h"

#define STORE_LOCK_FILE "waybill.lock"

static const char *const store_db_names[STORE__DB_COUNT] = {
    [STORE__DB_BLOCKS] = "blocks",         [STORE__DB_CERTS] = "certs",
    [STORE__DB_BLOCK_INDEX] = "block_index", [STORE__DB_EVENT_LOG] = "event_log",
    [STORE__DB_EVENT_IDS] = "event_ids",   [STORE__DB_ITEMS] = "items",
    [STORE__DB_ITEMS_REG] = "items_reg",   [STORE__DB_EVIDENCE] = "evidence",
    [STORE__DB_META] = "meta",
};

void store_options_init(struct store_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->map_size_initial = STORE_MAP_SIZE_DEFAULT;
    opt->map_size_max = STORE_MAP_SIZE_MAX_DEFAULT;
    opt->no_sync = false;
}

/* Opens (creating) the databases and checks the layout in one transaction:
 * a store refused for its layout is left as it was. ctx: the directory. */
static int store_open_dbs(struct store *s, MDB_txn *txn, void *ctx)
{
    for (int i = 0; i < STORE__DB_COUNT; i++) {
        /* Event ids share an 8-byte prefix now and then: sorted duplicates
         * of fixed size (positions). */
        unsigned flags = MDB_CREATE;
        if (i == STORE__DB_EVENT_IDS) flags |= MDB_DUPSORT | MDB_DUPFIXED;
        int mrc = mdb_dbi_open(txn, store_db_names[i], flags, &s->dbi[i]);
        if (mrc == MDB_MAP_FULL) return STORE__RETRY_MAP_FULL;
        if (mrc) return store__err(mrc, store_db_names[i]);
    }
    return store__layout_txn(s, txn, ctx);
}

/* mkdir -p with mode 0700 for the parts that do not exist. */
static int store_mkdirs(const char *dir)
{
    char path[PATH_MAX];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof path) return WB_ERR_INVALID;
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != '\0') continue;
        char c = path[i];
        path[i] = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST) {
            WB_ERROR("store", "cannot create directory %s: %s", path, strerror(errno));
            return WB_ERR_IO;
        }
        path[i] = c;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        WB_ERROR("store", "%s is not a directory", dir);
        return WB_ERR_IO;
    }
    return WB_OK;
}

static int store_lock_dir(const char *dir, int *fd_out)
{
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, STORE_LOCK_FILE) >= sizeof path)
        return WB_ERR_INVALID;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        WB_ERROR("store", "cannot open %s: %s", path, strerror(errno));
        return WB_ERR_IO;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK) {
            WB_ERROR("store", "%s is in use by another store", dir);
            return WB_ERR_BUSY;
        }
        WB_ERROR("store", "cannot lock %s: %s", path, strerror(e));
        return WB_ERR_IO;
    }
    *fd_out = fd;
    return WB_OK;
}

int store_open(const char *dir, const struct store_options *opt, struct store **out)
{
    return store__open_with(dir, opt, STORE__ID_EPOCH_EVENTS, out);
}

int store__open_with(const char *dir, const struct store_options *opt, uint32_t id_epoch_events,
                     struct store **out)
{
    if (!dir || !out || id_epoch_events == 0) return WB_ERR_INVALID;
    struct store_options o;
    store_options_init(&o);
    if (opt) {
        if (opt->map_size_initial) o.map_size_initial = opt->map_size_initial;
        if (opt->map_size_max) o.map_size_max = opt->map_size_max;
        o.no_sync = opt->no_sync;
    }
    if (o.map_size_initial > o.map_size_max) return WB_ERR_INVALID;

    int rc = store_mkdirs(dir);
    if (rc) return rc;
    struct store *s = calloc(1, sizeof *s);
    if (!s) return WB_ERR_NOMEM;
    s->safety.fd = -1;
    s->map_size_max = o.map_size_max;
    s->no_sync = o.no_sync;
    s->id_epoch_events = id_epoch_events;
    rc = store_lock_dir(dir, &s->lock_fd);
    if (rc) goto err_free;
    if (pthread_rwlock_init(&s->resize_lock, NULL) != 0) {
        rc = WB_ERR_NOMEM;
        goto err_unlock_dir;
    }
    rc = store__err(mdb_env_create(&s->env), "env create");
    if (rc) goto err_destroy_lock;
    rc = store__err(mdb_env_set_maxdbs(s->env, STORE__DB_COUNT), "set maxdbs");
    if (rc) goto err_close_env;
    rc = store__err(mdb_env_set_mapsize(s->env, o.map_size_initial), "set map size");
    if (rc) goto err_close_env;
    unsigned flags = MDB_NOTLS | (o.no_sync ? MDB_NOSYNC : 0);
    rc = store__err(mdb_env_open(s->env, dir, flags, 0600), dir);
    if (rc) goto err_close_env;
    int dead = 0;
    rc = store__err(mdb_reader_check(s->env, &dead), "reader check");
    if (rc) goto err_close_env;
    if (dead) WB_INFO("store", "cleared %d stale reader slots", dead);
    MDB_envinfo info;
    rc = store__err(mdb_env_info(s->env, &info), "env info");
    if (rc) goto err_close_env;
    /* An existing file larger than the initial size keeps its size. */
    s->map_size = info.me_mapsize;
    if (s->map_size > s->map_size_max) s->map_size_max = s->map_size;
    rc = store__write(s, store_open_dbs, (void *)dir, 0, "open databases");
    if (rc) goto err_close_env;
    rc = store__safety_open(s, dir);
    if (rc) goto err_close_env;
    *out = s;
    return WB_OK;

err_close_env:
    mdb_env_close(s->env);
err_destroy_lock:
    pthread_rwlock_destroy(&s->resize_lock);
err_unlock_dir:
    close(s->lock_fd);
err_free:
    free(s);
    return rc;
}

void store_close(struct store *s)
{
    if (!s) return;
    store__safety_close(s);
    mdb_env_close(s->env);
    pthread_rwlock_destroy(&s->resize_lock);
    close(s->lock_fd);
    free(s);
}
