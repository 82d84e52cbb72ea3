/* Unit tests of ledger/rules.c: every action accepted where the custody
 * table allows it, refused with an actionable reason where it does not. */
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
#include "ledger/event.h"
#include "ledger/genesis.h"
#include "ledger/rules.h"

#define ITEM "CSQU3054383"

enum { K_ACME, K_OCEANIC, K_RAILCO, K_CUSTOMS, K_AUDIT, K_STRANGER, K_COUNT };
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
};

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
    g->genesis_time_ms = 1700000000000;
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
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    free(f->g);
    free(f);
    return 0;
}

/* A signed event (so its id is the real SHA-256 of its body). */
static struct ledger_event mk_event(struct fx *f, int key, enum ledger_action a, const char *loc,
                                    const struct ledger_item_state *st)
{
    struct ledger_event ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.item, sizeof ev.item, "%s", ITEM);
    ev.action = a;
    if (loc) snprintf(ev.location, sizeof ev.location, "%s", loc);
    ev.time_ms = 1700000100000 + (int64_t)f->nonce;
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

static void sign(struct fx *f, int key, struct ledger_event *ev)
{
    uint8_t buf[WB_SIGNED_EVENT_MAX];
    size_t len;
    int rc = ledger_event_sign(f->g->chain_id, ev, f->sk[key], buf, sizeof buf, &len);
    if (rc) fail_msg("ledger_event_sign: %s", wb_strerror(rc));
}

/* Builds, signs, checks and applies one event that must be accepted. */
static struct ledger_event step(struct fx *f, struct ledger_item_state *st, int key,
                                enum ledger_action a, const char *loc, const char *k1,
                                const char *v1, const char *to_org, uint64_t height)
{
    struct ledger_event ev = mk_event(f, key, a, loc, st);
    if (k1) add_attr(&ev, k1, v1);
    if (to_org) snprintf(ev.to_org, sizeof ev.to_org, "%s", to_org);
    sign(f, key, &ev);
    char reason[256] = "";
    int rc = ledger_rules_check(st, &ev, f->g, reason, sizeof reason);
    if (rc)
        fail_msg("%s by %s expected to be accepted, got %s: %s", ledger_action_name(a),
                 key < ORG_COUNT ? org_names[key] : "stranger", wb_strerror(rc), reason);
    ledger_rules_apply(st, &ev, f->g, height);
    return ev;
}

/* Checks an event that must be refused with a reason containing `want`. */
static void expect_refused(struct fx *f, const struct ledger_item_state *st,
                           struct ledger_event *ev, int key, const char *want)
{
    sign(f, key, ev);
    char reason[256] = "";
    int rc = ledger_rules_check(st, ev, f->g, reason, sizeof reason);
    if (rc != WB_ERR_RULE || !strstr(reason, want))
        fail_msg("%s: expected WB_ERR_RULE with reason containing \"%s\", got rc %d (%s), "
                 "reason \"%s\"",
                 ledger_action_name(ev->action), want, rc, wb_strerror(rc), reason);
}

static void assert_state(const struct ledger_item_state *st, const char *custodian,
                         enum ledger_item_status status, bool held, const char *transfer_to,
                         const char *seal, uint32_t count)
{
    if (strcmp(st->custodian, custodian) != 0 || st->status != status || st->held != held ||
        strcmp(st->transfer_to, transfer_to) != 0 || strcmp(st->seal, seal) != 0 ||
        st->count != count)
        fail_msg("state differs: got custodian '%s' status %d held %d transfer_to '%s' "
                 "seal '%s' count %u; want '%s' %d %d '%s' '%s' %u",
                 st->custodian, st->status, st->held, st->transfer_to, st->seal, st->count,
                 custodian, status, held, transfer_to, seal, count);
}

/* An item commissioned by acme (height 1). */
static struct ledger_item_state commissioned(struct fx *f)
{
    struct ledger_item_state st;
    memset(&st, 0, sizeof st);
    step(f, &st, K_ACME, LEDGER_COMMISSION, "NLRTM", NULL, NULL, NULL, 1);
    return st;
}

/* ---- accepted: the whole journey, every action once ------------------- */

static void full_journey_every_action(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st;
    memset(&st, 0, sizeof st);
    struct ledger_event ev;

    ev = step(f, &st, K_ACME, LEDGER_COMMISSION, "NLRTM", "hs_code", "850440", NULL, 1);
    assert_state(&st, "acme", LEDGER_ITEM_ACTIVE, false, "", "", 1);
    assert_string_equal(st.item, ITEM);
    assert_memory_equal(st.head, ev.id, WB_HASH_LEN);
    assert_int_equal(st.first_height, 1);

    step(f, &st, K_ACME, LEDGER_SEAL, NULL, "seal", "SL-1", NULL, 1);
    assert_state(&st, "acme", LEDGER_ITEM_ACTIVE, false, "", "SL-1", 2);
    step(f, &st, K_ACME, LEDGER_LOAD, "NLRTM", "vessel", "MAERSK ESSEX", NULL, 2);
    ev = step(f, &st, K_ACME, LEDGER_HANDOVER, NULL, NULL, NULL, "oceanic", 2);
    assert_state(&st, "acme", LEDGER_ITEM_IN_TRANSFER, false, "oceanic", "SL-1", 4);
    assert_memory_equal(st.head, ev.id, WB_HASH_LEN);
    step(f, &st, K_OCEANIC, LEDGER_RECEIVE, NULL, NULL, NULL, NULL, 3);
    assert_state(&st, "oceanic", LEDGER_ITEM_ACTIVE, false, "", "SL-1", 5);
    step(f, &st, K_OCEANIC, LEDGER_DEPART, "NLRTM", "voyage", "V042", NULL, 3);
    step(f, &st, K_OCEANIC, LEDGER_ARRIVE, "SGSIN", NULL, NULL, NULL, 4);
    step(f, &st, K_CUSTOMS, LEDGER_INSPECT, "SGSIN", "result", "ok", NULL, 4);
    step(f, &st, K_CUSTOMS, LEDGER_HOLD, NULL, NULL, NULL, NULL, 5);
    assert_state(&st, "oceanic", LEDGER_ITEM_ACTIVE, true, "", "SL-1", 9);
    step(f, &st, K_CUSTOMS, LEDGER_RELEASE, NULL, NULL, NULL, NULL, 5);
    assert_state(&st, "oceanic", LEDGER_ITEM_ACTIVE, false, "", "SL-1", 10);
    step(f, &st, K_CUSTOMS, LEDGER_CLEAR, NULL, "declaration", "SG-2026-0001", NULL, 6);
    step(f, &st, K_CUSTOMS, LEDGER_UNSEAL, NULL, NULL, NULL, NULL, 6);
    assert_state(&st, "oceanic", LEDGER_ITEM_ACTIVE, false, "", "", 12);
    step(f, &st, K_OCEANIC, LEDGER_UNLOAD, "SGSIN", NULL, NULL, NULL, 7);
    ev = step(f, &st, K_OCEANIC, LEDGER_DELIVER, "SGSIN", NULL, NULL, NULL, 7);
    assert_state(&st, "oceanic", LEDGER_ITEM_DELIVERED, false, "", "", 14);
    assert_memory_equal(st.head, ev.id, WB_HASH_LEN);
    assert_int_equal(st.first_height, 1);
    assert_int_equal(st.last_height, 7);
}

static void seal_by_customs_unseal_by_custodian(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    step(f, &st, K_CUSTOMS, LEDGER_SEAL, NULL, "seal", "CUS-9", NULL, 2);
    assert_state(&st, "acme", LEDGER_ITEM_ACTIVE, false, "", "CUS-9", 2);
    step(f, &st, K_ACME, LEDGER_UNSEAL, NULL, NULL, NULL, NULL, 2);
    assert_state(&st, "acme", LEDGER_ITEM_ACTIVE, false, "", "", 3);
}

static void inspect_discrepancy_accepted(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    step(f, &st, K_CUSTOMS, LEDGER_INSPECT, NULL, "result", "discrepancy", NULL, 2);
    assert_int_equal(st.count, 2);
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
    step(f, &st, K_CUSTOMS, LEDGER_UNSEAL, NULL, NULL, NULL, NULL, 4);
    step(f, &st, K_CUSTOMS, LEDGER_CLEAR, NULL, "declaration", "D-1", NULL, 4);
    assert_state(&st, "acme", LEDGER_ITEM_DELIVERED, false, "", "", 8);
}

static void customs_may_act_while_held(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    step(f, &st, K_CUSTOMS, LEDGER_HOLD, NULL, NULL, NULL, NULL, 2);
    step(f, &st, K_CUSTOMS, LEDGER_SEAL, NULL, "seal", "C-2", NULL, 2);
    step(f, &st, K_CUSTOMS, LEDGER_INSPECT, NULL, "result", "ok", NULL, 2);
    assert_state(&st, "acme", LEDGER_ITEM_ACTIVE, true, "", "C-2", 4);
}

/* ---- refused ---------------------------------------------------------- */

static void wrong_role_refused(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st;
    memset(&st, 0, sizeof st);
    struct ledger_event ev = mk_event(f, K_OCEANIC, LEDGER_COMMISSION, "NLRTM", &st);
    expect_refused(f, &st, &ev, K_OCEANIC,
                   "commission: only a shipper may commission an item; 'oceanic' has role "
                   "carrier");

    st = commissioned(f);
    ev = mk_event(f, K_ACME, LEDGER_INSPECT, NULL, &st);
    add_attr(&ev, "result", "ok");
    expect_refused(f, &st, &ev, K_ACME, "inspect: only customs may inspect; 'acme' has role "
                                        "shipper");
    ev = mk_event(f, K_OCEANIC, LEDGER_HOLD, NULL, &st);
    expect_refused(f, &st, &ev, K_OCEANIC, "hold: only customs may hold");
    ev = mk_event(f, K_AUDIT, LEDGER_RELEASE, NULL, &st);
    expect_refused(f, &st, &ev, K_AUDIT, "release: only customs may release; 'audit' has role "
                                         "auditor");
    ev = mk_event(f, K_ACME, LEDGER_CLEAR, NULL, &st);
    add_attr(&ev, "declaration", "D-1");
    expect_refused(f, &st, &ev, K_ACME, "clear: only customs may clear");
}

static void not_the_custodian_refused(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    static const enum ledger_action custodian_actions[] = {
        LEDGER_LOAD, LEDGER_DEPART, LEDGER_ARRIVE, LEDGER_UNLOAD, LEDGER_DELIVER};
    for (size_t i = 0; i < sizeof custodian_actions / sizeof custodian_actions[0]; i++) {
        struct ledger_event ev = mk_event(f, K_OCEANIC, custodian_actions[i], "NLRTM", &st);
        expect_refused(f, &st, &ev, K_OCEANIC, "'oceanic' is not the custodian of item " ITEM);
    }
    struct ledger_event ev = mk_event(f, K_OCEANIC, LEDGER_HANDOVER, NULL, &st);
    snprintf(ev.to_org, sizeof ev.to_org, "railco");
    expect_refused(f, &st, &ev, K_OCEANIC, "handover: 'oceanic' is not the custodian");
    /* customs is not custodian either: it may seal but not move */
    ev = mk_event(f, K_CUSTOMS, LEDGER_LOAD, "NLRTM", &st);
    expect_refused(f, &st, &ev, K_CUSTOMS, "only the custodian 'acme' may load it");
    ev = mk_event(f, K_RAILCO, LEDGER_SEAL, NULL, &st);
    add_attr(&ev, "seal", "X");
    expect_refused(f, &st, &ev, K_RAILCO, "seal: 'railco' is neither the custodian of item "
                                          ITEM " ('acme') nor customs");
}

static void item_on_hold_refused(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    step(f, &st, K_CUSTOMS, LEDGER_HOLD, NULL, NULL, NULL, NULL, 2);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_LOAD, "NLRTM", &st);
    expect_refused(f, &st, &ev, K_ACME, "load: item " ITEM " is on hold by customs");
    ev = mk_event(f, K_ACME, LEDGER_SEAL, NULL, &st);
    add_attr(&ev, "seal", "S");
    expect_refused(f, &st, &ev, K_ACME, "only customs may add events until it is released");
    ev = mk_event(f, K_CUSTOMS, LEDGER_HOLD, NULL, &st);
    expect_refused(f, &st, &ev, K_CUSTOMS, "hold: item " ITEM " is already on hold");
    step(f, &st, K_CUSTOMS, LEDGER_RELEASE, NULL, NULL, NULL, NULL, 3);
    ev = mk_event(f, K_CUSTOMS, LEDGER_RELEASE, NULL, &st);
    expect_refused(f, &st, &ev, K_CUSTOMS, "release: item " ITEM " is not on hold");
    step(f, &st, K_ACME, LEDGER_LOAD, "NLRTM", NULL, NULL, NULL, 3);
}

static void broken_prev_link_refused(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    char head[9];
    wb_hex_encode(st.head, 4, head, sizeof head);
    char want[96];

    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_LOAD, "NLRTM", &st);
    ev.prev[0] ^= 0x01;
    snprintf(want, sizeof want, "load: prev does not match the item's head %s...", head);
    expect_refused(f, &st, &ev, K_ACME, want);

    ev = mk_event(f, K_ACME, LEDGER_LOAD, "NLRTM", &st);
    ev.has_prev = false;
    memset(ev.prev, 0, sizeof ev.prev);
    snprintf(want, sizeof want, "load: prev is missing; it must be the item's head %s...",
             head);
    expect_refused(f, &st, &ev, K_ACME, want);

    struct ledger_item_state fresh;
    memset(&fresh, 0, sizeof fresh);
    ev = mk_event(f, K_ACME, LEDGER_COMMISSION, "NLRTM", &fresh);
    ev.has_prev = true;
    memset(ev.prev, 0xab, sizeof ev.prev);
    expect_refused(f, &fresh, &ev, K_ACME,
                   "commission: the first event of item " ITEM " must have no prev");
}

static void first_event_must_be_commission(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st;
    memset(&st, 0, sizeof st);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_LOAD, "NLRTM", &st);
    expect_refused(f, &st, &ev, K_ACME,
                   "load: item " ITEM " has not been commissioned; its first event must be "
                   "commission");
}

static void second_commission_refused(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_COMMISSION, "NLRTM", &st);
    expect_refused(f, &st, &ev, K_ACME, "commission: item " ITEM " was already commissioned");
    ev = mk_event(f, K_ACME, LEDGER_COMMISSION, "NLRTM", NULL);
    expect_refused(f, &st, &ev, K_ACME, "item " ITEM " was already commissioned");
}

static void receive_by_other_org_refused(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    struct ledger_event ev = mk_event(f, K_OCEANIC, LEDGER_RECEIVE, NULL, &st);
    expect_refused(f, &st, &ev, K_OCEANIC, "receive: no handover is pending for item " ITEM);

    step(f, &st, K_ACME, LEDGER_HANDOVER, NULL, NULL, NULL, "oceanic", 2);
    ev = mk_event(f, K_RAILCO, LEDGER_RECEIVE, NULL, &st);
    expect_refused(f, &st, &ev, K_RAILCO, "receive: item is being handed to 'oceanic', not "
                                          "'railco'");
    ev = mk_event(f, K_ACME, LEDGER_RECEIVE, NULL, &st);
    expect_refused(f, &st, &ev, K_ACME, "receive: item is being handed to 'oceanic', not "
                                        "'acme'");
    step(f, &st, K_OCEANIC, LEDGER_RECEIVE, NULL, NULL, NULL, NULL, 3);
    assert_state(&st, "oceanic", LEDGER_ITEM_ACTIVE, false, "", "", 3);
}

static void in_transfer_blocks_movement(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    step(f, &st, K_ACME, LEDGER_HANDOVER, NULL, NULL, NULL, "oceanic", 2);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_DEPART, "NLRTM", &st);
    expect_refused(f, &st, &ev, K_ACME, "depart: item " ITEM " is in transfer to 'oceanic'; "
                                        "'oceanic' must receive it first");
    ev = mk_event(f, K_ACME, LEDGER_HANDOVER, NULL, &st);
    snprintf(ev.to_org, sizeof ev.to_org, "railco");
    expect_refused(f, &st, &ev, K_ACME, "handover: item " ITEM " is in transfer to 'oceanic'");
    /* the receiver is not custodian until it receives */
    ev = mk_event(f, K_OCEANIC, LEDGER_LOAD, "NLRTM", &st);
    expect_refused(f, &st, &ev, K_OCEANIC, "'oceanic' is not the custodian");
    assert_string_equal(st.custodian, "acme");
}

static void movement_after_deliver_refused(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    step(f, &st, K_ACME, LEDGER_DELIVER, "NLRTM", NULL, NULL, NULL, 2);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_LOAD, "NLRTM", &st);
    expect_refused(f, &st, &ev, K_ACME, "load: item " ITEM " was delivered");
    ev = mk_event(f, K_ACME, LEDGER_DELIVER, "NLRTM", &st);
    expect_refused(f, &st, &ev, K_ACME, "deliver: item " ITEM " was delivered");
    ev = mk_event(f, K_ACME, LEDGER_SEAL, NULL, &st);
    add_attr(&ev, "seal", "S");
    expect_refused(f, &st, &ev, K_ACME, "after delivery only customs may add events");
    ev = mk_event(f, K_ACME, LEDGER_HANDOVER, NULL, &st);
    snprintf(ev.to_org, sizeof ev.to_org, "oceanic");
    expect_refused(f, &st, &ev, K_ACME, "handover: item " ITEM " was delivered");
}

static void missing_location_refused(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st;
    memset(&st, 0, sizeof st);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_COMMISSION, NULL, &st);
    expect_refused(f, &st, &ev, K_ACME, "commission: a location is required");
    st = commissioned(f);
    static const enum ledger_action moves[] = {LEDGER_LOAD, LEDGER_DEPART, LEDGER_ARRIVE,
                                               LEDGER_UNLOAD};
    for (size_t i = 0; i < 4; i++) {
        char want[64];
        snprintf(want, sizeof want, "%s: a location is required", ledger_action_name(moves[i]));
        ev = mk_event(f, K_ACME, moves[i], NULL, &st);
        expect_refused(f, &st, &ev, K_ACME, want);
    }
}

static void missing_attrs_refused(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_SEAL, NULL, &st);
    expect_refused(f, &st, &ev, K_ACME, "seal: attribute 'seal' (the seal id) is required");
    ev = mk_event(f, K_CUSTOMS, LEDGER_INSPECT, NULL, &st);
    expect_refused(f, &st, &ev, K_CUSTOMS, "inspect: attribute 'result' is required");
    ev = mk_event(f, K_CUSTOMS, LEDGER_INSPECT, NULL, &st);
    add_attr(&ev, "result", "fine");
    expect_refused(f, &st, &ev, K_CUSTOMS,
                   "inspect: attribute 'result' must be ok or discrepancy, not 'fine'");
    ev = mk_event(f, K_CUSTOMS, LEDGER_CLEAR, NULL, &st);
    expect_refused(f, &st, &ev, K_CUSTOMS, "clear: attribute 'declaration'");
    ev = mk_event(f, K_ACME, LEDGER_UNSEAL, NULL, &st);
    expect_refused(f, &st, &ev, K_ACME, "unseal: item " ITEM " is not sealed");
    step(f, &st, K_ACME, LEDGER_SEAL, NULL, "seal", "S-1", NULL, 2);
    ev = mk_event(f, K_ACME, LEDGER_SEAL, NULL, &st);
    add_attr(&ev, "seal", "S-2");
    expect_refused(f, &st, &ev, K_ACME, "seal: item " ITEM " is already sealed with 'S-1'");
}

static void unknown_submitter_refused(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st;
    memset(&st, 0, sizeof st);
    struct ledger_event ev = mk_event(f, K_STRANGER, LEDGER_COMMISSION, "NLRTM", &st);
    char want[96], key[9];
    snprintf(want, sizeof want, "commission: submitter key %s... is not a member key",
             wb_hex_encode(f->pk[K_STRANGER], 4, key, sizeof key));
    expect_refused(f, &st, &ev, K_STRANGER, want);
}

static void handover_target_refused(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_HANDOVER, NULL, &st);
    snprintf(ev.to_org, sizeof ev.to_org, "acme");
    expect_refused(f, &st, &ev, K_ACME, "handover: 'acme' is already the custodian");
    ev = mk_event(f, K_ACME, LEDGER_HANDOVER, NULL, &st);
    snprintf(ev.to_org, sizeof ev.to_org, "nobody");
    expect_refused(f, &st, &ev, K_ACME, "handover: 'nobody' is not a member organisation");
    ev = mk_event(f, K_ACME, LEDGER_HANDOVER, NULL, &st);
    expect_refused(f, &st, &ev, K_ACME, "handover: to_org must name the receiving member");
    ev = mk_event(f, K_ACME, LEDGER_LOAD, "NLRTM", &st);
    snprintf(ev.to_org, sizeof ev.to_org, "oceanic");
    expect_refused(f, &st, &ev, K_ACME, "load: to_org is only for handover");
}

static void item_mismatch_refused(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_LOAD, "NLRTM", &st);
    snprintf(ev.item, sizeof ev.item, "urn:epc:id:sscc:0614141.1234567890");
    expect_refused(f, &st, &ev, K_ACME,
                   "load: the event is for item urn:epc:id:sscc:0614141.1234567890 but the "
                   "state given is of item " ITEM);
}

static void item_state_round_trip(void **state)
{
    struct fx *f = *state;
    struct ledger_item_state st = commissioned(f);
    step(f, &st, K_ACME, LEDGER_SEAL, NULL, "seal", "SL-77", NULL, 4);
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
    assert_state(&back, "acme", LEDGER_ITEM_IN_TRANSFER, true, "oceanic", "SL-77", 4);
    assert_int_equal(back.first_height, 1);
    assert_int_equal(back.last_height, 6);

    assert_int_equal(ledger_item_state_encode(&st, buf, 10, &len), WB_ERR_TOO_LARGE);
    const uint8_t junk[] = {0xff, 0xff, 0xff};
    assert_int_equal(ledger_item_state_decode(junk, sizeof junk, &back), WB_ERR_DECODE);
    /* a head that is not 32 bytes: field 2, length 3 */
    const uint8_t short_head[] = {0x12, 0x03, 1, 2, 3};
    assert_int_equal(ledger_item_state_decode(short_head, sizeof short_head, &back),
                     WB_ERR_DECODE);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(full_journey_every_action),
        T(seal_by_customs_unseal_by_custodian),
        T(inspect_discrepancy_accepted),
        T(customs_may_act_after_delivery),
        T(customs_may_act_while_held),
        T(wrong_role_refused),
        T(not_the_custodian_refused),
        T(item_on_hold_refused),
        T(broken_prev_link_refused),
        T(first_event_must_be_commission),
        T(second_commission_refused),
        T(receive_by_other_org_refused),
        T(in_transfer_blocks_movement),
        T(movement_after_deliver_refused),
        T(missing_location_refused),
        T(missing_attrs_refused),
        T(unknown_submitter_refused),
        T(handover_target_refused),
        T(item_mismatch_refused),
        T(item_state_round_trip),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
