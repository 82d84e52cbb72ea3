/* Unit tests of ledger/evidence.c: journeys whose events pass the ledger
 * rules (checked here, then fed to the evidence as a verifier feeds them):
 * an e-seal armed at stuffing, intact en route and opened after unload
 * with no unseal is one TAMPER naming the custodian then and the device's
 * owner; an authorised unseal covers it, one too early or too late does
 * not; 'tampered' is always a finding; the custodian named is the one at
 * the observation's time; plan versions are kept; a 30-day tracker's 8,640
 * readings are summarised; what add relies on is checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include <sodium.h>

#include "common/hex.h"
#include "common/wb_error.h"
#include "ledger/device.h"
#include "ledger/event.h"
#include "ledger/evidence.h"
#include "ledger/genesis.h"
#include "ledger/gov.h"
#include "ledger/plan.h"
#include "ledger/rules.h"

#define ITEM "CSQU3054383"
#define T0 INT64_C(1795305600000) /* 2026-11-22T00:00:00Z */
#define MIN_MS INT64_C(60000)
#define HOUR_MS INT64_C(3600000)
#define DAY_MS INT64_C(86400000)
#define ESEAL_NUMBER "CSQU3054383-S1"

enum { K_ACME, K_OCEANIC, K_CUSTOMS, K_ESEAL, K_TRACKER, K_COUNT };
#define ORG_COUNT 3
static const char *const org_names[ORG_COUNT] = {"acme", "oceanic", "customs"};
static const enum ledger_role org_roles[ORG_COUNT] = {LEDGER_ROLE_SHIPPER, LEDGER_ROLE_CARRIER,
                                                      LEDGER_ROLE_CUSTOMS};

struct fx {
    struct ledger_genesis *g;
    struct ledger_gov *gov;
    uint8_t pk[K_COUNT][WB_PUBKEY_LEN];
    uint8_t sk[K_COUNT][WB_SECKEY_LEN];
    struct ledger_item_state st;          /* the item as the rules see it */
    struct ledger_evidence ev;
    uint64_t seq[K_COUNT];                /* each device's last report seq */
    uint64_t height;
    uint64_t nonce;
    int64_t clock;                        /* time of the next event */
    bool blind;                           /* feed the evidence without a registry */
};

/* Registers device key k as acme's at height 1. */
static int fx_register(struct fx *f, int k, const char *kind, const char *serial,
                       const char *seal)
{
    struct ledger_event ev;
    memset(&ev, 0, sizeof ev);
    struct ledger_gov_action ga;
    memset(&ga, 0, sizeof ga);
    ga.action = LEDGER_DEVICE_REGISTER;
    memcpy(ga.key, f->pk[k], WB_PUBKEY_LEN);
    ga.device_kind = ledger_device_kind_parse(kind);
    snprintf(ga.serial, sizeof ga.serial, "%s", serial);
    snprintf(ga.seal, sizeof ga.seal, "%s", seal ? seal : "");
    char msg[256] = "";
    if (ledger_gov_action_encode(&ga, &ev, msg, sizeof msg)) return -1;
    memcpy(ev.submitter, f->pk[K_ACME], WB_PUBKEY_LEN);
    ev.time_ms = T0 - DAY_MS;
    ev.nonce = (uint64_t)k;
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
    f->gov = calloc(1, sizeof *f->gov);
    if (!f->g || !f->gov) return -1;
    for (int k = 0; k < K_COUNT; k++) {
        uint8_t seed[32] = {(uint8_t)(k + 1), 0xe5};
        if (crypto_sign_seed_keypair(f->pk[k], f->sk[k], seed) != 0) return -1;
    }
    struct ledger_genesis *g = f->g;
    snprintf(g->chain_name, sizeof g->chain_name, "evidence-test");
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
    g->validator_count = 1;
    snprintf(g->validators[0].name, sizeof g->validators[0].name, "node0");
    snprintf(g->validators[0].org, sizeof g->validators[0].org, "acme");
    memcpy(g->validators[0].key, f->pk[K_ACME], WB_PUBKEY_LEN);
    if (ledger_gov_init(f->gov, g) ||
        fx_register(f, K_ESEAL, "eseal", "ES-1", ESEAL_NUMBER) ||
        fx_register(f, K_TRACKER, "tracker", "TR-1", NULL))
        return -1;
    if (ledger_evidence_init(&f->ev) != WB_OK) return -1;
    f->clock = T0;
    f->height = 1;
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    ledger_evidence_free(&f->ev);
    ledger_gov_free(f->gov);
    free(f->gov);
    free(f->g);
    free(f);
    return 0;
}

/* ---- making events ---------------------------------------------------------- */

static struct ledger_event mk_event(struct fx *f, int key, enum ledger_action a, const char *loc)
{
    struct ledger_event ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.item, sizeof ev.item, "%s", ITEM);
    ev.action = a;
    if (loc) snprintf(ev.location, sizeof ev.location, "%s", loc);
    ev.time_ms = f->clock;
    memcpy(ev.submitter, f->pk[key], WB_PUBKEY_LEN);
    if (f->st.count > 0) {
        ev.has_prev = true;
        memcpy(ev.prev, f->st.head, WB_HASH_LEN);
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

/* Signs ev, checks it with the rules (reference time: its own), applies it
 * and feeds it to the evidence; the clock moves on by `then_ms`. */
static void accept(struct fx *f, int key, struct ledger_event *ev, int64_t then_ms)
{
    uint8_t buf[WB_SIGNED_EVENT_MAX];
    size_t len;
    int rc = ledger_event_sign(f->g->chain_id, ev, f->sk[key], buf, sizeof buf, &len);
    if (rc) fail_msg("ledger_event_sign: %s", wb_strerror(rc));
    char reason[512] = "";
    rc = ledger_rules_check(&f->st, ev, f->g, f->gov, ev->time_ms, reason, sizeof reason, NULL);
    if (rc)
        fail_msg("%s by %s refused by the rules: %s", ledger_action_name(ev->action),
                 key < ORG_COUNT ? org_names[key] : "a device", reason);
    ledger_rules_apply(&f->st, ev, f->g, f->height);
    char msg[256] = "";
    rc = ledger_evidence_add(&f->ev, ev, f->height, f->g, f->blind ? NULL : f->gov, msg,
                             sizeof msg);
    if (rc) fail_msg("ledger_evidence_add(%s): %s: %s", ledger_action_name(ev->action),
                     wb_strerror(rc), msg);
    f->height++;
    f->clock += then_ms;
}

/* One event of `key` (attribute k=v when k is set, to_org when to is). */
static void step(struct fx *f, int key, enum ledger_action a, const char *loc, const char *k,
                 const char *v, const char *to)
{
    struct ledger_event ev = mk_event(f, key, a, loc);
    if (k) add_attr(&ev, k, v);
    if (to) snprintf(ev.to_org, sizeof ev.to_org, "%s", to);
    accept(f, key, &ev, HOUR_MS);
}

static void attach(struct fx *f, int key, int dev)
{
    char h[2 * WB_PUBKEY_LEN + 1];
    step(f, key, LEDGER_DEVICE_ATTACH, NULL, "device",
         wb_hex_encode(f->pk[dev], WB_PUBKEY_LEN, h, sizeof h), NULL);
}

/* A report of device `dev` with n observations, carried by the gateway of
 * `gateway` at the clock's time. */
static void report(struct fx *f, int gateway, int dev, enum ledger_action kind,
                   const struct ledger_device_obs *obs, size_t n)
{
    struct ledger_event ev = mk_event(f, gateway, kind, NULL);
    struct ledger_device_report *r = calloc(1, sizeof *r);
    assert_non_null(r);
    memcpy(r->device, f->pk[dev], WB_PUBKEY_LEN);
    snprintf(r->item, sizeof r->item, "%s", ITEM);
    r->kind = kind;
    r->seq = ++f->seq[dev];
    r->obs_count = n;
    memcpy(r->obs, obs, n * sizeof obs[0]);
    uint8_t bytes[WB_DEVICE_REPORT_MAX], sig[WB_SIG_LEN];
    size_t len = 0;
    char msg[256] = "";
    if (ledger_device_report_encode(r, bytes, sizeof bytes, &len, msg, sizeof msg))
        fail_msg("report encode: %s", msg);
    assert_int_equal(ledger_device_report_sign(f->g->chain_id, bytes, len, f->sk[dev], sig),
                     WB_OK);
    assert_int_equal(ledger_device_report_wrap(&ev, r, bytes, len, sig), WB_OK);
    free(r);
    accept(f, gateway, &ev, HOUR_MS);
}

/* A one-observation seal report, observed `ago_ms` before it is carried. */
static void seal_report(struct fx *f, int gateway, enum ledger_seal_state s, int64_t ago_ms)
{
    struct ledger_device_obs o;
    memset(&o, 0, sizeof o);
    o.time_ms = f->clock - ago_ms;
    o.seal_state = s;
    if (s == LEDGER_SEAL_ARMED) snprintf(o.seal, sizeof o.seal, "%s", ESEAL_NUMBER);
    report(f, gateway, K_ESEAL, LEDGER_SEAL_STATUS, &o, 1);
}

/* Commission by acme at NLRTM, the e-seal attached and armed at stuffing,
 * the item sealed with the e-seal's number, handed to oceanic and
 * received: oceanic is the custodian from here. */
static void stuffed_and_handed(struct fx *f)
{
    step(f, K_ACME, LEDGER_COMMISSION, "NLRTM", NULL, NULL, NULL);
    attach(f, K_ACME, K_ESEAL);
    seal_report(f, K_ACME, LEDGER_SEAL_ARMED, 10 * MIN_MS);
    step(f, K_ACME, LEDGER_SEAL, NULL, "seal", ESEAL_NUMBER, NULL);
    step(f, K_ACME, LEDGER_HANDOVER, NULL, NULL, NULL, "oceanic");
    step(f, K_OCEANIC, LEDGER_RECEIVE, NULL, NULL, NULL, NULL);
}

/* ... loaded, en route with intact reports, arrived and unloaded at SGSIN. */
static void voyage(struct fx *f)
{
    step(f, K_OCEANIC, LEDGER_LOAD, "NLRTM", NULL, NULL, NULL);
    step(f, K_OCEANIC, LEDGER_DEPART, "NLRTM", NULL, NULL, NULL);
    seal_report(f, K_OCEANIC, LEDGER_SEAL_INTACT, 5 * MIN_MS);
    seal_report(f, K_OCEANIC, LEDGER_SEAL_INTACT, 5 * MIN_MS);
    step(f, K_OCEANIC, LEDGER_ARRIVE, "SGSIN", NULL, NULL, NULL);
    step(f, K_OCEANIC, LEDGER_UNLOAD, "SGSIN", NULL, NULL, NULL);
}

static void expect_in(const char *what, const char *text, const char *want)
{
    if (!strstr(text, want)) fail_msg("%s lacks \"%s\"; it was: %s", what, want, text);
}

static void expect_findings(const struct ledger_evidence *e, size_t n)
{
    if (e->finding_count == n) return;
    fail_msg("expected %zu findings, got %zu%s%s", n, e->finding_count,
             e->finding_count ? "; the first: " : "",
             e->finding_count ? e->findings[0].reason : "");
}

/* ---- tests ---------------------------------------------------------------------- */

/* Armed at stuffing, intact twice en route, opened after the unload with
 * no unseal: one TAMPER naming oceanic (the custodian then) and acme (the
 * device's owner), the seal, the time and the report event. */
static void opened_after_unload_without_unseal(void **state)
{
    struct fx *f = *state;
    stuffed_and_handed(f);
    voyage(f);
    int64_t opened_at = f->clock - 2 * MIN_MS;
    seal_report(f, K_OCEANIC, LEDGER_SEAL_OPENED, 2 * MIN_MS);
    const uint8_t *report_id = f->st.head;
    ledger_evidence_finish(&f->ev);
    struct ledger_evidence *e = &f->ev;
    assert_int_equal(e->report_count, 4);
    assert_int_equal(e->obs_count, 4);
    assert_int_equal(e->device_count, 1);
    assert_true(e->devices[0].known);
    assert_string_equal(e->devices[0].owner, "acme");
    assert_string_equal(e->devices[0].serial, "ES-1");
    expect_findings(e, 1);
    const struct ledger_evidence_finding *x = &e->findings[0];
    assert_int_equal(x->kind, LEDGER_FINDING_TAMPER);
    assert_string_equal(ledger_evidence_finding_name(x->kind), "TAMPER");
    assert_int_equal(x->state, LEDGER_SEAL_OPENED);
    assert_string_equal(x->custodian, "oceanic");
    assert_string_equal(x->owner, "acme");
    assert_string_equal(x->seal, ESEAL_NUMBER);
    assert_true(x->armed);
    assert_true(x->time_ms == opened_at);
    assert_memory_equal(x->event, report_id, WB_HASH_LEN);
    char when[LEDGER_TIME_MAX];
    char want[256];
    snprintf(want, sizeof want, "seal " ESEAL_NUMBER " reported opened at %s while in the custody "
                                "of 'oceanic' with no unseal",
             ledger_time_format(opened_at, when));
    expect_in("reason", x->reason, want);
    expect_in("reason", x->reason, "device ES-1 (eseal) owned by 'acme'");
    /* Every observation names the custodian at its time: acme at the
     * arming, oceanic from the receive on. */
    assert_string_equal(ledger_evidence_custodian(e, e->obs[0].custodian), "acme");
    for (size_t i = 1; i < 4; i++)
        assert_string_equal(ledger_evidence_custodian(e, e->obs[i].custodian), "oceanic");
    char text[WB_EVIDENCE_TEXT_MAX];
    assert_string_equal(ledger_evidence_obs_text(e, &e->obs[0], text, sizeof text),
                        "armed, seal " ESEAL_NUMBER);
    assert_string_equal(ledger_evidence_obs_text(e, &e->obs[3], text, sizeof text), "opened");
    /* Reports are evidence, never gates: the opening was accepted. */
    assert_string_equal(f->st.custodian, "oceanic");
}

/* The same journey with an unseal by the custodian: no finding, whether
 * the unseal was recorded before the report or after it (within the
 * grace). */
static void authorised_unseal_covers_the_opening(void **state)
{
    struct fx *f = *state;
    stuffed_and_handed(f);
    voyage(f);
    step(f, K_OCEANIC, LEDGER_UNSEAL, NULL, "seal", ESEAL_NUMBER, NULL);
    seal_report(f, K_OCEANIC, LEDGER_SEAL_OPENED, 30 * MIN_MS);
    ledger_evidence_finish(&f->ev);
    expect_findings(&f->ev, 0);
    assert_int_equal(f->ev.unseal_count, 1);
}

static void unseal_recorded_after_the_report_covers_it(void **state)
{
    struct fx *f = *state;
    stuffed_and_handed(f);
    voyage(f);
    /* Opened 5 min before the report; the unseal, by customs, dated 55 min
     * after the opening, is written later in the chain. */
    seal_report(f, K_OCEANIC, LEDGER_SEAL_OPENED, 5 * MIN_MS);
    f->clock = f->ev.findings[0].time_ms + 55 * MIN_MS;
    step(f, K_CUSTOMS, LEDGER_UNSEAL, NULL, "seal", ESEAL_NUMBER, NULL);
    ledger_evidence_finish(&f->ev);
    expect_findings(&f->ev, 0);
}

/* The grace bound itself: an unseal dated exactly 1 h after the opening
 * covers it, 1 ms later does not. */
static void unseal_too_late(void **state)
{
    struct fx *f = *state;
    stuffed_and_handed(f);
    voyage(f);
    seal_report(f, K_OCEANIC, LEDGER_SEAL_OPENED, 5 * MIN_MS);
    int64_t opened_at = f->ev.findings[0].time_ms;
    f->clock = opened_at + WB_EVIDENCE_UNSEAL_GRACE_MS + 1;
    step(f, K_OCEANIC, LEDGER_UNSEAL, NULL, "seal", ESEAL_NUMBER, NULL);
    ledger_evidence_finish(&f->ev);
    expect_findings(&f->ev, 1);
    assert_string_equal(f->ev.findings[0].custodian, "oceanic");
    expect_in("reason", f->ev.findings[0].reason, "and 1 h after the opening");
}

static void unseal_at_the_grace_bound(void **state)
{
    struct fx *f = *state;
    stuffed_and_handed(f);
    voyage(f);
    seal_report(f, K_OCEANIC, LEDGER_SEAL_OPENED, 5 * MIN_MS);
    f->clock = f->ev.findings[0].time_ms + WB_EVIDENCE_UNSEAL_GRACE_MS;
    step(f, K_OCEANIC, LEDGER_UNSEAL, NULL, "seal", ESEAL_NUMBER, NULL);
    ledger_evidence_finish(&f->ev);
    expect_findings(&f->ev, 0);
}

/* An unseal before the arming belongs to an earlier sealing: it covers
 * nothing after the seal was armed again. */
static void unseal_too_early(void **state)
{
    struct fx *f = *state;
    step(f, K_ACME, LEDGER_COMMISSION, "NLRTM", NULL, NULL, NULL);
    attach(f, K_ACME, K_ESEAL);
    step(f, K_ACME, LEDGER_SEAL, NULL, "seal", "OLD-1", NULL);
    step(f, K_ACME, LEDGER_UNSEAL, NULL, "seal", "OLD-1", NULL);
    seal_report(f, K_ACME, LEDGER_SEAL_ARMED, 1 * MIN_MS);
    step(f, K_ACME, LEDGER_SEAL, NULL, "seal", ESEAL_NUMBER, NULL);
    seal_report(f, K_ACME, LEDGER_SEAL_OPENED, 1 * MIN_MS);
    ledger_evidence_finish(&f->ev);
    expect_findings(&f->ev, 1);
    assert_string_equal(f->ev.findings[0].custodian, "acme");
    expect_in("reason", f->ev.findings[0].reason, "no unseal between its arming at");
}

/* Without an 'armed' observation the arming is the attach: an unseal
 * before it covers nothing, one after it does. */
static void arming_is_the_attach_without_armed(void **state)
{
    struct fx *f = *state;
    step(f, K_ACME, LEDGER_COMMISSION, "NLRTM", NULL, NULL, NULL);
    step(f, K_ACME, LEDGER_SEAL, NULL, "seal", "OLD-1", NULL);
    step(f, K_ACME, LEDGER_UNSEAL, NULL, "seal", "OLD-1", NULL);
    attach(f, K_ACME, K_ESEAL);
    seal_report(f, K_ACME, LEDGER_SEAL_OPENED, 1 * MIN_MS);
    ledger_evidence_finish(&f->ev);
    expect_findings(&f->ev, 1);
    assert_false(f->ev.findings[0].armed);
    /* No number observed or armed: the registered one is named. */
    assert_string_equal(f->ev.findings[0].seal, ESEAL_NUMBER);
    expect_in("reason", f->ev.findings[0].reason, "between the device's attachment at");
}

/* 'tampered' is a finding even with an unseal right before it. */
static void tampered_always_a_finding(void **state)
{
    struct fx *f = *state;
    stuffed_and_handed(f);
    voyage(f);
    step(f, K_OCEANIC, LEDGER_UNSEAL, NULL, "seal", ESEAL_NUMBER, NULL);
    seal_report(f, K_OCEANIC, LEDGER_SEAL_TAMPERED, 30 * MIN_MS);
    ledger_evidence_finish(&f->ev);
    expect_findings(&f->ev, 1);
    assert_int_equal(f->ev.findings[0].state, LEDGER_SEAL_TAMPERED);
    expect_in("reason", f->ev.findings[0].reason,
              "seal " ESEAL_NUMBER " reported tampered at ");
    expect_in("reason", f->ev.findings[0].reason,
              "while in the custody of 'oceanic'; device ES-1 (eseal) owned by 'acme'");
}

/* Repeated 'opened' reports of one opening are one finding; armed again
 * and opened again is a second. */
static void one_finding_per_opening(void **state)
{
    struct fx *f = *state;
    stuffed_and_handed(f);
    seal_report(f, K_OCEANIC, LEDGER_SEAL_OPENED, 1 * MIN_MS);
    seal_report(f, K_OCEANIC, LEDGER_SEAL_OPENED, 1 * MIN_MS);
    seal_report(f, K_OCEANIC, LEDGER_SEAL_ARMED, 1 * MIN_MS);
    seal_report(f, K_OCEANIC, LEDGER_SEAL_OPENED, 1 * MIN_MS);
    ledger_evidence_finish(&f->ev);
    expect_findings(&f->ev, 2);
    assert_true(f->ev.findings[1].arming_ms > f->ev.findings[0].time_ms);
}

/* The custodian named is the one at the observation's time: a report
 * carried after the receive, of an opening while acme still held the item
 * (the handover pending), names acme; the later one names oceanic. */
static void custodian_at_observation_time(void **state)
{
    struct fx *f = *state;
    step(f, K_ACME, LEDGER_COMMISSION, "NLRTM", NULL, NULL, NULL);
    attach(f, K_ACME, K_ESEAL);
    seal_report(f, K_ACME, LEDGER_SEAL_ARMED, 10 * MIN_MS);
    int64_t intact_at = f->clock + 10 * MIN_MS;
    step(f, K_ACME, LEDGER_HANDOVER, NULL, NULL, NULL, "oceanic");
    int64_t opened_at = f->clock - 10 * MIN_MS; /* after the handover, before the receive */
    step(f, K_OCEANIC, LEDGER_RECEIVE, NULL, NULL, NULL, NULL);
    struct ledger_device_obs o[2];
    memset(o, 0, sizeof o);
    o[0].time_ms = intact_at;
    o[0].seal_state = LEDGER_SEAL_INTACT;
    o[1].time_ms = opened_at;
    o[1].seal_state = LEDGER_SEAL_OPENED;
    report(f, K_OCEANIC, K_ESEAL, LEDGER_SEAL_STATUS, o, 2);
    seal_report(f, K_OCEANIC, LEDGER_SEAL_OPENED, 1 * MIN_MS);
    ledger_evidence_finish(&f->ev);
    struct ledger_evidence *e = &f->ev;
    assert_string_equal(e->state.custodian, "oceanic");
    expect_findings(e, 1);
    assert_string_equal(e->findings[0].custodian, "acme");
    expect_in("reason", e->findings[0].reason, "in the custody of 'acme'");
    assert_int_equal(e->obs_count, 4);
    assert_string_equal(ledger_evidence_custodian(e, e->obs[1].custodian), "acme");
    assert_string_equal(ledger_evidence_custodian(e, e->obs[2].custodian), "acme");
    assert_string_equal(ledger_evidence_custodian(e, e->obs[3].custodian), "oceanic");
    /* The report's summary: both observations while acme held it. */
    assert_string_equal(ledger_evidence_custodian(e, e->reports[1].custodian_first), "acme");
    assert_string_equal(ledger_evidence_custodian(e, e->reports[1].custodian_last), "acme");
    assert_string_equal(e->reports[1].gateway, "oceanic");
    assert_int_equal(e->custody_count, 2);
}

/* Every plan_set is a version, kept with who set it, when and its stops. */
static void plan_versions_kept(void **state)
{
    struct fx *f = *state;
    step(f, K_ACME, LEDGER_COMMISSION, "NLRTM", NULL, NULL, NULL);
    const char *stop1 = "NLRTM 2026-11-23T00:00:00Z 2026-11-24T00:00:00Z sea";
    const char *stop2 = "SGSIN 2026-12-20T00:00:00Z 2026-12-22T00:00:00Z -";
    struct ledger_event ev = mk_event(f, K_ACME, LEDGER_PLAN_SET, NULL);
    add_attr(&ev, "corridor_km", "200");
    add_attr(&ev, "stop1", stop1);
    add_attr(&ev, "stop2", stop2);
    accept(f, K_ACME, &ev, HOUR_MS);
    step(f, K_ACME, LEDGER_HANDOVER, NULL, NULL, NULL, "oceanic");
    step(f, K_OCEANIC, LEDGER_RECEIVE, NULL, NULL, NULL, NULL);
    int64_t second_at = f->clock;
    ev = mk_event(f, K_OCEANIC, LEDGER_PLAN_SET, NULL);
    add_attr(&ev, "corridor_km", "300");
    add_attr(&ev, "stop1", stop1);
    add_attr(&ev, "stop2", "SGSIN 2026-12-21T00:00:00Z 2026-12-23T00:00:00Z rail");
    add_attr(&ev, "stop3", "MYPKG 2026-12-24T00:00:00Z 2026-12-25T00:00:00Z -");
    accept(f, K_OCEANIC, &ev, HOUR_MS);
    ledger_evidence_finish(&f->ev);
    struct ledger_evidence *e = &f->ev;
    assert_int_equal(e->plan_count, 2);
    assert_string_equal(e->plans[0].set_by, "acme");
    assert_int_equal(e->plans[0].plan.corridor_km, 200);
    assert_int_equal(e->plans[0].plan.stop_count, 2);
    assert_int_equal(e->plans[0].event_no, 1);
    assert_string_equal(e->plans[1].set_by, "oceanic");
    assert_int_equal(e->plans[1].plan.corridor_km, 300);
    assert_int_equal(e->plans[1].plan.stop_count, 3);
    assert_string_equal(e->plans[1].plan.stops[2].locode, "MYPKG");
    assert_int_equal(e->plans[1].plan.stops[1].leg_mode, LEDGER_MODE_RAIL);
    assert_true(e->plans[1].time_ms == second_at);
    assert_int_equal(e->plans[1].height, 5);
    expect_findings(e, 0);
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* A tracker reading every 5 minutes for 30 days: 8,640 readings in
 * batches of WB_DEVICE_OBS_MAX, summarised per report, every one kept
 * (48 bytes each), well under 200 ms to build. */
static void tracker_30_days(void **state)
{
    struct fx *f = *state;
    enum { N = 8640 };
    step(f, K_ACME, LEDGER_COMMISSION, "NLRTM", NULL, NULL, NULL);
    attach(f, K_ACME, K_TRACKER);
    int64_t start = f->clock;
    /* Build and check the events first, then time the evidence alone. */
    struct ledger_event *evs = calloc(N / WB_DEVICE_OBS_MAX + 1, sizeof *evs);
    struct ledger_device_report *r = calloc(1, sizeof *r);
    assert_non_null(evs);
    assert_non_null(r);
    size_t n_ev = 0;
    for (size_t done = 0; done < N; n_ev++) {
        size_t n = N - done < WB_DEVICE_OBS_MAX ? N - done : WB_DEVICE_OBS_MAX;
        memset(r, 0, sizeof *r);
        memcpy(r->device, f->pk[K_TRACKER], WB_PUBKEY_LEN);
        snprintf(r->item, sizeof r->item, "%s", ITEM);
        r->kind = LEDGER_READING;
        r->seq = n_ev + 1;
        r->obs_count = n;
        for (size_t k = 0; k < n; k++) {
            r->obs[k].time_ms = start + 5 * MIN_MS * (int64_t)(done + k);
            r->obs[k].measure = LEDGER_MEASURE_TEMPERATURE;
            r->obs[k].value_milli = 4000 + (int64_t)((done + k) % 100) * 10 - 500;
        }
        f->clock = r->obs[n - 1].time_ms + MIN_MS;
        struct ledger_event *ev = &evs[n_ev];
        *ev = mk_event(f, K_OCEANIC, LEDGER_READING, NULL);
        uint8_t bytes[WB_DEVICE_REPORT_MAX], sig[WB_SIG_LEN];
        size_t len = 0;
        char msg[256] = "";
        if (ledger_device_report_encode(r, bytes, sizeof bytes, &len, msg, sizeof msg))
            fail_msg("report encode: %s", msg);
        assert_int_equal(ledger_device_report_sign(f->g->chain_id, bytes, len, f->sk[K_TRACKER],
                                                   sig),
                         WB_OK);
        assert_int_equal(ledger_device_report_wrap(ev, r, bytes, len, sig), WB_OK);
        uint8_t buf[WB_SIGNED_EVENT_MAX];
        size_t blen;
        assert_int_equal(ledger_event_sign(f->g->chain_id, ev, f->sk[K_OCEANIC], buf, sizeof buf,
                                           &blen),
                         WB_OK);
        char reason[512] = "";
        if (ledger_rules_check(&f->st, ev, f->g, f->gov, ev->time_ms, reason, sizeof reason, NULL))
            fail_msg("reading report %zu refused: %s", n_ev, reason);
        ledger_rules_apply(&f->st, ev, f->g, f->height + n_ev);
        done += n;
    }
    assert_int_equal(n_ev, 68);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char msg[256] = "";
    for (size_t i = 0; i < n_ev; i++)
        if (ledger_evidence_add(&f->ev, &evs[i], f->height + i, f->g, f->gov, msg, sizeof msg))
            fail_msg("ledger_evidence_add: %s", msg);
    ledger_evidence_finish(&f->ev);
    double took = ms_since(&t0);
    struct ledger_evidence *e = &f->ev;
    assert_int_equal(e->report_count, 68);
    assert_int_equal(e->obs_total, N);
    assert_int_equal(e->obs_count, N);
    assert_int_equal(e->obs_dropped, 0);
    assert_int_equal(e->reports[0].obs_count, WB_DEVICE_OBS_MAX);
    assert_int_equal(e->reports[67].obs_count, N - 67 * WB_DEVICE_OBS_MAX);
    assert_int_equal(e->reports[0].min_milli, 3500);
    assert_int_equal(e->reports[0].max_milli, 4490);
    assert_false(e->reports[0].measure_mixed);
    assert_true(e->reports[67].last_ms == start + 5 * MIN_MS * (N - 1));
    assert_string_equal(ledger_evidence_custodian(e, e->obs[N - 1].custodian), "acme");
    char text[WB_EVIDENCE_TEXT_MAX];
    assert_string_equal(ledger_evidence_obs_text(e, &e->obs[0], text, sizeof text),
                        "temperature 3.5 C");
    expect_findings(e, 0);
    if (took >= 200.0) fail_msg("8,640 readings took %.1f ms, not well under 200 ms", took);
    print_message("evidence of 8,640 readings in 68 reports: %.2f ms\n", took);
    free(r);
    free(evs);
}

/* Positions in human units. */
static void position_text(void **state)
{
    struct fx *f = *state;
    step(f, K_ACME, LEDGER_COMMISSION, "NLRTM", NULL, NULL, NULL);
    attach(f, K_ACME, K_TRACKER);
    struct ledger_device_obs o[2];
    memset(o, 0, sizeof o);
    o[0].time_ms = f->clock - 2 * MIN_MS;
    o[0].lat_e6 = 51916667;
    o[0].lon_e6 = 4500000;
    o[0].accuracy_m = 20;
    snprintf(o[0].locode, sizeof o[0].locode, "NLRTM");
    o[1].time_ms = f->clock - MIN_MS;
    o[1].lat_e6 = -33865143;
    o[1].lon_e6 = -500;
    report(f, K_ACME, K_TRACKER, LEDGER_POSITION, o, 2);
    ledger_evidence_finish(&f->ev);
    char text[WB_EVIDENCE_TEXT_MAX];
    assert_string_equal(ledger_evidence_obs_text(&f->ev, &f->ev.obs[0], text, sizeof text),
                        "51.916667, 4.500000 (accuracy 20 m) at NLRTM");
    assert_string_equal(ledger_evidence_obs_text(&f->ev, &f->ev.obs[1], text, sizeof text),
                        "-33.865143, -0.000500");
    char v[32];
    assert_string_equal(ledger_evidence_milli_text(-1250, v, sizeof v), "-1.25");
    assert_string_equal(ledger_evidence_milli_text(0, v, sizeof v), "0");
    assert_string_equal(ledger_evidence_milli_text(4005, v, sizeof v), "4.005");
    assert_string_equal(ledger_evidence_milli_text(-40, v, sizeof v), "-0.04");
    assert_string_equal(ledger_evidence_e6_text(INT32_MIN, v, sizeof v), "-2147.483648");
}

/* What add relies on is checked, and leaves the evidence as it was. */
static void bad_input_refused(void **state)
{
    struct fx *f = *state;
    stuffed_and_handed(f);
    seal_report(f, K_OCEANIC, LEDGER_SEAL_OPENED, MIN_MS);
    char msg[256] = "";
    /* A submitter the registry does not know. */
    struct ledger_event bad = mk_event(f, K_OCEANIC, LEDGER_LOAD, "NLRTM");
    memcpy(bad.submitter, f->pk[K_ESEAL], WB_PUBKEY_LEN);
    uint32_t before = f->ev.events;
    assert_int_equal(ledger_evidence_add(&f->ev, &bad, 99, f->g, f->gov, msg, sizeof msg),
                     WB_ERR_INVALID);
    expect_in("message", msg, "is not a member key of the registry in effect");
    assert_int_equal(f->ev.events, before);
    /* Another item. */
    bad = mk_event(f, K_OCEANIC, LEDGER_LOAD, "NLRTM");
    snprintf(bad.item, sizeof bad.item, "MSCU1234566");
    assert_int_equal(ledger_evidence_add(&f->ev, &bad, 99, f->g, f->gov, msg, sizeof msg),
                     WB_ERR_INVALID);
    expect_in("message", msg, "is about item MSCU1234566");
    /* An attach without its device. */
    bad = mk_event(f, K_OCEANIC, LEDGER_DEVICE_ATTACH, NULL);
    add_attr(&bad, "device", "zz");
    assert_int_equal(ledger_evidence_add(&f->ev, &bad, 99, f->g, f->gov, msg, sizeof msg),
                     WB_ERR_INVALID);
    expect_in("message", msg, "(device_attach): attribute device is not a device key");
    /* A seal without its number. */
    bad = mk_event(f, K_OCEANIC, LEDGER_SEAL, NULL);
    assert_int_equal(ledger_evidence_add(&f->ev, &bad, 99, f->g, f->gov, msg, sizeof msg),
                     WB_ERR_INVALID);
    /* A plan that does not decode. */
    bad = mk_event(f, K_OCEANIC, LEDGER_PLAN_SET, NULL);
    add_attr(&bad, "corridor_km", "0");
    assert_int_equal(ledger_evidence_add(&f->ev, &bad, 99, f->g, f->gov, msg, sizeof msg),
                     WB_ERR_INVALID);
    expect_in("message", msg, "plan_set");
    /* A report whose bytes are garbage. */
    bad = mk_event(f, K_OCEANIC, LEDGER_SEAL_STATUS, NULL);
    bad.device_report_len = 3;
    memset(bad.device_report, 0xff, 3);
    size_t reports = f->ev.report_count, obs = f->ev.obs_count, plans = f->ev.plan_count;
    assert_int_equal(ledger_evidence_add(&f->ev, &bad, 99, f->g, f->gov, msg, sizeof msg),
                     WB_ERR_INVALID);
    expect_in("message", msg, "device report");
    assert_int_equal(f->ev.report_count, reports);
    assert_int_equal(f->ev.obs_count, obs);
    assert_int_equal(f->ev.plan_count, plans);
    assert_int_equal(f->ev.events, before);
    ledger_evidence_finish(&f->ev);
    expect_findings(&f->ev, 1);
}

/* Fed without a registry (gov NULL), a device's owner, kind and serial are
 * unknown and the reason says so; with no number observed, the seal is
 * unnumbered. */
static void no_registry_owner_unknown(void **state)
{
    struct fx *f = *state;
    f->blind = true;
    step(f, K_ACME, LEDGER_COMMISSION, "NLRTM", NULL, NULL, NULL);
    attach(f, K_ACME, K_ESEAL);
    seal_report(f, K_OCEANIC, LEDGER_SEAL_TAMPERED, MIN_MS);
    ledger_evidence_finish(&f->ev);
    expect_findings(&f->ev, 1);
    assert_false(f->ev.devices[0].known);
    assert_string_equal(f->ev.findings[0].owner, "");
    assert_string_equal(f->ev.findings[0].custodian, "acme");
    assert_string_equal(f->ev.findings[0].seal, "");
    expect_in("reason", f->ev.findings[0].reason, "an unnumbered seal reported tampered");
    expect_in("reason", f->ev.findings[0].reason, "of unknown owner (no device registry)");
}

int main(void)
{
    if (sodium_init() < 0) return 1;
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(opened_after_unload_without_unseal),
        T(authorised_unseal_covers_the_opening),
        T(unseal_recorded_after_the_report_covers_it),
        T(unseal_too_late),
        T(unseal_at_the_grace_bound),
        T(unseal_too_early),
        T(arming_is_the_attach_without_armed),
        T(tampered_always_a_finding),
        T(one_finding_per_opening),
        T(custodian_at_observation_time),
        T(plan_versions_kept),
        T(tracker_30_days),
        T(position_text),
        T(bad_input_refused),
        T(no_registry_owner_unknown),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
