/* Forged proof bundles: a chain built with the test's own validator keys,
 * where one header field is forged before the header is hashed and every
 * validator signs its precommit over the forged hash. The signatures and
 * certificates are valid, so only the verifier's content checks can catch
 * each forgery; each test asserts the failure and the check it names. Plus
 * the flipped field tag that makes the head event an unknown field. */
#include "tests/unit/ledger_support.h"

#include "common/exec_threads.h"
#include "ledger/verify.h"

struct fx {
    struct ls_chain c;
    struct ls_bundle_opts o;
    struct ledger_verify_result res;
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f || ls_chain_init(&f->c) != 0) return -1;
    f->o = ls_bundle_default();
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    ls_chain_free(&f->c);
    free(f);
    return 0;
}

/* Verifies inline and again with the signatures checked up front on two
 * threads; both must give the same code and report. */
static int run_verify(struct fx *f)
{
    size_t len;
    uint8_t *buf = ls_bundle_encode(&f->c, &f->o, &len);
    int rc = ledger_verify_bundle(f->c.g, NULL, buf, len, NULL, NULL, NULL, &f->res);
    struct ledger_verify_result *res = malloc(sizeof *res);
    assert_non_null(res);
    struct wb_exec_threads te = {.threads = 2};
    struct wb_executor ex = wb_exec_threads(&te);
    int rc2 = ledger_verify_bundle(f->c.g, NULL, buf, len, &ex, NULL, NULL, res);
    free(buf);
    if (rc2 != rc || res->failed_event != f->res.failed_event ||
        strcmp(res->message, f->res.message) != 0 ||
        res->events_checked != f->res.events_checked)
        fail_msg("inline: rc %d, \"%s\"; with an executor: rc %d, \"%s\"", rc,
                 f->res.message, rc2, res->message);
    free(res);
    return rc;
}

/* Expects bundle event `index` (-1: the bundle as a whole) to fail `check`
 * with a message naming it and containing `want`. */
static void expect_fail(struct fx *f, long index, const char *check, const char *want)
{
    int rc = run_verify(f);
    const struct ledger_verify_result *r = &f->res;
    if (rc != WB_ERR_VERIFY || r->ok || r->failed_event != index ||
        strcmp(r->failed_check, check) != 0 || !strstr(r->message, want))
        fail_msg("expected event %ld to fail %s with \"%s\"; got rc %d, ok %d, event %ld, "
                 "check '%s', message \"%s\"",
                 index, check, want, rc, r->ok, r->failed_event, r->failed_check, r->message);
    char named[64];
    if (index >= 0)
        snprintf(named, sizeof named, "): %s: ", check);
    else
        snprintf(named, sizeof named, "bundle: %s: ", check);
    if (!strstr(r->message, named))
        fail_msg("message does not name check %s: %s", check, r->message);
}

/* ---- forgeries, one header field each ------------------------------------------- */

struct forge {
    uint64_t height;                      /* the block forged */
    struct ls_chain *c;
    void (*apply)(struct forge *fg, struct ls_block *b);
    int64_t value;
};

static void forge_cb(void *ctx, struct ls_block *b)
{
    struct forge *fg = ctx;
    if (b->height == fg->height) fg->apply(fg, b);
}

static void build_forged(struct fx *f, uint64_t height, void (*apply)(struct forge *, struct ls_block *),
                         int64_t value)
{
    struct forge fg = {.height = height, .c = &f->c, .apply = apply, .value = value};
    ls_chain_build(&f->c, forge_cb, &fg);
}

static void set_version(struct forge *fg, struct ls_block *b) { b->h.version = (uint32_t)fg->value; }
static void set_height(struct forge *fg, struct ls_block *b) { b->h.height = (uint64_t)fg->value; }
static void set_time(struct forge *fg, struct ls_block *b) { b->h.time_ms = fg->value; }
static void set_proposer(struct forge *fg, struct ls_block *b) { b->h.proposer = (uint32_t)fg->value; }
static void set_count(struct forge *fg, struct ls_block *b) { b->h.event_count = (uint32_t)fg->value; }

static void set_other_chain(struct forge *fg, struct ls_block *b)
{
    (void)fg;
    ledger_chain_id("another-chain", b->h.chain_id);
}

static void set_prev_nonzero(struct forge *fg, struct ls_block *b)
{
    (void)fg;
    memset(b->h.prev_hash, 0x11, WB_HASH_LEN);
}

/* prev_hash = the hash of block `value` instead of the block below. */
static void set_prev_of(struct forge *fg, struct ls_block *b)
{
    memcpy(b->h.prev_hash, fg->c->blocks[fg->value - 1].hash, WB_HASH_LEN);
}

/* A version 1 header that carries a version 2 field. */
static void set_state_root(struct forge *fg, struct ls_block *b)
{
    (void)fg;
    b->h.has_state = true;
    memset(b->h.state_root, 0x22, WB_HASH_LEN);
}

static void set_root(struct forge *fg, struct ls_block *b)
{
    (void)fg;
    ledger_sha256((const uint8_t *)"not these events", 16, b->h.events_root);
}

/* ---- the tests ------------------------------------------------------------------ */

static void honest_chain_verifies(void **state)
{
    struct fx *f = *state;
    ls_chain_build(&f->c, NULL, NULL);
    int rc = run_verify(f);
    if (rc) fail_msg("honest bundle refused: %s", f->res.message);
    assert_true(f->res.ok);
    assert_int_equal(f->res.events_checked, LS_MINE);
    assert_int_equal(f->res.blocks_checked, 3);
}

static void forged_version(void **state)
{
    struct fx *f = *state;
    build_forged(f, 2, set_version, 2);
    expect_fail(f, 1, VERIFY_CHECK_VERSION, "block 2: header version 2, expected 1");
}

static void forged_state_root_in_version_1(void **state)
{
    struct fx *f = *state;
    build_forged(f, 2, set_state_root, 0);
    expect_fail(f, 1, VERIFY_CHECK_VERSION,
                "block 2: a version 1 header with a state root or item count");
}

static void forged_chain_id(void **state)
{
    struct fx *f = *state;
    build_forged(f, 2, set_other_chain, 0);
    expect_fail(f, 1, VERIFY_CHECK_CHAIN_ID, "block 2 is from another chain");
}

static void forged_height(void **state)
{
    struct fx *f = *state;
    /* Listed (and certified) at height 3, but the header says 7. */
    build_forged(f, 3, set_height, 7);
    expect_fail(f, 2, VERIFY_CHECK_HEIGHT,
                "the block listed at height 3 has a header of height 7");
}

static void forged_prev_hash_of_block_one(void **state)
{
    struct fx *f = *state;
    build_forged(f, 1, set_prev_nonzero, 0);
    expect_fail(f, 0, VERIFY_CHECK_ZERO_PREV,
                "block 1 names previous block 1111111111111111..., but the first block's "
                "previous hash is 32 zero bytes");
}

static void forged_prev_hash_link(void **state)
{
    struct fx *f = *state;
    /* Block 3 names block 1 (a real, certified block) as its previous. */
    build_forged(f, 3, set_prev_of, 1);
    char want[160], a[17], b[17];
    snprintf(want, sizeof want, "block 3 names previous block %s..., but block 2 in the "
             "bundle is %s...",
             wb_hex_encode(f->c.blocks[0].hash, 8, a, sizeof a),
             wb_hex_encode(f->c.blocks[1].hash, 8, b, sizeof b));
    expect_fail(f, 2, VERIFY_CHECK_PREV_HASH, want);
}

static void forged_time_order(void **state)
{
    struct fx *f = *state;
    int64_t t2 = ls_block_time(2);
    char want[160];
    /* The same time as the block below: not strictly after it. */
    build_forged(f, 3, set_time, t2);
    snprintf(want, sizeof want, "block 3 has time %lld ms, not after block 2's time %lld ms",
             (long long)t2, (long long)t2);
    expect_fail(f, 2, VERIFY_CHECK_TIME_ORDER, want);
    /* Backwards. */
    build_forged(f, 3, set_time, t2 - 1);
    snprintf(want, sizeof want, "block 3 has time %lld ms, not after block 2's time %lld ms",
             (long long)(t2 - 1), (long long)t2);
    expect_fail(f, 2, VERIFY_CHECK_TIME_ORDER, want);
    /* Block 2 before block 1. */
    build_forged(f, 2, set_time, ls_block_time(1) - 5);
    expect_fail(f, 1, VERIFY_CHECK_TIME_ORDER, "block 2 has time");
}

static void forged_proposer(void **state)
{
    struct fx *f = *state;
    build_forged(f, 2, set_proposer, LS_VALIDATORS);
    expect_fail(f, 1, VERIFY_CHECK_PROPOSER,
                "block 2 names proposer 4, but genesis lists 4 validators (0 to 3)");
    build_forged(f, 2, set_proposer, UINT32_MAX);
    expect_fail(f, 1, VERIFY_CHECK_PROPOSER, "names proposer 4294967295");
    /* The last index is in range. */
    build_forged(f, 2, set_proposer, LS_VALIDATORS - 1);
    assert_int_equal(run_verify(f), WB_OK);
}

static void forged_event_count(void **state)
{
    struct fx *f = *state;
    /* Block 3 holds 3 events; the inspection is index 0 with a path of 2. */
    build_forged(f, 3, set_count, 0);
    assert_int_equal(f->c.mine[2].index, 0);
    assert_int_equal(f->c.mine[2].path_len, 2);
    expect_fail(f, 2, VERIFY_CHECK_EVENT_COUNT,
                "index 0 is outside block 3, which holds 0 events");
    /* 5 events would need a path of 3 for index 0. */
    build_forged(f, 3, set_count, 5);
    expect_fail(f, 2, VERIFY_CHECK_EVENT_COUNT,
                "audit path has 2 hashes, but index 0 of block 3's 5 events needs 3");
    /* 2 events would need a path of 1. */
    build_forged(f, 3, set_count, 2);
    expect_fail(f, 2, VERIFY_CHECK_EVENT_COUNT,
                "audit path has 2 hashes, but index 0 of block 3's 2 events needs 1");
}

static void forged_events_root(void **state)
{
    struct fx *f = *state;
    build_forged(f, 3, set_root, 0);
    expect_fail(f, 2, VERIFY_CHECK_INCLUSION,
                "audit path for index 0 does not lead to the events root of block 3");
}

static void unreferenced_block(void **state)
{
    struct fx *f = *state;
    ls_chain_build(&f->c, NULL, NULL);
    /* Block 4 is honest and certified, but none of the item's events is in it. */
    f->o.n_blocks = 4;
    f->o.blocks[3] = 3;
    expect_fail(f, -1, VERIFY_CHECK_UNREFERENCED,
                "block 4 is in the bundle, but none of its events is");
    assert_int_equal(f->res.events_checked, LS_MINE);
}

/* Offsets and numbers of the top-level fields of a protobuf message. */
static size_t top_fields(const uint8_t *b, size_t len, size_t *at, uint32_t *num, size_t max)
{
    size_t pos = 0, n = 0;
    while (pos < len && n < max) {
        at[n] = pos;
        uint64_t v = 0;
        for (unsigned s = 0; pos < len; s += 7) {
            v |= (uint64_t)(b[pos] & 0x7f) << s;
            if (!(b[pos++] & 0x80)) break;
        }
        num[n++] = (uint32_t)(v >> 3);
        assert_int_equal(v & 7, 2); /* every ProofBundle field is length-delimited */
        uint64_t l = 0;
        for (unsigned s = 0; pos < len; s += 7) {
            l |= (uint64_t)(b[pos] & 0x7f) << s;
            if (!(b[pos++] & 0x80)) break;
        }
        pos += (size_t)l;
    }
    assert_int_equal(pos, len);
    return n;
}

static void head_event_tag_flip(void **state)
{
    struct fx *f = *state;
    ls_chain_build(&f->c, NULL, NULL);
    size_t len;
    uint8_t *buf = ls_bundle_encode(&f->c, &f->o, &len);
    size_t at[16];
    uint32_t num[16];
    size_t n = top_fields(buf, len, at, num, 16);
    size_t last = SIZE_MAX;
    for (size_t i = 0; i < n; i++)
        if (num[i] == 2) last = at[i];
    assert_true(last != SIZE_MAX);
    assert_int_equal(buf[last], 0x12); /* field 2 (events), length-delimited */
    buf[last] ^= 0x20;                 /* field 6: no field of ProofBundle */

    /* What a decoder that keeps unknown fields sees: the head is gone, and
     * the two events left are a valid history on their own. */
    Waybill__ProofBundle *pb = waybill__proof_bundle__unpack(NULL, len, buf);
    assert_non_null(pb);
    assert_int_equal(pb->n_events, LS_MINE - 1);
    assert_int_equal(pb->base.n_unknown_fields, 1);
    waybill__proof_bundle__free_unpacked(pb, NULL);

    int rc = ledger_verify_bundle(f->c.g, NULL, buf, len, NULL, NULL, NULL, &f->res);
    free(buf);
    assert_int_equal(rc, WB_ERR_DECODE);
    assert_false(f->res.ok);
    assert_int_equal(f->res.failed_event, -1);
    assert_string_equal(f->res.failed_check, VERIFY_CHECK_DECODE);
    assert_string_equal(f->res.message, "bundle: decode: proof bundle: unknown field 6");
    assert_int_equal(f->res.events_checked, 0);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(honest_chain_verifies),
        T(forged_version),
        T(forged_state_root_in_version_1),
        T(forged_chain_id),
        T(forged_height),
        T(forged_prev_hash_of_block_one),
        T(forged_prev_hash_link),
        T(forged_time_order),
        T(forged_proposer),
        T(forged_event_count),
        T(forged_events_root),
        T(unreferenced_block),
        T(head_event_tag_flip),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
