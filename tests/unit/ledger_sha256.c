/* Unit tests of ledger/sha256.c: FIPS 180-4 vectors, every length 0..1024
 * and incremental splits against libsodium, on both implementations. */
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

#include "common/hex.h"
#include "ledger/sha256.h"
#include "ledger/sha256_impl.h"

#define LEN_MAX 1024
#define MILLION 1000000

static const char *impl_name(enum ledger_sha256_impl impl)
{
    return impl == LEDGER_SHA256_SHANI ? "SHA-NI" : "portable";
}

/* Skips the calling test, saying why, when this CPU cannot run impl. */
static void require(enum ledger_sha256_impl impl)
{
    if (ledger__sha256_supported(impl)) return;
    print_message("%s SHA-256 not supported on this CPU (valgrind also hides SHA-NI): "
                  "skipping\n", impl_name(impl));
    skip();
}

/* Deterministic pseudo-random bytes, the same on every run. */
static void fill(uint8_t *buf, size_t len, uint32_t seed_word)
{
    uint8_t seed[randombytes_SEEDBYTES] = {0};
    memcpy(seed, &seed_word, sizeof seed_word);
    randombytes_buf_deterministic(buf, len, seed);
}

static void expect_digest(const uint8_t got[32], const uint8_t want[32],
                          enum ledger_sha256_impl impl, const char *what, size_t a, size_t b)
{
    if (memcmp(got, want, 32) == 0) return;
    char g[65], w[65];
    wb_hex_encode(got, 32, g, sizeof g);
    wb_hex_encode(want, 32, w, sizeof w);
    fail_msg("%s %s (%zu, %zu): got %s, expected %s", impl_name(impl), what, a, b, g, w);
}

static void expect_hex(const uint8_t got[32], const char *want_hex,
                       enum ledger_sha256_impl impl, const char *what)
{
    char g[65];
    wb_hex_encode(got, 32, g, sizeof g);
    if (strcmp(g, want_hex) != 0)
        fail_msg("%s %s: got %s, expected %s", impl_name(impl), what, g, want_hex);
}

static void libsodium_sha256(const uint8_t *data, size_t len, uint8_t out[32])
{
    static const uint8_t empty[1];
    assert_int_equal(crypto_hash_sha256(out, len ? data : empty, len), 0);
}

static void incremental(enum ledger_sha256_impl impl, const uint8_t *data, size_t len,
                        size_t chunk, uint8_t out[32])
{
    struct ledger_sha256_ctx ctx;
    ledger__sha256_init_impl(&ctx, impl);
    assert_int_equal(ctx.impl, impl);
    for (size_t off = 0; off < len; off += chunk)
        ledger_sha256_update(&ctx, data + off, len - off < chunk ? len - off : chunk);
    ledger_sha256_final(&ctx, out);
}

/* ---- tests on one implementation ------------------------------------------------ */

/* FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA2_Additional.pdf"). */
static const struct {
    const char *msg;
    const char *hex;
} nist[] = {
    {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqr"
     "lmnopqrsmnopqrstnopqrstu",
     "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
};

static void nist_vectors(enum ledger_sha256_impl impl)
{
    require(impl);
    for (size_t i = 0; i < sizeof nist / sizeof nist[0]; i++) {
        const uint8_t *msg = (const uint8_t *)nist[i].msg;
        size_t len = strlen(nist[i].msg);
        uint8_t out[32];
        char what[48];
        snprintf(what, sizeof what, "one-shot, %zu-byte vector", len);
        ledger__sha256_impl(impl, msg, len, out);
        expect_hex(out, nist[i].hex, impl, what);
        snprintf(what, sizeof what, "byte at a time, %zu-byte vector", len);
        incremental(impl, msg, len, 1, out);
        expect_hex(out, nist[i].hex, impl, what);
    }
}

static void million_a(enum ledger_sha256_impl impl)
{
    require(impl);
    static const char *want = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    uint8_t *a = malloc(MILLION);
    assert_non_null(a);
    memset(a, 'a', MILLION);
    uint8_t out[32];
    ledger__sha256_impl(impl, a, MILLION, out);
    expect_hex(out, want, impl, "one-shot million 'a'");
    incremental(impl, a, MILLION, 1000, out);
    expect_hex(out, want, impl, "million 'a' in 1000-byte updates");
    /* Chunks of 1 to 199 bytes, so the buffer sits at every fill level. */
    struct ledger_sha256_ctx ctx;
    ledger__sha256_init_impl(&ctx, impl);
    for (size_t off = 0, chunk = 1; off < MILLION; chunk = chunk % 199 + 1) {
        size_t n = MILLION - off < chunk ? MILLION - off : chunk;
        ledger_sha256_update(&ctx, a + off, n);
        off += n;
    }
    ledger_sha256_final(&ctx, out);
    expect_hex(out, want, impl, "million 'a' in 1..199-byte updates");
    free(a);
}

static void every_length_matches_libsodium(enum ledger_sha256_impl impl)
{
    require(impl);
    uint8_t data[LEN_MAX];
    fill(data, sizeof data, 1);
    for (size_t len = 0; len <= LEN_MAX; len++) {
        uint8_t want[32], got[32];
        libsodium_sha256(data, len, want);
        ledger__sha256_impl(impl, data, len, got);
        expect_digest(got, want, impl, "one-shot (length, 0)", len, 0);
        incremental(impl, data, len, len ? len : 1, got);
        expect_digest(got, want, impl, "one update (length, 0)", len, 0);
    }
}

/* Each input hashed as two updates split at every offset, and as three
 * updates split at every pair of offsets for a length spanning 3 blocks. */
static void split_updates_match_libsodium(enum ledger_sha256_impl impl)
{
    require(impl);
    static const size_t lens[] = {0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 129, 367, 1000};
    uint8_t data[LEN_MAX];
    fill(data, sizeof data, 2);
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        size_t len = lens[k];
        uint8_t want[32];
        libsodium_sha256(data, len, want);
        for (size_t i = 0; i <= len; i++) {
            struct ledger_sha256_ctx ctx;
            uint8_t got[32];
            ledger__sha256_init_impl(&ctx, impl);
            ledger_sha256_update(&ctx, data, i);
            ledger_sha256_update(&ctx, data + i, len - i);
            ledger_sha256_final(&ctx, got);
            expect_digest(got, want, impl, "two updates (length, split)", len, i);
        }
    }
    const size_t len = 150;
    uint8_t want[32];
    libsodium_sha256(data, len, want);
    for (size_t i = 0; i <= len; i++) {
        for (size_t j = i; j <= len; j++) {
            struct ledger_sha256_ctx ctx;
            uint8_t got[32];
            ledger__sha256_init_impl(&ctx, impl);
            ledger_sha256_update(&ctx, data, i);
            ledger_sha256_update(&ctx, data + i, j - i);
            ledger_sha256_update(&ctx, data + j, len - j);
            ledger_sha256_final(&ctx, got);
            expect_digest(got, want, impl, "three updates of 150 bytes (splits)", i, j);
        }
    }
}

/* Inputs longer than the sweep, up to past the largest event body. */
static void long_inputs_match_libsodium(enum ledger_sha256_impl impl)
{
    require(impl);
    enum { LONG_MAX_LEN = 9000 };
    uint8_t *data = malloc(LONG_MAX_LEN);
    assert_non_null(data);
    fill(data, LONG_MAX_LEN, 3);
    for (size_t len = LEN_MAX + 1; len <= LONG_MAX_LEN; len += 61) {
        uint8_t want[32], got[32];
        libsodium_sha256(data, len, want);
        ledger__sha256_impl(impl, data, len, got);
        expect_digest(got, want, impl, "one-shot (length, 0)", len, 0);
        incremental(impl, data, len, 333, got);
        expect_digest(got, want, impl, "333-byte updates (length, 0)", len, 0);
    }
    free(data);
}

/* NULL with length 0 is the empty input, alone and between other updates;
 * a context started again forgets what it hashed. */
static void null_empty_and_reinit(enum ledger_sha256_impl impl)
{
    require(impl);
    const char *empty_hex = nist[0].hex, *abc_hex = nist[1].hex;
    uint8_t out[32];
    ledger__sha256_impl(impl, NULL, 0, out);
    expect_hex(out, empty_hex, impl, "one-shot NULL, 0");

    struct ledger_sha256_ctx ctx;
    ledger__sha256_init_impl(&ctx, impl);
    ledger_sha256_update(&ctx, NULL, 0);
    ledger_sha256_final(&ctx, out);
    expect_hex(out, empty_hex, impl, "update NULL, 0 then final");

    ledger__sha256_init_impl(&ctx, impl);
    ledger_sha256_final(&ctx, out);
    expect_hex(out, empty_hex, impl, "final with no update");

    ledger__sha256_init_impl(&ctx, impl);
    ledger_sha256_update(&ctx, (const uint8_t *)"x", 1);
    ledger__sha256_init_impl(&ctx, impl);
    ledger_sha256_update(&ctx, NULL, 0);
    ledger_sha256_update(&ctx, (const uint8_t *)"ab", 2);
    ledger_sha256_update(&ctx, NULL, 0);
    ledger_sha256_update(&ctx, (const uint8_t *)"c", 1);
    ledger_sha256_final(&ctx, out);
    expect_hex(out, abc_hex, impl, "re-init, then NULL, \"ab\", NULL, \"c\"");
}

#define ON_BOTH(test)                                                                \
    static void portable_##test(void **state)                                        \
    {                                                                                \
        (void)state;                                                                 \
        test(LEDGER_SHA256_PORTABLE);                                                \
    }                                                                                \
    static void shani_##test(void **state)                                           \
    {                                                                                \
        (void)state;                                                                 \
        test(LEDGER_SHA256_SHANI);                                                   \
    }

ON_BOTH(nist_vectors)
ON_BOTH(million_a)
ON_BOTH(every_length_matches_libsodium)
ON_BOTH(split_updates_match_libsodium)
ON_BOTH(long_inputs_match_libsodium)
ON_BOTH(null_empty_and_reinit)

/* ---- the default choice ------------------------------------------------------- */

static void default_is_shani_exactly_when_supported(void **state)
{
    (void)state;
    bool shani = ledger__sha256_supported(LEDGER_SHA256_SHANI);
    enum ledger_sha256_impl def = ledger__sha256_default();
    print_message("SHA-NI %s; ledger_sha256 runs on the %s implementation\n",
                  shani ? "supported" : "not supported", impl_name(def));
    assert_true(ledger__sha256_supported(LEDGER_SHA256_PORTABLE));
    if (def != (shani ? LEDGER_SHA256_SHANI : LEDGER_SHA256_PORTABLE))
        fail_msg("default is %s but SHA-NI is %s", impl_name(def),
                 shani ? "supported" : "not supported");
    struct ledger_sha256_ctx ctx;
    ledger_sha256_init(&ctx);
    if (ctx.impl != def)
        fail_msg("ledger_sha256_init chose %s, default is %s", impl_name(ctx.impl),
                 impl_name(def));
}

static void default_entry_points_match_libsodium(void **state)
{
    (void)state;
    enum ledger_sha256_impl def = ledger__sha256_default();
    uint8_t data[LEN_MAX];
    fill(data, sizeof data, 4);
    for (size_t len = 0; len <= LEN_MAX; len += 7) {
        uint8_t want[32], got[32];
        libsodium_sha256(data, len, want);
        ledger_sha256(data, len, got);
        expect_digest(got, want, def, "ledger_sha256 (length, 0)", len, 0);
        struct ledger_sha256_ctx ctx;
        ledger_sha256_init(&ctx);
        ledger_sha256_update(&ctx, data, len / 3);
        ledger_sha256_update(&ctx, data + len / 3, len - len / 3);
        ledger_sha256_final(&ctx, got);
        expect_digest(got, want, def, "ledger_sha256_init/update/final (length, split)", len,
                      len / 3);
    }
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_is_shani_exactly_when_supported),
        cmocka_unit_test(default_entry_points_match_libsodium),
        cmocka_unit_test(portable_nist_vectors),
        cmocka_unit_test(shani_nist_vectors),
        cmocka_unit_test(portable_million_a),
        cmocka_unit_test(shani_million_a),
        cmocka_unit_test(portable_every_length_matches_libsodium),
        cmocka_unit_test(shani_every_length_matches_libsodium),
        cmocka_unit_test(portable_split_updates_match_libsodium),
        cmocka_unit_test(shani_split_updates_match_libsodium),
        cmocka_unit_test(portable_long_inputs_match_libsodium),
        cmocka_unit_test(shani_long_inputs_match_libsodium),
        cmocka_unit_test(portable_null_empty_and_reinit),
        cmocka_unit_test(shani_null_empty_and_reinit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
