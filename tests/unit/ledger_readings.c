/* Unit tests of ledger/readings.c: one line of a gateway's readings file
 * (docs/devices.md, "Readings files") into an observation: each kind with
 * its fields, the rounding of degrees and values, and a refusal naming
 * the field for every way a line can be wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ledger/readings.h"

static int parse(const char *line, struct ledger_reading *r, char *msg)
{
    msg[0] = '\0';
    return ledger_reading_parse(line, strlen(line), r, msg, 256);
}

/* The line is refused and the message holds `want`. */
static void refused(const char *line, const char *want)
{
    struct ledger_reading r;
    char msg[256];
    int rc = parse(line, &r, msg);
    if (rc != WB_ERR_INVALID) fail_msg("accepted: %s", line);
    if (!strstr(msg, want)) fail_msg("%s: message '%s' lacks '%s'", line, msg, want);
    assert_int_equal(r.kind, LEDGER_ACTION_NONE);
}

static void each_kind_parses(void **state)
{
    (void)state;
    struct ledger_reading r;
    char msg[256];
    assert_int_equal(parse("{\"time\":\"2026-03-01T00:05:00Z\",\"kind\":\"position\",\"lat\":51.95,"
                           "\"lon\":-4.000001,\"accuracy_m\":25,\"locode\":\"NLRTM\","
                           "\"item\":\"CSQU3054383\"}",
                           &r, msg),
                     WB_OK);
    assert_int_equal(r.kind, LEDGER_POSITION);
    assert_string_equal(r.item, "CSQU3054383");
    assert_int_equal(r.obs.time_ms, 1772323500000LL);
    assert_int_equal(r.obs.lat_e6, 51950000);
    assert_int_equal(r.obs.lon_e6, -4000001);
    assert_int_equal(r.obs.accuracy_m, 25);
    assert_string_equal(r.obs.locode, "NLRTM");
    assert_int_equal(r.obs.measure, LEDGER_MEASURE_NONE);

    assert_int_equal(parse("{\"kind\":\"reading\",\"time\":\"2026-03-01T00:05:00.250Z\","
                           "\"measure\":\"temperature\",\"value\":-18.2456,\"unit\":\"C\"}",
                           &r, msg),
                     WB_OK);
    assert_int_equal(r.kind, LEDGER_READING);
    assert_string_equal(r.item, "");
    assert_int_equal(r.obs.time_ms, 1772323500250LL);
    assert_int_equal(r.obs.measure, LEDGER_MEASURE_TEMPERATURE);
    assert_int_equal(r.obs.value_milli, -18246);   /* 3 decimals kept, rounded */
    assert_int_equal(parse("{\"kind\":\"reading\",\"time\":\"2026-03-01T00:05:00Z\","
                           "\"measure\":\"humidity\",\"value\":55}",
                           &r, msg),
                     WB_OK);
    assert_int_equal(r.obs.value_milli, 55000);

    assert_int_equal(parse("{\"kind\":\"seal_status\",\"time\":\"2026-03-01T00:05:00Z\","
                           "\"state\":\"armed\",\"seal\":\"CSQU-S-0042\"}",
                           &r, msg),
                     WB_OK);
    assert_int_equal(r.kind, LEDGER_SEAL_STATUS);
    assert_int_equal(r.obs.seal_state, LEDGER_SEAL_ARMED);
    assert_string_equal(r.obs.seal, "CSQU-S-0042");
    assert_int_equal(parse("{\"kind\":\"seal_status\",\"time\":\"2026-03-01T00:05:00Z\","
                           "\"state\":\"opened\"}",
                           &r, msg),
                     WB_OK);
    assert_int_equal(r.obs.seal_state, LEDGER_SEAL_OPENED);
    assert_string_equal(r.obs.seal, "");
    /* the exact bounds are in range */
    assert_int_equal(parse("{\"time\":\"2026-03-01T00:05:00Z\",\"kind\":\"position\",\"lat\":-90,"
                           "\"lon\":180,\"accuracy_m\":1000000}",
                           &r, msg),
                     WB_OK);
    assert_int_equal(r.obs.lat_e6, -90000000);
    assert_int_equal(r.obs.lon_e6, 180000000);
}

static void every_refusal_names_the_field(void **state)
{
    (void)state;
    refused("", "not JSON");
    refused("[1,2]", "expected a JSON object");
    refused("{\"time\":\"2026-03-01T00:05:00Z\",\"kind\":\"position\",\"lat\":1,\"lon\":2,\"lat\":3}",
            "not JSON");                                   /* a duplicate key */
    refused("{\"kind\":\"position\",\"lat\":1,\"lon\":2}", "time is required");
    refused("{\"time\":\"2026-03-01T00:05:00Z\",\"lat\":1,\"lon\":2}", "kind is required");
    refused("{\"time\":\"2026-03-01T00:05:00Z\",\"kind\":\"depart\"}",
            "kind: expected seal_status, position or reading, got 'depart'");
    refused("{\"time\":\"2026-03-01 00:05:00\",\"kind\":\"position\",\"lat\":1,\"lon\":2}",
            "time: expected RFC 3339 UTC");
    refused("{\"time\":1772323500000,\"kind\":\"position\",\"lat\":1,\"lon\":2}",
            "time: expected a string");
    refused("{\"time\":\"2026-03-01T00:05:00Z\",\"kind\":\"position\",\"lat\":1}", "lon is required");
    refused("{\"time\":\"2026-03-01T00:05:00Z\",\"kind\":\"position\",\"lat\":\"1\",\"lon\":2}",
            "lat: expected a number");
    refused("{\"time\":\"2026-03-01T00:05:00Z\",\"kind\":\"position\",\"lat\":90.000001,\"lon\":2}",
            "lat: 90.000001 is out of range -90 .. 90");
    refused("{\"time\":\"2026-03-01T00:05:00Z\",\"kind\":\"position\",\"lat\":1,\"lon\":-180.000001}",
            "lon: -180.000001 is out of range -180 .. 180");
    refused("{\"time\":\"2026-03-01T00:05:00Z\",\"kind\":\"position\",\"lat\":1,\"lon\":2,"
            "\"accuracy_m\":1000001}",
            "accuracy_m: expected whole metres");
    refused("{\"time\":\"2026-03-01T00:05:00Z\",\"kind\":\"position\",\"lat\":1,\"lon\":2,"
            "\"accuracy_m\":2.5}",
            "accuracy_m: expected whole metres");
    refused("{\"time\":\"2026-03-01T00:05:00Z\",\"kind\":\"position\",\"lat\":1,\"lon\":2,"
            "\"locode\":\"nlrtm\"}",
            "locode: 'nlrtm' is not a UN/LOCODE");
    refused("{\"time\":\"2026-03-01T00:05:00Z\",\"kind\":\"position\",\"lat\":1,\"lon\":2,"
            "\"locode\":\"QQRTM\"}",
            "locode: 'QQRTM' is not a UN/LOCODE");
    refused("{\"time\":\"2026-03-01T00:05:00Z\",\"kind\":\"position\",\"lat\":1,\"lon\":2,"
            "\"measure\":\"light\"}",
            "unknown field 'measure' for kind position");
    refused("{\"time\":\"2026-03-01T00:05:00Z\",\"kind\":\"reading\",\"measure\":\"heat\",\"value\":1}",
            "measure: expected temperature, humidity, shock or light, got 'heat'");
    refused("{\"time\":\"2026-03-01T00:05:00Z\",\"kind\":\"reading\",\"measure\":\"shock\"}",
            "value is required");
    refused("{\"time\":\"2026-03-01T00:05:00Z\",\"kind\":\"reading\",\"measure\":\"shock\","
            "\"value\":2,\"unit\":\"m/s2\"}",
            "unit: shock is measured in g, not 'm/s2'");
    refused("{\"time\":\"2026-03-01T00:05:00Z\",\"kind\":\"reading\",\"measure\":\"light\","
            "\"value\":1e13}",
            "value: 1e+13 is out of range");
    refused("{\"time\":\"2026-03-01T00:05:00Z\",\"kind\":\"seal_status\",\"state\":\"broken\"}",
            "state: expected armed, intact, opened or tampered, got 'broken'");
    refused("{\"time\":\"2026-03-01T00:05:00Z\",\"kind\":\"seal_status\",\"state\":\"armed\"}",
            "seal is required when state is armed");
    refused("{\"time\":\"2026-03-01T00:05:00Z\",\"kind\":\"seal_status\",\"state\":\"armed\","
            "\"seal\":\"abc\"}",
            "seal: 'abc' is not an ISO 17712 seal number");
    refused("{\"time\":\"2026-03-01T00:05:00Z\",\"kind\":\"seal_status\",\"state\":\"intact\","
            "\"lat\":1}",
            "unknown field 'lat' for kind seal_status");
    refused("{\"time\":\"2026-03-01T00:05:00Z\",\"kind\":\"seal_status\",\"state\":\"intact\","
            "\"item\":\"CSQU3054384\"}",
            "item: ");                                     /* a wrong check digit */
    refused("{\"time\":\"2026-03-01T00:05:00Z\",\"kind\":\"seal_status\",\"state\":\"in\\u0000tact\"}",
            "not JSON");                                   /* no NUL inside a string */
}

static void long_lines_are_refused(void **state)
{
    (void)state;
    char line[WB_READING_LINE_MAX + 64];
    int n = snprintf(line, sizeof line,
                     "{\"time\":\"2026-03-01T00:05:00Z\",\"kind\":\"seal_status\",\"state\":"
                     "\"intact\"}");
    memset(line + n, ' ', sizeof line - (size_t)n - 1);
    line[sizeof line - 1] = '\0';
    struct ledger_reading r;
    char msg[256];
    assert_int_equal(ledger_reading_parse(line, WB_READING_LINE_MAX, &r, msg, sizeof msg), WB_OK);
    assert_int_equal(ledger_reading_parse(line, WB_READING_LINE_MAX + 1, &r, msg, sizeof msg),
                     WB_ERR_INVALID);
    assert_non_null(strstr(msg, "the line is over 1024 bytes"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_kind_parses),
        cmocka_unit_test(every_refusal_names_the_field),
        cmocka_unit_test(long_lines_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
