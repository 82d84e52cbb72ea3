/* The governance state machine (ledger/gov.h, docs/governance.md): the
 * state from genesis, the check of each governance event as one table of
 * named conditions, and its application: keys, proposals and approvals,
 * the execution of a proposal, epochs of validators, expiry. */
#include "ledger/gov.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "common/hex.h"
#include "common/wb_assert.h"
#include "common/wb_error.h"

#define SHORT_BYTES 4
#define SHORT_HEX (2 * SHORT_BYTES + 1)
#define GOV_MSG_MAX 320

/* ---- growth ------------------------------------------------------------------ */

/* Makes room for `more` elements beyond *count in *arr (cap *cap). */
static int reserve(void **arr, size_t *cap, size_t count, size_t more, size_t elem)
{
    if (count + more <= *cap) return WB_OK;
    size_t n = *cap ? *cap : 8;
    while (n < count + more) n *= 2;
    void *p = realloc(*arr, n * elem);
    if (!p) return WB_ERR_NOMEM;
    *arr = p;
    *cap = n;
    return WB_OK;
}

#define RESERVE(gv, field, countf, capf, more)                                              \
    reserve((void **)&(gv)->field, &(gv)->capf, (gv)->countf, (more), sizeof *(gv)->field)

/* ---- lookups --------------------------------------------------------------------- */

static struct ledger_gov_key *key_find_mut(struct ledger_gov *gv, const uint8_t pk[WB_PUBKEY_LEN])
{
    for (size_t i = 0; i < gv->key_count; i++)
        if (memcmp(gv->keys[i].pk, pk, WB_PUBKEY_LEN) == 0) return &gv->keys[i];
    return NULL;
}

const struct ledger_gov_key *ledger_gov_key_find(const struct ledger_gov *gv,
                                                 const uint8_t pk[WB_PUBKEY_LEN])
{
    return key_find_mut((struct ledger_gov *)gv, pk);
}

static struct ledger_gov_proposal *proposal_find_mut(struct ledger_gov *gv,
                                                     const uint8_t id[WB_HASH_LEN])
{
    for (size_t i = 0; i < gv->proposal_count; i++)
        if (memcmp(gv->proposals[i].id, id, WB_HASH_LEN) == 0) return &gv->proposals[i];
    return NULL;
}

const struct ledger_gov_proposal *ledger_gov_proposal_find(const struct ledger_gov *gv,
                                                           const uint8_t id[WB_HASH_LEN])
{
    return proposal_find_mut((struct ledger_gov *)gv, id);
}

static struct ledger_gov_device *device_find_mut(struct ledger_gov *gv,
                                                 const uint8_t pk[WB_PUBKEY_LEN])
{
    for (size_t i = 0; i < gv->device_count; i++)
        if (memcmp(gv->devices[i].pk, pk, WB_PUBKEY_LEN) == 0) return &gv->devices[i];
    return NULL;
}

const struct ledger_gov_device *ledger_gov_device_find(const struct ledger_gov *gv,
                                                       const uint8_t pk[WB_PUBKEY_LEN])
{
    return device_find_mut((struct ledger_gov *)gv, pk);
}

/* Whether pk was ever a key of the chain: a member's, a validator's or a
 * device's. A key is used for one purpose once. */
static bool key_known(const struct ledger_gov *gv, const uint8_t pk[WB_PUBKEY_LEN])
{
    return ledger_gov_key_find(gv, pk) || ledger_gov_device_find(gv, pk);
}

static bool was_removed(const struct ledger_gov *gv, const char *org)
{
    for (size_t i = 0; i < gv->removed_count; i++)
        if (strcmp(gv->removed[i], org) == 0) return true;
    return false;
}

static bool votes(const struct ledger_gov *gv, enum ledger_role role)
{
    return (gv->policy.voting_roles & (1u << role)) != 0;
}

static size_t voter_count(const struct ledger_gov *gv)
{
    size_t n = 0;
    for (size_t i = 0; i < gv->view.org_count; i++)
        if (votes(gv, gv->view.orgs[i].role)) n++;
    return n;
}

size_t ledger_gov_threshold(const struct ledger_gov *gv)
{
    uint64_t num = gv->policy.threshold_num, den = gv->policy.threshold_den;
    if (den == 0) return 1;
    uint64_t need = (num * voter_count(gv) + den - 1) / den;
    return need ? (size_t)need : 1;
}

/* Approvals of p that count now: by organisations still members of a
 * voting role. */
static size_t approvals_counted(const struct ledger_gov *gv, const struct ledger_gov_proposal *p)
{
    size_t n = 0;
    for (size_t i = 0; i < p->approval_count; i++) {
        int o = ledger_genesis_org_by_name(&gv->view, p->approvers[i]);
        if (o >= 0 && votes(gv, gv->view.orgs[o].role)) n++;
    }
    return n;
}

static bool expired_at(const struct ledger_gov *gv, const struct ledger_gov_proposal *p,
                       int64_t t)
{
    return p->time_ms + gv->policy.proposal_ttl_ms < t;
}

static int validator_by_name(const struct ledger_genesis *g, const char *name)
{
    for (size_t i = 0; i < g->validator_count; i++)
        if (strcmp(g->validators[i].name, name) == 0) return (int)i;
    return -1;
}

static bool addr_taken(const struct ledger_genesis *g, const char *text)
{
    struct wb_addr a, o;
    if (wb_addr_parse(text, &a, NULL, 0) != WB_OK) return false;
    for (size_t i = 0; i < g->validator_count; i++) {
        const struct ledger_validator *v = &g->validators[i];
        if (wb_addr_parse(v->p2p, &o, NULL, 0) == WB_OK && wb_addr_equal(&a, &o)) return true;
        if (v->api[0] && wb_addr_parse(v->api, &o, NULL, 0) == WB_OK && wb_addr_equal(&a, &o))
            return true;
    }
    return false;
}

/* ---- init, free, clone ---------------------------------------------------------- */

static int add_key(struct ledger_gov *gv, const uint8_t pk[WB_PUBKEY_LEN], const char *org,
                   bool validator, uint64_t height)
{
    int rc = RESERVE(gv, keys, key_count, key_cap, 1);
    if (rc) return rc;
    struct ledger_gov_key *k = &gv->keys[gv->key_count++];
    memset(k, 0, sizeof *k);
    memcpy(k->pk, pk, WB_PUBKEY_LEN);
    snprintf(k->org, sizeof k->org, "%s", org);
    k->validator = validator;
    k->added_height = height;
    return WB_OK;
}

static void epoch_from_view(struct ledger_gov_epoch *e, const struct ledger_genesis *g,
                            uint64_t from)
{
    memset(e, 0, sizeof *e);
    e->from_height = from;
    e->count = g->validator_count;
    memcpy(e->validators, g->validators, g->validator_count * sizeof g->validators[0]);
}

int ledger_gov_init(struct ledger_gov *gv, const struct ledger_genesis *g)
{
    memset(gv, 0, sizeof *gv);
    gv->view = *g;
    gv->policy = g->gov_policy;
    gv->time_ms = g->genesis_time_ms;
    int rc = WB_OK;
    for (size_t i = 0; !rc && i < g->org_count; i++)
        for (size_t j = 0; !rc && j < g->orgs[i].key_count; j++)
            rc = add_key(gv, g->orgs[i].keys[j], g->orgs[i].name, false, 0);
    for (size_t i = 0; !rc && i < g->validator_count; i++)
        rc = add_key(gv, g->validators[i].key, g->validators[i].org, true, 0);
    if (!rc) rc = RESERVE(gv, epochs, epoch_count, epoch_cap, 1);
    if (rc) {
        ledger_gov_free(gv);
        return rc;
    }
    epoch_from_view(&gv->epochs[0], g, 1);
    gv->epoch_count = 1;
    return WB_OK;
}

void ledger_gov_free(struct ledger_gov *gv)
{
    if (!gv) return;
    free(gv->keys);
    free(gv->proposals);
    free(gv->epochs);
    free(gv->removed);
    free(gv->devices);
    memset(gv, 0, sizeof *gv);
}

static int dup_array(void **dst, size_t *dst_cap, const void *src, size_t count, size_t elem)
{
    *dst = NULL;
    *dst_cap = 0;
    if (count == 0) return WB_OK;
    *dst = malloc(count * elem);
    if (!*dst) return WB_ERR_NOMEM;
    memcpy(*dst, src, count * elem);
    *dst_cap = count;
    return WB_OK;
}

int ledger_gov_clone(struct ledger_gov *dst, const struct ledger_gov *src)
{
    *dst = *src;
    dst->keys = NULL;
    dst->proposals = NULL;
    dst->epochs = NULL;
    dst->removed = NULL;
    dst->devices = NULL;
    dst->key_cap = dst->proposal_cap = dst->epoch_cap = dst->removed_cap = dst->device_cap = 0;
    if (dup_array((void **)&dst->keys, &dst->key_cap, src->keys, src->key_count,
                  sizeof *src->keys) ||
        dup_array((void **)&dst->proposals, &dst->proposal_cap, src->proposals,
                  src->proposal_count, sizeof *src->proposals) ||
        dup_array((void **)&dst->epochs, &dst->epoch_cap, src->epochs, src->epoch_count,
                  sizeof *src->epochs) ||
        dup_array((void **)&dst->removed, &dst->removed_cap, src->removed, src->removed_count,
                  sizeof *src->removed) ||
        dup_array((void **)&dst->devices, &dst->device_cap, src->devices, src->device_count,
                  sizeof *src->devices)) {
        ledger_gov_free(dst);
        return WB_ERR_NOMEM;
    }
    return WB_OK;
}

/* ---- the check: one named condition each --------------------------------------- */

struct gov_ctx {
    const struct ledger_gov *gv;
    const struct ledger_event *ev;
    const struct ledger_gov_action *a;
    const struct ledger_org *org;          /* the submitter's; NULL only before gov_submitter */
    const struct ledger_gov_proposal *p;   /* gov_approve: the proposal, once found */
    const char *act;
    int64_t block_ms;
    char *reason;
    size_t reason_len;
};

static int refuse(const struct gov_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int refuse(const struct gov_ctx *c, const char *fmt, ...)
{
    if (c->reason && c->reason_len) {
        int n = snprintf(c->reason, c->reason_len, "%s: ", c->act);
        if (n >= 0 && (size_t)n < c->reason_len) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(c->reason + n, c->reason_len - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return WB_ERR_RULE;
}

static const char *short_hex(const uint8_t *b, char out[SHORT_HEX])
{
    return wb_hex_encode(b, SHORT_BYTES, out, SHORT_HEX);
}

static bool is(const struct gov_ctx *c, enum ledger_action a) { return c->a->action == a; }

/* The change the event may execute: a proposal's own, or (an approval
 * that brings its proposal to the threshold) the proposal's. NULL when it
 * executes nothing. */
static const struct ledger_gov_action *change_of(const struct gov_ctx *c)
{
    size_t need = ledger_gov_threshold(c->gv);
    if (is(c, LEDGER_GOV_PROPOSE)) return need <= 1 ? c->a : NULL; /* the proposer's */
    if (is(c, LEDGER_GOV_APPROVE) && c->p)
        return approvals_counted(c->gv, c->p) + 1 >= need ? &c->p->action : NULL;
    return NULL;
}

static int gov_submitter(const struct gov_ctx *c)
{
    char h[SHORT_HEX];
    if (c->org) return WB_OK;
    return refuse(c, "submitter key %s... is not an active client key of a member",
                  short_hex(c->ev->submitter, h));
}

static int gov_voter(const struct gov_ctx *c)
{
    if ((!is(c, LEDGER_GOV_PROPOSE) && !is(c, LEDGER_GOV_APPROVE)) || votes(c->gv, c->org->role))
        return WB_OK;
    return refuse(c,
                  "'%s' has role %s, which does not vote (genesis governance.voting_roles); "
                  "a voting organisation must propose or approve",
                  c->org->name, ledger_role_name(c->org->role));
}

static int gov_key_new(const struct gov_ctx *c)
{
    char h[SHORT_HEX];
    if (!is(c, LEDGER_KEY_ADD) || !key_known(c->gv, c->a->key)) return WB_OK;
    return refuse(c, "key %s... is already known to the chain; a key is used once, make a "
                     "new one",
                  short_hex(c->a->key, h));
}

static int gov_key_room(const struct gov_ctx *c)
{
    if (!is(c, LEDGER_KEY_ADD) || c->org->key_count < WB_ORG_KEYS_MAX) return WB_OK;
    return refuse(c, "'%s' has %d active keys, the most an organisation may have; revoke one "
                     "first",
                  c->org->name, WB_ORG_KEYS_MAX);
}

static int gov_key_own(const struct gov_ctx *c)
{
    char h[SHORT_HEX];
    if (!is(c, LEDGER_KEY_REVOKE)) return WB_OK;
    for (size_t i = 0; i < c->org->key_count; i++)
        if (memcmp(c->org->keys[i], c->a->key, WB_PUBKEY_LEN) == 0) return WB_OK;
    return refuse(c, "key %s... is not an active key of '%s'; an organisation revokes its own "
                     "active keys",
                  short_hex(c->a->key, h), c->org->name);
}

static int gov_key_last(const struct gov_ctx *c)
{
    if (!is(c, LEDGER_KEY_REVOKE) || c->org->key_count > 1) return WB_OK;
    return refuse(c, "this is the last active key of '%s'; add another key first",
                  c->org->name);
}

static int gov_revoke_since(const struct gov_ctx *c)
{
    if (!is(c, LEDGER_KEY_REVOKE) || c->a->reason != LEDGER_REVOKE_COMPROMISED) return WB_OK;
    int64_t skew = c->gv->view.clock_skew_ms;
    if (c->a->since_ms <= c->ev->time_ms + skew) return WB_OK;
    char a[LEDGER_TIME_MAX], b[LEDGER_TIME_MAX];
    return refuse(c, "since %s is after the event time %s (plus clock_skew_ms); a compromise "
                     "is reported after it happened",
                  ledger_time_format(c->a->since_ms, a), ledger_time_format(c->ev->time_ms, b));
}

static int gov_pending_max(const struct gov_ctx *c)
{
    if (!is(c, LEDGER_GOV_PROPOSE)) return WB_OK;
    size_t n = 0;
    for (size_t i = 0; i < c->gv->proposal_count; i++) {
        const struct ledger_gov_proposal *p = &c->gv->proposals[i];
        if (p->status == LEDGER_PROPOSAL_PENDING && !expired_at(c->gv, p, c->block_ms)) n++;
    }
    if (n < WB_GOV_PENDING_MAX) return WB_OK;
    return refuse(c, "%d proposals are pending, the most at once; approve them or let them "
                     "expire first",
                  WB_GOV_PENDING_MAX);
}

static int gov_proposal_known(const struct gov_ctx *c)
{
    char h[SHORT_HEX];
    if (!is(c, LEDGER_GOV_APPROVE) || c->p) return WB_OK;
    return refuse(c, "no proposal has id %s...; name the id of a gov_propose event",
                  short_hex(c->a->proposal, h));
}

static int gov_proposal_pending(const struct gov_ctx *c)
{
    char h[SHORT_HEX];
    if (!is(c, LEDGER_GOV_APPROVE) || c->p->status == LEDGER_PROPOSAL_PENDING) return WB_OK;
    if (c->p->status == LEDGER_PROPOSAL_EXECUTED)
        return refuse(c, "proposal %s... was executed at height %" PRIu64 "; nothing to approve",
                      short_hex(c->p->id, h), c->p->executed_height);
    return refuse(c, "proposal %s... expired; propose it again", short_hex(c->p->id, h));
}

static int gov_proposal_expired(const struct gov_ctx *c)
{
    char h[SHORT_HEX], t[LEDGER_TIME_MAX];
    if (!is(c, LEDGER_GOV_APPROVE) || !expired_at(c->gv, c->p, c->block_ms)) return WB_OK;
    return refuse(c,
                  "proposal %s... expired: proposed in the block of %s, more than "
                  "proposal_ttl_ms (%" PRId64 " ms) before this block; propose it again",
                  short_hex(c->p->id, h), ledger_time_format(c->p->time_ms, t),
                  c->gv->policy.proposal_ttl_ms);
}

static int gov_approve_once(const struct gov_ctx *c)
{
    char h[SHORT_HEX];
    if (!is(c, LEDGER_GOV_APPROVE)) return WB_OK;
    for (size_t i = 0; i < c->p->approval_count; i++)
        if (strcmp(c->p->approvers[i], c->org->name) == 0)
            return refuse(c, "'%s' already approved proposal %s...; each organisation counts "
                             "once",
                          c->org->name, short_hex(c->p->id, h));
    return WB_OK;
}

/* The conditions of the change itself: checked when proposed, and again
 * when an approval executes it (the state may have moved on). */
static bool changes(const struct gov_ctx *c, enum ledger_gov_kind k,
                    const struct ledger_gov_action **out)
{
    const struct ledger_gov_action *a = is(c, LEDGER_GOV_PROPOSE) ? c->a : change_of(c);
    if (!a || a->kind != k) return false;
    *out = a;
    return true;
}

static int gov_member_new(const struct gov_ctx *c)
{
    const struct ledger_gov_action *a;
    if (!changes(c, LEDGER_GOV_ADD_MEMBER, &a)) return WB_OK;
    if (ledger_genesis_org_by_name(&c->gv->view, a->member.name) >= 0)
        return refuse(c, "add_member: '%s' is already a member", a->member.name);
    if (was_removed(c->gv, a->member.name))
        return refuse(c, "add_member: '%s' was a member and was removed; a name is not used "
                         "again, choose another",
                      a->member.name);
    if (c->gv->view.org_count >= WB_ORGS_MAX)
        return refuse(c, "add_member: the chain has %d members, the most it may have",
                      WB_ORGS_MAX);
    return WB_OK;
}

static int gov_member_keys_new(const struct gov_ctx *c)
{
    const struct ledger_gov_action *a;
    char h[SHORT_HEX];
    if (!changes(c, LEDGER_GOV_ADD_MEMBER, &a)) return WB_OK;
    for (size_t i = 0; i < a->member.key_count; i++)
        if (key_known(c->gv, a->member.keys[i]))
            return refuse(c, "add_member: key%zu %s... is already known to the chain; a key is "
                             "used once",
                          i + 1, short_hex(a->member.keys[i], h));
    return WB_OK;
}

static int gov_member_known(const struct gov_ctx *c)
{
    const struct ledger_gov_action *a;
    if (!changes(c, LEDGER_GOV_REMOVE_MEMBER, &a) ||
        ledger_genesis_org_by_name(&c->gv->view, a->member.name) >= 0)
        return WB_OK;
    return refuse(c, "remove_member: '%s' is not a member", a->member.name);
}

static int gov_member_validators(const struct gov_ctx *c)
{
    const struct ledger_gov_action *a;
    if (!changes(c, LEDGER_GOV_REMOVE_MEMBER, &a)) return WB_OK;
    const struct ledger_genesis *g = &c->gv->view;
    for (size_t i = 0; i < g->validator_count; i++)
        if (strcmp(g->validators[i].org, a->member.name) == 0)
            return refuse(c, "remove_member: '%s' runs validator '%s'; remove its validators "
                             "first",
                          a->member.name, g->validators[i].name);
    return WB_OK;
}

static int gov_member_last_voter(const struct gov_ctx *c)
{
    const struct ledger_gov_action *a;
    if (!changes(c, LEDGER_GOV_REMOVE_MEMBER, &a)) return WB_OK;
    int o = ledger_genesis_org_by_name(&c->gv->view, a->member.name);
    if (o < 0 || !votes(c->gv, c->gv->view.orgs[o].role) || voter_count(c->gv) > 1)
        return WB_OK;
    return refuse(c, "remove_member: '%s' is the last voting member; governance needs one",
                  a->member.name);
}

static int gov_validator_org(const struct gov_ctx *c)
{
    const struct ledger_gov_action *a;
    if (!changes(c, LEDGER_GOV_ADD_VALIDATOR, &a) ||
        ledger_genesis_org_by_name(&c->gv->view, a->validator.org) >= 0)
        return WB_OK;
    return refuse(c, "add_validator: '%s' is not a member organisation", a->validator.org);
}

static int gov_validator_new(const struct gov_ctx *c)
{
    const struct ledger_gov_action *a;
    char h[SHORT_HEX];
    if (!changes(c, LEDGER_GOV_ADD_VALIDATOR, &a)) return WB_OK;
    const struct ledger_genesis *g = &c->gv->view;
    if (validator_by_name(g, a->validator.name) >= 0)
        return refuse(c, "add_validator: a validator is already named '%s'", a->validator.name);
    if (key_known(c->gv, a->validator.key))
        return refuse(c, "add_validator: key %s... is already known to the chain; a key is "
                         "used once",
                      short_hex(a->validator.key, h));
    if (addr_taken(g, a->validator.p2p))
        return refuse(c, "add_validator: p2p address %s is already a validator's",
                      a->validator.p2p);
    if (a->validator.api[0] && addr_taken(g, a->validator.api))
        return refuse(c, "add_validator: api address %s is already a validator's",
                      a->validator.api);
    if (a->validator.api[0]) {
        struct wb_addr x, y;
        if (wb_addr_parse(a->validator.api, &x, NULL, 0) == WB_OK &&
            wb_addr_parse(a->validator.p2p, &y, NULL, 0) == WB_OK && wb_addr_equal(&x, &y))
            return refuse(c, "add_validator: api address %s is also its p2p address",
                          a->validator.api);
    }
    return WB_OK;
}

static int gov_validator_max(const struct gov_ctx *c)
{
    const struct ledger_gov_action *a;
    if (!changes(c, LEDGER_GOV_ADD_VALIDATOR, &a) ||
        c->gv->view.validator_count < WB_VALIDATORS_MAX)
        return WB_OK;
    return refuse(c, "add_validator: the chain has %d validators, the most it may have",
                  WB_VALIDATORS_MAX);
}

static int gov_validator_known(const struct gov_ctx *c)
{
    const struct ledger_gov_action *a;
    if (!changes(c, LEDGER_GOV_REMOVE_VALIDATOR, &a) ||
        validator_by_name(&c->gv->view, a->validator.name) >= 0)
        return WB_OK;
    return refuse(c, "remove_validator: no validator is named '%s'", a->validator.name);
}

static int gov_validator_last(const struct gov_ctx *c)
{
    const struct ledger_gov_action *a;
    if (!changes(c, LEDGER_GOV_REMOVE_VALIDATOR, &a) || c->gv->view.validator_count > 1)
        return WB_OK;
    return refuse(c, "remove_validator: '%s' is the last validator; add another first",
                  a->validator.name);
}

static int gov_device_new(const struct gov_ctx *c)
{
    char h[SHORT_HEX];
    if (!is(c, LEDGER_DEVICE_REGISTER)) return WB_OK;
    const struct ledger_gov_device *d = ledger_gov_device_find(c->gv, c->a->key);
    if (d)
        return refuse(c, "device %s... was registered by '%s' at height %" PRIu64 "%s; a "
                         "device key is registered once, give the device a new key",
                      short_hex(c->a->key, h), d->owner, d->registered_height,
                      d->retired ? " and retired since" : "");
    if (ledger_gov_key_find(c->gv, c->a->key))
        return refuse(c, "key %s... is a member's or validator's key; a device has a key of "
                         "its own",
                      short_hex(c->a->key, h));
    return WB_OK;
}

static int gov_device_known(const struct gov_ctx *c)
{
    char h[SHORT_HEX];
    if (!is(c, LEDGER_DEVICE_RETIRE) || ledger_gov_device_find(c->gv, c->a->key)) return WB_OK;
    return refuse(c, "no device is registered with key %s...", short_hex(c->a->key, h));
}

static int gov_device_own(const struct gov_ctx *c)
{
    char h[SHORT_HEX];
    if (!is(c, LEDGER_DEVICE_RETIRE)) return WB_OK;
    const struct ledger_gov_device *d = ledger_gov_device_find(c->gv, c->a->key);
    if (strcmp(d->owner, c->org->name) == 0) return WB_OK;
    return refuse(c, "device %s... was registered by '%s'; only its owner retires it",
                  short_hex(c->a->key, h), d->owner);
}

static int gov_device_active(const struct gov_ctx *c)
{
    char h[SHORT_HEX];
    if (!is(c, LEDGER_DEVICE_RETIRE)) return WB_OK;
    const struct ledger_gov_device *d = ledger_gov_device_find(c->gv, c->a->key);
    if (!d->retired) return WB_OK;
    return refuse(c, "device %s... was retired at height %" PRIu64 " already",
                  short_hex(c->a->key, h), d->retired_height);
}

struct gov_rule {
    const char *name;
    int (*check)(const struct gov_ctx *c);
};

#define GOV_RULE(fn) {#fn, fn}

/* In check order: who submits, who may vote, the key actions, the
 * proposal's bookkeeping, then the change (proposed, or executed by this
 * approval). */
static const struct gov_rule gov_rules[] = {
    GOV_RULE(gov_submitter),
    GOV_RULE(gov_voter),
    GOV_RULE(gov_key_new),
    GOV_RULE(gov_key_room),
    GOV_RULE(gov_key_own),
    GOV_RULE(gov_key_last),
    GOV_RULE(gov_revoke_since),
    GOV_RULE(gov_pending_max),
    GOV_RULE(gov_proposal_known),
    GOV_RULE(gov_proposal_pending),
    GOV_RULE(gov_proposal_expired),
    GOV_RULE(gov_approve_once),
    GOV_RULE(gov_member_new),
    GOV_RULE(gov_member_keys_new),
    GOV_RULE(gov_member_known),
    GOV_RULE(gov_member_validators),
    GOV_RULE(gov_member_last_voter),
    GOV_RULE(gov_validator_org),
    GOV_RULE(gov_validator_new),
    GOV_RULE(gov_validator_max),
    GOV_RULE(gov_validator_known),
    GOV_RULE(gov_validator_last),
    GOV_RULE(gov_device_new),
    GOV_RULE(gov_device_known),
    GOV_RULE(gov_device_own),
    GOV_RULE(gov_device_active),
};

#undef GOV_RULE

static void append_rule(char *reason, size_t reason_len, const char *name)
{
    if (!reason || !reason_len) return;
    size_t n = strnlen(reason, reason_len);
    if (n < reason_len) snprintf(reason + n, reason_len - n, " (rule %s)", name);
}

int ledger_gov_check(const struct ledger_gov *gv, const struct ledger_event *ev,
                     uint64_t height, int64_t block_time_ms, char *reason, size_t reason_len)
{
    (void)height;
    struct ledger_gov_action *a = malloc(sizeof *a);
    if (!a) return wb_failf(WB_ERR_NOMEM, reason, reason_len, "out of memory");
    char msg[GOV_MSG_MAX];
    if (ledger_gov_action_decode(ev, a, msg, sizeof msg) != WB_OK) {
        if (reason && reason_len) snprintf(reason, reason_len, "%s", msg);
        append_rule(reason, reason_len, "gov_attrs");
        free(a);
        return WB_ERR_RULE;
    }
    int o = ledger_genesis_org_of_key(&gv->view, ev->submitter);
    const char *act = ledger_action_name(ev->action);
    struct gov_ctx c = {
        .gv = gv,
        .ev = ev,
        .a = a,
        .org = o >= 0 ? &gv->view.orgs[o] : NULL,
        .p = a->action == LEDGER_GOV_APPROVE ? ledger_gov_proposal_find(gv, a->proposal) : NULL,
        .act = act ? act : "?",
        .block_ms = block_time_ms,
        .reason = reason,
        .reason_len = reason_len,
    };
    int rc = WB_OK;
    for (size_t i = 0; i < sizeof gov_rules / sizeof gov_rules[0]; i++) {
        rc = gov_rules[i].check(&c);
        if (rc == WB_OK) continue;
        append_rule(reason, reason_len, gov_rules[i].name);
        break;
    }
    free(a);
    return rc;
}

/* ---- apply ------------------------------------------------------------------------ */

void ledger_gov_advance(struct ledger_gov *gv, uint64_t height, int64_t block_time_ms)
{
    if (height > gv->height) gv->height = height;
    if (block_time_ms > gv->time_ms) gv->time_ms = block_time_ms;
    for (size_t i = 0; i < gv->proposal_count; i++) {
        struct ledger_gov_proposal *p = &gv->proposals[i];
        if (p->status == LEDGER_PROPOSAL_PENDING && expired_at(gv, p, block_time_ms))
            p->status = LEDGER_PROPOSAL_EXPIRED;
    }
}

/* The validator set changed in block `height`: it signs from height + 2,
 * one epoch per block however many changes it holds. */
static void new_epoch(struct ledger_gov *gv, uint64_t height)
{
    struct ledger_gov_epoch *last = &gv->epochs[gv->epoch_count - 1];
    if (last->from_height == height + 2) {
        epoch_from_view(last, &gv->view, height + 2);
        return;
    }
    epoch_from_view(&gv->epochs[gv->epoch_count++], &gv->view, height + 2);
}

static void remove_org_key(struct ledger_org *org, const uint8_t pk[WB_PUBKEY_LEN])
{
    for (size_t i = 0; i < org->key_count; i++)
        if (memcmp(org->keys[i], pk, WB_PUBKEY_LEN) == 0) {
            memmove(org->keys[i], org->keys[i + 1], (org->key_count - i - 1) * WB_PUBKEY_LEN);
            org->key_count--;
            return;
        }
}

static void execute(struct ledger_gov *gv, const struct ledger_gov_action *a, uint64_t height,
                    int64_t block_ms, struct ledger_gov_effect *eff)
{
    struct ledger_genesis *g = &gv->view;
    int i;
    switch (a->kind) {
    case LEDGER_GOV_ADD_MEMBER:
        WB_ASSERT(g->org_count < WB_ORGS_MAX);
        g->orgs[g->org_count++] = a->member;
        for (size_t k = 0; k < a->member.key_count; k++) {
            int rc = add_key(gv, a->member.keys[k], a->member.name, false, height);
            WB_ASSERT(rc == WB_OK); /* reserved by the caller */
            (void)rc;
        }
        break;
    case LEDGER_GOV_REMOVE_MEMBER:
        i = ledger_genesis_org_by_name(g, a->member.name);
        WB_ASSERT(i >= 0);
        for (size_t k = 0; k < gv->key_count; k++) {
            struct ledger_gov_key *key = &gv->keys[k];
            if (key->validator || key->revoked != LEDGER_REVOKE_NONE ||
                strcmp(key->org, a->member.name) != 0)
                continue;
            key->revoked = LEDGER_REVOKE_RETIRED;
            key->org_removed = true;
            key->revoked_height = height;
            key->revoked_time_ms = block_ms;
            key->since_ms = block_ms;
        }
        for (size_t k = 0; k < gv->device_count; k++) {
            struct ledger_gov_device *d = &gv->devices[k];
            if (d->retired || strcmp(d->owner, a->member.name) != 0) continue;
            d->retired = true;
            d->retired_height = height;
            d->retired_time_ms = block_ms;
        }
        memmove(&g->orgs[i], &g->orgs[i + 1], (g->org_count - (size_t)i - 1) * sizeof g->orgs[0]);
        g->org_count--;
        snprintf(gv->removed[gv->removed_count++], WB_ORG_MAX + 1, "%s", a->member.name);
        break;
    case LEDGER_GOV_ADD_VALIDATOR: {
        WB_ASSERT(g->validator_count < WB_VALIDATORS_MAX);
        g->validators[g->validator_count++] = a->validator;
        int rc = add_key(gv, a->validator.key, a->validator.org, true, height);
        WB_ASSERT(rc == WB_OK);
        (void)rc;
        new_epoch(gv, height);
        eff->validators_changed = true;
        break;
    }
    case LEDGER_GOV_REMOVE_VALIDATOR:
        i = validator_by_name(g, a->validator.name);
        WB_ASSERT(i >= 0);
        memmove(&g->validators[i], &g->validators[i + 1],
                (g->validator_count - (size_t)i - 1) * sizeof g->validators[0]);
        g->validator_count--;
        new_epoch(gv, height);
        eff->validators_changed = true;
        break;
    default: /* LEDGER_GOV_SET_PARAM */
        switch (a->param) {
        case LEDGER_PARAM_HEARTBEAT_MS:
            g->heartbeat_ms = (uint32_t)a->value;
            break;
        case LEDGER_PARAM_CLOCK_SKEW_MS:
            g->clock_skew_ms = a->value;
            break;
        case LEDGER_PARAM_BACKDATE_MAX_MS:
            g->backdate_max_ms = a->value;
            break;
        case LEDGER_PARAM_PROPOSAL_TTL_MS:
            gv->policy.proposal_ttl_ms = a->value;
            g->gov_policy.proposal_ttl_ms = a->value;
            break;
        default:
            g->block_events_max = (uint32_t)a->value;
            break;
        }
        break;
    }
}

static void approve(struct ledger_gov *gv, struct ledger_gov_proposal *p, const char *org,
                    uint64_t height, int64_t block_ms, struct ledger_gov_effect *eff)
{
    WB_ASSERT(p->approval_count < WB_ORGS_MAX);
    snprintf(p->approvers[p->approval_count], WB_ORG_MAX + 1, "%s", org);
    p->approval_heights[p->approval_count++] = height;
    if (approvals_counted(gv, p) < ledger_gov_threshold(gv)) return;
    p->status = LEDGER_PROPOSAL_EXECUTED;
    p->executed_height = height;
    eff->executed = true;
    memcpy(eff->proposal, p->id, WB_HASH_LEN);
    execute(gv, &p->action, height, block_ms, eff);
}

int ledger_gov_apply(struct ledger_gov *gv, const struct ledger_event *ev, uint64_t height,
                     int64_t block_time_ms, struct ledger_gov_effect *effect)
{
    struct ledger_gov_effect none;
    struct ledger_gov_effect *eff = effect ? effect : &none;
    memset(eff, 0, sizeof *eff);
    struct ledger_gov_action *a = malloc(sizeof *a);
    if (!a) return WB_ERR_NOMEM;
    int rc = ledger_gov_action_decode(ev, a, NULL, 0);
    WB_ASSERT(rc == WB_OK); /* it passed ledger_gov_check */
    if (rc) {
        free(a);
        return rc;
    }
    /* Every allocation first, so that a failure leaves gv as it was. */
    if (RESERVE(gv, keys, key_count, key_cap, WB_ORG_KEYS_MAX + 1) ||
        RESERVE(gv, proposals, proposal_count, proposal_cap, 1) ||
        RESERVE(gv, epochs, epoch_count, epoch_cap, 1) ||
        RESERVE(gv, removed, removed_count, removed_cap, 1) ||
        RESERVE(gv, devices, device_count, device_cap, 1)) {
        free(a);
        return WB_ERR_NOMEM;
    }
    ledger_gov_advance(gv, height, block_time_ms);
    int o = ledger_genesis_org_of_key(&gv->view, ev->submitter);
    WB_ASSERT(o >= 0);
    char org[WB_ORG_MAX + 1];
    snprintf(org, sizeof org, "%s", o >= 0 ? gv->view.orgs[o].name : "");
    struct ledger_gov_key *k;
    struct ledger_gov_proposal *p;
    struct ledger_gov_device *d;
    switch (a->action) {
    case LEDGER_KEY_ADD:
        rc = add_key(gv, a->key, org, false, height);
        WB_ASSERT(rc == WB_OK);
        if (o >= 0) {
            struct ledger_org *og = &gv->view.orgs[o];
            WB_ASSERT(og->key_count < WB_ORG_KEYS_MAX);
            memcpy(og->keys[og->key_count++], a->key, WB_PUBKEY_LEN);
        }
        break;
    case LEDGER_KEY_REVOKE:
        k = key_find_mut(gv, a->key);
        WB_ASSERT(k != NULL);
        if (k) {
            k->revoked = a->reason;
            k->revoked_height = height;
            k->revoked_time_ms = block_time_ms;
            k->since_ms = a->reason == LEDGER_REVOKE_COMPROMISED ? a->since_ms : block_time_ms;
        }
        if (o >= 0) remove_org_key(&gv->view.orgs[o], a->key);
        break;
    case LEDGER_DEVICE_REGISTER:
        d = &gv->devices[gv->device_count++];
        memset(d, 0, sizeof *d);
        memcpy(d->pk, a->key, WB_PUBKEY_LEN);
        snprintf(d->owner, sizeof d->owner, "%s", org);
        d->kind = a->device_kind;
        snprintf(d->serial, sizeof d->serial, "%s", a->serial);
        snprintf(d->seal, sizeof d->seal, "%s", a->seal);
        memcpy(d->registered_event, ev->id, WB_HASH_LEN);
        d->registered_height = height;
        d->registered_time_ms = block_time_ms;
        break;
    case LEDGER_DEVICE_RETIRE:
        d = device_find_mut(gv, a->key);
        WB_ASSERT(d != NULL && !d->retired);
        if (d) {
            d->retired = true;
            d->retired_height = height;
            d->retired_time_ms = block_time_ms;
        }
        break;
    case LEDGER_GOV_PROPOSE:
        p = &gv->proposals[gv->proposal_count++];
        memset(p, 0, sizeof *p);
        memcpy(p->id, ev->id, WB_HASH_LEN);
        p->action = *a;
        snprintf(p->proposer, sizeof p->proposer, "%s", org);
        p->height = height;
        p->time_ms = block_time_ms;
        p->status = LEDGER_PROPOSAL_PENDING;
        approve(gv, p, org, height, block_time_ms, eff);
        break;
    default:
        p = proposal_find_mut(gv, a->proposal);
        WB_ASSERT(p != NULL);
        if (p) approve(gv, p, org, height, block_time_ms, eff);
        break;
    }
    memcpy(gv->head, ev->id, WB_HASH_LEN);
    gv->event_count++;
    free(a);
    return WB_OK;
}

/* ---- queries ------------------------------------------------------------------------ */

bool ledger_gov_validators_at(const struct ledger_gov *gv, uint64_t height,
                              const struct ledger_gov_epoch **epoch)
{
    const struct ledger_gov_epoch *e = &gv->epochs[0];
    for (size_t i = 1; i < gv->epoch_count; i++)
        if (gv->epochs[i].from_height <= height) e = &gv->epochs[i];
    *epoch = e;
    return height <= gv->height + 2;
}

int ledger_gov_key_refusal(const struct ledger_gov *gv, const uint8_t pk[WB_PUBKEY_LEN],
                           char *reason, size_t reason_len)
{
    const struct ledger_gov_key *k = ledger_gov_key_find(gv, pk);
    if (!k || k->revoked == LEDGER_REVOKE_NONE) return WB_OK;
    char h[SHORT_HEX], t[LEDGER_TIME_MAX];
    short_hex(k->pk, h);
    if (k->org_removed)
        return wb_failf(WB_ERR_RULE, reason, reason_len,
                        "key %s... of '%s' was revoked: its organisation '%s' was removed at "
                        "height %" PRIu64 " (rule gov_org_removed)",
                        h, k->org, k->org, k->revoked_height);
    if (k->revoked == LEDGER_REVOKE_COMPROMISED)
        return wb_failf(WB_ERR_RULE, reason, reason_len,
                        "key %s... of '%s' was revoked as compromised at height %" PRIu64
                        " (not trusted since %s); sign with another key of '%s' "
                        "(rule gov_key_revoked)",
                        h, k->org, k->revoked_height, ledger_time_format(k->since_ms, t), k->org);
    return wb_failf(WB_ERR_RULE, reason, reason_len,
                    "key %s... of '%s' was revoked as retired at height %" PRIu64
                    "; sign with another key of '%s' (rule gov_key_revoked)",
                    h, k->org, k->revoked_height, k->org);
}
