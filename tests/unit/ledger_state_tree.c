/* Unit tests of ledger/state_tree.c and ledger/item_leaf.c: the incremental
 * item-state tree against merkle_root / merkle_audit_path of ledger/merkle.c
 * (which are tested against RFC 6962 and its vectors) over random batches
 * of updates and appends, its refusals, and the 128-byte leaf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/bytes.h"
#include "common/wb_error.h"
#include "ledger/item_leaf.h"
#include "ledger/merkle.h"
#include "ledger/sha256.h"
#include "ledger/state_tree.h"

typedef uint8_t hash_t[MERKLE_HASH_LEN];

/* A small deterministic generator (xorshift64), so a failure repeats. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static void leaf_of(uint64_t i, uint64_t version, uint8_t out[32])
{
    uint8_t data[16];
    wb_put_u64be(data, i);
    wb_put_u64be(data + 8, version);
    merkle_leaf_hash(data, sizeof data, out);
}

/* The tree must equal the reference over `ref[0..n)`: count, root, every
 * leaf, and the audit path of every leaf (all of them up to 70 leaves, a
 * sample above). */
static void assert_matches(const struct ledger_state_tree *t, const hash_t *ref, size_t n)
{
    assert_int_equal(t->count, n);
    uint8_t want[32], got[32];
    assert_int_equal(merkle_root(ref, n, want), WB_OK);
    ledger_state_tree_root(t, got);
    assert_memory_equal(got, want, 32);
    size_t step = n <= 70 ? 1 : n / 37;
    for (size_t i = 0; i < n; i += step) {
        uint8_t leaf[32];
        assert_int_equal(ledger_state_tree_leaf(t, i, leaf), WB_OK);
        assert_memory_equal(leaf, ref[i], 32);
        uint8_t pw[MERKLE_PATH_MAX][32], pg[MERKLE_PATH_MAX][32];
        size_t lw, lg;
        assert_int_equal(merkle_audit_path(ref, n, i, pw, &lw), WB_OK);
        assert_int_equal(ledger_state_tree_path(t, i, pg, &lg), WB_OK);
        assert_int_equal(lg, lw);
        assert_int_equal(lg, merkle_audit_path_len(i, n));
        if (lg) assert_memory_equal(pg, pw, lg * 32);
        assert_int_equal(merkle_verify(ref[i], i, n, (const uint8_t (*)[32])pg, lg, want), WB_OK);
    }
}

static void empty_tree_has_the_empty_root(void **state)
{
    (void)state;
    struct ledger_state_tree t;
    ledger_state_tree_init(&t);
    uint8_t root[32], want[32];
    ledger_state_tree_root(&t, root);
    ledger_sha256(NULL, 0, want);
    assert_memory_equal(root, want, 32);
    uint8_t path[MERKLE_PATH_MAX][32];
    size_t len;
    assert_int_equal(ledger_state_tree_path(&t, 0, path, &len), WB_ERR_INVALID);
    assert_int_equal(ledger_state_tree_leaf(&t, 0, root), WB_ERR_INVALID);
    /* An empty batch changes nothing. */
    uint64_t count = 9;
    assert_int_equal(ledger_state_tree_root_after(&t, NULL, 0, root, &count), WB_OK);
    assert_int_equal(count, 0);
    assert_memory_equal(root, want, 32);
    assert_int_equal(ledger_state_tree_apply(&t, NULL, 0), WB_OK);
    assert_int_equal(t.count, 0);
    ledger_state_tree_free(&t);
}

/* One leaf appended at a time, from 0 to 300 leaves: every size. */
static void appends_one_by_one_match_merkle_root_for_sizes_1_to_300(void **state)
{
    (void)state;
    enum { N = 300 };
    hash_t *ref = calloc(N, sizeof *ref);
    assert_non_null(ref);
    struct ledger_state_tree t;
    ledger_state_tree_init(&t);
    for (size_t n = 1; n <= N; n++) {
        struct ledger_leaf_update u = {.index = n - 1};
        leaf_of(n - 1, 0, u.hash);
        memcpy(ref[n - 1], u.hash, 32);
        uint8_t predicted[32];
        uint64_t count;
        assert_int_equal(ledger_state_tree_root_after(&t, &u, 1, predicted, &count), WB_OK);
        assert_int_equal(count, n);
        assert_int_equal(t.count, n - 1); /* root_after changes nothing */
        assert_int_equal(ledger_state_tree_apply(&t, &u, 1), WB_OK);
        uint8_t root[32];
        ledger_state_tree_root(&t, root);
        assert_memory_equal(root, predicted, 32);
        assert_matches(&t, ref, n);
    }
    ledger_state_tree_free(&t);
    free(ref);
}

/* Random batches of updates and appends, as blocks make them: the root
 * predicted before the batch equals the root after it and the reference,
 * and a tree built in one go from the final leaves is the same tree. */
static void random_batches_match_the_reference(void **state)
{
    (void)state;
    enum { N = 2000, ROUNDS = 400 };
    hash_t *ref = calloc(N, sizeof *ref);
    struct ledger_leaf_update *batch = calloc(N, sizeof *batch);
    bool *pick = calloc(N, sizeof *pick);
    assert_non_null(ref);
    assert_non_null(batch);
    assert_non_null(pick);
    struct ledger_state_tree t;
    ledger_state_tree_init(&t);
    uint64_t seed = 0x9e3779b97f4a7c15u;
    size_t n = 0;
    for (uint64_t round = 1; round <= ROUNDS; round++) {
        size_t adds = (size_t)(rng_next(&seed) % 8);
        if (n + adds > N) adds = N - n;
        size_t changes = n ? (size_t)(rng_next(&seed) % 12) : 0;
        memset(pick, 0, N * sizeof *pick);
        for (size_t c = 0; c < changes; c++) pick[rng_next(&seed) % n] = true;
        for (size_t a = 0; a < adds; a++) pick[n + a] = true;
        size_t k = 0;
        for (size_t i = 0; i < n + adds; i++) {
            if (!pick[i]) continue;
            batch[k].index = i;
            leaf_of(i, round, batch[k].hash);
            k++;
        }
        uint8_t predicted[32], root[32];
        uint64_t count;
        assert_int_equal(ledger_state_tree_root_after(&t, batch, k, predicted, &count), WB_OK);
        assert_int_equal(count, n + adds);
        assert_int_equal(ledger_state_tree_apply(&t, batch, k), WB_OK);
        for (size_t j = 0; j < k; j++) memcpy(ref[batch[j].index], batch[j].hash, 32);
        n += adds;
        ledger_state_tree_root(&t, root);
        assert_memory_equal(root, predicted, 32);
        if (round % 20 == 0 || round < 30) assert_matches(&t, ref, n);
    }
    assert_matches(&t, ref, n);
    struct ledger_state_tree built;
    ledger_state_tree_init(&built);
    assert_int_equal(ledger_state_tree_build(&built, (const uint8_t (*)[32])ref, n), WB_OK);
    assert_matches(&built, ref, n);
    ledger_state_tree_free(&built);
    ledger_state_tree_free(&t);
    free(pick);
    free(batch);
    free(ref);
}

/* A batch that adds many leaves at once, to an empty and to a full tree
 * (crossing several powers of two). */
static void large_appends_in_one_batch(void **state)
{
    (void)state;
    enum { N = 5000 };
    hash_t *ref = calloc(N, sizeof *ref);
    struct ledger_leaf_update *batch = calloc(N, sizeof *batch);
    assert_non_null(ref);
    assert_non_null(batch);
    struct ledger_state_tree t;
    ledger_state_tree_init(&t);
    size_t n = 0;
    const size_t sizes[] = {1, 2, 3, 1021, 1, 3000, 972};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        for (size_t j = 0; j < sizes[s]; j++) {
            batch[j].index = n + j;
            leaf_of(n + j, s, batch[j].hash);
            memcpy(ref[n + j], batch[j].hash, 32);
        }
        assert_int_equal(ledger_state_tree_apply(&t, batch, sizes[s]), WB_OK);
        n += sizes[s];
        assert_matches(&t, ref, n);
    }
    assert_int_equal(n, N);
    ledger_state_tree_free(&t);
    free(batch);
    free(ref);
}

static void bad_batches_are_refused_and_change_nothing(void **state)
{
    (void)state;
    hash_t ref[10];
    struct ledger_state_tree t;
    ledger_state_tree_init(&t);
    for (size_t i = 0; i < 10; i++) leaf_of(i, 0, ref[i]);
    assert_int_equal(ledger_state_tree_build(&t, (const uint8_t (*)[32])ref, 10), WB_OK);
    uint8_t before[32], root[32];
    ledger_state_tree_root(&t, before);
    struct ledger_leaf_update u[3];
    memset(u, 0, sizeof u);
    /* a gap after the count: leaf 11 without leaf 10 */
    u[0].index = 11;
    assert_int_equal(ledger_state_tree_root_after(&t, u, 1, root, NULL), WB_ERR_INVALID);
    assert_int_equal(ledger_state_tree_apply(&t, u, 1), WB_ERR_INVALID);
    /* not strictly ascending */
    u[0].index = 4;
    u[1].index = 4;
    assert_int_equal(ledger_state_tree_apply(&t, u, 2), WB_ERR_INVALID);
    u[0].index = 5;
    u[1].index = 3;
    assert_int_equal(ledger_state_tree_apply(&t, u, 2), WB_ERR_INVALID);
    /* an append that skips one: 10 and 12 */
    u[0].index = 2;
    u[1].index = 10;
    u[2].index = 12;
    assert_int_equal(ledger_state_tree_apply(&t, u, 3), WB_ERR_INVALID);
    assert_int_equal(ledger_state_tree_apply(&t, NULL, 1), WB_ERR_INVALID);
    ledger_state_tree_root(&t, root);
    assert_memory_equal(root, before, 32);
    assert_matches(&t, ref, 10);
    uint8_t path[MERKLE_PATH_MAX][32];
    size_t len;
    assert_int_equal(ledger_state_tree_path(&t, 10, path, &len), WB_ERR_INVALID);
    ledger_state_tree_free(&t);
}

/* ---- the leaf -------------------------------------------------------------- */

static void state_of(struct ledger_item_state *st)
{
    memset(st, 0, sizeof *st);
    snprintf(st->item, sizeof st->item, "MSCU1234565");
    memset(st->head, 0xab, sizeof st->head);
    snprintf(st->custodian, sizeof st->custodian, "blue-ocean-lines");
    st->status = LEDGER_ITEM_IN_TRANSFER;
    st->customs = LEDGER_CUSTOMS_HELD;
    st->movement = LEDGER_MOVE_UNDERWAY;
    st->count = 0x01020304;
    st->first_height = 7;
    st->last_height = 0x1122334455667788u;
}

static void leaf_bytes_are_the_documented_layout(void **state)
{
    (void)state;
    struct ledger_item_state st;
    state_of(&st);
    struct ledger_item_leaf leaf;
    ledger_item_leaf_from_state(&st, 0x0a0b0c0d0e0f1011u, &leaf);
    uint8_t buf[LEDGER_ITEM_LEAF_LEN];
    ledger_item_leaf_encode(&leaf, buf);
    const uint8_t head16[] = {1, 2, 1, 2, 1, 2, 3, 4, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11};
    assert_memory_equal(buf, head16, 16);
    const uint8_t heights[] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0, 0, 0, 0, 0, 0, 0, 7};
    assert_memory_equal(buf + 16, heights, 16);
    uint8_t h[32];
    ledger_sha256((const uint8_t *)"MSCU1234565", 11, h);
    assert_memory_equal(buf + 32, h, 32);
    assert_memory_equal(buf + 64, st.head, 32);
    ledger_sha256((const uint8_t *)"blue-ocean-lines", 16, h);
    assert_memory_equal(buf + 96, h, 32);
    /* The tree's leaf hash is RFC 6962's over the 128 bytes. */
    uint8_t want[32], got[32];
    merkle_leaf_hash(buf, sizeof buf, want);
    ledger_item_leaf_hash(&leaf, got);
    assert_memory_equal(got, want, 32);

    struct ledger_item_leaf back;
    char msg[160];
    assert_int_equal(ledger_item_leaf_decode(buf, sizeof buf, &back, msg, sizeof msg), WB_OK);
    assert_memory_equal(&back, &leaf, sizeof back);
}

static void leaf_decode_refuses_what_no_state_gives(void **state)
{
    (void)state;
    struct ledger_item_state st;
    state_of(&st);
    struct ledger_item_leaf leaf, out;
    ledger_item_leaf_from_state(&st, 3, &leaf);
    uint8_t good[LEDGER_ITEM_LEAF_LEN], bad[LEDGER_ITEM_LEAF_LEN + 1];
    ledger_item_leaf_encode(&leaf, good);
    char msg[160];
    struct {
        size_t offset;
        uint8_t value;
        const char *reason;
    } cases[] = {
        {0, 2, "version 2"},        {1, 0, "status 0"},        {1, 4, "status 4"},
        {2, 4, "customs status 4"}, {3, 3, "movement 3"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        memcpy(bad, good, sizeof good);
        bad[cases[c].offset] = cases[c].value;
        msg[0] = '\0';
        assert_int_equal(ledger_item_leaf_decode(bad, sizeof good, &out, msg, sizeof msg),
                         WB_ERR_INVALID);
        if (!strstr(msg, cases[c].reason)) fail_msg("case %zu: reason \"%s\"", c, msg);
    }
    memcpy(bad, good, sizeof good);
    memset(bad + 4, 0, 4); /* count 0 */
    assert_int_equal(ledger_item_leaf_decode(bad, sizeof good, &out, msg, sizeof msg),
                     WB_ERR_INVALID);
    assert_non_null(strstr(msg, "count of 0"));
    memcpy(bad, good, sizeof good);
    memset(bad + 24, 0, 8); /* first height 0 */
    assert_int_equal(ledger_item_leaf_decode(bad, sizeof good, &out, msg, sizeof msg),
                     WB_ERR_INVALID);
    assert_non_null(strstr(msg, "first height of 0"));
    memcpy(bad, good, sizeof good);
    wb_put_u64be(bad + 16, 6); /* head height 6 < first height 7 */
    assert_int_equal(ledger_item_leaf_decode(bad, sizeof good, &out, msg, sizeof msg),
                     WB_ERR_INVALID);
    assert_non_null(strstr(msg, "below first height"));
    assert_int_equal(ledger_item_leaf_decode(good, sizeof good - 1, &out, msg, sizeof msg),
                     WB_ERR_INVALID);
    assert_int_equal(ledger_item_leaf_decode(bad, sizeof bad, &out, msg, sizeof msg),
                     WB_ERR_INVALID);
    assert_int_equal(ledger_item_leaf_decode(NULL, 0, &out, msg, sizeof msg), WB_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_tree_has_the_empty_root),
        cmocka_unit_test(appends_one_by_one_match_merkle_root_for_sizes_1_to_300),
        cmocka_unit_test(random_batches_match_the_reference),
        cmocka_unit_test(large_appends_in_one_batch),
        cmocka_unit_test(bad_batches_are_refused_and_change_nothing),
        cmocka_unit_test(leaf_bytes_are_the_documented_layout),
        cmocka_unit_test(leaf_decode_refuses_what_no_state_gives),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
