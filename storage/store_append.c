/* Appending a decided block: everything the block changes, in one write
 * transaction, after checking the block, certificate and states agree
 * (opening every event, or trusting the ids and items its checker found)
 * and that every event follows its item's head (which also proves it new:
 * no id index is probed). */
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
#include "storage/store_reg_internal.h"

#define STORE_ITEM_STATE_BUF 1024
/* EventBody.prev (proto/waybill.proto): the id of the item's previous event,
 * absent for a commission. */
#define APPEND_BODY_FIELD_PREV 7

/* states[] sorted by item id, to find an event's state. */
struct append_item {
    const char *item;
    uint32_t state;
};

/* Per entry of states[]. */
struct append_state {
    uint32_t in_block;          /* events of this item in the block */
    uint32_t last_event;        /* block index of the item's last event */
    /* During the write: the item's event before the next one of the block,
     * its id (has_head false: none, the item is new) and its position
     * (height 0: none). */
    bool has_head;
    uint8_t head[WB_HASH_LEN];
    uint8_t prev_pos[STORE__POS_LEN];
    /* During the write: the item has no stored state (the block registers
     * it), and whether append_check_reg has met its first event. */
    bool is_new, reg_seen;
};

/* An item the block registers (no stored state): its registration index
 * and its entry of states[]. */
struct append_new {
    uint64_t reg_index;
    uint32_t state;
};

/* An event's prev field: the id of its item's previous event, if any. */
struct append_prev {
    bool has;
    uint8_t id[WB_HASH_LEN];
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
    struct append_prev *prevs;  /* per event, read from its bytes either way */
    struct append_item *index;
    struct append_state *per_state;
    struct append_new *news;    /* during the write: the items the block registers */
    size_t n_new;
    uint32_t epoch;             /* during the write: the id epoch of this block */
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
        c->prevs[i].has = ev->has_prev;
        memcpy(c->prevs[i].id, ev->prev, WB_HASH_LEN);
    }
    free(ev);
    return rc;
}

/* For store_append_checked: reads each event's prev from its bytes without
 * opening (decoding, hashing) it: the body's prev field, 32 bytes or absent. */
static int append_find_prevs(struct append_ctx *c)
{
    const struct ledger_block *b = c->b;
    char why[128];
    for (size_t i = 0; i < b->event_count; i++) {
        const uint8_t *body, *prev;
        size_t body_len, prev_len;
        uint8_t sig[WB_SIG_LEN];
        int rc = ledger_signed_event_split(b->events[i], b->lens[i], &body, &body_len, sig);
        if (rc == WB_OK)
            rc = store__pb_bytes_field(body, body_len, APPEND_BODY_FIELD_PREV, 0, &prev,
                                       &prev_len);
        if (rc == WB_ERR_NOT_FOUND) {
            c->prevs[i].has = false;
            continue;
        }
        if (rc == WB_OK && prev_len != WB_HASH_LEN) rc = WB_ERR_DECODE;
        if (rc) {
            snprintf(why, sizeof why, "event %zu: its prev field does not read", i);
            return append_refuse(b, why);
        }
        c->prevs[i].has = true;
        memcpy(c->prevs[i].id, prev, WB_HASH_LEN);
    }
    return WB_OK;
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

/* Checks each state against the item's stored state and sets head and
 * prev_pos to the stored head (the item's event before this block) and its
 * position, which the items value holds. An item without a stored state
 * is marked new. */
static int append_check_prior(struct store *s, MDB_txn *txn, struct append_ctx *c)
{
    const uint64_t height = c->b->header.height;
    char why[384];
    for (size_t j = 0; j < c->n_states; j++) {
        const struct ledger_item_state *st = &c->states[j];
        struct append_state *ps = &c->per_state[j];
        struct ledger_item_state prior;
        int rc = store__item_txn(s, txn, st->item, &prior, ps->prev_pos);
        uint32_t prior_count = 0;
        uint64_t first_height = height;
        ps->has_head = rc == WB_OK;
        ps->is_new = rc == WB_ERR_NOT_FOUND;
        ps->reg_seen = false;
        if (rc == WB_OK) {
            if (wb_get_u64be(ps->prev_pos) == 0) {
                WB_ERROR("store", "item %s: stored state without a head position", st->item);
                return WB_ERR_STORE;
            }
            prior_count = prior.count;
            first_height = prior.first_height;
            memcpy(ps->head, prior.head, WB_HASH_LEN);
        } else if (rc == WB_ERR_NOT_FOUND) {
            memset(ps->prev_pos, 0, sizeof ps->prev_pos);
            memset(ps->head, 0, sizeof ps->head);
        } else {
            return rc;
        }
        const char *bad = NULL;
        if (st->count - ps->in_block != prior_count)
            bad = "count does not follow the stored count";
        else if (st->first_height != first_height)
            bad = "first height differs from the stored one";
        else if (rc == WB_OK && st->reg_index != prior.reg_index)
            bad = "registration index differs from the stored one";
        if (bad) {
            snprintf(why, sizeof why, "state of item %s: %s", st->item, bad);
            return append_refuse(c->b, why);
        }
    }
    return WB_OK;
}

/* The items the block registers take the next registration indexes in
 * the order of their first events in the block: the kth new item met is
 * number n + k, n the items stored before the block (the entries of
 * items_reg). Runs after append_check_prior, which marks them new; lists
 * them in c->news in that (ascending) order for the items_reg appends. */
static int append_check_reg(struct store *s, MDB_txn *txn, struct append_ctx *c)
{
    c->n_new = 0;
    uint64_t next = 0;
    bool counted = false;
    for (size_t i = 0; i < c->b->event_count; i++) {
        uint32_t j = c->state_of[i];
        struct append_state *ps = &c->per_state[j];
        if (!ps->is_new || ps->reg_seen) continue;
        ps->reg_seen = true;
        if (!counted) {
            int rc = store__reg_count_txn(s, txn, &next);
            if (rc) return rc;
            counted = true;
        }
        const struct ledger_item_state *st = &c->states[j];
        if (st->reg_index != next) {
            char why[384];
            snprintf(why, sizeof why,
                     "state of item %s, registered by event %zu: registration index %llu, but "
                     "the next one is %llu (%llu items stored, %zu registered before it in "
                     "the block)",
                     st->item, i, (unsigned long long)st->reg_index, (unsigned long long)next,
                     (unsigned long long)(next - c->n_new), c->n_new);
            return append_refuse(c->b, why);
        }
        c->news[c->n_new].reg_index = next++;
        c->news[c->n_new].state = j;
        c->n_new++;
    }
    return WB_OK;
}

/* The chain of each item: every event's prev is its item's head before it
 * (the stored head for the item's first event in the block, the previous
 * event of the item in the block after that), and the first event of an
 * item without a stored state has no prev. An event already stored fails
 * this (its item's head moved past it), so no id index is probed. Runs
 * after append_check_prior, which sets the stored heads; moves them on. */
static int append_check_links(struct append_ctx *c)
{
    const struct ledger_block *b = c->b;
    char why[384], want[17], got[17];
    for (size_t i = 0; i < b->event_count; i++) {
        struct append_state *ps = &c->per_state[c->state_of[i]];
        const struct append_prev *pv = &c->prevs[i];
        const char *item = c->states[c->state_of[i]].item;
        if (!ps->has_head && pv->has) {
            snprintf(why, sizeof why,
                     "event %zu of item %s names prev %s..., but the item has no event before it",
                     i, item, wb_hex_encode(pv->id, 8, got, sizeof got));
            return append_refuse(b, why);
        }
        if (ps->has_head && !pv->has) {
            snprintf(why, sizeof why,
                     "event %zu of item %s names no prev, but the item's head is %s... (an "
                     "event already stored?)",
                     i, item, wb_hex_encode(ps->head, 8, want, sizeof want));
            return append_refuse(b, why);
        }
        if (ps->has_head && memcmp(pv->id, ps->head, WB_HASH_LEN) != 0) {
            snprintf(why, sizeof why,
                     "event %zu of item %s: prev %s... is not the item's head %s... before it "
                     "(an event already stored?)",
                     i, item, wb_hex_encode(pv->id, 8, got, sizeof got),
                     wb_hex_encode(ps->head, 8, want, sizeof want));
            return append_refuse(b, why);
        }
        ps->has_head = true;
        memcpy(ps->head, c->ids[i], WB_HASH_LEN);
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

/* Event i of the block: its event_log record at (height, i), appended at
 * the end of the log, with the position of the item's previous event, and
 * (epoch, id prefix) -> position in event_ids. */
static int append_event(struct store *s, MDB_txn *txn, struct append_ctx *c, uint32_t i)
{
    const struct ledger_block *b = c->b;
    const uint8_t *id = c->ids[i];
    struct append_state *ps = &c->per_state[c->state_of[i]];
    uint8_t pos[STORE__POS_LEN], rec[STORE__LOG_VAL_LEN];
    store__pos_put(pos, b->header.height, i);
    memcpy(rec, id, WB_HASH_LEN);
    memcpy(rec + WB_HASH_LEN, ps->prev_pos, STORE__POS_LEN);
    /* A key at or after this position would mean meta "last" is behind: corrupt. */
    int rc = append_put(txn, s->dbi[STORE__DB_EVENT_LOG], pos, sizeof pos, rec, sizeof rec,
                        MDB_APPEND, "put event log", WB_ERR_STORE);
    if (rc) return rc;
    memcpy(ps->prev_pos, pos, sizeof pos);
    /* Positions grow: the new one goes last among its key's duplicates. */
    uint8_t key[STORE__ID_KEY_LEN];
    store__id_key_put(key, c->epoch, id);
    return append_put(txn, s->dbi[STORE__DB_EVENT_IDS], key, sizeof key, pos, sizeof pos,
                      MDB_NODUPDATA, "put event id", WB_ERR_STORE);
}

/* The id epoch of this block (c->epoch) and meta "id_epoch" after it: the
 * current epoch, or the next one when the block's events would take the
 * current one past s->id_epoch_events (a block never spans two epochs; one
 * larger than an epoch gets one of its own). An empty block changes nothing. */
static int append_id_epoch(struct store *s, MDB_txn *txn, struct append_ctx *c)
{
    uint32_t epoch, in_epoch;
    int rc = store__id_epoch_txn(s, txn, &epoch, &in_epoch);
    if (rc) return rc;
    c->epoch = epoch;
    const size_t n = c->b->event_count;
    if (n == 0) return WB_OK;
    if (in_epoch > 0 && (uint64_t)in_epoch + n > s->id_epoch_events) {
        if (epoch == UINT32_MAX) {
            WB_ERROR("store", "id epochs exhausted");
            return WB_ERR_STORE;
        }
        c->epoch = ++epoch;
        in_epoch = 0;
    }
    /* n <= UINT32_MAX (append_run); with in_epoch > 0 the sum is at most
     * id_epoch_events. */
    in_epoch += (uint32_t)n;
    uint8_t val[STORE__ID_EPOCH_LEN];
    wb_put_u32be(val, epoch);
    wb_put_u32be(val + 4, in_epoch);
    return store__put(txn, s->dbi[STORE__DB_META], STORE__META_ID_EPOCH,
                      strlen(STORE__META_ID_EPOCH), val, sizeof val, 0, "put id epoch");
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
    if (rc == WB_OK) rc = append_check_reg(s, txn, c);
    if (rc == WB_OK) rc = append_check_links(c);
    if (rc == WB_OK) rc = append_id_epoch(s, txn, c);
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

    for (size_t i = 0; i < b->event_count && rc == WB_OK; i++)
        rc = append_event(s, txn, c, (uint32_t)i);
    if (rc) return rc;

    for (size_t j = 0; j < c->n_states; j++) {
        /* The head's position, then the state. */
        uint8_t buf[STORE__ITEM_POS_LEN + STORE_ITEM_STATE_BUF];
        size_t len;
        store__pos_put(buf, height, c->per_state[j].last_event);
        rc = ledger_item_state_encode(&c->states[j], buf + STORE__ITEM_POS_LEN,
                                      STORE_ITEM_STATE_BUF, &len);
        if (rc) return append_refuse(b, "an item state does not encode");
        rc = store__put(txn, s->dbi[STORE__DB_ITEMS], c->states[j].item,
                        strlen(c->states[j].item), buf, STORE__ITEM_POS_LEN + len, 0,
                        "put item state");
        if (rc) return rc;
    }
    /* The new items' indexes, ascending (append_check_reg): each one after
     * the last key, so a key already there means the count was wrong: corrupt. */
    for (size_t k = 0; k < c->n_new; k++) {
        const char *item = c->states[c->news[k].state].item;
        uint8_t rkey[STORE__REG_KEY_LEN];
        wb_put_u64be(rkey, c->news[k].reg_index);
        rc = append_put(txn, s->dbi[STORE__DB_ITEMS_REG], rkey, sizeof rkey, item, strlen(item),
                        MDB_APPEND, "put registration index", WB_ERR_STORE);
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
    c.news = calloc(n_states ? n_states : 1, sizeof c.news[0]);
    if (!c.news) goto free_own;
    c.prevs = calloc(b->event_count ? b->event_count : 1, sizeof c.prevs[0]);
    if (!c.prevs) goto free_own;
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
    if (rc == WB_OK) rc = given ? append_find_prevs(&c) : append_open_events(&c);
    if (rc == WB_OK) rc = append_check_states(&c);
    if (rc == WB_OK) rc = store__write(s, append_body, &c, 0, "append block");
    if (rc == WB_OK)
        WB_DEBUG("store", "h=%llu appended, %zu events, %zu items",
                 (unsigned long long)b->header.height, b->event_count, n_states);

free_own:
    free(c.news);
    free(c.prevs);
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
