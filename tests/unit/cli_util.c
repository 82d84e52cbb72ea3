/* Unit tests of cli/cli_util.c's number and duration parsers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli/cli_util.h"
#include "common/wb_error.h"

static void durations_take_one_unit(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int64_t ms;
    } ok[] = {{"0s", 0},        {"250ms", 250},         {"90s", 90000},
              {"15m", 900000},  {"2h", 7200000},        {"3d", 259200000},
              {"3660d", 316224000000}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t ms = -1;
        if (cli_parse_duration(ok[i].text, &ms) != WB_OK) fail_msg("'%s' refused", ok[i].text);
        if (ms != ok[i].ms) fail_msg("'%s' gave %lld ms", ok[i].text, (long long)ms);
    }
    static const char *const bad[] = {"", "15", "m", "15x", "1 h", " 1h", "1h ", "-1s",
                                      "1.5h", "1hm", "1H", "3661d", "9999999999999s", NULL};
    for (size_t i = 0; bad[i]; i++) {
        int64_t ms = 7;
        if (cli_parse_duration(bad[i], &ms) != WB_ERR_INVALID) fail_msg("'%s' taken", bad[i]);
        assert_int_equal(ms, 7);
    }
    int64_t ms;
    assert_int_equal(cli_parse_duration(NULL, &ms), WB_ERR_INVALID);
}

static void u64_is_strict_decimal_in_range(void **state)
{
    (void)state;
    uint64_t v;
    assert_int_equal(cli_parse_u64("42", 1, 100, &v), WB_OK);
    assert_int_equal(v, 42);
    assert_int_equal(cli_parse_u64("18446744073709551615", 0, UINT64_MAX, &v), WB_OK);
    assert_true(v == UINT64_MAX);
    assert_int_equal(cli_parse_u64("18446744073709551616", 0, UINT64_MAX, &v), WB_ERR_INVALID);
    assert_int_equal(cli_parse_u64("0", 1, 100, &v), WB_ERR_INVALID);
    assert_int_equal(cli_parse_u64("+5", 0, 100, &v), WB_ERR_INVALID);
    assert_int_equal(cli_parse_u64("", 0, 100, &v), WB_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(durations_take_one_unit),
        cmocka_unit_test(u64_is_strict_decimal_in_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
