/* Ledger domain types: limits, actions, roles, decoded events and item
 * state. Everything in ledger/ is pure: no I/O, no clock, no randomness. */
#ifndef LEDGER_TYPES_H
#define LEDGER_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/sigbytes.h"

#define WB_ITEM_MAX 128          /* item id bytes */
#define WB_LOCATION_MAX 13       /* UN/LOCODE (5) or GLN (13) */
#define WB_ORG_MAX 64            /* organisation name bytes */
#define WB_ATTRS_MAX 16          /* attributes per event */
#define WB_ATTR_KEY_MAX 32
#define WB_ATTR_VALUE_MAX 128
#define WB_EVENT_BODY_MAX 4096   /* encoded EventBody bytes */
#define WB_SIGNED_EVENT_MAX (WB_EVENT_BODY_MAX + 128)
#define WB_DEVICE_REPORT_MAX 3072 /* encoded DeviceReport bytes (ledger/device.h) */
#define WB_ITEM_DEVICES_MAX 8    /* devices attached to one item at once */

/* Values equal the proto enum waybill.Action. */
enum ledger_action {
    LEDGER_ACTION_NONE = 0,
    LEDGER_COMMISSION = 1,
    LEDGER_SEAL,
    LEDGER_UNSEAL,
    LEDGER_LOAD,
    LEDGER_DEPART,
    LEDGER_ARRIVE,
    LEDGER_UNLOAD,
    LEDGER_HANDOVER,
    LEDGER_RECEIVE,
    LEDGER_INSPECT,
    LEDGER_HOLD,
    LEDGER_RELEASE,
    LEDGER_CLEAR,
    LEDGER_DELIVER,
    /* Governance actions, only on the governance chain (ledger/gov.h). */
    LEDGER_KEY_ADD,
    LEDGER_KEY_REVOKE,
    LEDGER_GOV_PROPOSE,
    LEDGER_GOV_APPROVE,
    /* The device registry, only on the governance chain (ledger/gov.h). */
    LEDGER_DEVICE_REGISTER,
    LEDGER_DEVICE_RETIRE,
    /* Devices and route plans on item chains (ledger/device.h, ledger/plan.h). */
    LEDGER_DEVICE_ATTACH,
    LEDGER_DEVICE_DETACH,
    LEDGER_SEAL_STATUS,
    LEDGER_POSITION,
    LEDGER_READING,
    LEDGER_PLAN_SET,
    LEDGER_ACTION_COUNT
};

/* "commission", "seal", ...; NULL for an unknown value. */
const char *ledger_action_name(enum ledger_action a);
/* Parses a lowercase action name; LEDGER_ACTION_NONE if unknown. */
enum ledger_action ledger_action_parse(const char *s);
/* Whether a is a governance action (key_add .. device_retire): one taken
 * only on the governance chain. */
static inline bool ledger_action_is_gov(enum ledger_action a)
{
    return a >= LEDGER_KEY_ADD && a <= LEDGER_DEVICE_RETIRE;
}
/* Whether a is a device report (seal_status, position, reading): an event
 * that carries a device-signed DeviceReport. */
static inline bool ledger_action_is_report(enum ledger_action a)
{
    return a >= LEDGER_SEAL_STATUS && a <= LEDGER_READING;
}

enum ledger_role {
    LEDGER_ROLE_NONE = 0,
    LEDGER_ROLE_SHIPPER,
    LEDGER_ROLE_CARRIER,
    LEDGER_ROLE_CUSTOMS,
    LEDGER_ROLE_AUDITOR,
};

/* "shipper", "carrier", "customs", "auditor"; NULL for an unknown value. */
const char *ledger_role_name(enum ledger_role r);
enum ledger_role ledger_role_parse(const char *s);

struct ledger_attr {
    char key[WB_ATTR_KEY_MAX + 1];
    char value[WB_ATTR_VALUE_MAX + 1];
};

/* A decoded EventBody plus its id. Fixed size: decoding allocates nothing. */
struct ledger_event {
    uint8_t id[WB_HASH_LEN];             /* SHA-256(body), set by decode/encode */
    char item[WB_ITEM_MAX + 1];
    enum ledger_action action;
    char location[WB_LOCATION_MAX + 1];  /* "" if none */
    int64_t time_ms;
    uint8_t submitter[WB_PUBKEY_LEN];
    bool has_prev;
    uint8_t prev[WB_HASH_LEN];
    size_t attr_count;
    struct ledger_attr attrs[WB_ATTRS_MAX];
    char to_org[WB_ORG_MAX + 1];         /* handover only, else "" */
    uint64_t nonce;
    /* Device reports only (ledger_action_is_report): the encoded
     * DeviceReport as the device signed it (decode it with
     * ledger_device_report_decode) and the device's signature. 0 bytes
     * otherwise. */
    size_t device_report_len;
    uint8_t device_report[WB_DEVICE_REPORT_MAX];
    uint8_t device_sig[WB_SIG_LEN];
};

/* Room for an RFC 3339 UTC time with milliseconds of any int64 instant. */
#define LEDGER_TIME_MAX 40

/* Writes unix milliseconds as "YYYY-MM-DDTHH:MM:SS.mmmZ" (proleptic
 * Gregorian, UTC; years outside 0..9999 are written with as many digits as
 * they need). Pure arithmetic, no time zone. Returns out. */
char *ledger_time_format(int64_t ms, char out[LEDGER_TIME_MAX]);

/* Parses "YYYY-MM-DDTHH:MM:SS[.f, 1 to 3 digits]Z" (RFC 3339, UTC; s is
 * len bytes) into unix milliseconds. The one time parser of ledger/
 * (genesis_time, governance attributes). Returns false when s is not such
 * a time (a bad field, a day the month lacks, anything after the Z). */
WB_MUST_USE bool ledger_time_parse(const char *s, size_t len, int64_t *ms);

/* Value of attribute `key`, or NULL. */
const char *ledger_event_attr(const struct ledger_event *ev, const char *key);

/* Values equal the proto enum waybill.ItemStatus. */
enum ledger_item_status {
    LEDGER_ITEM_UNKNOWN = 0,   /* never commissioned */
    LEDGER_ITEM_ACTIVE = 1,
    LEDGER_ITEM_IN_TRANSFER = 2,
    LEDGER_ITEM_DELIVERED = 3,
};

/* Where an item physically is in its journey. Values equal the proto enum
 * waybill.Movement. */
enum ledger_movement {
    LEDGER_MOVE_AT_REST = 0,   /* not loaded on a conveyance (also before commission) */
    LEDGER_MOVE_LOADED = 1,    /* loaded on a conveyance, which is at rest */
    LEDGER_MOVE_UNDERWAY = 2,  /* departed and not yet arrived */
};

/* "at_rest", "loaded", "underway"; NULL for an unknown value. */
const char *ledger_movement_name(enum ledger_movement m);

/* An item's customs status. Values equal the proto enum waybill.CustomsStatus. */
enum ledger_customs {
    LEDGER_CUSTOMS_NONE = 0,       /* customs has neither held nor cleared it */
    LEDGER_CUSTOMS_HELD = 1,       /* on hold: only customs may add events */
    LEDGER_CUSTOMS_RELEASED = 2,   /* a hold was released; not cleared since */
    LEDGER_CUSTOMS_CLEARED = 3,    /* cleared (and not held since) */
};

/* "none", "held", "released", "cleared"; NULL for an unknown value. */
const char *ledger_customs_name(enum ledger_customs c);

/* A device attached to an item (ItemState.devices). */
struct ledger_attached_device {
    uint8_t device[WB_PUBKEY_LEN];
    int64_t attached_time_ms;             /* event time of the attach */
    uint64_t last_seq;                    /* its last report's seq on this item; 0: none */
};

/* Everything the rules need to know about an item; what storage keeps in
 * `items`. A zeroed struct is the state of an item never seen. */
struct ledger_item_state {
    char item[WB_ITEM_MAX + 1];
    uint8_t head[WB_HASH_LEN];            /* id of the latest event */
    char custodian[WB_ORG_MAX + 1];
    enum ledger_item_status status;
    enum ledger_customs customs;
    char transfer_to[WB_ORG_MAX + 1];     /* while IN_TRANSFER */
    char seal[WB_ATTR_VALUE_MAX + 1];     /* the active seal, "" when unsealed */
    char location[WB_LOCATION_MAX + 1];   /* last location of commission or a movement */
    enum ledger_movement movement;
    int64_t commission_time_ms;           /* event time of the commission */
    int64_t latest_time_ms;               /* latest event time among the events so far */
    uint32_t count;                       /* events so far */
    uint64_t first_height;
    uint64_t last_height;
    uint64_t reg_index;                   /* place in registration order, from 0 */
    char shipper[WB_ORG_MAX + 1];         /* the organisation that commissioned it */
    size_t device_count;                  /* devices attached now */
    struct ledger_attached_device devices[WB_ITEM_DEVICES_MAX]; /* in order of attachment */
};

/* Whether customs holds the item (customs == LEDGER_CUSTOMS_HELD). */
static inline bool ledger_item_held(const struct ledger_item_state *st)
{
    return st->customs == LEDGER_CUSTOMS_HELD;
}

#endif
