/* The small records of the store: genesis binding, layout, last block,
 * evidence of equivocation, and the store's side of the consensus safety
 * record (the file itself is safety_file.c). On top of store_lmdb.c and
 * safety_file.c; calls no other file of storage/. */
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/hex.h"
#include "common/log.h"
#include "common/wb_error.h"
#include "storage/safety_file.h"
#include "storage/store.h"
#include "storage/store_internal.h"
#include "storage/store_lmdb_internal.h"
#include "storage/store_meta_internal.h"

_Static_assert(STORE_SAFETY_MAX == SAFETY_FILE_RECORD_MAX, "one limit for the safety record");

struct store_bind_ctx {
    const uint8_t *hash;
};

static int store_bind_body(struct store *s, MDB_txn *txn, void *ctx)
{
    const struct store_bind_ctx *c = ctx;
    MDB_dbi meta = s->dbi[STORE__DB_META];
    MDB_val v;
    int rc = store__get(txn, meta, STORE__META_GENESIS, strlen(STORE__META_GENESIS), &v,
                        "read genesis hash");
    if (rc == WB_OK) {
        if (v.mv_size == WB_HASH_LEN && memcmp(v.mv_data, c->hash, WB_HASH_LEN) == 0)
            return WB_OK;
        char have[2 * WB_HASH_LEN + 1] = "(malformed)", want[2 * WB_HASH_LEN + 1];
        if (v.mv_size == WB_HASH_LEN) wb_hex_encode(v.mv_data, WB_HASH_LEN, have, sizeof have);
        wb_hex_encode(c->hash, WB_HASH_LEN, want, sizeof want);
        WB_ERROR("store", "data dir belongs to genesis %s, not %s", have, want);
        return WB_ERR_CONFIG;
    }
    if (rc != WB_ERR_NOT_FOUND) return rc;
    return store__put(txn, meta, STORE__META_GENESIS, strlen(STORE__META_GENESIS), c->hash,
                      WB_HASH_LEN, 0, "write genesis hash");
}

int store_bind_genesis(struct store *s, const uint8_t genesis_hash[WB_HASH_LEN])
{
    if (!s || !genesis_hash) return WB_ERR_INVALID;
    struct store_bind_ctx c = {.hash = genesis_hash};
    return store__write(s, store_bind_body, &c, 0, "bind genesis");
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
int store_last(struct store *s, uint64_t *height, uint8_t hash[WB_HASH_LEN], int64_t *time_ms)
{
    if (!s || !height) return WB_ERR_INVALID;
    MDB_txn *txn;
    int rc = store__read_begin(s, &txn);
    if (rc) return rc;
    rc = store__last_txn(s, txn, height, hash, time_ms);
    store__read_end(s, txn);
    return rc;
}

struct store_blob_ctx {
    enum store__db db;
    const void *key;
    size_t key_len;
    const uint8_t *val;
    size_t val_len;
    unsigned flags;
    bool existed;               /* out: MDB_NOOVERWRITE found the key */
};

static int store_blob_body(struct store *s, MDB_txn *txn, void *ctx)
{
    struct store_blob_ctx *c = ctx;
    c->existed = false;
    int rc = store__put(txn, s->dbi[c->db], c->key, c->key_len, c->val, c->val_len, c->flags,
                        "put record");
    if (rc == WB_ERR_EXISTS && (c->flags & MDB_NOOVERWRITE)) {
        c->existed = true;
        return WB_OK;
    }
    return rc;
}

int store_evidence_put(struct store *s, uint64_t height, uint32_t round, uint8_t type,
                       uint32_t validator, const uint8_t *ev, size_t len)
{
    if (!s || !ev || len == 0) return WB_ERR_INVALID;
    if (len > STORE_EVIDENCE_MAX) return WB_ERR_TOO_LARGE;
    uint8_t key[STORE__EVIDENCE_KEY_LEN];
    wb_put_u64be(key, height);
    wb_put_u32be(key + 8, round);
    key[12] = type;
    wb_put_u32be(key + 13, validator);
    struct store_blob_ctx c = {.db = STORE__DB_EVIDENCE,
                               .key = key,
                               .key_len = sizeof key,
                               .val = ev,
                               .val_len = len,
                               .flags = MDB_NOOVERWRITE};
    int rc = store__write(s, store_blob_body, &c, 0, "put evidence");
    if (rc == WB_OK && !c.existed)
        WB_WARN("store", "h=%llu r=%u evidence of equivocation by validator %u kept",
                (unsigned long long)height, round, validator);
    return rc;
}

int store_evidence_count(struct store *s, uint64_t *n)
{
    if (!s || !n) return WB_ERR_INVALID;
    MDB_txn *txn;
    int rc = store__read_begin(s, &txn);
    if (rc) return rc;
    MDB_stat st;
    rc = store__err(mdb_stat(txn, s->dbi[STORE__DB_EVIDENCE], &st), "evidence stat");
    if (rc == WB_OK) *n = st.ms_entries;
    store__read_end(s, txn);
    return rc;
}

int store__layout_txn(struct store *s, MDB_txn *txn, const char *dir)
{
    MDB_dbi meta = s->dbi[STORE__DB_META];
    MDB_val v;
    int rc = store__get(txn, meta, STORE__META_LAYOUT, strlen(STORE__META_LAYOUT), &v,
                        "read layout");
    uint32_t layout;
    if (rc == WB_OK) {
        if (v.mv_size != 4) {
            WB_ERROR("store", "meta layout: %zu bytes, expected 4", v.mv_size);
            return WB_ERR_STORE;
        }
        layout = wb_get_u32be(v.mv_data);
    } else if (rc == WB_ERR_NOT_FOUND) {
        /* No layout record: a new store, or one written before the record
         * existed (layout 1). Without a block, no index holds anything and
         * the store takes this layout. */
        rc = store__get(txn, meta, STORE__META_LAST, strlen(STORE__META_LAST), &v, "read last");
        if (rc == WB_ERR_NOT_FOUND) {
            uint8_t val[4];
            wb_put_u32be(val, STORE__LAYOUT);
            return store__put(txn, meta, STORE__META_LAYOUT, strlen(STORE__META_LAYOUT), val,
                              sizeof val, 0, "write layout");
        }
        if (rc) return rc;
        layout = 1;
    } else {
        return rc;
    }
    if (layout == STORE__LAYOUT) return WB_OK;
    WB_ERROR("store",
             "data dir %s holds a store of layout %u; this build reads layout %u only. "
             "Stop the node, move data.mdb and lock.mdb out of the data dir (keep "
             "safety.rec and waybill.lock) and start it again: it fetches the blocks "
             "from its peers by block sync (docs/operating.md, \"Store layout\")",
             dir, (unsigned)layout, STORE__LAYOUT);
    return WB_ERR_CONFIG;
}

/* ---- the consensus safety record: safety.rec (safety_file.c) */

int store_safety_put(struct store *s, const uint8_t *rec, size_t len)
{
    if (!s || !rec || len == 0) return WB_ERR_INVALID;
    if (len > STORE_SAFETY_MAX) return WB_ERR_TOO_LARGE;
    int sys_err = 0;
    const char *what = "";
    int rc = safety_file_put(&s->safety, rec, len, &sys_err, &what);
    if (rc == WB_ERR_IO) store__write_failed(s, sys_err, what);
    else if (rc == WB_OK) {
        store__write_ok(s);
        s->safety_writes++;
    }
    return rc;
}

uint64_t store_safety_writes(const struct store *s)
{
    return s->safety_writes;
}

int store_safety_get(struct store *s, uint8_t **out, size_t *len)
{
    if (!s || !out || !len) return WB_ERR_INVALID;
    return safety_file_get(&s->safety, out, len);
}

struct safety_migrate_ctx {
    bool had;
};

static int safety_drop_meta(struct store *s, MDB_txn *txn, void *ctx)
{
    struct safety_migrate_ctx *c = ctx;
    MDB_val k = {.mv_size = strlen(STORE__META_SAFETY), .mv_data = STORE__META_SAFETY};
    int mrc = mdb_del(txn, s->dbi[STORE__DB_META], &k, NULL);
    c->had = mrc == MDB_SUCCESS;
    if (mrc == MDB_NOTFOUND) return WB_OK;
    if (mrc == MDB_MAP_FULL) return STORE__RETRY_MAP_FULL;
    return store__err(mrc, "drop old safety record");
}

/* Stores that kept the record in the meta database (before safety.rec):
 * the record moves into the file, durably, before it leaves the database. */
static int safety_migrate(struct store *s)
{
    MDB_txn *txn;
    int rc = store__read_begin(s, &txn);
    if (rc) return rc;
    MDB_val v;
    rc = store__get(txn, s->dbi[STORE__DB_META], STORE__META_SAFETY,
                    strlen(STORE__META_SAFETY), &v, "read old safety record");
    uint8_t *old = NULL;
    size_t old_len = 0;
    if (rc == WB_OK) rc = store__copy_out(&v, &old, &old_len);
    store__read_end(s, txn);
    if (rc == WB_ERR_NOT_FOUND) return WB_OK;
    if (rc) return rc;
    if (s->safety.seq == 0) {
        if (old_len == 0 || old_len > STORE_SAFETY_MAX) rc = WB_ERR_STORE;
        else rc = store_safety_put(s, old, old_len);
    }
    free(old);
    if (rc) return rc;
    struct safety_migrate_ctx c = {.had = false};
    rc = store__write(s, safety_drop_meta, &c, STORE__WRITE_FORCE_SYNC, "drop old safety record");
    if (rc == WB_OK && c.had) WB_INFO("store", "safety record moved into %s", SAFETY_FILE_NAME);
    return rc;
}

int store__safety_open(struct store *s, const char *dir)
{
    int rc = safety_file_open(&s->safety, dir);
    if (rc) return rc;
    rc = safety_migrate(s);
    if (rc) safety_file_close(&s->safety);
    return rc;
}

void store__safety_close(struct store *s)
{
    safety_file_close(&s->safety);
}
