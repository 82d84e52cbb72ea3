/* Governance actions as event attributes (ledger/gov.h): the names of
 * kinds, parameters, revocation reasons and proposal statuses, and the
 * strict decode and the encode of a governance event's attributes. */
#include "ledger/gov.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "common/addr.h"
#include "common/hex.h"
#include "common/wb_error.h"

#define HEX_EXPECT "64 lowercase hex digits"
#define TIME_EXPECT "an RFC 3339 UTC time such as 2026-12-01T10:00:00Z"

/* ---- names ------------------------------------------------------------------ */

static const char *const kind_names[] = {
    [LEDGER_GOV_NONE] = NULL,
    [LEDGER_GOV_ADD_MEMBER] = "add_member",
    [LEDGER_GOV_REMOVE_MEMBER] = "remove_member",
    [LEDGER_GOV_ADD_VALIDATOR] = "add_validator",
    [LEDGER_GOV_REMOVE_VALIDATOR] = "remove_validator",
    [LEDGER_GOV_SET_PARAM] = "set_param",
};
#define KIND_COUNT (sizeof kind_names / sizeof kind_names[0])

static const char *const param_names[] = {
    [LEDGER_PARAM_NONE] = NULL,
    [LEDGER_PARAM_HEARTBEAT_MS] = "heartbeat_ms",
    [LEDGER_PARAM_CLOCK_SKEW_MS] = "clock_skew_ms",
    [LEDGER_PARAM_BACKDATE_MAX_MS] = "backdate_max_ms",
    [LEDGER_PARAM_PROPOSAL_TTL_MS] = "proposal_ttl_ms",
    [LEDGER_PARAM_BLOCK_EVENTS_MAX] = "block_events_max",
};
#define PARAM_COUNT (sizeof param_names / sizeof param_names[0])

static const char *const reason_names[] = {
    [LEDGER_REVOKE_NONE] = NULL,
    [LEDGER_REVOKE_RETIRED] = "retired",
    [LEDGER_REVOKE_COMPROMISED] = "compromised",
};
#define REASON_COUNT (sizeof reason_names / sizeof reason_names[0])

static const char *const status_names[] = {
    [0] = NULL,
    [LEDGER_PROPOSAL_PENDING] = "pending",
    [LEDGER_PROPOSAL_EXECUTED] = "executed",
    [LEDGER_PROPOSAL_EXPIRED] = "expired",
};
#define STATUS_COUNT (sizeof status_names / sizeof status_names[0])

static const char *name_of(const char *const *names, size_t count, unsigned v)
{
    return v < count ? names[v] : NULL;
}

static unsigned parse_of(const char *const *names, size_t count, const char *s)
{
    if (!s) return 0;
    for (unsigned i = 1; i < count; i++)
        if (strcmp(s, names[i]) == 0) return i;
    return 0;
}

const char *ledger_gov_kind_name(enum ledger_gov_kind k)
{
    return name_of(kind_names, KIND_COUNT, (unsigned)k);
}

enum ledger_gov_kind ledger_gov_kind_parse(const char *s)
{
    return (enum ledger_gov_kind)parse_of(kind_names, KIND_COUNT, s);
}

const char *ledger_gov_param_name(enum ledger_gov_param p)
{
    return name_of(param_names, PARAM_COUNT, (unsigned)p);
}

enum ledger_gov_param ledger_gov_param_parse(const char *s)
{
    return (enum ledger_gov_param)parse_of(param_names, PARAM_COUNT, s);
}

const char *ledger_revoke_reason_name(enum ledger_revoke_reason r)
{
    return name_of(reason_names, REASON_COUNT, (unsigned)r);
}

const char *ledger_gov_status_name(enum ledger_gov_status s)
{
    return name_of(status_names, STATUS_COUNT, (unsigned)s);
}

/* ---- decode ------------------------------------------------------------------- */

/* The range of each parameter's value, as genesis.h defines it.
 * block_events_max takes 0 too: no chain-wide cap, the genesis default. */
static void param_range(enum ledger_gov_param p, int64_t *lo, int64_t *hi)
{
    switch (p) {
    case LEDGER_PARAM_HEARTBEAT_MS:
        *lo = WB_HEARTBEAT_MS_MIN;
        *hi = WB_HEARTBEAT_MS_MAX;
        return;
    case LEDGER_PARAM_CLOCK_SKEW_MS:
        *lo = 0;
        *hi = WB_CLOCK_SKEW_MS_MAX;
        return;
    case LEDGER_PARAM_BACKDATE_MAX_MS:
        *lo = 0;
        *hi = WB_BACKDATE_MAX_MS_MAX;
        return;
    case LEDGER_PARAM_PROPOSAL_TTL_MS:
        *lo = WB_GOV_PROPOSAL_TTL_MS_MIN;
        *hi = WB_GOV_PROPOSAL_TTL_MS_MAX;
        return;
    case LEDGER_PARAM_BLOCK_EVENTS_MAX:
        *lo = 0;
        *hi = WB_BLOCK_EVENTS_MAX_LIMIT;
        return;
    default:
        *lo = 0;
        *hi = -1;
        return;
    }
}

/* What decode reads: the event, the attributes it may take (a bit per
 * attribute index once read), and the message buffer. */
struct reader {
    const struct ledger_event *ev;
    const char *act;
    uint32_t used;
    char *msg;
    size_t msg_len;
};

static int fail(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct reader *r, const char *fmt, ...)
{
    if (r->msg && r->msg_len) {
        int n = snprintf(r->msg, r->msg_len, "%s: ", r->act);
        if (n >= 0 && (size_t)n < r->msg_len) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(r->msg + n, r->msg_len - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return WB_ERR_INVALID;
}

/* The value of attribute `key`, marking it read; NULL when absent. */
static const char *take(struct reader *r, const char *key)
{
    size_t n = r->ev->attr_count < WB_ATTRS_MAX ? r->ev->attr_count : WB_ATTRS_MAX;
    for (size_t i = 0; i < n; i++)
        if (strcmp(r->ev->attrs[i].key, key) == 0) {
            r->used |= 1u << i;
            return r->ev->attrs[i].value;
        }
    return NULL;
}

static int need(struct reader *r, const char *key, const char *what, const char **out)
{
    *out = take(r, key);
    if (!*out) return fail(r, "attribute '%s' is required (%s)", key, what);
    return WB_OK;
}

static bool lower_hex(const char *s, size_t bytes)
{
    if (strlen(s) != 2 * bytes) return false;
    for (size_t i = 0; i < 2 * bytes; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
    return true;
}

static int read_hex(struct reader *r, const char *key, uint8_t *out, size_t bytes,
                    const char *what)
{
    const char *v;
    int rc = need(r, key, what, &v);
    if (rc) return rc;
    if (!lower_hex(v, bytes) || wb_hex_decode(v, out, bytes) != WB_OK)
        return fail(r, "attribute '%s' must be %s (%s)", key, HEX_EXPECT, what);
    return WB_OK;
}

static int read_key(struct reader *r, const char *key, uint8_t out[WB_PUBKEY_LEN])
{
    int rc = read_hex(r, key, out, WB_PUBKEY_LEN, "an Ed25519 public key");
    if (rc) return rc;
    if (crypto_core_ed25519_is_valid_point(out) != 1)
        return fail(r, "attribute '%s' is not a valid Ed25519 public key", key);
    return WB_OK;
}

/* A decimal integer without sign or leading zeros, in [lo, hi]. */
static bool parse_int(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    size_t n = strlen(s);
    if (n == 0 || n > 18 || (n > 1 && s[0] == '0')) return false;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    if (v < lo || v > hi) return false;
    *out = v;
    return true;
}

static int copy_text(struct reader *r, const char *key, const char *v, char *dst, size_t cap)
{
    size_t n = strlen(v);
    if (n >= cap) return fail(r, "attribute '%s' is %zu bytes, at most %zu", key, n, cap - 1);
    memcpy(dst, v, n + 1);
    return WB_OK;
}

static int read_org_name(struct reader *r, const char *key, char dst[WB_ORG_MAX + 1])
{
    const char *v;
    int rc = need(r, key, "an organisation name", &v);
    if (rc) return rc;
    if (!ledger_genesis_org_name_ok(v, strlen(v)))
        return fail(r,
                    "attribute '%s' must be an organisation name: 1 to 64 printable ASCII "
                    "characters, not starting or ending with a space",
                    key);
    return copy_text(r, key, v, dst, WB_ORG_MAX + 1);
}

static int read_node_name(struct reader *r, char dst[WB_NODE_NAME_MAX + 1])
{
    const char *v;
    int rc = need(r, "name", "a validator name", &v);
    if (rc) return rc;
    if (!ledger_genesis_name_ok(v, strlen(v)) || strlen(v) > WB_NODE_NAME_MAX)
        return fail(r,
                    "attribute 'name' must be a validator name: 1 to 64 characters of A-Z, "
                    "a-z, 0-9, '.', '_' or '-'");
    return copy_text(r, "name", v, dst, WB_NODE_NAME_MAX + 1);
}

static int read_addr(struct reader *r, const char *key, bool required,
                     char dst[WB_ADDR_MAX + 1])
{
    const char *v = take(r, key);
    if (!v) {
        if (required) return fail(r, "attribute '%s' is required (host:port)", key);
        dst[0] = '\0';
        return WB_OK;
    }
    struct wb_addr a;
    char why[WB_ADDR_MSG_MAX];
    if (wb_addr_parse(v, &a, why, sizeof why) != WB_OK)
        return fail(r, "attribute '%s': %s", key, why);
    return copy_text(r, key, v, dst, WB_ADDR_MAX + 1);
}

static int decode_member(struct reader *r, struct ledger_gov_action *a)
{
    int rc = read_org_name(r, "org", a->member.name);
    if (rc) return rc;
    if (a->kind == LEDGER_GOV_REMOVE_MEMBER) return WB_OK;
    const char *v;
    rc = need(r, "role", "shipper, carrier, customs or auditor", &v);
    if (rc) return rc;
    a->member.role = ledger_role_parse(v);
    if (a->member.role == LEDGER_ROLE_NONE)
        return fail(r, "attribute 'role' must be shipper, carrier, customs or auditor");
    char key[24];
    for (size_t i = 0; i < WB_ORG_KEYS_MAX; i++) {
        snprintf(key, sizeof key, "key%zu", i + 1);
        if (i > 0 && !ledger_event_attr(r->ev, key)) break;
        rc = read_key(r, key, a->member.keys[i]);
        if (rc) return rc;
        for (size_t j = 0; j < i; j++)
            if (memcmp(a->member.keys[j], a->member.keys[i], WB_PUBKEY_LEN) == 0)
                return fail(r, "attribute '%s' repeats key%zu", key, j + 1);
        a->member.key_count = i + 1;
    }
    return WB_OK;
}

static int decode_validator(struct reader *r, struct ledger_gov_action *a)
{
    int rc = read_node_name(r, a->validator.name);
    if (rc || a->kind == LEDGER_GOV_REMOVE_VALIDATOR) return rc;
    rc = read_org_name(r, "org", a->validator.org);
    if (rc) return rc;
    rc = read_key(r, "key", a->validator.key);
    if (rc) return rc;
    rc = read_addr(r, "p2p", true, a->validator.p2p);
    if (rc) return rc;
    return read_addr(r, "api", false, a->validator.api);
}

static int decode_param(struct reader *r, struct ledger_gov_action *a)
{
    const char *v;
    int rc = need(r, "param", "the parameter's name", &v);
    if (rc) return rc;
    a->param = ledger_gov_param_parse(v);
    if (a->param == LEDGER_PARAM_NONE)
        return fail(r,
                    "attribute 'param' must be heartbeat_ms, clock_skew_ms, backdate_max_ms, "
                    "proposal_ttl_ms or block_events_max");
    int64_t lo, hi;
    param_range(a->param, &lo, &hi);
    rc = need(r, "value", "an integer", &v);
    if (rc) return rc;
    if (!parse_int(v, lo, hi, &a->value))
        return fail(r, "attribute 'value' of %s must be an integer from %" PRId64 " to %" PRId64,
                    ledger_gov_param_name(a->param), lo, hi);
    return WB_OK;
}

static int decode_propose(struct reader *r, struct ledger_gov_action *a)
{
    const char *v;
    int rc = need(r, "kind", "what the proposal changes", &v);
    if (rc) return rc;
    a->kind = ledger_gov_kind_parse(v);
    switch (a->kind) {
    case LEDGER_GOV_ADD_MEMBER:
    case LEDGER_GOV_REMOVE_MEMBER:
        rc = decode_member(r, a);
        break;
    case LEDGER_GOV_ADD_VALIDATOR:
    case LEDGER_GOV_REMOVE_VALIDATOR:
        rc = decode_validator(r, a);
        break;
    case LEDGER_GOV_SET_PARAM:
        rc = decode_param(r, a);
        break;
    default:
        return fail(r,
                    "attribute 'kind' must be add_member, remove_member, add_validator, "
                    "remove_validator or set_param");
    }
    if (rc) return rc;
    const char *note = take(r, "note");
    if (note) return copy_text(r, "note", note, a->note, sizeof a->note);
    return WB_OK;
}

static int decode_revoke(struct reader *r, struct ledger_gov_action *a)
{
    int rc = read_key(r, "key", a->key);
    if (rc) return rc;
    const char *v;
    rc = need(r, "reason", "retired or compromised", &v);
    if (rc) return rc;
    a->reason = (enum ledger_revoke_reason)parse_of(reason_names, REASON_COUNT, v);
    if (a->reason == LEDGER_REVOKE_NONE)
        return fail(r, "attribute 'reason' must be retired or compromised");
    const char *since = take(r, "since");
    if (a->reason == LEDGER_REVOKE_RETIRED) {
        if (since)
            return fail(r,
                        "attribute 'since' is for reason=compromised only; a retired key is "
                        "revoked from its revocation's block");
        return WB_OK;
    }
    if (!since)
        return fail(r,
                    "attribute 'since' is required for reason=compromised (%s: the time "
                    "from which the key is not to be trusted)",
                    TIME_EXPECT);
    if (!ledger_time_parse(since, strlen(since), &a->since_ms))
        return fail(r, "attribute 'since' must be %s", TIME_EXPECT);
    return WB_OK;
}

static int decode_device_register(struct reader *r, struct ledger_gov_action *a)
{
    int rc = read_key(r, "device", a->key);
    if (rc) return rc;
    const char *v;
    rc = need(r, "kind", "eseal, tracker, temperature, shock, humidity or light", &v);
    if (rc) return rc;
    a->device_kind = ledger_device_kind_parse(v);
    if (a->device_kind == LEDGER_DEVICE_NONE)
        return fail(r, "attribute 'kind' must be eseal, tracker, temperature, shock, humidity "
                       "or light");
    rc = need(r, "serial", "the device's serial number", &v);
    if (rc) return rc;
    if (!ledger_device_serial_ok(v, strlen(v)))
        return fail(r, "attribute 'serial' must be 1 to %d printable ASCII characters without "
                       "spaces",
                    WB_DEVICE_SERIAL_MAX);
    rc = copy_text(r, "serial", v, a->serial, sizeof a->serial);
    if (rc) return rc;
    const char *seal = take(r, "seal");
    if (a->device_kind != LEDGER_DEVICE_ESEAL) {
        if (seal)
            return fail(r, "attribute 'seal' is for kind=eseal only (its ISO 17712 seal "
                           "number)");
        return WB_OK;
    }
    if (!seal)
        return fail(r, "attribute 'seal' is required for kind=eseal (its ISO 17712 seal "
                       "number)");
    if (!ledger_seal_number_ok(seal, strlen(seal)))
        return fail(r, "attribute 'seal' must be an ISO 17712 seal number: 1 to %d characters "
                       "of A-Z, 0-9 and '-', starting with a letter or digit",
                    WB_SEAL_NUMBER_MAX);
    return copy_text(r, "seal", seal, a->seal, sizeof a->seal);
}

int ledger_gov_action_decode(const struct ledger_event *ev, struct ledger_gov_action *a,
                             char *msg, size_t msg_len)
{
    memset(a, 0, sizeof *a);
    const char *act = ledger_action_name(ev->action);
    struct reader r = {.ev = ev, .act = act ? act : "?", .msg = msg, .msg_len = msg_len};
    if (!ledger_action_is_gov(ev->action))
        return fail(&r, "not a governance action (key_add, key_revoke, gov_propose, "
                        "gov_approve, device_register, device_retire)");
    if (strcmp(ev->item, WB_GOV_CHAIN) != 0)
        return fail(&r, "governance events are on item " WB_GOV_CHAIN " only");
    if (ev->attr_count > WB_ATTRS_MAX) return fail(&r, "too many attributes");
    for (size_t i = 0; i < ev->attr_count; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(ev->attrs[i].key, ev->attrs[j].key) == 0)
                return fail(&r, "attribute '%s' appears twice", ev->attrs[i].key);
    a->action = ev->action;
    int rc;
    switch (ev->action) {
    case LEDGER_KEY_ADD:
        rc = read_key(&r, "key", a->key);
        break;
    case LEDGER_KEY_REVOKE:
        rc = decode_revoke(&r, a);
        break;
    case LEDGER_GOV_PROPOSE:
        rc = decode_propose(&r, a);
        break;
    case LEDGER_DEVICE_REGISTER:
        rc = decode_device_register(&r, a);
        break;
    case LEDGER_DEVICE_RETIRE:
        rc = read_key(&r, "device", a->key);
        break;
    default:
        rc = read_hex(&r, "proposal", a->proposal, WB_HASH_LEN,
                      "the id of the gov_propose event");
        break;
    }
    if (rc == WB_OK) {
        for (size_t i = 0; i < ev->attr_count; i++)
            if (!(r.used & (1u << i))) {
                rc = fail(&r, "attribute '%s' is not one this action takes",
                          ev->attrs[i].key);
                break;
            }
    }
    if (rc) memset(a, 0, sizeof *a);
    return rc;
}

/* ---- encode -------------------------------------------------------------------- */

struct writer {
    struct ledger_event *ev;
    char *msg;
    size_t msg_len;
};

static int put(struct writer *w, const char *key, const char *value)
{
    if (w->ev->attr_count >= WB_ATTRS_MAX)
        return wb_failf(WB_ERR_INVALID, w->msg, w->msg_len, "more than %d attributes",
                        WB_ATTRS_MAX);
    size_t n = strlen(value);
    if (n > WB_ATTR_VALUE_MAX)
        return wb_failf(WB_ERR_INVALID, w->msg, w->msg_len,
                        "%s is %zu bytes; an attribute value holds at most %d", key, n,
                        WB_ATTR_VALUE_MAX);
    struct ledger_attr *at = &w->ev->attrs[w->ev->attr_count++];
    snprintf(at->key, sizeof at->key, "%s", key);
    memcpy(at->value, value, n + 1);
    return WB_OK;
}

static int put_hex(struct writer *w, const char *key, const uint8_t *b, size_t len)
{
    char hex[2 * WB_HASH_LEN + 1];
    wb_hex_encode(b, len, hex, sizeof hex);
    return put(w, key, hex);
}

static int encode_propose(struct writer *w, const struct ledger_gov_action *a)
{
    const char *kind = ledger_gov_kind_name(a->kind);
    if (!kind) return wb_failf(WB_ERR_INVALID, w->msg, w->msg_len, "unknown proposal kind");
    int rc = put(w, "kind", kind);
    char key[24], num[24];
    switch (a->kind) {
    case LEDGER_GOV_ADD_MEMBER:
        if (!rc) rc = put(w, "org", a->member.name);
        if (!rc && !ledger_role_name(a->member.role))
            rc = wb_failf(WB_ERR_INVALID, w->msg, w->msg_len, "unknown role");
        if (!rc) rc = put(w, "role", ledger_role_name(a->member.role));
        if (!rc && (a->member.key_count < 1 || a->member.key_count > WB_ORG_KEYS_MAX))
            rc = wb_failf(WB_ERR_INVALID, w->msg, w->msg_len, "add_member takes 1 to %d keys",
                          WB_ORG_KEYS_MAX);
        for (size_t i = 0; !rc && i < a->member.key_count; i++) {
            snprintf(key, sizeof key, "key%zu", i + 1);
            rc = put_hex(w, key, a->member.keys[i], WB_PUBKEY_LEN);
        }
        break;
    case LEDGER_GOV_REMOVE_MEMBER:
        if (!rc) rc = put(w, "org", a->member.name);
        break;
    case LEDGER_GOV_ADD_VALIDATOR:
        if (!rc) rc = put(w, "name", a->validator.name);
        if (!rc) rc = put(w, "org", a->validator.org);
        if (!rc) rc = put_hex(w, "key", a->validator.key, WB_PUBKEY_LEN);
        if (!rc) rc = put(w, "p2p", a->validator.p2p);
        if (!rc && a->validator.api[0]) rc = put(w, "api", a->validator.api);
        break;
    case LEDGER_GOV_REMOVE_VALIDATOR:
        if (!rc) rc = put(w, "name", a->validator.name);
        break;
    default: /* LEDGER_GOV_SET_PARAM */
        if (!rc && !ledger_gov_param_name(a->param))
            rc = wb_failf(WB_ERR_INVALID, w->msg, w->msg_len, "unknown parameter");
        if (!rc) rc = put(w, "param", ledger_gov_param_name(a->param));
        snprintf(num, sizeof num, "%" PRId64, a->value);
        if (!rc) rc = put(w, "value", num);
        break;
    }
    if (!rc && a->note[0]) rc = put(w, "note", a->note);
    return rc;
}

int ledger_gov_action_encode(const struct ledger_gov_action *a, struct ledger_event *ev,
                             char *msg, size_t msg_len)
{
    if (!ledger_action_is_gov(a->action))
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "not a governance action");
    struct writer w = {.ev = ev, .msg = msg, .msg_len = msg_len};
    snprintf(ev->item, sizeof ev->item, "%s", WB_GOV_CHAIN);
    ev->action = a->action;
    ev->attr_count = 0;
    int rc;
    char t[LEDGER_TIME_MAX];
    switch (a->action) {
    case LEDGER_KEY_ADD:
        rc = put_hex(&w, "key", a->key, WB_PUBKEY_LEN);
        break;
    case LEDGER_KEY_REVOKE:
        if (!ledger_revoke_reason_name(a->reason))
            return wb_failf(WB_ERR_INVALID, msg, msg_len, "unknown revocation reason");
        rc = put_hex(&w, "key", a->key, WB_PUBKEY_LEN);
        if (!rc) rc = put(&w, "reason", ledger_revoke_reason_name(a->reason));
        if (!rc && a->reason == LEDGER_REVOKE_COMPROMISED)
            rc = put(&w, "since", ledger_time_format(a->since_ms, t));
        break;
    case LEDGER_GOV_PROPOSE:
        rc = encode_propose(&w, a);
        break;
    case LEDGER_DEVICE_REGISTER:
        if (!ledger_device_kind_name(a->device_kind))
            return wb_failf(WB_ERR_INVALID, msg, msg_len, "unknown device kind");
        rc = put_hex(&w, "device", a->key, WB_PUBKEY_LEN);
        if (!rc) rc = put(&w, "kind", ledger_device_kind_name(a->device_kind));
        if (!rc) rc = put(&w, "serial", a->serial);
        if (!rc && a->seal[0]) rc = put(&w, "seal", a->seal);
        break;
    case LEDGER_DEVICE_RETIRE:
        rc = put_hex(&w, "device", a->key, WB_PUBKEY_LEN);
        break;
    default:
        rc = put_hex(&w, "proposal", a->proposal, WB_HASH_LEN);
        break;
    }
    if (rc) ev->attr_count = 0;
    return rc;
}
