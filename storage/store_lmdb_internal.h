/* The store's LMDB calls (store_lmdb.c): error conversion, puts and gets,
 * read transactions and write transactions that grow the map, and the record
 * of the last write's failure. The bottom of the store: store_lmdb.c calls no
 * other file of storage/. */
#ifndef STORAGE_STORE_LMDB_INTERNAL_H
#define STORAGE_STORE_LMDB_INTERNAL_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "storage/store_internal.h"

/* A write body returns this (never a wb_err) when LMDB said MDB_MAP_FULL: the
 * transaction is aborted, the map grown and the body run again. */
#define STORE__RETRY_MAP_FULL 1

/* Records that a write failed with `code` (an errno value or an LMDB code)
 * while doing `what`, and logs it: a warning the first time, debug while the
 * same failure repeats (the caller decides what the node says about it). */
void store__write_failed(struct store *s, int code, const char *what);
/* Records that a write (a commit, a sync, a safety record put) succeeded. */
void store__write_ok(struct store *s);

/* Converts an LMDB (or errno) return code to a wb_err and logs it with `what`
 * (MDB_NOTFOUND is converted silently to WB_ERR_NOT_FOUND). */
WB_MUST_USE int store__err(int mdb_rc, const char *what);

/* mdb_put that maps MDB_MAP_FULL to STORE__RETRY_MAP_FULL, MDB_KEYEXIST to
 * WB_ERR_EXISTS and the rest through store__err. */
WB_MUST_USE int store__put(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t key_len,
                           const void *val, size_t val_len, unsigned flags, const char *what);

/* mdb_get: 0 with *val pointing into the map (valid until the transaction
 * ends), WB_ERR_NOT_FOUND, or another wb_err (logged). */
WB_MUST_USE int store__get(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t key_len, MDB_val *val,
                           const char *what);

/* Copies a value out into a malloc'd buffer (*out: the caller frees it;
 * one byte allocated for an empty value). 0 or WB_ERR_NOMEM. */
WB_MUST_USE int store__copy_out(const MDB_val *v, uint8_t **out, size_t *len);

/* Begins a read transaction (shared resize lock held until store__read_end). */
WB_MUST_USE int store__read_begin(struct store *s, MDB_txn **txn);
void store__read_end(struct store *s, MDB_txn *txn);

/* Flags of store__write. */
enum {
    /* Synced even when the store was opened with no_sync. */
    STORE__WRITE_FORCE_SYNC = 1u << 0,
    /* The data pages are synced but the meta page is only written
     * (MDB_NOMETASYNC): a crash may roll this one transaction back, never
     * tear it. The next synced commit makes it durable with its own. */
    STORE__WRITE_META_NOSYNC = 1u << 1,
};

/* Runs body(s, txn, ctx) in a write transaction and commits it if body
 * returned 0. body returns 0, STORE__RETRY_MAP_FULL or a wb_err (then the
 * transaction is aborted and that error returned). A full map is doubled (up
 * to map_size_max, else WB_ERR_TOO_LARGE) and body run again from scratch, so
 * body must not keep effects outside the transaction. flags: 0 or the
 * STORE__WRITE_* above. */
WB_MUST_USE int store__write(struct store *s, int (*body)(struct store *s, MDB_txn *txn, void *ctx),
                             void *ctx, unsigned flags, const char *what);

#endif
