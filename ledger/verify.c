/* The customs verifier (DESIGN.md section 8): replays an item's proof bundle
 * against genesis alone, event by event, naming the first check that fails. */
#include "ledger/verify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/canon.h"
#include "ledger/cert.h"
#include "ledger/event.h"
#include "ledger/freshness.h"
#include "ledger/gov.h"
#include "ledger/gov_history.h"
#include "ledger/merkle.h"
#include "ledger/rules.h"
#include "ledger/sigcheck.h"
#include "proto/waybill.pb-c.h"

/* Bounds on one bundle: an item's history is long but never unbounded. */
#define VERIFY_EVENTS_MAX (1u << 20)
#define VERIFY_DETAIL_MAX 384

struct verify_block {
    const Waybill__ProofBlock *pb;
    bool checked;                         /* every check of check_block passed */
    struct ledger_block_header header;    /* valid once checked */
    uint8_t hash[WB_HASH_LEN];            /* SHA-256 of the header bytes, once checked */
};

struct verify_run {
    const struct ledger_genesis *g;
    ledger_verify_event_fn cb;
    void *cb_ctx;
    struct ledger_verify_result *res;
    struct verify_block *blocks;          /* sorted by height */
    size_t n_blocks;
    const struct wb_executor *ex;         /* for the up-front signature checks; or NULL */
    struct ledger_sigcheck *sigs;         /* per bundle event, checked up front; or NULL */
    /* Item mode: the governance history the bundle carried, or NULL. */
    const struct ledger_gov_history *hist;
    /* Governance mode: the history replayed into, the running state (after
     * the events so far) and the height of the block being replayed. */
    struct ledger_gov_history *gov_out;
    struct ledger_gov *gv;
    uint64_t gov_block;
};

/* The governance state in effect for the events of block `height`, or NULL
 * (no governance: genesis judges). */
static const struct ledger_gov *block_gov(const struct verify_run *run, uint64_t height)
{
    if (run->gov_out) return ledger_gov_history_at(run->gov_out, height);
    if (run->hist) return ledger_gov_history_at(run->hist, height);
    return NULL;
}

/* The validator set that signs `height`, or NULL (genesis's). For a height
 * past what the history knows the last set it knows: a change it omits
 * makes that height's certificate fail. */
static const struct ledger_gov_epoch *block_set(const struct verify_run *run, uint64_t height)
{
    const struct ledger_gov *gv = run->gv;
    if (!gv && run->hist) gv = ledger_gov_history_last(run->hist);
    if (!gv) return NULL;
    const struct ledger_gov_epoch *e;
    bool final = ledger_gov_validators_at(gv, height, &e);
    (void)final;
    return e;
}

static int cert_check(const struct verify_run *run, const Waybill__CommitCert *cert,
                      uint64_t height, const uint8_t hash[WB_HASH_LEN], char *why,
                      size_t why_len)
{
    const struct ledger_gov_epoch *e = block_set(run, height);
    if (!e) return ledger_cert_verify(run->g, cert, height, hash, why, why_len);
    uint8_t keys[WB_VALIDATORS_MAX][WB_PUBKEY_LEN];
    for (size_t i = 0; i < e->count; i++) memcpy(keys[i], e->validators[i].key, WB_PUBKEY_LEN);
    return ledger_cert_verify_set(run->g->chain_id, (const uint8_t(*)[WB_PUBKEY_LEN])keys,
                                  e->count, cert, height, hash, why, why_len);
}

/* What the report says about the event being checked. */
struct verify_event_view {
    size_t index;
    const struct ledger_event *ev;        /* NULL until it decoded */
    char id_hex[9];                       /* short id, "?" if the bytes did not split */
    const char *org;
    uint64_t height;
    uint32_t pos;
};

static void set_check(struct ledger_verify_result *res, const char *check)
{
    snprintf(res->failed_check, sizeof res->failed_check, "%s", check);
}

static int bundle_fail(struct ledger_verify_result *res, int rc, const char *check,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int bundle_fail(struct ledger_verify_result *res, int rc, const char *check,
                       const char *fmt, ...)
{
    char detail[VERIFY_DETAIL_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    res->ok = false;
    res->failed_event = -1;
    set_check(res, check);
    snprintf(res->message, sizeof res->message, "bundle: %s: %s", check, detail);
    return rc;
}

static int event_fail(struct verify_run *run, const struct verify_event_view *v,
                      const char *check, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int event_fail(struct verify_run *run, const struct verify_event_view *v,
                      const char *check, const char *fmt, ...)
{
    char detail[VERIFY_DETAIL_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    struct ledger_verify_result *res = run->res;
    const char *act = v->ev ? ledger_action_name(v->ev->action) : NULL;
    res->ok = false;
    res->failed_event = (long)v->index;
    set_check(res, check);
    snprintf(res->message, sizeof res->message, "event %zu (%s, %s): %s: %s", v->index,
             v->id_hex, act ? act : "?", check, detail);
    if (run->cb)
        run->cb(run->cb_ctx, v->index, v->ev, v->org, v->height, v->pos, false, false, check,
                detail, NULL, NULL);
    return WB_ERR_VERIFY;
}

static int block_cmp(const void *a, const void *b)
{
    uint64_t x = ((const struct verify_block *)a)->pb->height;
    uint64_t y = ((const struct verify_block *)b)->pb->height;
    return x < y ? -1 : x > y;
}

static struct verify_block *find_block(struct verify_run *run, uint64_t height)
{
    size_t lo = 0, hi = run->n_blocks;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint64_t h = run->blocks[mid].pb->height;
        if (h == height) return &run->blocks[mid];
        if (h < height) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

/* The links between two blocks next to each other in the bundle's height
 * order: lower (checked already) is below upper. */
static int check_link(const struct verify_block *lower, const struct verify_block *upper,
                      const char **check, char *detail, size_t detail_len)
{
    unsigned long long hl = (unsigned long long)lower->header.height;
    unsigned long long hu = (unsigned long long)upper->header.height;
    char a[17], c[17];
    if (hu == hl + 1 && memcmp(upper->header.prev_hash, lower->hash, WB_HASH_LEN) != 0) {
        *check = VERIFY_CHECK_PREV_HASH;
        snprintf(detail, detail_len,
                 "block %llu names previous block %s..., but block %llu in the bundle is "
                 "%s...",
                 hu, wb_hex_encode(upper->header.prev_hash, 8, a, sizeof a), hl,
                 wb_hex_encode(lower->hash, 8, c, sizeof c));
        return WB_ERR_VERIFY;
    }
    if (upper->header.time_ms <= lower->header.time_ms) {
        *check = VERIFY_CHECK_TIME_ORDER;
        snprintf(detail, detail_len,
                 "block %llu has time %lld ms, not after block %llu's time %lld ms", hu,
                 (long long)upper->header.time_ms, hl, (long long)lower->header.time_ms);
        return WB_ERR_VERIFY;
    }
    return WB_OK;
}

/* Every header field and the certificate of one block, then its links to
 * the block below it in the bundle, if that one was checked. On failure
 * writes check and detail. */
static int check_block(struct verify_run *run, struct verify_block *vb, const char **check,
                       char *detail, size_t detail_len)
{
    const Waybill__ProofBlock *pb = vb->pb;
    const struct ledger_genesis *g = run->g;
    const struct ledger_block_header *h = &vb->header;
    unsigned long long height = (unsigned long long)pb->height;
    char a[17], c[17], why[VERIFY_DETAIL_MAX];
    *check = VERIFY_CHECK_HEADER;
    why[0] = '\0';
    if (ledger_header_parse(pb->header.data, pb->header.len, &vb->header, why, sizeof why)) {
        snprintf(detail, detail_len, "block %llu: %s", height,
                 why[0] ? why : "the header does not decode");
        return WB_ERR_VERIFY;
    }
    *check = VERIFY_CHECK_VERSION;
    if (ledger_header_check_version(h, g->header_version, why, sizeof why)) {
        snprintf(detail, detail_len, "block %llu: %s", height, why);
        return WB_ERR_VERIFY;
    }
    *check = VERIFY_CHECK_CHAIN_ID;
    if (memcmp(h->chain_id, g->chain_id, WB_CHAIN_ID_LEN) != 0) {
        snprintf(detail, detail_len,
                 "block %llu is from another chain (chain id %s..., genesis says %s...)",
                 height, wb_hex_encode(h->chain_id, 8, a, sizeof a),
                 wb_hex_encode(g->chain_id, 8, c, sizeof c));
        return WB_ERR_VERIFY;
    }
    *check = VERIFY_CHECK_HEIGHT;
    if (h->height != pb->height) {
        snprintf(detail, detail_len, "the block listed at height %llu has a header of height "
                 "%llu", height, (unsigned long long)h->height);
        return WB_ERR_VERIFY;
    }
    if (h->height == 0) {
        snprintf(detail, detail_len, "a block at height 0; the first block is at height 1");
        return WB_ERR_VERIFY;
    }
    *check = VERIFY_CHECK_ZERO_PREV;
    static const uint8_t zeros[WB_HASH_LEN];
    if (h->height == 1 && memcmp(h->prev_hash, zeros, WB_HASH_LEN) != 0) {
        snprintf(detail, detail_len,
                 "block 1 names previous block %s..., but the first block's previous hash "
                 "is 32 zero bytes",
                 wb_hex_encode(h->prev_hash, 8, a, sizeof a));
        return WB_ERR_VERIFY;
    }
    *check = VERIFY_CHECK_PROPOSER;
    const struct ledger_gov_epoch *set = block_set(run, h->height);
    size_t nval = set ? set->count : g->validator_count;
    if (h->proposer >= nval) {
        snprintf(detail, detail_len,
                 "block %llu names proposer %u, but %s lists %zu validators (0 to %zu)", height,
                 (unsigned)h->proposer, set ? "the set of its height" : "genesis", nval,
                 nval ? nval - 1 : 0);
        return WB_ERR_VERIFY;
    }
    *check = VERIFY_CHECK_CERT;
    if (!pb->cert) {
        snprintf(detail, detail_len, "block %llu has no commit certificate", height);
        return WB_ERR_VERIFY;
    }
    ledger_sha256(pb->header.data, pb->header.len, vb->hash);
    why[0] = '\0';
    if (cert_check(run, pb->cert, pb->height, vb->hash, why, sizeof why)) {
        snprintf(detail, detail_len, "block %llu: %s", height, why);
        return WB_ERR_VERIFY;
    }
    /* Blocks are sorted by height and checked in that order (events go up
     * in height, or prev-link fails first), so comparing each with the one
     * below it, when that one was checked, covers every pair next to each
     * other in a bundle that verifies: a block skipped is unreferenced. */
    size_t k = (size_t)(vb - run->blocks);
    if (k > 0 && run->blocks[k - 1].checked &&
        check_link(&run->blocks[k - 1], vb, check, detail, detail_len))
        return WB_ERR_VERIFY;
    vb->checked = true;
    run->res->blocks_checked++;
    return WB_OK;
}

/* The event's place in its block: index and audit path fit the header's
 * event count (event-count), and the path leads to its events root
 * (inclusion). On failure writes check and detail. */
static int check_inclusion(const Waybill__ProofEvent *pe, const struct ledger_block_header *h,
                           const char **check, char *detail, size_t detail_len)
{
    *check = VERIFY_CHECK_EVENT_COUNT;
    if (pe->index >= h->event_count) {
        snprintf(detail, detail_len, "index %u is outside block %llu, which holds %u events",
                 (unsigned)pe->index, (unsigned long long)pe->height,
                 (unsigned)h->event_count);
        return WB_ERR_VERIFY;
    }
    size_t want = merkle_audit_path_len(pe->index, h->event_count);
    if (pe->n_audit_path != want) {
        snprintf(detail, detail_len,
                 "audit path has %zu hashes, but index %u of block %llu's %u events needs %zu",
                 pe->n_audit_path, (unsigned)pe->index, (unsigned long long)pe->height,
                 (unsigned)h->event_count, want);
        return WB_ERR_VERIFY;
    }
    *check = VERIFY_CHECK_INCLUSION;
    uint8_t path[MERKLE_PATH_MAX][MERKLE_HASH_LEN];
    for (size_t k = 0; k < pe->n_audit_path; k++) {
        if (pe->audit_path[k].len != MERKLE_HASH_LEN) {
            snprintf(detail, detail_len, "audit path element %zu has %zu bytes, expected %d",
                     k, pe->audit_path[k].len, MERKLE_HASH_LEN);
            return WB_ERR_VERIFY;
        }
        memcpy(path[k], pe->audit_path[k].data, MERKLE_HASH_LEN);
    }
    uint8_t leaf[MERKLE_HASH_LEN];
    merkle_leaf_hash(pe->signed_event.data, pe->signed_event.len, leaf);
    if (merkle_verify(leaf, pe->index, h->event_count, (const uint8_t(*)[MERKLE_HASH_LEN])path,
                      pe->n_audit_path, h->events_root)) {
        snprintf(detail, detail_len,
                 "audit path for index %u does not lead to the events root of block %llu",
                 (unsigned)pe->index, (unsigned long long)pe->height);
        return WB_ERR_VERIFY;
    }
    return WB_OK;
}

/* "3 days", "2 h", "5 min", "40 s", "200 ms": how long after `since` an event was
 * signed. */
static void span_text(int64_t ms, char *out, size_t len)
{
    long long s = (long long)(ms / 1000);
    if (s >= 2 * 86400) snprintf(out, len, "%lld days", s / 86400);
    else if (s >= 2 * 3600) snprintf(out, len, "%lld h", s / 3600);
    else if (s >= 120) snprintf(out, len, "%lld min", s / 60);
    else if (s >= 1) snprintf(out, len, "%lld s", s);
    else snprintf(out, len, "%lld ms", (long long)ms);
}

/* Whether an accepted event is to be marked: its key was revoked (after
 * the event's block) as compromised with a `since` at or before the
 * event's time. Writes the mark. */
static bool event_mark(const struct verify_run *run, const struct ledger_event *ev, char *out,
                       size_t len)
{
    if (!run->hist) return false;
    const struct ledger_gov_key *k =
        ledger_gov_key_find(ledger_gov_history_last(run->hist), ev->submitter);
    if (!k || k->revoked != LEDGER_REVOKE_COMPROMISED || k->org_removed) return false;
    if (ev->time_ms < k->since_ms) return false;
    char span[32], since[LEDGER_TIME_MAX];
    span_text(ev->time_ms - k->since_ms, span, sizeof span);
    ledger_time_format(k->since_ms, since);
    snprintf(out, len,
             "signed %s after %s, since when its key is not trusted (revoked as compromised at "
             "height %llu)",
             span, since, (unsigned long long)k->revoked_height);
    return true;
}

/* Runs every check on bundle event i; on success advances *st. */
static int verify_event(struct verify_run *run, const Waybill__ProofBundle *bundle,
                        const char *item, size_t i, struct ledger_event *ev,
                        struct ledger_item_state *st, const Waybill__ProofEvent *prev_pe,
                        const uint8_t prev_id[WB_HASH_LEN])
{
    const Waybill__ProofEvent *pe = bundle->events[i];
    const struct ledger_genesis *g = run->g;
    char detail[VERIFY_DETAIL_MAX], h1[9], h2[9];
    struct verify_event_view v = {.index = i, .ev = NULL, .org = NULL};
    snprintf(v.id_hex, sizeof v.id_hex, "?");
    if (!pe) return event_fail(run, &v, VERIFY_CHECK_DECODE, "proof event is empty");
    v.height = pe->height;
    v.pos = pe->index;

    /* decode + signature: the event opens */
    const uint8_t *body;
    size_t body_len;
    uint8_t sig[WB_SIG_LEN], id[WB_HASH_LEN];
    if (ledger_signed_event_split(pe->signed_event.data, pe->signed_event.len, &body,
                                  &body_len, sig))
        return event_fail(run, &v, VERIFY_CHECK_DECODE, "not a signed event");
    ledger_sha256(body, body_len, id);
    wb_hex_encode(id, 4, v.id_hex, sizeof v.id_hex);
    detail[0] = '\0';
    int rc = ledger_event_decode(body, body_len, ev, detail, sizeof detail);
    if (rc)
        return event_fail(run, &v, VERIFY_CHECK_DECODE, "%s",
                          detail[0] ? detail : wb_strerror(rc));
    v.ev = ev;
    /* The registry in effect for the event's block judges it (genesis
     * without governance). */
    const struct ledger_gov *gs = block_gov(run, pe->height);
    const struct ledger_genesis *reg = gs ? &gs->view : g;
    int org_i = ledger_genesis_org_of_key(reg, ev->submitter);
    if (org_i >= 0) v.org = reg->orgs[org_i].name;
    bool sig_ok = run->sigs && run->sigs[i].valid >= 0
                      ? run->sigs[i].valid == 1
                      : wb_event_sig_verify(g->chain_id, body, body_len, ev->submitter, sig) == 0;
    if (!sig_ok)
        return event_fail(run, &v, VERIFY_CHECK_SIGNATURE,
                          "the signature does not verify against submitter key %s...",
                          wb_hex_encode(ev->submitter, 4, h1, sizeof h1));
    if (gs && ledger_gov_key_refusal(gs, ev->submitter, detail, sizeof detail)) {
        const struct ledger_gov_key *k = ledger_gov_key_find(gs, ev->submitter);
        if (k) v.org = k->org;
        return event_fail(run, &v, VERIFY_CHECK_MEMBER, "signed by a revoked key in block %llu: %s",
                          (unsigned long long)pe->height, detail);
    }
    if (org_i < 0)
        return event_fail(run, &v, VERIFY_CHECK_MEMBER,
                          gs ? "submitter key %s... is not a member key at that height"
                             : "submitter key %s... is not a member key in genesis",
                          wb_hex_encode(ev->submitter, 4, h1, sizeof h1));
    if (strcmp(ev->item, item) != 0)
        return event_fail(run, &v, VERIFY_CHECK_ITEM, "the event is about item %s, not %s",
                          ev->item, item);

    /* prev link and ledger order */
    if (!prev_pe) {
        if (!run->gov_out && ev->action != LEDGER_COMMISSION)
            return event_fail(run, &v, VERIFY_CHECK_PREV,
                              "the first event must be commission; the chain does not reach "
                              "back to the item's commissioning");
        if (ev->has_prev)
            return event_fail(run, &v, VERIFY_CHECK_PREV,
                              "the first event must have no prev, but it points to %s...",
                              wb_hex_encode(ev->prev, 4, h1, sizeof h1));
    } else {
        if (!ev->has_prev)
            return event_fail(run, &v, VERIFY_CHECK_PREV,
                              "prev is missing; it must be the previous event %s...",
                              wb_hex_encode(prev_id, 4, h1, sizeof h1));
        if (memcmp(ev->prev, prev_id, WB_HASH_LEN) != 0)
            return event_fail(run, &v, VERIFY_CHECK_PREV,
                              "prev is %s..., but the previous event in the bundle is %s... "
                              "(an event is missing or out of order)",
                              wb_hex_encode(ev->prev, 4, h1, sizeof h1),
                              wb_hex_encode(prev_id, 4, h2, sizeof h2));
        if (pe->height < prev_pe->height ||
            (pe->height == prev_pe->height && pe->index <= prev_pe->index))
            return event_fail(run, &v, VERIFY_CHECK_PREV,
                              "recorded at height %llu index %u, not after its prev at height "
                              "%llu index %u",
                              (unsigned long long)pe->height, (unsigned)pe->index,
                              (unsigned long long)prev_pe->height, (unsigned)prev_pe->index);
    }

    /* its block: header, certificate, then inclusion */
    struct verify_block *vb = find_block(run, pe->height);
    if (!vb)
        return event_fail(run, &v, VERIFY_CHECK_HEADER,
                          "its block at height %llu is not in the bundle",
                          (unsigned long long)pe->height);
    if (!vb->checked) {
        const char *check;
        if (check_block(run, vb, &check, detail, sizeof detail))
            return event_fail(run, &v, check, "%s", detail);
    }
    const char *place_check;
    if (check_inclusion(pe, &vb->header, &place_check, detail, sizeof detail))
        return event_fail(run, &v, place_check, "%s", detail);

    /* The ledger rules over the state the bundle itself builds, after the
     * block checks: the time rules judge against the certified block time. */
    if (ledger_rules_check(st, ev, reg, gs, vb->header.time_ms, detail, sizeof detail, NULL))
        return event_fail(run, &v, VERIFY_CHECK_RULES, "%s", detail);
    if (run->gov_out) {
        if (ledger_gov_check(run->gv, ev, pe->height, vb->header.time_ms, detail, sizeof detail))
            return event_fail(run, &v, VERIFY_CHECK_RULES, "%s", detail);
        if (ledger_gov_apply(run->gv, ev, pe->height, vb->header.time_ms, NULL))
            return bundle_fail(run->res, WB_ERR_NOMEM, VERIFY_CHECK_DECODE, "out of memory");
    }
    bool late = ledger_rules_out_of_order(st, ev);
    if (late) run->res->events_out_of_order++;

    char mark[VERIFY_DETAIL_MAX];
    bool marked = event_mark(run, ev, mark, sizeof mark);
    if (marked) run->res->events_marked++;
    ledger_rules_apply(st, ev, reg, pe->height);
    if (run->cb)
        run->cb(run->cb_ctx, i, ev, v.org, v.height, v.pos, late, true, NULL, NULL,
                marked ? mark : NULL, gs);
    return WB_OK;
}

static int verify_run_events(struct verify_run *run, const Waybill__ProofBundle *bundle,
                             const char *item)
{
    struct ledger_verify_result *res = run->res;
    struct ledger_event *ev = malloc(sizeof *ev);
    if (!ev) return bundle_fail(res, WB_ERR_NOMEM, VERIFY_CHECK_DECODE, "out of memory");
    /* With an executor, the signatures first, as its jobs: the replay below
     * then only looks the results up, and reports failures in the same
     * order as without. Without one, or without memory for the results,
     * the replay checks each signature itself, one by one. */
    if (run->ex) run->sigs = calloc(bundle->n_events, sizeof *run->sigs);
    if (run->sigs) {
        for (size_t i = 0; i < bundle->n_events; i++) {
            if (!bundle->events[i]) continue;
            run->sigs[i].signed_event = bundle->events[i]->signed_event.data;
            run->sigs[i].len = bundle->events[i]->signed_event.len;
        }
        ledger_sigcheck_run(run->g->chain_id, run->sigs, bundle->n_events, run->ex);
    }
    struct ledger_item_state st;
    memset(&st, 0, sizeof st);
    uint8_t prev_id[WB_HASH_LEN] = {0};
    const Waybill__ProofEvent *prev_pe = NULL;
    int rc = WB_OK;
    for (size_t i = 0; i < bundle->n_events; i++) {
        /* Governance mode: entering a new block, the state after the one
         * before becomes its snapshot (the state in effect for this one). */
        const Waybill__ProofEvent *pe = bundle->events[i];
        if (run->gov_out && pe && pe->height != run->gov_block) {
            if (run->gov_block && ledger_gov_history_push(run->gov_out, run->gov_block, run->gv)) {
                rc = bundle_fail(res, WB_ERR_NOMEM, VERIFY_CHECK_DECODE, "out of memory");
                break;
            }
            run->gov_block = pe->height;
        }
        rc = verify_event(run, bundle, item, i, ev, &st, prev_pe, prev_id);
        if (rc) break;
        memcpy(prev_id, ev->id, WB_HASH_LEN);
        prev_pe = bundle->events[i];
        res->events_checked++;
        res->state = st;
    }
    free(ev);
    free(run->sigs);
    run->sigs = NULL;
    if (rc) return rc;

    /* A block no event refers to proves nothing about the item, and a
     * verified bundle holds nothing unchecked: refused (the lowest such). */
    for (size_t k = 0; k < run->n_blocks; k++) {
        if (run->blocks[k].checked) continue;
        return bundle_fail(res, WB_ERR_VERIFY, VERIFY_CHECK_UNREFERENCED,
                           "block %llu is in the bundle, but none of its events is",
                           (unsigned long long)run->blocks[k].pb->height);
    }
    return WB_OK;
}

/* After the events verified: the freshness proof, or why completeness is
 * not proven. */
static int verify_freshness(const struct verify_run *run, const Waybill__ProofBundle *pb,
                            const char *item, struct ledger_verify_result *res)
{
    const struct ledger_genesis *g = run->g;
    res->complete = false;
    if (!pb->freshness) {
        snprintf(res->completeness, sizeof res->completeness, "%s",
                 g->header_version == WB_BLOCK_VERSION_STATE
                     ? "the bundle carries no freshness proof"
                     : "this chain's block headers (version 1) commit to no item state");
        return WB_OK;
    }
    const struct ledger_item_state *st = &res->state;
    struct ledger_fresh_events fe = {
        .item = item,
        .count = st->count,
        .first_height = pb->events[0]->height,
        .last_height = pb->events[pb->n_events - 1]->height,
        /* The governance chain's leaf is matched by its head and count. */
        .state = run->gov_out ? NULL : st,
    };
    memcpy(fe.head, st->head, WB_HASH_LEN);
    char why[VERIFY_DETAIL_MAX];
    if (ledger_freshness_verify_set(g, block_set(run, pb->freshness->height), pb->freshness, &fe,
                                    &res->fresh, why, sizeof why))
        return bundle_fail(res, WB_ERR_VERIFY, VERIFY_CHECK_FRESHNESS, "%s", why);
    res->complete = true;
    return WB_OK;
}

/* Everything after the decode: the item, the blocks, the events, the
 * freshness proof. */
static int verify_decoded(struct verify_run *run, const Waybill__ProofBundle *pb,
                          const char *item)
{
    struct ledger_verify_result *res = run->res;
    int rc;
    if (!item) item = pb->item;
    if (!item[0]) return bundle_fail(res, WB_ERR_VERIFY, VERIFY_CHECK_ITEM, "the bundle names no item");
    if (strcmp(pb->item, item) != 0)
        return bundle_fail(res, WB_ERR_VERIFY, VERIFY_CHECK_ITEM,
                           "the bundle is for item %s, not %s", pb->item, item);
    if (pb->n_events == 0)
        return bundle_fail(res, WB_ERR_VERIFY, VERIFY_CHECK_PREV,
                           "the bundle holds no events for item %s", item);
    if (pb->n_events > VERIFY_EVENTS_MAX || pb->n_blocks > VERIFY_EVENTS_MAX)
        return bundle_fail(res, WB_ERR_VERIFY, VERIFY_CHECK_DECODE,
                           "the bundle holds %zu events and %zu blocks, at most %u each",
                           pb->n_events, pb->n_blocks, VERIFY_EVENTS_MAX);
    if (pb->n_blocks) {
        run->blocks = calloc(pb->n_blocks, sizeof *run->blocks);
        if (!run->blocks) return bundle_fail(res, WB_ERR_NOMEM, VERIFY_CHECK_DECODE, "out of memory");
    }
    for (size_t k = 0; k < pb->n_blocks; k++) {
        if (!pb->blocks[k]) {
            rc = bundle_fail(res, WB_ERR_VERIFY, VERIFY_CHECK_HEADER, "block %zu is empty", k);
            goto free_blocks;
        }
        run->blocks[k].pb = pb->blocks[k];
    }
    run->n_blocks = pb->n_blocks;
    if (run->n_blocks) qsort(run->blocks, run->n_blocks, sizeof *run->blocks, block_cmp);
    for (size_t k = 1; k < run->n_blocks; k++) {
        if (run->blocks[k].pb->height == run->blocks[k - 1].pb->height) {
            rc = bundle_fail(res, WB_ERR_VERIFY, VERIFY_CHECK_HEIGHT,
                             "the bundle holds two blocks at height %llu",
                             (unsigned long long)run->blocks[k].pb->height);
            goto free_blocks;
        }
    }
    rc = verify_run_events(run, pb, item);
    if (rc == WB_OK && run->gov_out && run->gov_block &&
        ledger_gov_history_push(run->gov_out, run->gov_block, run->gv))
        rc = bundle_fail(res, WB_ERR_NOMEM, VERIFY_CHECK_DECODE, "out of memory");
    if (rc == WB_OK) rc = verify_freshness(run, pb, item, res);
    if (rc == WB_OK) res->ok = true;
free_blocks:
    free(run->blocks);
    run->blocks = NULL;
    return rc;
}

/* The governance mode over the governance chain's bundle pb, replayed into
 * hist (at genesis); the callback as for an item's. */
static int gov_run(const struct ledger_genesis *g, const Waybill__ProofBundle *pb,
                   struct ledger_gov_history *hist, ledger_verify_event_fn cb, void *cb_ctx,
                   struct ledger_verify_result *res)
{
    if (pb->governance)
        return bundle_fail(res, WB_ERR_VERIFY, VERIFY_CHECK_GOVERNANCE,
                           "the governance chain's bundle carries a governance section of its "
                           "own");
    struct ledger_gov gv;
    if (ledger_gov_clone(&gv, ledger_gov_history_last(hist)))
        return bundle_fail(res, WB_ERR_NOMEM, VERIFY_CHECK_DECODE, "out of memory");
    struct verify_run run = {
        .g = g, .res = res, .gov_out = hist, .gv = &gv, .cb = cb, .cb_ctx = cb_ctx};
    int rc = verify_decoded(&run, pb, WB_GOV_CHAIN);
    ledger_gov_free(&gv);
    hist->events = res->events_checked;
    hist->complete = rc == WB_OK && res->complete;
    hist->complete_height = hist->complete ? res->fresh.height : 0;
    snprintf(hist->completeness, sizeof hist->completeness, "%s",
             hist->complete ? "" : res->completeness);
    return rc;
}

int ledger_verify_gov_bundle(const struct ledger_genesis *g, const Waybill__ProofBundle *pb,
                             struct ledger_gov_history *hist, struct ledger_verify_result *res)
{
    memset(res, 0, sizeof *res);
    res->failed_event = -1;
    return gov_run(g, pb, hist, NULL, NULL, res);
}

int ledger_gov_history_verify(const struct ledger_genesis *g, const Waybill__ProofBundle *b,
                              struct ledger_gov_history *out, char *msg, size_t msg_len)
{
    int rc = ledger_gov_history_init(out, g);
    if (rc) return wb_failf(rc, msg, msg_len, "out of memory");
    struct ledger_verify_result *res = malloc(sizeof *res);
    if (!res) return wb_failf(WB_ERR_NOMEM, msg, msg_len, "out of memory");
    rc = ledger_verify_gov_bundle(g, b, out, res);
    if (rc) snprintf(msg, msg_len, "governance %s", res->message);
    free(res);
    return rc;
}

/* The governance chain's own bundle, verified as a bundle of its item. */
static int verify_gov_chain(const struct ledger_genesis *g, const Waybill__ProofBundle *pb,
                            ledger_verify_event_fn cb, void *cb_ctx,
                            struct ledger_verify_result *res)
{
    struct ledger_gov_history *hist = malloc(sizeof *hist);
    if (!hist || ledger_gov_history_init(hist, g)) {
        free(hist);
        return bundle_fail(res, WB_ERR_NOMEM, VERIFY_CHECK_DECODE, "out of memory");
    }
    int rc = gov_run(g, pb, hist, cb, cb_ctx, res);
    if (rc == WB_OK) {
        res->gov_present = true;
        res->gov_events = hist->events;
        res->gov_complete = hist->complete;
        res->gov_height = hist->complete_height;
        snprintf(res->governance, sizeof res->governance,
                 "governance: this is the governance chain, %zu events from genesis",
                 hist->events);
    }
    ledger_gov_history_free(hist);
    free(hist);
    return rc;
}

/* The governance section, when the bundle has one: verified into *hist
 * (allocated here). */
static int verify_governance(const struct ledger_genesis *g, const Waybill__ProofBundle *pb,
                             struct ledger_gov_history **hist_out,
                             struct ledger_verify_result *res)
{
    *hist_out = NULL;
    if (!pb->governance) {
        snprintf(res->governance, sizeof res->governance,
                 "governance: none in the bundle (the genesis validators and members)");
        return WB_OK;
    }
    if (strcmp(pb->item, WB_GOV_CHAIN) == 0)
        return bundle_fail(res, WB_ERR_VERIFY, VERIFY_CHECK_GOVERNANCE,
                           "the governance chain's bundle carries a governance section of its "
                           "own");
    struct ledger_gov_history *hist = malloc(sizeof *hist);
    struct ledger_verify_result *sub = malloc(sizeof *sub);
    int rc = WB_ERR_NOMEM;
    if (!hist || !sub || ledger_gov_history_init(hist, g)) {
        free(hist);
        free(sub);
        return bundle_fail(res, rc, VERIFY_CHECK_DECODE, "out of memory");
    }
    rc = ledger_verify_gov_bundle(g, pb->governance, hist, sub);
    if (rc) {
        res->ok = false;
        res->failed_event = -1;
        set_check(res, sub->failed_check);
        snprintf(res->message, sizeof res->message, "governance %.*s", (int)sizeof res->message - 12,
                 sub->message);
        ledger_gov_history_free(hist);
        free(hist);
        free(sub);
        return rc;
    }
    res->gov_present = true;
    res->gov_events = hist->events;
    res->gov_complete = hist->complete;
    res->gov_height = hist->complete_height;
    if (hist->complete)
        snprintf(res->governance, sizeof res->governance,
                 "governance: %zu events from genesis, complete as of height %llu",
                 hist->events, (unsigned long long)hist->complete_height);
    else
        snprintf(res->governance, sizeof res->governance,
                 "governance: %zu events from genesis, not proven complete: %s", hist->events,
                 hist->completeness);
    free(sub);
    *hist_out = hist;
    return WB_OK;
}

int ledger_verify_bundle(const struct ledger_genesis *g, const char *item,
                         const uint8_t *bundle, size_t len, const struct wb_executor *ex,
                         ledger_verify_event_fn cb, void *cb_ctx,
                         struct ledger_verify_result *res)
{
    memset(res, 0, sizeof *res);
    res->failed_event = -1;
    Waybill__ProofBundle *pb = waybill__proof_bundle__unpack(NULL, len, bundle);
    if (!pb)
        return bundle_fail(res, WB_ERR_DECODE, VERIFY_CHECK_DECODE,
                           "the proof bundle does not decode");
    int rc;
    struct verify_run run = {.g = g, .ex = ex, .cb = cb, .cb_ctx = cb_ctx, .res = res};
    /* One bundle, one encoding: an unknown field (a flipped tag bit turns
     * an event into one) or any other encoding than the canonical one is
     * refused before anything else is looked at. */
    char why[VERIFY_DETAIL_MAX];
    struct ledger_gov_history *hist = NULL;
    if (ledger_pb_canonical(&pb->base, bundle, len, "proof bundle", why, sizeof why)) {
        rc = bundle_fail(res, WB_ERR_DECODE, VERIFY_CHECK_DECODE, "%s", why);
        goto free_bundle;
    }
    if (strcmp(pb->item, WB_GOV_CHAIN) == 0 && !pb->governance &&
        (!item || strcmp(item, WB_GOV_CHAIN) == 0)) {
        rc = verify_gov_chain(g, pb, cb, cb_ctx, res);
        goto free_bundle;
    }
    rc = verify_governance(g, pb, &hist, res);
    if (rc) goto free_bundle;
    run.hist = hist;
    rc = verify_decoded(&run, pb, item);
free_bundle:
    if (hist) {
        ledger_gov_history_free(hist);
        free(hist);
    }
    waybill__proof_bundle__free_unpacked(pb, NULL);
    return rc;
}
