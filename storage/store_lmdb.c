/* The store's LMDB calls: error conversion, puts, gets and copies, read
 * transactions, write transactions that grow the map when it is full, and
 * the record of the last write's failure. Calls no other file of storage/. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/wb_error.h"
#include "storage/store.h"
#include "storage/store_internal.h"
#include "storage/store_lmdb_internal.h"

#define STORE_TXN_ATTEMPTS_MAX 64

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

int store_usage(struct store *s, struct store_usage *out)
{
    if (!s || !out) return WB_ERR_INVALID;
    memset(out, 0, sizeof *out);
    if (pthread_rwlock_rdlock(&s->resize_lock) != 0) return WB_ERR_INTERNAL;
    MDB_envinfo info;
    MDB_stat st;
    int rc = store__err(mdb_env_info(s->env, &info), "env info");
    if (rc == WB_OK) rc = store__err(mdb_env_stat(s->env, &st), "env stat");
    if (rc == WB_OK) {
        out->map_bytes = info.me_mapsize;
        out->map_max_bytes = s->map_size_max;
        out->page_bytes = st.ms_psize;
        out->used_bytes = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
    }
    pthread_rwlock_unlock(&s->resize_lock);
    return rc;
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
