/* The registration-order index inside a transaction the caller holds, for
 * the append (store_reg.c). store_reg.c calls store_lmdb.c and store_read.c
 * only. */
#ifndef STORAGE_STORE_REG_INTERNAL_H
#define STORAGE_STORE_REG_INTERNAL_H

#include <lmdb.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "storage/store_internal.h"

/* The number of items_reg entries inside txn, which is the next
 * registration index; checked against the last key (indexes are 0..n-1, so
 * it must be n-1). 0 or WB_ERR_STORE (logged). */
WB_MUST_USE int store__reg_count_txn(struct store *s, MDB_txn *txn, uint64_t *n);

#endif
