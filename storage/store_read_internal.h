/* Reads inside a transaction the caller holds, for the store files that
 * write or bundle what they read (store_read.c). store_read.c calls
 * store_lmdb.c only. */
#ifndef STORAGE_STORE_READ_INTERNAL_H
#define STORAGE_STORE_READ_INTERNAL_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "proto/waybill.pb-c.h"
#include "storage/store.h"
#include "storage/store_internal.h"

/* Finds event `id`: its position (and the event_log value: id and the item's
 * previous position) inside txn. 0, WB_ERR_NOT_FOUND or WB_ERR_STORE. */
WB_MUST_USE int store__locate_txn(struct store *s, MDB_txn *txn, const uint8_t id[WB_HASH_LEN],
                                  uint64_t *height, uint32_t *index, uint8_t prev[STORE__POS_LEN]);

/* An item's history inside txn (see store_item_history). */
WB_MUST_USE int store__history_txn(struct store *s, MDB_txn *txn, const char *item,
                                   struct store_event_ref **out, size_t *n);

/* Unpacks the Block stored at `height` inside txn (*out: free with
 * waybill__block__free_unpacked; it does not point into the map). */
WB_MUST_USE int store__block_unpack_txn(struct store *s, MDB_txn *txn, uint64_t height,
                                        Waybill__Block **out);

#endif
