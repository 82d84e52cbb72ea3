/* The registration-order index, items_reg: registration index -> item id
 * (written by store_append.c). Its count and a pager over the items in
 * registration order, each state read from `items` and checked to carry
 * its index. */
#include <stdio.h>
#include <string.h>

#include "common/bytes.h"
#include "common/log.h"
#include "common/wb_error.h"
#include "storage/store_internal.h"
#include "storage/store_lmdb_internal.h"
#include "storage/store_read_internal.h"
#include "storage/store_reg_internal.h"

int store__reg_count_txn(struct store *s, MDB_txn *txn, uint64_t *n)
{
    MDB_dbi dbi = s->dbi[STORE__DB_ITEMS_REG];
    MDB_stat st;
    int rc = store__err(mdb_stat(txn, dbi, &st), "registration index stat");
    if (rc) return rc;
    *n = st.ms_entries;
    if (st.ms_entries == 0) return WB_OK;
    MDB_cursor *cur;
    rc = store__err(mdb_cursor_open(txn, dbi, &cur), "open registration index cursor");
    if (rc) return rc;
    MDB_val k, v;
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    mdb_cursor_close(cur);
    if (mrc) return store__err(mrc == MDB_NOTFOUND ? MDB_CORRUPTED : mrc,
                               "read the last registration index");
    if (k.mv_size != STORE__REG_KEY_LEN || wb_get_u64be(k.mv_data) != st.ms_entries - 1) {
        WB_ERROR("store",
                 "the registration index holds %llu entries, but its last key is not %llu",
                 (unsigned long long)st.ms_entries, (unsigned long long)(st.ms_entries - 1));
        return WB_ERR_STORE;
    }
    return WB_OK;
}

int store_item_count(struct store *s, uint64_t *n)
{
    if (!s || !n) return WB_ERR_INVALID;
    MDB_txn *txn;
    int rc = store__read_begin(s, &txn);
    if (rc) return rc;
    rc = store__reg_count_txn(s, txn, n);
    store__read_end(s, txn);
    return rc;
}

/* Entry (k, v) of the index, expected to be number `want`: its item's
 * state into *st, checked to carry that index. */
static int reg_entry_state(struct store *s, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
                           uint64_t want, struct ledger_item_state *st)
{
    if (k->mv_size != STORE__REG_KEY_LEN || wb_get_u64be(k->mv_data) != want) {
        WB_ERROR("store", "the registration index has no entry %llu",
                 (unsigned long long)want);
        return WB_ERR_STORE;
    }
    if (v->mv_size == 0 || v->mv_size > WB_ITEM_MAX) {
        WB_ERROR("store", "registration index %llu names an item id of %zu bytes",
                 (unsigned long long)want, v->mv_size);
        return WB_ERR_STORE;
    }
    char item[WB_ITEM_MAX + 1];
    memcpy(item, v->mv_data, v->mv_size);
    item[v->mv_size] = '\0';
    int rc = store__item_txn(s, txn, item, st, NULL);
    if (rc == WB_ERR_NOT_FOUND) {
        WB_ERROR("store", "registration index %llu names item %s, which has no state",
                 (unsigned long long)want, item);
        return WB_ERR_STORE;
    }
    if (rc) return rc;
    if (st->reg_index != want || strcmp(st->item, item) != 0) {
        WB_ERROR("store",
                 "registration index %llu names item %s, whose state says index %llu",
                 (unsigned long long)want, item, (unsigned long long)st->reg_index);
        return WB_ERR_STORE;
    }
    return WB_OK;
}

int store_items_by_reg(struct store *s, uint64_t from, size_t limit,
                       struct ledger_item_state *out, size_t *n)
{
    if (!s || !out || !n || limit == 0 || limit > STORE_REG_LIMIT_MAX) return WB_ERR_INVALID;
    *n = 0;
    MDB_txn *txn;
    int rc = store__read_begin(s, &txn);
    if (rc) return rc;
    uint64_t count;
    rc = store__reg_count_txn(s, txn, &count);
    if (rc || from >= count) goto end_read;
    MDB_cursor *cur;
    rc = store__err(mdb_cursor_open(txn, s->dbi[STORE__DB_ITEMS_REG], &cur),
                    "open registration index cursor");
    if (rc) goto end_read;
    uint8_t key[STORE__REG_KEY_LEN];
    wb_put_u64be(key, from);
    MDB_val k = {.mv_size = sizeof key, .mv_data = key}, v;
    /* The count says the entry exists; the first one at or after it must be it. */
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    size_t got = 0;
    while (mrc == MDB_SUCCESS && got < limit) {
        rc = reg_entry_state(s, txn, &k, &v, from + got, &out[got]);
        if (rc) break;
        got++;
        if (got < limit) mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (rc == WB_OK && mrc != MDB_SUCCESS && mrc != MDB_NOTFOUND)
        rc = store__err(mrc, "read the registration index");
    /* Fewer than asked for must mean the index ends at the count it gave. */
    if (rc == WB_OK && got < limit && from + got != count) {
        WB_ERROR("store", "the registration index ends at %llu, before its count %llu",
                 (unsigned long long)(from + got), (unsigned long long)count);
        rc = WB_ERR_STORE;
    }
    if (rc == WB_OK) *n = got;
end_read:
    store__read_end(s, txn);
    return rc;
}
