/* Devices (docs/devices.md): smart seals, trackers and sensors whose
 * observations reach the ledger as evidence. A member organisation
 * registers a device's Ed25519 key on the governance chain
 * (device_register, ledger/gov.h); the item's custodian attaches it to an
 * item (device_attach) and detaches it (device_detach); while attached,
 * the device signs reports (DeviceReport: a batch of observations of one
 * kind about that item, with its own counter `seq`) and any member's
 * gateway carries each one to the ledger in an event of its own
 * (seal_status, position or reading) signed with the gateway's member
 * key. The device's signature covers
 * "waybill/device/v1" || chain_id || report bytes, so a report is bound to
 * its chain, its device and its item, and `seq` makes each one usable
 * once. Reports are evidence, not gates: what a seal reports never blocks
 * an event, it is recorded and shown.
 *
 * This module is the report's codec and signature, and the table of which
 * kind of device may observe what. Pure: no I/O, no clock. */
#ifndef LEDGER_DEVICE_H
#define LEDGER_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/sigbytes.h"
#include "common/wb_error.h"
#include "ledger/types.h"

#define WB_TAG_DEVICE "waybill/device/v1"
#define WB_DEVICE_OBS_MAX 128        /* observations in one report */
#define WB_DEVICE_SERIAL_MAX 64      /* a device's serial: printable ASCII, no space */
#define WB_SEAL_NUMBER_MAX 32        /* an ISO 17712 seal number */
#define WB_LOCODE_LEN 5

/* Values of a registered device's kind (attribute kind= of device_register). */
enum ledger_device_kind {
    LEDGER_DEVICE_NONE = 0,
    LEDGER_DEVICE_ESEAL,        /* electronic seal: seal_status, position */
    LEDGER_DEVICE_TRACKER,      /* tracker: position, and readings of any measure */
    LEDGER_DEVICE_TEMPERATURE,  /* sensors: readings of their own measure only */
    LEDGER_DEVICE_SHOCK,
    LEDGER_DEVICE_HUMIDITY,
    LEDGER_DEVICE_LIGHT,
};

/* "eseal", "tracker", "temperature", "shock", "humidity", "light"; NULL
 * for an unknown value. parse: LEDGER_DEVICE_NONE if unknown. */
const char *ledger_device_kind_name(enum ledger_device_kind k);
enum ledger_device_kind ledger_device_kind_parse(const char *s);

/* Values equal the proto enum waybill.SealState. */
enum ledger_seal_state {
    LEDGER_SEAL_STATE_NONE = 0,
    LEDGER_SEAL_ARMED = 1,
    LEDGER_SEAL_INTACT = 2,
    LEDGER_SEAL_OPENED = 3,
    LEDGER_SEAL_TAMPERED = 4,
};

/* "armed", "intact", "opened", "tampered"; NULL / NONE otherwise. */
const char *ledger_seal_state_name(enum ledger_seal_state s);
enum ledger_seal_state ledger_seal_state_parse(const char *s);

/* Values equal the proto enum waybill.Measure. */
enum ledger_measure {
    LEDGER_MEASURE_NONE = 0,
    LEDGER_MEASURE_TEMPERATURE = 1,
    LEDGER_MEASURE_HUMIDITY = 2,
    LEDGER_MEASURE_SHOCK = 3,
    LEDGER_MEASURE_LIGHT = 4,
};

/* "temperature", "humidity", "shock", "light"; NULL / NONE otherwise. */
const char *ledger_measure_name(enum ledger_measure m);
enum ledger_measure ledger_measure_parse(const char *s);
/* The one unit of a measure: "C", "%RH", "g", "lx"; NULL for NONE. */
const char *ledger_measure_unit(enum ledger_measure m);

/* Whether a device of kind k may report observations of action a
 * (LEDGER_SEAL_STATUS, LEDGER_POSITION, LEDGER_READING) and, for readings,
 * of measure m (ignored otherwise): the table in the kinds' comments. */
bool ledger_device_kind_allows(enum ledger_device_kind k, enum ledger_action a,
                               enum ledger_measure m);

/* Whether s (len bytes) is an ISO 17712 seal number as the ledger takes
 * it: 1 to WB_SEAL_NUMBER_MAX characters of [A-Z0-9-], starting with a
 * letter or digit. */
bool ledger_seal_number_ok(const char *s, size_t len);
/* Whether s (len bytes) is a device serial: 1 to WB_DEVICE_SERIAL_MAX
 * printable ASCII characters without space. */
bool ledger_device_serial_ok(const char *s, size_t len);

/* One observation. Only the fields of the report's kind are meaningful
 * (and set): seal_status: seal_state, seal; position: lat_e6, lon_e6,
 * accuracy_m, locode; reading: measure, value_milli. */
struct ledger_device_obs {
    int64_t time_ms;
    enum ledger_seal_state seal_state;
    char seal[WB_SEAL_NUMBER_MAX + 1];   /* "" when not given */
    int32_t lat_e6;                      /* -90e6 .. 90e6 */
    int32_t lon_e6;                      /* -180e6 .. 180e6 */
    uint32_t accuracy_m;                 /* 0: not given; at most 1,000,000 */
    char locode[WB_LOCODE_LEN + 1];      /* "" when not given */
    enum ledger_measure measure;
    int64_t value_milli;                 /* thousandths of the measure's unit */
};

/* Checks one observation of a report of `kind` (LEDGER_SEAL_STATUS,
 * _POSITION or _READING) as ledger_device_report_decode checks each: only
 * the kind's fields set, each well formed. Returns 0 or WB_ERR_INVALID
 * with a sentence in msg (it calls the observation "observation 1"). */
WB_MUST_USE int ledger_device_obs_check(enum ledger_action kind,
                                        const struct ledger_device_obs *o, char *msg,
                                        size_t msg_len);

/* A decoded DeviceReport. About 9 KB: allocate it on the heap. */
struct ledger_device_report {
    uint8_t device[WB_PUBKEY_LEN];
    char item[WB_ITEM_MAX + 1];
    enum ledger_action kind;             /* LEDGER_SEAL_STATUS, _POSITION or _READING */
    uint64_t seq;                        /* >= 1 */
    size_t obs_count;                    /* 1 .. WB_DEVICE_OBS_MAX */
    struct ledger_device_obs obs[WB_DEVICE_OBS_MAX];
};

/* Decodes DeviceReport bytes into *r and checks them: the canonical
 * encoding (ledger/canon.h), at most WB_DEVICE_REPORT_MAX bytes, version
 * 1, a 32-byte device key, a valid item id (ledger/ids.h), kind a report
 * action, seq >= 1, 1 to WB_DEVICE_OBS_MAX observations with times not
 * decreasing, and each observation carrying only the fields of the kind,
 * well formed: seal_status a known state, armed with a seal number, seal
 * numbers ledger_seal_number_ok; position lat/lon in range, accuracy at
 * most 1,000,000 m, locode a UN/LOCODE (ledger/ids.h) if given; reading a
 * known measure. Returns 0, or WB_ERR_DECODE / WB_ERR_INVALID with a
 * sentence in msg naming what is wrong ("device report: observation 3:
 * latitude 91.000000 is out of range"). Allocates nothing but protobuf-c's
 * transient unpacking. */
WB_MUST_USE int ledger_device_report_decode(const uint8_t *buf, size_t len,
                                            struct ledger_device_report *r, char *msg,
                                            size_t msg_len);

/* Encodes *r (which must pass what decode checks) into out. Returns 0,
 * WB_ERR_TOO_LARGE (over cap or WB_DEVICE_REPORT_MAX: send fewer
 * observations) or WB_ERR_INVALID with msg. */
WB_MUST_USE int ledger_device_report_encode(const struct ledger_device_report *r, uint8_t *out,
                                            size_t cap, size_t *len, char *msg, size_t msg_len);

/* Signs report bytes as the device: Ed25519 over
 * WB_TAG_DEVICE || chain_id || bytes. Returns 0 or WB_ERR_CRYPTO /
 * WB_ERR_NOMEM. */
WB_MUST_USE int ledger_device_report_sign(const uint8_t chain_id[WB_CHAIN_ID_LEN],
                                          const uint8_t *report, size_t len,
                                          const uint8_t sk[WB_SECKEY_LEN],
                                          uint8_t sig[WB_SIG_LEN]);
/* Checks such a signature for device key pk. Returns 0 or WB_ERR_SIGNATURE
 * (WB_ERR_NOMEM / WB_ERR_CRYPTO when it could not be checked). */
WB_MUST_USE int ledger_device_report_verify(const uint8_t chain_id[WB_CHAIN_ID_LEN],
                                            const uint8_t *report, size_t len,
                                            const uint8_t pk[WB_PUBKEY_LEN],
                                            const uint8_t sig[WB_SIG_LEN]);

/* Builds the carrying event: sets ev->action to r->kind, ev->item to
 * r->item, copies the report bytes and the signature into ev, and clears
 * location, attributes and to_org (the caller sets submitter, prev, time
 * and nonce, and signs ev with the gateway's member key). Returns 0 or
 * WB_ERR_TOO_LARGE. */
WB_MUST_USE int ledger_device_report_wrap(struct ledger_event *ev,
                                          const struct ledger_device_report *r,
                                          const uint8_t *report, size_t len,
                                          const uint8_t sig[WB_SIG_LEN]);

#endif
