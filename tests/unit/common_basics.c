/* Unit tests of common/: hex, big-endian packing, error strings, signing messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "common/bytes.h"
#include "common/hex.h"
#include "common/quorum.h"
#include "common/sigbytes.h"
#include "common/utf8.h"
#include "common/wb_error.h"

static void hex_round_trip(void **state)
{
    (void)state;
    uint8_t in[4] = {0x00, 0xab, 0x7f, 0xff}, out[4];
    char hex[9];
    assert_string_equal(wb_hex_encode(in, 4, hex, sizeof hex), "00ab7fff");
    assert_int_equal(wb_hex_decode("00AB7fff", out, 4), WB_OK);
    assert_memory_equal(in, out, 4);
    assert_int_equal(wb_hex_decode("00ab7ff", out, 4), WB_ERR_INVALID);
    assert_int_equal(wb_hex_decode("00ab7fgf", out, 4), WB_ERR_INVALID);
}

static void big_endian(void **state)
{
    (void)state;
    uint8_t b[8];
    wb_put_u64be(b, 0x0102030405060708ull);
    const uint8_t want[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    assert_memory_equal(b, want, 8);
    assert_true(wb_get_u64be(b) == 0x0102030405060708ull);
    assert_int_equal(wb_get_u32be(b + 4), 0x05060708);
}

static void error_strings(void **state)
{
    (void)state;
    assert_string_equal(wb_strerror(WB_OK), "ok");
    assert_string_equal(wb_strerror(WB_ERR_BUSY), "busy: resource full, try again later");
    assert_string_equal(wb_strerror(12345), "unknown error");
}

static void vote_layout_and_domain_separation(void **state)
{
    (void)state;
    uint8_t chain[32] = {1}, other[32] = {2}, hash[32];
    memset(hash, 0xee, sizeof hash);
    uint8_t m[WB_SIGMSG_MAX];
    size_t n = wb_sigmsg_vote(m, chain, 2, 7, 3, hash);
    assert_int_equal(n, strlen(WB_TAG_VOTE) + 32 + 1 + 8 + 4 + 32);
    assert_memory_equal(m, WB_TAG_VOTE, strlen(WB_TAG_VOTE));
    assert_int_equal(m[strlen(WB_TAG_VOTE) + 32], 2);
    assert_int_equal(wb_sigmsg_vote(m, chain, 1, 7, 3, NULL), n - 32);

    uint8_t pk[32], sk[64], sig[64];
    crypto_sign_keypair(pk, sk);
    const uint8_t body[] = "body bytes";
    assert_int_equal(wb_event_sign(chain, body, sizeof body, sk, sig), WB_OK);
    assert_int_equal(wb_event_sig_verify(chain, body, sizeof body, pk, sig), WB_OK);
    assert_int_equal(wb_event_sig_verify(other, body, sizeof body, pk, sig), WB_ERR_SIGNATURE);
}

static void utf8_printable_text(void **state)
{
    (void)state;
    static const char *good[] = {"", "Rotterdam", "S\xc3\xa3o Paulo", "\xe2\x82\xac 5",
                                 "\xf0\x9f\x9a\xa2 ship", "\xc2\xa0nbsp", "\xef\xbf\xbd"};
    static const char *bad[] = {
        "tab\there", "new\nline", "del\x7f",     /* C0 and DEL */
        "c1 \xc2\x85",                         /* U+0085, a C1 control */
        "\xc0\xaf", "\xe0\x80\xaf",            /* overlong '/' */
        "\xed\xa0\x80",                        /* surrogate U+D800 */
        "\xf4\x90\x80\x80",                    /* above U+10FFFF */
        "\x80", "\xc3", "\xe2\x82", "\xff",   /* stray, truncated, invalid */
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!wb_utf8_text_ok(good[i])) fail_msg("good[%zu] rejected", i);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (wb_utf8_text_ok(bad[i])) fail_msg("bad[%zu] accepted", i);
    assert_int_equal(wb_utf8_char_len((const uint8_t *)"a"), 1);
    assert_int_equal(wb_utf8_char_len((const uint8_t *)"\xc3\xa3"), 2);
    assert_int_equal(wb_utf8_char_len((const uint8_t *)"\xe2\x82\xac"), 3);
    assert_int_equal(wb_utf8_char_len((const uint8_t *)"\xf0\x9f\x9a\xa2"), 4);
    assert_int_equal(wb_utf8_char_len((const uint8_t *)""), 0);
}

/* The two properties the quorum must have for every n, and f = (n-1)/3. */
static void quorum_overlap_and_liveness(void **state)
{
    (void)state;
    assert_int_equal(wb_quorum(0), 1);
    assert_int_equal(wb_faulty(0), 0);
    for (size_t n = 1; n <= 300; n++) {
        size_t q = wb_quorum(n), f = wb_faulty(n);
        if (f != (n - 1) / 3) fail_msg("n=%zu: f=%zu", n, f);
        if (2 * q < n + f + 1) fail_msg("n=%zu: two quorums share fewer than f+1", n);
        if (q > n - f) fail_msg("n=%zu: the n-f honest cannot make a quorum", n);
        if (n % 3 == 1 && q != 2 * f + 1) fail_msg("n=%zu: q=%zu, not 2f+1", n, q);
    }
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hex_round_trip),
        cmocka_unit_test(big_endian),
        cmocka_unit_test(error_strings),
        cmocka_unit_test(vote_layout_and_domain_separation),
        cmocka_unit_test(utf8_printable_text),
        cmocka_unit_test(quorum_overlap_and_liveness),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
