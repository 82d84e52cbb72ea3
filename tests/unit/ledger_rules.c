/* Unit tests of ledger/rules.c: one test per rule of the table, named as the
 * rule (docs/rules.md lists the same names), each showing the rule refuse
 * with its reason and the neighbouring case pass; whole journeys; how an
 * accepted event changes the state; out-of-order marking; the ItemState
 * encoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "common/hex.h"
#include "common/wb_error.h"
#include "ledger/device.h"
#include "ledger/event.h"
#include "ledger/genesis.h"
#include "ledger/gov.h"
#include "ledger/rules.h"

#define ITEM "CSQU3054383"
/* The reference time of the tests (2026-11-22T00:00:00Z) and the spacing
 * of the events the helpers make. */
#define T0 INT64_C(1795305600000)
#define STEP_MS 60000
#define DAY_MS INT64_C(86400000)

/* Members, a stranger, then device keys: an e-seal, a tracker and a
 * temperature sensor registered by acme, a tracker retired by acme, and a
 * key never registered. */
enum { K_ACME, K_OCEANIC, K_RAILCO, K_CUSTOMS, K_AUDIT, K_STRANGER, K_ESEAL, K_TRACKER, K_TEMP,
       K_RETIRED, K_UNREG, K_COUNT };
#define ESEAL_NUMBER "ACME-0001"
static const char *const org_names[] = {"acme", "oceanic", "railco", "customs", "audit"};
static const enum ledger_role org_roles[] = {LEDGER_ROLE_SHIPPER, LEDGER_ROLE_CARRIER,
                                             LEDGER_ROLE_CARRIER, LEDGER_ROLE_CUSTOMS,
                                             LEDGER_ROLE_AUDITOR};
#define ORG_COUNT 5

struct fx {
    struct ledger_genesis *g;
    uint8_t pk[K_COUNT][WB_PUBKEY_LEN];
    uint8_t sk[K_COUNT][WB_SECKEY_LEN];
    uint64_t nonce;
    int64_t clock;                       /* time of the next event made */
    struct ledger_gov *gov;              /* the device registry */
};

/* Registers (or retires) device key k on the fixture's governance state
 * as acme, at height 1. */
static int fx_gov_device(struct fx *f, enum ledger_action a, int k, const char *kind,
                         const char *serial, const char *seal)
{
    struct ledger_event ev;
    memset(&ev, 0, sizeof ev);
    struct ledger_gov_action ga;
    memset(&ga, 0, sizeof ga);
    ga.action = a;
    memcpy(ga.key, f->pk[k], WB_PUBKEY_LEN);
    ga.device_kind = ledger_device_kind_parse(kind);
    snprintf(ga.serial, sizeof ga.serial, "%s", serial);
    snprintf(ga.seal, sizeof ga.seal, "%s", seal ? seal : "");
    char msg[256] = "";
    if (ledger_gov_action_encode(&ga, &ev, msg, sizeof msg)) return -1;
    memcpy(ev.submitter, f->pk[K_ACME], WB_PUBKEY_LEN);
    ev.time_ms = T0 - DAY_MS;
    ev.nonce = (uint64_t)(k * 10 + (int)a);
    uint8_t buf[WB_SIGNED_EVENT_MAX];
    size_t len;
    if (ledger_event_sign(f->g->chain_id, &ev, f->sk[K_ACME], buf, sizeof buf, &len)) return -1;
    if (ledger_gov_check(f->gov, &ev, 1, T0 - DAY_MS, msg, sizeof msg)) {
        fprintf(stderr, "fixture: %s\n", msg);
        return -1;
    }
    return ledger_gov_apply(f->gov, &ev, 1, T0 - DAY_MS, NULL) ? -1 : 0;
}

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f) return -1;
    f->g = calloc(1, sizeof *f->g);
    if (!f->g) return -1;
    for (int k = 0; k < K_COUNT; k++) {
        uint8_t seed[32] = {(uint8_t)(k + 1)};
        if (crypto_sign_seed_keypair(f->pk[k], f->sk[k], seed) != 0) return -1;
    }
    struct ledger_genesis *g = f->g;
    snprintf(g->chain_name, sizeof g->chain_name, "rules-test");
    ledger_chain_id(g->chain_name, g->chain_id);
    g->genesis_time_ms = T0 - 365 * DAY_MS;
    ledger_genesis_set_defaults(g);
    g->org_count = ORG_COUNT;
    for (int k = 0; k < ORG_COUNT; k++) {
        snprintf(g->orgs[k].name, sizeof g->orgs[k].name, "%s", org_names[k]);
        g->orgs[k].role = org_roles[k];
        g->orgs[k].key_count = 1;
        memcpy(g->orgs[k].keys[0], f->pk[k], WB_PUBKEY_LEN);
    }
    /* One validator so the genesis is complete; rules never look at it. */
    g->validator_count = 1;
    snprintf(g->validators[0].name, sizeof g->validators[0].name, "node0");
    snprintf(g->validators[0].org, sizeof g->validators[0].org, "acme");
    memcpy(g->validators[0].key, f->pk[K_ACME], WB_PUBKEY_LEN);
    f->clock = T0;
    f->gov = calloc(1, sizeof *f->gov);
    if (!f->gov || ledger_gov_init(f->gov, f->g)) return -1;
    if (fx_gov_device(f, LEDGER_DEVICE_REGISTER, K_ESEAL, "eseal", "ES-1", ESEAL_NUMBER) ||
        fx_gov_device(f, LEDGER_DEVICE_REGISTER, K_TRACKER, "tracker", "TR-1", NULL) ||
        fx_gov_device(f, LEDGER_DEVICE_REGISTER, K_TEMP, "temperature", "TS-1", NULL) ||
        fx_gov_device(f, LEDGER_DEVICE_REGISTER, K_RETIRED, "tracker", "TR-OLD", NULL) ||
        fx_gov_device(f, LEDGER_DEVICE_RETIRE, K_RETIRED, "tracker", "TR-OLD", NULL))
        return -1;
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    ledger_gov_free(f->gov);
    free(f->gov);
    free(f->g);
    free(f);
    return 0;
}

/* An event at the fixture's clock, chained to st's head. */
static struct ledger_event mk_event(struct fx *f, int key, enum ledger_action a, const char *loc,
                                    const struct ledger_item_state *st)
{
    struct ledger_event ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.item, sizeof ev.item, "%s", ITEM);
    ev.action = a;
    if (loc) snprintf(ev.location, sizeof ev.location, "%s", loc);
    ev.time_ms = f->clock;
    f->clock += STEP_MS;
    memcpy(ev.submitter, f->pk[key], WB_PUBKEY_LEN);
    if (st && st->count > 0) {
        ev.has_prev = true;
        memcpy(ev.prev, st->head, WB_HASH_LEN);
    }
    ev.nonce = ++f->nonce;
    return ev;
}

static void add_attr(struct ledger_event *ev, const char *key, const char *value)
{
    snprintf(ev->attrs[ev->attr_count].key, sizeof ev->attrs[0].key, "%s", key);
    snprintf(ev->attrs[ev->attr_count].value, sizeof ev->attrs[0].value, "%s", value);
    ev->attr_count++;
}

/* Signs ev, so its id is the real SHA-256 of its body. */
static void sign(struct fx *f, int key, struct ledger_event *ev)
{
    uint8_t buf[WB_SIGNED_EVENT_MAX];
    size_t len;
    int rc = ledger_event_sign(f->g->chain_id, ev, f->sk[key], buf, sizeof buf, &len);
    if (rc) fail_msg("ledger_event_sign: %s", wb_strerror(rc));
}

/* Checks (reference time = the event's own) and applies an event that must
 * be accepted. */
static void accept_ev(struct fx *f, struct ledger_item_state *st, int key,
                      struct ledger_event *ev, uint64_t height)
{
    sign(f, key, ev);
    char reason[512] = "";
    const char *rule = "unset";
    int rc = ledger_rules_check(st, ev, f->g, f->gov, ev->time_ms, reason, sizeof reason, &rule);
    if (rc || rule != NULL)
        fail_msg("%s by %s expected to be accepted, got %s: %s", ledger_action_name(ev->action),
                 key < ORG_COUNT ? org_names[key] : "stranger", wb_strerror(rc), reason);
    ledger_rules_apply(st, ev, f->g, height);
}

/* Builds, signs, checks and applies one event that must be accepted. */
static struct ledger_event step(struct fx *f, struct ledger_item_state *st, int key,
                                enum ledger_action a, const char *loc, const char *k1,
                                const char *v1, const char *to_org, uint64_t height)
{
    struct ledger_event ev = mk_event(f, key, a, loc, st);
    if (k1) add_attr(&ev, k1, v1);
    if (to_org) snprintf(ev.to_org, sizeof ev.to_org, "%s", to_org);
    accept_ev(f, st, key, &ev, height);
    return ev;
}

/* An event that must be refused by rule `rule` with a reason containing
 * `want` and ending in "(rule RULE)"; the reference time is ref_ms. */
static void expect_rule_at(struct fx *f, const struct ledger_item_state *st,
                           struct ledger_event *ev, int key, int64_t ref_ms, const char *rule,
                           const char *want)
{
    sign(f, key, ev);
    char reason[512] = "", tail[96];
    const char *got = NULL;
    struct ledger_item_state before = *st;
    int rc = ledger_rules_check(st, ev, f->g, f->gov, ref_ms, reason, sizeof reason, &got);
    snprintf(tail, sizeof tail, " (rule %s)", rule);
    size_t n = strlen(reason), tn = strlen(tail);
    if (rc != WB_ERR_RULE || !got || strcmp(got, rule) != 0 || !strstr(reason, want) ||
        n < tn || strcmp(reason + n - tn, tail) != 0)
        fail_msg("%s: expected rule %s with a reason containing \"%s\", got rc %d (%s), rule "
                 "%s, reason \"%s\"",
                 ledger_action_name(ev->action), rule, want, rc, wb_strerror(rc),
                 got ? got : "none", reason);
    if (memcmp(&before, st, sizeof before) != 0) fail_msg("the check changed the state");
}

static void expect_rule(struct fx *f, const struct ledger_item_state *st, struct ledger_event *ev,
                        int key, const char *rule, const char *want)
{
    expect_rule_at(f, st, ev, key, ev->time_ms, rule, want);
}

static void assert_state(const struct ledger_item_state *st, const char *custodian,
                         enum ledger_item_status status, enum ledger_customs customs,
                         const char *transfer_to, const char *seal, uint32_t count)
{
    if (strcmp(st->custodian, custodian) != 0 || st->status != status ||
        st->customs != customs || strcmp(st->transfer_to, transfer_to) != 0 ||
        strcmp(st->seal, seal) != 0 || st->count != count)
        fail_msg("state differs: got custodian '%s' status %d customs %d transfer_to '%s' "
                 "seal '%s' count %u; want '%s' %d %d '%s' '%s' %u",
                 st->custodian, st->status, st->customs, st->transfer_to, st->seal, st->count,
                 custodian, status, customs, transfer_to, seal, count);
}

static void assert_where(const struct ledger_item_state *st, const char *location,
                         enum ledger_movement movement)
{
    if (strcmp(st->location, location) != 0 || st->movement != movement)
        fail_msg("movement state differs: got '%s' %s, want '%s' %s", st->location,
                 ledger_movement_name(st->movement), location, ledger_movement_name(movement));
}

/* An item commissioned by acme at NLRTM (height 1). */
static struct ledger_item_state commissioned(struct fx *f)
{
    struct ledger_item_state st;
    memset(&st, 0, sizeof st);
    step(f, &st, K_ACME, LEDGER_COMMISSION, "NLRTM", NULL, NULL, NULL, 1);
    return st;
}

/* Commissioned, loaded at NLRTM and departed: underway. */
static struct ledger_item_state underway(struct fx *f)
{
    struct ledger_item_state st = commissioned(f);
    step(f, &st, K_ACME, LEDGER_LOAD, "NLRTM", NULL, NULL, NULL, 2);
    step(f, &st, K_ACME, LEDGER_DEPART, "NLRTM", NULL, NULL, NULL, 2);
    return st;
}

/* ---- journeys ------------------------------------------------------------------ */

static void journey_every_action(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st;
    memset(&st, 0, sizeof st);
    struct ledger_event ev;

    ev = step(f, &st, K_ACME, LEDGER_COMMISSION, "NLRTM", "hs_code", "850440", NULL, 1);
    assert_state(&st, "acme", LEDGER_ITEM_ACTIVE, LEDGER_CUSTOMS_NONE, "", "", 1);
    assert_where(&st, "NLRTM", LEDGER_MOVE_AT_REST);
    assert_string_equal(st.item, ITEM);
    assert_memory_equal(st.head, ev.id, WB_HASH_LEN);
    assert_int_equal(st.first_height, 1);
    assert_true(st.commission_time_ms == ev.time_ms);

    step(f, &st, K_ACME, LEDGER_SEAL, NULL, "seal", "SL-1", NULL, 1);
    assert_state(&st, "acme", LEDGER_ITEM_ACTIVE, LEDGER_CUSTOMS_NONE, "", "SL-1", 2);
    step(f, &st, K_ACME, LEDGER_LOAD, "NLRTM", "vessel", "MAERSK ESSEX", NULL, 2);
    assert_where(&st, "NLRTM", LEDGER_MOVE_LOADED);
    ev = step(f, &st, K_ACME, LEDGER_HANDOVER, NULL, NULL, NULL, "oceanic", 2);
    assert_state(&st, "acme", LEDGER_ITEM_IN_TRANSFER, LEDGER_CUSTOMS_NONE, "oceanic", "SL-1", 4);
    assert_memory_equal(st.head, ev.id, WB_HASH_LEN);
    step(f, &st, K_OCEANIC, LEDGER_RECEIVE, NULL, NULL, NULL, NULL, 3);
    assert_state(&st, "oceanic", LEDGER_ITEM_ACTIVE, LEDGER_CUSTOMS_NONE, "", "SL-1", 5);
    step(f, &st, K_OCEANIC, LEDGER_DEPART, "NLRTM", "seal", "SL-1", NULL, 3);
    assert_where(&st, "NLRTM", LEDGER_MOVE_UNDERWAY);
    step(f, &st, K_OCEANIC, LEDGER_ARRIVE, "SGSIN", NULL, NULL, NULL, 4);
    assert_where(&st, "SGSIN", LEDGER_MOVE_LOADED);
    step(f, &st, K_CUSTOMS, LEDGER_INSPECT, "SGSIN", "result", "ok", NULL, 4);
    step(f, &st, K_CUSTOMS, LEDGER_HOLD, NULL, NULL, NULL, NULL, 5);
    assert_state(&st, "oceanic", LEDGER_ITEM_ACTIVE, LEDGER_CUSTOMS_HELD, "", "SL-1", 9);
    assert_true(ledger_item_held(&st));
    step(f, &st, K_CUSTOMS, LEDGER_RELEASE, NULL, NULL, NULL, NULL, 5);
    assert_state(&st, "oceanic", LEDGER_ITEM_ACTIVE, LEDGER_CUSTOMS_RELEASED, "", "SL-1", 10);
    step(f, &st, K_CUSTOMS, LEDGER_CLEAR, NULL, "declaration", "SG-2026-0001", NULL, 6);
    assert_state(&st, "oceanic", LEDGER_ITEM_ACTIVE, LEDGER_CUSTOMS_CLEARED, "", "SL-1", 11);
    step(f, &st, K_CUSTOMS, LEDGER_UNSEAL, NULL, "seal", "SL-1", NULL, 6);
    assert_state(&st, "oceanic", LEDGER_ITEM_ACTIVE, LEDGER_CUSTOMS_CLEARED, "", "", 12);
    step(f, &st, K_OCEANIC, LEDGER_UNLOAD, "SGSIN", NULL, NULL, NULL, 7);
    assert_where(&st, "SGSIN", LEDGER_MOVE_AT_REST);
    ev = step(f, &st, K_OCEANIC, LEDGER_DELIVER, "SGSIN", NULL, NULL, NULL, 7);
    assert_state(&st, "oceanic", LEDGER_ITEM_DELIVERED, LEDGER_CUSTOMS_CLEARED, "", "", 14);
    assert_memory_equal(st.head, ev.id, WB_HASH_LEN);
    assert_int_equal(st.first_height, 1);
    assert_int_equal(st.last_height, 7);
    assert_true(st.latest_time_ms == ev.time_ms);
}

/* scripts/demo.sh: shipper to carrier, a voyage, customs, carrier to consignee. */
static void journey_demo(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st;
    memset(&st, 0, sizeof st);
    step(f, &st, K_ACME, LEDGER_COMMISSION, "CNSHA", "hs", "871493", NULL, 1);
    step(f, &st, K_ACME, LEDGER_SEAL, NULL, "seal", "SL-2026-0042", NULL, 2);
    step(f, &st, K_ACME, LEDGER_HANDOVER, NULL, NULL, NULL, "oceanic", 3);
    step(f, &st, K_OCEANIC, LEDGER_RECEIVE, NULL, NULL, NULL, NULL, 4);
    step(f, &st, K_OCEANIC, LEDGER_LOAD, "CNSHA", "vessel", "EVER-ACE", NULL, 5);
    step(f, &st, K_OCEANIC, LEDGER_DEPART, "CNSHA", NULL, NULL, NULL, 6);
    step(f, &st, K_OCEANIC, LEDGER_ARRIVE, "NLRTM", NULL, NULL, NULL, 7);
    step(f, &st, K_OCEANIC, LEDGER_UNLOAD, "NLRTM", NULL, NULL, NULL, 8);
    step(f, &st, K_CUSTOMS, LEDGER_INSPECT, NULL, "result", "ok", NULL, 9);
    step(f, &st, K_CUSTOMS, LEDGER_CLEAR, NULL, "declaration", "NL-2026-000123", NULL, 10);
    step(f, &st, K_OCEANIC, LEDGER_HANDOVER, NULL, NULL, NULL, "railco", 11);
    step(f, &st, K_RAILCO, LEDGER_RECEIVE, NULL, NULL, NULL, NULL, 12);
    step(f, &st, K_RAILCO, LEDGER_DELIVER, "NLRTM", NULL, NULL, NULL, 13);
    assert_state(&st, "railco", LEDGER_ITEM_DELIVERED, LEDGER_CUSTOMS_CLEARED, "",
                 "SL-2026-0042", 13);
    assert_where(&st, "NLRTM", LEDGER_MOVE_AT_REST);
}

/* Transshipment: two vessels with a hub in between. */
static void journey_transshipment(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st;
    memset(&st, 0, sizeof st);
    step(f, &st, K_ACME, LEDGER_COMMISSION, "CNSHA", NULL, NULL, NULL, 1);
    step(f, &st, K_ACME, LEDGER_SEAL, NULL, "seal", "SL-9", NULL, 1);
    step(f, &st, K_ACME, LEDGER_HANDOVER, NULL, NULL, NULL, "oceanic", 1);
    step(f, &st, K_OCEANIC, LEDGER_RECEIVE, NULL, NULL, NULL, NULL, 2);
    step(f, &st, K_OCEANIC, LEDGER_LOAD, "CNSHA", "vessel", "FEEDER ONE", NULL, 2);
    step(f, &st, K_OCEANIC, LEDGER_DEPART, "CNSHA", "seal", "SL-9", NULL, 2);
    step(f, &st, K_OCEANIC, LEDGER_ARRIVE, "SGSIN", "seal", "SL-9", NULL, 3);
    step(f, &st, K_OCEANIC, LEDGER_UNLOAD, "SGSIN", NULL, NULL, NULL, 3);
    assert_where(&st, "SGSIN", LEDGER_MOVE_AT_REST);
    step(f, &st, K_OCEANIC, LEDGER_LOAD, "SGSIN", "vessel", "MOTHER TWO", NULL, 4);
    step(f, &st, K_OCEANIC, LEDGER_DEPART, "SGSIN", NULL, NULL, NULL, 4);
    assert_where(&st, "SGSIN", LEDGER_MOVE_UNDERWAY);
    step(f, &st, K_OCEANIC, LEDGER_ARRIVE, "NLRTM", NULL, NULL, NULL, 5);
    step(f, &st, K_OCEANIC, LEDGER_UNLOAD, "NLRTM", "seal", "SL-9", NULL, 5);
    assert_where(&st, "NLRTM", LEDGER_MOVE_AT_REST);
    assert_state(&st, "oceanic", LEDGER_ITEM_ACTIVE, LEDGER_CUSTOMS_NONE, "", "SL-9", 12);
}

/* A port call: arrive, then depart again without unloading. */
static void journey_port_call(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = underway(f);
    step(f, &st, K_ACME, LEDGER_ARRIVE, "BEANR", NULL, NULL, NULL, 3);
    step(f, &st, K_ACME, LEDGER_DEPART, "BEANR", NULL, NULL, NULL, 3);
    step(f, &st, K_ACME, LEDGER_ARRIVE, "DEHAM", NULL, NULL, NULL, 4);
    step(f, &st, K_ACME, LEDGER_UNLOAD, "DEHAM", NULL, NULL, NULL, 4);
    assert_where(&st, "DEHAM", LEDGER_MOVE_AT_REST);
}

/* Customs: hold, inspect, release, clear. */
static void journey_customs_hold(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    step(f, &st, K_CUSTOMS, LEDGER_HOLD, NULL, NULL, NULL, NULL, 2);
    assert_state(&st, "acme", LEDGER_ITEM_ACTIVE, LEDGER_CUSTOMS_HELD, "", "", 2);
    step(f, &st, K_CUSTOMS, LEDGER_INSPECT, "NLRTM", "result", "discrepancy", NULL, 2);
    step(f, &st, K_CUSTOMS, LEDGER_RELEASE, NULL, NULL, NULL, NULL, 3);
    assert_state(&st, "acme", LEDGER_ITEM_ACTIVE, LEDGER_CUSTOMS_RELEASED, "", "", 4);
    step(f, &st, K_CUSTOMS, LEDGER_CLEAR, NULL, "declaration", "NL-1", NULL, 3);
    assert_state(&st, "acme", LEDGER_ITEM_ACTIVE, LEDGER_CUSTOMS_CLEARED, "", "", 5);
    /* Cleared items may be held again, and released. */
    step(f, &st, K_CUSTOMS, LEDGER_HOLD, NULL, NULL, NULL, NULL, 4);
    step(f, &st, K_CUSTOMS, LEDGER_RELEASE, NULL, NULL, NULL, NULL, 4);
    step(f, &st, K_ACME, LEDGER_LOAD, "NLRTM", NULL, NULL, NULL, 4);
}

static void seal_by_customs_unseal_by_custodian(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    step(f, &st, K_CUSTOMS, LEDGER_SEAL, NULL, "seal", "CUS-9", NULL, 2);
    assert_state(&st, "acme", LEDGER_ITEM_ACTIVE, LEDGER_CUSTOMS_NONE, "", "CUS-9", 2);
    step(f, &st, K_ACME, LEDGER_UNSEAL, NULL, "seal", "CUS-9", NULL, 2);
    assert_state(&st, "acme", LEDGER_ITEM_ACTIVE, LEDGER_CUSTOMS_NONE, "", "", 3);
}

static void customs_may_act_after_delivery(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    step(f, &st, K_ACME, LEDGER_DELIVER, "NLRTM", NULL, NULL, NULL, 2);
    step(f, &st, K_CUSTOMS, LEDGER_INSPECT, NULL, "result", "ok", NULL, 3);
    step(f, &st, K_CUSTOMS, LEDGER_HOLD, NULL, NULL, NULL, NULL, 3);
    step(f, &st, K_CUSTOMS, LEDGER_RELEASE, NULL, NULL, NULL, NULL, 3);
    step(f, &st, K_CUSTOMS, LEDGER_SEAL, NULL, "seal", "C-1", NULL, 3);
    step(f, &st, K_CUSTOMS, LEDGER_UNSEAL, NULL, "seal", "C-1", NULL, 4);
    step(f, &st, K_CUSTOMS, LEDGER_CLEAR, NULL, "declaration", "D-1", NULL, 4);
    assert_state(&st, "acme", LEDGER_ITEM_DELIVERED, LEDGER_CUSTOMS_CLEARED, "", "", 8);
}

static void customs_may_act_while_held(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    step(f, &st, K_CUSTOMS, LEDGER_HOLD, NULL, NULL, NULL, NULL, 2);
    step(f, &st, K_CUSTOMS, LEDGER_SEAL, NULL, "seal", "C-2", NULL, 2);
    step(f, &st, K_CUSTOMS, LEDGER_INSPECT, NULL, "result", "ok", NULL, 2);
    assert_state(&st, "acme", LEDGER_ITEM_ACTIVE, LEDGER_CUSTOMS_HELD, "", "C-2", 4);
}

/* ---- one test per rule, in table order ----------------------------------------- */

static void action_known(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_LOAD, "NLRTM", &st);
    ev.action = LEDGER_ACTION_COUNT;
    char reason[512] = "";
    const char *rule = NULL;
    /* Not signable (the encoder refuses the action): the rule sees it decoded. */
    assert_int_equal(ledger_rules_check(&st, &ev, f->g, NULL, ev.time_ms, reason, sizeof reason,
                                        &rule),
                     WB_ERR_RULE);
    assert_string_equal(rule, "action_known");
    assert_non_null(strstr(reason, "unknown action 27"));
    assert_non_null(strstr(reason, "gov_approve, device_register or device_retire"));
    ev.action = LEDGER_ACTION_NONE;
    assert_int_equal(ledger_rules_check(&st, &ev, f->g, NULL, ev.time_ms, reason, sizeof reason,
                                        &rule),
                     WB_ERR_RULE);
    assert_string_equal(rule, "action_known");
}

static void submitter_member(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st;
    memset(&st, 0, sizeof st);
    struct ledger_event ev = mk_event(f, K_STRANGER, LEDGER_COMMISSION, "NLRTM", &st);
    char want[96], key[9];
    snprintf(want, sizeof want, "commission: submitter key %s... is not a member key",
             wb_hex_encode(f->pk[K_STRANGER], 4, key, sizeof key));
    expect_rule(f, &st, &ev, K_STRANGER, "submitter_member", want);
}

static void item_matches(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_LOAD, "NLRTM", &st);
    snprintf(ev.item, sizeof ev.item, "urn:epc:id:sscc:0614141.1234567890");
    expect_rule(f, &st, &ev, K_ACME, "item_matches",
                "load: the event is for item urn:epc:id:sscc:0614141.1234567890 but the state "
                "given is of item " ITEM);
}

static void first_is_commission(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st;
    memset(&st, 0, sizeof st);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_LOAD, "NLRTM", &st);
    expect_rule(f, &st, &ev, K_ACME, "first_is_commission",
                "load: item " ITEM " has not been commissioned; its first event must be "
                "commission");
}

static void commission_no_prev(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state fresh;
    memset(&fresh, 0, sizeof fresh);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_COMMISSION, "NLRTM", &fresh);
    ev.has_prev = true;
    memset(ev.prev, 0xab, sizeof ev.prev);
    expect_rule(f, &fresh, &ev, K_ACME, "commission_no_prev",
                "commission: the first event of item " ITEM " must have no prev");
}

static void commission_once(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_COMMISSION, "NLRTM", &st);
    expect_rule(f, &st, &ev, K_ACME, "commission_once",
                "commission: item " ITEM " was already commissioned");
    ev = mk_event(f, K_ACME, LEDGER_COMMISSION, "NLRTM", NULL);
    expect_rule(f, &st, &ev, K_ACME, "commission_once", "was already commissioned");
}

static void prev_present(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    char head[9], want[96];
    wb_hex_encode(st.head, 4, head, sizeof head);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_LOAD, "NLRTM", &st);
    ev.has_prev = false;
    memset(ev.prev, 0, sizeof ev.prev);
    snprintf(want, sizeof want, "load: prev is missing; it must be the item's head %s...",
             head);
    expect_rule(f, &st, &ev, K_ACME, "prev_present", want);
}

static void prev_is_head(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    char head[9], want[96];
    wb_hex_encode(st.head, 4, head, sizeof head);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_LOAD, "NLRTM", &st);
    ev.prev[0] ^= 0x01;
    snprintf(want, sizeof want, "load: prev does not match the item's head %s...", head);
    expect_rule(f, &st, &ev, K_ACME, "prev_is_head", want);
}

static void location_required(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st;
    memset(&st, 0, sizeof st);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_COMMISSION, NULL, &st);
    expect_rule(f, &st, &ev, K_ACME, "location_required", "commission: a location is required");
    st = commissioned(f);
    static const enum ledger_action moves[] = {LEDGER_LOAD, LEDGER_DEPART, LEDGER_ARRIVE,
                                               LEDGER_UNLOAD};
    for (size_t i = 0; i < 4; i++) {
        char want[64];
        snprintf(want, sizeof want, "%s: a location is required", ledger_action_name(moves[i]));
        ev = mk_event(f, K_ACME, moves[i], NULL, &st);
        expect_rule(f, &st, &ev, K_ACME, "location_required", want);
    }
}

static void time_future(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    int64_t ref = f->clock;
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_LOAD, "NLRTM", &st);
    ev.time_ms = ref + WB_CLOCK_SKEW_MS_DEFAULT + 1;
    expect_rule_at(f, &st, &ev, K_ACME, ref, "time_future",
                   "is 10 min 0.001 s after the ledger's time");
    expect_rule_at(f, &st, &ev, K_ACME, ref, "time_future", "at most 10 min is allowed");
    /* 2099: the example of the issue. */
    ev.time_ms = INT64_C(4070908800000);
    expect_rule_at(f, &st, &ev, K_ACME, ref, "time_future",
                   "load: event time 2099-01-01T00:00:00.000Z is");
    /* Exactly at the allowance: accepted. */
    ev.time_ms = ref + WB_CLOCK_SKEW_MS_DEFAULT;
    sign(f, K_ACME, &ev);
    assert_int_equal(ledger_rules_check(&st, &ev, f->g, NULL, ref, NULL, 0, NULL), WB_OK);
    /* The genesis sets the allowance. */
    f->g->clock_skew_ms = 0;
    ev.time_ms = ref + 1;
    expect_rule_at(f, &st, &ev, K_ACME, ref, "time_future", "at most 0 s is allowed");
}

static void time_backdated(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st;
    memset(&st, 0, sizeof st);
    int64_t ref = f->clock;
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_COMMISSION, "NLRTM", &st);
    ev.time_ms = ref - WB_BACKDATE_MAX_MS_DEFAULT - 1000;
    expect_rule_at(f, &st, &ev, K_ACME, ref, "time_backdated",
                   "is 30 days 1 s before the ledger's time");
    expect_rule_at(f, &st, &ev, K_ACME, ref, "time_backdated", "at most 30 days late");
    /* A voyage reported on arrival, 30 days late: accepted. */
    ev.time_ms = ref - WB_BACKDATE_MAX_MS_DEFAULT;
    sign(f, K_ACME, &ev);
    assert_int_equal(ledger_rules_check(&st, &ev, f->g, NULL, ref, NULL, 0, NULL), WB_OK);
    f->g->backdate_max_ms = DAY_MS;
    ev.time_ms = ref - 2 * DAY_MS;
    expect_rule_at(f, &st, &ev, K_ACME, ref, "time_backdated", "at most 1 day late");
}

static void time_before_commission(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_LOAD, "NLRTM", &st);
    ev.time_ms = st.commission_time_ms - 1;
    char want[160], a[LEDGER_TIME_MAX];
    snprintf(want, sizeof want, "is before item " ITEM " was commissioned (%s)",
             ledger_time_format(st.commission_time_ms, a));
    expect_rule(f, &st, &ev, K_ACME, "time_before_commission", want);
    /* At the commission time itself: accepted. */
    ev.time_ms = st.commission_time_ms;
    accept_ev(f, &st, K_ACME, &ev, 2);
}

static void commission_by_shipper(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st;
    memset(&st, 0, sizeof st);
    struct ledger_event ev = mk_event(f, K_OCEANIC, LEDGER_COMMISSION, "NLRTM", &st);
    expect_rule(f, &st, &ev, K_OCEANIC, "commission_by_shipper",
                "commission: only a shipper may commission an item; 'oceanic' has role "
                "carrier");
}

static void custodian_acts(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    static const enum ledger_action custodian_actions[] = {
        LEDGER_LOAD, LEDGER_DEPART, LEDGER_ARRIVE, LEDGER_UNLOAD, LEDGER_DELIVER};
    for (size_t i = 0; i < sizeof custodian_actions / sizeof custodian_actions[0]; i++) {
        struct ledger_event ev = mk_event(f, K_OCEANIC, custodian_actions[i], "NLRTM", &st);
        expect_rule(f, &st, &ev, K_OCEANIC, "custodian_acts",
                    "'oceanic' is not the custodian of item " ITEM);
    }
    struct ledger_event ev = mk_event(f, K_OCEANIC, LEDGER_HANDOVER, NULL, &st);
    snprintf(ev.to_org, sizeof ev.to_org, "railco");
    expect_rule(f, &st, &ev, K_OCEANIC, "custodian_acts", "handover: 'oceanic' is not the "
                                                          "custodian");
    /* customs is not custodian either: it may seal but not move */
    ev = mk_event(f, K_CUSTOMS, LEDGER_LOAD, "NLRTM", &st);
    expect_rule(f, &st, &ev, K_CUSTOMS, "custodian_acts", "only the custodian 'acme' may load it");
}

static void seal_by_custodian_or_customs(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    struct ledger_event ev = mk_event(f, K_RAILCO, LEDGER_SEAL, NULL, &st);
    add_attr(&ev, "seal", "X");
    expect_rule(f, &st, &ev, K_RAILCO, "seal_by_custodian_or_customs",
                "seal: 'railco' is neither the custodian of item " ITEM " ('acme') nor customs");
}

static void customs_acts(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_INSPECT, NULL, &st);
    add_attr(&ev, "result", "ok");
    expect_rule(f, &st, &ev, K_ACME, "customs_acts",
                "inspect: only customs may inspect; 'acme' has role shipper");
    ev = mk_event(f, K_OCEANIC, LEDGER_HOLD, NULL, &st);
    expect_rule(f, &st, &ev, K_OCEANIC, "customs_acts", "hold: only customs may hold");
    ev = mk_event(f, K_AUDIT, LEDGER_RELEASE, NULL, &st);
    expect_rule(f, &st, &ev, K_AUDIT, "customs_acts",
                "release: only customs may release; 'audit' has role auditor");
    ev = mk_event(f, K_ACME, LEDGER_CLEAR, NULL, &st);
    add_attr(&ev, "declaration", "D-1");
    expect_rule(f, &st, &ev, K_ACME, "customs_acts", "clear: only customs may clear");
}

static void delivered_final(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    step(f, &st, K_ACME, LEDGER_DELIVER, "NLRTM", NULL, NULL, NULL, 2);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_LOAD, "NLRTM", &st);
    expect_rule(f, &st, &ev, K_ACME, "delivered_final", "load: item " ITEM " was delivered");
    ev = mk_event(f, K_ACME, LEDGER_DELIVER, "NLRTM", &st);
    expect_rule(f, &st, &ev, K_ACME, "delivered_final", "deliver: item " ITEM " was delivered");
    ev = mk_event(f, K_ACME, LEDGER_SEAL, NULL, &st);
    add_attr(&ev, "seal", "S");
    expect_rule(f, &st, &ev, K_ACME, "delivered_final",
                "after delivery only customs may add events");
    ev = mk_event(f, K_ACME, LEDGER_HANDOVER, NULL, &st);
    snprintf(ev.to_org, sizeof ev.to_org, "oceanic");
    expect_rule(f, &st, &ev, K_ACME, "delivered_final", "handover: item " ITEM " was delivered");
}

static void deliver_not_held(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    step(f, &st, K_CUSTOMS, LEDGER_HOLD, NULL, NULL, NULL, NULL, 2);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_DELIVER, NULL, &st);
    expect_rule(f, &st, &ev, K_ACME, "deliver_not_held",
                "deliver: item " ITEM " is on hold by customs; customs must release it");
    /* Customs holding an item it took custody of cannot deliver it either. */
    st = commissioned(f);
    step(f, &st, K_ACME, LEDGER_HANDOVER, NULL, NULL, NULL, "customs", 2);
    step(f, &st, K_CUSTOMS, LEDGER_RECEIVE, NULL, NULL, NULL, NULL, 2);
    step(f, &st, K_CUSTOMS, LEDGER_HOLD, NULL, NULL, NULL, NULL, 2);
    ev = mk_event(f, K_CUSTOMS, LEDGER_DELIVER, NULL, &st);
    expect_rule(f, &st, &ev, K_CUSTOMS, "deliver_not_held", "is on hold by customs");
    step(f, &st, K_CUSTOMS, LEDGER_RELEASE, NULL, NULL, NULL, NULL, 3);
    step(f, &st, K_CUSTOMS, LEDGER_DELIVER, NULL, NULL, NULL, NULL, 3);
}

static void held_customs_only(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    step(f, &st, K_CUSTOMS, LEDGER_HOLD, NULL, NULL, NULL, NULL, 2);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_LOAD, "NLRTM", &st);
    expect_rule(f, &st, &ev, K_ACME, "held_customs_only",
                "load: item " ITEM " is on hold by customs");
    ev = mk_event(f, K_ACME, LEDGER_SEAL, NULL, &st);
    add_attr(&ev, "seal", "S");
    expect_rule(f, &st, &ev, K_ACME, "held_customs_only",
                "only customs may add events until it is released");
    step(f, &st, K_CUSTOMS, LEDGER_RELEASE, NULL, NULL, NULL, NULL, 3);
    step(f, &st, K_ACME, LEDGER_LOAD, "NLRTM", NULL, NULL, NULL, 3);
}

static void transfer_pending(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    step(f, &st, K_ACME, LEDGER_LOAD, "NLRTM", NULL, NULL, NULL, 2);
    step(f, &st, K_ACME, LEDGER_HANDOVER, NULL, NULL, NULL, "oceanic", 2);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_DEPART, "NLRTM", &st);
    expect_rule(f, &st, &ev, K_ACME, "transfer_pending",
                "depart: item " ITEM " is in transfer to 'oceanic'; 'oceanic' must receive it "
                "first");
    ev = mk_event(f, K_ACME, LEDGER_HANDOVER, NULL, &st);
    snprintf(ev.to_org, sizeof ev.to_org, "railco");
    expect_rule(f, &st, &ev, K_ACME, "transfer_pending",
                "handover: item " ITEM " is in transfer to 'oceanic'");
    /* the receiver is not custodian until it receives */
    ev = mk_event(f, K_OCEANIC, LEDGER_DEPART, "NLRTM", &st);
    expect_rule(f, &st, &ev, K_OCEANIC, "custodian_acts", "'oceanic' is not the custodian");
    assert_string_equal(st.custodian, "acme");
}

static void to_org_handover_only(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_LOAD, "NLRTM", &st);
    snprintf(ev.to_org, sizeof ev.to_org, "oceanic");
    expect_rule(f, &st, &ev, K_ACME, "to_org_handover_only", "load: to_org is only for handover");
}

static void handover_to_member(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_HANDOVER, NULL, &st);
    snprintf(ev.to_org, sizeof ev.to_org, "nobody");
    expect_rule(f, &st, &ev, K_ACME, "handover_to_member",
                "handover: 'nobody' is not a member organisation");
    ev = mk_event(f, K_ACME, LEDGER_HANDOVER, NULL, &st);
    expect_rule(f, &st, &ev, K_ACME, "handover_to_member",
                "handover: to_org must name the receiving member");
}

static void handover_to_other(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_HANDOVER, NULL, &st);
    snprintf(ev.to_org, sizeof ev.to_org, "acme");
    expect_rule(f, &st, &ev, K_ACME, "handover_to_other",
                "handover: 'acme' is already the custodian");
}

static void receive_pending(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    struct ledger_event ev = mk_event(f, K_OCEANIC, LEDGER_RECEIVE, NULL, &st);
    expect_rule(f, &st, &ev, K_OCEANIC, "receive_pending",
                "receive: no handover is pending for item " ITEM);
}

static void receive_by_named(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    step(f, &st, K_ACME, LEDGER_HANDOVER, NULL, NULL, NULL, "oceanic", 2);
    struct ledger_event ev = mk_event(f, K_RAILCO, LEDGER_RECEIVE, NULL, &st);
    expect_rule(f, &st, &ev, K_RAILCO, "receive_by_named",
                "receive: item is being handed to 'oceanic', not 'railco'");
    ev = mk_event(f, K_ACME, LEDGER_RECEIVE, NULL, &st);
    expect_rule(f, &st, &ev, K_ACME, "receive_by_named",
                "receive: item is being handed to 'oceanic', not 'acme'");
    step(f, &st, K_OCEANIC, LEDGER_RECEIVE, NULL, NULL, NULL, NULL, 3);
    assert_state(&st, "oceanic", LEDGER_ITEM_ACTIVE, LEDGER_CUSTOMS_NONE, "", "", 3);
}

static void not_underway(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = underway(f);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_HANDOVER, NULL, &st);
    snprintf(ev.to_org, sizeof ev.to_org, "oceanic");
    expect_rule(f, &st, &ev, K_ACME, "not_underway",
                "handover: item " ITEM " is underway (departed from NLRTM); record its arrival "
                "first");
    ev = mk_event(f, K_ACME, LEDGER_DELIVER, NULL, &st);
    expect_rule(f, &st, &ev, K_ACME, "not_underway", "deliver: item " ITEM " is underway");
    /* A receive while underway cannot follow an accepted handover; the rule
     * still holds for a state that says so. */
    struct ledger_item_state odd = st;
    odd.status = LEDGER_ITEM_IN_TRANSFER;
    snprintf(odd.transfer_to, sizeof odd.transfer_to, "oceanic");
    ev = mk_event(f, K_OCEANIC, LEDGER_RECEIVE, NULL, &odd);
    expect_rule(f, &odd, &ev, K_OCEANIC, "not_underway", "receive: item " ITEM " is underway");
    step(f, &st, K_ACME, LEDGER_ARRIVE, "DEHAM", NULL, NULL, NULL, 3);
    step(f, &st, K_ACME, LEDGER_HANDOVER, NULL, NULL, NULL, "oceanic", 3);
}

static void deliver_unloaded(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    step(f, &st, K_ACME, LEDGER_LOAD, "NLRTM", NULL, NULL, NULL, 2);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_DELIVER, NULL, &st);
    expect_rule(f, &st, &ev, K_ACME, "deliver_unloaded",
                "deliver: item " ITEM " is still loaded (at NLRTM); unload it first");
    step(f, &st, K_ACME, LEDGER_UNLOAD, "NLRTM", NULL, NULL, NULL, 2);
    step(f, &st, K_ACME, LEDGER_DELIVER, NULL, NULL, NULL, NULL, 3);
}

static void load_at_rest(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    step(f, &st, K_ACME, LEDGER_LOAD, "NLRTM", NULL, NULL, NULL, 2);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_LOAD, "NLRTM", &st);
    expect_rule(f, &st, &ev, K_ACME, "load_at_rest",
                "load: item " ITEM " is already loaded (at NLRTM); unload it before loading it "
                "again");
    step(f, &st, K_ACME, LEDGER_DEPART, "NLRTM", NULL, NULL, NULL, 2);
    ev = mk_event(f, K_ACME, LEDGER_LOAD, "NLRTM", &st);
    expect_rule(f, &st, &ev, K_ACME, "load_at_rest",
                "load: item " ITEM " is underway (departed from NLRTM); record its arrival and "
                "unloading first");
}

static void load_location(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_LOAD, "DEHAM", &st);
    expect_rule(f, &st, &ev, K_ACME, "load_location",
                "load: item " ITEM " is at NLRTM, not at DEHAM; load it where it is");
    /* Where the location is not recorded (a state without one), any goes. */
    struct ledger_item_state nowhere = st;
    nowhere.location[0] = '\0';
    ev = mk_event(f, K_ACME, LEDGER_LOAD, "DEHAM", &nowhere);
    accept_ev(f, &nowhere, K_ACME, &ev, 2);
    assert_where(&nowhere, "DEHAM", LEDGER_MOVE_LOADED);
}

static void depart_loaded(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_DEPART, "NLRTM", &st);
    expect_rule(f, &st, &ev, K_ACME, "depart_loaded",
                "depart: item " ITEM " is not loaded (at NLRTM); load it onto its conveyance "
                "first");
}

static void depart_at_rest(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = underway(f);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_DEPART, "NLRTM", &st);
    expect_rule(f, &st, &ev, K_ACME, "depart_at_rest",
                "depart: item " ITEM " is already underway (departed from NLRTM); record its "
                "arrival first");
}

static void depart_location(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    step(f, &st, K_ACME, LEDGER_LOAD, "NLRTM", NULL, NULL, NULL, 2);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_DEPART, "BEANR", &st);
    expect_rule(f, &st, &ev, K_ACME, "depart_location",
                "depart: item " ITEM " is at NLRTM, not at BEANR; it departs from where it was "
                "loaded or last arrived");
}

static void arrive_underway(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_ARRIVE, "DEHAM", &st);
    expect_rule(f, &st, &ev, K_ACME, "arrive_underway",
                "arrive: item " ITEM " is not underway (not loaded, at NLRTM); load it and "
                "record its departure first");
    st = underway(f);
    step(f, &st, K_ACME, LEDGER_ARRIVE, "DEHAM", NULL, NULL, NULL, 3);
    ev = mk_event(f, K_ACME, LEDGER_ARRIVE, "DEHAM", &st);
    expect_rule(f, &st, &ev, K_ACME, "arrive_underway",
                "arrive: item " ITEM " is not underway (loaded, at rest at DEHAM); record its "
                "departure first");
}

static void unload_loaded(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = underway(f);
    step(f, &st, K_ACME, LEDGER_ARRIVE, "DEHAM", NULL, NULL, NULL, 3);
    step(f, &st, K_ACME, LEDGER_UNLOAD, "DEHAM", NULL, NULL, NULL, 3);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_UNLOAD, "DEHAM", &st);
    expect_rule(f, &st, &ev, K_ACME, "unload_loaded",
                "unload: item " ITEM " is not loaded (at DEHAM); there is nothing to unload");
}

static void unload_at_rest(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = underway(f);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_UNLOAD, "DEHAM", &st);
    expect_rule(f, &st, &ev, K_ACME, "unload_at_rest",
                "unload: item " ITEM " is underway (departed from NLRTM); record its arrival "
                "first");
}

static void unload_location(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = underway(f);
    step(f, &st, K_ACME, LEDGER_ARRIVE, "SGSIN", NULL, NULL, NULL, 3);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_UNLOAD, "NLRTM", &st);
    expect_rule(f, &st, &ev, K_ACME, "unload_location",
                "unload: item " ITEM " is at SGSIN, not at NLRTM; unload it where it arrived");
    /* Loaded by mistake: unloaded where it was loaded, without a voyage. */
    st = commissioned(f);
    step(f, &st, K_ACME, LEDGER_LOAD, "NLRTM", NULL, NULL, NULL, 2);
    step(f, &st, K_ACME, LEDGER_UNLOAD, "NLRTM", NULL, NULL, NULL, 2);
}

static void seal_mismatch(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_LOAD, "NLRTM", &st);
    add_attr(&ev, "seal", "SL-1");
    expect_rule(f, &st, &ev, K_ACME, "seal_mismatch",
                "load: seal mismatch: the event names seal 'SL-1' but item " ITEM " has no "
                "active seal");
    step(f, &st, K_ACME, LEDGER_SEAL, NULL, "seal", "SL-1", NULL, 2);
    static const enum ledger_action moves[] = {LEDGER_LOAD, LEDGER_DEPART, LEDGER_ARRIVE,
                                               LEDGER_UNLOAD};
    static const char *const where_[] = {"NLRTM", "NLRTM", "DEHAM", "DEHAM"};
    for (size_t i = 0; i < 4; i++) {
        char want[128];
        snprintf(want, sizeof want,
                 "%s: seal mismatch: the event names seal 'SL-2' but the active seal of item "
                 ITEM " is 'SL-1'",
                 ledger_action_name(moves[i]));
        ev = mk_event(f, K_ACME, moves[i], where_[i], &st);
        add_attr(&ev, "seal", "SL-2");
        expect_rule(f, &st, &ev, K_ACME, "seal_mismatch", want);
        /* The same movement naming the active seal passes. */
        step(f, &st, K_ACME, moves[i], where_[i], "seal", "SL-1", NULL, 3);
    }
}

static void seal_attr_required(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_SEAL, NULL, &st);
    expect_rule(f, &st, &ev, K_ACME, "seal_attr_required",
                "seal: attribute 'seal' (the seal id) is required");
}

static void seal_unsealed(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    step(f, &st, K_ACME, LEDGER_SEAL, NULL, "seal", "S-1", NULL, 2);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_SEAL, NULL, &st);
    add_attr(&ev, "seal", "S-2");
    expect_rule(f, &st, &ev, K_ACME, "seal_unsealed",
                "seal: item " ITEM " is already sealed with 'S-1'; unseal it first");
}

static void unseal_sealed(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_UNSEAL, NULL, &st);
    add_attr(&ev, "seal", "S-1");
    expect_rule(f, &st, &ev, K_ACME, "unseal_sealed", "unseal: item " ITEM " is not sealed");
}

static void unseal_names_seal(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    step(f, &st, K_ACME, LEDGER_SEAL, NULL, "seal", "S-1", NULL, 2);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_UNSEAL, NULL, &st);
    expect_rule(f, &st, &ev, K_ACME, "unseal_names_seal",
                "unseal: attribute 'seal' must name the seal being removed: item " ITEM
                " is sealed with 'S-1'");
    ev = mk_event(f, K_ACME, LEDGER_UNSEAL, NULL, &st);
    add_attr(&ev, "seal", "S-9");
    expect_rule(f, &st, &ev, K_ACME, "unseal_names_seal",
                "unseal: seal mismatch: the event names seal 'S-9' but the active seal of item "
                ITEM " is 'S-1'");
    step(f, &st, K_ACME, LEDGER_UNSEAL, NULL, "seal", "S-1", NULL, 3);
    assert_string_equal(st.seal, "");
}

static void inspect_result(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    struct ledger_event ev = mk_event(f, K_CUSTOMS, LEDGER_INSPECT, NULL, &st);
    expect_rule(f, &st, &ev, K_CUSTOMS, "inspect_result", "inspect: attribute 'result' is "
                                                          "required");
    ev = mk_event(f, K_CUSTOMS, LEDGER_INSPECT, NULL, &st);
    add_attr(&ev, "result", "fine");
    expect_rule(f, &st, &ev, K_CUSTOMS, "inspect_result",
                "inspect: attribute 'result' must be ok or discrepancy, not 'fine'");
    step(f, &st, K_CUSTOMS, LEDGER_INSPECT, NULL, "result", "discrepancy", NULL, 2);
}

static void hold_not_held(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    step(f, &st, K_CUSTOMS, LEDGER_HOLD, NULL, NULL, NULL, NULL, 2);
    struct ledger_event ev = mk_event(f, K_CUSTOMS, LEDGER_HOLD, NULL, &st);
    expect_rule(f, &st, &ev, K_CUSTOMS, "hold_not_held", "hold: item " ITEM " is already on "
                                                         "hold");
}

static void release_held(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    struct ledger_event ev = mk_event(f, K_CUSTOMS, LEDGER_RELEASE, NULL, &st);
    expect_rule(f, &st, &ev, K_CUSTOMS, "release_held", "release: item " ITEM " is not on hold");
    step(f, &st, K_CUSTOMS, LEDGER_HOLD, NULL, NULL, NULL, NULL, 2);
    step(f, &st, K_CUSTOMS, LEDGER_RELEASE, NULL, NULL, NULL, NULL, 2);
    ev = mk_event(f, K_CUSTOMS, LEDGER_RELEASE, NULL, &st);
    expect_rule(f, &st, &ev, K_CUSTOMS, "release_held", "is not on hold");
}

static void clear_not_held(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    step(f, &st, K_CUSTOMS, LEDGER_HOLD, NULL, NULL, NULL, NULL, 2);
    struct ledger_event ev = mk_event(f, K_CUSTOMS, LEDGER_CLEAR, NULL, &st);
    add_attr(&ev, "declaration", "D-1");
    expect_rule(f, &st, &ev, K_CUSTOMS, "clear_not_held",
                "clear: item " ITEM " is on hold; release the hold before clearing it");
}

static void clear_declaration(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    struct ledger_event ev = mk_event(f, K_CUSTOMS, LEDGER_CLEAR, NULL, &st);
    expect_rule(f, &st, &ev, K_CUSTOMS, "clear_declaration", "clear: attribute 'declaration'");
}

/* ---- state, order and encoding --------------------------------------------------- */

static void late_event_is_out_of_order(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    int64_t t_commission = st.commission_time_ms;
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_LOAD, "NLRTM", &st);
    ev.time_ms = t_commission + 10 * STEP_MS;
    assert_false(ledger_rules_out_of_order(&st, &ev));
    accept_ev(f, &st, K_ACME, &ev, 2);
    /* A departure reported after the fact, dated before the load's time but
     * after the commission: accepted, and out of order. */
    ev = mk_event(f, K_ACME, LEDGER_DEPART, "NLRTM", &st);
    ev.time_ms = t_commission + 5 * STEP_MS;
    assert_true(ledger_rules_out_of_order(&st, &ev));
    accept_ev(f, &st, K_ACME, &ev, 3);
    assert_true(st.latest_time_ms == t_commission + 10 * STEP_MS);
    /* Dated between: still before the latest event, still out of order. */
    ev = mk_event(f, K_ACME, LEDGER_ARRIVE, "DEHAM", &st);
    ev.time_ms = t_commission + 7 * STEP_MS;
    assert_true(ledger_rules_out_of_order(&st, &ev));
    accept_ev(f, &st, K_ACME, &ev, 3);
    ev = mk_event(f, K_ACME, LEDGER_UNLOAD, "DEHAM", &st);
    ev.time_ms = t_commission + 10 * STEP_MS;
    assert_false(ledger_rules_out_of_order(&st, &ev));
    /* The first event is never out of order. */
    struct ledger_item_state fresh;
    memset(&fresh, 0, sizeof fresh);
    ev = mk_event(f, K_ACME, LEDGER_COMMISSION, "NLRTM", &fresh);
    assert_false(ledger_rules_out_of_order(&fresh, &ev));
}


/* ---- the governance chain ------------------------------------------------------ */

/* A governance event (key_add of a fresh key) chained to st's head. */
static struct ledger_event gov_event(struct fx *f, int key, const struct ledger_item_state *st)
{
    struct ledger_event ev = mk_event(f, key, LEDGER_KEY_ADD, NULL, st);
    snprintf(ev.item, sizeof ev.item, "%s", WB_GOV_CHAIN);
    char hex[65];
    uint8_t pk[WB_PUBKEY_LEN], sk[WB_SECKEY_LEN], seed[32] = {(uint8_t)f->nonce, 0x33};
    assert_int_equal(crypto_sign_seed_keypair(pk, sk, seed), 0);
    add_attr(&ev, "key", wb_hex_encode(pk, WB_PUBKEY_LEN, hex, sizeof hex));
    return ev;
}

static void gov_chain_only(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    struct ledger_event ev = gov_event(f, K_ACME, &st);
    snprintf(ev.item, sizeof ev.item, "%s", ITEM);
    expect_rule(f, &st, &ev, K_ACME, "gov_chain_only",
                "key_add: a governance action is only for the governance chain");
    /* The id is reserved: no commission of it. */
    struct ledger_item_state none;
    memset(&none, 0, sizeof none);
    ev = mk_event(f, K_ACME, LEDGER_COMMISSION, "NLRTM", &none);
    snprintf(ev.item, sizeof ev.item, "%s", WB_GOV_CHAIN);
    expect_rule(f, &none, &ev, K_ACME, "gov_chain_only", "reserved");
    /* Nor any item action on it once it exists. */
    struct ledger_item_state gov;
    memset(&gov, 0, sizeof gov);
    ev = gov_event(f, K_OCEANIC, &gov);
    accept_ev(f, &gov, K_OCEANIC, &ev, 1);
    ev = mk_event(f, K_CUSTOMS, LEDGER_INSPECT, NULL, &gov);
    snprintf(ev.item, sizeof ev.item, "%s", WB_GOV_CHAIN);
    add_attr(&ev, "result", "ok");
    expect_rule(f, &gov, &ev, K_CUSTOMS, "gov_chain_only", "inspect: item " WB_GOV_CHAIN);
}

static void gov_first_no_prev(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state gov;
    memset(&gov, 0, sizeof gov);
    struct ledger_event ev = gov_event(f, K_ACME, &gov);
    ev.has_prev = true;
    memset(ev.prev, 0xab, WB_HASH_LEN);
    expect_rule(f, &gov, &ev, K_ACME, "gov_first_no_prev",
                "the first event of the governance chain must have no prev, but prev is "
                "abababab...");
    /* Without prev it is accepted (no commission needed); later ones name the head. */
    ev = gov_event(f, K_ACME, &gov);
    accept_ev(f, &gov, K_ACME, &ev, 4);
    ev = gov_event(f, K_AUDIT, &gov);
    ev.has_prev = false;
    expect_rule(f, &gov, &ev, K_AUDIT, "prev_present", "prev is missing");
    ev = gov_event(f, K_AUDIT, &gov);
    ev.prev[0] ^= 1;
    expect_rule(f, &gov, &ev, K_AUDIT, "prev_is_head", "prev does not match");
    ev = gov_event(f, K_AUDIT, &gov);
    accept_ev(f, &gov, K_AUDIT, &ev, 5);
}

static void gov_no_location(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state gov;
    memset(&gov, 0, sizeof gov);
    struct ledger_event ev = gov_event(f, K_ACME, &gov);
    snprintf(ev.location, sizeof ev.location, "NLRTM");
    expect_rule(f, &gov, &ev, K_ACME, "gov_no_location",
                "key_add: governance events have no location");
    ev = gov_event(f, K_ACME, &gov);
    snprintf(ev.to_org, sizeof ev.to_org, "oceanic");
    expect_rule(f, &gov, &ev, K_ACME, "to_org_handover_only", "to_org is only for handover");
}

static void governance_chain_state(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state gov;
    memset(&gov, 0, sizeof gov);
    gov.reg_index = 7;
    struct ledger_event ev = gov_event(f, K_CUSTOMS, &gov);
    int64_t t1 = ev.time_ms;
    accept_ev(f, &gov, K_CUSTOMS, &ev, 3);
    assert_string_equal(gov.item, WB_GOV_CHAIN);
    assert_int_equal(gov.status, LEDGER_ITEM_ACTIVE);
    assert_string_equal(gov.custodian, "");
    assert_int_equal(gov.count, 1);
    assert_int_equal(gov.first_height, 3);
    assert_memory_equal(gov.head, ev.id, WB_HASH_LEN);
    /* A later event dated earlier (within the time rules) keeps the latest time. */
    ev = gov_event(f, K_ACME, &gov);
    ev.time_ms = t1 - STEP_MS;
    accept_ev(f, &gov, K_ACME, &ev, 6);
    assert_int_equal(gov.count, 2);
    assert_int_equal(gov.first_height, 3);
    assert_int_equal(gov.last_height, 6);
    assert_int_equal(gov.latest_time_ms, t1);
    assert_memory_equal(gov.head, ev.id, WB_HASH_LEN);
    assert_string_equal(gov.custodian, "");
    assert_string_equal(gov.location, "");
    assert_int_equal(gov.movement, LEDGER_MOVE_AT_REST);
    assert_int_equal(gov.reg_index, 7);
    /* The time rules hold as for any event. */
    ev = gov_event(f, K_ACME, &gov);
    expect_rule_at(f, &gov, &ev, K_ACME, ev.time_ms - 2 * DAY_MS, "time_future",
                   "key_add: event time");
}

/* ---- devices and plans ------------------------------------------------------ */

static const char *hex_of(const uint8_t *b, char out[2 * WB_PUBKEY_LEN + 1])
{
    return wb_hex_encode(b, WB_PUBKEY_LEN, out, 2 * WB_PUBKEY_LEN + 1);
}

static void attach(struct fx *f, struct ledger_item_state *st, int dev, uint64_t height)
{
    char h[2 * WB_PUBKEY_LEN + 1];
    step(f, st, K_ACME, LEDGER_DEVICE_ATTACH, NULL, "device", hex_of(f->pk[dev], h), NULL,
         height);
}

/* An event carrying a one-observation report of device `dev` (signed with
 * signer's key) on the fixture's item, submitted by oceanic's gateway;
 * the observation is dated a second before the event. */
static struct ledger_event report_ev(struct fx *f, const struct ledger_item_state *st, int dev,
                                     int signer, enum ledger_action kind, uint64_t seq,
                                     enum ledger_seal_state seal, enum ledger_measure m)
{
    struct ledger_event ev = mk_event(f, K_OCEANIC, kind, NULL, st);
    struct ledger_device_report *r = calloc(1, sizeof *r);
    assert_non_null(r);
    memcpy(r->device, f->pk[dev], WB_PUBKEY_LEN);
    snprintf(r->item, sizeof r->item, "%s", ITEM);
    r->kind = kind;
    r->seq = seq;
    r->obs_count = 1;
    r->obs[0].time_ms = ev.time_ms - 1000;
    if (kind == LEDGER_SEAL_STATUS) {
        r->obs[0].seal_state = seal;
        if (seal == LEDGER_SEAL_ARMED) snprintf(r->obs[0].seal, sizeof r->obs[0].seal, "%s",
                                                ESEAL_NUMBER);
    } else if (kind == LEDGER_POSITION) {
        r->obs[0].lat_e6 = 51916667;
        r->obs[0].lon_e6 = 4500000;
        r->obs[0].accuracy_m = 20;
    } else {
        r->obs[0].measure = m;
        r->obs[0].value_milli = 4500;
    }
    uint8_t bytes[WB_DEVICE_REPORT_MAX], sig[WB_SIG_LEN];
    size_t len = 0;
    char msg[256] = "";
    if (ledger_device_report_encode(r, bytes, sizeof bytes, &len, msg, sizeof msg))
        fail_msg("encode: %s", msg);
    assert_int_equal(ledger_device_report_sign(f->g->chain_id, bytes, len, f->sk[signer], sig),
                     WB_OK);
    assert_int_equal(ledger_device_report_wrap(&ev, r, bytes, len, sig), WB_OK);
    free(r);
    return ev;
}

static void device_key_reports_only(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    struct ledger_event ev = mk_event(f, K_ESEAL, LEDGER_LOAD, "NLRTM", &st);
    expect_rule(f, &st, &ev, K_ESEAL, "device_key_reports_only",
                "is the key of device ES-1 (eseal, registered by 'acme')");
    ev = mk_event(f, K_TEMP, LEDGER_HOLD, NULL, &st);
    expect_rule(f, &st, &ev, K_TEMP, "device_key_reports_only", "a device key signs only");
    /* An unregistered key is no device: the member rule answers. */
    ev = mk_event(f, K_UNREG, LEDGER_LOAD, "NLRTM", &st);
    expect_rule(f, &st, &ev, K_UNREG, "submitter_member", "is not a member key");
}

static void device_report_only(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    attach(f, &st, K_ESEAL, 2);
    struct ledger_event ev = report_ev(f, &st, K_ESEAL, K_ESEAL, LEDGER_SEAL_STATUS, 1,
                                       LEDGER_SEAL_INTACT, LEDGER_MEASURE_NONE);
    ev.action = LEDGER_SEAL;
    add_attr(&ev, "seal", "S1");
    expect_rule(f, &st, &ev, K_OCEANIC, "device_report_only",
                "only seal_status, position and reading events carry a device report");
    ev = mk_event(f, K_OCEANIC, LEDGER_POSITION, NULL, &st);
    expect_rule(f, &st, &ev, K_OCEANIC, "device_report_only", "carries no device report");
    ev = report_ev(f, &st, K_ESEAL, K_ESEAL, LEDGER_POSITION, 1, 0, 0);
    snprintf(ev.location, sizeof ev.location, "NLRTM");
    expect_rule(f, &st, &ev, K_OCEANIC, "device_report_only", "no location or attributes");
}

static void device_report_decodes(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    attach(f, &st, K_ESEAL, 2);
    struct ledger_event ev = report_ev(f, &st, K_ESEAL, K_ESEAL, LEDGER_POSITION, 1, 0, 0);
    ev.action = LEDGER_SEAL_STATUS;
    expect_rule(f, &st, &ev, K_OCEANIC, "device_report_decodes",
                "holds position observations; carry it in a position event");
    ev = report_ev(f, &st, K_ESEAL, K_ESEAL, LEDGER_POSITION, 1, 0, 0);
    ev.device_report[ev.device_report_len - 1] ^= 0xff;
    expect_rule(f, &st, &ev, K_OCEANIC, "device_report_decodes", "device report");
}

static void device_attr(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_DEVICE_ATTACH, NULL, &st);
    expect_rule(f, &st, &ev, K_ACME, "device_attr", "attribute device must be the device's");
    ev = mk_event(f, K_ACME, LEDGER_DEVICE_DETACH, NULL, &st);
    add_attr(&ev, "device", "ABCD");
    expect_rule(f, &st, &ev, K_ACME, "device_attr", "64 lowercase hex digits");
    char h[2 * WB_PUBKEY_LEN + 1];
    ev = mk_event(f, K_ACME, LEDGER_DEVICE_ATTACH, NULL, &st);
    add_attr(&ev, "device", hex_of(f->pk[K_ESEAL], h));
    add_attr(&ev, "note", "x");
    expect_rule(f, &st, &ev, K_ACME, "device_attr", "attribute 'note' is not one");
}

static void device_registered(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    char h[2 * WB_PUBKEY_LEN + 1];
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_DEVICE_ATTACH, NULL, &st);
    add_attr(&ev, "device", hex_of(f->pk[K_UNREG], h));
    expect_rule(f, &st, &ev, K_ACME, "device_registered", "is not registered on this chain");
    ev = report_ev(f, &st, K_UNREG, K_UNREG, LEDGER_POSITION, 1, 0, 0);
    expect_rule(f, &st, &ev, K_OCEANIC, "device_registered", "is not registered");
    /* Without a registry no device is known. */
    char reason[512] = "";
    const char *rule = NULL;
    ev = report_ev(f, &st, K_ESEAL, K_ESEAL, LEDGER_POSITION, 1, 0, 0);
    sign(f, K_OCEANIC, &ev);
    assert_int_equal(ledger_rules_check(&st, &ev, f->g, NULL, ev.time_ms, reason, sizeof reason,
                                        &rule),
                     WB_ERR_RULE);
    assert_string_equal(rule, "device_registered");
}

static void device_active(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    char h[2 * WB_PUBKEY_LEN + 1];
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_DEVICE_ATTACH, NULL, &st);
    add_attr(&ev, "device", hex_of(f->pk[K_RETIRED], h));
    expect_rule(f, &st, &ev, K_ACME, "device_active",
                "device TR-OLD (tracker of 'acme') was retired at height 1");
    ev = report_ev(f, &st, K_RETIRED, K_RETIRED, LEDGER_POSITION, 1, 0, 0);
    expect_rule(f, &st, &ev, K_OCEANIC, "device_active", "a retired device reports nothing");
}

static void device_signature(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    attach(f, &st, K_ESEAL, 2);
    struct ledger_event ev = report_ev(f, &st, K_ESEAL, K_TRACKER, LEDGER_POSITION, 1, 0, 0);
    expect_rule(f, &st, &ev, K_OCEANIC, "device_signature",
                "signature does not verify for device ES-1");
    ev = report_ev(f, &st, K_ESEAL, K_ESEAL, LEDGER_POSITION, 1, 0, 0);
    ev.device_sig[0] ^= 1;
    expect_rule(f, &st, &ev, K_OCEANIC, "device_signature", "does not verify");
}

static void device_link_by_custodian(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    char h[2 * WB_PUBKEY_LEN + 1];
    struct ledger_event ev = mk_event(f, K_OCEANIC, LEDGER_DEVICE_ATTACH, NULL, &st);
    add_attr(&ev, "device", hex_of(f->pk[K_ESEAL], h));
    expect_rule(f, &st, &ev, K_OCEANIC, "device_link_by_custodian",
                "'oceanic' is not the custodian of item " ITEM "; only the custodian 'acme'");
    attach(f, &st, K_ESEAL, 2);
    ev = mk_event(f, K_CUSTOMS, LEDGER_DEVICE_DETACH, NULL, &st);
    add_attr(&ev, "device", hex_of(f->pk[K_ESEAL], h));
    expect_rule(f, &st, &ev, K_CUSTOMS, "device_link_by_custodian", "attaches or detaches");
}

static void attach_once(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    attach(f, &st, K_ESEAL, 2);
    assert_int_equal(st.device_count, 1);
    assert_memory_equal(st.devices[0].device, f->pk[K_ESEAL], WB_PUBKEY_LEN);
    char h[2 * WB_PUBKEY_LEN + 1];
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_DEVICE_ATTACH, NULL, &st);
    add_attr(&ev, "device", hex_of(f->pk[K_ESEAL], h));
    expect_rule(f, &st, &ev, K_ACME, "attach_once", "device ES-1 is already attached");
    /* Detached, it may be attached again. */
    step(f, &st, K_ACME, LEDGER_DEVICE_DETACH, NULL, "device", h, NULL, 3);
    assert_int_equal(st.device_count, 0);
    attach(f, &st, K_ESEAL, 4);
    assert_int_equal(st.device_count, 1);
}

static void attach_room(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    st.device_count = WB_ITEM_DEVICES_MAX;
    for (size_t i = 0; i < WB_ITEM_DEVICES_MAX; i++) st.devices[i].device[0] = (uint8_t)(i + 1);
    char h[2 * WB_PUBKEY_LEN + 1];
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_DEVICE_ATTACH, NULL, &st);
    add_attr(&ev, "device", hex_of(f->pk[K_ESEAL], h));
    expect_rule(f, &st, &ev, K_ACME, "attach_room", "has 8 devices attached, the most at once");
    st.device_count = WB_ITEM_DEVICES_MAX - 1;
    accept_ev(f, &st, K_ACME, &ev, 2);
    assert_int_equal(st.device_count, WB_ITEM_DEVICES_MAX);
}

static void detach_attached(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    char h[2 * WB_PUBKEY_LEN + 1];
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_DEVICE_DETACH, NULL, &st);
    add_attr(&ev, "device", hex_of(f->pk[K_ESEAL], h));
    expect_rule(f, &st, &ev, K_ACME, "detach_attached", "is not attached to item " ITEM);
}

static void device_attached(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    struct ledger_event ev = report_ev(f, &st, K_ESEAL, K_ESEAL, LEDGER_POSITION, 1, 0, 0);
    expect_rule(f, &st, &ev, K_OCEANIC, "device_attached",
                "device ES-1 (eseal of 'acme') is not attached to item " ITEM);
    /* Attached, then detached: refused again. */
    attach(f, &st, K_ESEAL, 2);
    char h[2 * WB_PUBKEY_LEN + 1];
    step(f, &st, K_ACME, LEDGER_DEVICE_DETACH, NULL, "device", hex_of(f->pk[K_ESEAL], h), NULL,
         3);
    ev = report_ev(f, &st, K_ESEAL, K_ESEAL, LEDGER_POSITION, 1, 0, 0);
    expect_rule(f, &st, &ev, K_OCEANIC, "device_attached", "is not attached");
}

static void device_kind_allows(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    attach(f, &st, K_TEMP, 2);
    attach(f, &st, K_TRACKER, 2);
    struct ledger_event ev = report_ev(f, &st, K_TEMP, K_TEMP, LEDGER_POSITION, 1, 0, 0);
    expect_rule(f, &st, &ev, K_OCEANIC, "device_kind_allows",
                "device TS-1 is a temperature device, which does not report position");
    ev = report_ev(f, &st, K_TEMP, K_TEMP, LEDGER_READING, 1, 0, LEDGER_MEASURE_HUMIDITY);
    expect_rule(f, &st, &ev, K_OCEANIC, "device_kind_allows", "does not measure humidity");
    ev = report_ev(f, &st, K_TRACKER, K_TRACKER, LEDGER_SEAL_STATUS, 1, LEDGER_SEAL_INTACT, 0);
    expect_rule(f, &st, &ev, K_OCEANIC, "device_kind_allows", "does not report seal_status");
    ev = report_ev(f, &st, K_TEMP, K_TEMP, LEDGER_READING, 1, 0, LEDGER_MEASURE_TEMPERATURE);
    accept_ev(f, &st, K_OCEANIC, &ev, 3);
    ev = report_ev(f, &st, K_TRACKER, K_TRACKER, LEDGER_READING, 1, 0, LEDGER_MEASURE_SHOCK);
    accept_ev(f, &st, K_OCEANIC, &ev, 3);
}

/* A journey with an e-seal: armed, intact, then opened with no unseal in
 * the chain and while customs holds the item; evidence is never refused,
 * and each report moves the device's seq on. */
static void device_seq_fresh(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    attach(f, &st, K_ESEAL, 2);
    struct ledger_event ev = report_ev(f, &st, K_ESEAL, K_ESEAL, LEDGER_SEAL_STATUS, 1,
                                       LEDGER_SEAL_ARMED, 0);
    accept_ev(f, &st, K_OCEANIC, &ev, 3);
    assert_int_equal(st.devices[0].last_seq, 1);
    ev = report_ev(f, &st, K_ESEAL, K_ESEAL, LEDGER_SEAL_STATUS, 1, LEDGER_SEAL_INTACT, 0);
    expect_rule(f, &st, &ev, K_OCEANIC, "device_seq_fresh",
                "device ES-1's report 1 on item " ITEM " is not newer than its last one (1)");
    ev = report_ev(f, &st, K_ESEAL, K_ESEAL, LEDGER_SEAL_STATUS, 2, LEDGER_SEAL_INTACT, 0);
    accept_ev(f, &st, K_CUSTOMS, &ev, 4);
    step(f, &st, K_CUSTOMS, LEDGER_HOLD, NULL, NULL, NULL, NULL, 5);
    ev = report_ev(f, &st, K_ESEAL, K_ESEAL, LEDGER_SEAL_STATUS, 7, LEDGER_SEAL_OPENED, 0);
    accept_ev(f, &st, K_OCEANIC, &ev, 6);
    assert_int_equal(st.devices[0].last_seq, 7);
    assert_string_equal(st.seal, "");
}

static void device_obs_in_window(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    attach(f, &st, K_TRACKER, 2);
    struct ledger_event ev = report_ev(f, &st, K_TRACKER, K_TRACKER, LEDGER_POSITION, 1, 0, 0);
    /* Dated before the attachment: the report is re-signed with that time. */
    struct ledger_device_report *r = calloc(1, sizeof *r);
    assert_non_null(r);
    assert_int_equal(ledger_device_report_decode(ev.device_report, ev.device_report_len, r,
                                                 NULL, 0),
                     WB_OK);
    r->obs[0].time_ms = st.devices[0].attached_time_ms - 1;
    uint8_t bytes[WB_DEVICE_REPORT_MAX], sig[WB_SIG_LEN];
    size_t len = 0;
    assert_int_equal(ledger_device_report_encode(r, bytes, sizeof bytes, &len, NULL, 0), WB_OK);
    assert_int_equal(ledger_device_report_sign(f->g->chain_id, bytes, len, f->sk[K_TRACKER], sig),
                     WB_OK);
    assert_int_equal(ledger_device_report_wrap(&ev, r, bytes, len, sig), WB_OK);
    expect_rule(f, &st, &ev, K_OCEANIC, "device_obs_in_window",
                "observation 1 at ");
    expect_rule(f, &st, &ev, K_OCEANIC, "device_obs_in_window", "is before device TR-1 was "
                                                                "attached");
    /* After the event time (beyond the clock skew). */
    r->obs[0].time_ms = ev.time_ms + f->g->clock_skew_ms + 1;
    assert_int_equal(ledger_device_report_encode(r, bytes, sizeof bytes, &len, NULL, 0), WB_OK);
    assert_int_equal(ledger_device_report_sign(f->g->chain_id, bytes, len, f->sk[K_TRACKER], sig),
                     WB_OK);
    assert_int_equal(ledger_device_report_wrap(&ev, r, bytes, len, sig), WB_OK);
    expect_rule(f, &st, &ev, K_OCEANIC, "device_obs_in_window", "is after the event time");
    free(r);
}

static void plan_by_shipper_or_custodian(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    assert_string_equal(st.shipper, "acme");
    const char *stop1 = "NLRTM 2026-11-23T00:00:00Z 2026-11-24T00:00:00Z sea";
    const char *stop2 = "SGSIN 2026-12-20T00:00:00Z 2026-12-22T00:00:00Z -";
    struct ledger_event ev = mk_event(f, K_RAILCO, LEDGER_PLAN_SET, NULL, &st);
    add_attr(&ev, "corridor_km", "200");
    add_attr(&ev, "stop1", stop1);
    add_attr(&ev, "stop2", stop2);
    expect_rule(f, &st, &ev, K_RAILCO, "plan_by_shipper_or_custodian",
                "'railco' is neither the shipper of item " ITEM " ('acme') nor its custodian");
    memcpy(ev.submitter, f->pk[K_ACME], WB_PUBKEY_LEN);
    accept_ev(f, &st, K_ACME, &ev, 2);
    /* Handed to oceanic: the custodian and the shipper both may. */
    step(f, &st, K_ACME, LEDGER_HANDOVER, NULL, NULL, NULL, "oceanic", 3);
    step(f, &st, K_OCEANIC, LEDGER_RECEIVE, NULL, NULL, NULL, NULL, 4);
    ev = mk_event(f, K_OCEANIC, LEDGER_PLAN_SET, NULL, &st);
    add_attr(&ev, "corridor_km", "300");
    add_attr(&ev, "stop1", stop1);
    add_attr(&ev, "stop2", stop2);
    accept_ev(f, &st, K_OCEANIC, &ev, 5);
    ev = mk_event(f, K_ACME, LEDGER_PLAN_SET, NULL, &st);
    add_attr(&ev, "corridor_km", "100");
    add_attr(&ev, "stop1", stop1);
    add_attr(&ev, "stop2", stop2);
    accept_ev(f, &st, K_ACME, &ev, 6);
}

static void plan_valid(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_PLAN_SET, NULL, &st);
    add_attr(&ev, "corridor_km", "200");
    add_attr(&ev, "stop1", "NLRTM 2026-11-23T00:00:00Z 2026-11-24T00:00:00Z -");
    expect_rule(f, &st, &ev, K_ACME, "plan_valid", "a plan has 2 to 15 stops");
    ev = mk_event(f, K_ACME, LEDGER_PLAN_SET, NULL, &st);
    add_attr(&ev, "corridor_km", "200");
    add_attr(&ev, "stop1", "NLRTM 2026-11-24T00:00:00Z 2026-11-23T00:00:00Z sea");
    add_attr(&ev, "stop2", "SGSIN 2026-12-20T00:00:00Z 2026-12-22T00:00:00Z -");
    expect_rule(f, &st, &ev, K_ACME, "plan_valid",
                "plan_set: stop1: arrival window ends before it starts");
}

/* Every rule of the table has a unit test of its name (checked from main's
 * test list) and a reason that says something. */
static const struct CMUnitTest *all_tests;
static size_t all_tests_n;

static void every_rule_has_a_test(void **state)
{
    (void)state;
    size_t n;
    const struct ledger_rule *t = ledger_rules_table(&n);
    assert_true(n >= 40);
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t k = 0; k < all_tests_n && !found; k++)
            found = strcmp(all_tests[k].name, t[i].name) == 0;
        if (!found) fail_msg("rule %s has no unit test named after it", t[i].name);
        if (!t[i].reason || strlen(t[i].reason) < 10 || !t[i].check)
            fail_msg("rule %s has no reason text or no check", t[i].name);
        for (size_t j = 0; j < i; j++)
            if (strcmp(t[i].name, t[j].name) == 0) fail_msg("rule %s is listed twice", t[i].name);
    }
}

static void item_state_round_trip(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    step(f, &st, K_ACME, LEDGER_SEAL, NULL, "seal", "SL-77", NULL, 4);
    step(f, &st, K_ACME, LEDGER_LOAD, "NLRTM", NULL, NULL, NULL, 4);
    step(f, &st, K_ACME, LEDGER_HANDOVER, NULL, NULL, NULL, "oceanic", 5);
    step(f, &st, K_CUSTOMS, LEDGER_HOLD, NULL, NULL, NULL, NULL, 6);
    uint8_t buf[1024];
    size_t len;
    assert_int_equal(ledger_item_state_encode(&st, buf, sizeof buf, &len), WB_OK);
    struct ledger_item_state back;
    memset(&back, 0x5a, sizeof back);
    assert_int_equal(ledger_item_state_decode(buf, len, &back), WB_OK);
    assert_string_equal(back.item, ITEM);
    assert_memory_equal(back.head, st.head, WB_HASH_LEN);
    assert_state(&back, "acme", LEDGER_ITEM_IN_TRANSFER, LEDGER_CUSTOMS_HELD, "oceanic", "SL-77",
                 5);
    assert_where(&back, "NLRTM", LEDGER_MOVE_LOADED);
    assert_true(back.commission_time_ms == st.commission_time_ms);
    assert_true(back.latest_time_ms == st.latest_time_ms);
    assert_int_equal(back.first_height, 1);
    assert_int_equal(back.last_height, 6);

    assert_int_equal(ledger_item_state_encode(&st, buf, 10, &len), WB_ERR_TOO_LARGE);
    const uint8_t junk[] = {0xff, 0xff, 0xff};
    assert_int_equal(ledger_item_state_decode(junk, sizeof junk, &back), WB_ERR_DECODE);
    /* a head that is not 32 bytes: field 2, length 3 */
    const uint8_t short_head[] = {0x12, 0x03, 1, 2, 3};
    assert_int_equal(ledger_item_state_decode(short_head, sizeof short_head, &back),
                     WB_ERR_DECODE);
    /* out-of-range customs status (field 11) and movement (field 13) */
    const uint8_t bad_customs[] = {0x58, 0x07};
    assert_int_equal(ledger_item_state_decode(bad_customs, sizeof bad_customs, &back),
                     WB_ERR_DECODE);
    const uint8_t bad_movement[] = {0x68, 0x03};
    assert_int_equal(ledger_item_state_decode(bad_movement, sizeof bad_movement, &back),
                     WB_ERR_DECODE);
    /* a location longer than a GLN (field 12, 14 bytes) */
    const uint8_t long_loc[] = {0x62, 14, 'A', 'B', 'C', 'D', 'E', 'F', 'G',
                                'H',  'I', 'J', 'K', 'L', 'M', 'N'};
    assert_int_equal(ledger_item_state_decode(long_loc, sizeof long_loc, &back), WB_ERR_DECODE);
}

static void time_format_is_rfc3339_utc(void **state)
{
    (void)state;
    char out[LEDGER_TIME_MAX];
    assert_string_equal(ledger_time_format(0, out), "1970-01-01T00:00:00.000Z");
    assert_string_equal(ledger_time_format(T0 + 123, out), "2026-11-22T00:00:00.123Z");
    assert_string_equal(ledger_time_format(INT64_C(951825600000), out),
                        "2000-02-29T12:00:00.000Z");
    assert_string_equal(ledger_time_format(-1, out), "1969-12-31T23:59:59.999Z");
    assert_string_equal(ledger_time_format(INT64_C(4070908800000), out),
                        "2099-01-01T00:00:00.000Z");
}

int main(void)
{
    if (sodium_init() < 0) return 1;
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(journey_every_action),
        T(journey_demo),
        T(journey_transshipment),
        T(journey_port_call),
        T(journey_customs_hold),
        T(seal_by_customs_unseal_by_custodian),
        T(customs_may_act_after_delivery),
        T(customs_may_act_while_held),
        T(action_known),
        T(gov_chain_only),
        T(gov_first_no_prev),
        T(gov_no_location),
        T(governance_chain_state),
        T(submitter_member),
        T(item_matches),
        T(first_is_commission),
        T(commission_no_prev),
        T(commission_once),
        T(prev_present),
        T(prev_is_head),
        T(location_required),
        T(time_future),
        T(time_backdated),
        T(time_before_commission),
        T(commission_by_shipper),
        T(custodian_acts),
        T(seal_by_custodian_or_customs),
        T(customs_acts),
        T(delivered_final),
        T(deliver_not_held),
        T(held_customs_only),
        T(transfer_pending),
        T(to_org_handover_only),
        T(handover_to_member),
        T(handover_to_other),
        T(receive_pending),
        T(receive_by_named),
        T(not_underway),
        T(deliver_unloaded),
        T(load_at_rest),
        T(load_location),
        T(depart_loaded),
        T(depart_at_rest),
        T(depart_location),
        T(arrive_underway),
        T(unload_loaded),
        T(unload_at_rest),
        T(unload_location),
        T(seal_mismatch),
        T(seal_attr_required),
        T(seal_unsealed),
        T(unseal_sealed),
        T(unseal_names_seal),
        T(inspect_result),
        T(hold_not_held),
        T(release_held),
        T(clear_not_held),
        T(clear_declaration),
        T(device_key_reports_only),
        T(device_report_only),
        T(device_report_decodes),
        T(device_attr),
        T(device_registered),
        T(device_active),
        T(device_signature),
        T(device_link_by_custodian),
        T(attach_once),
        T(attach_room),
        T(detach_attached),
        T(device_attached),
        T(device_kind_allows),
        T(device_seq_fresh),
        T(device_obs_in_window),
        T(plan_by_shipper_or_custodian),
        T(plan_valid),
        T(late_event_is_out_of_order),
        T(every_rule_has_a_test),
        T(item_state_round_trip),
        T(time_format_is_rfc3339_utc),
    };
#undef T
    all_tests = tests;
    all_tests_n = sizeof tests / sizeof tests[0];
    return cmocka_run_group_tests(tests, NULL, NULL);
}
