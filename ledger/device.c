/* Device reports (ledger/device.h): names of kinds, seal states and
 * measures, the table of what each kind observes, the strict decode and
 * the encode of a DeviceReport, its signature, and the event that carries
 * it. */
#include "ledger/device.h"

#include <protobuf-c/protobuf-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sigbytes.h"
#include "common/wb_error.h"
#include "ledger/canon.h"
#include "ledger/ids.h"
#include "proto/waybill.pb-c.h"

#define REPORT_VERSION 1
#define ACCURACY_MAX_M 1000000u

/* ---- names ------------------------------------------------------------------ */

static const char *const kind_names[] = {
    [LEDGER_DEVICE_NONE] = NULL,           [LEDGER_DEVICE_ESEAL] = "eseal",
    [LEDGER_DEVICE_TRACKER] = "tracker",   [LEDGER_DEVICE_TEMPERATURE] = "temperature",
    [LEDGER_DEVICE_SHOCK] = "shock",       [LEDGER_DEVICE_HUMIDITY] = "humidity",
    [LEDGER_DEVICE_LIGHT] = "light",
};
static const char *const seal_names[] = {
    [LEDGER_SEAL_STATE_NONE] = NULL, [LEDGER_SEAL_ARMED] = "armed",
    [LEDGER_SEAL_INTACT] = "intact", [LEDGER_SEAL_OPENED] = "opened",
    [LEDGER_SEAL_TAMPERED] = "tampered",
};
static const char *const measure_names[] = {
    [LEDGER_MEASURE_NONE] = NULL,        [LEDGER_MEASURE_TEMPERATURE] = "temperature",
    [LEDGER_MEASURE_HUMIDITY] = "humidity", [LEDGER_MEASURE_SHOCK] = "shock",
    [LEDGER_MEASURE_LIGHT] = "light",
};
static const char *const measure_units[] = {
    [LEDGER_MEASURE_NONE] = NULL,     [LEDGER_MEASURE_TEMPERATURE] = "C",
    [LEDGER_MEASURE_HUMIDITY] = "%RH", [LEDGER_MEASURE_SHOCK] = "g",
    [LEDGER_MEASURE_LIGHT] = "lx",
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *name_of(const char *const *names, size_t n, unsigned v)
{
    return v < n ? names[v] : NULL;
}

static unsigned parse_of(const char *const *names, size_t n, const char *s)
{
    if (!s) return 0;
    for (unsigned i = 1; i < n; i++)
        if (strcmp(s, names[i]) == 0) return i;
    return 0;
}

const char *ledger_device_kind_name(enum ledger_device_kind k)
{
    return name_of(kind_names, COUNT(kind_names), (unsigned)k);
}
enum ledger_device_kind ledger_device_kind_parse(const char *s)
{
    return (enum ledger_device_kind)parse_of(kind_names, COUNT(kind_names), s);
}
const char *ledger_seal_state_name(enum ledger_seal_state s)
{
    return name_of(seal_names, COUNT(seal_names), (unsigned)s);
}
enum ledger_seal_state ledger_seal_state_parse(const char *s)
{
    return (enum ledger_seal_state)parse_of(seal_names, COUNT(seal_names), s);
}
const char *ledger_measure_name(enum ledger_measure m)
{
    return name_of(measure_names, COUNT(measure_names), (unsigned)m);
}
enum ledger_measure ledger_measure_parse(const char *s)
{
    return (enum ledger_measure)parse_of(measure_names, COUNT(measure_names), s);
}
const char *ledger_measure_unit(enum ledger_measure m)
{
    return name_of(measure_units, COUNT(measure_units), (unsigned)m);
}

/* The sensor kinds and the one measure each reads. */
static enum ledger_measure sensor_measure(enum ledger_device_kind k)
{
    switch (k) {
    case LEDGER_DEVICE_TEMPERATURE: return LEDGER_MEASURE_TEMPERATURE;
    case LEDGER_DEVICE_SHOCK: return LEDGER_MEASURE_SHOCK;
    case LEDGER_DEVICE_HUMIDITY: return LEDGER_MEASURE_HUMIDITY;
    case LEDGER_DEVICE_LIGHT: return LEDGER_MEASURE_LIGHT;
    default: return LEDGER_MEASURE_NONE;
    }
}

bool ledger_device_kind_allows(enum ledger_device_kind k, enum ledger_action a,
                               enum ledger_measure m)
{
    switch (k) {
    case LEDGER_DEVICE_ESEAL:
        return a == LEDGER_SEAL_STATUS || a == LEDGER_POSITION;
    case LEDGER_DEVICE_TRACKER:
        return a == LEDGER_POSITION || (a == LEDGER_READING && ledger_measure_name(m));
    case LEDGER_DEVICE_TEMPERATURE:
    case LEDGER_DEVICE_SHOCK:
    case LEDGER_DEVICE_HUMIDITY:
    case LEDGER_DEVICE_LIGHT:
        return a == LEDGER_READING && m == sensor_measure(k);
    default:
        return false;
    }
}

bool ledger_seal_number_ok(const char *s, size_t len)
{
    if (!s || len == 0 || len > WB_SEAL_NUMBER_MAX || s[0] == '-') return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) return false;
    }
    return true;
}

bool ledger_device_serial_ok(const char *s, size_t len)
{
    if (!s || len == 0 || len > WB_DEVICE_SERIAL_MAX) return false;
    for (size_t i = 0; i < len; i++)
        if (s[i] < 0x21 || s[i] > 0x7e) return false;
    return true;
}

/* ---- checks shared by decode and encode ----------------------------------------- */

/* Seal numbers and locodes quoted in a message come from the device: the
 * bytes that are not printable ASCII are shown as '?'. */
#define ECHO_BUF (WB_SEAL_NUMBER_MAX + 1)
static const char *echo(const char *s, char out[ECHO_BUF])
{
    size_t i = 0;
    for (; s[i] && i < ECHO_BUF - 1; i++) out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    out[i] = '\0';
    return out;
}

static int obs_check(enum ledger_action kind, size_t i, const struct ledger_device_obs *o,
                     int64_t prev_time, char *msg, size_t msg_len)
{
    size_t n = i + 1;
    if (i > 0 && o->time_ms < prev_time)
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "device report: observation %zu is dated before observation %zu; "
                        "observations are in time order",
                        n, i);
    bool seal_f = o->seal_state != LEDGER_SEAL_STATE_NONE || o->seal[0];
    bool pos_f = o->lat_e6 || o->lon_e6 || o->accuracy_m || o->locode[0];
    bool read_f = o->measure != LEDGER_MEASURE_NONE || o->value_milli;
    const char *kn = ledger_action_name(kind);
    char e[ECHO_BUF];
    if ((kind != LEDGER_SEAL_STATUS && seal_f) || (kind != LEDGER_POSITION && pos_f) ||
        (kind != LEDGER_READING && read_f))
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "device report: observation %zu carries fields that a %s report does "
                        "not take",
                        n, kn ? kn : "?");
    switch (kind) {
    case LEDGER_SEAL_STATUS:
        if (!ledger_seal_state_name(o->seal_state))
            return wb_failf(WB_ERR_INVALID, msg, msg_len,
                            "device report: observation %zu: seal state must be armed, intact, "
                            "opened or tampered",
                            n);
        if (o->seal_state == LEDGER_SEAL_ARMED && !o->seal[0])
            return wb_failf(WB_ERR_INVALID, msg, msg_len,
                            "device report: observation %zu: an armed seal names its seal "
                            "number",
                            n);
        if (o->seal[0] && !ledger_seal_number_ok(o->seal, strlen(o->seal)))
            return wb_failf(WB_ERR_INVALID, msg, msg_len,
                            "device report: observation %zu: seal '%s' is not an ISO 17712 "
                            "seal number (A-Z, 0-9, '-')",
                            n, echo(o->seal, e));
        return WB_OK;
    case LEDGER_POSITION:
        if (o->lat_e6 < -90000000 || o->lat_e6 > 90000000)
            return wb_failf(WB_ERR_INVALID, msg, msg_len,
                            "device report: observation %zu: latitude %.6f is out of range", n,
                            o->lat_e6 / 1e6);
        if (o->lon_e6 < -180000000 || o->lon_e6 > 180000000)
            return wb_failf(WB_ERR_INVALID, msg, msg_len,
                            "device report: observation %zu: longitude %.6f is out of range", n,
                            o->lon_e6 / 1e6);
        if (o->accuracy_m > ACCURACY_MAX_M)
            return wb_failf(WB_ERR_INVALID, msg, msg_len,
                            "device report: observation %zu: accuracy %u m is over %u m", n,
                            o->accuracy_m, ACCURACY_MAX_M);
        if (o->locode[0] && !ledger_locode_ok(o->locode, strlen(o->locode)))
            return wb_failf(WB_ERR_INVALID, msg, msg_len,
                            "device report: observation %zu: locode '%s' is not a UN/LOCODE", n,
                            echo(o->locode, e));
        return WB_OK;
    default: /* LEDGER_READING */
        if (!ledger_measure_name(o->measure))
            return wb_failf(WB_ERR_INVALID, msg, msg_len,
                            "device report: observation %zu: measure must be temperature, "
                            "humidity, shock or light",
                            n);
        return WB_OK;
    }
}

int ledger_device_obs_check(enum ledger_action kind, const struct ledger_device_obs *o,
                            char *msg, size_t msg_len)
{
    if (!ledger_action_is_report(kind))
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "device report: kind must be seal_status, position or reading");
    return obs_check(kind, 0, o, 0, msg, msg_len);
}

static int report_check(const struct ledger_device_report *r, char *msg, size_t msg_len)
{
    if (r->item[0] == '\0')
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "device report: item id is empty");
    char why[160];
    if (ledger_item_id_check(r->item, NULL, why, sizeof why) != WB_OK)
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "device report: %s", why);
    if (!ledger_action_is_report(r->kind))
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "device report: kind must be seal_status, position or reading");
    if (r->seq == 0)
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "device report: seq starts at 1");
    if (r->obs_count == 0 || r->obs_count > WB_DEVICE_OBS_MAX)
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "device report: %zu observations, expected 1 to %d", r->obs_count,
                        WB_DEVICE_OBS_MAX);
    for (size_t i = 0; i < r->obs_count; i++) {
        int rc = obs_check(r->kind, i, &r->obs[i], i ? r->obs[i - 1].time_ms : 0, msg, msg_len);
        if (rc) return rc;
    }
    return WB_OK;
}

/* ---- decode --------------------------------------------------------------------- */

static int copy_field(const char *src, char *dst, size_t cap)
{
    size_t n = strlen(src);
    if (n >= cap) return WB_ERR_INVALID;
    memcpy(dst, src, n + 1);
    return WB_OK;
}

static int from_pb(const Waybill__DeviceReport *pb, struct ledger_device_report *r, char *msg,
                   size_t msg_len)
{
    if (pb->version != REPORT_VERSION)
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "device report: version is %u, expected %d", pb->version,
                        REPORT_VERSION);
    if (pb->device.len != WB_PUBKEY_LEN)
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "device report: device is %zu bytes, expected a 32-byte Ed25519 key",
                        pb->device.len);
    memcpy(r->device, pb->device.data, WB_PUBKEY_LEN);
    if (copy_field(pb->item, r->item, sizeof r->item))
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "device report: item id is too long");
    int kind = (int)pb->kind;
    r->kind = (kind > 0 && kind < LEDGER_ACTION_COUNT) ? (enum ledger_action)kind
                                                       : LEDGER_ACTION_NONE;
    r->seq = pb->seq;
    if (pb->n_observations == 0 || pb->n_observations > WB_DEVICE_OBS_MAX)
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "device report: %zu observations, expected 1 to %d",
                        pb->n_observations, WB_DEVICE_OBS_MAX);
    r->obs_count = pb->n_observations;
    for (size_t i = 0; i < pb->n_observations; i++) {
        const Waybill__DeviceObservation *po = pb->observations[i];
        struct ledger_device_obs *o = &r->obs[i];
        o->time_ms = po->time_ms;
        int ss = (int)po->seal_state, ms = (int)po->measure;
        if (ss < 0 || ss > LEDGER_SEAL_TAMPERED || ms < 0 || ms > LEDGER_MEASURE_LIGHT)
            return wb_failf(WB_ERR_INVALID, msg, msg_len,
                            "device report: observation %zu: unknown seal state or measure",
                            i + 1);
        o->seal_state = (enum ledger_seal_state)ss;
        o->measure = (enum ledger_measure)ms;
        if (copy_field(po->seal, o->seal, sizeof o->seal) ||
            copy_field(po->locode, o->locode, sizeof o->locode))
            return wb_failf(WB_ERR_INVALID, msg, msg_len,
                            "device report: observation %zu: seal or locode is too long", i + 1);
        o->lat_e6 = po->lat_e6;
        o->lon_e6 = po->lon_e6;
        o->accuracy_m = po->accuracy_m;
        o->value_milli = po->value_milli;
    }
    return report_check(r, msg, msg_len);
}

int ledger_device_report_decode(const uint8_t *buf, size_t len, struct ledger_device_report *r,
                                char *msg, size_t msg_len)
{
    memset(r, 0, sizeof *r);
    if (!buf || len == 0) return wb_failf(WB_ERR_DECODE, msg, msg_len, "device report is empty");
    if (len > WB_DEVICE_REPORT_MAX)
        return wb_failf(WB_ERR_DECODE, msg, msg_len, "device report is %zu bytes, limit %d", len,
                        WB_DEVICE_REPORT_MAX);
    ProtobufCMessage *m = NULL;
    int rc = ledger_pb_decode(&waybill__device_report__descriptor, NULL, buf, len,
                              "device report", &m, msg, msg_len);
    if (rc) return rc;
    rc = from_pb((const Waybill__DeviceReport *)m, r, msg, msg_len);
    protobuf_c_message_free_unpacked(m, NULL);
    if (rc) memset(r, 0, sizeof *r);
    return rc;
}

/* ---- encode --------------------------------------------------------------------- */

int ledger_device_report_encode(const struct ledger_device_report *r, uint8_t *out, size_t cap,
                                size_t *len, char *msg, size_t msg_len)
{
    int rc = report_check(r, msg, msg_len);
    if (rc) return rc;
    Waybill__DeviceObservation *obs = calloc(r->obs_count, sizeof *obs);
    Waybill__DeviceObservation **ptrs = calloc(r->obs_count, sizeof *ptrs);
    if (!obs || !ptrs) {
        free(obs);
        free(ptrs);
        return wb_failf(WB_ERR_NOMEM, msg, msg_len, "out of memory");
    }
    for (size_t i = 0; i < r->obs_count; i++) {
        const struct ledger_device_obs *o = &r->obs[i];
        waybill__device_observation__init(&obs[i]);
        obs[i].time_ms = o->time_ms;
        obs[i].seal_state = (Waybill__SealState)o->seal_state;
        obs[i].seal = (char *)o->seal;
        obs[i].lat_e6 = o->lat_e6;
        obs[i].lon_e6 = o->lon_e6;
        obs[i].accuracy_m = o->accuracy_m;
        obs[i].locode = (char *)o->locode;
        obs[i].measure = (Waybill__Measure)o->measure;
        obs[i].value_milli = o->value_milli;
        ptrs[i] = &obs[i];
    }
    Waybill__DeviceReport pb;
    waybill__device_report__init(&pb);
    pb.version = REPORT_VERSION;
    pb.device.data = (uint8_t *)r->device;
    pb.device.len = WB_PUBKEY_LEN;
    pb.item = (char *)r->item;
    pb.kind = (Waybill__Action)r->kind;
    pb.seq = r->seq;
    pb.n_observations = r->obs_count;
    pb.observations = ptrs;
    size_t need = waybill__device_report__get_packed_size(&pb);
    if (need > WB_DEVICE_REPORT_MAX || need > cap) {
        rc = wb_failf(WB_ERR_TOO_LARGE, msg, msg_len,
                      "device report: %zu bytes, over the limit of %zu; send fewer "
                      "observations",
                      need, cap < WB_DEVICE_REPORT_MAX ? cap : (size_t)WB_DEVICE_REPORT_MAX);
    } else {
        *len = waybill__device_report__pack(&pb, out);
    }
    free(obs);
    free(ptrs);
    return rc;
}

/* ---- signature and carrying event ------------------------------------------------- */

int ledger_device_report_sign(const uint8_t chain_id[WB_CHAIN_ID_LEN], const uint8_t *report,
                              size_t len, const uint8_t sk[WB_SECKEY_LEN],
                              uint8_t sig[WB_SIG_LEN])
{
    return wb_tagged_sign(WB_TAG_DEVICE, chain_id, report, len, sk, sig);
}

int ledger_device_report_verify(const uint8_t chain_id[WB_CHAIN_ID_LEN], const uint8_t *report,
                                size_t len, const uint8_t pk[WB_PUBKEY_LEN],
                                const uint8_t sig[WB_SIG_LEN])
{
    return wb_tagged_verify(WB_TAG_DEVICE, chain_id, report, len, pk, sig);
}

int ledger_device_report_wrap(struct ledger_event *ev, const struct ledger_device_report *r,
                              const uint8_t *report, size_t len, const uint8_t sig[WB_SIG_LEN])
{
    if (len == 0 || len > WB_DEVICE_REPORT_MAX) return WB_ERR_TOO_LARGE;
    if (strlen(r->item) > WB_ITEM_MAX) return WB_ERR_INVALID;
    ev->action = r->kind;
    snprintf(ev->item, sizeof ev->item, "%s", r->item);
    ev->location[0] = '\0';
    ev->attr_count = 0;
    ev->to_org[0] = '\0';
    memcpy(ev->device_report, report, len);
    ev->device_report_len = len;
    memcpy(ev->device_sig, sig, WB_SIG_LEN);
    return WB_OK;
}
