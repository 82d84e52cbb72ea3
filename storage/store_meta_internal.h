/* The store's small records as the other store files use them
 * (store_meta.c): the last block, the layout check and the safety record's
 * opening and closing. store_meta.c calls store_lmdb.c and safety_file.c
 * only. */
#ifndef STORAGE_STORE_META_INTERNAL_H
#define STORAGE_STORE_META_INTERNAL_H

#include <lmdb.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "storage/store.h"
#include "storage/store_internal.h"

/* Reads meta "last" inside txn; zeros for an empty store. */
WB_MUST_USE int store__last_txn(struct store *s, MDB_txn *txn, uint64_t *height,
                                uint8_t hash[WB_HASH_LEN], int64_t *time_ms);

/* Checks the layout record inside the transaction that opens the databases:
 * a store with no block and no layout record gets STORE__LAYOUT; a store of
 * another layout is refused with WB_ERR_CONFIG and a message naming what to
 * do (docs/operating.md). dir: for the message. */
WB_MUST_USE int store__layout_txn(struct store *s, MDB_txn *txn, const char *dir);

/* Opens `dir`/safety.rec (safety_file_open) and moves a record left in the
 * meta database by an older store into it. Needs the databases open.
 * Returns what safety_file_open returns, or WB_ERR_STORE, WB_ERR_INVALID;
 * on failure nothing stays open. */
WB_MUST_USE int store__safety_open(struct store *s, const char *dir);

/* Closes safety.rec (no-op when not open). */
void store__safety_close(struct store *s);

#endif
