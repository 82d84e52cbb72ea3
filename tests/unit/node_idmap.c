/* Unit tests of node/idmap.c: put/get/del by 32-byte key, growth, backward-shift
 * deletion under load, shrinking, reserve; checked against a plain array model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "common/wb_error.h"
#include "node/idmap.h"

#define BIG_N 100000

/* Deterministic keys, so a failure re-runs the same way. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static void rng_key(uint64_t *s, uint8_t key[IDMAP_KEY_LEN])
{
    for (size_t i = 0; i < IDMAP_KEY_LEN; i += 8) {
        uint64_t v = rng_next(s);
        memcpy(key + i, &v, 8);
    }
}

/* A distinct non-NULL value per index. */
static void *val(size_t i, unsigned gen) { return (void *)(uintptr_t)((i + 1) * 4 + gen); }

static void put_get_replace_del(void **state)
{
    (void)state;
    struct idmap *m;
    assert_int_equal(idmap_create(0, &m), WB_OK);
    uint8_t a[IDMAP_KEY_LEN], b[IDMAP_KEY_LEN];
    memset(a, 0xaa, sizeof a);
    memcpy(b, a, sizeof b);
    b[IDMAP_KEY_LEN - 1] ^= 1; /* differs in the last byte only */
    int x = 1, y = 2, z = 3;

    assert_null(idmap_get(m, a));
    assert_int_equal(idmap_put(m, a, &x), WB_OK);
    assert_int_equal(idmap_put(m, b, &y), WB_OK);
    assert_ptr_equal(idmap_get(m, a), &x);
    assert_ptr_equal(idmap_get(m, b), &y);
    assert_int_equal(idmap_count(m), 2);

    assert_int_equal(idmap_put(m, a, &z), WB_OK);
    assert_ptr_equal(idmap_get(m, a), &z);
    assert_int_equal(idmap_count(m), 2);

    assert_int_equal(idmap_put(m, a, NULL), WB_ERR_INVALID);
    assert_ptr_equal(idmap_get(m, a), &z);

    assert_ptr_equal(idmap_del(m, a), &z);
    assert_null(idmap_get(m, a));
    assert_ptr_equal(idmap_get(m, b), &y);
    assert_null(idmap_del(m, a));
    assert_int_equal(idmap_count(m), 1);
    idmap_destroy(m);
    idmap_destroy(NULL);
}

static void hundred_thousand_keys_delete_reinsert(void **state)
{
    (void)state;
    uint8_t(*keys)[IDMAP_KEY_LEN] = malloc(BIG_N * sizeof *keys);
    assert_non_null(keys);
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < BIG_N; i++) rng_key(&seed, keys[i]);

    struct idmap *m;
    assert_int_equal(idmap_create(16, &m), WB_OK);
    size_t slots0 = idmap_slots(m);
    for (size_t i = 0; i < BIG_N; i++) {
        int rc = idmap_put(m, keys[i], val(i, 0));
        if (rc) fail_msg("put %zu: %s", i, wb_strerror(rc));
    }
    assert_int_equal(idmap_count(m), BIG_N);
    if (idmap_slots(m) < BIG_N + BIG_N / 3)
        fail_msg("table of %zu slots holds %d keys: more than 3/4 full", idmap_slots(m), BIG_N);
    for (size_t i = 0; i < BIG_N; i++)
        if (idmap_get(m, keys[i]) != val(i, 0)) fail_msg("key %zu: wrong value after insert", i);

    /* Delete a pseudo-random two thirds, which shifts entries back into the
     * holes all over the table. */
    bool *gone = calloc(BIG_N, sizeof *gone);
    assert_non_null(gone);
    size_t deleted = 0;
    for (size_t i = 0; i < BIG_N; i++) {
        if (rng_next(&seed) % 3 == 0) continue;
        if (idmap_del(m, keys[i]) != val(i, 0)) fail_msg("del %zu: wrong value returned", i);
        gone[i] = true;
        deleted++;
    }
    assert_int_equal(idmap_count(m), BIG_N - deleted);
    size_t present = 0;
    for (size_t i = 0; i < BIG_N; i++) {
        void *v = idmap_get(m, keys[i]);
        if (gone[i] && v) fail_msg("key %zu: still found after its delete", i);
        if (!gone[i] && v != val(i, 0)) fail_msg("key %zu: lost or changed by other deletes", i);
        if (v) present++;
    }
    free(gone);
    assert_int_equal(present, BIG_N - deleted);

    /* Re-insert everything with new values: deleted keys come back, kept ones
     * are replaced, and the count ends at BIG_N again. */
    for (size_t i = 0; i < BIG_N; i++) assert_int_equal(idmap_put(m, keys[i], val(i, 1)), WB_OK);
    assert_int_equal(idmap_count(m), BIG_N);
    for (size_t i = 0; i < BIG_N; i++)
        if (idmap_get(m, keys[i]) != val(i, 1)) fail_msg("key %zu: wrong value after re-insert", i);

    /* Keys never inserted are absent. */
    for (size_t i = 0; i < 1000; i++) {
        uint8_t k[IDMAP_KEY_LEN];
        rng_key(&seed, k);
        assert_null(idmap_get(m, k));
        assert_null(idmap_del(m, k));
    }

    for (size_t i = 0; i < BIG_N; i++)
        if (idmap_del(m, keys[i]) != val(i, 1)) fail_msg("final del %zu: wrong value", i);
    assert_int_equal(idmap_count(m), 0);
    if (idmap_slots(m) != slots0)
        fail_msg("empty table kept %zu slots; expected to shrink back to %zu", idmap_slots(m),
                 slots0);
    idmap_destroy(m);
    free(keys);
}

/* Random puts and deletes over `keys_n` keys, in phases of mostly inserts
 * and mostly deletes so the size swings across the growth and shrink
 * points; every answer is compared with an array. */
static void run_model(size_t keys_n, unsigned ops, uint64_t seed, unsigned check_every)
{
    uint8_t(*keys)[IDMAP_KEY_LEN] = malloc(keys_n * sizeof *keys);
    void **model = calloc(keys_n, sizeof *model);
    assert_non_null(keys);
    assert_non_null(model);
    for (size_t i = 0; i < keys_n; i++) rng_key(&seed, keys[i]);
    struct idmap *m;
    assert_int_equal(idmap_create(0, &m), WB_OK);
    size_t count = 0;
    for (unsigned op = 0; op < ops; op++) {
        size_t k = (size_t)(rng_next(&seed) % keys_n);
        bool insert_phase = (op / (ops / 6)) % 2 == 0;
        bool insert = rng_next(&seed) % 10 < (insert_phase ? 7u : 3u);
        if (insert) {
            void *v = val(k, op & 3);
            assert_int_equal(idmap_put(m, keys[k], v), WB_OK);
            if (!model[k]) count++;
            model[k] = v;
        } else {
            void *got = idmap_del(m, keys[k]);
            if (got != model[k])
                fail_msg("%zu keys, op %u: del of key %zu returned a different value", keys_n,
                         op, k);
            if (model[k]) count--;
            model[k] = NULL;
        }
        if (idmap_count(m) != count)
            fail_msg("%zu keys, op %u: count %zu, model %zu", keys_n, op, idmap_count(m), count);
        if (op % check_every == 0)
            for (size_t i = 0; i < keys_n; i++)
                if (idmap_get(m, keys[i]) != model[i])
                    fail_msg("%zu keys, op %u: key %zu differs from the model", keys_n, op, i);
    }
    for (size_t i = 0; i < keys_n; i++)
        if (idmap_get(m, keys[i]) != model[i])
            fail_msg("%zu keys, end: key %zu differs from the model", keys_n, i);
    idmap_destroy(m);
    free(model);
    free(keys);
}

static void random_ops_match_model(void **state)
{
    (void)state;
    run_model(3000, 300000, 12345, 1000);
}

/* 12 keys in the 16-slot minimum table: 3/4 full, so probe runs often wrap
 * past the last slot and deletions shift entries across the wrap. */
static void full_small_table_wraps_around(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 50; seed++) run_model(12, 4000, seed, 1);
}

static void reserve_then_puts_do_not_grow(void **state)
{
    (void)state;
    struct idmap *m;
    assert_int_equal(idmap_create(0, &m), WB_OK);
    assert_int_equal(idmap_reserve(m, 1000), WB_OK);
    size_t slots = idmap_slots(m);
    if (slots < 1000 + 1000 / 3) fail_msg("reserve(1000) left only %zu slots", slots);
    uint64_t seed = 77;
    for (size_t i = 0; i < 1000; i++) {
        uint8_t k[IDMAP_KEY_LEN];
        rng_key(&seed, k);
        assert_int_equal(idmap_put(m, k, val(i, 0)), WB_OK);
    }
    if (idmap_slots(m) != slots)
        fail_msg("puts after reserve grew the table from %zu to %zu slots", slots,
                 idmap_slots(m));
    assert_int_equal(idmap_reserve(m, IDMAP_SLOTS_MAX), WB_ERR_TOO_LARGE);
    assert_int_equal(idmap_slots(m), slots);
    assert_int_equal(idmap_count(m), 1000);
    idmap_destroy(m);

    assert_int_equal(idmap_create(IDMAP_SLOTS_MAX, &m), WB_ERR_TOO_LARGE);
    assert_null(m);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(put_get_replace_del),
        cmocka_unit_test(hundred_thousand_keys_delete_reinsert),
        cmocka_unit_test(random_ops_match_model),
        cmocka_unit_test(full_small_table_wraps_around),
        cmocka_unit_test(reserve_then_puts_do_not_grow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
