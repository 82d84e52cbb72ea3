/* After the load: every node's chain holds the same blocks, and every
 * acknowledged event exactly once, counted from the blocks themselves;
 * sampled item histories match what was signed. The blocks checked start at
 * a given height: 1 for the whole chain, or where one load began. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/lg.h"
#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/event.h"
#include "node/idmap.h"
#include "proto/waybill.pb-c.h"

#define LG_CHECK_WINDOW 8            /* block queries in flight per node */
#define LG_CHECK_TIMEOUT_MS 60000

/* Where an acknowledged event lives: track t, event e. Stored in the idmap
 * as a non-NULL pointer-sized code. */
static void *code_of(size_t t, size_t e)
{
    return (void *)(uintptr_t)(((uint64_t)t << 40) + (uint64_t)e + 1);
}

static void decode_code(void *v, size_t *t, size_t *e)
{
    uint64_t c = (uint64_t)(uintptr_t)v - 1;
    *t = (size_t)(c >> 40);
    *e = (size_t)(c & ((UINT64_C(1) << 40) - 1));
}

struct check_ctx {
    struct lg *lg;
    struct lg_track *const *tracks;
    size_t ntracks;
    struct idmap *ids;
    uint16_t *seen[4];                /* per track: bit i = node i holds it */
    uint64_t from;                    /* the first height checked */
    uint8_t (*hashes)[WB_HASH_LEN];   /* node 0's block hashes, from `from` on */
    struct lg_check_res *out;
};

static void check_fail(struct check_ctx *c, const char *fmt, const char *node, uint64_t h)
{
    c->out->ok = false;
    if (!c->out->msg[0]) snprintf(c->out->msg, sizeof c->out->msg, fmt, node, (unsigned long long)h);
}

/* One block answer of node i for height h. */
static void check_block(struct check_ctx *c, size_t i, uint64_t h, Waybill__ClientResponse *r)
{
    const char *name = c->lg->node[i].name;
    if (r->code != 0 || r->resp_case != WAYBILL__CLIENT_RESPONSE__RESP_BLOCK || !r->block ||
        r->block->height != h || r->block->block_hash.len != WB_HASH_LEN) {
        check_fail(c, "node %s gave no block for height %llu", name, h);
        return;
    }
    struct ledger_block b;
    if (ledger_block_decode(r->block->block.data, r->block->block.len, &b) != WB_OK) {
        check_fail(c, "node %s: block %llu does not decode or its events root is wrong", name,
                   h);
        return;
    }
    if (memcmp(b.hash, r->block->block_hash.data, WB_HASH_LEN) != 0 || b.header.height != h)
        check_fail(c, "node %s: block %llu is not the block it names", name, h);
    if (i == 0) {
        memcpy(c->hashes[h - c->from], b.hash, WB_HASH_LEN);
    } else if (memcmp(c->hashes[h - c->from], b.hash, WB_HASH_LEN) != 0) {
        if (!c->out->hash_mismatch) c->out->first_mismatch = h;
        c->out->hash_mismatch++;
    }
    c->out->events_in_blocks[i] += b.event_count;
    for (size_t k = 0; k < b.event_count; k++) {
        const uint8_t *body;
        size_t body_len;
        uint8_t sig[WB_SIG_LEN], id[WB_HASH_LEN];
        if (ledger_signed_event_split(b.events[k], b.lens[k], &body, &body_len, sig) != WB_OK) {
            c->out->unexpected++;
            continue;
        }
        ledger_sha256(body, body_len, id);
        void *v = idmap_get(c->ids, id);
        if (!v) {
            c->out->unexpected++;
            continue;
        }
        size_t t, e;
        decode_code(v, &t, &e);
        uint16_t bit = (uint16_t)(1u << i);
        if (c->seen[t][e] & bit) c->out->duplicates++;
        c->seen[t][e] |= bit;
    }
    ledger_block_free(&b);
}

/* Fetches node i's blocks c->from .. c->from + count - 1 and checks each. */
static int fetch_blocks(struct check_ctx *c, size_t i, uint64_t count)
{
    struct lg *lg = c->lg;
    int slots[LG_CHECK_WINDOW];
    uint64_t sent = 0, done = 0;
    int64_t deadline = lg_now_ns() + (int64_t)LG_CHECK_TIMEOUT_MS * 1000000;
    while (done < count) {
        while (sent < count && sent - done < LG_CHECK_WINDOW) {
            Waybill__HeightRequest hr = WAYBILL__HEIGHT_REQUEST__INIT;
            hr.height = c->from + sent;
            Waybill__ClientRequest rq = WAYBILL__CLIENT_REQUEST__INIT;
            rq.req_case = WAYBILL__CLIENT_REQUEST__REQ_BLOCK;
            rq.block = &hr;
            int s = lg_rpc_send(lg, i, &rq);
            if (s < 0) return WB_ERR_IO;
            slots[sent % LG_CHECK_WINDOW] = s;
            sent++;
        }
        void *resp;
        int rc = lg_rpc_take(lg, slots[done % LG_CHECK_WINDOW], deadline, &resp);
        if (rc) return rc;
        check_block(c, i, c->from + done, resp);
        waybill__client_response__free_unpacked(resp, NULL);
        done++;
        c->out->blocks_fetched++;
    }
    return WB_OK;
}

/* Compares node i's history of item `item` of track t with what was signed
 * and acknowledged (the acknowledged events of an item are a prefix of its
 * chain). Returns true when it matches. */
static bool check_history(struct check_ctx *c, size_t i, size_t t, size_t item)
{
    struct lg *lg = c->lg;
    const struct lg_track *tr = c->tracks[t];
    const struct lg_load *ld = tr->load;
    size_t expect = 0;
    while (expect < ld->per_item && tr->state[item * ld->per_item + expect] == LG_EV_ACKED)
        expect++;
    Waybill__ItemRequest ir = WAYBILL__ITEM_REQUEST__INIT;
    ir.item = (char *)ld->item_ids[item];
    Waybill__ClientRequest rq = WAYBILL__CLIENT_REQUEST__INIT;
    rq.req_case = WAYBILL__CLIENT_REQUEST__REQ_HISTORY;
    rq.history = &ir;
    void *resp;
    if (lg_call(lg, i, &rq, &resp, LG_CHECK_TIMEOUT_MS) != WB_OK) return false;
    Waybill__ClientResponse *r = resp;
    bool ok = r->code == 0 && r->resp_case == WAYBILL__CLIENT_RESPONSE__RESP_HISTORY &&
              r->history && r->history->n_events == expect;
    for (size_t k = 0; ok && k < expect; k++) {
        const Waybill__HistoryEntry *he = r->history->events[k];
        const uint8_t *body;
        size_t body_len;
        uint8_t sig[WB_SIG_LEN], id[WB_HASH_LEN];
        if (ledger_signed_event_split(he->signed_event.data, he->signed_event.len, &body,
                                      &body_len, sig) != WB_OK) {
            ok = false;
            break;
        }
        ledger_sha256(body, body_len, id);
        size_t e = item * ld->per_item + k;
        ok = memcmp(id, ld->ids[e], WB_HASH_LEN) == 0 && he->height == tr->height[e];
    }
    if (!ok && !c->out->msg[0])
        snprintf(c->out->msg, sizeof c->out->msg,
                 "node %s: the history of item %s differs from the %zu events acknowledged",
                 lg->node[i].name, ld->item_ids[item], expect);
    waybill__client_response__free_unpacked(r, NULL);
    return ok;
}

int lg_check_all(struct lg *lg, struct lg_track *const *tracks, size_t ntracks,
                 size_t history_sample, uint64_t from_height, struct lg_check_res *out)
{
    memset(out, 0, sizeof *out);
    out->ok = true;
    int64_t t0 = lg_now_ns();
    if (ntracks == 0 || ntracks > 4 || from_height == 0) return WB_ERR_INVALID;
    struct check_ctx c = {.lg = lg, .tracks = tracks, .ntracks = ntracks, .out = out,
                          .from = from_height};
    int rc = lg_poll_status(lg, 10000);
    if (rc) return rc;
    uint64_t h = UINT64_MAX;
    for (size_t i = 0; i < lg->nodes; i++)
        if (lg->node[i].height < h) h = lg->node[i].height;
    out->from = from_height;
    out->height = h;
    /* Heights from..h; none when a node is below from. */
    uint64_t count = h >= from_height ? h - from_height + 1 : 0;

    size_t total = 0;
    for (size_t t = 0; t < ntracks; t++) total += tracks[t]->load->count;
    rc = idmap_create(total, &c.ids);
    if (rc) return rc;
    c.hashes = calloc(count ? count : 1, WB_HASH_LEN);
    if (!c.hashes) {
        rc = WB_ERR_NOMEM;
        goto free_ids;
    }
    for (size_t t = 0; t < ntracks; t++) {
        const struct lg_track *tr = tracks[t];
        c.seen[t] = calloc(tr->load->count, sizeof *c.seen[t]);
        if (!c.seen[t]) {
            rc = WB_ERR_NOMEM;
            goto free_seen;
        }
        for (size_t e = 0; e < tr->load->count; e++) {
            if (tr->state[e] != LG_EV_ACKED) continue;
            out->acked++;
            rc = idmap_put(c.ids, tr->load->ids[e], code_of(t, e));
            if (rc) goto free_seen;
        }
    }

    for (size_t i = 0; i < lg->nodes && rc == WB_OK; i++) rc = fetch_blocks(&c, i, count);
    if (rc) goto free_seen;
    for (size_t t = 0; t < ntracks; t++)
        for (size_t e = 0; e < tracks[t]->load->count; e++) {
            if (tracks[t]->state[e] != LG_EV_ACKED) continue;
            for (size_t i = 0; i < lg->nodes; i++)
                if (!(c.seen[t][e] & (1u << i))) out->missing++;
        }

    /* Histories: an even spread of the first track's items, every item of
     * the others. */
    for (size_t t = 0; t < ntracks; t++) {
        size_t items = tracks[t]->load->items;
        size_t n = t == 0 && history_sample < items ? history_sample : items;
        for (size_t s = 0; s < n; s++) {
            size_t item = s * items / n;
            for (size_t i = 0; i < lg->nodes; i++) {
                out->history_items++;
                if (!check_history(&c, i, t, item)) out->history_bad++;
                if (lg->failed) {
                    rc = WB_ERR_IO;
                    goto free_seen;
                }
            }
        }
    }

    if (out->hash_mismatch || out->missing || out->unexpected || out->duplicates ||
        out->history_bad)
        out->ok = false;
    if (!out->ok && !out->msg[0])
        snprintf(out->msg, sizeof out->msg,
                 "%llu heights with differing hashes (first %llu), %llu missing, %llu "
                 "unexpected, %llu duplicated events",
                 (unsigned long long)out->hash_mismatch, (unsigned long long)out->first_mismatch,
                 (unsigned long long)out->missing, (unsigned long long)out->unexpected,
                 (unsigned long long)out->duplicates);
free_seen:
    for (size_t t = 0; t < ntracks; t++) free(c.seen[t]);
    free(c.hashes);
free_ids:
    idmap_destroy(c.ids);
    out->seconds = (double)(lg_now_ns() - t0) / 1e9;
    return rc;
}
