/* Store lifecycle (open, close, directory lock) and the transaction helpers
 * every storage file uses: LMDB error conversion, reads, writes with map growth. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bytes.h"
#include "common/log.h"
#include "common/wb_error.h"
#include "storage/store_internal.h"

#define STORE_LOCK_FILE "waybill.lock"
#define STORE_TXN_ATTEMPTS_MAX 64

static const char *const store_db_names[STORE__DB_COUNT] = {
    [STORE__DB_BLOCKS] = "blocks",         [STORE__DB_CERTS] = "certs",
    [STORE__DB_BLOCK_INDEX] = "block_index", [STORE__DB_EVENT_LOG] = "event_log",
    [STORE__DB_EVENT_IDS] = "event_ids",   [STORE__DB_ITEMS] = "items",
    [STORE__DB_EVIDENCE] = "evidence",     [STORE__DB_META] = "meta",
};

void store_options_init(struct store_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->map_size_initial = STORE_MAP_SIZE_DEFAULT;
    opt->map_size_max = STORE_MAP_SIZE_MAX_DEFAULT;
    opt->no_sync = false;
}

int store__err(int mdb_rc, const char *what)
{
    if (mdb_rc == MDB_SUCCESS) return WB_OK;
    if (mdb_rc == MDB_NOTFOUND) return WB_ERR_NOT_FOUND;
    WB_ERROR("store", "%s: %s", what, mdb_strerror(mdb_rc));
    if (mdb_rc == ENOMEM) return WB_ERR_NOMEM;
    return WB_ERR_STORE;
}

void store__write_failed(struct store *s, int code, const char *what)
{
    const char *desc = code > 0 ? strerror(code) : mdb_strerror(code);
    if (code == s->write_err) {
        WB_DEBUG("store", "%s: %s (again)", what, desc);
        return;
    }
    WB_WARN("store", "%s: %s", what, desc);
    s->write_err = code;
    snprintf(s->write_text, sizeof s->write_text, "%s: %s", what, desc);
}

void store__write_ok(struct store *s)
{
    s->write_err = 0;
    s->write_text[0] = '\0';
}

int store_write_error(const struct store *s, char *text, size_t len)
{
    if (text && len) snprintf(text, len, "%s", s->write_err ? s->write_text : "");
    return s->write_err;
}

int store__put(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t key_len, const void *val,
               size_t val_len, unsigned flags, const char *what)
{
    MDB_val k = {.mv_size = key_len, .mv_data = (void *)key};
    MDB_val v = {.mv_size = val_len, .mv_data = (void *)val};
    int mrc = mdb_put(txn, dbi, &k, &v, flags);
    if (mrc == MDB_MAP_FULL) return STORE__RETRY_MAP_FULL;
    if (mrc == MDB_KEYEXIST) return WB_ERR_EXISTS;
    return store__err(mrc, what);
}

int store__get(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t key_len, MDB_val *val,
               const char *what)
{
    MDB_val k = {.mv_size = key_len, .mv_data = (void *)key};
    return store__err(mdb_get(txn, dbi, &k, val), what);
}

int store__copy_out(const MDB_val *v, uint8_t **out, size_t *len)
{
    uint8_t *buf = malloc(v->mv_size ? v->mv_size : 1);
    if (!buf) return WB_ERR_NOMEM;
    if (v->mv_size) memcpy(buf, v->mv_data, v->mv_size);
    *out = buf;
    *len = v->mv_size;
    return WB_OK;
}

/* Another process grew the map (MDB_MAP_RESIZED): adopt its size. */
static int store_adopt_map_size(struct store *s)
{
    if (pthread_rwlock_wrlock(&s->resize_lock) != 0) return WB_ERR_INTERNAL;
    int rc = store__err(mdb_env_set_mapsize(s->env, 0), "adopt map size");
    if (rc == WB_OK) {
        MDB_envinfo info;
        rc = store__err(mdb_env_info(s->env, &info), "env info");
        if (rc == WB_OK) s->map_size = info.me_mapsize;
    }
    pthread_rwlock_unlock(&s->resize_lock);
    return rc;
}

/* Doubles the map, unless another writer already grew it past `seen`. */
static int store_grow(struct store *s, size_t seen)
{
    if (pthread_rwlock_wrlock(&s->resize_lock) != 0) return WB_ERR_INTERNAL;
    int rc = WB_OK;
    if (s->map_size == seen) {
        if (seen >= s->map_size_max) {
            char what[96];
            snprintf(what, sizeof what, "map full at %zu bytes, the configured maximum", seen);
            store__write_failed(s, ENOSPC, what);
            rc = WB_ERR_TOO_LARGE;
        } else {
            size_t want = seen > s->map_size_max / 2 ? s->map_size_max : seen * 2;
            rc = store__err(mdb_env_set_mapsize(s->env, want), "grow map");
            if (rc == WB_OK) {
                MDB_envinfo info;
                rc = store__err(mdb_env_info(s->env, &info), "env info");
                if (rc == WB_OK) {
                    s->map_size = info.me_mapsize;
                    WB_INFO("store", "map grown from %zu to %zu bytes", seen, s->map_size);
                }
            }
        }
    }
    pthread_rwlock_unlock(&s->resize_lock);
    return rc;
}

int store__read_begin(struct store *s, MDB_txn **txn)
{
    for (unsigned attempt = 0; attempt < STORE_TXN_ATTEMPTS_MAX; attempt++) {
        if (pthread_rwlock_rdlock(&s->resize_lock) != 0) return WB_ERR_INTERNAL;
        int mrc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);
        if (mrc == MDB_SUCCESS) return WB_OK;
        pthread_rwlock_unlock(&s->resize_lock);
        if (mrc != MDB_MAP_RESIZED) return store__err(mrc, "begin read");
        int rc = store_adopt_map_size(s);
        if (rc) return rc;
    }
    return WB_ERR_STORE;
}

void store__read_end(struct store *s, MDB_txn *txn)
{
    mdb_txn_abort(txn);
    pthread_rwlock_unlock(&s->resize_lock);
}

int store__write(struct store *s, int (*body)(struct store *s, MDB_txn *txn, void *ctx),
                 void *ctx, unsigned flags, const char *what)
{
    bool meta_nosync = (flags & STORE__WRITE_META_NOSYNC) && !s->no_sync;
    for (unsigned attempt = 0;; attempt++) {
        if (attempt == STORE_TXN_ATTEMPTS_MAX) {
            WB_ERROR("store", "%s: gave up after %u attempts", what, attempt);
            return WB_ERR_STORE;
        }
        if (pthread_rwlock_rdlock(&s->resize_lock) != 0) return WB_ERR_INTERNAL;
        size_t seen = s->map_size;
        MDB_txn *txn;
        int mrc = mdb_txn_begin(s->env, NULL, 0, &txn);
        if (mrc != MDB_SUCCESS) {
            pthread_rwlock_unlock(&s->resize_lock);
            if (mrc != MDB_MAP_RESIZED) return store__err(mrc, what);
            int rc = store_adopt_map_size(s);
            if (rc) return rc;
            continue;
        }
        int rc = body(s, txn, ctx);
        if (rc == WB_OK) {
            /* A commit can also run out of pages (saving the free list).
             * The environment flag is ours alone: one writer at a time. */
            if (meta_nosync) mrc = mdb_env_set_flags(s->env, MDB_NOMETASYNC, 1);
            if (mrc == MDB_SUCCESS) mrc = mdb_txn_commit(txn);
            else mdb_txn_abort(txn);
            if (meta_nosync) {
                int frc = mdb_env_set_flags(s->env, MDB_NOMETASYNC, 0);
                if (mrc == MDB_SUCCESS) mrc = frc;
            }
            if (mrc == MDB_MAP_FULL) {
                rc = STORE__RETRY_MAP_FULL;
            } else if (mrc != MDB_SUCCESS) {
                /* Out of disk space, an I/O or sync error: kept for
                 * store_write_error and logged once, not per retry. */
                store__write_failed(s, mrc, what);
                rc = mrc == ENOMEM ? WB_ERR_NOMEM : WB_ERR_STORE;
            } else {
                rc = WB_OK;
            }
        } else {
            mdb_txn_abort(txn);
        }
        pthread_rwlock_unlock(&s->resize_lock);
        if (rc == STORE__RETRY_MAP_FULL) {
            rc = store_grow(s, seen);
            if (rc) return rc;
            continue;
        }
        if (rc) return rc;
        break;
    }
    if ((flags & STORE__WRITE_FORCE_SYNC) && s->no_sync) {
        int mrc = mdb_env_sync(s->env, 1);
        if (mrc != MDB_SUCCESS) {
            store__write_failed(s, mrc, "sync");
            return WB_ERR_STORE;
        }
    }
    store__write_ok(s);
    return WB_OK;
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
    if (!dir || !out) return WB_ERR_INVALID;
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

int store__last_txn(struct store *s, MDB_txn *txn, uint64_t *height,
                    uint8_t hash[WB_HASH_LEN], int64_t *time_ms)
{
    MDB_val v;
    int rc = store__get(txn, s->dbi[STORE__DB_META], STORE__META_LAST,
                        strlen(STORE__META_LAST), &v, "read last");
    if (rc == WB_ERR_NOT_FOUND) {
        *height = 0;
        if (hash) memset(hash, 0, WB_HASH_LEN);
        if (time_ms) *time_ms = 0;
        return WB_OK;
    }
    if (rc) return rc;
    if (v.mv_size != STORE__LAST_LEN) {
        WB_ERROR("store", "meta last: %zu bytes, expected %d", v.mv_size, STORE__LAST_LEN);
        return WB_ERR_STORE;
    }
    const uint8_t *p = v.mv_data;
    *height = wb_get_u64be(p);
    if (hash) memcpy(hash, p + 8, WB_HASH_LEN);
    if (time_ms) *time_ms = (int64_t)wb_get_u64be(p + 8 + WB_HASH_LEN);
    return WB_OK;
}
