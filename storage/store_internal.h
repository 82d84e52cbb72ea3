/* Internals shared by the store's files (store*.c, proof.c): the store
 * struct, the layout's key formats, LMDB error conversion, read and write
 * transaction helpers (map growth lives in store.c). */
#ifndef STORAGE_STORE_INTERNAL_H
#define STORAGE_STORE_INTERNAL_H

#include <lmdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/bytes.h"
#include "proto/waybill.pb-c.h"
#include "storage/safety_file.h"
#include "storage/store.h"

enum store__db {
    STORE__DB_BLOCKS = 0,
    STORE__DB_CERTS,
    STORE__DB_BLOCK_INDEX,
    STORE__DB_EVENT_LOG,
    STORE__DB_EVENT_IDS,
    STORE__DB_ITEMS,
    STORE__DB_EVIDENCE,
    STORE__DB_META,
    STORE__DB_COUNT
};

/* The layout this code reads and writes (meta "layout", u32 BE). Layout 1
 * (no "layout" record): events keyed by event id, item_events keyed by
 * (item, seq). Layout 2: event_log keyed by position, event_ids by id prefix. */
#define STORE__LAYOUT 2u

/* An event's position: height u64 BE || index u32 BE (the event_log key and
 * the event_ids value). Height 0 (no block) means "none". */
#define STORE__POS_LEN 12
/* event_log value: event id (32) || position of the item's previous event. */
#define STORE__LOG_VAL_LEN (WB_HASH_LEN + STORE__POS_LEN)
/* event_ids key: the first 8 bytes of the event id (duplicates sorted). */
#define STORE__ID_KEY_LEN 8
/* meta "last" value: height u64 BE || hash || time i64 BE. */
#define STORE__LAST_LEN (8 + WB_HASH_LEN + 8)
/* evidence key: height u64 BE || round u32 BE || type u8 || validator u32 BE. */
#define STORE__EVIDENCE_KEY_LEN 17

#define STORE__META_GENESIS "genesis"
#define STORE__META_LAST "last"
#define STORE__META_LAYOUT "layout"
#define STORE__META_SAFETY "safety"      /* older stores only: moved to safety.rec */

/* A write body returns this (never a wb_err) when LMDB said MDB_MAP_FULL: the
 * transaction is aborted, the map grown and the body run again. */
#define STORE__RETRY_MAP_FULL 1

struct store {
    MDB_env *env;
    MDB_dbi dbi[STORE__DB_COUNT];
    /* Shared by every transaction, exclusive while the map is resized:
     * LMDB allows mdb_env_set_mapsize only with no transaction active. */
    pthread_rwlock_t resize_lock;
    size_t map_size;            /* current map size; changed under resize_lock (write) */
    size_t map_size_max;
    bool no_sync;
    int lock_fd;                /* flock'd lock file of the data dir */
    struct safety_file safety;  /* safety.rec (safety_file.h); fd -1 when closed */
    /* The last write's failure (store_write_error): 0 once a write succeeds. */
    int write_err;              /* errno value or LMDB code of the failed write */
    char write_text[160];       /* "what: description" of it */
};

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

/* Reads meta "last" inside txn; zeros for an empty store. */
WB_MUST_USE int store__last_txn(struct store *s, MDB_txn *txn, uint64_t *height,
                                uint8_t hash[WB_HASH_LEN], int64_t *time_ms);

/* An item's history inside txn (see store_item_history). */
WB_MUST_USE int store__history_txn(struct store *s, MDB_txn *txn, const char *item,
                                   struct store_event_ref **out, size_t *n);

/* Unpacks the Block stored at `height` inside txn (*out: free with
 * waybill__block__free_unpacked; it does not point into the map). */
WB_MUST_USE int store__block_unpack_txn(struct store *s, MDB_txn *txn, uint64_t height,
                                        Waybill__Block **out);

/* Opens `dir`/safety.rec (safety_file_open) and moves a record left in the
 * meta database by an older store into it. Needs the databases open.
 * Returns what safety_file_open returns, or WB_ERR_STORE, WB_ERR_INVALID;
 * on failure nothing stays open. (store_meta.c) */
WB_MUST_USE int store__safety_open(struct store *s, const char *dir);

/* Closes safety.rec (no-op when not open). */
void store__safety_close(struct store *s);

/* Checks the layout record inside the transaction that opens the databases
 * (store_meta.c): a store with no block and no layout record gets
 * STORE__LAYOUT; a store of another layout is refused with WB_ERR_CONFIG
 * and a message naming what to do (docs/operating.md). dir: for the message. */
WB_MUST_USE int store__layout_txn(struct store *s, MDB_txn *txn, const char *dir);

/* An event's position key. */
static inline void store__pos_put(uint8_t pos[STORE__POS_LEN], uint64_t height, uint32_t index)
{
    wb_put_u64be(pos, height);
    wb_put_u32be(pos + 8, index);
}

/* Finds event `id`: its position (and the event_log value: id and the item's
 * previous position) inside txn. 0, WB_ERR_NOT_FOUND or WB_ERR_STORE.
 * (store_read.c) */
WB_MUST_USE int store__locate_txn(struct store *s, MDB_txn *txn, const uint8_t id[WB_HASH_LEN],
                                  uint64_t *height, uint32_t *index, uint8_t prev[STORE__POS_LEN]);

/* Copies a value out into a malloc'd buffer. */
WB_MUST_USE int store__copy_out(const MDB_val *v, uint8_t **out, size_t *len);

#endif
