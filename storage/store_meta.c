/* The small records of the store: genesis binding, last block and evidence
 * of equivocation (the consensus safety record lives in store_safety.c). */
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/hex.h"
#include "common/log.h"
#include "common/wb_error.h"
#include "storage/store_internal.h"

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
