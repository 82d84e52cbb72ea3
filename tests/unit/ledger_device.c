/* Unit tests of ledger/device.c: the names of kinds, seal states and
 * measures, the table of what each kind observes, the seal number and
 * serial forms, the report's encode and strict decode (every refusal
 * device.h promises, non-canonical bytes, the size cap), its signature
 * and the event that carries it. Refused bytes are packed here with
 * protobuf-c directly, so that decode sees what encode would not write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "common/sigbytes.h"
#include "common/wb_error.h"
#include "ledger/device.h"
#include "proto/waybill.pb-c.h"

#define ITEM "CSQU3054383"
#define T0_MS INT64_C(1795305600000) /* 2026-11-22T00:00:00Z */
#define MSG_MAX 256

/* protobuf-c messages of a report, before packing: what the test changes
 * to make bytes encode would refuse to write. One observation more than a
 * report may hold. */
struct pb_report {
    Waybill__DeviceReport pb;
    Waybill__DeviceObservation obs[WB_DEVICE_OBS_MAX + 1];
    Waybill__DeviceObservation *ptrs[WB_DEVICE_OBS_MAX + 1];
};

struct fx {
    struct ledger_device_report r, back;
    struct pb_report p;
    uint8_t buf[2 * WB_DEVICE_REPORT_MAX];
    size_t len;
    char msg[MSG_MAX];
};

static const struct ledger_device_report zero_report;

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

static void device_key(uint8_t n, uint8_t pk[WB_PUBKEY_LEN], uint8_t sk[WB_SECKEY_LEN])
{
    uint8_t seed[32] = {n, 0xde};
    assert_int_equal(crypto_sign_seed_keypair(pk, sk, seed), 0);
}

/* A valid report of `kind` with n observations, a minute apart. */
static void good_report(struct ledger_device_report *r, enum ledger_action kind, size_t n)
{
    uint8_t sk[WB_SECKEY_LEN];
    memset(r, 0, sizeof *r);
    device_key(1, r->device, sk);
    snprintf(r->item, sizeof r->item, "%s", ITEM);
    r->kind = kind;
    r->seq = 7;
    r->obs_count = n;
    for (size_t i = 0; i < n; i++) {
        struct ledger_device_obs *o = &r->obs[i];
        o->time_ms = T0_MS + 60000 * (int64_t)i;
        if (kind == LEDGER_SEAL_STATUS) {
            o->seal_state = i == 0 ? LEDGER_SEAL_ARMED : LEDGER_SEAL_INTACT;
            if (i == 0) snprintf(o->seal, sizeof o->seal, "%s", "ACME-000123");
        } else if (kind == LEDGER_POSITION) {
            o->lat_e6 = 51916667 - (int32_t)i * 1000;
            o->lon_e6 = 4500000 + (int32_t)i * 1000;
            o->accuracy_m = 20;
            if (i % 32 == 0) snprintf(o->locode, sizeof o->locode, "%s", "NLRTM");
        } else {
            o->measure = LEDGER_MEASURE_TEMPERATURE;
            o->value_milli = 4500 - (int64_t)i;
        }
    }
}

/* The report as protobuf-c messages, as encode would build them but with
 * no check; strings point into r. */
static void to_pb(const struct ledger_device_report *r, struct pb_report *p)
{
    for (size_t i = 0; i <= WB_DEVICE_OBS_MAX; i++) {
        const struct ledger_device_obs *o = &r->obs[i < WB_DEVICE_OBS_MAX ? i : 0];
        Waybill__DeviceObservation *po = &p->obs[i];
        waybill__device_observation__init(po);
        po->time_ms = o->time_ms;
        po->seal_state = (Waybill__SealState)o->seal_state;
        po->seal = (char *)o->seal;
        po->lat_e6 = o->lat_e6;
        po->lon_e6 = o->lon_e6;
        po->accuracy_m = o->accuracy_m;
        po->locode = (char *)o->locode;
        po->measure = (Waybill__Measure)o->measure;
        po->value_milli = o->value_milli;
        p->ptrs[i] = po;
    }
    waybill__device_report__init(&p->pb);
    p->pb.version = 1;
    p->pb.device.data = (uint8_t *)r->device;
    p->pb.device.len = WB_PUBKEY_LEN;
    p->pb.item = (char *)r->item;
    p->pb.kind = (Waybill__Action)r->kind;
    p->pb.seq = r->seq;
    p->pb.n_observations = r->obs_count;
    p->pb.observations = p->ptrs;
}

static void pack(struct fx *f)
{
    size_t need = waybill__device_report__get_packed_size(&f->p.pb);
    assert_true(need <= sizeof f->buf);
    f->len = waybill__device_report__pack(&f->p.pb, f->buf);
}

/* Decodes f->buf and expects refusal rc with a message containing want,
 * and the report zeroed. */
static void expect_refused(struct fx *f, int rc, const char *want)
{
    memset(f->msg, 0, sizeof f->msg);
    memset(&f->back, 0x5a, sizeof f->back);
    int got = ledger_device_report_decode(f->buf, f->len, &f->back, f->msg, sizeof f->msg);
    if (got != rc)
        fail_msg("decode returned %s ('%s'), want %s (%s)", wb_strerror(got), f->msg,
                 wb_strerror(rc), want);
    if (!strstr(f->msg, want)) fail_msg("message '%s' does not say '%s'", f->msg, want);
    if (memcmp(&f->back, &zero_report, sizeof f->back) != 0)
        fail_msg("report not zeroed after refusal '%s'", f->msg);
}

/* Packs f->p and expects the refusal. */
static void expect_pb_refused(struct fx *f, int rc, const char *want)
{
    pack(f);
    expect_refused(f, rc, want);
}

/* Encodes *r and decodes it back into f->back, which must equal *r. */
static void expect_round_trip(struct fx *f, const struct ledger_device_report *r)
{
    memset(f->msg, 0, sizeof f->msg);
    int rc = ledger_device_report_encode(r, f->buf, sizeof f->buf, &f->len, f->msg, sizeof f->msg);
    if (rc) fail_msg("encode: %s: %s", wb_strerror(rc), f->msg);
    rc = ledger_device_report_decode(f->buf, f->len, &f->back, f->msg, sizeof f->msg);
    if (rc) fail_msg("decode: %s: %s", wb_strerror(rc), f->msg);
    assert_memory_equal(f->back.device, r->device, WB_PUBKEY_LEN);
    assert_string_equal(f->back.item, r->item);
    assert_int_equal(f->back.kind, r->kind);
    assert_int_equal(f->back.seq, r->seq);
    assert_int_equal(f->back.obs_count, r->obs_count);
    for (size_t i = 0; i < r->obs_count; i++)
        if (memcmp(&f->back.obs[i], &r->obs[i], sizeof r->obs[i]) != 0)
            fail_msg("observation %zu of %zu differs after the round trip", i + 1, r->obs_count);
    if (memcmp(&f->back, r, sizeof *r) != 0) fail_msg("decoded report differs from encoded one");
}

/* ---- names and tables ----------------------------------------------------------- */

static void names_round_trip(void **state)
{
    (void)state;
    static const char *const kinds[] = {NULL,    "eseal",    "tracker", "temperature",
                                        "shock", "humidity", "light"};
    for (int k = 1; k <= LEDGER_DEVICE_LIGHT; k++) {
        const char *n = ledger_device_kind_name((enum ledger_device_kind)k);
        assert_non_null(n);
        assert_string_equal(n, kinds[k]);
        assert_int_equal(ledger_device_kind_parse(n), k);
    }
    static const char *const seals[] = {NULL, "armed", "intact", "opened", "tampered"};
    for (int s = 1; s <= LEDGER_SEAL_TAMPERED; s++) {
        const char *n = ledger_seal_state_name((enum ledger_seal_state)s);
        assert_non_null(n);
        assert_string_equal(n, seals[s]);
        assert_int_equal(ledger_seal_state_parse(n), s);
    }
    static const char *const measures[] = {NULL, "temperature", "humidity", "shock", "light"};
    static const char *const units[] = {NULL, "C", "%RH", "g", "lx"};
    for (int m = 1; m <= LEDGER_MEASURE_LIGHT; m++) {
        const char *n = ledger_measure_name((enum ledger_measure)m);
        assert_non_null(n);
        assert_string_equal(n, measures[m]);
        assert_int_equal(ledger_measure_parse(n), m);
        assert_string_equal(ledger_measure_unit((enum ledger_measure)m), units[m]);
    }
    /* NONE and values past the end have no name. */
    assert_null(ledger_device_kind_name(LEDGER_DEVICE_NONE));
    assert_null(ledger_device_kind_name((enum ledger_device_kind)(LEDGER_DEVICE_LIGHT + 1)));
    assert_null(ledger_device_kind_name((enum ledger_device_kind)-1));
    assert_null(ledger_seal_state_name(LEDGER_SEAL_STATE_NONE));
    assert_null(ledger_seal_state_name((enum ledger_seal_state)(LEDGER_SEAL_TAMPERED + 1)));
    assert_null(ledger_measure_name(LEDGER_MEASURE_NONE));
    assert_null(ledger_measure_name((enum ledger_measure)(LEDGER_MEASURE_LIGHT + 1)));
    assert_null(ledger_measure_unit(LEDGER_MEASURE_NONE));
    assert_null(ledger_measure_unit((enum ledger_measure)(LEDGER_MEASURE_LIGHT + 1)));
    /* Unknown names parse to NONE: other case, spaces, prefixes, empty. */
    static const char *const unknown[] = {"", "Eseal", "ESEAL", "eseal ", " eseal", "esea",
                                          "armed\n", "Temperature", "lux", "-", "none"};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        if (ledger_device_kind_parse(unknown[i]) != LEDGER_DEVICE_NONE)
            fail_msg("kind '%s' parsed", unknown[i]);
        if (ledger_seal_state_parse(unknown[i]) != LEDGER_SEAL_STATE_NONE)
            fail_msg("seal state '%s' parsed", unknown[i]);
        if (ledger_measure_parse(unknown[i]) != LEDGER_MEASURE_NONE)
            fail_msg("measure '%s' parsed", unknown[i]);
    }
    assert_int_equal(ledger_device_kind_parse(NULL), LEDGER_DEVICE_NONE);
    assert_int_equal(ledger_seal_state_parse(NULL), LEDGER_SEAL_STATE_NONE);
    assert_int_equal(ledger_measure_parse(NULL), LEDGER_MEASURE_NONE);
    /* A kind's name is not a seal state, a seal state's not a measure. */
    assert_int_equal(ledger_seal_state_parse("eseal"), LEDGER_SEAL_STATE_NONE);
    assert_int_equal(ledger_measure_parse("armed"), LEDGER_MEASURE_NONE);
    assert_int_equal(ledger_device_kind_parse("armed"), LEDGER_DEVICE_NONE);
}

/* What device.h's kind comments say, written out independently. */
static bool allowed(enum ledger_device_kind k, enum ledger_action a, enum ledger_measure m)
{
    bool known_m = m >= LEDGER_MEASURE_TEMPERATURE && m <= LEDGER_MEASURE_LIGHT;
    switch (k) {
    case LEDGER_DEVICE_ESEAL: return a == LEDGER_SEAL_STATUS || a == LEDGER_POSITION;
    case LEDGER_DEVICE_TRACKER: return a == LEDGER_POSITION || (a == LEDGER_READING && known_m);
    case LEDGER_DEVICE_TEMPERATURE: return a == LEDGER_READING && m == LEDGER_MEASURE_TEMPERATURE;
    case LEDGER_DEVICE_SHOCK: return a == LEDGER_READING && m == LEDGER_MEASURE_SHOCK;
    case LEDGER_DEVICE_HUMIDITY: return a == LEDGER_READING && m == LEDGER_MEASURE_HUMIDITY;
    case LEDGER_DEVICE_LIGHT: return a == LEDGER_READING && m == LEDGER_MEASURE_LIGHT;
    default: return false;
    }
}

static void kind_allows_table(void **state)
{
    (void)state;
    size_t yes = 0;
    for (int k = -1; k <= LEDGER_DEVICE_LIGHT + 1; k++)
        for (int a = 0; a <= LEDGER_ACTION_COUNT; a++)
            for (int m = -1; m <= LEDGER_MEASURE_LIGHT + 1; m++) {
                bool got = ledger_device_kind_allows((enum ledger_device_kind)k,
                                                     (enum ledger_action)a,
                                                     (enum ledger_measure)m);
                bool want = allowed((enum ledger_device_kind)k, (enum ledger_action)a,
                                    (enum ledger_measure)m);
                if (got != want)
                    fail_msg("kind %d, action %d, measure %d: allows %d, want %d", k, a, m,
                             got, want);
                yes += got;
            }
    /* The table is not empty by accident (each allowed triple counted over
     * the 7 measures tried for non-readings): eseal 2 x 7, tracker 7 + 4,
     * each sensor 1. */
    assert_int_equal(yes, 14 + 11 + 4);
    /* The rows in words. */
    assert_true(ledger_device_kind_allows(LEDGER_DEVICE_ESEAL, LEDGER_SEAL_STATUS, 0));
    assert_true(ledger_device_kind_allows(LEDGER_DEVICE_ESEAL, LEDGER_POSITION, 0));
    assert_false(ledger_device_kind_allows(LEDGER_DEVICE_ESEAL, LEDGER_READING,
                                           LEDGER_MEASURE_TEMPERATURE));
    assert_false(ledger_device_kind_allows(LEDGER_DEVICE_TRACKER, LEDGER_SEAL_STATUS, 0));
    assert_true(ledger_device_kind_allows(LEDGER_DEVICE_TRACKER, LEDGER_POSITION, 0));
    for (int m = LEDGER_MEASURE_TEMPERATURE; m <= LEDGER_MEASURE_LIGHT; m++)
        assert_true(ledger_device_kind_allows(LEDGER_DEVICE_TRACKER, LEDGER_READING,
                                              (enum ledger_measure)m));
    assert_false(ledger_device_kind_allows(LEDGER_DEVICE_TRACKER, LEDGER_READING,
                                           LEDGER_MEASURE_NONE));
    assert_true(ledger_device_kind_allows(LEDGER_DEVICE_SHOCK, LEDGER_READING,
                                          LEDGER_MEASURE_SHOCK));
    assert_false(ledger_device_kind_allows(LEDGER_DEVICE_SHOCK, LEDGER_READING,
                                           LEDGER_MEASURE_TEMPERATURE));
    assert_false(ledger_device_kind_allows(LEDGER_DEVICE_HUMIDITY, LEDGER_POSITION, 0));
    assert_false(ledger_device_kind_allows(LEDGER_DEVICE_LIGHT, LEDGER_SEAL_STATUS, 0));
}

static void seal_number_and_serial_forms(void **state)
{
    (void)state;
    char s[80];
    memset(s, 'A', sizeof s);
    /* seal numbers: 1 to 32 of [A-Z0-9-], not starting with '-' */
    assert_false(ledger_seal_number_ok("", 0));
    assert_false(ledger_seal_number_ok(NULL, 3));
    assert_true(ledger_seal_number_ok("A", 1));
    assert_true(ledger_seal_number_ok(s, WB_SEAL_NUMBER_MAX));
    assert_false(ledger_seal_number_ok(s, WB_SEAL_NUMBER_MAX + 1));
    assert_true(ledger_seal_number_ok("ACME-000123", 11));
    assert_true(ledger_seal_number_ok("0123-", 5));
    assert_false(ledger_seal_number_ok("acme-000123", 11));
    assert_false(ledger_seal_number_ok("ACMe", 4));
    assert_false(ledger_seal_number_ok("ACME 1", 6));
    assert_false(ledger_seal_number_ok("-ACME1", 6));
    assert_false(ledger_seal_number_ok("-", 1));
    assert_false(ledger_seal_number_ok("AB_1", 4));
    assert_false(ledger_seal_number_ok("AB\0C", 4));
    /* only len bytes count */
    assert_true(ledger_seal_number_ok("AB1 junk", 3));
    /* serials: 1 to 64 printable ASCII without space; any case, any start */
    assert_false(ledger_device_serial_ok("", 0));
    assert_false(ledger_device_serial_ok(NULL, 3));
    assert_true(ledger_device_serial_ok("x", 1));
    assert_true(ledger_device_serial_ok(s, WB_DEVICE_SERIAL_MAX));
    assert_false(ledger_device_serial_ok(s, WB_DEVICE_SERIAL_MAX + 1));
    assert_true(ledger_device_serial_ok("es-1/lower_case~", 16));
    assert_true(ledger_device_serial_ok("-leading-dash", 13));
    assert_false(ledger_device_serial_ok("ES 1", 4));
    assert_false(ledger_device_serial_ok("ES\t1", 4));
    assert_false(ledger_device_serial_ok("ES\x7f", 3));
    assert_false(ledger_device_serial_ok("ES\xc3\xa9", 4));
    assert_false(ledger_device_serial_ok("ES\0" "1", 4));
    assert_true(ledger_device_serial_ok("ES1 junk", 3));
}

/* ---- encode and decode ------------------------------------------------------------ */

static void round_trip_each_kind(void **state)
{
    struct fx *f = *state;
    static const enum ledger_action kinds[] = {LEDGER_SEAL_STATUS, LEDGER_POSITION,
                                               LEDGER_READING};
    static const size_t counts[] = {1, 2, WB_DEVICE_OBS_MAX};
    for (size_t k = 0; k < 3; k++)
        for (size_t c = 0; c < 3; c++) {
            good_report(&f->r, kinds[k], counts[c]);
            expect_round_trip(f, &f->r);
        }
    /* Every seal state, with and without a seal number (armed needs one). */
    good_report(&f->r, LEDGER_SEAL_STATUS, 7);
    f->r.obs[1].seal_state = LEDGER_SEAL_INTACT;
    snprintf(f->r.obs[1].seal, sizeof f->r.obs[1].seal, "%s", "ACME-000123");
    f->r.obs[2].seal_state = LEDGER_SEAL_OPENED;
    f->r.obs[3].seal_state = LEDGER_SEAL_TAMPERED;
    snprintf(f->r.obs[3].seal, sizeof f->r.obs[3].seal, "%s", "12345678901234567890123456789012");
    f->r.obs[4].seal_state = LEDGER_SEAL_OPENED;
    snprintf(f->r.obs[4].seal, sizeof f->r.obs[4].seal, "%s", "9");
    f->r.obs[5].time_ms = f->r.obs[4].time_ms; /* equal times are in order */
    f->r.obs[6].time_ms = f->r.obs[5].time_ms;
    expect_round_trip(f, &f->r);
    /* Every measure, negative and extreme values, times before 1970. */
    good_report(&f->r, LEDGER_READING, 6);
    f->r.obs[0].time_ms = INT64_MIN;
    f->r.obs[0].value_milli = INT64_MIN;
    f->r.obs[1].time_ms = -1;
    f->r.obs[1].measure = LEDGER_MEASURE_HUMIDITY;
    f->r.obs[1].value_milli = 0;
    f->r.obs[2].measure = LEDGER_MEASURE_SHOCK;
    f->r.obs[2].value_milli = -1;
    f->r.obs[3].measure = LEDGER_MEASURE_LIGHT;
    f->r.obs[3].value_milli = INT64_MAX;
    f->r.obs[5].time_ms = INT64_MAX;
    expect_round_trip(f, &f->r);
    /* A position fix at 0,0 with nothing else given, and the largest seq. */
    good_report(&f->r, LEDGER_POSITION, 1);
    f->r.obs[0].lat_e6 = 0;
    f->r.obs[0].lon_e6 = 0;
    f->r.obs[0].accuracy_m = 0;
    memset(f->r.obs[0].locode, 0, sizeof f->r.obs[0].locode);
    f->r.seq = UINT64_MAX;
    expect_round_trip(f, &f->r);
}

static void coordinate_bounds(void **state)
{
    struct fx *f = *state;
    /* exact boundaries are accepted */
    static const int32_t lats[] = {90000000, -90000000}, lons[] = {180000000, -180000000};
    for (size_t i = 0; i < 2; i++) {
        good_report(&f->r, LEDGER_POSITION, 2);
        f->r.obs[0].lat_e6 = lats[i];
        f->r.obs[0].lon_e6 = lons[i];
        f->r.obs[1].lat_e6 = lats[1 - i];
        f->r.obs[1].lon_e6 = lons[i];
        f->r.obs[1].accuracy_m = 1000000;
        expect_round_trip(f, &f->r);
    }
    /* one millionth of a degree beyond is refused, with the value */
    struct {
        int32_t lat, lon;
        uint32_t acc;
        const char *want;
    } bad[] = {
        {90000001, 0, 0, "observation 1: latitude 90.000001 is out of range"},
        {-90000001, 0, 0, "observation 1: latitude -90.000001 is out of range"},
        {0, 180000001, 0, "observation 1: longitude 180.000001 is out of range"},
        {0, -180000001, 0, "observation 1: longitude -180.000001 is out of range"},
        {INT32_MIN, 0, 0, "latitude -2147.483648 is out of range"},
        {0, INT32_MAX, 0, "longitude 2147.483647 is out of range"},
        {0, 0, 1000001, "observation 1: accuracy 1000001 m is over 1000000 m"},
        {0, 0, UINT32_MAX, "accuracy 4294967295 m is over 1000000 m"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        good_report(&f->r, LEDGER_POSITION, 1);
        to_pb(&f->r, &f->p);
        f->p.obs[0].lat_e6 = bad[i].lat;
        f->p.obs[0].lon_e6 = bad[i].lon;
        f->p.obs[0].accuracy_m = bad[i].acc;
        expect_pb_refused(f, WB_ERR_INVALID, bad[i].want);
        /* encode refuses the same report */
        f->r.obs[0].lat_e6 = bad[i].lat;
        f->r.obs[0].lon_e6 = bad[i].lon;
        f->r.obs[0].accuracy_m = bad[i].acc;
        memset(f->msg, 0, sizeof f->msg);
        assert_int_equal(ledger_device_report_encode(&f->r, f->buf, sizeof f->buf, &f->len,
                                                     f->msg, sizeof f->msg),
                         WB_ERR_INVALID);
        assert_non_null(strstr(f->msg, bad[i].want));
    }
}

/* The test's packer writes what encode writes, so refusals below come from
 * the one field each changes. */
static void packer_matches_encode(void **state)
{
    struct fx *f = *state;
    static const enum ledger_action kinds[] = {LEDGER_SEAL_STATUS, LEDGER_POSITION,
                                               LEDGER_READING};
    static uint8_t enc[WB_DEVICE_REPORT_MAX];
    for (size_t k = 0; k < 3; k++) {
        good_report(&f->r, kinds[k], 5);
        size_t n = 0;
        assert_int_equal(ledger_device_report_encode(&f->r, enc, sizeof enc, &n, NULL, 0), WB_OK);
        to_pb(&f->r, &f->p);
        pack(f);
        assert_int_equal(f->len, n);
        assert_memory_equal(f->buf, enc, n);
    }
}

static void decode_refuses_header_fields(void **state)
{
    struct fx *f = *state;
    good_report(&f->r, LEDGER_POSITION, 2);

    to_pb(&f->r, &f->p);
    f->p.pb.version = 2;
    expect_pb_refused(f, WB_ERR_INVALID, "device report: version is 2, expected 1");
    to_pb(&f->r, &f->p);
    f->p.pb.version = 0;
    expect_pb_refused(f, WB_ERR_INVALID, "version is 0, expected 1");

    to_pb(&f->r, &f->p);
    f->p.pb.device.len = 31;
    expect_pb_refused(f, WB_ERR_INVALID, "device is 31 bytes, expected a 32-byte Ed25519 key");
    to_pb(&f->r, &f->p);
    f->p.pb.device.len = 0;
    expect_pb_refused(f, WB_ERR_INVALID, "device is 0 bytes");
    static const uint8_t long_key[33];
    to_pb(&f->r, &f->p);
    f->p.pb.device.data = (uint8_t *)long_key;
    f->p.pb.device.len = sizeof long_key;
    expect_pb_refused(f, WB_ERR_INVALID, "device is 33 bytes");

    to_pb(&f->r, &f->p);
    f->p.pb.item = (char *)"";
    expect_pb_refused(f, WB_ERR_INVALID, "device report: item id is empty");
    to_pb(&f->r, &f->p);
    f->p.pb.item = (char *)"CSQU3054384";
    expect_pb_refused(f, WB_ERR_INVALID, "device report: container number CSQU3054384: check "
                                         "digit is 4, expected 3");
    to_pb(&f->r, &f->p);
    f->p.pb.item = (char *)"csqu3054383";
    expect_pb_refused(f, WB_ERR_INVALID, "device report: container number csqu3054383: owner code");
    char long_item[WB_ITEM_MAX + 2];
    memset(long_item, 'x', sizeof long_item);
    memcpy(long_item, "urn:", 4);
    long_item[WB_ITEM_MAX + 1] = '\0';
    to_pb(&f->r, &f->p);
    f->p.pb.item = long_item;
    expect_pb_refused(f, WB_ERR_INVALID, "device report: item id is too long");

    static const int not_reports[] = {LEDGER_ACTION_NONE, LEDGER_COMMISSION, LEDGER_SEAL,
                                      LEDGER_DEVICE_ATTACH, LEDGER_PLAN_SET,
                                      LEDGER_ACTION_COUNT, 99, -1};
    for (size_t i = 0; i < sizeof not_reports / sizeof not_reports[0]; i++) {
        to_pb(&f->r, &f->p);
        f->p.pb.kind = (Waybill__Action)not_reports[i];
        expect_pb_refused(f, WB_ERR_INVALID,
                          "device report: kind must be seal_status, position or reading");
    }

    to_pb(&f->r, &f->p);
    f->p.pb.seq = 0;
    expect_pb_refused(f, WB_ERR_INVALID, "device report: seq starts at 1");

    to_pb(&f->r, &f->p);
    f->p.pb.n_observations = 0;
    expect_pb_refused(f, WB_ERR_INVALID, "device report: 0 observations, expected 1 to 128");
    good_report(&f->r, LEDGER_READING, WB_DEVICE_OBS_MAX);
    to_pb(&f->r, &f->p);
    f->p.pb.n_observations = WB_DEVICE_OBS_MAX + 1;
    f->p.obs[WB_DEVICE_OBS_MAX].time_ms = f->r.obs[WB_DEVICE_OBS_MAX - 1].time_ms;
    expect_pb_refused(f, WB_ERR_INVALID, "device report: 129 observations, expected 1 to 128");
}

static void decode_refuses_observations(void **state)
{
    struct fx *f = *state;
    /* times decreasing, named by position */
    good_report(&f->r, LEDGER_READING, 3);
    to_pb(&f->r, &f->p);
    f->p.obs[2].time_ms = f->p.obs[1].time_ms - 1;
    expect_pb_refused(f, WB_ERR_INVALID, "device report: observation 3 is dated before "
                                         "observation 2; observations are in time order");

    /* a field of another kind, for each kind and each foreign field */
    struct {
        enum ledger_action kind;
        const char *field;
    } foreign[] = {
        {LEDGER_SEAL_STATUS, "lat"},     {LEDGER_SEAL_STATUS, "lon"},
        {LEDGER_SEAL_STATUS, "accuracy"}, {LEDGER_SEAL_STATUS, "locode"},
        {LEDGER_SEAL_STATUS, "measure"}, {LEDGER_SEAL_STATUS, "value"},
        {LEDGER_POSITION, "seal_state"}, {LEDGER_POSITION, "seal"},
        {LEDGER_POSITION, "measure"},    {LEDGER_POSITION, "value"},
        {LEDGER_READING, "seal_state"},  {LEDGER_READING, "seal"},
        {LEDGER_READING, "lat"},         {LEDGER_READING, "lon"},
        {LEDGER_READING, "accuracy"},    {LEDGER_READING, "locode"},
    };
    for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
        good_report(&f->r, foreign[i].kind, 2);
        to_pb(&f->r, &f->p);
        Waybill__DeviceObservation *o = &f->p.obs[1];
        const char *fd = foreign[i].field;
        if (strcmp(fd, "lat") == 0) o->lat_e6 = 1;
        if (strcmp(fd, "lon") == 0) o->lon_e6 = -1;
        if (strcmp(fd, "accuracy") == 0) o->accuracy_m = 5;
        if (strcmp(fd, "locode") == 0) o->locode = (char *)"NLRTM";
        if (strcmp(fd, "measure") == 0) o->measure = WAYBILL__MEASURE__MEASURE_SHOCK;
        if (strcmp(fd, "value") == 0) o->value_milli = 1;
        if (strcmp(fd, "seal_state") == 0) o->seal_state = WAYBILL__SEAL_STATE__SEAL_INTACT;
        if (strcmp(fd, "seal") == 0) o->seal = (char *)"ACME1";
        char want[128];
        snprintf(want, sizeof want,
                 "device report: observation 2 carries fields that a %s report does not take",
                 foreign[i].kind == LEDGER_SEAL_STATUS ? "seal_status"
                 : foreign[i].kind == LEDGER_POSITION  ? "position"
                                                       : "reading");
        expect_pb_refused(f, WB_ERR_INVALID, want);
    }

    /* seal observations */
    good_report(&f->r, LEDGER_SEAL_STATUS, 2);
    to_pb(&f->r, &f->p);
    f->p.obs[0].seal = (char *)"";
    expect_pb_refused(f, WB_ERR_INVALID,
                      "device report: observation 1: an armed seal names its seal number");
    to_pb(&f->r, &f->p);
    f->p.obs[1].seal_state = WAYBILL__SEAL_STATE__SEAL_STATE_UNSPECIFIED;
    expect_pb_refused(f, WB_ERR_INVALID, "device report: observation 2: seal state must be "
                                         "armed, intact, opened or tampered");
    to_pb(&f->r, &f->p);
    f->p.obs[1].seal_state = (Waybill__SealState)5;
    expect_pb_refused(f, WB_ERR_INVALID,
                      "device report: observation 2: unknown seal state or measure");
    to_pb(&f->r, &f->p);
    f->p.obs[1].seal_state = (Waybill__SealState)-1;
    expect_pb_refused(f, WB_ERR_INVALID, "observation 2: unknown seal state or measure");
    static const char *const bad_seals[] = {"acme-1", "-ACME1", "ACME 1", "ACME_1"};
    for (size_t i = 0; i < sizeof bad_seals / sizeof bad_seals[0]; i++) {
        to_pb(&f->r, &f->p);
        f->p.obs[0].seal = (char *)bad_seals[i];
        char want[128];
        snprintf(want, sizeof want,
                 "device report: observation 1: seal '%s' is not an ISO 17712 seal number",
                 bad_seals[i]);
        expect_pb_refused(f, WB_ERR_INVALID, want);
    }
    to_pb(&f->r, &f->p);
    f->p.obs[0].seal = (char *)"123456789012345678901234567890123"; /* 33 */
    expect_pb_refused(f, WB_ERR_INVALID, "device report: observation 1: seal or locode is too "
                                         "long");

    /* locodes of the wrong form; one too long for its field */
    static const char *const bad_locodes[] = {"nlrtm", "NLRT1", "NLRT", "1LRTM", "NL TM",
                                              "NLRT0", "QQRTM" /* no such country */,
                                              "ZZZZZ" /* the unknown-place placeholder */};
    for (size_t i = 0; i < sizeof bad_locodes / sizeof bad_locodes[0]; i++) {
        good_report(&f->r, LEDGER_POSITION, 1);
        to_pb(&f->r, &f->p);
        f->p.obs[0].locode = (char *)bad_locodes[i];
        char want[128];
        snprintf(want, sizeof want,
                 "device report: observation 1: locode '%s' is not a UN/LOCODE", bad_locodes[i]);
        expect_pb_refused(f, WB_ERR_INVALID, want);
    }
    good_report(&f->r, LEDGER_POSITION, 1);
    to_pb(&f->r, &f->p);
    f->p.obs[0].locode = (char *)"NLRTMX";
    expect_pb_refused(f, WB_ERR_INVALID, "observation 1: seal or locode is too long");

    /* readings of an unknown measure */
    good_report(&f->r, LEDGER_READING, 1);
    to_pb(&f->r, &f->p);
    f->p.obs[0].measure = (Waybill__Measure)5;
    expect_pb_refused(f, WB_ERR_INVALID,
                      "device report: observation 1: unknown seal state or measure");
    to_pb(&f->r, &f->p);
    f->p.obs[0].measure = WAYBILL__MEASURE__MEASURE_UNSPECIFIED;
    expect_pb_refused(f, WB_ERR_INVALID, "device report: observation 1: measure must be "
                                         "temperature, humidity, shock or light");
    to_pb(&f->r, &f->p);
    f->p.obs[0].measure = WAYBILL__MEASURE__MEASURE_UNSPECIFIED;
    f->p.obs[0].value_milli = 0;
    expect_pb_refused(f, WB_ERR_INVALID, "observation 1: measure must be");
}

/* Seal numbers and locodes come from the device: a refusal quotes them
 * with the bytes that are not printable ASCII as '?', since the message
 * goes to logs and terminals. */
static void refusal_messages_are_printable(void **state)
{
    struct fx *f = *state;
    static const char *const junk[] = {"A\x1b[2J", "\x01", "AB\r\nC", "\xc3\xa9T\x7f"};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++)
        for (int field = 0; field < 2; field++) {
            good_report(&f->r, field ? LEDGER_POSITION : LEDGER_SEAL_STATUS, 1);
            to_pb(&f->r, &f->p);
            if (field)
                f->p.obs[0].locode = (char *)junk[i];
            else
                f->p.obs[0].seal = (char *)junk[i];
            expect_pb_refused(f, WB_ERR_INVALID, field ? "locode '" : "seal '");
            for (const char *c = f->msg; *c; c++)
                if (*c < 0x20 || *c > 0x7e)
                    fail_msg("message has byte 0x%02x: '%s'", (unsigned)(unsigned char)*c,
                             f->msg);
        }
    good_report(&f->r, LEDGER_SEAL_STATUS, 1);
    to_pb(&f->r, &f->p);
    f->p.obs[0].seal = (char *)"ab\x1b";
    expect_pb_refused(f, WB_ERR_INVALID, "seal 'ab?' is not an ISO 17712 seal number");
}

static void decode_refuses_non_canonical_bytes(void **state)
{
    struct fx *f = *state;
    good_report(&f->r, LEDGER_POSITION, 2);
    uint8_t good[WB_DEVICE_REPORT_MAX];
    size_t n = 0;
    assert_int_equal(ledger_device_report_encode(&f->r, good, sizeof good, &n, NULL, 0), WB_OK);
    assert_true(n > 4 && good[0] == 0x08 && good[1] == 0x01); /* version = 1 comes first */

    /* a field repeated: seq (field 5, varint) once more at the end */
    memcpy(f->buf, good, n);
    f->buf[n] = 0x28;
    f->buf[n + 1] = 0x07;
    f->len = n + 2;
    expect_refused(f, WB_ERR_DECODE, "device report: not the canonical encoding");
    /* version repeated at the end */
    f->buf[n] = 0x08;
    f->buf[n + 1] = 0x01;
    expect_refused(f, WB_ERR_DECODE, "device report: not the canonical encoding");
    /* an unknown field (15, varint) */
    f->buf[n] = 0x78;
    f->buf[n + 1] = 0x01;
    expect_refused(f, WB_ERR_DECODE, "device report: unknown field 15");
    /* an unknown field inside the second observation */
    to_pb(&f->r, &f->p);
    uint8_t one = 1;
    ProtobufCMessageUnknownField uf = {
        .tag = 20, .wire_type = PROTOBUF_C_WIRE_TYPE_VARINT, .len = 1, .data = &one};
    f->p.obs[1].base.n_unknown_fields = 1;
    f->p.obs[1].base.unknown_fields = &uf;
    expect_pb_refused(f, WB_ERR_DECODE, "device report: unknown field 20 in observations[1]");
    /* a padded varint: version as 0x81 0x00 */
    f->buf[0] = 0x08;
    f->buf[1] = 0x81;
    f->buf[2] = 0x00;
    memcpy(f->buf + 3, good + 2, n - 2);
    f->len = n + 1;
    expect_refused(f, WB_ERR_DECODE, "device report: not the canonical encoding");
    /* a field at its default written out: time_ms = 0 in an observation
     * (by hand: version, device, item, kind reading, seq 1, one reading of
     * measure 1; first without, then with "08 00") */
    {
        static const uint8_t head[] = {0x08, 0x01, 0x12, 0x20};
        static const uint8_t tail[] = {0x1a, 0x0b, 'C',  'S',  'Q',  'U',  '3',  '0',  '5',
                                       '4',  '3',  '8',  '3',  0x20, 0x19, 0x28, 0x01};
        static const uint8_t obs_ok[] = {0x32, 0x02, 0x40, 0x01};
        static const uint8_t obs_zero[] = {0x32, 0x04, 0x08, 0x00, 0x40, 0x01};
        size_t k = 0;
        memcpy(f->buf, head, sizeof head);
        k += sizeof head;
        memset(f->buf + k, 0x77, WB_PUBKEY_LEN);
        k += WB_PUBKEY_LEN;
        memcpy(f->buf + k, tail, sizeof tail);
        k += sizeof tail;
        memcpy(f->buf + k, obs_ok, sizeof obs_ok);
        f->len = k + sizeof obs_ok;
        assert_int_equal(ledger_device_report_decode(f->buf, f->len, &f->back, NULL, 0), WB_OK);
        assert_int_equal(f->back.obs_count, 1);
        assert_int_equal(f->back.obs[0].measure, LEDGER_MEASURE_TEMPERATURE);
        memcpy(f->buf + k, obs_zero, sizeof obs_zero);
        f->len = k + sizeof obs_zero;
        expect_refused(f, WB_ERR_DECODE, "device report: not the canonical encoding");
    }
    /* fields out of order: seq (5) before kind (4) */
    {
        size_t at = 0;
        while (at + 3 < n && !(good[at] == 0x20 && good[at + 2] == 0x28)) at++;
        assert_true(at + 3 < n); /* kind = 24 and seq = 7: one byte each */
        memcpy(f->buf, good, n);
        f->buf[at] = 0x28;
        f->buf[at + 1] = good[at + 3];
        f->buf[at + 2] = 0x20;
        f->buf[at + 3] = good[at + 1];
        f->len = n;
        expect_refused(f, WB_ERR_DECODE, "device report: not the canonical encoding");
    }
    /* truncated, garbage, empty, too long */
    memcpy(f->buf, good, n);
    f->len = n - 1;
    expect_refused(f, WB_ERR_DECODE, "device report: malformed protobuf");
    f->buf[0] = 0xff;
    f->len = n;
    expect_refused(f, WB_ERR_DECODE, "device report");
    f->len = 0;
    expect_refused(f, WB_ERR_DECODE, "device report is empty");
    assert_int_equal(ledger_device_report_decode(NULL, 5, &f->back, f->msg, sizeof f->msg),
                     WB_ERR_DECODE);
    f->len = WB_DEVICE_REPORT_MAX + 1;
    expect_refused(f, WB_ERR_DECODE, "device report is 3073 bytes, limit 3072");
    /* the good bytes still decode: the refusals above came from the changes */
    memcpy(f->buf, good, n);
    f->len = n;
    assert_int_equal(ledger_device_report_decode(f->buf, f->len, &f->back, NULL, 0), WB_OK);
}

static void encode_limits_and_refusals(void **state)
{
    struct fx *f = *state;
    good_report(&f->r, LEDGER_READING, 3);
    size_t n = 0;
    assert_int_equal(ledger_device_report_encode(&f->r, f->buf, sizeof f->buf, &n, NULL, 0),
                     WB_OK);
    /* exactly n bytes of room is enough, one less is not */
    size_t len = 0;
    assert_int_equal(ledger_device_report_encode(&f->r, f->buf, n, &len, NULL, 0), WB_OK);
    assert_int_equal(len, n);
    memset(f->msg, 0, sizeof f->msg);
    len = 12345;
    assert_int_equal(ledger_device_report_encode(&f->r, f->buf, n - 1, &len, f->msg,
                                                 sizeof f->msg),
                     WB_ERR_TOO_LARGE);
    assert_int_equal(len, 12345);
    char want[128];
    snprintf(want, sizeof want, "device report: %zu bytes, over the limit of %zu; send fewer "
                                "observations",
             n, n - 1);
    assert_string_equal(f->msg, want);
    assert_int_equal(ledger_device_report_encode(&f->r, f->buf, 0, &len, NULL, 0),
                     WB_ERR_TOO_LARGE);
    /* over WB_DEVICE_REPORT_MAX whatever the room: 128 position fixes with
     * every field at its widest */
    good_report(&f->r, LEDGER_POSITION, WB_DEVICE_OBS_MAX);
    for (size_t i = 0; i < WB_DEVICE_OBS_MAX; i++) {
        f->r.obs[i].lat_e6 = -89999999;
        f->r.obs[i].lon_e6 = -179999999;
        f->r.obs[i].accuracy_m = 999999;
        snprintf(f->r.obs[i].locode, sizeof f->r.obs[i].locode, "%s", "SGSIN");
    }
    memset(f->msg, 0, sizeof f->msg);
    assert_int_equal(ledger_device_report_encode(&f->r, f->buf, sizeof f->buf, &len, f->msg,
                                                 sizeof f->msg),
                     WB_ERR_TOO_LARGE);
    assert_non_null(strstr(f->msg, "over the limit of 3072; send fewer observations"));
    /* invalid reports are refused with the decode's reason */
    good_report(&f->r, LEDGER_READING, 2);
    f->r.seq = 0;
    memset(f->msg, 0, sizeof f->msg);
    assert_int_equal(ledger_device_report_encode(&f->r, f->buf, sizeof f->buf, &len, f->msg,
                                                 sizeof f->msg),
                     WB_ERR_INVALID);
    assert_string_equal(f->msg, "device report: seq starts at 1");
    good_report(&f->r, LEDGER_READING, 2);
    f->r.obs_count = WB_DEVICE_OBS_MAX + 1;
    assert_int_equal(ledger_device_report_encode(&f->r, f->buf, sizeof f->buf, &len, f->msg,
                                                 sizeof f->msg),
                     WB_ERR_INVALID);
    assert_non_null(strstr(f->msg, "129 observations"));
    good_report(&f->r, LEDGER_READING, 2);
    f->r.kind = LEDGER_LOAD;
    assert_int_equal(ledger_device_report_encode(&f->r, f->buf, sizeof f->buf, &len, f->msg,
                                                 sizeof f->msg),
                     WB_ERR_INVALID);
    assert_non_null(strstr(f->msg, "kind must be"));
    good_report(&f->r, LEDGER_SEAL_STATUS, 1);
    f->r.obs[0].seal[0] = '\0';
    assert_int_equal(ledger_device_report_encode(&f->r, f->buf, sizeof f->buf, &len, f->msg,
                                                 sizeof f->msg),
                     WB_ERR_INVALID);
    assert_non_null(strstr(f->msg, "an armed seal names its seal number"));
}

/* ---- signature and carrying event ------------------------------------------------ */

static void sign_and_verify(void **state)
{
    struct fx *f = *state;
    uint8_t pk[WB_PUBKEY_LEN], sk[WB_SECKEY_LEN], pk2[WB_PUBKEY_LEN], sk2[WB_SECKEY_LEN];
    device_key(1, pk, sk);
    device_key(2, pk2, sk2);
    uint8_t chain[WB_CHAIN_ID_LEN], chain2[WB_CHAIN_ID_LEN];
    memset(chain, 0x11, sizeof chain);
    memset(chain2, 0x11, sizeof chain2);
    chain2[WB_CHAIN_ID_LEN - 1] ^= 1;
    good_report(&f->r, LEDGER_POSITION, 3);
    assert_int_equal(ledger_device_report_encode(&f->r, f->buf, sizeof f->buf, &f->len, NULL, 0),
                     WB_OK);
    uint8_t sig[WB_SIG_LEN];
    assert_int_equal(ledger_device_report_sign(chain, f->buf, f->len, sk, sig), WB_OK);
    assert_int_equal(ledger_device_report_verify(chain, f->buf, f->len, pk, sig), WB_OK);

    /* It is Ed25519 over "waybill/device/v1" || chain id || report. */
    uint8_t m[sizeof WB_TAG_DEVICE - 1 + WB_CHAIN_ID_LEN + WB_DEVICE_REPORT_MAX];
    size_t tag = sizeof WB_TAG_DEVICE - 1;
    memcpy(m, WB_TAG_DEVICE, tag);
    memcpy(m + tag, chain, WB_CHAIN_ID_LEN);
    memcpy(m + tag + WB_CHAIN_ID_LEN, f->buf, f->len);
    assert_int_equal(crypto_sign_verify_detached(sig, m, tag + WB_CHAIN_ID_LEN + f->len, pk), 0);
    /* and not over the report alone */
    assert_int_not_equal(crypto_sign_verify_detached(sig, f->buf, f->len, pk), 0);

    /* each byte of the report flipped */
    for (size_t i = 0; i < f->len; i++) {
        f->buf[i] ^= 0x01;
        if (ledger_device_report_verify(chain, f->buf, f->len, pk, sig) != WB_ERR_SIGNATURE)
            fail_msg("report byte %zu flipped, and the signature still verifies", i);
        f->buf[i] ^= 0x01;
    }
    /* shorter report */
    assert_int_equal(ledger_device_report_verify(chain, f->buf, f->len - 1, pk, sig),
                     WB_ERR_SIGNATURE);
    /* another chain */
    assert_int_equal(ledger_device_report_verify(chain2, f->buf, f->len, pk, sig),
                     WB_ERR_SIGNATURE);
    /* another key */
    assert_int_equal(ledger_device_report_verify(chain, f->buf, f->len, pk2, sig),
                     WB_ERR_SIGNATURE);
    /* a flipped signature byte */
    sig[10] ^= 0x80;
    assert_int_equal(ledger_device_report_verify(chain, f->buf, f->len, pk, sig),
                     WB_ERR_SIGNATURE);
    sig[10] ^= 0x80;
    /* the other key's signature verifies for its key only */
    uint8_t sig2[WB_SIG_LEN];
    assert_int_equal(ledger_device_report_sign(chain, f->buf, f->len, sk2, sig2), WB_OK);
    assert_int_equal(ledger_device_report_verify(chain, f->buf, f->len, pk2, sig2), WB_OK);
    assert_int_equal(ledger_device_report_verify(chain, f->buf, f->len, pk, sig2),
                     WB_ERR_SIGNATURE);
    /* signing is deterministic */
    uint8_t again[WB_SIG_LEN];
    assert_int_equal(ledger_device_report_sign(chain, f->buf, f->len, sk, again), WB_OK);
    assert_memory_equal(again, sig, WB_SIG_LEN);
}

static void wrap_builds_the_carrying_event(void **state)
{
    struct fx *f = *state;
    good_report(&f->r, LEDGER_READING, 2);
    assert_int_equal(ledger_device_report_encode(&f->r, f->buf, sizeof f->buf, &f->len, NULL, 0),
                     WB_OK);
    uint8_t sig[WB_SIG_LEN];
    for (size_t i = 0; i < WB_SIG_LEN; i++) sig[i] = (uint8_t)(i * 3 + 1);

    struct ledger_event *ev = calloc(1, sizeof *ev);
    assert_non_null(ev);
    /* an event full of another action's fields */
    ev->action = LEDGER_HANDOVER;
    snprintf(ev->item, sizeof ev->item, "%s", "urn:example:other");
    snprintf(ev->location, sizeof ev->location, "%s", "NLRTM");
    ev->attr_count = 2;
    snprintf(ev->attrs[0].key, sizeof ev->attrs[0].key, "%s", "seal");
    snprintf(ev->attrs[1].key, sizeof ev->attrs[1].key, "%s", "note");
    snprintf(ev->to_org, sizeof ev->to_org, "%s", "oceanic");
    ev->time_ms = T0_MS;
    ev->nonce = 42;
    memset(ev->submitter, 0x33, sizeof ev->submitter);
    ev->has_prev = true;
    memset(ev->prev, 0x44, sizeof ev->prev);

    assert_int_equal(ledger_device_report_wrap(ev, &f->r, f->buf, f->len, sig), WB_OK);
    assert_int_equal(ev->action, LEDGER_READING);
    assert_string_equal(ev->item, ITEM);
    assert_int_equal(ev->device_report_len, f->len);
    assert_memory_equal(ev->device_report, f->buf, f->len);
    assert_memory_equal(ev->device_sig, sig, WB_SIG_LEN);
    assert_string_equal(ev->location, "");
    assert_int_equal(ev->attr_count, 0);
    assert_string_equal(ev->to_org, "");
    /* the caller's fields are left alone */
    assert_int_equal(ev->time_ms, T0_MS);
    assert_int_equal(ev->nonce, 42);
    assert_true(ev->has_prev);
    assert_int_equal(ev->submitter[0], 0x33);
    assert_int_equal(ev->prev[WB_HASH_LEN - 1], 0x44);

    /* no report, or one over the limit, does not fit */
    assert_int_equal(ledger_device_report_wrap(ev, &f->r, f->buf, 0, sig), WB_ERR_TOO_LARGE);
    assert_int_equal(ledger_device_report_wrap(ev, &f->r, f->buf, WB_DEVICE_REPORT_MAX + 1, sig),
                     WB_ERR_TOO_LARGE);
    /* the largest report fits */
    static uint8_t big[WB_DEVICE_REPORT_MAX];
    memset(big, 0xab, sizeof big);
    assert_int_equal(ledger_device_report_wrap(ev, &f->r, big, sizeof big, sig), WB_OK);
    assert_int_equal(ev->device_report_len, WB_DEVICE_REPORT_MAX);
    assert_memory_equal(ev->device_report, big, sizeof big);
    free(ev);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_round_trip),
        cmocka_unit_test(kind_allows_table),
        cmocka_unit_test(seal_number_and_serial_forms),
        cmocka_unit_test_setup_teardown(round_trip_each_kind, setup, teardown),
        cmocka_unit_test_setup_teardown(coordinate_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(packer_matches_encode, setup, teardown),
        cmocka_unit_test_setup_teardown(decode_refuses_header_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(decode_refuses_observations, setup, teardown),
        cmocka_unit_test_setup_teardown(refusal_messages_are_printable, setup, teardown),
        cmocka_unit_test_setup_teardown(decode_refuses_non_canonical_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(encode_limits_and_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(sign_and_verify, setup, teardown),
        cmocka_unit_test_setup_teardown(wrap_builds_the_carrying_event, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
