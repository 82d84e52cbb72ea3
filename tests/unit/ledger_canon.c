/* One canonical encoding (ledger/canon.h, docs/formats.md): for every
 * message type that is signed, hashed or verified, its real decoder accepts
 * the canonical bytes and refuses hand-built variants of them: an unknown
 * field, a singular field repeated, fields out of order, a padded varint
 * (a value, and a length), trailing bytes, a field written at its default
 * value. Nested messages get the same variants inside them. */
#include "tests/unit/ledger_support.h"

#include "ledger/canon.h"
#include "ledger/cert.h"
#include "ledger/verify.h"

#define BUF_MAX 16384
#define SPANS_MAX 64
#define MSG_LEN 512

/* ---- a protobuf field walker and writer for hand-built variants ------------------ */

struct span {
    uint32_t num;
    unsigned wt;
    size_t start;                         /* the tag */
    size_t value;                         /* the value (varint) or the length (LEN) */
    size_t payload;                       /* LEN: first payload byte */
    size_t end;
};

struct buf {
    uint8_t d[BUF_MAX];
    size_t n;
};

static uint64_t get_varint(const uint8_t *b, size_t len, size_t *pos)
{
    uint64_t v = 0;
    for (unsigned s = 0;; s += 7) {
        assert_true(*pos < len && s < 64);
        uint8_t c = b[(*pos)++];
        v |= (uint64_t)(c & 0x7f) << s;
        if (!(c & 0x80)) return v;
    }
}

static size_t parse_spans(const uint8_t *b, size_t len, struct span *s)
{
    size_t pos = 0, n = 0;
    while (pos < len) {
        assert_true(n < SPANS_MAX);
        s[n].start = pos;
        uint64_t tag = get_varint(b, len, &pos);
        s[n].num = (uint32_t)(tag >> 3);
        s[n].wt = (unsigned)(tag & 7);
        s[n].value = pos;
        if (s[n].wt == 0) {
            get_varint(b, len, &pos);
        } else {
            assert_int_equal(s[n].wt, 2);
            uint64_t l = get_varint(b, len, &pos);
            s[n].payload = pos;
            pos += (size_t)l;
        }
        assert_true(pos <= len);
        s[n++].end = pos;
    }
    return n;
}

static void put(struct buf *o, const uint8_t *p, size_t n)
{
    assert_true(o->n + n <= BUF_MAX);
    if (n) memcpy(o->d + o->n, p, n);
    o->n += n;
}

/* A varint; with pad, one byte longer than it needs to be. */
static void put_varint(struct buf *o, uint64_t v, bool pad)
{
    uint8_t t[11];
    size_t n = 0;
    while (v >= 0x80) {
        t[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    if (pad) {
        t[n++] = (uint8_t)(v | 0x80);
        t[n++] = 0;
    } else {
        t[n++] = (uint8_t)v;
    }
    put(o, t, n);
}

static const struct span *find_span(const struct span *s, size_t n, uint32_t num, size_t occ)
{
    for (size_t i = 0; i < n; i++)
        if (s[i].num == num && occ-- == 0) return &s[i];
    fail_msg("no field %u (occurrence %zu)", (unsigned)num, occ);
    return NULL;
}

enum variant {
    V_UNKNOWN,
    V_REPEATED,
    V_OUT_OF_ORDER,
    V_PADDED_VALUE,
    V_PADDED_LENGTH,
    V_TRAILING,
    V_EXPLICIT_ZERO,
    V_COUNT
};

static const char *const variant_names[V_COUNT] = {
    "unknown field",   "repeated singular field", "fields out of order", "padded varint value",
    "padded length",   "trailing bytes",          "explicit zero field",
};

/* What to vary in one message: a singular field present in it, a varint
 * field present in it (0: none), and a field at its default value, absent
 * from it, with its wire type (0: none can be, said why in the case). */
struct shape {
    uint32_t repeat_field;
    uint32_t varint_field;
    uint32_t zero_field;
    unsigned zero_wt;
};

/* Builds variant v of message m (len bytes) into o; false when the shape
 * has nothing for it. */
static bool make_variant(const uint8_t *m, size_t len, const struct shape *sh, enum variant v,
                         struct buf *o)
{
    struct span s[SPANS_MAX];
    size_t n = parse_spans(m, len, s);
    o->n = 0;
    switch (v) {
    case V_UNKNOWN: {
        put(o, m, len);
        const uint8_t unk[] = {15 << 3, 1};
        put(o, unk, sizeof unk);
        return true;
    }
    case V_REPEATED: {
        const struct span *r = find_span(s, n, sh->repeat_field, 0);
        put(o, m, r->end);
        put(o, m + r->start, r->end - r->start);
        put(o, m + r->end, len - r->end);
        return true;
    }
    case V_OUT_OF_ORDER:
        if (n < 2) return false; /* one field: no order to break */
        assert_true(s[0].num < s[1].num);
        put(o, m + s[1].start, s[1].end - s[1].start);
        put(o, m + s[0].start, s[0].end - s[0].start);
        put(o, m + s[1].end, len - s[1].end);
        return true;
    case V_PADDED_VALUE: {
        if (!sh->varint_field) return false;
        const struct span *r = find_span(s, n, sh->varint_field, 0);
        assert_int_equal(r->wt, 0);
        size_t pos = r->value;
        uint64_t val = get_varint(m, len, &pos);
        put(o, m, r->value);
        put_varint(o, val, true);
        put(o, m + r->end, len - r->end);
        return true;
    }
    case V_PADDED_LENGTH:
        for (size_t i = 0; i < n; i++) {
            if (s[i].wt != 2) continue;
            put(o, m, s[i].value);
            put_varint(o, s[i].end - s[i].payload, true);
            put(o, m + s[i].payload, len - s[i].payload);
            return true;
        }
        return false;
    case V_TRAILING: {
        put(o, m, len);
        const uint8_t zero = 0;
        put(o, &zero, 1);
        return true;
    }
    case V_EXPLICIT_ZERO: {
        if (!sh->zero_field) return false;
        size_t at = len;
        for (size_t i = 0; i < n; i++) {
            assert_int_not_equal(s[i].num, sh->zero_field);
            if (s[i].num > sh->zero_field) {
                at = s[i].start;
                break;
            }
        }
        put(o, m, at);
        put_varint(o, (uint64_t)sh->zero_field << 3 | sh->zero_wt, false);
        put_varint(o, 0, false); /* value 0, or length 0 */
        put(o, m + at, len - at);
        return true;
    }
    default:
        return false;
    }
}

/* outer with the payload of its field (num, occ) replaced by inner. */
static void rewrap(const uint8_t *outer, size_t len, uint32_t num, size_t occ,
                   const uint8_t *inner, size_t inner_len, struct buf *o)
{
    struct span s[SPANS_MAX];
    size_t n = parse_spans(outer, len, s);
    const struct span *t = find_span(s, n, num, occ);
    assert_int_equal(t->wt, 2);
    o->n = 0;
    put(o, outer, t->value);
    put_varint(o, inner_len, false);
    put(o, inner, inner_len);
    put(o, outer + t->end, len - t->end);
}

/* ---- running a decoder over the variants ----------------------------------------- */

/* Returns the decoder's result, with its reason in msg. */
typedef int (*decode_fn)(void *ctx, const uint8_t *b, size_t len, char *msg, size_t msg_len);

struct subject {
    const char *what;                     /* the type named in reasons; NULL: none given */
    bool plain_reasons;                   /* the decoder says only that it is malformed */
    decode_fn decode;
    void *ctx;
    int refused_rc;
};

static void expect_refused(const struct subject *sj, const uint8_t *b, size_t len,
                           const char *variant, const char *reason)
{
    char msg[MSG_LEN] = "";
    int rc = sj->decode(sj->ctx, b, len, msg, sizeof msg);
    if (rc != sj->refused_rc)
        fail_msg("%s, %s: got %d (%s), want %d", sj->what ? sj->what : "block", variant, rc,
                 msg, sj->refused_rc);
    if (!sj->what) return;
    if (!strstr(msg, sj->what)) fail_msg("%s, %s: reason does not name it: %s", sj->what,
                                         variant, msg);
    if (!sj->plain_reasons && reason && !strstr(msg, reason))
        fail_msg("%s, %s: reason \"%s\" does not say \"%s\"", sj->what, variant, msg, reason);
}

static void expect_accepted(const struct subject *sj, const uint8_t *b, size_t len)
{
    char msg[MSG_LEN] = "";
    int rc = sj->decode(sj->ctx, b, len, msg, sizeof msg);
    if (rc != WB_OK) fail_msg("%s: canonical bytes refused: %d %s", sj->what, rc, msg);
}

/* Every variant of the whole message m, or (nested_num != 0) of the
 * message in its field (nested_num, nested_occ), wrapped back into m.
 * `path` is how reasons name that nested message ("events[0]"). */
static void check_variants(const struct subject *sj, const uint8_t *m, size_t len,
                           const struct shape *sh, uint32_t nested_num, size_t nested_occ,
                           const char *path)
{
    expect_accepted(sj, m, len);
    const uint8_t *target = m;
    size_t target_len = len;
    if (nested_num) {
        struct span s[SPANS_MAX];
        size_t n = parse_spans(m, len, s);
        const struct span *t = find_span(s, n, nested_num, nested_occ);
        target = m + t->payload;
        target_len = t->end - t->payload;
    }
    static struct buf v, whole;
    size_t tried = 0;
    for (int k = 0; k < V_COUNT; k++) {
        if (!make_variant(target, target_len, sh, (enum variant)k, &v)) continue;
        const struct buf *b = &v;
        if (nested_num) {
            rewrap(m, len, nested_num, nested_occ, v.d, v.n, &whole);
            b = &whole;
        }
        char unknown[96];
        if (path)
            snprintf(unknown, sizeof unknown, "unknown field 15 in %s", path);
        else
            snprintf(unknown, sizeof unknown, "unknown field 15");
        const char *reason = k == V_UNKNOWN    ? unknown
                             : k == V_TRAILING ? NULL
                                               : "not the canonical encoding";
        expect_refused(sj, b->d, b->n, variant_names[k], reason);
        tried++;
    }
    assert_true(tried >= 4);
}

/* ---- decoders ------------------------------------------------------------------------ */

static int dec_event_body(void *ctx, const uint8_t *b, size_t len, char *msg, size_t msg_len)
{
    (void)ctx;
    struct ledger_event ev;
    return ledger_event_decode(b, len, &ev, msg, msg_len);
}

static int dec_signed_event(void *ctx, const uint8_t *b, size_t len, char *msg, size_t msg_len)
{
    struct ls_chain *c = ctx;
    struct ledger_event ev;
    return ledger_signed_event_open(c->g->chain_id, b, len, true, &ev, msg, msg_len);
}

static int dec_header(void *ctx, const uint8_t *b, size_t len, char *msg, size_t msg_len)
{
    (void)ctx;
    struct ledger_block_header h;
    return ledger_header_parse(b, len, &h, msg, msg_len);
}

static int dec_block(void *ctx, const uint8_t *b, size_t len, char *msg, size_t msg_len)
{
    (void)ctx, (void)msg, (void)msg_len;
    struct ledger_block blk;
    int rc = ledger_block_decode(b, len, &blk);
    if (rc == WB_OK) ledger_block_free(&blk);
    return rc;
}

static int dec_cert(void *ctx, const uint8_t *b, size_t len, char *msg, size_t msg_len)
{
    struct ls_chain *c = ctx;
    return ledger_cert_verify_bytes(c->g, b, len, 1, c->blocks[0].hash, msg, msg_len);
}

/* What node/p2p/p2p.c does with every frame from a validator. */
static int dec_peer_message(void *ctx, const uint8_t *b, size_t len, char *msg, size_t msg_len)
{
    (void)ctx;
    ProtobufCMessage *m;
    int rc = ledger_pb_decode(&waybill__peer_message__descriptor, NULL, b, len, "peer message",
                              &m, msg, msg_len);
    if (rc == WB_OK) protobuf_c_message_free_unpacked(m, NULL);
    return rc;
}

static int dec_bundle(void *ctx, const uint8_t *b, size_t len, char *msg, size_t msg_len)
{
    struct ls_chain *c = ctx;
    struct ledger_verify_result res;
    int rc = ledger_verify_bundle(c->g, NULL, b, len, NULL, NULL, NULL, &res);
    snprintf(msg, msg_len, "%s", res.message);
    if (rc == WB_ERR_DECODE && strcmp(res.failed_check, VERIFY_CHECK_DECODE) != 0)
        fail_msg("a bundle refused as undecodable names check %s", res.failed_check);
    return rc;
}

/* ---- fixture -------------------------------------------------------------------------- */

static int setup(void **state)
{
    struct ls_chain *c = calloc(1, sizeof *c);
    if (!c || ls_chain_init(c) != 0) return -1;
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ls_chain *c = *state;
    ls_chain_free(c);
    free(c);
    return 0;
}

/* A commission with an attribute (prev empty: the explicit-zero field). */
static size_t sample_body(struct ls_chain *c, uint8_t *out)
{
    struct ledger_event ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.item, sizeof ev.item, "%s", LS_ITEM);
    ev.action = LEDGER_COMMISSION;
    snprintf(ev.location, sizeof ev.location, "NLRTM");
    ev.time_ms = LS_GENESIS_MS + 5;
    memcpy(ev.submitter, c->pk[LS_ACME], WB_PUBKEY_LEN);
    snprintf(ev.attrs[0].key, sizeof ev.attrs[0].key, "seal");
    snprintf(ev.attrs[0].value, sizeof ev.attrs[0].value, "SL-9");
    ev.attr_count = 1;
    ev.nonce = 77;
    size_t len;
    assert_int_equal(ledger_event_encode(&ev, out, WB_EVENT_BODY_MAX, &len), WB_OK);
    return len;
}

/* ---- one test per message type ---------------------------------------------------------- */

static void event_body_has_one_encoding(void **state)
{
    struct ls_chain *c = *state;
    uint8_t body[WB_EVENT_BODY_MAX];
    size_t len = sample_body(c, body);
    struct subject sj = {.what = "event body", .decode = dec_event_body,
                         .refused_rc = WB_ERR_DECODE};
    /* time_ms repeated; version 1 padded; prev (7) written empty. */
    const struct shape top = {.repeat_field = 5, .varint_field = 1, .zero_field = 7,
                              .zero_wt = 2};
    check_variants(&sj, body, len, &top, 0, 0, NULL);
    /* Inside the attribute: key repeated; no varint; both fields set, so
     * none can be written at its default. */
    const struct shape attr = {.repeat_field = 1};
    check_variants(&sj, body, len, &attr, 8, 0, "attrs[0]");
}

static void signed_event_has_one_encoding(void **state)
{
    struct ls_chain *c = *state;
    ls_chain_build(c, NULL, NULL);
    const struct ls_event *me = &c->mine[1];
    /* The hand parser (ledger_signed_event_split) accepts exactly one
     * layout; its reasons say only "signed event: malformed". Both fields
     * are always set, so no default-valued field can be left out, and
     * there is no varint field. */
    struct subject sj = {.what = "signed event", .plain_reasons = true,
                         .decode = dec_signed_event, .ctx = c, .refused_rc = WB_ERR_DECODE};
    const struct shape sh = {.repeat_field = 2};
    check_variants(&sj, me->bytes, me->len, &sh, 0, 0, NULL);
    /* An empty body written out. */
    static struct buf b;
    b.n = 0;
    const uint8_t empty_body[] = {0x0a, 0x00};
    put(&b, empty_body, sizeof empty_body);
    struct span s[SPANS_MAX];
    size_t n = parse_spans(me->bytes, me->len, s);
    const struct span *sig = find_span(s, n, 2, 0);
    put(&b, me->bytes + sig->start, sig->end - sig->start);
    expect_refused(&sj, b.d, b.n, "empty body", NULL);
}

static void block_header_has_one_encoding(void **state)
{
    struct ls_chain *c = *state;
    ls_chain_build(c, NULL, NULL);
    /* Block 4's proposer is index 0: not written. */
    const struct ls_block *blk = &c->blocks[3];
    assert_int_equal(blk->h.proposer, 0);
    struct subject sj = {.what = "block header", .decode = dec_header,
                         .refused_rc = WB_ERR_DECODE};
    const struct shape sh = {.repeat_field = 3, .varint_field = 3, .zero_field = 8,
                             .zero_wt = 0};
    check_variants(&sj, blk->header, blk->header_len, &sh, 0, 0, NULL);
}

static void block_has_one_encoding(void **state)
{
    struct ls_chain *c = *state;
    ls_chain_build(c, NULL, NULL);
    const struct ls_block *blk = &c->blocks[2];
    struct ledger_block_header h = blk->h;
    const uint8_t *ptrs[LS_BLOCK_EVENTS_MAX];
    for (size_t i = 0; i < blk->n_events; i++) ptrs[i] = blk->events[i];
    uint8_t *bytes, hash[WB_HASH_LEN];
    size_t len;
    assert_int_equal(ledger_block_build(&h, ptrs, blk->lens, blk->n_events, &bytes, &len, hash),
                     WB_OK);
    /* ledger_block_decode gives no reason, only the code. The header is
     * repeated; Block has no varint field, and its header is always set
     * and its events repeated, so nothing can be written at a default. */
    struct subject sj = {.what = NULL, .decode = dec_block, .refused_rc = WB_ERR_DECODE};
    const struct shape sh = {.repeat_field = 1};
    check_variants(&sj, bytes, len, &sh, 0, 0, NULL);
    free(bytes);
}

/* Block 1's certificate with all four precommits, encoded. */
static size_t sample_cert(struct ls_chain *c, uint8_t *out, size_t cap)
{
    const struct ls_block *b = &c->blocks[0];
    Waybill__CommitCert cert = WAYBILL__COMMIT_CERT__INIT;
    Waybill__Vote votes[LS_VALIDATORS], *ptrs[LS_VALIDATORS];
    cert.height = b->height;
    cert.block_hash.data = (uint8_t *)b->hash;
    cert.block_hash.len = WB_HASH_LEN;
    for (size_t v = 0; v < LS_VALIDATORS; v++) {
        waybill__vote__init(&votes[v]);
        votes[v].type = WAYBILL__VOTE_TYPE__PRECOMMIT;
        votes[v].height = b->height;
        votes[v].block_hash = cert.block_hash;
        votes[v].validator = (uint32_t)v;
        votes[v].signature.data = (uint8_t *)b->sigs[v];
        votes[v].signature.len = WB_SIG_LEN;
        ptrs[v] = &votes[v];
    }
    cert.n_precommits = LS_VALIDATORS;
    cert.precommits = ptrs;
    size_t len = waybill__commit_cert__get_packed_size(&cert);
    assert_true(len <= cap);
    return waybill__commit_cert__pack(&cert, out);
}

static void certificate_and_its_votes_have_one_encoding(void **state)
{
    struct ls_chain *c = *state;
    ls_chain_build(c, NULL, NULL);
    uint8_t cert[1024];
    size_t len = sample_cert(c, cert, sizeof cert);
    struct subject sj = {.what = "certificate", .decode = dec_cert, .ctx = c,
                         .refused_rc = WB_ERR_DECODE};
    /* height repeated and padded; round 0 written out. */
    const struct shape top = {.repeat_field = 1, .varint_field = 1, .zero_field = 2,
                              .zero_wt = 0};
    check_variants(&sj, cert, len, &top, 0, 0, NULL);
    /* The second precommit (validator 1): height repeated and padded;
     * round 0 written out. */
    const struct shape vote = {.repeat_field = 2, .varint_field = 2, .zero_field = 3,
                               .zero_wt = 0};
    check_variants(&sj, cert, len, &vote, 4, 1, "precommits[1]");
}

static void vote_message_has_one_encoding(void **state)
{
    struct ls_chain *c = *state;
    uint8_t hash[WB_HASH_LEN], sig[WB_SIG_LEN];
    memset(hash, 0xab, sizeof hash);
    memset(sig, 0xcd, sizeof sig);
    Waybill__Vote v = WAYBILL__VOTE__INIT;
    v.type = WAYBILL__VOTE_TYPE__PREVOTE;
    v.height = 5;
    v.block_hash.data = hash;
    v.block_hash.len = sizeof hash;
    v.validator = 2;
    v.signature.data = sig;
    v.signature.len = sizeof sig;
    Waybill__PeerMessage pm = WAYBILL__PEER_MESSAGE__INIT;
    pm.msg_case = WAYBILL__PEER_MESSAGE__MSG_VOTE;
    pm.vote = &v;
    uint8_t buf[256];
    assert_true(waybill__peer_message__get_packed_size(&pm) <= sizeof buf);
    size_t len = waybill__peer_message__pack(&pm, buf);
    struct subject sj = {.what = "peer message", .decode = dec_peer_message, .ctx = c,
                         .refused_rc = WB_ERR_DECODE};
    /* The vote twice in the oneof. */
    const struct shape top = {.repeat_field = 4};
    check_variants(&sj, buf, len, &top, 0, 0, NULL);
    /* Inside the vote: height repeated and padded, round 0 written out. */
    const struct shape vote = {.repeat_field = 2, .varint_field = 2, .zero_field = 3,
                               .zero_wt = 0};
    check_variants(&sj, buf, len, &vote, 4, 0, "vote");
}

static void proposal_message_has_one_encoding(void **state)
{
    struct ls_chain *c = *state;
    uint8_t hash[WB_HASH_LEN], sig[WB_SIG_LEN], block[40];
    memset(hash, 0xab, sizeof hash);
    memset(sig, 0xcd, sizeof sig);
    memset(block, 0xef, sizeof block);
    Waybill__Proposal p = WAYBILL__PROPOSAL__INIT;
    p.height = 9;
    p.valid_round = -1;
    p.proposer = 1;
    p.block_hash.data = hash;
    p.block_hash.len = sizeof hash;
    p.block.data = block;
    p.block.len = sizeof block;
    p.signature.data = sig;
    p.signature.len = sizeof sig;
    Waybill__PeerMessage pm = WAYBILL__PEER_MESSAGE__INIT;
    pm.msg_case = WAYBILL__PEER_MESSAGE__MSG_PROPOSAL;
    pm.proposal = &p;
    uint8_t buf[256];
    assert_true(waybill__peer_message__get_packed_size(&pm) <= sizeof buf);
    size_t len = waybill__peer_message__pack(&pm, buf);
    struct subject sj = {.what = "peer message", .decode = dec_peer_message, .ctx = c,
                         .refused_rc = WB_ERR_DECODE};
    const struct shape top = {.repeat_field = 3};
    check_variants(&sj, buf, len, &top, 0, 0, NULL);
    /* Inside: height repeated and padded, round 0 written out. */
    const struct shape prop = {.repeat_field = 1, .varint_field = 1, .zero_field = 2,
                               .zero_wt = 0};
    check_variants(&sj, buf, len, &prop, 3, 0, "proposal");
}

static void proof_bundle_has_one_encoding(void **state)
{
    struct ls_chain *c = *state;
    ls_chain_build(c, NULL, NULL);
    struct ls_bundle_opts o = ls_bundle_default();
    size_t len;
    uint8_t *bundle = ls_bundle_encode(c, &o, &len);
    struct subject sj = {.what = "proof bundle", .decode = dec_bundle, .ctx = c,
                         .refused_rc = WB_ERR_DECODE};
    /* The item repeated; ProofBundle has no varint field and no scalar
     * that can be left at its default (the item is always named). */
    const struct shape top = {.repeat_field = 1};
    check_variants(&sj, bundle, len, &top, 0, 0, NULL);
    /* The commission (events[0]) is at index 0: written out as 0. */
    assert_int_equal(c->mine[0].index, 0);
    const struct shape ev = {.repeat_field = 2, .varint_field = 2, .zero_field = 3,
                             .zero_wt = 0};
    check_variants(&sj, bundle, len, &ev, 2, 0, "events[0]");
    /* Inside block 3's entry: height repeated and padded. */
    const struct shape blk = {.repeat_field = 1, .varint_field = 1};
    check_variants(&sj, bundle, len, &blk, 3, 2, "blocks[2]");

    /* Deeper: an unknown field in a vote of a block's certificate. */
    Waybill__ProofBundle *pb = waybill__proof_bundle__unpack(NULL, len, bundle);
    assert_non_null(pb);
    ProtobufCMessage *vote = &pb->blocks[1]->cert->precommits[3]->base;
    uint8_t payload[] = {0x2a};
    ProtobufCMessageUnknownField uf = {.tag = 21, .wire_type = PROTOBUF_C_WIRE_TYPE_VARINT,
                                       .len = 1, .data = payload};
    vote->n_unknown_fields = 1;
    vote->unknown_fields = &uf;
    size_t bad_len = waybill__proof_bundle__get_packed_size(pb);
    uint8_t *bad = malloc(bad_len);
    assert_non_null(bad);
    waybill__proof_bundle__pack(pb, bad);
    vote->n_unknown_fields = 0;
    vote->unknown_fields = NULL;
    waybill__proof_bundle__free_unpacked(pb, NULL);
    char msg[MSG_LEN];
    assert_int_equal(dec_bundle(c, bad, bad_len, msg, sizeof msg), WB_ERR_DECODE);
    assert_string_equal(msg, "bundle: decode: proof bundle: unknown field 21 in "
                             "blocks[1].cert.precommits[3]");
    free(bad);
    free(bundle);
}

/* The helper's own reasons, precisely. */
static void reasons_say_where(void **state)
{
    (void)state;
    Waybill__Vote v = WAYBILL__VOTE__INIT;
    v.height = 300;
    uint8_t buf[32];
    size_t len = waybill__vote__pack(&v, buf);
    assert_int_equal(len, 3); /* 0x10 0xac 0x02 */
    char msg[MSG_LEN];
    ProtobufCMessage *m;
    assert_int_equal(ledger_pb_decode(&waybill__vote__descriptor, NULL, buf, len, "vote", &m,
                                      msg, sizeof msg),
                     WB_OK);
    protobuf_c_message_free_unpacked(m, NULL);

    /* 300 as 0xac 0x82 0x00: the difference is at byte 2. */
    const uint8_t padded[] = {0x10, 0xac, 0x82, 0x00};
    assert_int_equal(ledger_pb_decode(&waybill__vote__descriptor, NULL, padded, sizeof padded,
                                      "vote", &m, msg, sizeof msg),
                     WB_ERR_DECODE);
    assert_null(m);
    assert_string_equal(msg, "vote: not the canonical encoding (byte 2 of 4 differs)");

    /* The field twice: its fields encode in 3 bytes, not 6. */
    const uint8_t twice[] = {0x10, 0xac, 0x02, 0x10, 0xac, 0x02};
    assert_int_equal(ledger_pb_decode(&waybill__vote__descriptor, NULL, twice, sizeof twice,
                                      "vote", &m, msg, sizeof msg),
                     WB_ERR_DECODE);
    assert_string_equal(msg, "vote: not the canonical encoding (6 bytes; its fields encode "
                             "in 3)");

    const uint8_t unknown[] = {0x10, 0xac, 0x02, 0x78, 0x01};
    assert_int_equal(ledger_pb_decode(&waybill__vote__descriptor, NULL, unknown,
                                      sizeof unknown, "vote", &m, msg, sizeof msg),
                     WB_ERR_DECODE);
    assert_string_equal(msg, "vote: unknown field 15");

    const uint8_t junk[] = {0x10};
    assert_int_equal(ledger_pb_decode(&waybill__vote__descriptor, NULL, junk, sizeof junk,
                                      "vote", &m, msg, sizeof msg),
                     WB_ERR_DECODE);
    assert_string_equal(msg, "vote: malformed protobuf");

    /* The empty message is the encoding of all defaults. */
    assert_int_equal(ledger_pb_decode(&waybill__vote__descriptor, NULL, NULL, 0, "vote", &m,
                                      msg, sizeof msg),
                     WB_OK);
    protobuf_c_message_free_unpacked(m, NULL);
    /* And msg may be NULL. */
    assert_int_equal(ledger_pb_decode(&waybill__vote__descriptor, NULL, padded, sizeof padded,
                                      "vote", &m, NULL, 0),
                     WB_ERR_DECODE);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(event_body_has_one_encoding),
        T(signed_event_has_one_encoding),
        T(block_header_has_one_encoding),
        T(block_has_one_encoding),
        T(certificate_and_its_votes_have_one_encoding),
        T(vote_message_has_one_encoding),
        T(proposal_message_has_one_encoding),
        T(proof_bundle_has_one_encoding),
        T(reasons_say_where),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
