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

/* The current id epoch (meta "id_epoch") inside txn: its number and the
 * events in it; zeros for a store without the record (no event yet).
 * 0 or WB_ERR_STORE. */
WB_MUST_USE int store__id_epoch_txn(struct store *s, MDB_txn *txn, uint32_t *epoch,
                                    uint32_t *events);

/* Finds event `id`: its position (and the event_log value: id and the item's
 * previous position) inside txn, probing event_ids once per id epoch, the
 * newest first. 0, WB_ERR_NOT_FOUND or WB_ERR_STORE. */
WB_MUST_USE int store__locate_txn(struct store *s, MDB_txn *txn, const uint8_t id[WB_HASH_LEN],
                                  uint64_t *height, uint32_t *index, uint8_t prev[STORE__POS_LEN]);

/* The committed state of `item` inside txn and, when head_pos is not NULL,
 * the position of its head (the items value's first STORE__POS_LEN bytes).
 * 0, WB_ERR_NOT_FOUND (never touched) or WB_ERR_STORE (does not decode). */
WB_MUST_USE int store__item_txn(struct store *s, MDB_txn *txn, const char *item,
                                struct ledger_item_state *st, uint8_t head_pos[STORE__POS_LEN]);

/* An item's history inside txn (see store_item_history). */
WB_MUST_USE int store__history_txn(struct store *s, MDB_txn *txn, const char *item,
                                   struct store_event_ref **out, size_t *n);

/* Finds the nth (0-based) occurrence of length-delimited field `field` in
 * protobuf bytes p (len bytes) by walking the fields, without decoding the
 * message: *val points into p. 0, WB_ERR_NOT_FOUND or WB_ERR_DECODE (the
 * bytes do not walk as protobuf). Pure: no store access. */
WB_MUST_USE int store__pb_bytes_field(const uint8_t *p, size_t len, uint32_t field, uint32_t nth,
                                      const uint8_t **val, size_t *val_len);

/* Unpacks the Block stored at `height` inside txn (*out: free with
 * waybill__block__free_unpacked; it does not point into the map). */
WB_MUST_USE int store__block_unpack_txn(struct store *s, MDB_txn *txn, uint64_t height,
                                        Waybill__Block **out);

#endif
