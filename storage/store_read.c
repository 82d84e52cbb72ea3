/* Reads: blocks, certificates, the block and event indices, item states and
 * histories. Each runs in one read transaction and copies its result out. */
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/hex.h"
#include "common/log.h"
#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/event.h"
#include "ledger/rules.h"
#include "storage/store_internal.h"
#include "storage/store_lmdb_internal.h"
#include "storage/store_read_internal.h"

/* A value of the wrong size means the store is corrupt, not that the caller erred. */
static int read_expect_size(const MDB_val *v, size_t want, const char *what)
{
    if (v->mv_size == want) return WB_OK;
    WB_ERROR("store", "%s: stored value has %zu bytes, expected %zu", what, v->mv_size, want);
    return WB_ERR_STORE;
}

static int read_by_height(struct store *s, enum store__db db, uint64_t height, uint8_t **out,
                          size_t *len, const char *what)
{
    if (!s || !out || !len) return WB_ERR_INVALID;
    uint8_t key[8];
    wb_put_u64be(key, height);
    MDB_txn *txn;
    int rc = store__read_begin(s, &txn);
    if (rc) return rc;
    MDB_val v;
    rc = store__get(txn, s->dbi[db], key, sizeof key, &v, what);
    if (rc == WB_OK) rc = store__copy_out(&v, out, len);
    store__read_end(s, txn);
    return rc;
}

int store_get_block(struct store *s, uint64_t height, uint8_t **out, size_t *len)
{
    return read_by_height(s, STORE__DB_BLOCKS, height, out, len, "read block");
}

int store_get_cert(struct store *s, uint64_t height, uint8_t **out, size_t *len)
{
    return read_by_height(s, STORE__DB_CERTS, height, out, len, "read cert");
}

int store_height_of_hash(struct store *s, const uint8_t hash[WB_HASH_LEN], uint64_t *height)
{
    if (!s || !hash || !height) return WB_ERR_INVALID;
    MDB_txn *txn;
    int rc = store__read_begin(s, &txn);
    if (rc) return rc;
    MDB_val v;
    rc = store__get(txn, s->dbi[STORE__DB_BLOCK_INDEX], hash, WB_HASH_LEN, &v,
                    "read block index");
    if (rc == WB_OK) rc = read_expect_size(&v, 8, "block index");
    if (rc == WB_OK) *height = wb_get_u64be(v.mv_data);
    store__read_end(s, txn);
    return rc;
}

/* The event_log record at `pos`: id and the item's previous position. */
static int read_log_txn(struct store *s, MDB_txn *txn, const uint8_t pos[STORE__POS_LEN],
                        MDB_val *rec)
{
    int rc = store__get(txn, s->dbi[STORE__DB_EVENT_LOG], pos, STORE__POS_LEN, rec,
                        "read event log");
    if (rc == WB_OK) rc = read_expect_size(rec, STORE__LOG_VAL_LEN, "event log");
    return rc;
}

int store__id_epoch_txn(struct store *s, MDB_txn *txn, uint32_t *epoch, uint32_t *events)
{
    MDB_val v;
    int rc = store__get(txn, s->dbi[STORE__DB_META], STORE__META_ID_EPOCH,
                        strlen(STORE__META_ID_EPOCH), &v, "read id epoch");
    if (rc == WB_ERR_NOT_FOUND) {
        *epoch = 0;
        *events = 0;
        return WB_OK;
    }
    if (rc == WB_OK) rc = read_expect_size(&v, STORE__ID_EPOCH_LEN, "meta id_epoch");
    if (rc) return rc;
    *epoch = wb_get_u32be(v.mv_data);
    *events = wb_get_u32be((const uint8_t *)v.mv_data + 4);
    return WB_OK;
}

/* Looks for `id` among the positions under key (epoch, id prefix): 0 with
 * the position and the log record's previous position, WB_ERR_NOT_FOUND, or
 * WB_ERR_STORE. */
static int read_locate_in_epoch(struct store *s, MDB_txn *txn, MDB_cursor *cur, uint32_t epoch,
                                const uint8_t id[WB_HASH_LEN], uint64_t *height,
                                uint32_t *index, uint8_t prev[STORE__POS_LEN])
{
    uint8_t key[STORE__ID_KEY_LEN];
    store__id_key_put(key, epoch, id);
    /* Every position under the key, until the one whose log record names
     * this id (two ids of one epoch share a prefix about once in 2^64 / N
     * pairs). */
    MDB_val k = {.mv_size = sizeof key, .mv_data = key}, v;
    int rc = WB_ERR_NOT_FOUND;
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_SET);
    while (mrc == MDB_SUCCESS) {
        rc = read_expect_size(&v, STORE__POS_LEN, "event id position");
        MDB_val rec;
        if (rc == WB_OK) rc = read_log_txn(s, txn, v.mv_data, &rec);
        if (rc == WB_ERR_NOT_FOUND) {
            WB_ERROR("store", "event ids name a position the event log lacks");
            rc = WB_ERR_STORE;
        }
        if (rc) return rc;
        if (memcmp(rec.mv_data, id, WB_HASH_LEN) == 0) {
            *height = wb_get_u64be(v.mv_data);
            *index = wb_get_u32be((const uint8_t *)v.mv_data + 8);
            memcpy(prev, (const uint8_t *)rec.mv_data + WB_HASH_LEN, STORE__POS_LEN);
            return WB_OK;
        }
        rc = WB_ERR_NOT_FOUND;
        mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_DUP);
    }
    if (mrc != MDB_NOTFOUND) return store__err(mrc, "read event ids");
    return rc;
}

int store__locate_txn(struct store *s, MDB_txn *txn, const uint8_t id[WB_HASH_LEN],
                      uint64_t *height, uint32_t *index, uint8_t prev[STORE__POS_LEN])
{
    uint32_t epoch, in_epoch;
    int rc = store__id_epoch_txn(s, txn, &epoch, &in_epoch);
    if (rc) return rc;
    MDB_cursor *cur;
    int mrc = mdb_cursor_open(txn, s->dbi[STORE__DB_EVENT_IDS], &cur);
    if (mrc) return store__err(mrc, "open event ids cursor");
    /* One probe per epoch, newest first: recent events are looked up most. */
    rc = WB_ERR_NOT_FOUND;
    for (uint32_t e = epoch + 1; e-- > 0 && rc == WB_ERR_NOT_FOUND;)
        rc = read_locate_in_epoch(s, txn, cur, e, id, height, index, prev);
    mdb_cursor_close(cur);
    return rc;
}

static int read_location_txn(struct store *s, MDB_txn *txn, const uint8_t id[WB_HASH_LEN],
                             uint64_t *height, uint32_t *index)
{
    uint8_t prev[STORE__POS_LEN];
    return store__locate_txn(s, txn, id, height, index, prev);
}

int store_event_location(struct store *s, const uint8_t id[WB_HASH_LEN], uint64_t *height,
                         uint32_t *index)
{
    if (!s || !id || !height || !index) return WB_ERR_INVALID;
    MDB_txn *txn;
    int rc = store__read_begin(s, &txn);
    if (rc) return rc;
    rc = read_location_txn(s, txn, id, height, index);
    store__read_end(s, txn);
    return rc;
}

int store__block_unpack_txn(struct store *s, MDB_txn *txn, uint64_t height,
                            Waybill__Block **out)
{
    uint8_t key[8];
    wb_put_u64be(key, height);
    MDB_val v;
    int rc = store__get(txn, s->dbi[STORE__DB_BLOCKS], key, sizeof key, &v, "read block");
    if (rc) return rc;
    Waybill__Block *blk = waybill__block__unpack(NULL, v.mv_size, v.mv_data);
    if (!blk) {
        WB_ERROR("store", "h=%llu stored block does not decode", (unsigned long long)height);
        return WB_ERR_STORE;
    }
    *out = blk;
    return WB_OK;
}

/* Reads a protobuf varint at *pos (advancing it). */
static bool read_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned shift = 0; shift < 64 && *pos < len; shift += 7) {
        uint8_t byte = p[(*pos)++];
        x |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *v = x;
            return true;
        }
    }
    return false;
}

int store__pb_bytes_field(const uint8_t *p, size_t len, uint32_t field, uint32_t nth,
                          const uint8_t **val, size_t *val_len)
{
    size_t pos = 0;
    uint32_t seen = 0;
    while (pos < len) {
        uint64_t key, n;
        if (!read_varint(p, len, &pos, &key)) return WB_ERR_DECODE;
        switch (key & 7) {
        case 0:
            if (!read_varint(p, len, &pos, &n)) return WB_ERR_DECODE;
            break;
        case 1:
            if (len - pos < 8) return WB_ERR_DECODE;
            pos += 8;
            break;
        case 5:
            if (len - pos < 4) return WB_ERR_DECODE;
            pos += 4;
            break;
        case 2:
            if (!read_varint(p, len, &pos, &n) || n > len - pos) return WB_ERR_DECODE;
            if (key >> 3 == field && seen++ == nth) {
                *val = p + pos;
                *val_len = (size_t)n;
                return WB_OK;
            }
            pos += (size_t)n;
            break;
        default:
            return WB_ERR_DECODE;
        }
    }
    return WB_ERR_NOT_FOUND;
}

/* Finds event `index` in stored Block bytes without decoding the whole block
 * (which would copy every event): Block.events is field 2. *ev points into p. */
static int read_block_event(const uint8_t *p, size_t len, uint32_t index, const uint8_t **ev,
                            size_t *ev_len)
{
    return store__pb_bytes_field(p, len, 2, index, ev, ev_len);
}

/* Paired with the checks before the write: the event the index points at
 * must be the one whose id was the key. */
static bool read_event_has_id(const uint8_t *ev, size_t len, const uint8_t id[WB_HASH_LEN])
{
    const uint8_t *body;
    size_t body_len;
    uint8_t sig[WB_SIG_LEN], got[WB_HASH_LEN];
    if (ledger_signed_event_split(ev, len, &body, &body_len, sig) != WB_OK) return false;
    ledger_sha256(body, body_len, got);
    return memcmp(got, id, WB_HASH_LEN) == 0;
}

static int read_event_txn(struct store *s, MDB_txn *txn, const uint8_t id[WB_HASH_LEN],
                          uint8_t **out, size_t *len, uint64_t *height, uint32_t *index)
{
    uint64_t h;
    uint32_t i;
    int rc = read_location_txn(s, txn, id, &h, &i);
    if (rc) return rc;
    uint8_t key[8];
    wb_put_u64be(key, h);
    MDB_val v;
    rc = store__get(txn, s->dbi[STORE__DB_BLOCKS], key, sizeof key, &v, "read block");
    char hex[2 * WB_HASH_LEN + 1];
    wb_hex_encode(id, WB_HASH_LEN, hex, sizeof hex);
    if (rc == WB_ERR_NOT_FOUND) {
        /* The index names a block: its absence is corruption, not "not found". */
        WB_ERROR("store", "event %s is indexed at missing block %llu", hex,
                 (unsigned long long)h);
        return WB_ERR_STORE;
    }
    if (rc) return rc;
    const uint8_t *ev;
    size_t ev_len;
    rc = read_block_event(v.mv_data, v.mv_size, i, &ev, &ev_len);
    if (rc || !read_event_has_id(ev, ev_len, id)) {
        WB_ERROR("store", "event %s: block %llu holds no such event at index %u", hex,
                 (unsigned long long)h, i);
        return WB_ERR_STORE;
    }
    MDB_val copy = {.mv_size = ev_len, .mv_data = (void *)ev};
    rc = store__copy_out(&copy, out, len);
    if (rc) return rc;
    if (height) *height = h;
    if (index) *index = i;
    return WB_OK;
}

int store_get_event_at(struct store *s, uint64_t height, uint32_t index,
                       const uint8_t id[WB_HASH_LEN], uint8_t **out, size_t *len)
{
    if (!s || !out || !len) return WB_ERR_INVALID;
    MDB_txn *txn;
    int rc = store__read_begin(s, &txn);
    if (rc) return rc;
    uint8_t key[8];
    wb_put_u64be(key, height);
    MDB_val v;
    rc = store__get(txn, s->dbi[STORE__DB_BLOCKS], key, sizeof key, &v, "read block");
    const uint8_t *ev = NULL;
    size_t ev_len = 0;
    if (rc == WB_OK) {
        rc = read_block_event(v.mv_data, v.mv_size, index, &ev, &ev_len);
        if (rc == WB_ERR_DECODE) {
            WB_ERROR("store", "h=%llu stored block does not decode", (unsigned long long)height);
            rc = WB_ERR_STORE;
        }
    }
    if (rc == WB_OK && id && !read_event_has_id(ev, ev_len, id)) rc = WB_ERR_NOT_FOUND;
    if (rc == WB_OK) {
        MDB_val copy = {.mv_size = ev_len, .mv_data = (void *)ev};
        rc = store__copy_out(&copy, out, len);
    }
    store__read_end(s, txn);
    return rc;
}

int store_get_event(struct store *s, const uint8_t id[WB_HASH_LEN], uint8_t **out,
                    size_t *len, uint64_t *height, uint32_t *index)
{
    if (!s || !id || !out || !len) return WB_ERR_INVALID;
    MDB_txn *txn;
    int rc = store__read_begin(s, &txn);
    if (rc) return rc;
    rc = read_event_txn(s, txn, id, out, len, height, index);
    store__read_end(s, txn);
    return rc;
}

/* An items value: the head's position, then the ItemState bytes. */
static int read_item_value(const char *item, const MDB_val *v, struct ledger_item_state *st,
                           uint8_t pos[STORE__POS_LEN])
{
    const uint8_t *p = v->mv_data;
    if (v->mv_size <= STORE__ITEM_POS_LEN ||
        ledger_item_state_decode(p + STORE__ITEM_POS_LEN, v->mv_size - STORE__ITEM_POS_LEN,
                                 st) != WB_OK) {
        WB_ERROR("store", "stored state of item %s does not decode", item);
        return WB_ERR_STORE;
    }
    if (pos) memcpy(pos, p, STORE__POS_LEN);
    return WB_OK;
}

int store__item_txn(struct store *s, MDB_txn *txn, const char *item,
                    struct ledger_item_state *st, uint8_t head_pos[STORE__POS_LEN])
{
    size_t item_len = strlen(item);
    if (item_len == 0 || item_len > WB_ITEM_MAX) return WB_ERR_NOT_FOUND;
    MDB_val v;
    int rc = store__get(txn, s->dbi[STORE__DB_ITEMS], item, item_len, &v, "read item state");
    if (rc) return rc;
    return read_item_value(item, &v, st, head_pos);
}

static int read_item_state_txn(struct store *s, MDB_txn *txn, const char *item,
                               struct ledger_item_state *st)
{
    return store__item_txn(s, txn, item, st, NULL);
}

int store_item_state(struct store *s, const char *item, struct ledger_item_state *st)
{
    if (!s || !item || !st) return WB_ERR_INVALID;
    MDB_txn *txn;
    int rc = store__read_begin(s, &txn);
    if (rc) return rc;
    struct ledger_item_state got;
    rc = read_item_state_txn(s, txn, item, &got);
    store__read_end(s, txn);
    if (rc == WB_OK) *st = got;
    return rc;
}

int store_state_lookup(void *store, const char *item, struct ledger_item_state *st)
{
    return store_item_state(store, item, st);
}

int store__history_txn(struct store *s, MDB_txn *txn, const char *item,
                       struct store_event_ref **out, size_t *n)
{
    struct ledger_item_state st;
    uint8_t pos[STORE__POS_LEN];
    int rc = store__item_txn(s, txn, item, &st, pos);
    if (rc) return rc;
    if (st.count > STORE_HISTORY_MAX) return WB_ERR_TOO_LARGE;
    if (st.count == 0) {
        WB_ERROR("store", "item %s: stored state counts no event", item);
        return WB_ERR_STORE;
    }
    struct store_event_ref *refs = calloc(st.count, sizeof refs[0]);
    if (!refs) return WB_ERR_NOMEM;
    /* From the head, whose position the items value holds, back: each
     * event_log record names the item's previous event; the state's count
     * says how many there are. */
    struct store_event_ref *head = &refs[st.count - 1];
    head->height = wb_get_u64be(pos);
    head->index = wb_get_u32be(pos + 8);
    MDB_val rec;
    rc = read_log_txn(s, txn, pos, &rec);
    if (rc == WB_OK && memcmp(rec.mv_data, st.head, WB_HASH_LEN) != 0) {
        WB_ERROR("store", "item %s: the log record at its head's position is another event",
                 item);
        rc = WB_ERR_STORE;
    }
    if (rc == WB_OK) {
        memcpy(head->id, st.head, WB_HASH_LEN);
        memcpy(pos, (const uint8_t *)rec.mv_data + WB_HASH_LEN, STORE__POS_LEN);
    }
    for (uint32_t k = st.count - 1; rc == WB_OK && k > 0; k--) {
        struct store_event_ref *r = &refs[k - 1];
        r->height = wb_get_u64be(pos);
        r->index = wb_get_u32be(pos + 8);
        if (r->height == 0) {
            WB_ERROR("store", "item %s: the chain of events ends after %u of %u", item,
                     st.count - k, st.count);
            rc = WB_ERR_STORE;
            break;
        }
        /* The chain runs back in the log: a later or equal position is corruption. */
        if (r->height > refs[k].height ||
            (r->height == refs[k].height && r->index >= refs[k].index)) {
            WB_ERROR("store", "item %s: event %u is not before event %u", item, k - 1, k);
            rc = WB_ERR_STORE;
            break;
        }
        rc = read_log_txn(s, txn, pos, &rec);
        if (rc) break;
        memcpy(r->id, rec.mv_data, WB_HASH_LEN);
        memcpy(pos, (const uint8_t *)rec.mv_data + WB_HASH_LEN, STORE__POS_LEN);
    }
    if (rc == WB_OK && wb_get_u64be(pos) != 0) {
        WB_ERROR("store", "item %s: the chain of events goes on past %u", item, st.count);
        rc = WB_ERR_STORE;
    }
    if (rc) {
        /* The state counts these events: a missing record is corruption. */
        if (rc == WB_ERR_NOT_FOUND) {
            WB_ERROR("store", "item %s: an event of its %u is not indexed", item, st.count);
            rc = WB_ERR_STORE;
        }
        free(refs);
        return rc;
    }
    *out = refs;
    *n = st.count;
    return WB_OK;
}

int store_item_history(struct store *s, const char *item, struct store_event_ref **out,
                       size_t *n)
{
    if (!s || !item || !out || !n) return WB_ERR_INVALID;
    MDB_txn *txn;
    int rc = store__read_begin(s, &txn);
    if (rc) return rc;
    rc = store__history_txn(s, txn, item, out, n);
    store__read_end(s, txn);
    return rc;
}

static bool read_item_passes(const struct store_items_filter *f,
                             const struct ledger_item_state *st)
{
    if (!f) return true;
    if (f->custodian && f->custodian[0] && strcmp(f->custodian, st->custodian) != 0)
        return false;
    if (f->held && !ledger_item_held(st)) return false;
    if (f->by_status && st->status != f->status) return false;
    if (f->location && f->location[0] && strcmp(f->location, st->location) != 0) return false;
    return true;
}

int store_items_scan(struct store *s, const struct store_items_filter *f, const char *after,
                     size_t limit, size_t scan_max, struct ledger_item_state *out, size_t *n,
                     bool *more, char next_after[static WB_ITEM_MAX + 1])
{
    if (!s || !out || !n || !more || !next_after || limit == 0 || scan_max == 0)
        return WB_ERR_INVALID;
    size_t after_len = after ? strlen(after) : 0;
    if (after_len > WB_ITEM_MAX) return WB_ERR_INVALID;
    *n = 0;
    *more = false;
    next_after[0] = '\0';
    MDB_txn *txn;
    int rc = store__read_begin(s, &txn);
    if (rc) return rc;
    MDB_cursor *cur;
    int mrc = mdb_cursor_open(txn, s->dbi[STORE__DB_ITEMS], &cur);
    if (mrc) {
        rc = store__err(mrc, "open items cursor");
        goto end_read;
    }
    MDB_val k = {.mv_size = after_len, .mv_data = (void *)after}, v;
    if (after_len) {
        mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        /* Strictly after the cursor: skip the key itself. */
        if (mrc == 0 && k.mv_size == after_len && memcmp(k.mv_data, after, after_len) == 0)
            mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    } else {
        mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    }
    size_t scanned = 0;
    while (mrc == 0) {
        if (*n == limit || scanned == scan_max) {
            *more = true;
            break;
        }
        struct ledger_item_state st;
        if (k.mv_size == 0 || k.mv_size > WB_ITEM_MAX || v.mv_size <= STORE__ITEM_POS_LEN ||
            ledger_item_state_decode((const uint8_t *)v.mv_data + STORE__ITEM_POS_LEN,
                                     v.mv_size - STORE__ITEM_POS_LEN, &st) != WB_OK) {
            WB_ERROR("store", "a stored item state (key of %zu bytes) does not decode",
                     k.mv_size);
            rc = WB_ERR_STORE;
            goto close_cursor;
        }
        scanned++;
        memcpy(next_after, k.mv_data, k.mv_size);
        next_after[k.mv_size] = '\0';
        if (read_item_passes(f, &st)) out[(*n)++] = st;
        mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (mrc && mrc != MDB_NOTFOUND) rc = store__err(mrc, "scan items");
close_cursor:
    mdb_cursor_close(cur);
end_read:
    store__read_end(s, txn);
    return rc;
}
