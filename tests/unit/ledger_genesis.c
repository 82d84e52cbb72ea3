/* Unit tests of ledger/genesis.c: parsing every field, one precise message
 * per kind of mistake, lookups, chain id and quorum. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "common/hex.h"
#include "common/addr.h"
#include "common/wb_error.h"
#include "ledger/genesis.h"

#define MSG_LEN 512
#define N_KEYS 9

#define assert_msg_has(msg, want)                                                 \
    do {                                                                          \
        if (!strstr((msg), (want)))                                               \
            fail_msg("message \"%s\" does not contain \"%s\"", (msg), (want));    \
    } while (0)

struct fixture {
    /* Keys 0-4: client keys (acme has 0 and 1); 5-8: validator keys. */
    uint8_t pk[N_KEYS][32];
    char hex[N_KEYS][65];
    struct ledger_genesis *g;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    for (int i = 0; i < N_KEYS; i++) {
        uint8_t seed[32], sk[64];
        memset(seed, i + 1, sizeof seed);
        if (crypto_sign_seed_keypair(f->pk[i], sk, seed) != 0) return -1;
        wb_hex_encode(f->pk[i], 32, f->hex[i], sizeof f->hex[i]);
    }
    f->g = malloc(sizeof *f->g);
    if (!f->g) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    free(f->g);
    free(f);
    return 0;
}

static json_t *member(const char *org, const char *role, json_t *keys)
{
    return json_pack("{s:s, s:s, s:o}", "org", org, "role", role, "keys", keys);
}

static json_t *validator(const char *name, const char *org, const char *key, const char *p2p)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "name", name, "org", org, "key", key, "p2p", p2p);
}

/* A valid genesis: four organisations, one per role, four validators. */
static json_t *valid_genesis(const struct fixture *f)
{
    json_t *members = json_pack(
        "[o, o, o, o]",
        member("acme", "shipper", json_pack("[s, s]", f->hex[0], f->hex[1])),
        member("Oceanic Lines", "carrier", json_pack("[s]", f->hex[2])),
        member("nl-customs", "customs", json_pack("[s]", f->hex[3])),
        member("audit", "auditor", json_pack("[s]", f->hex[4])));
    json_t *validators = json_pack(
        "[o, o, o, o]", validator("node0", "acme", f->hex[5], "127.0.0.1:7000"),
        validator("node1", "Oceanic Lines", f->hex[6], "127.0.0.1:7001"),
        validator("node2", "nl-customs", f->hex[7], "validator2.example.org:7002"),
        validator("node3", "acme", f->hex[8], "[::1]:7003"));
    json_t *root = json_pack("{s:s, s:s, s:o, s:o}", "chain_id", "waybill-demo", "genesis_time",
                             "2026-11-22T00:00:00Z", "members", members, "validators",
                             validators);
    assert_non_null(root);
    return root;
}

/* Serialises root (taking ownership) and parses it. */
static int parse_json(struct fixture *f, json_t *root, char *msg)
{
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    assert_non_null(text);
    msg[0] = '\0';
    int rc = ledger_genesis_parse((const uint8_t *)text, strlen(text), f->g, msg, MSG_LEN);
    free(text);
    return rc;
}

/* Parses root and expects WB_ERR_CONFIG with `want` in the message. */
static void expect_error(struct fixture *f, json_t *root, const char *want)
{
    char msg[MSG_LEN];
    int rc = parse_json(f, root, msg);
    if (rc != WB_ERR_CONFIG) fail_msg("expected a config error with \"%s\", got %d", want, rc);
    assert_msg_has(msg, want);
    /* Nothing half-parsed is left behind. */
    assert_int_equal(f->g->org_count, 0);
    assert_int_equal(f->g->validator_count, 0);
}

static json_t *path_get(json_t *root, const char *array, size_t i)
{
    json_t *a = json_object_get(root, array);
    assert_non_null(a);
    json_t *o = json_array_get(a, i);
    assert_non_null(o);
    return o;
}

/* ---- the valid case --------------------------------------------------------- */

static void valid_genesis_parses_every_field(void **state)
{
    struct fixture *f = *state;
    json_t *root = valid_genesis(f);
    char *text = json_dumps(root, JSON_INDENT(2));
    json_decref(root);
    assert_non_null(text);
    char msg[MSG_LEN] = "";
    size_t len = strlen(text);
    int rc = ledger_genesis_parse((const uint8_t *)text, len, f->g, msg, sizeof msg);
    if (rc) fail_msg("valid genesis refused: %s", msg);
    const struct ledger_genesis *g = f->g;

    assert_string_equal(g->chain_name, "waybill-demo");
    uint8_t want[32];
    const char *tagged = "waybill/chain/v1waybill-demo";
    assert_int_equal(crypto_hash_sha256(want, (const uint8_t *)tagged, strlen(tagged)), 0);
    assert_memory_equal(g->chain_id, want, 32);
    assert_true(g->genesis_time_ms == 1795305600000);
    assert_int_equal(crypto_hash_sha256(want, (const uint8_t *)text, len), 0);
    assert_memory_equal(g->hash, want, 32);

    assert_int_equal(g->org_count, 4);
    assert_string_equal(g->orgs[0].name, "acme");
    assert_int_equal(g->orgs[0].role, LEDGER_ROLE_SHIPPER);
    assert_int_equal(g->orgs[0].key_count, 2);
    assert_memory_equal(g->orgs[0].keys[0], f->pk[0], 32);
    assert_memory_equal(g->orgs[0].keys[1], f->pk[1], 32);
    assert_string_equal(g->orgs[1].name, "Oceanic Lines");
    assert_int_equal(g->orgs[1].role, LEDGER_ROLE_CARRIER);
    assert_int_equal(g->orgs[1].key_count, 1);
    assert_memory_equal(g->orgs[1].keys[0], f->pk[2], 32);
    assert_int_equal(g->orgs[2].role, LEDGER_ROLE_CUSTOMS);
    assert_memory_equal(g->orgs[2].keys[0], f->pk[3], 32);
    assert_int_equal(g->orgs[3].role, LEDGER_ROLE_AUDITOR);
    assert_string_equal(g->orgs[3].name, "audit");

    assert_int_equal(g->validator_count, 4);
    assert_string_equal(g->validators[0].name, "node0");
    assert_string_equal(g->validators[0].org, "acme");
    assert_memory_equal(g->validators[0].key, f->pk[5], 32);
    assert_string_equal(g->validators[0].p2p, "127.0.0.1:7000");
    assert_string_equal(g->validators[1].org, "Oceanic Lines");
    assert_string_equal(g->validators[2].p2p, "validator2.example.org:7002");
    assert_string_equal(g->validators[3].name, "node3");
    assert_string_equal(g->validators[3].p2p, "[::1]:7003");
    assert_memory_equal(g->validators[3].key, f->pk[8], 32);
    free(text);
}

static void genesis_time_accepts_rfc3339_utc_forms(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *text;
        int64_t ms;
    } ok[] = {
        {"1970-01-01T00:00:00Z", 0},
        {"2024-02-29T12:34:56Z", 1709210096000},
        {"2024-02-29T12:34:56.5Z", 1709210096500},
        {"2024-02-29T12:34:56.123Z", 1709210096123},
        {"2000-03-01T00:00:00Z", 951868800000},
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        json_t *root = valid_genesis(f);
        json_object_set_new(root, "genesis_time", json_string(ok[i].text));
        char msg[MSG_LEN];
        if (parse_json(f, root, msg) != WB_OK) fail_msg("%s refused: %s", ok[i].text, msg);
        if (f->g->genesis_time_ms != ok[i].ms)
            fail_msg("%s parsed as %lld, expected %lld", ok[i].text,
                     (long long)f->g->genesis_time_ms, (long long)ok[i].ms);
    }
}

/* ---- top-level fields -------------------------------------------------------- */

static void chain_id_missing_or_malformed_named(void **state)
{
    struct fixture *f = *state;
    json_t *root = valid_genesis(f);
    json_object_del(root, "chain_id");
    expect_error(f, root, "chain_id: missing, expected 1 to 64 characters");

    root = valid_genesis(f);
    json_object_set_new(root, "chain_id", json_string("waybill demo"));
    expect_error(f, root, "chain_id: expected 1 to 64 characters of A-Z, a-z, 0-9");

    root = valid_genesis(f);
    json_object_set_new(root, "chain_id", json_string(""));
    expect_error(f, root, "chain_id: expected");

    char long_name[66];
    memset(long_name, 'c', 65);
    long_name[65] = '\0';
    root = valid_genesis(f);
    json_object_set_new(root, "chain_id", json_string(long_name));
    expect_error(f, root, "chain_id: expected");

    root = valid_genesis(f);
    json_object_set_new(root, "chain_id", json_integer(7));
    expect_error(f, root, "chain_id: expected");
}

static void bad_genesis_time_named(void **state)
{
    struct fixture *f = *state;
    static const char *const bad[] = {
        "2026-11-22 00:00:00Z",      "2026-11-22T00:00:00",      "2026-11-22T00:00:00+01:00",
        "2026-11-22T00:00:00z",      "2026-02-29T00:00:00Z",     "2026-04-31T00:00:00Z",
        "2026-13-01T00:00:00Z",      "2026-11-22T24:00:00Z",     "2026-11-22T00:60:00Z",
        "2026-11-22T00:00:60Z",      "2026-11-22T00:00:00.Z",    "2026-11-22T00:00:00.1234Z",
        "26-11-22T00:00:00Z",        "yesterday",                "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *root = valid_genesis(f);
        json_object_set_new(root, "genesis_time", json_string(bad[i]));
        char msg[MSG_LEN];
        if (parse_json(f, root, msg) != WB_ERR_CONFIG) fail_msg("time '%s' accepted", bad[i]);
        assert_msg_has(msg, "genesis_time: expected an RFC 3339 UTC time");
    }
    json_t *root = valid_genesis(f);
    json_object_del(root, "genesis_time");
    expect_error(f, root, "genesis_time: missing");
}

/* heartbeat_ms: optional, 60000 when left out, an integer of milliseconds
 * from 100 to a day; anything else is named. */
static void heartbeat_default_range_and_errors(void **state)
{
    struct fixture *f = *state;
    char msg[MSG_LEN];
    assert_int_equal(parse_json(f, valid_genesis(f), msg), WB_OK);
    assert_int_equal(f->g->heartbeat_ms, 60000);
    static const json_int_t ok[] = {100, 2500, 60000, 86400000};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        json_t *root = valid_genesis(f);
        json_object_set_new(root, "heartbeat_ms", json_integer(ok[i]));
        if (parse_json(f, root, msg) != WB_OK) fail_msg("heartbeat %lld refused: %s",
                                                        (long long)ok[i], msg);
        assert_int_equal(f->g->heartbeat_ms, ok[i]);
    }
    json_t *bad[] = {json_integer(99),   json_integer(86400001), json_integer(0),
                     json_integer(-1000), json_real(1500.5),     json_string("60000"),
                     json_null(),         json_true()};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *root = valid_genesis(f);
        json_object_set_new(root, "heartbeat_ms", bad[i]);
        expect_error(f, root, "heartbeat_ms: expected an integer from 100 to 86400000");
    }
}

/* block_events_max: optional, 0 (none) when left out, 1 to 100000. */
static void block_events_max_default_and_bounds(void **state)
{
    struct fixture *f = *state;
    char msg[MSG_LEN];
    assert_int_equal(parse_json(f, valid_genesis(f), msg), WB_OK);
    assert_int_equal(f->g->block_events_max, 0);
    static const json_int_t ok[] = {1, 2000, WB_BLOCK_EVENTS_MAX_LIMIT};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        json_t *root = valid_genesis(f);
        json_object_set_new(root, "block_events_max", json_integer(ok[i]));
        if (parse_json(f, root, msg) != WB_OK)
            fail_msg("block_events_max %lld refused: %s", (long long)ok[i], msg);
        assert_int_equal(f->g->block_events_max, ok[i]);
    }
    json_t *bad[] = {json_integer(0), json_integer(WB_BLOCK_EVENTS_MAX_LIMIT + 1),
                     json_integer(-1), json_string("5"), json_real(1.5), json_null()};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *root = valid_genesis(f);
        json_object_set_new(root, "block_events_max", bad[i]);
        expect_error(f, root, "block_events_max: expected an integer from 1 to 100000");
    }
}

static void governance_policy_default(void **state)
{
    struct fixture *f = *state;
    char msg[MSG_LEN];
    assert_int_equal(parse_json(f, valid_genesis(f), msg), WB_OK);
    const struct ledger_gov_policy *p = &f->g->gov_policy;
    assert_int_equal(p->voting_roles, (1u << LEDGER_ROLE_SHIPPER) | (1u << LEDGER_ROLE_CARRIER) |
                                          (1u << LEDGER_ROLE_CUSTOMS) |
                                          (1u << LEDGER_ROLE_AUDITOR));
    assert_int_equal(p->threshold_num, 2);
    assert_int_equal(p->threshold_den, 3);
    assert_int_equal(p->proposal_ttl_ms, WB_GOV_PROPOSAL_TTL_MS_DEFAULT);
    /* An empty object keeps every default. */
    json_t *root = valid_genesis(f);
    json_object_set_new(root, "governance", json_object());
    assert_int_equal(parse_json(f, root, msg), WB_OK);
    assert_int_equal(f->g->gov_policy.threshold_den, 3);
    assert_int_equal(f->g->gov_policy.proposal_ttl_ms, WB_GOV_PROPOSAL_TTL_MS_DEFAULT);
}

static void governance_policy_fields(void **state)
{
    struct fixture *f = *state;
    char msg[MSG_LEN];
    json_t *root = valid_genesis(f);
    json_object_set_new(root, "governance",
                        json_pack("{s:[s, s], s:s, s:I}", "voting_roles", "customs", "shipper",
                                  "threshold", "1/2", "proposal_ttl_ms",
                                  (json_int_t)WB_GOV_PROPOSAL_TTL_MS_MIN));
    if (parse_json(f, root, msg) != WB_OK) fail_msg("refused: %s", msg);
    const struct ledger_gov_policy *p = &f->g->gov_policy;
    assert_int_equal(p->voting_roles, (1u << LEDGER_ROLE_SHIPPER) | (1u << LEDGER_ROLE_CUSTOMS));
    assert_int_equal(p->threshold_num, 1);
    assert_int_equal(p->threshold_den, 2);
    assert_int_equal(p->proposal_ttl_ms, WB_GOV_PROPOSAL_TTL_MS_MIN);
    root = valid_genesis(f);
    json_object_set_new(root, "governance",
                        json_pack("{s:s, s:I}", "threshold", "100/100", "proposal_ttl_ms",
                                  (json_int_t)WB_GOV_PROPOSAL_TTL_MS_MAX));
    if (parse_json(f, root, msg) != WB_OK) fail_msg("refused: %s", msg);
    assert_int_equal(f->g->gov_policy.threshold_num, 100);
    assert_int_equal(f->g->gov_policy.proposal_ttl_ms, WB_GOV_PROPOSAL_TTL_MS_MAX);
}

static void governance_policy_errors_named(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *json;
        const char *want;
    } cases[] = {
        {"[]", "governance: expected a JSON object"},
        {"{\"quorum\": 3}", "governance.quorum: unknown field"},
        {"{\"voting_roles\": []}", "governance.voting_roles: expected a non-empty array"},
        {"{\"voting_roles\": \"shipper\"}", "governance.voting_roles: expected a non-empty"},
        {"{\"voting_roles\": [\"shipper\", \"pilot\"]}",
         "governance.voting_roles[1]: expected one of shipper"},
        {"{\"voting_roles\": [7]}", "governance.voting_roles[0]: expected one of"},
        {"{\"voting_roles\": [\"customs\", \"customs\"]}",
         "governance.voting_roles[1]: role customs is listed twice"},
        {"{\"threshold\": \"0/3\"}", "governance.threshold: expected \"NUM/DEN\""},
        {"{\"threshold\": \"4/3\"}", "governance.threshold: expected"},
        {"{\"threshold\": \"2/101\"}", "governance.threshold: expected"},
        {"{\"threshold\": \"2/3x\"}", "governance.threshold: expected"},
        {"{\"threshold\": \"2\"}", "governance.threshold: expected"},
        {"{\"threshold\": \"a/b\"}", "governance.threshold: expected"},
        {"{\"threshold\": 0.66}", "governance.threshold: expected"},
        {"{\"proposal_ttl_ms\": 999}",
         "governance.proposal_ttl_ms: expected an integer from 1000 to 31536000000"},
        {"{\"proposal_ttl_ms\": 31536000001}", "governance.proposal_ttl_ms: expected"},
        {"{\"proposal_ttl_ms\": \"7d\"}", "governance.proposal_ttl_ms: expected"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_error_t err;
        json_t *gov = json_loads(cases[i].json, JSON_DECODE_ANY, &err);
        assert_non_null(gov);
        json_t *root = valid_genesis(f);
        json_object_set_new(root, "governance", gov);
        expect_error(f, root, cases[i].want);
    }
}

/* header_version: optional, 1 when left out, 1 or 2. */
static void header_version_default_and_values(void **state)
{
    struct fixture *f = *state;
    char msg[MSG_LEN];
    assert_int_equal(parse_json(f, valid_genesis(f), msg), WB_OK);
    assert_int_equal(f->g->header_version, 1);
    for (json_int_t v = 1; v <= 2; v++) {
        json_t *root = valid_genesis(f);
        json_object_set_new(root, "header_version", json_integer(v));
        if (parse_json(f, root, msg) != WB_OK) fail_msg("header_version %lld refused: %s",
                                                        (long long)v, msg);
        assert_int_equal(f->g->header_version, v);
    }
    json_t *bad[] = {json_integer(0), json_integer(3), json_string("2"), json_real(2.0),
                     json_null()};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *root = valid_genesis(f);
        json_object_set_new(root, "header_version", bad[i]);
        expect_error(f, root, "header_version: expected 1 or 2");
    }
}

static void time_rule_fields_default_and_bounds(void **state)
{
    struct fixture *f = *state;
    char msg[MSG_LEN];
    /* Absent: the defaults. */
    json_t *root = valid_genesis(f);
    if (parse_json(f, root, msg) != WB_OK) fail_msg("refused: %s", msg);
    assert_true(f->g->clock_skew_ms == 600000);
    assert_true(f->g->backdate_max_ms == INT64_C(2592000000));
    /* Given: taken, 0 included. */
    root = valid_genesis(f);
    json_object_set_new(root, "clock_skew_ms", json_integer(0));
    json_object_set_new(root, "backdate_max_ms", json_integer(86400000));
    if (parse_json(f, root, msg) != WB_OK) fail_msg("refused: %s", msg);
    assert_true(f->g->clock_skew_ms == 0);
    assert_true(f->g->backdate_max_ms == 86400000);
    root = valid_genesis(f);
    json_object_set_new(root, "clock_skew_ms", json_integer(WB_CLOCK_SKEW_MS_MAX));
    json_object_set_new(root, "backdate_max_ms", json_integer(WB_BACKDATE_MAX_MS_MAX));
    if (parse_json(f, root, msg) != WB_OK) fail_msg("refused: %s", msg);
    /* Malformed or out of range: named. */
    static const char *const fields[] = {"clock_skew_ms", "backdate_max_ms"};
    for (size_t i = 0; i < 2; i++) {
        json_t *values[] = {json_integer(-1), json_string("600000"), json_real(1.5), json_null(),
                            json_integer(i == 0 ? WB_CLOCK_SKEW_MS_MAX + 1
                                                : WB_BACKDATE_MAX_MS_MAX + 1)};
        for (size_t k = 0; k < sizeof values / sizeof values[0]; k++) {
            root = valid_genesis(f);
            json_object_set_new(root, fields[i], values[k]);
            char want[96];
            snprintf(want, sizeof want, "%s: expected an integer number of milliseconds, 0 to",
                     fields[i]);
            expect_error(f, root, want);
        }
    }
}

static void unknown_fields_and_bad_json_named(void **state)
{
    struct fixture *f = *state;
    json_t *root = valid_genesis(f);
    json_object_set_new(root, "colour", json_string("blue"));
    expect_error(f, root, "colour: unknown field");

    root = valid_genesis(f);
    json_object_set_new(path_get(root, "members", 0), "keyz", json_array());
    expect_error(f, root, "members[0].keyz: unknown field");

    root = valid_genesis(f);
    json_object_set_new(path_get(root, "validators", 2), "rpc", json_string("x"));
    expect_error(f, root, "validators[2].rpc: unknown field");

    char msg[MSG_LEN];
    const char *text = "{\"chain_id\": \"x\",";
    assert_int_equal(ledger_genesis_parse((const uint8_t *)text, strlen(text), f->g, msg,
                                          sizeof msg),
                     WB_ERR_CONFIG);
    assert_msg_has(msg, "genesis: invalid JSON at line 1");
    text = "{\"chain_id\": \"a\", \"chain_id\": \"b\"}";
    assert_int_equal(ledger_genesis_parse((const uint8_t *)text, strlen(text), f->g, msg,
                                          sizeof msg),
                     WB_ERR_CONFIG);
    assert_msg_has(msg, "duplicate");
    text = "[1, 2]";
    assert_int_equal(ledger_genesis_parse((const uint8_t *)text, strlen(text), f->g, msg,
                                          sizeof msg),
                     WB_ERR_CONFIG);
    assert_msg_has(msg, "genesis: expected a JSON object");
    assert_int_equal(ledger_genesis_parse((const uint8_t *)text, 0, f->g, msg, sizeof msg),
                     WB_ERR_CONFIG);
    assert_msg_has(msg, "genesis: empty");
}

/* ---- members ------------------------------------------------------------------- */

static void member_role_missing_or_unknown_named(void **state)
{
    struct fixture *f = *state;
    json_t *root = valid_genesis(f);
    json_object_set_new(path_get(root, "members", 0), "role", json_string("captain"));
    expect_error(f, root, "members[0].role: expected one of shipper, carrier, customs, auditor");

    root = valid_genesis(f);
    json_object_set_new(path_get(root, "members", 1), "role", json_string("Carrier"));
    expect_error(f, root, "members[1].role: expected one of shipper, carrier, customs, auditor");

    root = valid_genesis(f);
    json_object_del(path_get(root, "members", 2), "role");
    expect_error(f, root, "members[2].role: missing, expected one of shipper");
}

static void member_keys_malformed_named(void **state)
{
    struct fixture *f = *state;
    json_t *keys;
    json_t *root = valid_genesis(f);
    keys = json_object_get(path_get(root, "members", 0), "keys");
    json_array_set_new(keys, 0, json_string("not hex at all"));
    expect_error(f, root, "members[0].keys[0]: expected 64 hex characters");

    char short_hex[64];
    memcpy(short_hex, f->hex[0], 63);
    short_hex[63] = '\0';
    root = valid_genesis(f);
    keys = json_object_get(path_get(root, "members", 0), "keys");
    json_array_set_new(keys, 0, json_string(short_hex));
    expect_error(f, root, "members[0].keys[0]: expected 64 hex characters");

    root = valid_genesis(f);
    keys = json_object_get(path_get(root, "members", 0), "keys");
    json_array_set_new(keys, 1, json_integer(5));
    expect_error(f, root, "members[0].keys[1]: expected 64 hex characters");

    /* Hex, but no usable key: all zeros is a small-order point. */
    char zeros[65];
    memset(zeros, '0', 64);
    zeros[64] = '\0';
    root = valid_genesis(f);
    keys = json_object_get(path_get(root, "members", 0), "keys");
    json_array_set_new(keys, 0, json_string(zeros));
    expect_error(f, root, "members[0].keys[0]: not a valid Ed25519 public key");

    root = valid_genesis(f);
    json_object_set_new(path_get(root, "members", 1), "keys", json_array());
    expect_error(f, root, "members[1].keys: expected an array of 1 to 8 keys");

    root = valid_genesis(f);
    keys = json_object_get(path_get(root, "members", 1), "keys");
    for (int i = 0; i < 8; i++) json_array_append_new(keys, json_string(f->hex[i]));
    expect_error(f, root, "members[1].keys: expected an array of 1 to 8 keys");

    root = valid_genesis(f);
    json_object_del(path_get(root, "members", 3), "keys");
    expect_error(f, root, "members[3].keys: missing");
}

static void duplicate_keys_and_orgs_named(void **state)
{
    struct fixture *f = *state;
    json_t *keys;
    /* Twice in one organisation. */
    json_t *root = valid_genesis(f);
    keys = json_object_get(path_get(root, "members", 0), "keys");
    json_array_set_new(keys, 1, json_string(f->hex[0]));
    expect_error(f, root, "members[0].keys[1]: duplicate key (also members[0].keys[0])");

    /* In two organisations. */
    root = valid_genesis(f);
    keys = json_object_get(path_get(root, "members", 2), "keys");
    json_array_set_new(keys, 0, json_string(f->hex[1]));
    expect_error(f, root, "members[2].keys[0]: duplicate key (also members[0].keys[1])");

    /* A validator key that is also a client key. */
    root = valid_genesis(f);
    json_object_set_new(path_get(root, "validators", 0), "key", json_string(f->hex[2]));
    expect_error(f, root, "validators[0].key: duplicate key (also members[1].keys[0])");

    /* Two validators with one key. */
    root = valid_genesis(f);
    json_object_set_new(path_get(root, "validators", 3), "key", json_string(f->hex[6]));
    expect_error(f, root, "validators[3].key: duplicate key (also validators[1].key)");

    /* Two organisations with one name. */
    root = valid_genesis(f);
    json_object_set_new(path_get(root, "members", 3), "org", json_string("acme"));
    expect_error(f, root, "members[3].org: duplicate organisation 'acme' (also members[0])");
}

static void member_entries_malformed_named(void **state)
{
    struct fixture *f = *state;
    json_t *root = valid_genesis(f);
    json_array_append_new(json_object_get(root, "members"), json_string("acme"));
    expect_error(f, root, "members[4]: expected an object");

    root = valid_genesis(f);
    json_object_set_new(path_get(root, "members", 1), "org", json_string(" padded"));
    expect_error(f, root, "members[1].org: expected 1 to 64 printable ASCII characters");

    root = valid_genesis(f);
    json_object_set_new(path_get(root, "members", 1), "org", json_string(""));
    expect_error(f, root, "members[1].org: expected");

    root = valid_genesis(f);
    json_object_del(root, "members");
    expect_error(f, root, "members: missing, expected an array of 1 to 64 member organisations");

    root = valid_genesis(f);
    json_object_set_new(root, "members", json_array());
    expect_error(f, root, "members: expected an array of 1 to 64 member organisations");
}

/* ---- validators ----------------------------------------------------------------- */

/* The peer address that a node cannot dial is refused with the one
 * grammar's text (common/addr.h), the same a node config and --node give;
 * names, IPv6 literals and the same address spelt twice are handled like
 * the node handles them. */
static void p2p_addresses_follow_the_one_grammar(void **state)
{
    struct fixture *f = *state;
    json_t *root = valid_genesis(f);
    json_object_set_new(path_get(root, "validators", 1), "p2p", json_string("node_1:27101"));
    char msg[MSG_LEN];
    assert_int_equal(parse_json(f, root, msg), WB_ERR_CONFIG);
    assert_string_equal(msg,
                        "validators[1].p2p: 'node_1:27101' is not host:port: host 'node_1' has "
                        "'_' (a host is a DNS name, an IPv4 address or a bracketed IPv6 address "
                        "such as [::1]; port 1 to 65535)");

    /* Accepted: a name (kept as written), a trailing dot, IPv6. */
    root = valid_genesis(f);
    json_object_set_new(path_get(root, "validators", 1), "p2p",
                        json_string("Validator1.Example.ORG.:65535"));
    json_object_set_new(path_get(root, "validators", 2), "p2p", json_string("[fd00::7]:1"));
    assert_int_equal(parse_json(f, root, msg), WB_OK);
    assert_string_equal(f->g->validators[1].p2p, "Validator1.Example.ORG.:65535");
    assert_string_equal(f->g->validators[2].p2p, "[fd00::7]:1");

    /* Duplicates as the node sees them: [::1] is [0::1], names ignore case. */
    root = valid_genesis(f);
    json_object_set_new(path_get(root, "validators", 2), "p2p", json_string("[0::1]:7003"));
    json_object_set_new(path_get(root, "validators", 3), "p2p", json_string("[::1]:7003"));
    expect_error(f, root, "validators[3].p2p: duplicate address [::1]:7003 (also validators[2])");
    root = valid_genesis(f);
    json_object_set_new(path_get(root, "validators", 1), "p2p",
                        json_string("VALIDATOR2.example.org.:7002"));
    expect_error(f, root,
                 "validators[2].p2p: duplicate address validator2.example.org:7002 (also "
                 "validators[1])");

    /* A name of 253 characters fits (WB_ADDR_MAX), one more does not. */
    char host[WB_ADDR_NAME_MAX + 2], addr[WB_ADDR_STR_MAX + 8];
    memset(host, 'a', sizeof host);
    for (size_t i = 63; i < sizeof host; i += 64) host[i] = '.';
    host[WB_ADDR_NAME_MAX] = '\0';
    snprintf(addr, sizeof addr, "%s:65535", host);
    root = valid_genesis(f);
    json_object_set_new(path_get(root, "validators", 0), "p2p", json_string(addr));
    assert_int_equal(parse_json(f, root, msg), WB_OK);
    assert_string_equal(f->g->validators[0].p2p, addr);
    host[WB_ADDR_NAME_MAX] = 'a';
    host[WB_ADDR_NAME_MAX + 1] = '\0';
    snprintf(addr, sizeof addr, "%s:65535", host);
    root = valid_genesis(f);
    json_object_set_new(path_get(root, "validators", 0), "p2p", json_string(addr));
    expect_error(f, root, "is longer than 253 characters");
}

/* The optional client API address: absent is "", present it is parsed like
 * p2p and must differ from every api and p2p address of the genesis. */
static void api_addresses_optional_unique_and_checked(void **state)
{
    struct fixture *f = *state;
    char msg[MSG_LEN];
    json_t *root = valid_genesis(f);
    assert_int_equal(parse_json(f, root, msg), WB_OK);
    for (size_t i = 0; i < 4; i++) assert_string_equal(f->g->validators[i].api, "");

    root = valid_genesis(f);
    json_object_set_new(path_get(root, "validators", 0), "api", json_string("127.0.0.1:7100"));
    json_object_set_new(path_get(root, "validators", 2), "api",
                        json_string("Validator2.example.org.:7102"));
    json_object_set_new(path_get(root, "validators", 3), "api", json_string("[::1]:7103"));
    assert_int_equal(parse_json(f, root, msg), WB_OK);
    assert_string_equal(f->g->validators[0].api, "127.0.0.1:7100");
    assert_string_equal(f->g->validators[1].api, "");
    assert_string_equal(f->g->validators[2].api, "Validator2.example.org.:7102");
    assert_string_equal(f->g->validators[3].api, "[::1]:7103");

    /* a bad address, with the grammar's own reason */
    root = valid_genesis(f);
    json_object_set_new(path_get(root, "validators", 1), "api", json_string("node_1:27101"));
    assert_int_equal(parse_json(f, root, msg), WB_ERR_CONFIG);
    char want[MSG_LEN], why[WB_ADDR_MSG_MAX];
    assert_int_equal(wb_addr_parse("node_1:27101", &(struct wb_addr){0}, why, sizeof why),
                     WB_ERR_INVALID);
    snprintf(want, sizeof want, "validators[1].api: %s", why);
    assert_string_equal(msg, want);
    root = valid_genesis(f);
    json_object_set_new(path_get(root, "validators", 1), "api", json_integer(7101));
    expect_error(f, root, "validators[1].api: expected host:port");

    /* duplicates: two api, api and another's p2p (either order), its own p2p */
    root = valid_genesis(f);
    json_object_set_new(path_get(root, "validators", 0), "api", json_string("[0::1]:7100"));
    json_object_set_new(path_get(root, "validators", 2), "api", json_string("[::1]:7100"));
    expect_error(f, root,
                 "validators[2].api: duplicate address [::1]:7100 (also the api of "
                 "validators[0])");
    root = valid_genesis(f);
    json_object_set_new(path_get(root, "validators", 1), "api", json_string("127.0.0.1:7000"));
    expect_error(f, root,
                 "validators[1].api: duplicate address 127.0.0.1:7000 (also the p2p of "
                 "validators[0])");
    root = valid_genesis(f);
    json_object_set_new(path_get(root, "validators", 0), "api", json_string("[::1]:7003"));
    expect_error(f, root,
                 "validators[3].p2p: duplicate address [::1]:7003 (the api of validators[0])");
    root = valid_genesis(f);
    json_object_set_new(path_get(root, "validators", 1), "api", json_string("127.0.0.1:7001"));
    expect_error(f, root, "validators[1].api: 127.0.0.1:7001 is also its p2p address");
}

static void validator_fields_named(void **state)
{
    struct fixture *f = *state;
    json_t *root = valid_genesis(f);
    json_object_set_new(path_get(root, "validators", 1), "org", json_string("nobody"));
    expect_error(f, root, "validators[1].org: 'nobody' is not a member organisation");

    root = valid_genesis(f);
    json_object_del(path_get(root, "validators", 1), "org");
    expect_error(f, root, "validators[1].org: missing");

    root = valid_genesis(f);
    json_object_set_new(path_get(root, "validators", 2), "key", json_string("abc"));
    expect_error(f, root, "validators[2].key: expected 64 hex characters");

    root = valid_genesis(f);
    json_object_del(path_get(root, "validators", 0), "key");
    expect_error(f, root, "validators[0].key: missing");

    root = valid_genesis(f);
    json_object_set_new(path_get(root, "validators", 1), "name", json_string("node0"));
    expect_error(f, root, "validators[1].name: duplicate validator name 'node0'");

    root = valid_genesis(f);
    json_object_set_new(path_get(root, "validators", 1), "name", json_string("node 1"));
    expect_error(f, root, "validators[1].name: expected 1 to 64 characters");

    root = valid_genesis(f);
    json_object_set_new(path_get(root, "validators", 2), "p2p", json_string("127.0.0.1:7000"));
    expect_error(f, root, "validators[2].p2p: duplicate address 127.0.0.1:7000");

    static const char *const bad_addrs[] = {
        "localhost", "localhost:", ":7000", "host:0", "host:65536", "host:07000",
        "::1:7000", "[::1]7000", "ho st:7000", "host:70a0", "node_1:27101", "1.2.3:7000",
        "[nothost]:7000", "a..b:7000",
    };
    for (size_t i = 0; i < sizeof bad_addrs / sizeof *bad_addrs; i++) {
        root = valid_genesis(f);
        json_object_set_new(path_get(root, "validators", 0), "p2p", json_string(bad_addrs[i]));
        char msg[MSG_LEN];
        if (parse_json(f, root, msg) != WB_ERR_CONFIG)
            fail_msg("p2p address '%s' accepted", bad_addrs[i]);
        char want[MSG_LEN], why[WB_ADDR_MSG_MAX];
        struct wb_addr a;
        assert_int_equal(wb_addr_parse(bad_addrs[i], &a, why, sizeof why), WB_ERR_INVALID);
        snprintf(want, sizeof want, "validators[0].p2p: %s", why);
        assert_string_equal(msg, want);
    }

    root = valid_genesis(f);
    json_object_set_new(root, "validators", json_array());
    expect_error(f, root, "validators: expected an array of 1 to 64 validators");

    root = valid_genesis(f);
    json_object_del(root, "validators");
    expect_error(f, root, "validators: missing");
}

/* ---- lookups and quorum ------------------------------------------------------------ */

static void lookups_find_orgs_and_validators(void **state)
{
    struct fixture *f = *state;
    char msg[MSG_LEN];
    assert_int_equal(parse_json(f, valid_genesis(f), msg), WB_OK);
    const struct ledger_genesis *g = f->g;

    assert_int_equal(ledger_genesis_org_of_key(g, f->pk[0]), 0);
    assert_int_equal(ledger_genesis_org_of_key(g, f->pk[1]), 0);
    assert_int_equal(ledger_genesis_org_of_key(g, f->pk[2]), 1);
    assert_int_equal(ledger_genesis_org_of_key(g, f->pk[4]), 3);
    assert_int_equal(ledger_genesis_org_of_key(g, f->pk[5]), -1); /* a validator key */

    assert_int_equal(ledger_genesis_org_by_name(g, "acme"), 0);
    assert_int_equal(ledger_genesis_org_by_name(g, "Oceanic Lines"), 1);
    assert_int_equal(ledger_genesis_org_by_name(g, "audit"), 3);
    assert_int_equal(ledger_genesis_org_by_name(g, "ACME"), -1);
    assert_int_equal(ledger_genesis_org_by_name(g, NULL), -1);

    assert_int_equal(ledger_genesis_validator_of_key(g, f->pk[5]), 0);
    assert_int_equal(ledger_genesis_validator_of_key(g, f->pk[8]), 3);
    assert_int_equal(ledger_genesis_validator_of_key(g, f->pk[0]), -1); /* a client key */

    assert_int_equal(ledger_genesis_quorum(g), 3);
}

static void quorum_is_more_than_two_thirds(void **state)
{
    struct fixture *f = *state;
    static const size_t want[][2] = {{1, 1}, {2, 2}, {3, 3},  {4, 3},  {5, 4}, {6, 5},
                                     {7, 5}, {8, 6}, {10, 7}, {13, 9}, {64, 43}};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        memset(f->g, 0, sizeof *f->g);
        f->g->validator_count = want[i][0];
        if (ledger_genesis_quorum(f->g) != want[i][1])
            fail_msg("quorum of %zu validators: %zu, expected %zu", want[i][0],
                     ledger_genesis_quorum(f->g), want[i][1]);
    }
}

static void chain_id_is_tagged_sha256_of_name(void **state)
{
    (void)state;
    uint8_t got[32], want[32], other[32];
    ledger_chain_id("waybill-demo", got);
    const char *tagged = "waybill/chain/v1waybill-demo";
    assert_int_equal(crypto_hash_sha256(want, (const uint8_t *)tagged, strlen(tagged)), 0);
    assert_memory_equal(got, want, 32);
    ledger_chain_id("waybill-demo2", other);
    assert_memory_not_equal(got, other, 32);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(valid_genesis_parses_every_field),
        T(genesis_time_accepts_rfc3339_utc_forms),
        T(chain_id_missing_or_malformed_named),
        T(bad_genesis_time_named),
        T(heartbeat_default_range_and_errors),
        T(header_version_default_and_values),
        T(block_events_max_default_and_bounds),
        T(governance_policy_default),
        T(governance_policy_fields),
        T(governance_policy_errors_named),
        T(time_rule_fields_default_and_bounds),
        T(unknown_fields_and_bad_json_named),
        T(member_role_missing_or_unknown_named),
        T(member_keys_malformed_named),
        T(duplicate_keys_and_orgs_named),
        T(member_entries_malformed_named),
        T(validator_fields_named),
        T(p2p_addresses_follow_the_one_grammar),
        T(api_addresses_optional_unique_and_checked),
        T(lookups_find_orgs_and_validators),
        T(quorum_is_more_than_two_thirds),
        T(chain_id_is_tagged_sha256_of_name),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
