/* Genesis: JSON parsing with a message naming the field at fault, the chain
 * id derivation, and lookups of organisations and validators. */
#include "ledger/genesis.h"

#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/addr.h"
#include "common/hex.h"
#include "common/quorum.h"
#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/sha256.h"

#define CHAIN_TAG "waybill/chain/v1"
/* A genesis with every limit used is about 60 KiB; refuse anything far
 * bigger before handing it to the JSON parser. */
#define GENESIS_JSON_MAX (1u << 20)
/* "validators[<size_t>]" and, below it, "...keys[<size_t>]" always fit. */
#define PATH_LEN 40
#define SUBPATH_LEN 80
#define ECHO_MAX 40
#define ECHO_BUF (ECHO_MAX + 4)

#define NAME_CHARS "1 to 64 characters of A-Z, a-z, 0-9, '.', '_' or '-'"
#define ROLE_CHOICES "one of shipper, carrier, customs, auditor"
#define KEY_EXPECT "64 hex characters (an Ed25519 public key)"
#define TIME_EXPECT "an RFC 3339 UTC time such as 2026-11-22T00:00:00Z"
#define P2P_EXPECT "host:port (" WB_ADDR_EXPECT ")"
#define ORG_EXPECT \
    "1 to 64 printable ASCII characters, not starting or ending with a space"

/* Text from the file echoed into a message: printable ASCII, truncated. */
static const char *echo(const char *s, char out[ECHO_BUF])
{
    size_t i = 0;
    for (; s[i] && i < ECHO_MAX; i++)
        out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (s[i]) {
        memcpy(out + i, "...", 3);
        i += 3;
    }
    out[i] = '\0';
    return out;
}

bool ledger_genesis_name_ok(const char *s, size_t len)
{
    if (len < 1 || len > WB_CHAIN_NAME_MAX) return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

bool ledger_genesis_org_name_ok(const char *s, size_t len)
{
    if (len < 1 || len > WB_ORG_MAX || s[0] == ' ' || s[len - 1] == ' ') return false;
    for (size_t i = 0; i < len; i++)
        if (s[i] < 0x20 || s[i] > 0x7e) return false;
    return true;
}

/* ---- JSON helpers --------------------------------------------------------- */

/* Rejects keys other than `allowed` (NULL-terminated), so a misspelt field
 * is reported instead of silently ignored. */
static int check_fields(json_t *obj, const char *path, const char *const *allowed, char *msg,
                        size_t msg_len)
{
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value) {
        (void)value;
        bool known = false;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(key, *a) == 0) known = true;
        if (!known) {
            char e[ECHO_BUF];
            return wb_failf(WB_ERR_CONFIG, msg, msg_len, "%s%s%s: unknown field", path,
                            *path ? "." : "", echo(key, e));
        }
    }
    return WB_OK;
}

/* The string member `key` of obj; `what` says what was expected. */
static int get_string(json_t *obj, const char *path, const char *key, const char *what,
                      const char **out, size_t *len, char *msg, size_t msg_len)
{
    const char *dot = *path ? "." : "";
    json_t *v = json_object_get(obj, key);
    if (!v)
        return wb_failf(WB_ERR_CONFIG, msg, msg_len, "%s%s%s: missing, expected %s", path, dot, key,
                        what);
    if (!json_is_string(v))
        return wb_failf(WB_ERR_CONFIG, msg, msg_len, "%s%s%s: expected %s", path, dot, key, what);
    *out = json_string_value(v);
    *len = json_string_length(v);
    /* jansson refuses \u0000 by default, so strlen agrees with len. */
    return WB_OK;
}

static int get_array(json_t *obj, const char *path, const char *key, size_t min, size_t max,
                     const char *what, json_t **out, char *msg, size_t msg_len)
{
    const char *dot = *path ? "." : "";
    json_t *v = json_object_get(obj, key);
    if (!v)
        return wb_failf(WB_ERR_CONFIG, msg, msg_len, "%s%s%s: missing, expected %s", path, dot, key,
                        what);
    if (!json_is_array(v) || json_array_size(v) < min || json_array_size(v) > max)
        return wb_failf(WB_ERR_CONFIG, msg, msg_len, "%s%s%s: expected %s", path, dot, key, what);
    *out = v;
    return WB_OK;
}

/* 64 hex digits naming a usable Ed25519 public key. */
static int parse_key(json_t *v, const char *path, uint8_t key[WB_PUBKEY_LEN], char *msg,
                     size_t msg_len)
{
    if (!json_is_string(v) || json_string_length(v) != 2 * WB_PUBKEY_LEN ||
        wb_hex_decode(json_string_value(v), key, WB_PUBKEY_LEN) != WB_OK)
        return wb_failf(WB_ERR_CONFIG, msg, msg_len, "%s: expected " KEY_EXPECT, path);
    /* A small-order or off-curve key can never verify a signature; saying
     * so here beats every event of its owner being refused later. */
    if (crypto_core_ed25519_is_valid_point(key) != 1)
        return wb_failf(WB_ERR_CONFIG, msg, msg_len, "%s: not a valid Ed25519 public key", path);
    return WB_OK;
}

/* ---- members and validators ------------------------------------------------- */

/* Where key `k` was seen first, for duplicate messages: "members[0].keys[1]"
 * or "validators[2].key"; false if nowhere yet. */
static bool key_seen(const struct ledger_genesis *g, const uint8_t k[WB_PUBKEY_LEN],
                     char *where, size_t where_len)
{
    for (size_t i = 0; i < g->org_count; i++)
        for (size_t j = 0; j < g->orgs[i].key_count; j++)
            if (memcmp(g->orgs[i].keys[j], k, WB_PUBKEY_LEN) == 0) {
                snprintf(where, where_len, "members[%zu].keys[%zu]", i, j);
                return true;
            }
    for (size_t i = 0; i < g->validator_count; i++)
        if (memcmp(g->validators[i].key, k, WB_PUBKEY_LEN) == 0) {
            snprintf(where, where_len, "validators[%zu].key", i);
            return true;
        }
    return false;
}

static int parse_member(json_t *m, size_t idx, struct ledger_genesis *g, char *msg,
                        size_t msg_len)
{
    static const char *const fields[] = {"org", "role", "keys", NULL};
    char path[PATH_LEN], kpath[SUBPATH_LEN], where[SUBPATH_LEN], e[ECHO_BUF];
    snprintf(path, sizeof path, "members[%zu]", idx);
    if (!json_is_object(m))
        return wb_failf(WB_ERR_CONFIG, msg, msg_len,
                        "%s: expected an object with org, role and keys", path);
    int rc = check_fields(m, path, fields, msg, msg_len);
    if (rc) return rc;

    struct ledger_org *org = &g->orgs[g->org_count];
    memset(org, 0, sizeof *org);
    const char *s;
    size_t len;
    rc = get_string(m, path, "org", ORG_EXPECT, &s, &len, msg, msg_len);
    if (rc) return rc;
    if (!ledger_genesis_org_name_ok(s, len))
        return wb_failf(WB_ERR_CONFIG, msg, msg_len, "%s.org: expected " ORG_EXPECT, path);
    int other = ledger_genesis_org_by_name(g, s);
    if (other >= 0)
        return wb_failf(WB_ERR_CONFIG, msg, msg_len,
                        "%s.org: duplicate organisation '%s' (also members[%d])", path, echo(s, e),
                        other);
    memcpy(org->name, s, len + 1);

    rc = get_string(m, path, "role", ROLE_CHOICES, &s, &len, msg, msg_len);
    if (rc) return rc;
    org->role = ledger_role_parse(s);
    if (org->role == LEDGER_ROLE_NONE)
        return wb_failf(WB_ERR_CONFIG, msg, msg_len, "%s.role: expected " ROLE_CHOICES ", got '%s'",
                        path, echo(s, e));

    json_t *keys;
    rc = get_array(m, path, "keys", 1, WB_ORG_KEYS_MAX,
                   "an array of 1 to 8 keys of " KEY_EXPECT, &keys, msg, msg_len);
    if (rc) return rc;
    for (size_t j = 0; j < json_array_size(keys); j++) {
        snprintf(kpath, sizeof kpath, "%s.keys[%zu]", path, j);
        uint8_t k[WB_PUBKEY_LEN];
        rc = parse_key(json_array_get(keys, j), kpath, k, msg, msg_len);
        if (rc) return rc;
        /* The org being parsed is not counted yet: check its own keys too. */
        for (size_t i = 0; i < org->key_count; i++)
            if (memcmp(org->keys[i], k, WB_PUBKEY_LEN) == 0)
                return wb_failf(WB_ERR_CONFIG, msg, msg_len,
                                "%s: duplicate key (also %s.keys[%zu])", kpath, path, i);
        if (key_seen(g, k, where, sizeof where))
            return wb_failf(WB_ERR_CONFIG, msg, msg_len, "%s: duplicate key (also %s)", kpath,
                            where);
        memcpy(org->keys[org->key_count++], k, WB_PUBKEY_LEN);
    }
    g->org_count++;
    return WB_OK;
}

/* "api": optional, the validator's client API address, in the grammar of
 * p2p; unique among every validator's api and p2p addresses (p2p: this
 * validator's own, already parsed). val->api stays "" when absent. */
static int parse_api(json_t *v, const char *path, const struct ledger_genesis *g,
                     const struct wb_addr *p2p, struct ledger_validator *val, char *msg,
                     size_t msg_len)
{
    if (!json_object_get(v, "api")) return WB_OK;
    const char *s;
    size_t len;
    char why[WB_ADDR_MSG_MAX], e[ECHO_BUF];
    int rc = get_string(v, path, "api", P2P_EXPECT, &s, &len, msg, msg_len);
    if (rc) return rc;
    struct wb_addr addr, other;
    if (wb_addr_parse(s, &addr, why, sizeof why) != WB_OK)
        return wb_failf(WB_ERR_CONFIG, msg, msg_len, "%s.api: %s", path, why);
    if (wb_addr_equal(&addr, p2p))
        return wb_failf(WB_ERR_CONFIG, msg, msg_len, "%s.api: %s is also its p2p address",
                        path, echo(s, e));
    for (size_t i = 0; i < g->validator_count; i++) {
        const struct ledger_validator *o = &g->validators[i];
        bool same_api = o->api[0] && wb_addr_parse(o->api, &other, NULL, 0) == WB_OK &&
                        wb_addr_equal(&addr, &other);
        bool same_p2p = wb_addr_parse(o->p2p, &other, NULL, 0) == WB_OK &&
                        wb_addr_equal(&addr, &other);
        if (same_api || same_p2p)
            return wb_failf(WB_ERR_CONFIG, msg, msg_len,
                            "%s.api: duplicate address %s (also the %s of validators[%zu])",
                            path, echo(s, e), same_api ? "api" : "p2p", i);
    }
    WB_ASSERT(len <= WB_ADDR_MAX);
    memcpy(val->api, s, len + 1);
    return WB_OK;
}

static int parse_validator(json_t *v, size_t idx, struct ledger_genesis *g, char *msg,
                           size_t msg_len)
{
    static const char *const fields[] = {"name", "org", "key", "p2p", "api", NULL};
    char path[PATH_LEN], kpath[SUBPATH_LEN], where[SUBPATH_LEN], e[ECHO_BUF];
    snprintf(path, sizeof path, "validators[%zu]", idx);
    if (!json_is_object(v))
        return wb_failf(WB_ERR_CONFIG, msg, msg_len,
                        "%s: expected an object with name, org, key and p2p", path);
    int rc = check_fields(v, path, fields, msg, msg_len);
    if (rc) return rc;

    struct ledger_validator *val = &g->validators[g->validator_count];
    memset(val, 0, sizeof *val);
    const char *s;
    size_t len;
    rc = get_string(v, path, "name", NAME_CHARS, &s, &len, msg, msg_len);
    if (rc) return rc;
    if (!ledger_genesis_name_ok(s, len) || len > WB_NODE_NAME_MAX)
        return wb_failf(WB_ERR_CONFIG, msg, msg_len, "%s.name: expected " NAME_CHARS, path);
    for (size_t i = 0; i < g->validator_count; i++)
        if (strcmp(g->validators[i].name, s) == 0)
            return wb_failf(WB_ERR_CONFIG, msg, msg_len,
                            "%s.name: duplicate validator name '%s' (also "
                            "validators[%zu])",
                            path, s, i);
    memcpy(val->name, s, len + 1);

    rc = get_string(v, path, "org", "the name of a member organisation", &s, &len, msg,
                    msg_len);
    if (rc) return rc;
    if (ledger_genesis_org_by_name(g, s) < 0)
        return wb_failf(WB_ERR_CONFIG, msg, msg_len, "%s.org: '%s' is not a member organisation",
                        path, echo(s, e));
    memcpy(val->org, s, len + 1);

    json_t *k = json_object_get(v, "key");
    snprintf(kpath, sizeof kpath, "%s.key", path);
    if (!k)
        return wb_failf(WB_ERR_CONFIG, msg, msg_len, "%s: missing, expected " KEY_EXPECT, kpath);
    rc = parse_key(k, kpath, val->key, msg, msg_len);
    if (rc) return rc;
    if (key_seen(g, val->key, where, sizeof where))
        return wb_failf(WB_ERR_CONFIG, msg, msg_len, "%s: duplicate key (also %s)", kpath, where);

    rc = get_string(v, path, "p2p", P2P_EXPECT, &s, &len, msg, msg_len);
    if (rc) return rc;
    char why[WB_ADDR_MSG_MAX];
    struct wb_addr addr, other;
    if (wb_addr_parse(s, &addr, why, sizeof why) != WB_OK)
        return wb_failf(WB_ERR_CONFIG, msg, msg_len, "%s.p2p: %s", path, why);
    /* Parsed again, not compared as text: "[::1]:7000" is "[0::1]:7000",
     * and names ignore case and a trailing dot. */
    for (size_t i = 0; i < g->validator_count; i++)
        if (wb_addr_parse(g->validators[i].p2p, &other, NULL, 0) == WB_OK &&
            wb_addr_equal(&addr, &other))
            return wb_failf(WB_ERR_CONFIG, msg, msg_len,
                            "%s.p2p: duplicate address %s (also validators[%zu])", path, echo(s, e),
                            i);
    for (size_t i = 0; i < g->validator_count; i++)
        if (g->validators[i].api[0] &&
            wb_addr_parse(g->validators[i].api, &other, NULL, 0) == WB_OK &&
            wb_addr_equal(&addr, &other))
            return wb_failf(WB_ERR_CONFIG, msg, msg_len,
                            "%s.p2p: duplicate address %s (the api of validators[%zu])", path,
                            echo(s, e), i);
    WB_ASSERT(len <= WB_ADDR_MAX);
    memcpy(val->p2p, s, len + 1);
    rc = parse_api(v, path, g, &addr, val, msg, msg_len);
    if (rc) return rc;
    g->validator_count++;
    return WB_OK;
}

/* "heartbeat_ms": optional, an integer from WB_HEARTBEAT_MS_MIN to
 * WB_HEARTBEAT_MS_MAX; g keeps its default when the member is absent. */
static int parse_heartbeat(json_t *root, struct ledger_genesis *g, char *msg, size_t msg_len)
{
    json_t *v = json_object_get(root, "heartbeat_ms");
    if (!v) return WB_OK;
    json_int_t ms = json_is_integer(v) ? json_integer_value(v) : -1;
    if (ms < WB_HEARTBEAT_MS_MIN || ms > WB_HEARTBEAT_MS_MAX)
        return wb_failf(WB_ERR_CONFIG, msg, msg_len,
                        "heartbeat_ms: expected an integer from %d to %d (milliseconds)",
                        WB_HEARTBEAT_MS_MIN, WB_HEARTBEAT_MS_MAX);
    g->heartbeat_ms = (uint32_t)ms;
    return WB_OK;
}

/* "header_version": optional, 1 or 2; g keeps its default when absent. */
static int parse_header_version(json_t *root, struct ledger_genesis *g, char *msg,
                                size_t msg_len)
{
    json_t *v = json_object_get(root, "header_version");
    if (!v) return WB_OK;
    json_int_t version = json_is_integer(v) ? json_integer_value(v) : -1;
    if (version != WB_BLOCK_VERSION && version != WB_BLOCK_VERSION_STATE)
        return wb_failf(WB_ERR_CONFIG, msg, msg_len, "header_version: expected %d or %d",
                        WB_BLOCK_VERSION, WB_BLOCK_VERSION_STATE);
    g->header_version = (uint32_t)version;
    return WB_OK;
}

/* "block_events_max": optional, 1 to WB_BLOCK_EVENTS_MAX_LIMIT. */
static int parse_block_events_max(json_t *root, struct ledger_genesis *g, char *msg,
                                  size_t msg_len)
{
    json_t *v = json_object_get(root, "block_events_max");
    if (!v) return WB_OK;
    json_int_t n = json_is_integer(v) ? json_integer_value(v) : -1;
    if (n < 1 || n > WB_BLOCK_EVENTS_MAX_LIMIT)
        return wb_failf(WB_ERR_CONFIG, msg, msg_len, "block_events_max: expected an integer "
                        "from 1 to %d", WB_BLOCK_EVENTS_MAX_LIMIT);
    g->block_events_max = (uint32_t)n;
    return WB_OK;
}

/* "governance": optional {"voting_roles": [ROLE, ...], "threshold": "N/D",
 * "proposal_ttl_ms": MS}, each member optional. */
static int parse_governance(json_t *root, struct ledger_genesis *g, char *msg, size_t msg_len)
{
    static const char *const fields[] = {"voting_roles", "threshold", "proposal_ttl_ms", NULL};
    json_t *obj = json_object_get(root, "governance");
    if (!obj) return WB_OK;
    if (!json_is_object(obj))
        return wb_failf(WB_ERR_CONFIG, msg, msg_len, "governance: expected a JSON object");
    int rc = check_fields(obj, "governance", fields, msg, msg_len);
    if (rc) return rc;
    struct ledger_gov_policy *p = &g->gov_policy;
    json_t *roles = json_object_get(obj, "voting_roles");
    if (roles) {
        if (!json_is_array(roles) || json_array_size(roles) == 0)
            return wb_failf(WB_ERR_CONFIG, msg, msg_len,
                            "governance.voting_roles: expected a non-empty array of roles "
                            "(" ROLE_CHOICES ")");
        p->voting_roles = 0;
        size_t i;
        json_t *r;
        json_array_foreach(roles, i, r) {
            enum ledger_role role =
                json_is_string(r) ? ledger_role_parse(json_string_value(r)) : LEDGER_ROLE_NONE;
            if (role == LEDGER_ROLE_NONE)
                return wb_failf(WB_ERR_CONFIG, msg, msg_len,
                                "governance.voting_roles[%zu]: expected " ROLE_CHOICES, i);
            if (p->voting_roles & (1u << role))
                return wb_failf(WB_ERR_CONFIG, msg, msg_len,
                                "governance.voting_roles[%zu]: role %s is listed twice", i,
                                ledger_role_name(role));
            p->voting_roles |= 1u << role;
        }
    }
    json_t *t = json_object_get(obj, "threshold");
    if (t) {
        unsigned num = 0, den = 0;
        char tail;
        if (!json_is_string(t) ||
            sscanf(json_string_value(t), "%u/%u%c", &num, &den, &tail) != 2 || num < 1 ||
            den > WB_GOV_THRESHOLD_DEN_MAX || num > den)
            return wb_failf(WB_ERR_CONFIG, msg, msg_len,
                            "governance.threshold: expected \"NUM/DEN\" with 1 <= NUM <= DEN "
                            "<= %d, such as \"2/3\"",
                            WB_GOV_THRESHOLD_DEN_MAX);
        p->threshold_num = num;
        p->threshold_den = den;
    }
    json_t *ttl = json_object_get(obj, "proposal_ttl_ms");
    if (ttl) {
        json_int_t ms = json_is_integer(ttl) ? json_integer_value(ttl) : -1;
        if (ms < WB_GOV_PROPOSAL_TTL_MS_MIN || ms > WB_GOV_PROPOSAL_TTL_MS_MAX)
            return wb_failf(WB_ERR_CONFIG, msg, msg_len,
                            "governance.proposal_ttl_ms: expected an integer from %lld to %lld "
                            "(milliseconds)",
                            (long long)WB_GOV_PROPOSAL_TTL_MS_MIN,
                            (long long)WB_GOV_PROPOSAL_TTL_MS_MAX);
        p->proposal_ttl_ms = (int64_t)ms;
    }
    return WB_OK;
}

/* An optional integer member `key` in [0, max] milliseconds; *out keeps its
 * default when the member is absent. */
static int get_optional_ms(json_t *obj, const char *key, int64_t max, int64_t *out, char *msg,
                           size_t msg_len)
{
    json_t *v = json_object_get(obj, key);
    if (!v) return WB_OK;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
        return wb_failf(WB_ERR_CONFIG, msg, msg_len,
                        "%s: expected an integer number of milliseconds, 0 to %lld", key,
                        (long long)max);
    *out = (int64_t)json_integer_value(v);
    return WB_OK;
}

static int parse_root(json_t *root, struct ledger_genesis *g, char *msg, size_t msg_len)
{
    static const char *const fields[] = {"chain_id",      "genesis_time",    "members",
                                         "validators",    "clock_skew_ms",   "backdate_max_ms",
                                         "heartbeat_ms",  "header_version", "block_events_max",
                                         "governance",    NULL};
    if (!json_is_object(root))
        return wb_failf(WB_ERR_CONFIG, msg, msg_len, "genesis: expected a JSON object");
    int rc = check_fields(root, "", fields, msg, msg_len);
    if (rc) return rc;

    const char *s;
    size_t len;
    rc = get_string(root, "", "chain_id", NAME_CHARS, &s, &len, msg, msg_len);
    if (rc) return rc;
    if (!ledger_genesis_name_ok(s, len))
        return wb_failf(WB_ERR_CONFIG, msg, msg_len, "chain_id: expected " NAME_CHARS);
    memcpy(g->chain_name, s, len + 1);
    ledger_chain_id(g->chain_name, g->chain_id);

    rc = get_string(root, "", "genesis_time", TIME_EXPECT, &s, &len, msg, msg_len);
    if (rc) return rc;
    if (!ledger_time_parse(s, len, &g->genesis_time_ms)) {
        char e[ECHO_BUF];
        return wb_failf(WB_ERR_CONFIG, msg, msg_len,
                        "genesis_time: expected " TIME_EXPECT ", got '%s'", echo(s, e));
    }

    ledger_genesis_set_defaults(g);
    rc = get_optional_ms(root, "clock_skew_ms", WB_CLOCK_SKEW_MS_MAX, &g->clock_skew_ms, msg,
                         msg_len);
    if (rc) return rc;
    rc = get_optional_ms(root, "backdate_max_ms", WB_BACKDATE_MAX_MS_MAX, &g->backdate_max_ms,
                         msg, msg_len);
    if (rc) return rc;
    rc = parse_heartbeat(root, g, msg, msg_len);
    if (rc) return rc;
    rc = parse_header_version(root, g, msg, msg_len);
    if (rc) return rc;
    rc = parse_block_events_max(root, g, msg, msg_len);
    if (rc) return rc;
    rc = parse_governance(root, g, msg, msg_len);
    if (rc) return rc;

    json_t *members, *validators;
    rc = get_array(root, "", "members", 1, WB_ORGS_MAX,
                   "an array of 1 to 64 member organisations", &members, msg, msg_len);
    if (rc) return rc;
    for (size_t i = 0; i < json_array_size(members); i++) {
        rc = parse_member(json_array_get(members, i), i, g, msg, msg_len);
        if (rc) return rc;
    }
    rc = get_array(root, "", "validators", 1, WB_VALIDATORS_MAX,
                   "an array of 1 to 64 validators", &validators, msg, msg_len);
    if (rc) return rc;
    for (size_t i = 0; i < json_array_size(validators); i++) {
        rc = parse_validator(json_array_get(validators, i), i, g, msg, msg_len);
        if (rc) return rc;
    }
    return WB_OK;
}

/* ---- public API --------------------------------------------------------------- */

void ledger_chain_id(const char *name, uint8_t out[WB_CHAIN_ID_LEN])
{
    struct ledger_sha256_ctx ctx;
    ledger_sha256_init(&ctx);
    ledger_sha256_update(&ctx, (const uint8_t *)CHAIN_TAG, strlen(CHAIN_TAG));
    ledger_sha256_update(&ctx, (const uint8_t *)name, strlen(name));
    ledger_sha256_final(&ctx, out);
}

void ledger_genesis_set_defaults(struct ledger_genesis *g)
{
    g->clock_skew_ms = WB_CLOCK_SKEW_MS_DEFAULT;
    g->backdate_max_ms = WB_BACKDATE_MAX_MS_DEFAULT;
    g->heartbeat_ms = WB_HEARTBEAT_MS_DEFAULT;
    g->header_version = WB_BLOCK_VERSION;
    g->block_events_max = 0;
    g->gov_policy.voting_roles = (1u << LEDGER_ROLE_SHIPPER) | (1u << LEDGER_ROLE_CARRIER) |
                                 (1u << LEDGER_ROLE_CUSTOMS) | (1u << LEDGER_ROLE_AUDITOR);
    g->gov_policy.threshold_num = 2;
    g->gov_policy.threshold_den = 3;
    g->gov_policy.proposal_ttl_ms = WB_GOV_PROPOSAL_TTL_MS_DEFAULT;
}

int ledger_genesis_parse(const uint8_t *json, size_t len, struct ledger_genesis *g, char *msg,
                         size_t msg_len)
{
    memset(g, 0, sizeof *g);
    if (!json || len == 0) return wb_failf(WB_ERR_CONFIG, msg, msg_len, "genesis: empty input");
    if (len > GENESIS_JSON_MAX)
        return wb_failf(WB_ERR_CONFIG, msg, msg_len, "genesis: %zu bytes, limit %u", len,
                        GENESIS_JSON_MAX);
    json_error_t jerr;
    json_t *root = json_loadb((const char *)json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return wb_failf(WB_ERR_CONFIG, msg, msg_len,
                        "genesis: invalid JSON at line %d column %d: %s", jerr.line, jerr.column,
                        jerr.text);
    int rc = parse_root(root, g, msg, msg_len);
    json_decref(root);
    if (rc) {
        memset(g, 0, sizeof *g);
        return rc;
    }
    ledger_sha256(json, len, g->hash);
    return WB_OK;
}

int ledger_genesis_org_of_key(const struct ledger_genesis *g, const uint8_t pk[WB_PUBKEY_LEN])
{
    for (size_t i = 0; i < g->org_count; i++)
        for (size_t j = 0; j < g->orgs[i].key_count; j++)
            if (memcmp(g->orgs[i].keys[j], pk, WB_PUBKEY_LEN) == 0) return (int)i;
    return -1;
}

int ledger_genesis_org_by_name(const struct ledger_genesis *g, const char *name)
{
    if (!name) return -1;
    for (size_t i = 0; i < g->org_count; i++)
        if (strcmp(g->orgs[i].name, name) == 0) return (int)i;
    return -1;
}

int ledger_genesis_validator_of_key(const struct ledger_genesis *g,
                                    const uint8_t pk[WB_PUBKEY_LEN])
{
    for (size_t i = 0; i < g->validator_count; i++)
        if (memcmp(g->validators[i].key, pk, WB_PUBKEY_LEN) == 0) return (int)i;
    return -1;
}

size_t ledger_genesis_quorum(const struct ledger_genesis *g)
{
    /* With no validators this is 1, which no vote set reaches. */
    return wb_quorum(g->validator_count);
}
