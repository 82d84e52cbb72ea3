/* The ledger rules as one table (docs/rules.md): who may add which event to
 * an item in which state, where and when, how an accepted event changes the
 * state, and the ItemState record storage keeps.
 *
 * Where DESIGN.md's table is silent these rules choose the strict reading: a
 * sealed item must be unsealed before a new seal; hold/release/unseal need
 * the state they undo; while in transfer the custodian may not move, hand
 * over or deliver; after delivery customs may still inspect, hold, release,
 * clear, seal and unseal, nothing else; to_org is only set on a handover.
 * Locations compare as written: an item loaded at NLRTM departs from NLRTM.
 *
 * Devices (docs/devices.md): a device report (seal_status, position,
 * reading) is evidence, never a gate on what it reports: it is taken in any
 * status of the item, from any member's gateway, once it is a registered,
 * active device's, attached to the item, correctly signed and newer than
 * its last report on the item. A device key signs nothing else. */
#include "ledger/rules.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/hex.h"
#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "ledger/device.h"
#include "ledger/gov.h"
#include "ledger/plan.h"
#include "proto/waybill.pb-c.h"

/* Bytes of an id or key shown in reasons: enough for a person to match it
 * against a listing, short enough to read. */
#define RULES_SHORT_BYTES 4
#define RULES_SHORT_HEX (2 * RULES_SHORT_BYTES + 1)
/* "12 days 3 h 4 min 5.678 s" and a NUL. */
#define RULES_DURATION_MAX 64

struct ledger_rule_ctx {
    const struct ledger_item_state *st;
    const struct ledger_event *ev;
    const struct ledger_genesis *g;
    const struct ledger_org *org;   /* the submitter's; NULL only before submitter_member */
    const char *act;                /* the action's name; "?" only before action_known */
    const struct ledger_gov *gov;   /* the device registry; NULL: none (no device known) */
    /* Device reports: the decoded report, or NULL when it did not decode
     * (report_msg says why). */
    const struct ledger_device_report *report;
    const char *report_msg;
    /* The device the event names (a report's, or attribute device= of
     * attach and detach): its key, and its registration or NULL. */
    bool has_device;
    uint8_t device[WB_PUBKEY_LEN];
    const struct ledger_gov_device *dev;
    int64_t ref_ms;
    char *reason;
    size_t reason_len;
};

static int refuse(const struct ledger_rule_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int refuse(const struct ledger_rule_ctx *c, const char *fmt, ...)
{
    if (c->reason && c->reason_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->reason, c->reason_len, fmt, ap);
        va_end(ap);
    }
    return WB_ERR_RULE;
}

static const char *short_hex(const uint8_t *b, char out[RULES_SHORT_HEX])
{
    return wb_hex_encode(b, RULES_SHORT_BYTES, out, RULES_SHORT_HEX);
}

/* A non-negative span of milliseconds for a person: "30 days", "10 min",
 * "2 h 5 min", "1.5 s". */
static const char *duration(uint64_t ms, char out[RULES_DURATION_MAX])
{
    uint64_t d = ms / 86400000, h = ms / 3600000 % 24, m = ms / 60000 % 60,
             s = ms / 1000 % 60, f = ms % 1000;
    size_t n = 0;
    out[0] = '\0';
#define PUT(...) n += (size_t)snprintf(out + n, RULES_DURATION_MAX - n, __VA_ARGS__)
    if (d) PUT("%llu day%s", (unsigned long long)d, d == 1 ? "" : "s");
    if (h) PUT("%s%llu h", n ? " " : "", (unsigned long long)h);
    if (m) PUT("%s%llu min", n ? " " : "", (unsigned long long)m);
    if (s || f || !n) {
        if (f) PUT("%s%llu.%03llu s", n ? " " : "", (unsigned long long)s, (unsigned long long)f);
        else PUT("%s%llu s", n ? " " : "", (unsigned long long)s);
    }
#undef PUT
    return out;
}

static bool is_movement(enum ledger_action a)
{
    return a == LEDGER_LOAD || a == LEDGER_DEPART || a == LEDGER_ARRIVE || a == LEDGER_UNLOAD;
}

static bool needs_location(enum ledger_action a)
{
    return a == LEDGER_COMMISSION || is_movement(a);
}

/* Actions only the custodian may take. */
static bool custodian_only(enum ledger_action a)
{
    return is_movement(a) || a == LEDGER_HANDOVER || a == LEDGER_DELIVER;
}

/* Actions only customs may take. */
static bool customs_only(enum ledger_action a)
{
    return a == LEDGER_INSPECT || a == LEDGER_HOLD || a == LEDGER_RELEASE || a == LEDGER_CLEAR;
}

static bool is_device_link(enum ledger_action a)
{
    return a == LEDGER_DEVICE_ATTACH || a == LEDGER_DEVICE_DETACH;
}

/* What customs may still do once an item was delivered: control actions
 * only, never custody or movement. */
static bool allowed_after_delivery(enum ledger_action a)
{
    return customs_only(a) || a == LEDGER_SEAL || a == LEDGER_UNSEAL;
}

static bool known(const struct ledger_item_state *st) { return st->status != LEDGER_ITEM_UNKNOWN; }

/* The governance chain (ledger/gov.h): an item of its own whose events are
 * the governance actions. */
static bool gov_chain(const struct ledger_event *ev)
{
    return strcmp(ev->item, WB_GOV_CHAIN) == 0;
}

static bool is(const struct ledger_rule_ctx *c, enum ledger_action a) { return c->ev->action == a; }

/* Where the item is, for reasons: "NLRTM" or "an unrecorded place". */
static const char *where(const struct ledger_item_state *st)
{
    return st->location[0] ? st->location : "an unrecorded place";
}

/* ---- the event and its link ---------------------------------------------- */

static int action_known(const struct ledger_rule_ctx *c)
{
    if (ledger_action_name(c->ev->action) && c->ev->action != LEDGER_ACTION_NONE) return WB_OK;
    return refuse(c,
                  "unknown action %d; use commission, seal, unseal, load, depart, arrive, "
                  "unload, handover, receive, inspect, hold, release, clear, deliver, "
                  "device_attach, device_detach, seal_status, position, reading or plan_set "
                  "(on the governance chain: key_add, key_revoke, gov_propose, gov_approve, "
                  "device_register or device_retire)",
                  (int)c->ev->action);
}

static const char *device_kind_str(const struct ledger_gov_device *d)
{
    const char *k = ledger_device_kind_name(d->kind);
    return k ? k : "?";
}

static int device_key_reports_only(const struct ledger_rule_ctx *c)
{
    char h[RULES_SHORT_HEX];
    const struct ledger_gov_device *d =
        c->gov ? ledger_gov_device_find(c->gov, c->ev->submitter) : NULL;
    if (!d) return WB_OK;
    return refuse(c,
                  "%s: key %s... is the key of device %s (%s, registered by '%s'); a device "
                  "key signs only its own reports, which a member's gateway submits in a "
                  "seal_status, position or reading event",
                  c->act, short_hex(c->ev->submitter, h), d->serial, device_kind_str(d),
                  d->owner);
}

static int submitter_member(const struct ledger_rule_ctx *c)
{
    char h[RULES_SHORT_HEX];
    if (c->org) return WB_OK;
    return refuse(c,
                  "%s: submitter key %s... is not a member key of this chain; sign with a "
                  "client key listed in genesis",
                  c->act, short_hex(c->ev->submitter, h));
}

static int item_matches(const struct ledger_rule_ctx *c)
{
    if (!known(c->st) || strcmp(c->st->item, c->ev->item) == 0) return WB_OK;
    return refuse(c, "%s: the event is for item %s but the state given is of item %s", c->act,
                  c->ev->item, c->st->item);
}

static int gov_chain_only(const struct ledger_rule_ctx *c)
{
    bool gov_act = ledger_action_is_gov(c->ev->action);
    if (gov_act == gov_chain(c->ev)) return WB_OK;
    if (gov_act)
        return refuse(c, "%s: a governance action is only for the governance chain, item "
                         WB_GOV_CHAIN ", not item %s",
                      c->act, c->ev->item);
    return refuse(c, "%s: item " WB_GOV_CHAIN " is the governance chain, reserved for "
                     "key_add, key_revoke, gov_propose, gov_approve, device_register and "
                     "device_retire; choose another item id",
                  c->act);
}

static int gov_first_no_prev(const struct ledger_rule_ctx *c)
{
    char h[RULES_SHORT_HEX];
    if (!gov_chain(c->ev) || known(c->st) || !c->ev->has_prev) return WB_OK;
    return refuse(c,
                  "%s: the first event of the governance chain must have no prev, but prev "
                  "is %s...",
                  c->act, short_hex(c->ev->prev, h));
}

static int gov_no_location(const struct ledger_rule_ctx *c)
{
    if (!gov_chain(c->ev) || !c->ev->location[0]) return WB_OK;
    return refuse(c, "%s: governance events have no location, but it is set to '%s'", c->act,
                  c->ev->location);
}

static int first_is_commission(const struct ledger_rule_ctx *c)
{
    if (known(c->st) || is(c, LEDGER_COMMISSION) || gov_chain(c->ev)) return WB_OK;
    return refuse(c,
                  "%s: item %s has not been commissioned; its first event must be commission",
                  c->act, c->ev->item);
}

static int commission_no_prev(const struct ledger_rule_ctx *c)
{
    char h[RULES_SHORT_HEX];
    if (known(c->st) || !c->ev->has_prev || gov_chain(c->ev)) return WB_OK;
    return refuse(c,
                  "commission: the first event of item %s must have no prev, but prev is %s...",
                  c->ev->item, short_hex(c->ev->prev, h));
}

static int commission_once(const struct ledger_rule_ctx *c)
{
    if (!known(c->st) || !is(c, LEDGER_COMMISSION)) return WB_OK;
    return refuse(c, "commission: item %s was already commissioned; an item is commissioned "
                     "once", c->ev->item);
}

static int prev_present(const struct ledger_rule_ctx *c)
{
    char h[RULES_SHORT_HEX];
    if (!known(c->st) || c->ev->has_prev) return WB_OK;
    return refuse(c,
                  "%s: prev is missing; it must be the item's head %s... (item %s has %u "
                  "events)",
                  c->act, short_hex(c->st->head, h), c->ev->item, (unsigned)c->st->count);
}

static int prev_is_head(const struct ledger_rule_ctx *c)
{
    char h1[RULES_SHORT_HEX], h2[RULES_SHORT_HEX];
    if (!known(c->st) || memcmp(c->ev->prev, c->st->head, WB_HASH_LEN) == 0) return WB_OK;
    return refuse(c,
                  "%s: prev does not match the item's head %s... (event prev is %s...); "
                  "fetch the item's head and sign again",
                  c->act, short_hex(c->st->head, h1), short_hex(c->ev->prev, h2));
}

static int location_required(const struct ledger_rule_ctx *c)
{
    if (!needs_location(c->ev->action) || c->ev->location[0]) return WB_OK;
    return refuse(c, "%s: a location is required (UN/LOCODE such as NLRTM, or a GLN)", c->act);
}

/* ---- time ------------------------------------------------------------------ */

static int time_future(const struct ledger_rule_ctx *c)
{
    int64_t t = c->ev->time_ms, ref = c->ref_ms;
    uint64_t skew = c->g->clock_skew_ms > 0 ? (uint64_t)c->g->clock_skew_ms : 0;
    if (t <= ref || (uint64_t)t - (uint64_t)ref <= skew) return WB_OK;
    char a[LEDGER_TIME_MAX], b[LEDGER_TIME_MAX], d1[RULES_DURATION_MAX], d2[RULES_DURATION_MAX];
    return refuse(c,
                  "%s: event time %s is %s after the ledger's time %s (the block's time, or "
                  "the receiving node's clock); at most %s is allowed (genesis clock_skew_ms): "
                  "correct the clock that set the event time",
                  c->act, ledger_time_format(t, a), duration((uint64_t)t - (uint64_t)ref, d1),
                  ledger_time_format(ref, b), duration(skew, d2));
}

static int time_backdated(const struct ledger_rule_ctx *c)
{
    int64_t t = c->ev->time_ms, ref = c->ref_ms;
    uint64_t max = c->g->backdate_max_ms > 0 ? (uint64_t)c->g->backdate_max_ms : 0;
    if (t >= ref || (uint64_t)ref - (uint64_t)t <= max) return WB_OK;
    char a[LEDGER_TIME_MAX], b[LEDGER_TIME_MAX], d1[RULES_DURATION_MAX], d2[RULES_DURATION_MAX];
    return refuse(c,
                  "%s: event time %s is %s before the ledger's time %s; events may be "
                  "reported at most %s late (genesis backdate_max_ms): check the event time",
                  c->act, ledger_time_format(t, a), duration((uint64_t)ref - (uint64_t)t, d1),
                  ledger_time_format(ref, b), duration(max, d2));
}

static int time_before_commission(const struct ledger_rule_ctx *c)
{
    if (!known(c->st) || is(c, LEDGER_COMMISSION) ||
        c->ev->time_ms >= c->st->commission_time_ms)
        return WB_OK;
    char a[LEDGER_TIME_MAX], b[LEDGER_TIME_MAX];
    return refuse(c,
                  "%s: event time %s is before item %s was commissioned (%s); check the event "
                  "time",
                  c->act, ledger_time_format(c->ev->time_ms, a), c->ev->item,
                  ledger_time_format(c->st->commission_time_ms, b));
}

/* ---- devices ------------------------------------------------------------- */

static int device_report_only(const struct ledger_rule_ctx *c)
{
    bool carries = c->ev->device_report_len > 0;
    bool report = ledger_action_is_report(c->ev->action);
    if (!report && carries)
        return refuse(c, "%s: only seal_status, position and reading events carry a device "
                         "report",
                      c->act);
    if (!report) return WB_OK;
    if (!carries)
        return refuse(c, "%s: the event carries no device report; it wraps the report the "
                         "device signed (waybill device submit)",
                      c->act);
    if (c->ev->location[0] || c->ev->attr_count)
        return refuse(c, "%s: a device report event has no location or attributes of its own; "
                         "what the device observed is in its report",
                      c->act);
    return WB_OK;
}

static int device_report_decodes(const struct ledger_rule_ctx *c)
{
    if (!ledger_action_is_report(c->ev->action)) return WB_OK;
    const struct ledger_device_report *r = c->report;
    if (!r) return refuse(c, "%s: %s", c->act, c->report_msg);
    if (strcmp(r->item, c->ev->item) != 0)
        return refuse(c, "%s: the device report is about item %s, but the event is for item %s",
                      c->act, r->item, c->ev->item);
    if (r->kind != c->ev->action)
        return refuse(c, "%s: the device report holds %s observations; carry it in a %s event",
                      c->act, ledger_action_name(r->kind), ledger_action_name(r->kind));
    return WB_OK;
}

static int device_attr(const struct ledger_rule_ctx *c)
{
    if (!is_device_link(c->ev->action)) return WB_OK;
    if (!c->has_device)
        return refuse(c, "%s: attribute device must be the device's public key (64 lowercase "
                         "hex digits)",
                      c->act);
    for (size_t i = 0; i < c->ev->attr_count; i++)
        if (strcmp(c->ev->attrs[i].key, "device") != 0)
            return refuse(c, "%s: attribute '%s' is not one %s takes (device=KEY only)",
                          c->act, c->ev->attrs[i].key, c->act);
    return WB_OK;
}

static int device_registered(const struct ledger_rule_ctx *c)
{
    char h[RULES_SHORT_HEX];
    if ((!ledger_action_is_report(c->ev->action) && !is(c, LEDGER_DEVICE_ATTACH)) || c->dev)
        return WB_OK;
    return refuse(c, "%s: device key %s... is not registered on this chain; its owner "
                     "registers it first (waybill device register)",
                  c->act, short_hex(c->device, h));
}

static int device_active(const struct ledger_rule_ctx *c)
{
    char t[LEDGER_TIME_MAX];
    if ((!ledger_action_is_report(c->ev->action) && !is(c, LEDGER_DEVICE_ATTACH)) ||
        !c->dev->retired)
        return WB_OK;
    return refuse(c, "%s: device %s (%s of '%s') was retired at height %llu (%s); a retired "
                     "device reports nothing and is attached to nothing",
                  c->act, c->dev->serial, device_kind_str(c->dev), c->dev->owner,
                  (unsigned long long)c->dev->retired_height,
                  ledger_time_format(c->dev->retired_time_ms, t));
}

static int device_signature(const struct ledger_rule_ctx *c)
{
    if (!ledger_action_is_report(c->ev->action)) return WB_OK;
    int rc = ledger_device_report_verify(c->g->chain_id, c->ev->device_report,
                                         c->ev->device_report_len, c->dev->pk, c->ev->device_sig);
    if (rc == WB_OK) return WB_OK;
    return refuse(c, "%s: the device report's signature does not verify for device %s on this "
                     "chain",
                  c->act, c->dev->serial);
}

static int device_link_by_custodian(const struct ledger_rule_ctx *c)
{
    if (!is_device_link(c->ev->action) || strcmp(c->org->name, c->st->custodian) == 0)
        return WB_OK;
    return refuse(c, "%s: '%s' is not the custodian of item %s; only the custodian '%s' "
                     "attaches or detaches a device",
                  c->act, c->org->name, c->ev->item, c->st->custodian);
}

/* The item's attachment of the named device, or NULL. */
static const struct ledger_attached_device *attachment(const struct ledger_rule_ctx *c)
{
    if (!c->has_device) return NULL;
    for (size_t i = 0; i < c->st->device_count; i++)
        if (memcmp(c->st->devices[i].device, c->device, WB_PUBKEY_LEN) == 0)
            return &c->st->devices[i];
    return NULL;
}

static int attach_once(const struct ledger_rule_ctx *c)
{
    if (!is(c, LEDGER_DEVICE_ATTACH) || !attachment(c)) return WB_OK;
    return refuse(c, "device_attach: device %s is already attached to item %s", c->dev->serial,
                  c->ev->item);
}

static int attach_room(const struct ledger_rule_ctx *c)
{
    if (!is(c, LEDGER_DEVICE_ATTACH) || c->st->device_count < WB_ITEM_DEVICES_MAX)
        return WB_OK;
    return refuse(c, "device_attach: item %s has %d devices attached, the most at once; detach "
                     "one first",
                  c->ev->item, WB_ITEM_DEVICES_MAX);
}

static int detach_attached(const struct ledger_rule_ctx *c)
{
    char h[RULES_SHORT_HEX];
    if (!is(c, LEDGER_DEVICE_DETACH) || attachment(c)) return WB_OK;
    return refuse(c, "device_detach: device %s... is not attached to item %s", 
                  short_hex(c->device, h), c->ev->item);
}

static int device_attached(const struct ledger_rule_ctx *c)
{
    if (!ledger_action_is_report(c->ev->action) || attachment(c)) return WB_OK;
    return refuse(c, "%s: device %s (%s of '%s') is not attached to item %s; the custodian "
                     "attaches it first (waybill device attach)",
                  c->act, c->dev->serial, device_kind_str(c->dev), c->dev->owner, c->ev->item);
}

static int device_kind_allows(const struct ledger_rule_ctx *c)
{
    if (!ledger_action_is_report(c->ev->action)) return WB_OK;
    const struct ledger_device_report *r = c->report;
    for (size_t i = 0; i < r->obs_count; i++) {
        enum ledger_measure m = r->obs[i].measure;
        if (ledger_device_kind_allows(c->dev->kind, r->kind, m)) continue;
        if (r->kind == LEDGER_READING)
            return refuse(c, "%s: device %s is a %s device, which does not measure %s "
                             "(observation %zu)",
                          c->act, c->dev->serial, device_kind_str(c->dev),
                          ledger_measure_name(m) ? ledger_measure_name(m) : "?", i + 1);
        return refuse(c, "%s: device %s is a %s device, which does not report %s", c->act,
                      c->dev->serial, device_kind_str(c->dev), c->act);
    }
    return WB_OK;
}

static int device_seq_fresh(const struct ledger_rule_ctx *c)
{
    if (!ledger_action_is_report(c->ev->action)) return WB_OK;
    const struct ledger_attached_device *a = attachment(c);
    if (c->report->seq > a->last_seq) return WB_OK;
    return refuse(c, "%s: device %s's report %llu on item %s is not newer than its last one "
                     "(%llu); a device report is taken once",
                  c->act, c->dev->serial, (unsigned long long)c->report->seq, c->ev->item,
                  (unsigned long long)a->last_seq);
}

static int device_obs_in_window(const struct ledger_rule_ctx *c)
{
    if (!ledger_action_is_report(c->ev->action)) return WB_OK;
    const struct ledger_attached_device *a = attachment(c);
    const struct ledger_device_report *r = c->report;
    uint64_t skew = c->g->clock_skew_ms > 0 ? (uint64_t)c->g->clock_skew_ms : 0;
    char t1[LEDGER_TIME_MAX], t2[LEDGER_TIME_MAX];
    for (size_t i = 0; i < r->obs_count; i++) {
        int64_t t = r->obs[i].time_ms;
        if (t < a->attached_time_ms)
            return refuse(c, "%s: observation %zu at %s is before device %s was attached to "
                             "item %s (%s)",
                          c->act, i + 1, ledger_time_format(t, t1), c->dev->serial, c->ev->item,
                          ledger_time_format(a->attached_time_ms, t2));
        if (t > c->ev->time_ms && (uint64_t)t - (uint64_t)c->ev->time_ms > skew)
            return refuse(c, "%s: observation %zu at %s is after the event time %s (plus "
                             "clock_skew_ms); a gateway carries what a device observed before",
                          c->act, i + 1, ledger_time_format(t, t1),
                          ledger_time_format(c->ev->time_ms, t2));
    }
    return WB_OK;
}

static int plan_by_shipper_or_custodian(const struct ledger_rule_ctx *c)
{
    if (!is(c, LEDGER_PLAN_SET) || strcmp(c->org->name, c->st->shipper) == 0 ||
        strcmp(c->org->name, c->st->custodian) == 0)
        return WB_OK;
    return refuse(c, "plan_set: '%s' is neither the shipper of item %s ('%s') nor its "
                     "custodian ('%s'); one of them records the plan",
                  c->org->name, c->ev->item, c->st->shipper, c->st->custodian);
}

static int plan_valid(const struct ledger_rule_ctx *c)
{
    if (!is(c, LEDGER_PLAN_SET)) return WB_OK;
    struct ledger_plan p;
    char msg[200];
    if (ledger_plan_decode(c->ev, &p, msg, sizeof msg) == WB_OK) return WB_OK;
    return refuse(c, "%s", msg);
}

/* ---- who may act --------------------------------------------------------- */

static const char *role_of(const struct ledger_org *org)
{
    const char *role = ledger_role_name(org->role);
    return role ? role : "none";
}

static int commission_by_shipper(const struct ledger_rule_ctx *c)
{
    if (!is(c, LEDGER_COMMISSION) || c->org->role == LEDGER_ROLE_SHIPPER) return WB_OK;
    return refuse(c, "commission: only a shipper may commission an item; '%s' has role %s",
                  c->org->name, role_of(c->org));
}

static int custodian_acts(const struct ledger_rule_ctx *c)
{
    if (!custodian_only(c->ev->action) || strcmp(c->org->name, c->st->custodian) == 0)
        return WB_OK;
    return refuse(c,
                  "%s: '%s' is not the custodian of item %s; only the custodian '%s' may %s it",
                  c->act, c->org->name, c->ev->item, c->st->custodian, c->act);
}

static int seal_by_custodian_or_customs(const struct ledger_rule_ctx *c)
{
    if ((!is(c, LEDGER_SEAL) && !is(c, LEDGER_UNSEAL)) ||
        strcmp(c->org->name, c->st->custodian) == 0 || c->org->role == LEDGER_ROLE_CUSTOMS)
        return WB_OK;
    return refuse(c, "%s: '%s' is neither the custodian of item %s ('%s') nor customs", c->act,
                  c->org->name, c->ev->item, c->st->custodian);
}

static int customs_acts(const struct ledger_rule_ctx *c)
{
    if (!customs_only(c->ev->action) || c->org->role == LEDGER_ROLE_CUSTOMS) return WB_OK;
    return refuse(c, "%s: only customs may %s; '%s' has role %s", c->act, c->act, c->org->name,
                  role_of(c->org));
}

/* ---- what the item's status allows ------------------------------------------- */

static int delivered_final(const struct ledger_rule_ctx *c)
{
    if (c->st->status != LEDGER_ITEM_DELIVERED ||
        (c->org->role == LEDGER_ROLE_CUSTOMS && allowed_after_delivery(c->ev->action)) ||
        ledger_action_is_report(c->ev->action) || is(c, LEDGER_DEVICE_DETACH))
        return WB_OK;
    return refuse(c,
                  "%s: item %s was delivered; after delivery only customs may add events "
                  "(inspect, hold, release, clear, seal, unseal), devices still report and "
                  "the custodian detaches them",
                  c->act, c->ev->item);
}

static int deliver_not_held(const struct ledger_rule_ctx *c)
{
    if (!is(c, LEDGER_DELIVER) || !ledger_item_held(c->st)) return WB_OK;
    return refuse(c,
                  "deliver: item %s is on hold by customs; customs must release it before it "
                  "is delivered",
                  c->ev->item);
}

static int held_customs_only(const struct ledger_rule_ctx *c)
{
    if (!ledger_item_held(c->st) || c->org->role == LEDGER_ROLE_CUSTOMS ||
        ledger_action_is_report(c->ev->action))
        return WB_OK;
    return refuse(c,
                  "%s: item %s is on hold by customs; only customs may add events until it is "
                  "released",
                  c->act, c->ev->item);
}

static int transfer_pending(const struct ledger_rule_ctx *c)
{
    if (c->st->status != LEDGER_ITEM_IN_TRANSFER || !custodian_only(c->ev->action))
        return WB_OK;
    return refuse(c, "%s: item %s is in transfer to '%s'; '%s' must receive it first", c->act,
                  c->ev->item, c->st->transfer_to, c->st->transfer_to);
}

/* ---- handover and receive ---------------------------------------------------- */

static int to_org_handover_only(const struct ledger_rule_ctx *c)
{
    if (is(c, LEDGER_HANDOVER) || !c->ev->to_org[0]) return WB_OK;
    return refuse(c, "%s: to_org is only for handover, but it is set to '%s'", c->act,
                  c->ev->to_org);
}

static int handover_to_member(const struct ledger_rule_ctx *c)
{
    if (!is(c, LEDGER_HANDOVER)) return WB_OK;
    if (!c->ev->to_org[0])
        return refuse(c, "handover: to_org must name the receiving member organisation");
    if (ledger_genesis_org_by_name(c->g, c->ev->to_org) < 0)
        return refuse(c, "handover: '%s' is not a member organisation", c->ev->to_org);
    return WB_OK;
}

static int handover_to_other(const struct ledger_rule_ctx *c)
{
    if (!is(c, LEDGER_HANDOVER) || strcmp(c->ev->to_org, c->st->custodian) != 0) return WB_OK;
    return refuse(c,
                  "handover: '%s' is already the custodian of item %s; hand over to another "
                  "organisation",
                  c->ev->to_org, c->ev->item);
}

static int receive_pending(const struct ledger_rule_ctx *c)
{
    if (!is(c, LEDGER_RECEIVE) || c->st->status == LEDGER_ITEM_IN_TRANSFER) return WB_OK;
    return refuse(c,
                  "receive: no handover is pending for item %s; its custodian '%s' must hand it "
                  "over first",
                  c->ev->item, c->st->custodian);
}

static int receive_by_named(const struct ledger_rule_ctx *c)
{
    if (!is(c, LEDGER_RECEIVE) || strcmp(c->org->name, c->st->transfer_to) == 0) return WB_OK;
    return refuse(c, "receive: item is being handed to '%s', not '%s'", c->st->transfer_to,
                  c->org->name);
}

/* ---- movement ------------------------------------------------------------------ */

static int not_underway(const struct ledger_rule_ctx *c)
{
    if ((!is(c, LEDGER_HANDOVER) && !is(c, LEDGER_RECEIVE) && !is(c, LEDGER_DELIVER)) ||
        c->st->movement != LEDGER_MOVE_UNDERWAY)
        return WB_OK;
    return refuse(c, "%s: item %s is underway (departed from %s); record its arrival first",
                  c->act, c->ev->item, where(c->st));
}

static int deliver_unloaded(const struct ledger_rule_ctx *c)
{
    if (!is(c, LEDGER_DELIVER) || c->st->movement != LEDGER_MOVE_LOADED) return WB_OK;
    return refuse(c, "deliver: item %s is still loaded (at %s); unload it first", c->ev->item,
                  where(c->st));
}

static int load_at_rest(const struct ledger_rule_ctx *c)
{
    if (!is(c, LEDGER_LOAD) || c->st->movement == LEDGER_MOVE_AT_REST) return WB_OK;
    if (c->st->movement == LEDGER_MOVE_UNDERWAY)
        return refuse(c,
                      "load: item %s is underway (departed from %s); record its arrival and "
                      "unloading first",
                      c->ev->item, where(c->st));
    return refuse(c, "load: item %s is already loaded (at %s); unload it before loading it "
                     "again", c->ev->item, where(c->st));
}

/* Movement ev happens where the item is (when that is recorded). */
static int at_location(const struct ledger_rule_ctx *c, enum ledger_action a, const char *what)
{
    if (!is(c, a) || !c->st->location[0] || strcmp(c->ev->location, c->st->location) == 0)
        return WB_OK;
    return refuse(c, "%s: item %s is at %s, not at %s; %s", c->act, c->ev->item,
                  c->st->location, c->ev->location, what);
}

static int load_location(const struct ledger_rule_ctx *c)
{
    return at_location(c, LEDGER_LOAD, "load it where it is, or first record how it got there");
}

static int depart_loaded(const struct ledger_rule_ctx *c)
{
    if (!is(c, LEDGER_DEPART) || c->st->movement != LEDGER_MOVE_AT_REST) return WB_OK;
    return refuse(c, "depart: item %s is not loaded (at %s); load it onto its conveyance first",
                  c->ev->item, where(c->st));
}

static int depart_at_rest(const struct ledger_rule_ctx *c)
{
    if (!is(c, LEDGER_DEPART) || c->st->movement != LEDGER_MOVE_UNDERWAY) return WB_OK;
    return refuse(c,
                  "depart: item %s is already underway (departed from %s); record its arrival "
                  "first",
                  c->ev->item, where(c->st));
}

static int depart_location(const struct ledger_rule_ctx *c)
{
    return at_location(c, LEDGER_DEPART,
                       "it departs from where it was loaded or last arrived");
}

static int arrive_underway(const struct ledger_rule_ctx *c)
{
    if (!is(c, LEDGER_ARRIVE) || c->st->movement == LEDGER_MOVE_UNDERWAY) return WB_OK;
    if (c->st->movement == LEDGER_MOVE_LOADED)
        return refuse(c,
                      "arrive: item %s is not underway (loaded, at rest at %s); record its "
                      "departure first",
                      c->ev->item, where(c->st));
    return refuse(c,
                  "arrive: item %s is not underway (not loaded, at %s); load it and record its "
                  "departure first",
                  c->ev->item, where(c->st));
}

static int unload_loaded(const struct ledger_rule_ctx *c)
{
    if (!is(c, LEDGER_UNLOAD) || c->st->movement != LEDGER_MOVE_AT_REST) return WB_OK;
    return refuse(c, "unload: item %s is not loaded (at %s); there is nothing to unload",
                  c->ev->item, where(c->st));
}

static int unload_at_rest(const struct ledger_rule_ctx *c)
{
    if (!is(c, LEDGER_UNLOAD) || c->st->movement != LEDGER_MOVE_UNDERWAY) return WB_OK;
    return refuse(c, "unload: item %s is underway (departed from %s); record its arrival first",
                  c->ev->item, where(c->st));
}

static int unload_location(const struct ledger_rule_ctx *c)
{
    return at_location(c, LEDGER_UNLOAD, "unload it where it arrived");
}

/* ---- seals ------------------------------------------------------------------------ */

static int seal_mismatch(const struct ledger_rule_ctx *c)
{
    const char *v = ledger_event_attr(c->ev, "seal");
    if (!is_movement(c->ev->action) || !v || strcmp(v, c->st->seal) == 0) return WB_OK;
    if (!c->st->seal[0])
        return refuse(c,
                      "%s: seal mismatch: the event names seal '%s' but item %s has no active "
                      "seal; record the seal first, or leave the attribute out",
                      c->act, v, c->ev->item);
    return refuse(c,
                  "%s: seal mismatch: the event names seal '%s' but the active seal of item %s "
                  "is '%s'; check the seal (a new seal is recorded with unseal, then seal)",
                  c->act, v, c->ev->item, c->st->seal);
}

static int seal_attr_required(const struct ledger_rule_ctx *c)
{
    const char *v = ledger_event_attr(c->ev, "seal");
    if (!is(c, LEDGER_SEAL) || (v && v[0])) return WB_OK;
    return refuse(c, "seal: attribute 'seal' (the seal id) is required");
}

static int seal_unsealed(const struct ledger_rule_ctx *c)
{
    if (!is(c, LEDGER_SEAL) || !c->st->seal[0]) return WB_OK;
    return refuse(c, "seal: item %s is already sealed with '%s'; unseal it first", c->ev->item,
                  c->st->seal);
}

static int unseal_sealed(const struct ledger_rule_ctx *c)
{
    if (!is(c, LEDGER_UNSEAL) || c->st->seal[0]) return WB_OK;
    return refuse(c, "unseal: item %s is not sealed", c->ev->item);
}

static int unseal_names_seal(const struct ledger_rule_ctx *c)
{
    if (!is(c, LEDGER_UNSEAL)) return WB_OK;
    const char *v = ledger_event_attr(c->ev, "seal");
    if (!v)
        return refuse(c,
                      "unseal: attribute 'seal' must name the seal being removed: item %s is "
                      "sealed with '%s'",
                      c->ev->item, c->st->seal);
    if (strcmp(v, c->st->seal) != 0)
        return refuse(c,
                      "unseal: seal mismatch: the event names seal '%s' but the active seal of "
                      "item %s is '%s'",
                      v, c->ev->item, c->st->seal);
    return WB_OK;
}

/* ---- customs ------------------------------------------------------------------------ */

static int inspect_result(const struct ledger_rule_ctx *c)
{
    if (!is(c, LEDGER_INSPECT)) return WB_OK;
    const char *v = ledger_event_attr(c->ev, "result");
    if (!v) return refuse(c, "inspect: attribute 'result' is required (ok or discrepancy)");
    if (strcmp(v, "ok") != 0 && strcmp(v, "discrepancy") != 0)
        return refuse(c, "inspect: attribute 'result' must be ok or discrepancy, not '%s'", v);
    return WB_OK;
}

static int hold_not_held(const struct ledger_rule_ctx *c)
{
    if (!is(c, LEDGER_HOLD) || !ledger_item_held(c->st)) return WB_OK;
    return refuse(c, "hold: item %s is already on hold", c->ev->item);
}

static int release_held(const struct ledger_rule_ctx *c)
{
    if (!is(c, LEDGER_RELEASE) || ledger_item_held(c->st)) return WB_OK;
    return refuse(c, "release: item %s is not on hold", c->ev->item);
}

static int clear_not_held(const struct ledger_rule_ctx *c)
{
    if (!is(c, LEDGER_CLEAR) || !ledger_item_held(c->st)) return WB_OK;
    return refuse(c, "clear: item %s is on hold; release the hold before clearing it",
                  c->ev->item);
}

static int clear_declaration(const struct ledger_rule_ctx *c)
{
    const char *v = ledger_event_attr(c->ev, "declaration");
    if (!is(c, LEDGER_CLEAR) || (v && v[0])) return WB_OK;
    return refuse(c, "clear: attribute 'declaration' (the declaration reference) is required");
}

/* ---- the table -------------------------------------------------------------------- */

#define RULE(fn, why) {#fn, why, fn}

/* In check order: the event's identity and link first, then time, who may
 * act, what the status allows, and the action's own preconditions. The
 * first rules guarantee what later ones rely on (a known action, a member
 * submitter). */
static const struct ledger_rule rules[] = {
    RULE(action_known, "the action is one the ledger knows"),
    RULE(device_key_reports_only, "a device key signs only its own reports, never an event; "
                                  "a member's gateway submits them"),
    RULE(submitter_member, "the submitter key is a member's client key in genesis; sign with "
                           "one"),
    RULE(item_matches, "the state checked against is the event's own item's"),
    RULE(gov_chain_only, "governance actions are on the governance chain " WB_GOV_CHAIN
                         " only, and only governance actions are there"),
    RULE(gov_first_no_prev, "the governance chain's first event has no prev"),
    RULE(gov_no_location, "governance events have no location"),
    RULE(first_is_commission, "an item's first event is its commission; commission it first"),
    RULE(commission_no_prev, "a commission has no prev"),
    RULE(commission_once, "an item is commissioned once"),
    RULE(prev_present, "every event after the commission names the item's head as prev"),
    RULE(prev_is_head, "prev is the item's current head; fetch the head and sign again"),
    RULE(location_required, "commission, load, depart, arrive and unload name a location"),
    RULE(time_future, "the event time is at most clock_skew_ms (default 10 min) after the "
                      "block's time, or the node's clock on admission; correct the clock"),
    RULE(time_backdated, "the event time is at most backdate_max_ms (default 30 days) before "
                         "the block's time, or the node's clock on admission"),
    RULE(time_before_commission, "no event of an item is dated before its commission"),
    RULE(device_report_only, "seal_status, position and reading events, and only they, carry "
                             "a device report, with no location or attributes of their own"),
    RULE(device_report_decodes, "the device report is well formed and about this item and "
                                "action"),
    RULE(device_attr, "device_attach and device_detach name the device (attribute device)"),
    RULE(device_registered, "a device is registered before it reports or is attached"),
    RULE(device_active, "a retired device reports nothing and is attached to nothing"),
    RULE(device_signature, "the device's signature over its report verifies"),
    RULE(device_link_by_custodian, "only the custodian attaches or detaches a device"),
    RULE(attach_once, "a device is attached to an item once at a time"),
    RULE(attach_room, "at most 8 devices are attached to an item at once"),
    RULE(detach_attached, "detach names a device attached to the item"),
    RULE(device_attached, "a device reports only on an item it is attached to"),
    RULE(device_kind_allows, "a device reports only what its kind observes"),
    RULE(device_seq_fresh, "each device report on an item is newer (seq) than the last; a "
                           "report is taken once"),
    RULE(device_obs_in_window, "observations are dated from the attachment to the event time"),
    RULE(plan_by_shipper_or_custodian, "the shipper or the custodian records the route plan"),
    RULE(plan_valid, "a route plan is well formed (docs/devices.md, Route plans)"),
    RULE(commission_by_shipper, "only a shipper commissions an item"),
    RULE(custodian_acts, "only the custodian loads, departs, arrives, unloads, hands over or "
                         "delivers"),
    RULE(seal_by_custodian_or_customs, "only the custodian or customs seals or unseals"),
    RULE(customs_acts, "only customs inspects, holds, releases or clears"),
    RULE(delivered_final, "after delivery only customs adds events (inspect, hold, release, "
                          "clear, seal, unseal)"),
    RULE(deliver_not_held, "an item on hold is not delivered; customs releases it first"),
    RULE(held_customs_only, "while customs holds an item only customs adds events; customs "
                            "releases it first"),
    RULE(transfer_pending, "while a handover is pending the custodian neither moves, hands "
                           "over nor delivers; the receiver receives it first"),
    RULE(to_org_handover_only, "only a handover names a receiving organisation"),
    RULE(handover_to_member, "a handover names a member organisation as receiver"),
    RULE(handover_to_other, "a handover names an organisation other than the custodian"),
    RULE(receive_pending, "receive follows a handover; the custodian hands the item over "
                          "first"),
    RULE(receive_by_named, "only the organisation named in the handover receives"),
    RULE(not_underway, "handover, receive and deliver happen at rest; record the arrival "
                       "first"),
    RULE(deliver_unloaded, "a loaded item is not delivered; unload it first"),
    RULE(load_at_rest, "load needs the item at rest and not loaded; unload it (after its "
                       "arrival) first"),
    RULE(load_location, "load happens at the item's current location"),
    RULE(depart_loaded, "depart needs the item loaded; load it first"),
    RULE(depart_at_rest, "depart needs the item at rest; record its arrival first"),
    RULE(depart_location, "depart happens where the item was loaded or last arrived"),
    RULE(arrive_underway, "arrive needs the item underway; record its departure first"),
    RULE(unload_loaded, "unload needs the item loaded"),
    RULE(unload_at_rest, "unload needs the item at rest; record its arrival first"),
    RULE(unload_location, "unload happens where the item arrived"),
    RULE(seal_mismatch, "a movement's seal attribute, if any, is the active seal"),
    RULE(seal_attr_required, "seal names the seal id (attribute seal)"),
    RULE(seal_unsealed, "an item carries one seal at a time; unseal it first"),
    RULE(unseal_sealed, "unseal needs an active seal"),
    RULE(unseal_names_seal, "unseal names the active seal (attribute seal)"),
    RULE(inspect_result, "inspect says result=ok or result=discrepancy"),
    RULE(hold_not_held, "hold needs an item not on hold"),
    RULE(release_held, "release needs an item on hold"),
    RULE(clear_not_held, "an item on hold is not cleared; release it first"),
    RULE(clear_declaration, "clear names the declaration (attribute declaration)"),
};

#undef RULE

const struct ledger_rule *ledger_rules_table(size_t *count)
{
    *count = sizeof rules / sizeof rules[0];
    return rules;
}

/* Attribute device= of attach and detach: 64 lowercase hex digits. */
static bool device_attr_key(const struct ledger_event *ev, uint8_t out[WB_PUBKEY_LEN])
{
    const char *v = ledger_event_attr(ev, "device");
    if (!v || strlen(v) != 2 * WB_PUBKEY_LEN) return false;
    for (const char *p = v; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return false;
    return wb_hex_decode(v, out, WB_PUBKEY_LEN) == WB_OK;
}

int ledger_rules_check(const struct ledger_item_state *st, const struct ledger_event *ev,
                       const struct ledger_genesis *g, const struct ledger_gov *gov,
                       int64_t ref_time_ms, char *reason, size_t reason_len,
                       const char **rule_out)
{
    const char *act = ledger_action_name(ev->action);
    int org_i = ledger_genesis_org_of_key(g, ev->submitter);
    struct ledger_rule_ctx c = {
        .st = st,
        .ev = ev,
        .g = g,
        .org = org_i >= 0 ? &g->orgs[org_i] : NULL,
        .act = act ? act : "?",
        .gov = gov,
        .ref_ms = ref_time_ms,
        .reason = reason,
        .reason_len = reason_len,
    };
    if (rule_out) *rule_out = NULL;
    /* The report is decoded once here, for every device rule (about 9 KB
     * on the stack: one check at a time per thread). */
    struct ledger_device_report report;
    char report_msg[200] = "";
    if (ledger_action_is_report(ev->action) && ev->device_report_len) {
        if (ledger_device_report_decode(ev->device_report, ev->device_report_len, &report,
                                        report_msg, sizeof report_msg) == WB_OK) {
            c.report = &report;
            c.has_device = true;
            memcpy(c.device, report.device, WB_PUBKEY_LEN);
        }
        c.report_msg = report_msg;
    } else if (is_device_link(ev->action)) {
        c.has_device = device_attr_key(ev, c.device);
    }
    if (c.has_device && gov) c.dev = ledger_gov_device_find(gov, c.device);
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        int rc = rules[i].check(&c);
        if (rc == WB_OK) continue;
        WB_ASSERT(rc == WB_ERR_RULE);
        if (reason && reason_len) {
            size_t n = strlen(reason);
            if (n < reason_len) snprintf(reason + n, reason_len - n, " (rule %s)", rules[i].name);
        }
        if (rule_out) *rule_out = rules[i].name;
        return WB_ERR_RULE;
    }
    return WB_OK;
}

bool ledger_rules_out_of_order(const struct ledger_item_state *st,
                               const struct ledger_event *ev)
{
    return st->count > 0 && ev->time_ms < st->latest_time_ms;
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    WB_ASSERT(n < cap);
    memcpy(dst, src, n + 1);
}

static void apply_device_link(struct ledger_item_state *st, const struct ledger_event *ev)
{
    uint8_t key[WB_PUBKEY_LEN];
    bool ok = device_attr_key(ev, key);
    WB_ASSERT(ok); /* it passed device_attr */
    if (!ok) return;
    if (ev->action == LEDGER_DEVICE_ATTACH) {
        WB_ASSERT(st->device_count < WB_ITEM_DEVICES_MAX);
        if (st->device_count >= WB_ITEM_DEVICES_MAX) return;
        struct ledger_attached_device *a = &st->devices[st->device_count++];
        memset(a, 0, sizeof *a);
        memcpy(a->device, key, WB_PUBKEY_LEN);
        a->attached_time_ms = ev->time_ms;
        return;
    }
    for (size_t i = 0; i < st->device_count; i++)
        if (memcmp(st->devices[i].device, key, WB_PUBKEY_LEN) == 0) {
            memmove(&st->devices[i], &st->devices[i + 1],
                    (st->device_count - i - 1) * sizeof st->devices[0]);
            st->device_count--;
            return;
        }
}

static void apply_report(struct ledger_item_state *st, const struct ledger_event *ev)
{
    struct ledger_device_report r;
    int rc = ledger_device_report_decode(ev->device_report, ev->device_report_len, &r, NULL, 0);
    WB_ASSERT(rc == WB_OK); /* it passed device_report_decodes */
    if (rc) return;
    for (size_t i = 0; i < st->device_count; i++)
        if (memcmp(st->devices[i].device, r.device, WB_PUBKEY_LEN) == 0)
            st->devices[i].last_seq = r.seq;
}

void ledger_rules_apply(struct ledger_item_state *st, const struct ledger_event *ev,
                        const struct ledger_genesis *g, uint64_t height)
{
    int org_i = ledger_genesis_org_of_key(g, ev->submitter);
    WB_ASSERT(org_i >= 0);
    if (org_i < 0) return;
    const struct ledger_org *org = &g->orgs[org_i];

    if (st->count == 0) {
        copy_str(st->item, sizeof st->item, ev->item);
        st->first_height = height;
        st->latest_time_ms = ev->time_ms;
    }
    memcpy(st->head, ev->id, WB_HASH_LEN);
    st->count++;
    st->last_height = height;
    if (ev->time_ms > st->latest_time_ms) st->latest_time_ms = ev->time_ms;
    if (needs_location(ev->action)) copy_str(st->location, sizeof st->location, ev->location);
    if (gov_chain(ev)) {
        /* The governance chain keeps its link and counts; ledger/gov.c
         * keeps what its events mean. */
        st->status = LEDGER_ITEM_ACTIVE;
        st->custodian[0] = '\0';
        return;
    }

    switch (ev->action) {
    case LEDGER_COMMISSION:
        copy_str(st->custodian, sizeof st->custodian, org->name);
        copy_str(st->shipper, sizeof st->shipper, org->name);
        st->device_count = 0;
        st->status = LEDGER_ITEM_ACTIVE;
        st->customs = LEDGER_CUSTOMS_NONE;
        st->transfer_to[0] = '\0';
        st->seal[0] = '\0';
        st->movement = LEDGER_MOVE_AT_REST;
        st->commission_time_ms = ev->time_ms;
        break;
    case LEDGER_SEAL: {
        const char *seal = ledger_event_attr(ev, "seal");
        WB_ASSERT(seal != NULL);
        copy_str(st->seal, sizeof st->seal, seal ? seal : "");
        break;
    }
    case LEDGER_UNSEAL:
        st->seal[0] = '\0';
        break;
    case LEDGER_LOAD:
    case LEDGER_ARRIVE:
        st->movement = LEDGER_MOVE_LOADED;
        break;
    case LEDGER_DEPART:
        st->movement = LEDGER_MOVE_UNDERWAY;
        break;
    case LEDGER_UNLOAD:
        st->movement = LEDGER_MOVE_AT_REST;
        break;
    case LEDGER_HANDOVER:
        copy_str(st->transfer_to, sizeof st->transfer_to, ev->to_org);
        st->status = LEDGER_ITEM_IN_TRANSFER;
        break;
    case LEDGER_RECEIVE:
        copy_str(st->custodian, sizeof st->custodian, org->name);
        st->transfer_to[0] = '\0';
        st->status = LEDGER_ITEM_ACTIVE;
        break;
    case LEDGER_HOLD:
        st->customs = LEDGER_CUSTOMS_HELD;
        break;
    case LEDGER_RELEASE:
        st->customs = LEDGER_CUSTOMS_RELEASED;
        break;
    case LEDGER_CLEAR:
        st->customs = LEDGER_CUSTOMS_CLEARED;
        break;
    case LEDGER_DELIVER:
        st->status = LEDGER_ITEM_DELIVERED;
        break;
    case LEDGER_DEVICE_ATTACH:
    case LEDGER_DEVICE_DETACH:
        apply_device_link(st, ev);
        break;
    case LEDGER_SEAL_STATUS:
    case LEDGER_POSITION:
    case LEDGER_READING:
        apply_report(st, ev);
        break;
    default:
        break;
    }
}

int ledger_item_state_encode(const struct ledger_item_state *st, uint8_t *out, size_t cap,
                             size_t *len)
{
    Waybill__ItemState m = WAYBILL__ITEM_STATE__INIT;
    m.item = (char *)st->item;
    if (st->count > 0) {
        m.head.data = (uint8_t *)st->head;
        m.head.len = WB_HASH_LEN;
    }
    m.custodian = (char *)st->custodian;
    m.status = (Waybill__ItemStatus)st->status;
    m.customs = (Waybill__CustomsStatus)st->customs;
    m.transfer_to = (char *)st->transfer_to;
    m.seal = (char *)st->seal;
    m.location = (char *)st->location;
    m.movement = (Waybill__Movement)st->movement;
    m.commission_time_ms = st->commission_time_ms;
    m.latest_time_ms = st->latest_time_ms;
    m.count = st->count;
    m.first_height = st->first_height;
    m.last_height = st->last_height;
    m.reg_index = st->reg_index;
    m.shipper = (char *)st->shipper;
    Waybill__AttachedDevice devs[WB_ITEM_DEVICES_MAX];
    Waybill__AttachedDevice *dev_ptrs[WB_ITEM_DEVICES_MAX];
    if (st->device_count > WB_ITEM_DEVICES_MAX) return WB_ERR_INVALID;
    for (size_t i = 0; i < st->device_count; i++) {
        waybill__attached_device__init(&devs[i]);
        devs[i].device.data = (uint8_t *)st->devices[i].device;
        devs[i].device.len = WB_PUBKEY_LEN;
        devs[i].attached_time_ms = st->devices[i].attached_time_ms;
        devs[i].last_seq = st->devices[i].last_seq;
        dev_ptrs[i] = &devs[i];
    }
    m.n_devices = st->device_count;
    m.devices = st->device_count ? dev_ptrs : NULL;
    size_t need = waybill__item_state__get_packed_size(&m);
    if (need > cap) return WB_ERR_TOO_LARGE;
    *len = waybill__item_state__pack(&m, out);
    WB_ASSERT(*len == need);
    return WB_OK;
}

static bool fits(const char *s, size_t max) { return strlen(s) <= max; }

int ledger_item_state_decode(const uint8_t *buf, size_t len, struct ledger_item_state *st)
{
    Waybill__ItemState *m = waybill__item_state__unpack(NULL, len, buf);
    if (!m) return WB_ERR_DECODE;
    int rc = WB_ERR_DECODE;
    if (!fits(m->item, WB_ITEM_MAX) || !fits(m->custodian, WB_ORG_MAX) ||
        !fits(m->transfer_to, WB_ORG_MAX) || !fits(m->seal, WB_ATTR_VALUE_MAX) ||
        !fits(m->location, WB_LOCATION_MAX) || !fits(m->shipper, WB_ORG_MAX) ||
        m->n_devices > WB_ITEM_DEVICES_MAX)
        goto free_msg;
    for (size_t i = 0; i < m->n_devices; i++)
        if (m->devices[i]->device.len != WB_PUBKEY_LEN) goto free_msg;
    if (m->head.len != 0 && m->head.len != WB_HASH_LEN) goto free_msg;
    if (m->count > 0 && m->head.len != WB_HASH_LEN) goto free_msg;
    if (m->status < WAYBILL__ITEM_STATUS__ITEM_UNKNOWN ||
        m->status > WAYBILL__ITEM_STATUS__ITEM_DELIVERED)
        goto free_msg;
    if (m->customs < WAYBILL__CUSTOMS_STATUS__CUSTOMS_NONE ||
        m->customs > WAYBILL__CUSTOMS_STATUS__CUSTOMS_CLEARED)
        goto free_msg;
    if (m->movement < WAYBILL__MOVEMENT__MOVE_AT_REST ||
        m->movement > WAYBILL__MOVEMENT__MOVE_UNDERWAY)
        goto free_msg;

    struct ledger_item_state s;
    memset(&s, 0, sizeof s);
    copy_str(s.item, sizeof s.item, m->item);
    if (m->head.len) memcpy(s.head, m->head.data, WB_HASH_LEN);
    copy_str(s.custodian, sizeof s.custodian, m->custodian);
    s.status = (enum ledger_item_status)m->status;
    s.customs = (enum ledger_customs)m->customs;
    copy_str(s.transfer_to, sizeof s.transfer_to, m->transfer_to);
    copy_str(s.seal, sizeof s.seal, m->seal);
    copy_str(s.location, sizeof s.location, m->location);
    s.movement = (enum ledger_movement)m->movement;
    s.commission_time_ms = m->commission_time_ms;
    s.latest_time_ms = m->latest_time_ms;
    s.count = m->count;
    s.first_height = m->first_height;
    s.last_height = m->last_height;
    s.reg_index = m->reg_index;
    copy_str(s.shipper, sizeof s.shipper, m->shipper);
    s.device_count = m->n_devices;
    for (size_t i = 0; i < m->n_devices; i++) {
        memcpy(s.devices[i].device, m->devices[i]->device.data, WB_PUBKEY_LEN);
        s.devices[i].attached_time_ms = m->devices[i]->attached_time_ms;
        s.devices[i].last_seq = m->devices[i]->last_seq;
    }
    *st = s;
    rc = WB_OK;
free_msg:
    waybill__item_state__free_unpacked(m, NULL);
    return rc;
}
