/* The data every file of the store shares (store*.c, proof.c): the store
 * struct, its databases and the layout's key formats. No functions are
 * declared here: each file that others call has an internal header of its
 * own, and the files call one another in one direction only:
 *   store_lmdb.c    LMDB calls, transactions, map growth (store_lmdb_internal.h);
 *                   calls no other file of storage/
 *   safety_file.c   safety.rec (safety_file.h); calls no other file
 *   store_meta.c    the small records (store_meta_internal.h); calls the two above
 *   store_read.c    reads (store_read_internal.h); calls store_lmdb.c
 *   store_reg.c     the registration-order index (store_reg_internal.h); calls
 *                   store_lmdb.c, store_read.c
 *   store_append.c  calls store_lmdb.c, store_meta.c, store_read.c, store_reg.c
 *   proof.c         calls store_lmdb.c, store_read.c
 *   store.c         open and close (store_open_internal.h: the unit tests'
 *                   open with a small id epoch); calls store_lmdb.c, store_meta.c
 * Nothing calls store_append.c, proof.c or store.c but the store's users. */
#ifndef STORAGE_STORE_INTERNAL_H
#define STORAGE_STORE_INTERNAL_H

#include <lmdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/bytes.h"
#include "storage/safety_file.h"
#include "storage/store.h"

enum store__db {
    STORE__DB_BLOCKS = 0,
    STORE__DB_CERTS,
    STORE__DB_BLOCK_INDEX,
    STORE__DB_EVENT_LOG,
    STORE__DB_EVENT_IDS,
    STORE__DB_ITEMS,
    STORE__DB_ITEMS_REG,
    STORE__DB_EVIDENCE,
    STORE__DB_META,
    STORE__DB_COUNT
};

/* The layout this code reads and writes (meta "layout", u32 BE). Layout 1
 * (no "layout" record): events keyed by event id, item_events keyed by
 * (item, seq). Layout 2: event_log keyed by position, event_ids by id prefix,
 * items -> ItemState. Layout 3: event_ids by id epoch || id prefix, items ->
 * head position || ItemState. Layout 4: items_reg, registration index -> item
 * id (docs/formats.md). */
#define STORE__LAYOUT 4u

/* An event's position: height u64 BE || index u32 BE (the event_log key and
 * the event_ids value). Height 0 (no block) means "none". */
#define STORE__POS_LEN 12
/* event_log value: event id (32) || position of the item's previous event. */
#define STORE__LOG_VAL_LEN (WB_HASH_LEN + STORE__POS_LEN)
/* The first bytes of an event id that event_ids keeps. */
#define STORE__ID_PREFIX_LEN 8
/* event_ids key: id epoch u32 BE || the first 8 bytes of the event id
 * (duplicates sorted). */
#define STORE__ID_KEY_LEN (4 + STORE__ID_PREFIX_LEN)
/* items value: position of the item's head || ItemState bytes. */
#define STORE__ITEM_POS_LEN STORE__POS_LEN
/* Events per id epoch (meta "id_epoch"): a block whose events would take the
 * current epoch past this starts the next one (a block never spans two), so
 * an append writes into one epoch's part of event_ids, whose size is
 * bounded, and a lookup by id probes every epoch (newest first). Chosen by
 * `make bench-store` (docs/performance.md, P14): 65,536 or 32,768 write
 * less per event, but double or quadruple the probes of a lookup of an id
 * not stored, which the node makes for every submitted event; 262,144 lets
 * the epoch's part grow too large. Not part of the format: a store written
 * with another value reads the same. */
#define STORE__ID_EPOCH_EVENTS 131072u
/* meta "id_epoch" value: epoch u32 BE || events in it u32 BE. */
#define STORE__ID_EPOCH_LEN 8
/* meta "last" value: height u64 BE || hash || time i64 BE. */
#define STORE__LAST_LEN (8 + WB_HASH_LEN + 8)
/* items_reg key: registration index u64 BE (value: the item id bytes). */
#define STORE__REG_KEY_LEN 8
/* evidence key: height u64 BE || round u32 BE || type u8 || validator u32 BE. */
#define STORE__EVIDENCE_KEY_LEN 17

#define STORE__META_GENESIS "genesis"
#define STORE__META_LAST "last"
#define STORE__META_LAYOUT "layout"
#define STORE__META_ID_EPOCH "id_epoch"
#define STORE__META_SAFETY "safety"      /* older stores only: moved to safety.rec */

struct store {
    MDB_env *env;
    MDB_dbi dbi[STORE__DB_COUNT];
    /* Shared by every transaction, exclusive while the map is resized:
     * LMDB allows mdb_env_set_mapsize only with no transaction active. */
    pthread_rwlock_t resize_lock;
    size_t map_size;            /* current map size; changed under resize_lock (write) */
    size_t map_size_max;
    bool no_sync;
    uint32_t id_epoch_events;   /* STORE__ID_EPOCH_EVENTS; smaller in unit tests */
    int lock_fd;                /* flock'd lock file of the data dir */
    struct safety_file safety;  /* safety.rec (safety_file.h); fd -1 when closed */
    uint64_t safety_writes;     /* puts that returned 0 (store_safety_writes) */
    /* The last write's failure (store_write_error): 0 once a write succeeds. */
    int write_err;              /* errno value or LMDB code of the failed write */
    char write_text[160];       /* "what: description" of it */
};

/* An event's position key. */
static inline void store__pos_put(uint8_t pos[STORE__POS_LEN], uint64_t height, uint32_t index)
{
    wb_put_u64be(pos, height);
    wb_put_u32be(pos + 8, index);
}

/* An event_ids key: epoch || the first bytes of id. */
static inline void store__id_key_put(uint8_t key[STORE__ID_KEY_LEN], uint32_t epoch,
                                     const uint8_t id[WB_HASH_LEN])
{
    wb_put_u32be(key, epoch);
    memcpy(key + 4, id, STORE__ID_PREFIX_LEN);
}

#endif
