/* Tests only: risk scenarios (docs/risk.md, "Scenarios"). A journey file
 * of tests/data/risk/ is read line by line into a real chain: each event
 * is built, signed with a fixture key, checked by the ledger rules (a line
 * they refuse fails the scenario with their reason), applied and fed to
 * the device evidence as a verifier does; device reports are signed by
 * the devices' own keys, registered on a governance state first. Then the
 * risk engine judges the chain with the scenario's policy, reference time
 * and ledger-wide context, and every expectation is checked; a mismatch
 * names the file and the line.
 *
 * Organisations (genesis): acme (shipper), oceanic and blue-ocean-lines
 * (carriers), customs, nordic-retail (shipper). The time "+0h" is
 * 2026-11-22T00:00:00Z; each event is a block of its own, recorded (its
 * block's time) one minute after the time it gives unless it says
 * recorded=TIME. Header-only (static functions) so that each test program
 * that includes it is one file. */
#ifndef RISK_SCENARIO_H
#define RISK_SCENARIO_H

#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
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
#include "ledger/evidence.h"
#include "ledger/genesis.h"
#include "ledger/gov.h"
#include "ledger/plan.h"
#include "ledger/rules.h"
#include "risk/baseline.h"
#include "risk/policy.h"
#include "risk/risk.h"

#define RS_T0 INT64_C(1795305600000) /* 2026-11-22T00:00:00Z: "+0h" */
#define RS_MIN_MS INT64_C(60000)
#define RS_HOUR_MS INT64_C(3600000)
#define RS_DAY_MS INT64_C(86400000)
#define RS_RECORD_LAG_MS RS_MIN_MS
#define RS_ITEM_DEFAULT "CSQU3054383"
#define RS_ORGS 5
#define RS_DEVICES_MAX 8
#define RS_LINE_MAX 1024
#define RS_TOKENS_MAX 64
#define RS_ERR_MAX 1024
#define RS_LIST_MAX 64

static const char *const rs_org_names[RS_ORGS] = {"acme", "oceanic", "blue-ocean-lines", "customs",
                                                  "nordic-retail"};
static const enum ledger_role rs_org_roles[RS_ORGS] = {LEDGER_ROLE_SHIPPER, LEDGER_ROLE_CARRIER,
                                                       LEDGER_ROLE_CARRIER, LEDGER_ROLE_CUSTOMS,
                                                       LEDGER_ROLE_SHIPPER};

struct rs_device {
    char name[WB_DEVICE_SERIAL_MAX + 1];
    enum ledger_device_kind kind;
    int owner;
    char seal[WB_SEAL_NUMBER_MAX + 1];
    uint8_t pk[WB_PUBKEY_LEN], sk[WB_SECKEY_LEN];
    uint64_t seq;
};

enum rs_party_kind { RS_PARTY_OLD, RS_PARTY_NEW, RS_PARTY_UNKNOWN, RS_PARTY_GIVEN };

struct rs_party {
    char org[WB_ORG_MAX + 1];             /* "*": every party not named */
    enum rs_party_kind kind;
    int64_t first_rel_ms;                 /* RS_PARTY_GIVEN: first seen, relative to as_of */
    uint32_t chains;
};

struct rs_seal_ref {
    char seal[WB_ATTR_VALUE_MAX + 1];
    char item[WB_ITEM_MAX + 1];
};

enum rs_expect_kind {
    RS_EXPECT,            /* expect CODE [options] */
    RS_EXPECT_NOT,        /* expect-not CODE */
    RS_EXPECT_NONE,       /* expect none [except CODE ...] */
    RS_EXPECT_NOT_EVAL,   /* expect not-evaluable CODE [why~"..."] */
    RS_EXPECT_EVAL,       /* expect evaluable CODE */
    RS_EXPECT_SCORE,      /* expect score=N */
};

struct rs_expect {
    int line;
    enum rs_expect_kind kind;
    enum risk_flag_code code;
    long count;                           /* -1: at least one */
    char text[200], basis_text[RISK_BASIS_MAX], why[RISK_BASIS_MAX];
    char custodian[WB_ORG_MAX + 1];
    bool has_custodian;
    int basis;                            /* enum risk_basis, -1 any */
    uint32_t events[RISK_FLAG_EVENTS_MAX];
    size_t n_events;
    bool except[RISK_FLAG_COUNT];
    uint32_t score;
};

struct rs_scenario {
    char path[256];
    int line;                             /* being read */
    char err[RS_ERR_MAX];
    struct ledger_genesis *g;
    struct ledger_gov *gov;
    uint8_t pk[RS_ORGS][WB_PUBKEY_LEN], sk[RS_ORGS][WB_SECKEY_LEN];
    struct rs_device devices[RS_DEVICES_MAX];
    size_t n_devices;
    bool devices_registered;
    char item[WB_ITEM_MAX + 1];
    struct ledger_item_state st;
    struct ledger_evidence ev;
    bool ev_ready;
    struct ledger_event *events;
    int64_t *block_ms;
    uint64_t *heights;
    size_t n, cap;
    uint64_t height, nonce;
    int64_t as_of_ms;
    bool as_of_set;
    struct risk_policy policy;
    bool policy_set;
    bool online;
    struct rs_party parties[RS_LIST_MAX];
    size_t n_parties;
    struct rs_seal_ref seals[RS_LIST_MAX];
    size_t n_seals;
    struct risk_container_ref refs[RS_LIST_MAX];
    size_t n_refs;
    struct risk_baselines baselines;
    struct rs_expect *expects;
    size_t n_expects;
    /* Filled by rs_run: */
    struct risk_event *revs;
    struct risk_report report;
    bool assessed;
};

/* ---- small parsers ------------------------------------------------------------------- */

static inline int rs_fail(struct rs_scenario *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline int rs_fail(struct rs_scenario *s, const char *fmt, ...)
{
    int n = snprintf(s->err, sizeof s->err, "%s:%d: ", s->path, s->line);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof s->err) vsnprintf(s->err + n, sizeof s->err - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* A time or duration: an optional sign, then one or more NUMBER UNIT
 * (units d, h, m, s; NUMBER may have decimals): "+1d12h", "-10m", "+2.5h",
 * "+0". */
static inline bool rs_parse_dur(const char *s, int64_t *out)
{
    int sign = 1;
    if (*s == '+') s++;
    else if (*s == '-') {
        sign = -1;
        s++;
    }
    if (strcmp(s, "0") == 0) {
        *out = 0;
        return true;
    }
    double total = 0;
    bool any = false;
    while (*s) {
        char *end;
        if (!isdigit((unsigned char)*s)) return false;
        double v = strtod(s, &end);
        if (end == s) return false;
        double unit;
        switch (*end) {
        case 'd': unit = (double)RS_DAY_MS; break;
        case 'h': unit = (double)RS_HOUR_MS; break;
        case 'm': unit = (double)RS_MIN_MS; break;
        case 's': unit = 1000.0; break;
        default: return false;
        }
        total += v * unit;
        s = end + 1;
        any = true;
    }
    if (!any) return false;
    *out = sign * (int64_t)(total + 0.5);
    return true;
}

static inline int rs_org(const char *name)
{
    for (int k = 0; k < RS_ORGS; k++)
        if (strcmp(rs_org_names[k], name) == 0) return k;
    return -1;
}

static inline struct rs_device *rs_device_find(struct rs_scenario *s, const char *name)
{
    for (size_t k = 0; k < s->n_devices; k++)
        if (strcmp(s->devices[k].name, name) == 0) return &s->devices[k];
    return NULL;
}

/* Splits a line into tokens at spaces; a double-quoted part keeps its
 * spaces (the quotes are dropped): goods="bicycle parts". A '#' outside
 * quotes starts a comment. */
static inline int rs_tokens(char *line, char **tok, size_t cap, size_t *n)
{
    *n = 0;
    char *r = line, *w = line;
    while (*r) {
        while (*r == ' ' || *r == '\t') r++;
        if (!*r || *r == '#') break;
        if (*n == cap) return -1;
        tok[(*n)++] = w;
        bool quoted = false;
        while (*r && (quoted || (*r != ' ' && *r != '\t'))) {
            if (*r == '"') quoted = !quoted;
            else *w++ = *r;
            r++;
        }
        if (quoted) return -1;
        if (*r) r++;
        *w++ = '\0';
    }
    return 0;
}

/* "key=value" -> value if the token's key is key, else NULL. */
static inline const char *rs_opt(const char *tok, const char *key)
{
    size_t k = strlen(key);
    return strncmp(tok, key, k) == 0 && tok[k] == '=' ? tok + k + 1 : NULL;
}

static inline const char *rs_opt_match(const char *tok, const char *key)
{
    size_t k = strlen(key);
    return strncmp(tok, key, k) == 0 && tok[k] == '~' ? tok + k + 1 : NULL;
}

/* ---- the fixture ----------------------------------------------------------------------- */

static inline int rs_init(struct rs_scenario *s, const char *path)
{
    memset(s, 0, sizeof *s);
    snprintf(s->path, sizeof s->path, "%s", path);
    snprintf(s->item, sizeof s->item, "%s", RS_ITEM_DEFAULT);
    s->g = calloc(1, sizeof *s->g);
    s->gov = calloc(1, sizeof *s->gov);
    if (!s->g || !s->gov) return rs_fail(s, "out of memory");
    for (int k = 0; k < RS_ORGS; k++) {
        uint8_t seed[32] = {(uint8_t)(k + 1), 0x7a, 0x15};
        if (crypto_sign_seed_keypair(s->pk[k], s->sk[k], seed) != 0) return rs_fail(s, "keypair");
    }
    struct ledger_genesis *g = s->g;
    snprintf(g->chain_name, sizeof g->chain_name, "risk-scenarios");
    ledger_chain_id(g->chain_name, g->chain_id);
    g->genesis_time_ms = RS_T0 - 365 * RS_DAY_MS;
    ledger_genesis_set_defaults(g);
    g->org_count = RS_ORGS;
    for (int k = 0; k < RS_ORGS; k++) {
        snprintf(g->orgs[k].name, sizeof g->orgs[k].name, "%s", rs_org_names[k]);
        g->orgs[k].role = rs_org_roles[k];
        g->orgs[k].key_count = 1;
        memcpy(g->orgs[k].keys[0], s->pk[k], WB_PUBKEY_LEN);
    }
    g->validator_count = 1;
    snprintf(g->validators[0].name, sizeof g->validators[0].name, "node0");
    snprintf(g->validators[0].org, sizeof g->validators[0].org, "acme");
    memcpy(g->validators[0].key, s->pk[0], WB_PUBKEY_LEN);
    if (ledger_gov_init(s->gov, g) != WB_OK) return rs_fail(s, "ledger_gov_init");
    if (ledger_evidence_init(&s->ev) != WB_OK) return rs_fail(s, "ledger_evidence_init");
    s->ev_ready = true;
    risk_policy_defaults(&s->policy);
    risk_baselines_init(&s->baselines);
    s->height = 2; /* height 1: the devices' registrations */
    return 0;
}

static inline void rs_free(struct rs_scenario *s)
{
    if (s->assessed) risk_report_free(&s->report);
    if (s->ev_ready) ledger_evidence_free(&s->ev);
    if (s->gov) ledger_gov_free(s->gov);
    free(s->gov);
    free(s->g);
    free(s->events);
    free(s->block_ms);
    free(s->heights);
    free(s->revs);
    free(s->expects);
    risk_baselines_free(&s->baselines);
    memset(s, 0, sizeof *s);
}

/* Registers every declared device (governance chain, height 1), before the
 * item's first event. */
static inline int rs_register_devices(struct rs_scenario *s)
{
    if (s->devices_registered) return 0;
    s->devices_registered = true;
    for (size_t k = 0; k < s->n_devices; k++) {
        struct rs_device *d = &s->devices[k];
        struct ledger_event ev;
        memset(&ev, 0, sizeof ev);
        struct ledger_gov_action ga;
        memset(&ga, 0, sizeof ga);
        ga.action = LEDGER_DEVICE_REGISTER;
        memcpy(ga.key, d->pk, WB_PUBKEY_LEN);
        ga.device_kind = d->kind;
        snprintf(ga.serial, sizeof ga.serial, "%s", d->name);
        snprintf(ga.seal, sizeof ga.seal, "%s", d->seal);
        char msg[256] = "";
        if (ledger_gov_action_encode(&ga, &ev, msg, sizeof msg))
            return rs_fail(s, "device %s: %s", d->name, msg);
        memcpy(ev.submitter, s->pk[d->owner], WB_PUBKEY_LEN);
        ev.time_ms = RS_T0 - RS_DAY_MS;
        ev.nonce = 1000 + k;
        uint8_t buf[WB_SIGNED_EVENT_MAX];
        size_t len;
        if (ledger_event_sign(s->g->chain_id, &ev, s->sk[d->owner], buf, sizeof buf, &len))
            return rs_fail(s, "device %s: sign", d->name);
        if (ledger_gov_check(s->gov, &ev, 1, RS_T0 - RS_DAY_MS, msg, sizeof msg))
            return rs_fail(s, "device %s: %s", d->name, msg);
        if (ledger_gov_apply(s->gov, &ev, 1, RS_T0 - RS_DAY_MS, NULL))
            return rs_fail(s, "device %s: apply", d->name);
    }
    return 0;
}

/* ---- lines ------------------------------------------------------------------------------ */

static inline int rs_line_device(struct rs_scenario *s, char **tok, size_t n)
{
    if (s->devices_registered) return rs_fail(s, "declare devices before the first event");
    if (n < 4) return rs_fail(s, "device NAME KIND OWNER [seal=NUMBER]");
    if (s->n_devices == RS_DEVICES_MAX) return rs_fail(s, "more than %d devices", RS_DEVICES_MAX);
    struct rs_device *d = &s->devices[s->n_devices];
    memset(d, 0, sizeof *d);
    snprintf(d->name, sizeof d->name, "%s", tok[1]);
    d->kind = ledger_device_kind_parse(tok[2]);
    if (d->kind == LEDGER_DEVICE_NONE) return rs_fail(s, "unknown device kind '%s'", tok[2]);
    d->owner = rs_org(tok[3]);
    if (d->owner < 0) return rs_fail(s, "unknown organisation '%s'", tok[3]);
    for (size_t k = 4; k < n; k++) {
        const char *v = rs_opt(tok[k], "seal");
        if (!v) return rs_fail(s, "device: unknown option '%s'", tok[k]);
        snprintf(d->seal, sizeof d->seal, "%s", v);
    }
    uint8_t seed[32] = {(uint8_t)(s->n_devices + 1), 0xd5, 0x15};
    if (crypto_sign_seed_keypair(d->pk, d->sk, seed) != 0) return rs_fail(s, "keypair");
    s->n_devices++;
    return 0;
}

static inline int rs_line_context(struct rs_scenario *s, char **tok, size_t n)
{
    s->online = true;
    if (n < 2) return rs_fail(s, "context online|party|seal|container ...");
    if (strcmp(tok[1], "online") == 0) return n == 2 ? 0 : rs_fail(s, "context online: no arguments");
    if (strcmp(tok[1], "party") == 0) {
        if (n < 4) return rs_fail(s, "context party ORG|* new|old|unknown|first=TIME chains=N");
        if (s->n_parties == RS_LIST_MAX) return rs_fail(s, "too many parties");
        struct rs_party *p = &s->parties[s->n_parties];
        memset(p, 0, sizeof *p);
        if (strcmp(tok[2], "*") != 0 && rs_org(tok[2]) < 0)
            return rs_fail(s, "unknown organisation '%s'", tok[2]);
        snprintf(p->org, sizeof p->org, "%s", tok[2]);
        if (strcmp(tok[3], "new") == 0) p->kind = RS_PARTY_NEW;
        else if (strcmp(tok[3], "old") == 0) p->kind = RS_PARTY_OLD;
        else if (strcmp(tok[3], "unknown") == 0) p->kind = RS_PARTY_UNKNOWN;
        else {
            p->kind = RS_PARTY_GIVEN;
            p->first_rel_ms = -365 * RS_DAY_MS;
            p->chains = 50;
            for (size_t k = 3; k < n; k++) {
                const char *v;
                if ((v = rs_opt(tok[k], "first"))) {
                    if (!rs_parse_dur(v, &p->first_rel_ms))
                        return rs_fail(s, "first=%s: not a duration (e.g. -10d)", v);
                } else if ((v = rs_opt(tok[k], "chains"))) {
                    p->chains = (uint32_t)strtoul(v, NULL, 10);
                } else {
                    return rs_fail(s, "context party: unknown option '%s'", tok[k]);
                }
            }
        }
        s->n_parties++;
        return 0;
    }
    if (strcmp(tok[1], "seal") == 0) {
        if (n < 4) return rs_fail(s, "context seal SEAL ITEM...");
        for (size_t k = 3; k < n; k++) {
            if (s->n_seals == RS_LIST_MAX) return rs_fail(s, "too many seal references");
            snprintf(s->seals[s->n_seals].seal, sizeof s->seals[0].seal, "%s", tok[2]);
            snprintf(s->seals[s->n_seals].item, sizeof s->seals[0].item, "%s", tok[k]);
            s->n_seals++;
        }
        return 0;
    }
    if (strcmp(tok[1], "container") == 0) {
        if (n != 5) return rs_fail(s, "context container LOCATION TIME ITEM");
        if (s->n_refs == RS_LIST_MAX) return rs_fail(s, "too many container references");
        struct risk_container_ref *r = &s->refs[s->n_refs];
        memset(r, 0, sizeof *r);
        snprintf(r->location, sizeof r->location, "%s", tok[2]);
        int64_t t;
        if (!rs_parse_dur(tok[3], &t)) return rs_fail(s, "'%s' is not a time", tok[3]);
        r->time_ms = RS_T0 + t;
        snprintf(r->item, sizeof r->item, "%s", tok[4]);
        crypto_generichash(r->event, WB_HASH_LEN, (const uint8_t *)tok[4], strlen(tok[4]), NULL, 0);
        s->n_refs++;
        return 0;
    }
    return rs_fail(s, "context: unknown '%s'", tok[1]);
}

/* baseline KEY... COUNTxDURATION...: "baseline dwell NLRTM 100x2d 1x20d". */
static inline int rs_line_baseline(struct rs_scenario *s, char **tok, size_t n)
{
    s->online = true;
    char key[RISK_KEY_MAX] = "";
    size_t k = 1, len = 0;
    for (; k < n && !strchr(tok[k], 'x'); k++)
        len += (size_t)snprintf(key + len, sizeof key - len, "%s%s", len ? " " : "", tok[k]);
    /* "x" also appears in no key word: the first COUNTxDURATION ends the key */
    if (k == 1 || k == n) return rs_fail(s, "baseline KEY... COUNTxDURATION...");
    for (; k < n; k++) {
        char *x = strchr(tok[k], 'x');
        if (!x) return rs_fail(s, "baseline: '%s' is not COUNTxDURATION", tok[k]);
        *x = '\0';
        long count = strtol(tok[k], NULL, 10);
        int64_t ms;
        if (count <= 0 || !rs_parse_dur(x + 1, &ms))
            return rs_fail(s, "baseline: '%sx%s' is not COUNTxDURATION", tok[k], x + 1);
        for (long c = 0; c < count; c++)
            if (risk_baselines_add(&s->baselines, key, ms) != WB_OK)
                return rs_fail(s, "baseline: cannot add to '%s'", key);
    }
    return 0;
}

static inline int rs_expect_push(struct rs_scenario *s, struct rs_expect **out)
{
    struct rs_expect *more = realloc(s->expects, (s->n_expects + 1) * sizeof *more);
    if (!more) return rs_fail(s, "out of memory");
    s->expects = more;
    *out = &s->expects[s->n_expects++];
    memset(*out, 0, sizeof **out);
    (*out)->line = s->line;
    (*out)->count = -1;
    (*out)->basis = -1;
    return 0;
}

static inline int rs_code(struct rs_scenario *s, const char *name, enum risk_flag_code *c)
{
    *c = risk_flag_parse(name);
    return *c == RISK_FLAG_COUNT ? rs_fail(s, "unknown flag '%s'", name) : 0;
}

static inline int rs_line_expect(struct rs_scenario *s, char **tok, size_t n)
{
    struct rs_expect *e = NULL;
    if (n < 2) return rs_fail(s, "expect what?");
    if (rs_expect_push(s, &e)) return -1;
    const char *v;
    if (strcmp(tok[0], "expect-not") == 0) {
        e->kind = RS_EXPECT_NOT;
        return n == 2 ? rs_code(s, tok[1], &e->code) : rs_fail(s, "expect-not CODE");
    }
    if (strcmp(tok[1], "none") == 0) {
        e->kind = RS_EXPECT_NONE;
        if (n > 2 && strcmp(tok[2], "except") != 0) return rs_fail(s, "expect none [except CODE...]");
        for (size_t k = 3; k < n; k++) {
            enum risk_flag_code c;
            if (rs_code(s, tok[k], &c)) return -1;
            e->except[c] = true;
        }
        return 0;
    }
    if ((v = rs_opt(tok[1], "score"))) {
        e->kind = RS_EXPECT_SCORE;
        e->score = (uint32_t)strtoul(v, NULL, 10);
        return n == 2 ? 0 : rs_fail(s, "expect score=N");
    }
    if (strcmp(tok[1], "not-evaluable") == 0 || strcmp(tok[1], "evaluable") == 0) {
        e->kind = tok[1][0] == 'n' ? RS_EXPECT_NOT_EVAL : RS_EXPECT_EVAL;
        if (n < 3 || rs_code(s, tok[2], &e->code)) return n < 3 ? rs_fail(s, "which flag?") : -1;
        for (size_t k = 3; k < n; k++) {
            if (!(v = rs_opt_match(tok[k], "why")) || e->kind == RS_EXPECT_EVAL)
                return rs_fail(s, "unknown option '%s'", tok[k]);
            snprintf(e->why, sizeof e->why, "%s", v);
        }
        return 0;
    }
    e->kind = RS_EXPECT;
    if (rs_code(s, tok[1], &e->code)) return -1;
    for (size_t k = 2; k < n; k++) {
        if ((v = rs_opt(tok[k], "count"))) {
            e->count = strtol(v, NULL, 10);
        } else if ((v = rs_opt_match(tok[k], "text"))) {
            snprintf(e->text, sizeof e->text, "%s", v);
        } else if ((v = rs_opt_match(tok[k], "basis"))) {
            snprintf(e->basis_text, sizeof e->basis_text, "%s", v);
        } else if ((v = rs_opt(tok[k], "basis"))) {
            if (strcmp(v, "policy") == 0) e->basis = RISK_BASIS_POLICY;
            else if (strcmp(v, "default") == 0) e->basis = RISK_BASIS_DEFAULT;
            else if (strcmp(v, "baseline") == 0) e->basis = RISK_BASIS_BASELINE;
            else return rs_fail(s, "basis=policy|default|baseline");
        } else if ((v = rs_opt(tok[k], "custodian"))) {
            snprintf(e->custodian, sizeof e->custodian, "%s", v);
            e->has_custodian = true;
        } else if ((v = rs_opt(tok[k], "events"))) {
            char buf[64];
            snprintf(buf, sizeof buf, "%s", v);
            for (char *p = strtok(buf, ","); p && e->n_events < RISK_FLAG_EVENTS_MAX;
                 p = strtok(NULL, ","))
                e->events[e->n_events++] = (uint32_t)strtoul(p[0] == '#' ? p + 1 : p, NULL, 10);
        } else {
            return rs_fail(s, "expect: unknown option '%s'", tok[k]);
        }
    }
    return 0;
}

/* ---- events ----------------------------------------------------------------------------- */

static inline int rs_event_base(struct rs_scenario *s, struct ledger_event *ev, int org,
                                enum ledger_action a, int64_t t)
{
    memset(ev, 0, sizeof *ev);
    snprintf(ev->item, sizeof ev->item, "%s", s->item);
    ev->action = a;
    ev->time_ms = t;
    memcpy(ev->submitter, s->pk[org], WB_PUBKEY_LEN);
    if (s->st.count > 0) {
        ev->has_prev = true;
        memcpy(ev->prev, s->st.head, WB_HASH_LEN);
    }
    ev->nonce = ++s->nonce;
    return 0;
}

static inline int rs_attr(struct rs_scenario *s, struct ledger_event *ev, const char *key,
                          const char *value)
{
    if (ev->attr_count == WB_ATTRS_MAX) return rs_fail(s, "more than %d attributes", WB_ATTRS_MAX);
    if (strlen(key) > WB_ATTR_KEY_MAX || strlen(value) > WB_ATTR_VALUE_MAX)
        return rs_fail(s, "attribute %s too long", key);
    snprintf(ev->attrs[ev->attr_count].key, sizeof ev->attrs[0].key, "%s", key);
    snprintf(ev->attrs[ev->attr_count].value, sizeof ev->attrs[0].value, "%s", value);
    ev->attr_count++;
    return 0;
}

/* VALUE[@TIME]: the observation's time (default: the event's). */
static inline int rs_obs_time(struct rs_scenario *s, char *tok, int64_t event_t, int64_t *t)
{
    char *at = strchr(tok, '@');
    *t = event_t;
    if (!at) return 0;
    *at = '\0';
    int64_t rel;
    if (!rs_parse_dur(at + 1, &rel)) return rs_fail(s, "'@%s' is not a time", at + 1);
    *t = RS_T0 + rel;
    return 0;
}

/* report DEV seal_status STATE[@T] [seal=N]
 * report DEV position LAT,LON[@T]... [accuracy=M] [locode=L]
 * report DEV reading MEASURE VALUE[@T]... */
static inline int rs_report(struct rs_scenario *s, struct ledger_event *ev, char **tok, size_t n,
                            int64_t t)
{
    if (n < 3) return rs_fail(s, "report DEVICE KIND ...");
    struct rs_device *d = rs_device_find(s, tok[0]);
    if (!d) return rs_fail(s, "unknown device '%s'", tok[0]);
    enum ledger_action kind = ledger_action_parse(tok[1]);
    if (!ledger_action_is_report(kind))
        return rs_fail(s, "'%s' is not seal_status, position or reading", tok[1]);
    struct ledger_device_report *r = calloc(1, sizeof *r);
    if (!r) return rs_fail(s, "out of memory");
    int rc = 0;
    memcpy(r->device, d->pk, WB_PUBKEY_LEN);
    snprintf(r->item, sizeof r->item, "%s", s->item);
    r->kind = kind;
    r->seq = ++d->seq;
    const char *seal = NULL, *locode = NULL;
    uint32_t accuracy = 0;
    enum ledger_measure measure = LEDGER_MEASURE_NONE;
    size_t k = 2;
    if (kind == LEDGER_READING) {
        measure = ledger_measure_parse(tok[2]);
        if (measure == LEDGER_MEASURE_NONE) {
            rc = rs_fail(s, "unknown measure '%s'", tok[2]);
            goto done;
        }
        k = 3;
    }
    for (; k < n && rc == 0; k++) {
        const char *v;
        if ((v = rs_opt(tok[k], "seal"))) {
            seal = v;
            continue;
        }
        if ((v = rs_opt(tok[k], "locode"))) {
            locode = v;
            continue;
        }
        if ((v = rs_opt(tok[k], "accuracy"))) {
            accuracy = (uint32_t)strtoul(v, NULL, 10);
            continue;
        }
        if (r->obs_count == WB_DEVICE_OBS_MAX) {
            rc = rs_fail(s, "more than %d observations", WB_DEVICE_OBS_MAX);
            break;
        }
        struct ledger_device_obs *o = &r->obs[r->obs_count++];
        if (rs_obs_time(s, tok[k], t, &o->time_ms)) {
            rc = -1;
            break;
        }
        if (kind == LEDGER_SEAL_STATUS) {
            o->seal_state = ledger_seal_state_parse(tok[k]);
            if (o->seal_state == LEDGER_SEAL_STATE_NONE)
                rc = rs_fail(s, "unknown seal state '%s'", tok[k]);
        } else if (kind == LEDGER_POSITION) {
            double lat, lon;
            if (sscanf(tok[k], "%lf,%lf", &lat, &lon) != 2)
                rc = rs_fail(s, "'%s' is not LAT,LON", tok[k]);
            o->lat_e6 = (int32_t)(lat * 1e6 + (lat < 0 ? -0.5 : 0.5));
            o->lon_e6 = (int32_t)(lon * 1e6 + (lon < 0 ? -0.5 : 0.5));
        } else {
            o->measure = measure;
            char *end;
            double v2 = strtod(tok[k], &end);
            if (*end) rc = rs_fail(s, "'%s' is not a number", tok[k]);
            o->value_milli = (int64_t)(v2 * 1000.0 + (v2 < 0 ? -0.5 : 0.5));
        }
    }
    if (rc) goto done;
    if (r->obs_count == 0) {
        rc = rs_fail(s, "a report without observations");
        goto done;
    }
    for (size_t i = 0; i < r->obs_count; i++) {
        if (seal) snprintf(r->obs[i].seal, sizeof r->obs[i].seal, "%s", seal);
        if (kind == LEDGER_POSITION) {
            r->obs[i].accuracy_m = accuracy;
            if (locode) snprintf(r->obs[i].locode, sizeof r->obs[i].locode, "%s", locode);
        }
    }
    uint8_t bytes[WB_DEVICE_REPORT_MAX], sig[WB_SIG_LEN];
    size_t len = 0;
    char msg[256] = "";
    if (ledger_device_report_encode(r, bytes, sizeof bytes, &len, msg, sizeof msg)) {
        rc = rs_fail(s, "report: %s", msg);
        goto done;
    }
    if (ledger_device_report_sign(s->g->chain_id, bytes, len, d->sk, sig) ||
        ledger_device_report_wrap(ev, r, bytes, len, sig)) {
        rc = rs_fail(s, "report: cannot sign or wrap");
        goto done;
    }
done:
    free(r);
    return rc;
}

/* plan corridor=KM STOP... with STOP = LOCODE@FROM..TO[/MODE]. */
static inline int rs_plan(struct rs_scenario *s, struct ledger_event *ev, char **tok, size_t n)
{
    struct ledger_plan p;
    memset(&p, 0, sizeof p);
    for (size_t k = 0; k < n; k++) {
        const char *v = rs_opt(tok[k], "corridor");
        if (v) {
            p.corridor_km = (uint32_t)strtoul(v, NULL, 10);
            continue;
        }
        if (p.stop_count == WB_PLAN_STOPS_MAX) return rs_fail(s, "too many stops");
        struct ledger_plan_stop *st = &p.stops[p.stop_count++];
        char buf[96];
        snprintf(buf, sizeof buf, "%s", tok[k]);
        char *at = strchr(buf, '@'), *dots = at ? strstr(at, "..") : NULL;
        if (!at || !dots) return rs_fail(s, "stop '%s' is not LOCODE@FROM..TO[/MODE]", tok[k]);
        *at = '\0';
        *dots = '\0';
        char *slash = strchr(dots + 2, '/');
        if (slash) *slash = '\0';
        if (strlen(buf) != 5) return rs_fail(s, "stop '%s': not a UN/LOCODE", tok[k]);
        memcpy(st->locode, buf, 6);
        int64_t from, to;
        if (!rs_parse_dur(at + 1, &from) || !rs_parse_dur(dots + 2, &to))
            return rs_fail(s, "stop '%s': bad window", tok[k]);
        st->arrive_from_ms = RS_T0 + from;
        st->arrive_to_ms = RS_T0 + to;
        st->leg_mode = slash ? ledger_mode_parse(slash + 1) : LEDGER_MODE_NONE;
        if (slash && st->leg_mode == LEDGER_MODE_NONE)
            return rs_fail(s, "stop '%s': unknown mode '%s'", tok[k], slash + 1);
    }
    char msg[256] = "";
    if (ledger_plan_encode(&p, ev, msg, sizeof msg)) return rs_fail(s, "plan: %s", msg);
    return 0;
}

/* TIME ORG ACTION ARGS...: builds, signs, checks with the rules, applies and
 * feeds the event. */
static inline int rs_line_event(struct rs_scenario *s, char **tok, size_t n)
{
    if (rs_register_devices(s)) return -1;
    int64_t rel;
    if (!rs_parse_dur(tok[0], &rel)) return rs_fail(s, "'%s' is not a time", tok[0]);
    if (n < 3) return rs_fail(s, "TIME ORG ACTION ...");
    int org = rs_org(tok[1]);
    if (org < 0) return rs_fail(s, "unknown organisation '%s'", tok[1]);
    const int64_t t = RS_T0 + rel;
    int64_t block = t + RS_RECORD_LAG_MS;
    struct ledger_event ev;
    const char *act = tok[2];
    char **args = tok + 3;
    size_t n_args = n - 3;
    /* recorded= may follow any action */
    for (size_t k = 0; k < n_args; k++) {
        const char *v = rs_opt(args[k], "recorded");
        if (!v) continue;
        int64_t b;
        if (!rs_parse_dur(v, &b)) return rs_fail(s, "recorded=%s: not a time", v);
        block = RS_T0 + b;
        memmove(&args[k], &args[k + 1], (n_args - k - 1) * sizeof *args);
        n_args--;
        k--;
    }
    if (strcmp(act, "report") == 0) {
        rs_event_base(s, &ev, org, LEDGER_SEAL_STATUS, t);
        if (rs_report(s, &ev, args, n_args, t)) return -1;
    } else if (strcmp(act, "plan") == 0) {
        rs_event_base(s, &ev, org, LEDGER_PLAN_SET, t);
        if (rs_plan(s, &ev, args, n_args)) return -1;
    } else if (strcmp(act, "attach") == 0 || strcmp(act, "detach") == 0) {
        rs_event_base(s, &ev, org, act[0] == 'a' ? LEDGER_DEVICE_ATTACH : LEDGER_DEVICE_DETACH, t);
        struct rs_device *d = n_args == 1 ? rs_device_find(s, args[0]) : NULL;
        if (!d) return rs_fail(s, "%s DEVICE: unknown device", act);
        char h[2 * WB_PUBKEY_LEN + 1];
        if (rs_attr(s, &ev, "device", wb_hex_encode(d->pk, WB_PUBKEY_LEN, h, sizeof h))) return -1;
    } else {
        enum ledger_action a = ledger_action_parse(act);
        if (a == LEDGER_ACTION_NONE || ledger_action_is_gov(a) || ledger_action_is_report(a))
            return rs_fail(s, "unknown action '%s'", act);
        rs_event_base(s, &ev, org, a, t);
        bool located = false;
        for (size_t k = 0; k < n_args; k++) {
            const char *v;
            if ((v = rs_opt(args[k], "to"))) {
                snprintf(ev.to_org, sizeof ev.to_org, "%s", v);
            } else if (strchr(args[k], '=')) {
                char key[WB_ATTR_KEY_MAX + 2];
                size_t kl = (size_t)(strchr(args[k], '=') - args[k]);
                if (kl > WB_ATTR_KEY_MAX) return rs_fail(s, "attribute key too long");
                memcpy(key, args[k], kl);
                key[kl] = '\0';
                if (rs_attr(s, &ev, key, args[k] + kl + 1)) return -1;
            } else if (!located) {
                snprintf(ev.location, sizeof ev.location, "%s", args[k]);
                located = true;
            } else {
                return rs_fail(s, "'%s': a second location?", args[k]);
            }
        }
    }
    uint8_t buf[WB_SIGNED_EVENT_MAX];
    size_t len;
    int rc = ledger_event_sign(s->g->chain_id, &ev, s->sk[org], buf, sizeof buf, &len);
    if (rc) return rs_fail(s, "cannot sign: %s", wb_strerror(rc));
    char reason[512] = "";
    if (ledger_rules_check(&s->st, &ev, s->g, s->gov, block, reason, sizeof reason, NULL))
        return rs_fail(s, "the ledger rules refuse it: %s", reason);
    ledger_rules_apply(&s->st, &ev, s->g, s->height);
    char msg[256] = "";
    if (ledger_evidence_add(&s->ev, &ev, s->height, s->g, s->gov, msg, sizeof msg))
        return rs_fail(s, "evidence: %s", msg);
    if (s->n == s->cap) {
        size_t want = s->cap ? 2 * s->cap : 32;
        struct ledger_event *e2 = realloc(s->events, want * sizeof *e2);
        if (!e2) return rs_fail(s, "out of memory");
        s->events = e2;
        int64_t *b2 = realloc(s->block_ms, want * sizeof *b2);
        if (!b2) return rs_fail(s, "out of memory");
        s->block_ms = b2;
        uint64_t *h2 = realloc(s->heights, want * sizeof *h2);
        if (!h2) return rs_fail(s, "out of memory");
        s->heights = h2;
        s->cap = want;
    }
    s->events[s->n] = ev;
    s->block_ms[s->n] = block;
    s->heights[s->n] = s->height;
    s->n++;
    s->height++;
    return 0;
}

/* ---- a file ------------------------------------------------------------------------------ */

/* Reads a journey from f (named `name` in messages); f stays open. */
static inline int rs_read(struct rs_scenario *s, const char *name, FILE *f)
{
    if (rs_init(s, name)) return -1;
    char line[RS_LINE_MAX + 2];
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        s->line++;
        size_t len = strlen(line);
        if (len && line[len - 1] == '\n') line[--len] = '\0';
        else if (len > RS_LINE_MAX) {
            rc = rs_fail(s, "line longer than %d bytes", RS_LINE_MAX);
            break;
        }
        char raw[RS_LINE_MAX + 2];
        memcpy(raw, line, len + 1);
        char *tok[RS_TOKENS_MAX];
        size_t n;
        if (rs_tokens(line, tok, RS_TOKENS_MAX, &n)) {
            rc = rs_fail(s, "too many words, or an open quote");
            break;
        }
        if (n == 0) continue;
        const char *w = tok[0];
        if (strcmp(w, "item") == 0) {
            if (s->n || n != 2) rc = rs_fail(s, "item ID, before the first event");
            else snprintf(s->item, sizeof s->item, "%s", tok[1]);
        } else if (strcmp(w, "device") == 0) {
            rc = rs_line_device(s, tok, n);
        } else if (strcmp(w, "asof") == 0) {
            int64_t t = 0;
            if (n != 2 || !rs_parse_dur(tok[1], &t)) rc = rs_fail(s, "asof TIME");
            s->as_of_ms = RS_T0 + t;
            s->as_of_set = true;
        } else if (strcmp(w, "policy") == 0) {
            /* the rest of the line is a policy file (docs/risk-policy.md) */
            const char *text = strstr(raw, "policy") + strlen("policy");
            size_t tl = strlen(text);
            char msg[256] = "";
            if (s->policy_set) rc = rs_fail(s, "one policy line per scenario");
            else if (risk_policy_parse(text, tl, &s->policy, msg, sizeof msg))
                rc = rs_fail(s, "policy: %s", msg);
            s->policy_set = true;
        } else if (strcmp(w, "context") == 0) {
            rc = rs_line_context(s, tok, n);
        } else if (strcmp(w, "baseline") == 0) {
            rc = rs_line_baseline(s, tok, n);
        } else if (strcmp(w, "expect") == 0 || strcmp(w, "expect-not") == 0) {
            rc = rs_line_expect(s, tok, n);
        } else if (w[0] == '+' || w[0] == '-' || isdigit((unsigned char)w[0])) {
            rc = rs_line_event(s, tok, n);
        } else {
            rc = rs_fail(s, "unknown line '%s'", w);
        }
    }
    if (rc == 0 && s->n == 0) rc = rs_fail(s, "no events");
    if (rc == 0 && s->n_expects == 0) rc = rs_fail(s, "no expectations");
    return rc;
}

static inline int rs_load(struct rs_scenario *s, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (rs_init(s, path)) return -1;
        return rs_fail(s, "cannot open");
    }
    int rc = rs_read(s, path, f);
    fclose(f);
    return rc;
}

/* A journey given as text (a test's own), named `name` in messages. */
static inline int rs_load_text(struct rs_scenario *s, const char *name, const char *text)
{
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    if (!f) {
        if (rs_init(s, name)) return -1;
        return rs_fail(s, "fmemopen");
    }
    int rc = rs_read(s, name, f);
    fclose(f);
    return rc;
}

/* ---- the context ---------------------------------------------------------------------- */

static inline const struct risk_dist *rs_ctx_baseline(void *ctx, const char *key)
{
    struct rs_scenario *s = ctx;
    return risk_baselines_find(&s->baselines, key);
}

static inline size_t rs_ctx_seal_items(void *ctx, const char *seal, const char *item,
                                       char (*out)[WB_ITEM_MAX + 1], size_t cap)
{
    struct rs_scenario *s = ctx;
    size_t n = 0;
    for (size_t k = 0; k < s->n_seals; k++) {
        if (strcmp(s->seals[k].seal, seal) != 0 || strcmp(s->seals[k].item, item) == 0) continue;
        if (n < cap) snprintf(out[n], WB_ITEM_MAX + 1, "%s", s->seals[k].item);
        n++;
    }
    return n;
}

static inline size_t rs_ctx_container_refs(void *ctx, const char *container,
                                           struct risk_container_ref *out, size_t cap)
{
    struct rs_scenario *s = ctx;
    if (strcmp(container, s->item) != 0) return 0;
    for (size_t k = 0; k < s->n_refs && k < cap; k++) out[k] = s->refs[k];
    return s->n_refs;
}

static inline bool rs_ctx_party(void *ctx, const char *org, struct risk_party *out)
{
    struct rs_scenario *s = ctx;
    const struct rs_party *p = NULL;
    for (size_t k = 0; k < s->n_parties && !p; k++)
        if (strcmp(s->parties[k].org, org) == 0) p = &s->parties[k];
    for (size_t k = 0; k < s->n_parties && !p; k++)
        if (strcmp(s->parties[k].org, "*") == 0) p = &s->parties[k];
    enum rs_party_kind kind = p ? p->kind : RS_PARTY_OLD;
    switch (kind) {
    case RS_PARTY_UNKNOWN: return false;
    case RS_PARTY_NEW: /* a day before the journey starts */
        out->first_seen_ms = RS_T0 - RS_DAY_MS;
        out->chains_completed = 0;
        return true;
    case RS_PARTY_GIVEN:
        out->first_seen_ms = s->as_of_ms + p->first_rel_ms;
        out->chains_completed = p->chains;
        return true;
    case RS_PARTY_OLD:
    default:
        out->first_seen_ms = s->as_of_ms - 365 * RS_DAY_MS;
        out->chains_completed = 50;
        return true;
    }
}

/* The chain as the engine takes it. */
static inline int rs_input(struct rs_scenario *s, struct risk_input *in)
{
    free(s->revs);
    s->revs = calloc(s->n, sizeof *s->revs);
    if (!s->revs) return rs_fail(s, "out of memory");
    for (size_t i = 0; i < s->n; i++) {
        s->revs[i].ev = &s->events[i];
        s->revs[i].height = s->heights[i];
        s->revs[i].block_time_ms = s->block_ms[i];
        int o = ledger_genesis_org_of_key(s->g, s->events[i].submitter);
        s->revs[i].org = o >= 0 ? s->g->orgs[o].name : NULL;
    }
    if (!s->as_of_set) s->as_of_ms = s->block_ms[s->n - 1];
    memset(in, 0, sizeof *in);
    in->events = s->revs;
    in->count = s->n;
    in->g = s->g;
    in->evidence = &s->ev;
    in->as_of_ms = s->as_of_ms;
    return 0;
}

static inline void rs_context(struct rs_scenario *s, struct risk_context *ctx)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->ctx = s;
    ctx->baseline = rs_ctx_baseline;
    ctx->seal_items = rs_ctx_seal_items;
    ctx->container_refs = rs_ctx_container_refs;
    ctx->party = rs_ctx_party;
}

/* ---- running and checking ------------------------------------------------------------- */

static inline void rs_flags_text(const struct risk_report *r, char *out, size_t cap)
{
    size_t len = (size_t)snprintf(out, cap, "%zu flag%s", r->flag_count, r->flag_count == 1 ? "" : "s");
    for (size_t i = 0; i < r->flag_count && len < cap; i++) {
        const struct risk_flag *f = &r->flags[i];
        len += (size_t)snprintf(out + len, cap - len, "\n    %s [%s] %s", risk_flag_name(f->code),
                                f->basis_text, f->text);
    }
}

/* Whether a flag of e's code matches every option of e. */
static inline bool rs_flag_matches(const struct rs_expect *e, const struct risk_flag *f)
{
    if (f->code != e->code) return false;
    if (e->text[0] && !strstr(f->text, e->text)) return false;
    if (e->basis_text[0] && !strstr(f->basis_text, e->basis_text)) return false;
    if (e->basis >= 0 && (int)f->basis != e->basis) return false;
    if (e->has_custodian && strcmp(f->custodian, e->custodian) != 0) return false;
    for (size_t k = 0; k < e->n_events; k++) {
        bool named = false;
        for (size_t j = 0; j < f->event_count; j++) named = named || f->event_index[j] == e->events[k];
        if (!named) return false;
    }
    return true;
}

/* What every flag must be, whatever the scenario: its severity the
 * table's, one sentence ending in a full stop, its events the chain's. */
static inline int rs_check_flags(struct rs_scenario *s)
{
    const struct risk_report *r = &s->report;
    for (size_t i = 0; i < r->flag_count; i++) {
        const struct risk_flag *f = &r->flags[i];
        size_t len = strlen(f->text);
        s->line = 0;
        if (f->severity != risk_flag_severity(f->code))
            return rs_fail(s, "%s: severity %d, the table says %d", risk_flag_name(f->code),
                           f->severity, risk_flag_severity(f->code));
        if (len < 10 || f->text[len - 1] != '.')
            return rs_fail(s, "%s: text is not a sentence ending in a full stop: '%s'",
                           risk_flag_name(f->code), f->text);
        for (size_t k = 0; k < f->event_count; k++) {
            uint32_t at = f->event_index[k];
            if (at >= s->n || memcmp(f->events[k], s->events[at].id, WB_HASH_LEN) != 0)
                return rs_fail(s, "%s: event %zu (#%u) is not that event of the chain",
                               risk_flag_name(f->code), k, at);
        }
    }
    return 0;
}

static inline int rs_check(struct rs_scenario *s)
{
    const struct risk_report *r = &s->report;
    char got[8192];
    rs_flags_text(r, got, sizeof got);
    for (size_t k = 0; k < s->n_expects; k++) {
        const struct rs_expect *e = &s->expects[k];
        s->line = e->line;
        const char *name = risk_flag_name(e->code);
        switch (e->kind) {
        case RS_EXPECT: {
            long matched = 0;
            for (size_t i = 0; i < r->flag_count; i++) matched += rs_flag_matches(e, &r->flags[i]);
            if (e->count >= 0 ? matched != e->count : matched == 0)
                return rs_fail(s, "expected %s%s%ld matching %s flag%s; got %ld; the report: %s",
                               e->count >= 0 ? "exactly " : "", e->count >= 0 ? "" : "at least ",
                               e->count >= 0 ? e->count : 1L, name,
                               e->count == 1 ? "" : "s", matched, got);
            break;
        }
        case RS_EXPECT_NOT:
            if (r->counts[e->code])
                return rs_fail(s, "expected no %s flag; got %u; the report: %s", name,
                               r->counts[e->code], got);
            break;
        case RS_EXPECT_NONE:
            for (unsigned c = 0; c < RISK_FLAG_COUNT; c++)
                if (r->counts[c] && !e->except[c])
                    return rs_fail(s, "expected no flag%s; got %s; the report: %s",
                                   e->except[RISK_NEW_PARTY] ? " but NEW_PARTY" : "",
                                   risk_flag_name((enum risk_flag_code)c), got);
            break;
        case RS_EXPECT_NOT_EVAL:
            if (!r->not_evaluable[e->code])
                return rs_fail(s, "expected %s not evaluable; it was evaluated", name);
            if (e->why[0] && !strstr(r->not_evaluable_why[e->code], e->why))
                return rs_fail(s, "expected %s not evaluable because '%s'; it says '%s'", name,
                               e->why, r->not_evaluable_why[e->code]);
            break;
        case RS_EXPECT_EVAL:
            if (r->not_evaluable[e->code])
                return rs_fail(s, "expected %s evaluable; it says '%s'", name,
                               r->not_evaluable_why[e->code]);
            break;
        case RS_EXPECT_SCORE:
            if (r->score != e->score)
                return rs_fail(s, "expected score %u; got %u; the report: %s", e->score, r->score,
                               got);
            break;
        }
    }
    return rs_check_flags(s);
}

/* After rs_load: assesses the journey and checks its expectations. */
static inline int rs_assess_loaded(struct rs_scenario *s)
{
    ledger_evidence_finish(&s->ev);
    struct risk_input in;
    if (rs_input(s, &in)) return -1;
    struct risk_context ctx;
    rs_context(s, &ctx);
    char msg[256] = "";
    int rc = risk_assess(&in, &s->policy, s->online ? &ctx : NULL, &s->report, msg, sizeof msg);
    s->assessed = true;
    if (rc) {
        s->line = 0;
        return rs_fail(s, "risk_assess: %s: %s", wb_strerror(rc), msg);
    }
    return rs_check(s);
}

/* Loads path, assesses it and checks its expectations. Returns 0, or -1
 * with s->err naming the file and line. Free s with rs_free in any case. */
static inline int rs_run(struct rs_scenario *s, const char *path)
{
    if (rs_load(s, path)) return -1;
    return rs_assess_loaded(s);
}

#endif
