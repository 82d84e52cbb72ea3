/* Fuzz target: consensus messages. The input is a script for a driver of one
 * core of the fixed 4-validator chain: PeerMessage bytes (decoded as the
 * node does, canonical encoding only, and checked to re-encode to
 * themselves; then cons_vote_from_pb / cons_proposal_from_pb, cons_step), timer firings,
 * answers to validation and build requests, block-sync notices, work for a
 * core that waits when idle (bit 7 of the first byte turns
 * cons_config.wait_for_work on) and re-delivery. After every step the
 * update is checked against cons.h. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wb_error.h"
#include "consensus/cons.h"
#include "fuzz_fixture.h"
#include "ledger/block.h"
#include "ledger/canon.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Script operations (op byte % OP_COUNT). */
enum op {
    OP_MESSAGE = 0,   /* u16 length, PeerMessage bytes */
    OP_MESSAGE2 = 1,  /* the same (messages are most of a real input) */
    OP_TIMEOUT = 2,   /* u8: which armed timer fires, 0 = the newest */
    OP_VALIDATED = 3, /* u8: which request, u8: verdict when the bytes decode */
    OP_BLOCK_READY = 4,
    OP_SYNCED = 5,    /* u8: height delta */
    OP_OWN = 6,       /* re-delivery: cons_own_messages */
    OP_CLOCK = 7,     /* u16: milliseconds forward */
    OP_WORK = 8,      /* u8: CONS_EV_WORK for the current height, or (% 4 == 3) the next */
    OP_COUNT = 9,
};

#define STEPS_MAX 128
#define MESSAGE_MAX 8192
#define TIMERS_KEPT 32
#define REQUESTS_KEPT 16
#define SIGNED_KEPT 512

static struct fx fixture;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fx_init(&fixture);
    return 0;
}

static void fail(const char *what)
{
    fprintf(stderr, "consensus target: %s\n", what);
    abort();
}

struct request {
    uint64_t height;
    uint8_t hash[WB_HASH_LEN];
    uint8_t *bytes;
    size_t len;
};

/* What this node signed: (height, round, step) -> value. */
struct signed_entry {
    uint64_t height;
    uint32_t round;
    uint8_t step;
    bool nil;
    int32_t valid_round;
    uint8_t hash[WB_HASH_LEN];
};

struct driver {
    struct cons core;
    uint32_t self;
    int64_t now_ms;
    struct cons_timer timers[TIMERS_KEPT];
    size_t timer_count;
    struct request requests[REQUESTS_KEPT];
    size_t request_count;
    bool build_pending;
    struct cons_build_request build;
    bool have_record;
    struct cons_safety record;
    struct signed_entry signed_log[SIGNED_KEPT];
    size_t signed_count;
    /* Messages under this node's key that came from the network (the
     * script may sign as any validator): the checks of what this core
     * signs leave them out. */
    struct signed_entry echoed[SIGNED_KEPT];
    size_t echoed_count;
    uint64_t last_decided;
    uint64_t sync_hint;
};

static int hrs_cmp(uint64_t h1, uint32_t r1, uint8_t s1, uint64_t h2, uint32_t r2, uint8_t s2)
{
    if (h1 != h2) return h1 < h2 ? -1 : 1;
    if (r1 != r2) return r1 < r2 ? -1 : 1;
    if (s1 != s2) return s1 < s2 ? -1 : 1;
    return 0;
}

static void touch(const uint8_t *p, size_t len)
{
    /* Reads every byte: ASan reports a pointer that outlived its memory. */
    volatile uint8_t x = 0;
    for (size_t i = 0; i < len; i++) x ^= p[i];
    (void)x;
}

static bool vote_valid(const struct cons_vote *v)
{
    if (v->validator >= FX_VALIDATORS) return false;
    uint8_t msg[WB_SIGMSG_MAX];
    size_t len = wb_sigmsg_vote(msg, fixture.g->chain_id, v->type, v->height, v->round,
                                v->nil ? NULL : v->hash);
    return wb_verify(msg, len, fixture.val_pk[v->validator], v->signature) == WB_OK;
}

static bool proposal_valid(const struct cons_proposal *p)
{
    if (p->proposer >= FX_VALIDATORS) return false;
    uint8_t msg[WB_SIGMSG_MAX];
    size_t len = wb_sigmsg_proposal(msg, fixture.g->chain_id, p->height, p->round,
                                    p->valid_round, p->hash);
    return wb_verify(msg, len, fixture.val_pk[p->proposer], p->signature) == WB_OK;
}

static bool same_entry(const struct signed_entry *e, uint64_t h, uint32_t r, uint8_t step,
                       bool nil, int32_t valid_round, const uint8_t *hash)
{
    return e->height == h && e->round == r && e->step == step && e->nil == nil &&
           e->valid_round == valid_round && (nil || memcmp(e->hash, hash, WB_HASH_LEN) == 0);
}

static void set_entry(struct signed_entry *e, uint64_t h, uint32_t r, uint8_t step, bool nil,
                      int32_t valid_round, const uint8_t *hash)
{
    memset(e, 0, sizeof *e);
    e->height = h;
    e->round = r;
    e->step = step;
    e->nil = nil;
    e->valid_round = valid_round;
    if (!nil) memcpy(e->hash, hash, WB_HASH_LEN);
}

/* An own signature must be covered by a record handed out no later than
 * this update, and must never differ from an earlier one at its (h, r, step).
 * A record covers what was signed at or below its (h, r, step) and, when it
 * reserves height R (reserve_height, written with a precommit at R - 1),
 * the proposal and prevote of (R, round 0) (docs/consensus.md, "One flush
 * per height"). Stated here on its own, not through the core's helper, so
 * that a wrong rule in the core shows. */
static bool record_covers(const struct driver *d, uint64_t h, uint32_t r, uint8_t step)
{
    if (!d->have_record) return false;
    const struct cons_safety *s = &d->record;
    if (hrs_cmp(h, r, step, s->height, s->round, s->step) <= 0) return true;
    return s->reserve_height != 0 && s->reserve_height == h && r == 0 &&
           (step == CONS_STEP_PROPOSE || step == CONS_STEP_PREVOTE);
}

static void note_signed(struct driver *d, uint64_t h, uint32_t r, uint8_t step, bool nil,
                        int32_t valid_round, const uint8_t *hash)
{
    for (size_t i = 0; i < d->echoed_count; i++)
        if (same_entry(&d->echoed[i], h, r, step, nil, valid_round, hash)) return;
    if (!record_covers(d, h, r, step))
        fail("own message sent before a record covering it was handed out to persist");
    for (size_t i = 0; i < d->signed_count; i++) {
        struct signed_entry *e = &d->signed_log[i];
        if (e->height != h || e->round != r || e->step != step) continue;
        if (!same_entry(e, h, r, step, nil, valid_round, hash))
            fail("core signed two different messages for one (height, round, step)");
        return;
    }
    if (d->signed_count == SIGNED_KEPT) return;
    set_entry(&d->signed_log[d->signed_count++], h, r, step, nil, valid_round, hash);
}

static void note_echoed(struct driver *d, uint64_t h, uint32_t r, uint8_t step, bool nil,
                        int32_t valid_round, const uint8_t *hash)
{
    if (d->echoed_count < SIGNED_KEPT)
        set_entry(&d->echoed[d->echoed_count++], h, r, step, nil, valid_round, hash);
}

static void check_msg(struct driver *d, const struct cons_msg *m, bool own_check)
{
    if (m->kind == CONS_MSG_VOTE) {
        const struct cons_vote *v = &m->vote;
        if (v->type != CONS_PREVOTE && v->type != CONS_PRECOMMIT) fail("vote of no type");
        if (!vote_valid(v)) fail("core sends a vote with a bad signature");
        if (own_check && v->validator == d->self)
            note_signed(d, v->height, v->round,
                        v->type == CONS_PREVOTE ? CONS_STEP_PREVOTE : CONS_STEP_PRECOMMIT, v->nil,
                        0, v->hash);
    } else if (m->kind == CONS_MSG_PROPOSAL) {
        const struct cons_proposal *p = &m->proposal;
        if (!p->block || p->block_len == 0) fail("proposal without block bytes");
        touch(p->block, p->block_len);
        if (!proposal_valid(p)) fail("core sends a proposal with a bad signature");
        if (own_check && p->proposer == d->self)
            note_signed(d, p->height, p->round, CONS_STEP_PROPOSE, false, p->valid_round,
                        p->hash);
    } else {
        fail("message of unknown kind");
    }
}

static void keep_timer(struct driver *d, const struct cons_timer *t)
{
    if (d->timer_count == TIMERS_KEPT) {
        memmove(d->timers, d->timers + 1, (TIMERS_KEPT - 1) * sizeof d->timers[0]);
        d->timer_count--;
    }
    d->timers[d->timer_count++] = *t;
}

static void drop_request(struct driver *d, size_t i)
{
    free(d->requests[i].bytes);
    memmove(d->requests + i, d->requests + i + 1,
            (d->request_count - i - 1) * sizeof d->requests[0]);
    d->request_count--;
}

static void keep_request(struct driver *d, const struct cons_validate_request *rq)
{
    if (d->request_count == REQUESTS_KEPT) drop_request(d, 0);
    uint8_t *copy = malloc(rq->block_len ? rq->block_len : 1);
    if (!copy) fail("out of memory");
    memcpy(copy, rq->block, rq->block_len);
    struct request *r = &d->requests[d->request_count++];
    r->height = rq->height;
    memcpy(r->hash, rq->hash, WB_HASH_LEN);
    r->bytes = copy;
    r->len = rq->block_len;
}

static void check_decision(struct driver *d, const struct cons_decision *dec)
{
    const struct cons *c = &d->core;
    if (dec->height <= d->last_decided && d->last_decided != 0)
        fail("decided a height not above the last decided one");
    d->last_decided = dec->height;
    if (!dec->block || dec->block_len == 0) fail("decision without block bytes");
    touch(dec->block, dec->block_len);
    if (dec->precommit_count < c->quorum || dec->precommit_count > FX_VALIDATORS)
        fail("certificate without a quorum of precommits");
    for (size_t i = 0; i < dec->precommit_count; i++) {
        const struct cons_vote *v = &dec->precommits[i];
        if (i > 0 && v->validator <= dec->precommits[i - 1].validator)
            fail("certificate precommits not sorted by distinct validator");
        if (v->type != CONS_PRECOMMIT || v->nil || v->height != dec->height ||
            v->round != dec->round || memcmp(v->hash, dec->hash, WB_HASH_LEN) != 0)
            fail("certificate precommit for something else");
        if (!vote_valid(v)) fail("certificate precommit with a bad signature");
    }
    /* What the storage would write must encode. */
    uint8_t *cert = NULL;
    size_t cert_len = 0;
    if (cons_cert_encode(dec, &cert, &cert_len) != WB_OK) fail("certificate does not encode");
    free(cert);
}

static void check_update(struct driver *d, const struct cons_update *up)
{
    if (up->msg_count > CONS_UPDATE_MSGS_MAX || up->timer_count > CONS_UPDATE_TIMERS_MAX ||
        up->evidence_count > CONS_UPDATE_EVIDENCE_MAX)
        fail("update lists over their bounds");
    if (up->persist) {
        const struct cons_safety *s = up->persist;
        if (s->step > CONS_STEP_PRECOMMIT || s->signed_len > WB_SIGMSG_MAX)
            fail("record out of range");
        if (d->have_record && hrs_cmp(s->height, s->round, s->step, d->record.height,
                                      d->record.round, d->record.step) < 0)
            fail("safety record went backwards");
        /* The reservation is written by a precommit, for the next height
         * only, and never moves back. */
        if (s->reserve_height > s->height + 1 ||
            (s->step == CONS_STEP_PRECOMMIT && s->reserve_height != s->height + 1))
            fail("record reserves a height its precommit did not");
        if (d->have_record && s->reserve_height < d->record.reserve_height)
            fail("record reservation went backwards");
        uint8_t buf[CONS_SAFETY_MAX];
        size_t len;
        if (cons_safety_encode(s, buf, sizeof buf, &len) != WB_OK) fail("record does not encode");
        d->record = *s;
        d->have_record = true;
    }
    for (size_t i = 0; i < up->msg_count; i++) {
        check_msg(d, &up->msgs[i], true);
        uint8_t *enc = NULL;
        size_t enc_len = 0;
        if (cons_msg_encode(&up->msgs[i], &enc, &enc_len) != WB_OK) fail("message does not encode");
        free(enc);
    }
    for (size_t i = 0; i < up->timer_count; i++) keep_timer(d, &up->timers[i]);
    if (up->decision) check_decision(d, up->decision);
    for (size_t i = 0; i < up->evidence_count; i++) {
        const struct cons_evidence *e = &up->evidence[i];
        if (e->a.validator != e->b.validator || e->a.type != e->b.type ||
            e->a.height != e->b.height || e->a.round != e->b.round)
            fail("evidence of two votes that do not conflict");
        if (e->a.nil == e->b.nil &&
            (e->a.nil || memcmp(e->a.hash, e->b.hash, WB_HASH_LEN) == 0))
            fail("evidence of two votes with one value");
        if (!vote_valid(&e->a) || !vote_valid(&e->b)) fail("evidence with a bad signature");
    }
    if (up->build) {
        d->build_pending = true;
        d->build = *up->build;
    }
    for (size_t i = 0; i < up->validate_count; i++) {
        touch(up->validate[i].block, up->validate[i].block_len);
        keep_request(d, &up->validate[i]);
    }
    if (up->sync_from) d->sync_hint = up->sync_from;
    if (cons_waiting(&d->core)) {
        /* Quiet when idle: nothing of round 0 is asked for or armed. */
        if (up->build && up->build->height == cons_height(&d->core))
            fail("a block asked for while waiting for work");
        for (size_t i = 0; i < up->timer_count; i++)
            if (up->timers[i].height == cons_height(&d->core))
                fail("a timer armed while waiting for work");
    }
    if (up->wait_for_work &&
        (!cons_waiting(&d->core) || up->wait_for_work != cons_height(&d->core)))
        fail("wait_for_work names a height the core does not wait at");
}

static void step(struct driver *d, struct cons_event *ev)
{
    struct cons_update up;
    ev->now_ms = d->now_ms;
    if (cons_step(&d->core, ev, &up) != WB_OK) fail("cons_step refused a well-formed event");
    check_update(d, &up);
}

static void op_message(struct driver *d, struct fx_reader *r)
{
    size_t len = fx_u16(r) % MESSAGE_MAX, got;
    const uint8_t *bytes = fx_bytes(r, len, &got);
    /* As node/p2p/p2p.c: only the canonical encoding of a PeerMessage. */
    ProtobufCMessage *m;
    char why[160];
    if (ledger_pb_decode(&waybill__peer_message__descriptor, NULL, bytes, got, "peer message",
                         &m, why, sizeof why) != WB_OK) {
        if (fx_canonical(&waybill__peer_message__descriptor, bytes, got) == 1)
            fail("a canonical peer message was refused");
        return;
    }
    fx_assert_canonical(&waybill__peer_message__descriptor, bytes, got, "peer message");
    Waybill__PeerMessage *pm = (Waybill__PeerMessage *)m;
    struct cons_event ev;
    memset(&ev, 0, sizeof ev);
    if (pm->msg_case == WAYBILL__PEER_MESSAGE__MSG_PROPOSAL && pm->proposal) {
        ev.kind = CONS_EV_PROPOSAL;
        if (cons_proposal_from_pb(pm->proposal, &ev.proposal) == WB_OK) {
            const struct cons_proposal *p = &ev.proposal;
            if (p->proposer == d->self)
                note_echoed(d, p->height, p->round, CONS_STEP_PROPOSE, false, p->valid_round,
                            p->hash);
            step(d, &ev);
        }
    } else if (pm->msg_case == WAYBILL__PEER_MESSAGE__MSG_VOTE && pm->vote) {
        ev.kind = CONS_EV_VOTE;
        if (cons_vote_from_pb(pm->vote, &ev.vote) == WB_OK) {
            const struct cons_vote *v = &ev.vote;
            if (v->validator == d->self)
                note_echoed(d, v->height, v->round,
                            v->type == CONS_PREVOTE ? CONS_STEP_PREVOTE : CONS_STEP_PRECOMMIT,
                            v->nil, 0, v->hash);
            step(d, &ev);
        }
    }
    waybill__peer_message__free_unpacked(pm, NULL);
}

static void op_timeout(struct driver *d, struct fx_reader *r)
{
    uint8_t k = fx_u8(r);
    if (!d->timer_count) return;
    const struct cons_timer *t = &d->timers[d->timer_count - 1 - k % d->timer_count];
    struct cons_event ev = {.kind = CONS_EV_TIMEOUT};
    ev.timeout.height = t->height;
    ev.timeout.round = t->round;
    ev.timeout.step = t->step;
    if (d->now_ms < INT64_MAX - t->delay_ms) d->now_ms += t->delay_ms;
    step(d, &ev);
}

/* As the node does: bytes that do not decode are invalid, bytes that hash
 * to another hash are BAD_HASH, the rest valid or not as the script says. */
static void op_validated(struct driver *d, struct fx_reader *r)
{
    uint8_t k = fx_u8(r), verdict = fx_u8(r);
    if (!d->request_count) return;
    size_t i = d->request_count - 1 - k % d->request_count;
    struct request *rq = &d->requests[i];
    struct cons_event ev = {.kind = CONS_EV_BLOCK_VALIDATED};
    ev.validated.height = rq->height;
    memcpy(ev.validated.hash, rq->hash, WB_HASH_LEN);
    struct ledger_block b;
    if (ledger_block_decode(rq->bytes, rq->len, &b) != WB_OK) {
        ev.validated.result = CONS_BLOCK_INVALID;
    } else {
        if (memcmp(b.hash, rq->hash, WB_HASH_LEN) != 0)
            ev.validated.result = CONS_BLOCK_BAD_HASH;
        else
            ev.validated.result = verdict % 4 == 3 ? CONS_BLOCK_INVALID : CONS_BLOCK_VALID;
        ledger_block_free(&b);
    }
    drop_request(d, i);
    step(d, &ev);
}

static void op_block_ready(struct driver *d)
{
    if (!d->build_pending) return;
    d->build_pending = false;
    uint8_t *block;
    size_t len;
    struct cons_event ev = {.kind = CONS_EV_BLOCK_READY};
    fx_empty_block(&fixture, d->build.height, d->build.round, d->self, &block, &len,
                   ev.block_ready.hash);
    ev.block_ready.height = d->build.height;
    ev.block_ready.round = d->build.round;
    ev.block_ready.block = block;
    ev.block_ready.block_len = len;
    step(d, &ev);
    free(block);
}

static void op_synced(struct driver *d, struct fx_reader *r)
{
    uint8_t delta = fx_u8(r) % 4;
    uint64_t h = cons_height(&d->core);
    struct cons_event ev = {.kind = CONS_EV_SYNCED};
    ev.synced.height = delta == 3 && d->sync_hint ? d->sync_hint : h + delta - 1;
    if (ev.synced.height > UINT64_MAX / 2) return;
    step(d, &ev);
}

static void op_work(struct driver *d, struct fx_reader *r)
{
    uint8_t which = fx_u8(r);
    struct cons_event ev = {.kind = CONS_EV_WORK};
    ev.work.height = cons_height(&d->core) + (which % 4 == 3 ? 1 : 0);
    step(d, &ev);
}

static void op_own(struct driver *d)
{
    const struct cons_msg *msgs;
    size_t n;
    cons_own_messages(&d->core, &msgs, &n);
    for (size_t i = 0; i < n; i++) check_msg(d, &msgs[i], true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fx_reader r = {.p = data, .left = size};
    static struct driver d;
    memset(&d, 0, sizeof d);
    uint8_t who = fx_u8(&r);
    d.self = (who & 0x7f) % (FX_VALIDATORS + 1);
    if (d.self == FX_VALIDATORS) d.self = CONS_NOT_VALIDATOR;
    d.now_ms = FX_GENESIS_MS;

    struct cons_config cfg;
    fx_cons_config(&fixture, d.self, &cfg);
    cfg.wait_for_work = (who & 0x80) != 0;
    if (cons_init(&d.core, &cfg, 1, NULL) != WB_OK) fail("cons_init refused the fixed config");
    struct cons_event start = {.kind = CONS_EV_START};
    step(&d, &start);

    for (int i = 0; i < STEPS_MAX && r.left; i++) {
        d.now_ms += 10;
        switch (fx_u8(&r) % OP_COUNT) {
        case OP_MESSAGE:
        case OP_MESSAGE2:
            op_message(&d, &r);
            break;
        case OP_TIMEOUT:
            op_timeout(&d, &r);
            break;
        case OP_VALIDATED:
            op_validated(&d, &r);
            break;
        case OP_BLOCK_READY:
            op_block_ready(&d);
            break;
        case OP_SYNCED:
            op_synced(&d, &r);
            break;
        case OP_OWN:
            op_own(&d);
            break;
        case OP_CLOCK:
            d.now_ms += fx_u16(&r);
            break;
        case OP_WORK:
            op_work(&d, &r);
            break;
        default:
            break;
        }
    }
    op_own(&d);
    while (d.request_count) drop_request(&d, d.request_count - 1);
    cons_free(&d.core);
    return 0;
}
