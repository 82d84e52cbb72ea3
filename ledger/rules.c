/* The custody rules of DESIGN.md section 2: who may add which event to an
 * item in which state, how an accepted event changes the state, and the
 * ItemState record storage keeps.
 *
 * Where the table is silent these rules choose the strict reading: a sealed
 * item must be unsealed before a new seal; hold/release/unseal need the
 * state they undo; while in transfer the custodian may not move, hand over
 * or deliver; after delivery customs may still inspect, hold, release,
 * clear, seal and unseal, nothing else; to_org is only set on a handover. */
#include "ledger/rules.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/hex.h"
#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "proto/waybill.pb-c.h"

/* Bytes of an id or key shown in reasons: enough for a person to match it
 * against a listing, short enough to read. */
#define RULES_SHORT_BYTES 4
#define RULES_SHORT_HEX (2 * RULES_SHORT_BYTES + 1)

static int refuse(char *reason, size_t reason_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int refuse(char *reason, size_t reason_len, const char *fmt, ...)
{
    if (reason && reason_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(reason, reason_len, fmt, ap);
        va_end(ap);
    }
    return WB_ERR_RULE;
}

static const char *short_hex(const uint8_t *b, char out[RULES_SHORT_HEX])
{
    return wb_hex_encode(b, RULES_SHORT_BYTES, out, RULES_SHORT_HEX);
}

static bool needs_location(enum ledger_action a)
{
    return a == LEDGER_COMMISSION || a == LEDGER_LOAD || a == LEDGER_DEPART ||
           a == LEDGER_ARRIVE || a == LEDGER_UNLOAD;
}

static bool is_movement(enum ledger_action a)
{
    return a == LEDGER_LOAD || a == LEDGER_DEPART || a == LEDGER_ARRIVE || a == LEDGER_UNLOAD;
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

/* What customs may still do once an item was delivered: control actions
 * only, never custody or movement. */
static bool allowed_after_delivery(enum ledger_action a)
{
    return customs_only(a) || a == LEDGER_SEAL || a == LEDGER_UNSEAL;
}

static int check_first_and_prev(const struct ledger_item_state *st,
                                 const struct ledger_event *ev, const char *act,
                                 char *reason, size_t reason_len)
{
    char h1[RULES_SHORT_HEX], h2[RULES_SHORT_HEX];
    if (st->status == LEDGER_ITEM_UNKNOWN) {
        if (ev->action != LEDGER_COMMISSION)
            return refuse(reason, reason_len,
                          "%s: item %s has not been commissioned; its first event must be "
                          "commission",
                          act, ev->item);
        if (ev->has_prev)
            return refuse(reason, reason_len,
                          "commission: the first event of item %s must have no prev, but prev "
                          "is %s...",
                          ev->item, short_hex(ev->prev, h1));
        return WB_OK;
    }
    if (ev->action == LEDGER_COMMISSION)
        return refuse(reason, reason_len, "commission: item %s was already commissioned",
                      ev->item);
    if (!ev->has_prev)
        return refuse(reason, reason_len,
                      "%s: prev is missing; it must be the item's head %s... (item %s has %u "
                      "events)",
                      act, short_hex(st->head, h1), ev->item, (unsigned)st->count);
    if (memcmp(ev->prev, st->head, WB_HASH_LEN) != 0)
        return refuse(reason, reason_len,
                      "%s: prev does not match the item's head %s... (event prev is %s...); "
                      "fetch the item's head and sign again",
                      act, short_hex(st->head, h1), short_hex(ev->prev, h2));
    return WB_OK;
}

/* The submitter's role or custody permits the action (receive is decided
 * by the pending handover, checked later). */
static int check_permission(const struct ledger_item_state *st, const struct ledger_event *ev,
                            const struct ledger_org *org, const char *act, char *reason,
                            size_t reason_len)
{
    const char *role = ledger_role_name(org->role);
    if (!role) role = "none";
    if (ev->action == LEDGER_COMMISSION) {
        if (org->role != LEDGER_ROLE_SHIPPER)
            return refuse(reason, reason_len,
                          "commission: only a shipper may commission an item; '%s' has role %s",
                          org->name, role);
        return WB_OK;
    }
    if (custodian_only(ev->action)) {
        if (strcmp(org->name, st->custodian) != 0)
            return refuse(reason, reason_len,
                          "%s: '%s' is not the custodian of item %s; only the custodian '%s' "
                          "may %s it",
                          act, org->name, ev->item, st->custodian, act);
        return WB_OK;
    }
    if (ev->action == LEDGER_SEAL || ev->action == LEDGER_UNSEAL) {
        if (strcmp(org->name, st->custodian) != 0 && org->role != LEDGER_ROLE_CUSTOMS)
            return refuse(reason, reason_len,
                          "%s: '%s' is neither the custodian of item %s ('%s') nor customs",
                          act, org->name, ev->item, st->custodian);
        return WB_OK;
    }
    if (customs_only(ev->action)) {
        if (org->role != LEDGER_ROLE_CUSTOMS)
            return refuse(reason, reason_len, "%s: only customs may %s; '%s' has role %s", act,
                          act, org->name, role);
        return WB_OK;
    }
    return WB_OK;
}

/* Hold, delivery and a pending transfer restrict what may follow. */
static int check_restrictions(const struct ledger_item_state *st,
                              const struct ledger_event *ev, const struct ledger_org *org,
                              const char *act, char *reason, size_t reason_len)
{
    bool customs = org->role == LEDGER_ROLE_CUSTOMS;
    if (st->status == LEDGER_ITEM_DELIVERED &&
        (!customs || !allowed_after_delivery(ev->action)))
        return refuse(reason, reason_len,
                      "%s: item %s was delivered; after delivery only customs may add events "
                      "(inspect, hold, release, clear, seal, unseal)",
                      act, ev->item);
    if (st->held && !customs)
        return refuse(reason, reason_len,
                      "%s: item %s is on hold by customs; only customs may add events until "
                      "it is released",
                      act, ev->item);
    if (st->status == LEDGER_ITEM_IN_TRANSFER && custodian_only(ev->action))
        return refuse(reason, reason_len,
                      "%s: item %s is in transfer to '%s'; '%s' must receive it first", act,
                      ev->item, st->transfer_to, st->transfer_to);
    return WB_OK;
}

static int check_handover(const struct ledger_item_state *st, const struct ledger_event *ev,
                          const struct ledger_genesis *g, const char *act, char *reason,
                          size_t reason_len)
{
    if (ev->action != LEDGER_HANDOVER) {
        if (ev->to_org[0])
            return refuse(reason, reason_len,
                          "%s: to_org is only for handover, but it is set to '%s'", act,
                          ev->to_org);
        return WB_OK;
    }
    if (!ev->to_org[0])
        return refuse(reason, reason_len,
                      "handover: to_org must name the receiving member organisation");
    if (ledger_genesis_org_by_name(g, ev->to_org) < 0)
        return refuse(reason, reason_len, "handover: '%s' is not a member organisation",
                      ev->to_org);
    if (strcmp(ev->to_org, st->custodian) == 0)
        return refuse(reason, reason_len,
                      "handover: '%s' is already the custodian of item %s; hand over to "
                      "another organisation",
                      ev->to_org, ev->item);
    return WB_OK;
}

static int check_receive(const struct ledger_item_state *st, const struct ledger_event *ev,
                         const struct ledger_org *org, char *reason, size_t reason_len)
{
    if (ev->action != LEDGER_RECEIVE) return WB_OK;
    if (st->status != LEDGER_ITEM_IN_TRANSFER)
        return refuse(reason, reason_len,
                      "receive: no handover is pending for item %s; its custodian '%s' must "
                      "hand it over first",
                      ev->item, st->custodian);
    if (strcmp(org->name, st->transfer_to) != 0)
        return refuse(reason, reason_len, "receive: item is being handed to '%s', not '%s'",
                      st->transfer_to, org->name);
    return WB_OK;
}

/* Required attributes and the state the action presupposes. */
static int check_attrs(const struct ledger_item_state *st, const struct ledger_event *ev,
                       char *reason, size_t reason_len)
{
    const char *v;
    switch (ev->action) {
    case LEDGER_SEAL:
        v = ledger_event_attr(ev, "seal");
        if (!v || !v[0])
            return refuse(reason, reason_len,
                          "seal: attribute 'seal' (the seal id) is required");
        if (st->seal[0])
            return refuse(reason, reason_len,
                          "seal: item %s is already sealed with '%s'; unseal it first",
                          ev->item, st->seal);
        return WB_OK;
    case LEDGER_UNSEAL:
        if (!st->seal[0])
            return refuse(reason, reason_len, "unseal: item %s is not sealed", ev->item);
        return WB_OK;
    case LEDGER_INSPECT:
        v = ledger_event_attr(ev, "result");
        if (!v)
            return refuse(reason, reason_len,
                          "inspect: attribute 'result' is required (ok or discrepancy)");
        if (strcmp(v, "ok") != 0 && strcmp(v, "discrepancy") != 0)
            return refuse(reason, reason_len,
                          "inspect: attribute 'result' must be ok or discrepancy, not '%s'", v);
        return WB_OK;
    case LEDGER_HOLD:
        if (st->held)
            return refuse(reason, reason_len, "hold: item %s is already on hold", ev->item);
        return WB_OK;
    case LEDGER_RELEASE:
        if (!st->held)
            return refuse(reason, reason_len, "release: item %s is not on hold", ev->item);
        return WB_OK;
    case LEDGER_CLEAR:
        v = ledger_event_attr(ev, "declaration");
        if (!v || !v[0])
            return refuse(reason, reason_len,
                          "clear: attribute 'declaration' (the declaration reference) is "
                          "required");
        return WB_OK;
    default:
        return WB_OK;
    }
}

int ledger_rules_check(const struct ledger_item_state *st, const struct ledger_event *ev,
                       const struct ledger_genesis *g, char *reason, size_t reason_len)
{
    char h1[RULES_SHORT_HEX];
    const char *act = ledger_action_name(ev->action);
    if (!act || ev->action == LEDGER_ACTION_NONE)
        return refuse(reason, reason_len, "unknown action %d", (int)ev->action);

    int org_i = ledger_genesis_org_of_key(g, ev->submitter);
    if (org_i < 0)
        return refuse(reason, reason_len,
                      "%s: submitter key %s... is not a member key of this chain", act,
                      short_hex(ev->submitter, h1));
    const struct ledger_org *org = &g->orgs[org_i];

    if (st->status != LEDGER_ITEM_UNKNOWN && strcmp(st->item, ev->item) != 0)
        return refuse(reason, reason_len,
                      "%s: the event is for item %s but the state given is of item %s", act,
                      ev->item, st->item);

    int rc = check_first_and_prev(st, ev, act, reason, reason_len);
    if (rc) return rc;

    if (needs_location(ev->action) && !ev->location[0])
        return refuse(reason, reason_len,
                      "%s: a location is required (UN/LOCODE such as NLRTM, or a GLN)", act);

    rc = check_permission(st, ev, org, act, reason, reason_len);
    if (rc) return rc;
    rc = check_restrictions(st, ev, org, act, reason, reason_len);
    if (rc) return rc;
    rc = check_handover(st, ev, g, act, reason, reason_len);
    if (rc) return rc;
    rc = check_receive(st, ev, org, reason, reason_len);
    if (rc) return rc;
    return check_attrs(st, ev, reason, reason_len);
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    WB_ASSERT(n < cap);
    memcpy(dst, src, n + 1);
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
    }
    memcpy(st->head, ev->id, WB_HASH_LEN);
    st->count++;
    st->last_height = height;

    switch (ev->action) {
    case LEDGER_COMMISSION:
        copy_str(st->custodian, sizeof st->custodian, org->name);
        st->status = LEDGER_ITEM_ACTIVE;
        st->held = false;
        st->transfer_to[0] = '\0';
        st->seal[0] = '\0';
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
        st->held = true;
        break;
    case LEDGER_RELEASE:
        st->held = false;
        break;
    case LEDGER_DELIVER:
        st->status = LEDGER_ITEM_DELIVERED;
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
    m.held = st->held;
    m.transfer_to = (char *)st->transfer_to;
    m.seal = (char *)st->seal;
    m.count = st->count;
    m.first_height = st->first_height;
    m.last_height = st->last_height;
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
        !fits(m->transfer_to, WB_ORG_MAX) || !fits(m->seal, WB_ATTR_VALUE_MAX))
        goto free_msg;
    if (m->head.len != 0 && m->head.len != WB_HASH_LEN) goto free_msg;
    if (m->count > 0 && m->head.len != WB_HASH_LEN) goto free_msg;
    if (m->status < WAYBILL__ITEM_STATUS__ITEM_UNKNOWN ||
        m->status > WAYBILL__ITEM_STATUS__ITEM_DELIVERED)
        goto free_msg;

    struct ledger_item_state s;
    memset(&s, 0, sizeof s);
    copy_str(s.item, sizeof s.item, m->item);
    if (m->head.len) memcpy(s.head, m->head.data, WB_HASH_LEN);
    copy_str(s.custodian, sizeof s.custodian, m->custodian);
    s.status = (enum ledger_item_status)m->status;
    s.held = m->held;
    copy_str(s.transfer_to, sizeof s.transfer_to, m->transfer_to);
    copy_str(s.seal, sizeof s.seal, m->seal);
    s.count = m->count;
    s.first_height = m->first_height;
    s.last_height = m->last_height;
    *st = s;
    rc = WB_OK;
free_msg:
    waybill__item_state__free_unpacked(m, NULL);
    return rc;
}
