/* Fuzz target: DeviceReport bytes through ledger_device_report_decode.
 *
 * Checks: a refusal is WB_ERR_DECODE or WB_ERR_INVALID with a non-empty
 * message of printable ASCII (it quotes what the device sent) and a zeroed
 * report; an accepted report keeps every promise of device.h (a valid item
 * id, kind a report action, seq >= 1, 1 to WB_DEVICE_OBS_MAX observations
 * in time order, each carrying only the fields of its kind, well formed),
 * its bytes are canonical, and it encodes to exactly the accepted bytes
 * and decodes from them to the same report (one report, one encoding). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wb_error.h"
#include "fuzz_fixture.h"
#include "ledger/device.h"
#include "ledger/ids.h"
#include "proto/waybill.pb-c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *msg)
{
    fprintf(stderr, "device_report target: %s (%s)\n", what, msg);
    abort();
}

/* A UN/LOCODE as written, checked independently of device.c. */
static bool locode_form(const char *s)
{
    if (strlen(s) != 5) return false;
    for (int i = 0; i < 5; i++) {
        bool letter = s[i] >= 'A' && s[i] <= 'Z', digit = s[i] >= '2' && s[i] <= '9';
        if (!(letter || (i >= 2 && digit))) return false;
    }
    return true;
}

static void check_obs(enum ledger_action kind, size_t i, const struct ledger_device_obs *o)
{
    static const struct ledger_device_obs zero;
    char what[64];
    snprintf(what, sizeof what, "observation %zu", i + 1);
    if (strnlen(o->seal, sizeof o->seal) > WB_SEAL_NUMBER_MAX ||
        strnlen(o->locode, sizeof o->locode) > WB_LOCODE_LEN)
        fail("a string overruns its field", what);
    /* Only the fields of the kind: the others are at zero. */
    struct ledger_device_obs other = zero;
    other.time_ms = o->time_ms;
    if (kind == LEDGER_SEAL_STATUS) {
        other.seal_state = o->seal_state;
        memcpy(other.seal, o->seal, sizeof o->seal);
        if (!ledger_seal_state_name(o->seal_state)) fail("unknown seal state accepted", what);
        if (o->seal_state == LEDGER_SEAL_ARMED && !o->seal[0])
            fail("armed without a seal number", what);
        if (o->seal[0] && !ledger_seal_number_ok(o->seal, strlen(o->seal)))
            fail("bad seal number accepted", o->seal);
    } else if (kind == LEDGER_POSITION) {
        other.lat_e6 = o->lat_e6;
        other.lon_e6 = o->lon_e6;
        other.accuracy_m = o->accuracy_m;
        memcpy(other.locode, o->locode, sizeof o->locode);
        if (o->lat_e6 < -90000000 || o->lat_e6 > 90000000) fail("latitude out of range", what);
        if (o->lon_e6 < -180000000 || o->lon_e6 > 180000000) fail("longitude out of range", what);
        if (o->accuracy_m > 1000000) fail("accuracy over 1,000,000 m", what);
        if (o->locode[0] && !locode_form(o->locode)) fail("bad locode accepted", o->locode);
    } else {
        other.measure = o->measure;
        other.value_milli = o->value_milli;
        if (!ledger_measure_name(o->measure) || !ledger_measure_unit(o->measure))
            fail("unknown measure accepted", what);
    }
    if (memcmp(&other, o, sizeof *o) != 0) fail("a field of another kind is set", what);
}

static void check_report(const struct ledger_device_report *r)
{
    if (strnlen(r->item, sizeof r->item) > WB_ITEM_MAX) fail("item overruns its field", "");
    char why[256] = "";
    if (ledger_item_id_check(r->item, NULL, why, sizeof why) != WB_OK)
        fail("invalid item id accepted", why);
    if (!ledger_action_is_report(r->kind)) fail("kind is not a report action", "");
    if (r->seq < 1) fail("seq 0 accepted", "");
    if (r->obs_count < 1 || r->obs_count > WB_DEVICE_OBS_MAX) fail("observation count", "");
    for (size_t i = 0; i < r->obs_count; i++) {
        if (i > 0 && r->obs[i].time_ms < r->obs[i - 1].time_ms)
            fail("observations out of time order", "");
        check_obs(r->kind, i, &r->obs[i]);
    }
    static const struct ledger_device_obs zero;
    for (size_t i = r->obs_count; i < WB_DEVICE_OBS_MAX; i++)
        if (memcmp(&r->obs[i], &zero, sizeof zero) != 0) fail("an unused observation is set", "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ledger_device_report r, back;
    static const struct ledger_device_report zero;
    char msg[512] = "";
    int rc = ledger_device_report_decode(data, size, &r, msg, sizeof msg);
    if (rc) {
        if (rc != WB_ERR_DECODE && rc != WB_ERR_INVALID)
            fail("unexpected return code", wb_strerror(rc));
        if (!msg[0]) fail("refused without a message", wb_strerror(rc));
        for (const char *c = msg; *c; c++)
            if (*c < 0x20 || *c > 0x7e) fail("message has a non-printable byte", wb_strerror(rc));
        if (memcmp(&r, &zero, sizeof r) != 0) fail("report not zeroed on error", msg);
        return 0;
    }
    check_report(&r);
    fx_assert_canonical(&waybill__device_report__descriptor, data, size, "device report");

    /* One report, one encoding. */
    static uint8_t again[WB_DEVICE_REPORT_MAX];
    size_t len = 0;
    rc = ledger_device_report_encode(&r, again, sizeof again, &len, msg, sizeof msg);
    if (rc) fail("an accepted report does not encode", msg);
    if (len != size || memcmp(again, data, size) != 0)
        fail("re-encoding differs from the accepted bytes", "");
    /* With exactly that much room too, and not with less. */
    rc = ledger_device_report_encode(&r, again, size, &len, msg, sizeof msg);
    if (rc) fail("does not encode into its own size", msg);
    rc = ledger_device_report_encode(&r, again, size - 1, &len, msg, sizeof msg);
    if (rc != WB_ERR_TOO_LARGE) fail("encoded into less room than it takes", wb_strerror(rc));
    rc = ledger_device_report_decode(data, size, &back, msg, sizeof msg);
    if (rc || memcmp(&back, &r, sizeof r) != 0) fail("a second decode differs", msg);
    return 0;
}
