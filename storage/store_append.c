/* Appending a decided block: everything the block changes, in one write
 * transaction, after checking the block, certificate and states agree
 * (opening every event, or trusting the ids and items its checker found). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/hex.h"
#include "common/log.h"
#include "common/wb_error.h"
#include "ledger/event.h"
#include "ledger/rules.h"
#include "ledger/validate.h"
#include "proto/waybill.pb-c.h"
#include "storage/store_internal.h"
#include "storage/store_lmdb_internal.h"
#include "storage/store_meta_internal.h"
#include "storage/store_read_internal.h"

#define STORE_ITEM_STATE_BUF 1024

/* states[] sorted by item id, to find an event's state. */
struct append_item {
    const char *item;
    uint32_t state;
};

/* Per entry of states[]. */
struct append_state {
    uint32_t in_block;          /* events of this item in the block */
    uint32_t last_event;        /* block index of the item's last event */
    /* During the write: position of the item's event before the next one
     * (height 0: none, the item is new). */
    uint8_t prev_pos[STORE__POS_LEN];
};

struct append_ctx {
    const struct ledger_block *b;
    const uint8_t *block;
    size_t block_len;
    const uint8_t *cert;
    size_t cert_len;
    const struct ledger_item_state *states;
    size_t n_states;
    /* Per event: its id and the index of its item's state, either given by
     * the caller (store_append_checked) or derived here (store_append, into
     * the own_ arrays). */
    const uint8_t (*ids)[WB_HASH_LEN];
    const uint32_t *state_of;
    uint8_t (*own_ids)[WB_HASH_LEN];
    uint32_t *own_state_of;
    struct append_item *index;
    struct append_state *per_state;
};

static int append_item_cmp(const void *a, const void *b)
{
    return strcmp(((const struct append_item *)a)->item, ((const struct append_item *)b)->item);
}

static int append_refuse(const struct ledger_block *b, const char *why)
{
    WB_WARN("store", "h=%llu append refused: %s", (unsigned long long)b->header.height, why);
    return WB_ERR_INVALID;
}

/* The certificate must decode and name this block. */
static int append_check_cert(const struct append_ctx *c)
{
    Waybill__CommitCert *cert = waybill__commit_cert__unpack(NULL, c->cert_len, c->cert);
    if (!cert) return append_refuse(c->b, "certificate does not decode");
    int rc = WB_OK;
    if (cert->height != c->b->header.height)
        rc = append_refuse(c->b, "certificate is for another height");
    else if (cert->block_hash.len != WB_HASH_LEN ||
             memcmp(cert->block_hash.data, c->b->hash, WB_HASH_LEN) != 0)
        rc = append_refuse(c->b, "certificate is for another block hash");
    waybill__commit_cert__free_unpacked(cert, NULL);
    return rc;
}

/* Everything that can be checked without the stored state and without
 * opening an event: the header hash, the certificate, one state per item. */
static int append_prepare_block(struct append_ctx *c)
{
    const struct ledger_block *b = c->b;
    uint8_t hash[WB_HASH_LEN];
    ledger_sha256(b->header_bytes, b->header_len, hash);
    if (memcmp(hash, b->hash, WB_HASH_LEN) != 0)
        return append_refuse(b, "block hash is not the hash of its header");
    if (b->event_count != b->header.event_count)
        return append_refuse(b, "event count differs from the header");
    int rc = append_check_cert(c);
    if (rc) return rc;

    for (size_t j = 0; j < c->n_states; j++) {
        c->index[j].item = c->states[j].item;
        c->index[j].state = (uint32_t)j;
    }
    qsort(c->index, c->n_states, sizeof c->index[0], append_item_cmp);
    for (size_t j = 1; j < c->n_states; j++)
        if (strcmp(c->index[j - 1].item, c->index[j].item) == 0)
            return append_refuse(b, "two states for one item");
    return WB_OK;
}

/* For store_append: opens every event to learn its id and its item, and
 * matches the item to its state, into the own_ arrays. */
static int append_open_events(struct append_ctx *c)
{
    const struct ledger_block *b = c->b;
    struct ledger_event *ev = malloc(sizeof *ev);
    if (!ev) return WB_ERR_NOMEM;
    int rc = WB_OK;
    char msg[256], why[384];
    for (size_t i = 0; i < b->event_count; i++) {
        rc = ledger_signed_event_open(b->header.chain_id, b->events[i], b->lens[i], false, ev,
                                      msg, sizeof msg);
        if (rc) {
            snprintf(why, sizeof why, "event %zu does not open: %s", i, msg);
            rc = append_refuse(b, why);
            break;
        }
        struct append_item key = {.item = ev->item};
        const struct append_item *found =
            bsearch(&key, c->index, c->n_states, sizeof c->index[0], append_item_cmp);
        if (!found) {
            snprintf(why, sizeof why, "event %zu: no state given for item %s", i, ev->item);
            rc = append_refuse(b, why);
            break;
        }
        memcpy(c->own_ids[i], ev->id, WB_HASH_LEN);
        c->own_state_of[i] = found->state;
    }
    free(ev);
    return rc;
}

/* Checks each state against the block's events (through ids and state_of):
 * every state is touched, its count covers the block's events of the item,
 * its last height is this block and its head is the id of the item's last
 * event in the block. */
static int append_check_states(struct append_ctx *c)
{
    const struct ledger_block *b = c->b;
    char why[384];
    for (size_t i = 0; i < b->event_count; i++) {
        uint32_t j = c->state_of[i];
        if (j >= c->n_states) {
            snprintf(why, sizeof why, "event %zu: its state index %u is out of range", i,
                     (unsigned)j);
            return append_refuse(b, why);
        }
        c->per_state[j].in_block++;
        c->per_state[j].last_event = (uint32_t)i;
    }
    for (size_t j = 0; j < c->n_states; j++) {
        const struct ledger_item_state *st = &c->states[j];
        const struct append_state *ps = &c->per_state[j];
        const char *bad = NULL;
        if (ps->in_block == 0) bad = "no event of the block touches it";
        else if (st->count < ps->in_block) bad = "count below the block's events";
        else if (st->last_height != b->header.height) bad = "last height is not this block";
        else if (memcmp(st->head, c->ids[ps->last_event], WB_HASH_LEN) != 0)
            bad = "head is not the item's last event in the block";
        if (bad) {
            snprintf(why, sizeof why, "state of item %s: %s", st->item, bad);
            return append_refuse(b, why);
        }
    }
    return WB_OK;
}

/* Checks each state against the item's stored state and sets prev_pos to
 * the position of the stored head (the item's event before this block). */
static int append_check_prior(struct store *s, MDB_txn *txn, struct append_ctx *c)
{
    const uint64_t height = c->b->header.height;
    char why[384];
    for (size_t j = 0; j < c->n_states; j++) {
        const struct ledger_item_state *st = &c->states[j];
        struct append_state *ps = &c->per_state[j];
        MDB_val v;
        int rc = store__get(txn, s->dbi[STORE__DB_ITEMS], st->item, strlen(st->item), &v,
                            "read item state");
        uint32_t prior_count = 0;
        uint64_t first_height = height;
        memset(ps->prev_pos, 0, sizeof ps->prev_pos);
        if (rc == WB_OK) {
            struct ledger_item_state prior;
            if (ledger_item_state_decode(v.mv_data, v.mv_size, &prior) != WB_OK) {
                WB_ERROR("store", "stored state of item %s does not decode", st->item);
                return WB_ERR_STORE;
            }
            prior_count = prior.count;
            first_height = prior.first_height;
            uint64_t h;
            uint32_t i;
            uint8_t unused[STORE__POS_LEN];
            rc = store__locate_txn(s, txn, prior.head, &h, &i, unused);
            if (rc == WB_ERR_NOT_FOUND) {
                WB_ERROR("store", "head of item %s is not indexed", st->item);
                rc = WB_ERR_STORE;
            }
            if (rc) return rc;
            store__pos_put(ps->prev_pos, h, i);
        } else if (rc != WB_ERR_NOT_FOUND) {
            return rc;
        }
        const char *bad = NULL;
        if (st->count - ps->in_block != prior_count)
            bad = "count does not follow the stored count";
        else if (st->first_height != first_height)
            bad = "first height differs from the stored one";
        if (bad) {
            snprintf(why, sizeof why, "state of item %s: %s", st->item, bad);
            return append_refuse(c->b, why);
        }
    }
    return WB_OK;
}

/* A refusal inside the transaction comes back as WB_ERR_EXISTS from a put
 * with MDB_NOOVERWRITE/MDB_APPEND: `refusal` says what it means here. */
static int append_put(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t key_len,
                      const void *val, size_t val_len, unsigned flags, const char *what,
                      int refusal)
{
    int rc = store__put(txn, dbi, key, key_len, val, val_len, flags, what);
    if (rc == WB_ERR_EXISTS) {
        if (refusal == WB_ERR_STORE) WB_ERROR("store", "%s: key already present", what);
        return refusal;
    }
    return rc;
}

/* Whether event `id` is stored already: a position under its id prefix
 * whose event_log record names this id. */
static int append_id_stored(struct store *s, MDB_txn *txn, MDB_cursor *ids,
                            const uint8_t id[WB_HASH_LEN], bool *stored)
{
    *stored = false;
    MDB_val k = {.mv_size = STORE__ID_KEY_LEN, .mv_data = (void *)id}, v;
    int mrc = mdb_cursor_get(ids, &k, &v, MDB_SET);
    while (mrc == MDB_SUCCESS) {
        if (v.mv_size != STORE__POS_LEN) {
            WB_ERROR("store", "event ids: a position of %zu bytes", v.mv_size);
            return WB_ERR_STORE;
        }
        MDB_val rec;
        int rc = store__get(txn, s->dbi[STORE__DB_EVENT_LOG], v.mv_data, STORE__POS_LEN, &rec,
                            "read event log");
        if (rc == WB_ERR_NOT_FOUND) {
            WB_ERROR("store", "event ids name a position the event log lacks");
            return WB_ERR_STORE;
        }
        if (rc) return rc;
        if (rec.mv_size != STORE__LOG_VAL_LEN) {
            WB_ERROR("store", "event log: a record of %zu bytes", rec.mv_size);
            return WB_ERR_STORE;
        }
        if (memcmp(rec.mv_data, id, WB_HASH_LEN) == 0) {
            *stored = true;
            return WB_OK;
        }
        mrc = mdb_cursor_get(ids, &k, &v, MDB_NEXT_DUP);
    }
    return mrc == MDB_NOTFOUND ? WB_OK : store__err(mrc, "read event ids");
}

/* Event i of the block: refused if its id is stored; else its event_log
 * record at (height, i), appended at the end of the log, with the position
 * of the item's previous event, and its id prefix -> position. */
static int append_event(struct store *s, MDB_txn *txn, MDB_cursor *ids, struct append_ctx *c,
                        uint32_t i)
{
    const struct ledger_block *b = c->b;
    const uint8_t *id = c->ids[i];
    bool stored;
    int rc = append_id_stored(s, txn, ids, id, &stored);
    if (rc) return rc;
    if (stored) {
        char why[160], hex[2 * WB_HASH_LEN + 1];
        snprintf(why, sizeof why, "event %u (%s) is already stored", (unsigned)i,
                 wb_hex_encode(id, WB_HASH_LEN, hex, sizeof hex));
        return append_refuse(b, why);
    }
    struct append_state *ps = &c->per_state[c->state_of[i]];
    uint8_t pos[STORE__POS_LEN], rec[STORE__LOG_VAL_LEN];
    store__pos_put(pos, b->header.height, i);
    memcpy(rec, id, WB_HASH_LEN);
    memcpy(rec + WB_HASH_LEN, ps->prev_pos, STORE__POS_LEN);
    /* A key at or after this position would mean meta "last" is behind: corrupt. */
    rc = append_put(txn, s->dbi[STORE__DB_EVENT_LOG], pos, sizeof pos, rec, sizeof rec,
                    MDB_APPEND, "put event log", WB_ERR_STORE);
    if (rc) return rc;
    memcpy(ps->prev_pos, pos, sizeof pos);
    /* Positions grow: the new one goes last among its prefix's duplicates. */
    return append_put(txn, s->dbi[STORE__DB_EVENT_IDS], id, STORE__ID_KEY_LEN, pos, sizeof pos,
                      MDB_NODUPDATA, "put event id", WB_ERR_STORE);
}

static int append_body(struct store *s, MDB_txn *txn, void *ctx)
{
    struct append_ctx *c = ctx;
    const struct ledger_block *b = c->b;
    const uint64_t height = b->header.height;

    uint64_t last;
    uint8_t last_hash[WB_HASH_LEN];
    int rc = store__last_txn(s, txn, &last, last_hash, NULL);
    if (rc) return rc;
    if (height != last + 1) {
        char why[96];
        snprintf(why, sizeof why, "height is not %llu", (unsigned long long)(last + 1));
        return append_refuse(b, why);
    }
    if (memcmp(b->header.prev_hash, last_hash, WB_HASH_LEN) != 0)
        return append_refuse(b, "prev hash is not the hash of the last block");
    rc = append_check_prior(s, txn, c);
    if (rc) return rc;

    uint8_t hkey[8];
    wb_put_u64be(hkey, height);
    /* Keys above the last height would mean the meta record is behind: corrupt. */
    rc = append_put(txn, s->dbi[STORE__DB_BLOCKS], hkey, 8, c->block, c->block_len,
                    MDB_APPEND, "put block", WB_ERR_STORE);
    if (rc) return rc;
    rc = append_put(txn, s->dbi[STORE__DB_CERTS], hkey, 8, c->cert, c->cert_len, MDB_APPEND,
                    "put cert", WB_ERR_STORE);
    if (rc) return rc;
    rc = append_put(txn, s->dbi[STORE__DB_BLOCK_INDEX], b->hash, WB_HASH_LEN, hkey, 8,
                    MDB_NOOVERWRITE, "put block index", WB_ERR_STORE);
    if (rc) return rc;

    MDB_cursor *ids;
    int mrc = mdb_cursor_open(txn, s->dbi[STORE__DB_EVENT_IDS], &ids);
    if (mrc) return store__err(mrc, "open event ids cursor");
    for (size_t i = 0; i < b->event_count && rc == WB_OK; i++)
        rc = append_event(s, txn, ids, c, (uint32_t)i);
    mdb_cursor_close(ids);
    if (rc) return rc;

    for (size_t j = 0; j < c->n_states; j++) {
        uint8_t buf[STORE_ITEM_STATE_BUF];
        size_t len;
        rc = ledger_item_state_encode(&c->states[j], buf, sizeof buf, &len);
        if (rc) return append_refuse(b, "an item state does not encode");
        rc = store__put(txn, s->dbi[STORE__DB_ITEMS], c->states[j].item,
                        strlen(c->states[j].item), buf, len, 0, "put item state");
        if (rc) return rc;
    }

    uint8_t lastv[STORE__LAST_LEN];
    wb_put_u64be(lastv, height);
    memcpy(lastv + 8, b->hash, WB_HASH_LEN);
    wb_put_u64be(lastv + 8 + WB_HASH_LEN, (uint64_t)b->header.time_ms);
    return store__put(txn, s->dbi[STORE__DB_META], STORE__META_LAST, strlen(STORE__META_LAST),
                      lastv, sizeof lastv, 0, "put last");
}

/* Rewrites meta "last" with the value it holds: a transaction of its own
 * between two appends. LMDB reuses the pages a commit freed only once a later
 * commit exists (the other meta page may still point at them), so with
 * appends alone the file kept one more generation of every page a block
 * rewrites; with this step the next append reuses the pages this one freed. */
static int append_touch_body(struct store *s, MDB_txn *txn, void *ctx)
{
    (void)ctx;
    MDB_dbi meta = s->dbi[STORE__DB_META];
    MDB_val v;
    int rc = store__get(txn, meta, STORE__META_LAST, strlen(STORE__META_LAST), &v, "read last");
    if (rc) return rc;
    uint8_t last[STORE__LAST_LEN];
    if (v.mv_size != sizeof last) return WB_ERR_STORE;
    memcpy(last, v.mv_data, sizeof last);
    return store__put(txn, meta, STORE__META_LAST, strlen(STORE__META_LAST), last, sizeof last,
                      0, "rewrite last");
}

int store_release_pages(struct store *s)
{
    if (!s) return WB_ERR_INVALID;
    return store__write(s, append_touch_body, NULL, STORE__WRITE_META_NOSYNC, "release pages");
}

/* The common part of both appends: checks what the arguments allow, then
 * (ids and state_of known) the states, then writes. With `given` the ids
 * and state indices come from the caller; without, they are derived by
 * opening every event. */
static int append_run(struct store *s, const struct ledger_block *b, const uint8_t *block,
                      size_t block_len, const uint8_t *cert, size_t cert_len,
                      const struct ledger_item_state *states, size_t n_states,
                      const struct ledger_block_result *given)
{
    if (!s || !b || !block || block_len == 0 || !cert || cert_len == 0) return WB_ERR_INVALID;
    if (n_states && !states) return WB_ERR_INVALID;
    if (cert_len > STORE_CERT_MAX) return WB_ERR_TOO_LARGE;
    if (b->event_count > UINT32_MAX || n_states > b->event_count)
        return append_refuse(b, "more states than events");
    if (given && given->event_count != b->event_count)
        return append_refuse(b, "the given ids are not one per event");
    if (given && b->event_count && (!given->ids || !given->state_of)) return WB_ERR_INVALID;

    struct append_ctx c = {.b = b,
                           .block = block,
                           .block_len = block_len,
                           .cert = cert,
                           .cert_len = cert_len,
                           .states = states,
                           .n_states = n_states};
    int rc = WB_ERR_NOMEM;
    c.index = calloc(n_states ? n_states : 1, sizeof c.index[0]);
    if (!c.index) goto out;
    c.per_state = calloc(n_states ? n_states : 1, sizeof c.per_state[0]);
    if (!c.per_state) goto free_index;
    if (given) {
        c.ids = (const uint8_t(*)[WB_HASH_LEN])given->ids;
        c.state_of = given->state_of;
    } else {
        size_t n = b->event_count ? b->event_count : 1;
        c.own_ids = calloc(n, sizeof c.own_ids[0]);
        c.own_state_of = calloc(n, sizeof c.own_state_of[0]);
        if (!c.own_ids || !c.own_state_of) goto free_own;
        c.ids = (const uint8_t(*)[WB_HASH_LEN])c.own_ids;
        c.state_of = c.own_state_of;
    }

    rc = append_prepare_block(&c);
    if (rc == WB_OK && !given) rc = append_open_events(&c);
    if (rc == WB_OK) rc = append_check_states(&c);
    if (rc == WB_OK) rc = store__write(s, append_body, &c, 0, "append block");
    if (rc == WB_OK)
        WB_DEBUG("store", "h=%llu appended, %zu events, %zu items",
                 (unsigned long long)b->header.height, b->event_count, n_states);

free_own:
    free(c.own_state_of);
    free(c.own_ids);
    free(c.per_state);
free_index:
    free(c.index);
out:
    return rc;
}

int store_append(struct store *s, const struct ledger_block *b, const uint8_t *block,
                 size_t block_len, const uint8_t *cert, size_t cert_len,
                 const struct ledger_item_state *states, size_t n_states)
{
    return append_run(s, b, block, block_len, cert, cert_len, states, n_states, NULL);
}

int store_append_checked(struct store *s, const struct ledger_block *b, const uint8_t *block,
                         size_t block_len, const uint8_t *cert, size_t cert_len,
                         const struct ledger_block_result *r)
{
    if (!r) return WB_ERR_INVALID;
    return append_run(s, b, block, block_len, cert, cert_len, r->states, r->state_count, r);
}
