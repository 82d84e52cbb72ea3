/* The governance state from a node: fetch the governance chain's proof
 * bundle, replay it from genesis (cli/gov_state.h). */
#include "cli/gov_state.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/print.h"
#include "cli/submit_pending.h"
#include "common/hex.h"
#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/event.h"
#include "node/keyfile.h"
#include "proto/waybill.pb-c.h"

/* The header time of the bundle block at `height`; false when the bundle
 * has none. */
static bool block_time(const int64_t *times, const uint64_t *heights, size_t n,
                       uint64_t height, int64_t *time_ms)
{
    for (size_t i = 0; i < n; i++)
        if (heights[i] == height) {
            *time_ms = times[i];
            return true;
        }
    return false;
}

/* Decodes a header of the bundle, which must be of `height`. */
static int header_of(const struct ledger_genesis *g, const ProtobufCBinaryData *bytes,
                     uint64_t height, struct ledger_block_header *h, char *msg, size_t msg_len)
{
    if (ledger_header_decode(bytes->data, bytes->len, h) != WB_OK)
        return wb_failf(WB_ERR_PROTOCOL, msg, msg_len,
                        "the header of block %" PRIu64 " does not decode", height);
    if (h->height != height)
        return wb_failf(WB_ERR_PROTOCOL, msg, msg_len,
                        "the header given for block %" PRIu64 " is of height %" PRIu64, height,
                        h->height);
    if (memcmp(h->chain_id, g->chain_id, WB_CHAIN_ID_LEN) != 0)
        return wb_failf(WB_ERR_PROTOCOL, msg, msg_len,
                        "block %" PRIu64 " is of another chain than genesis '%s'", height,
                        g->chain_name);
    return WB_OK;
}

/* Applies the bundle's events to gv in order; with hist, records the
 * state after each block with governance events in it. */
static int replay_events(const struct ledger_genesis *g, const Waybill__ProofBundle *pb,
                         const int64_t *times, const uint64_t *heights, struct ledger_gov *gv,
                         struct ledger_gov_history *hist, char *msg, size_t msg_len)
{
    struct ledger_event *ev = malloc(sizeof *ev);
    if (!ev) return WB_ERR_NOMEM;
    uint8_t prev[WB_HASH_LEN];
    uint64_t last_height = 0;
    int rc = WB_OK;
    char why[GOV_STATE_MSG_MAX];
    for (size_t i = 0; rc == WB_OK && i < pb->n_events; i++) {
        const Waybill__ProofEvent *pe = pb->events[i];
        int64_t t;
        if (!block_time(times, heights, pb->n_blocks, pe->height, &t)) {
            rc = wb_failf(WB_ERR_PROTOCOL, msg, msg_len,
                          "governance event %zu lies in block %" PRIu64
                          ", which the bundle does not hold",
                          i + 1, pe->height);
            break;
        }
        if (pe->height < last_height) {
            rc = wb_failf(WB_ERR_PROTOCOL, msg, msg_len,
                          "governance event %zu (height %" PRIu64
                          ") comes after one of height %" PRIu64,
                          i + 1, pe->height, last_height);
            break;
        }
        if (ledger_signed_event_open(g->chain_id, pe->signed_event.data, pe->signed_event.len,
                                     true, ev, why, sizeof why) != WB_OK) {
            rc = wb_failf(WB_ERR_PROTOCOL, msg, msg_len,
                          "governance event %zu (height %" PRIu64 ") does not open: %s", i + 1,
                          pe->height, why);
            break;
        }
        bool linked = i == 0 ? !ev->has_prev
                             : ev->has_prev && memcmp(ev->prev, prev, WB_HASH_LEN) == 0;
        if (strcmp(ev->item, WB_GOV_CHAIN) != 0 || !linked) {
            rc = wb_failf(WB_ERR_PROTOCOL, msg, msg_len,
                          "governance event %zu (height %" PRIu64
                          ") is not the next event of " WB_GOV_CHAIN,
                          i + 1, pe->height);
            break;
        }
        rc = ledger_gov_check(gv, ev, pe->height, t, why, sizeof why);
        if (rc == WB_ERR_NOMEM) break;
        if (rc != WB_OK) {
            rc = wb_failf(WB_ERR_PROTOCOL, msg, msg_len,
                          "governance event %zu (height %" PRIu64
                          ") does not replay from genesis: %s",
                          i + 1, pe->height, why);
            break;
        }
        rc = ledger_gov_apply(gv, ev, pe->height, t, NULL);
        memcpy(prev, ev->id, WB_HASH_LEN);
        last_height = pe->height;
        bool block_ends = i + 1 == pb->n_events || pb->events[i + 1]->height != pe->height;
        if (rc == WB_OK && hist && block_ends) rc = ledger_gov_history_push(hist, pe->height, gv);
    }
    free(ev);
    return rc;
}

/* gov_state_replay, and with hist the snapshots per block. */
static int replay(const struct ledger_genesis *g, const uint8_t *bundle, size_t len,
                  struct ledger_gov *gv, struct ledger_gov_history *hist, size_t *events,
                  char *msg, size_t msg_len)
{
    if (events) *events = 0;
    Waybill__ProofBundle *pb = waybill__proof_bundle__unpack(NULL, len, bundle);
    if (!pb) return wb_failf(WB_ERR_PROTOCOL, msg, msg_len, "the proof bundle does not decode");
    int64_t *times = calloc(pb->n_blocks ? pb->n_blocks : 1, sizeof *times);
    uint64_t *heights = calloc(pb->n_blocks ? pb->n_blocks : 1, sizeof *heights);
    int rc = times && heights ? WB_OK : WB_ERR_NOMEM;
    if (rc == WB_OK && (!pb->item || strcmp(pb->item, WB_GOV_CHAIN) != 0))
        rc = wb_failf(WB_ERR_PROTOCOL, msg, msg_len,
                      "the node sent the proof bundle of another item than " WB_GOV_CHAIN);
    /* The latest block the bundle shows: the freshness proof's, else its
     * last block. */
    uint64_t top = 0;
    int64_t top_ms = g->genesis_time_ms;
    struct ledger_block_header h;
    for (size_t i = 0; rc == WB_OK && i < pb->n_blocks; i++) {
        rc = header_of(g, &pb->blocks[i]->header, pb->blocks[i]->height, &h, msg, msg_len);
        heights[i] = h.height;
        times[i] = h.time_ms;
        if (rc == WB_OK && h.height >= top) top = h.height, top_ms = h.time_ms;
    }
    if (rc == WB_OK && pb->freshness) {
        const ProtobufCBinaryData hb = pb->freshness->header;
        rc = header_of(g, &hb, pb->freshness->height, &h, msg, msg_len);
        if (rc == WB_OK && h.height >= top) top = h.height, top_ms = h.time_ms;
    }
    if (rc == WB_OK) rc = ledger_gov_init(gv, g);
    if (rc == WB_OK) {
        rc = replay_events(g, pb, times, heights, gv, hist, msg, msg_len);
        if (rc == WB_OK) {
            ledger_gov_advance(gv, top, top_ms);
            if (events) *events = pb->n_events;
        } else {
            ledger_gov_free(gv);
        }
    }
    if (rc == WB_ERR_NOMEM) snprintf(msg, msg_len, "out of memory");
    free(times);
    free(heights);
    waybill__proof_bundle__free_unpacked(pb, NULL);
    return rc;
}

int gov_state_replay(const struct ledger_genesis *g, const uint8_t *bundle, size_t len,
                     struct ledger_gov *gv, size_t *events, char *msg, size_t msg_len)
{
    return replay(g, bundle, len, gv, NULL, events, msg, msg_len);
}

int gov_state_fetch_history(struct client *c, const struct ledger_genesis *g,
                            struct ledger_gov_history *hist, char *msg, size_t msg_len)
{
    int rc = ledger_gov_history_init(hist, g);
    if (rc) return wb_failf(rc, msg, msg_len, "out of memory");
    uint8_t *bundle;
    size_t len;
    rc = client_fetch_proof(c, WB_GOV_CHAIN, &bundle, &len);
    if (rc == WB_ERR_NOT_FOUND && c->node_error) return WB_OK; /* genesis alone */
    if (rc != WB_OK) {
        ledger_gov_history_free(hist);
        return wb_failf(rc, msg, msg_len, "%s", c->reason);
    }
    struct ledger_gov gv;
    rc = replay(g, bundle, len, &gv, hist, NULL, msg, msg_len);
    free(bundle);
    if (rc == WB_OK) ledger_gov_free(&gv);
    else ledger_gov_history_free(hist);
    return rc;
}

int gov_state_fetch(struct client *c, const struct ledger_genesis *g, struct ledger_gov *gv,
                    char *msg, size_t msg_len)
{
    uint8_t *bundle;
    size_t len;
    int rc = client_fetch_proof(c, WB_GOV_CHAIN, &bundle, &len);
    if (rc == WB_ERR_NOT_FOUND && c->node_error) return ledger_gov_init(gv, g);
    if (rc != WB_OK) return wb_failf(rc, msg, msg_len, "%s", c->reason);
    rc = gov_state_replay(g, bundle, len, gv, NULL, msg, msg_len);
    free(bundle);
    return rc;
}

int gov_state_set_at(const struct ledger_gov *gv, uint64_t height, struct ledger_genesis **out)
{
    const struct ledger_gov_epoch *e;
    *out = malloc(sizeof **out);
    if (!*out) return WB_ERR_NOMEM;
    WB_IGNORE_RESULT(ledger_gov_validators_at(gv, height ? height : 1, &e));
    **out = gv->view;
    (*out)->validator_count = e->count;
    memcpy((*out)->validators, e->validators, e->count * sizeof e->validators[0]);
    return WB_OK;
}

int gov_state_load(struct client_session *s, struct ledger_gov *gv)
{
    const char *cmd = s->c.opts->cmd;
    uint8_t *bundle;
    size_t len;
    int rc = client_fetch_proof(&s->c, WB_GOV_CHAIN, &bundle, &len);
    if (rc == WB_ERR_NOT_FOUND && s->c.node_error) {
        /* No governance event yet: the genesis state. */
        if (ledger_gov_init(gv, s->genesis) == WB_OK) return CLI_EXIT_OK;
        cli_error(cmd, "out of memory");
        return CLI_EXIT_FAILED;
    }
    if (rc == WB_ERR_NOMEM) {
        cli_error(cmd, "out of memory");
        return CLI_EXIT_FAILED;
    }
    if (rc != WB_OK) return client_fail(&s->c, rc, "fetching the governance chain");
    char msg[GOV_STATE_MSG_MAX];
    rc = gov_state_replay(s->genesis, bundle, len, gv, NULL, msg, sizeof msg);
    free(bundle);
    if (rc == WB_OK) return CLI_EXIT_OK;
    char safe[GOV_STATE_MSG_MAX];
    print_safe(msg, safe, sizeof safe);
    cli_error(cmd, "the node's governance chain: %s", safe);
    return CLI_EXIT_FAILED;
}

int gov_state_open(struct client_session *s, const struct client_opts *o,
                   const struct client_connector *conn, struct ledger_gov *gv)
{
    int ex = client_session_open(s, o, conn);
    if (ex == CLI_EXIT_OK) ex = gov_state_load(s, gv);
    return ex;
}

/* Whether the pending file of this submit (cli/submit_pending.h) holds a
 * signed event. */
static bool gov_state__kept(const struct client_session *s, const struct ledger_event *ev)
{
    struct submit_pending *p = malloc(sizeof *p);
    uint8_t *buf = malloc(WB_SIGNED_EVENT_MAX);
    struct ledger_event *kept = malloc(sizeof *kept);
    bool found = false;
    if (p && buf && kept &&
        submit_pending_init(p, s->c.opts->key, s->genesis->chain_id, s->pk, ev, false, false) ==
            WB_OK) {
        size_t len;
        int64_t at;
        char msg[256];
        found = submit_pending_load(p, s->genesis->chain_id, s->pk, buf, WB_SIGNED_EVENT_MAX,
                                    &len, kept, &at, msg, sizeof msg) == WB_OK;
    }
    free(p);
    free(buf);
    free(kept);
    return found;
}

/* Submits ev and, on the commit, replaces *gv by the state fetched again. */
static int gov_state__send(struct client_session *s, struct ledger_gov *gv,
                           struct ledger_event *ev, bool fresh, struct submit_outcome *out)
{
    int ex = submit_session_event(s, ev, false, fresh, false, out);
    if (ex != CLI_EXIT_OK) return ex;
    struct ledger_gov after;
    ex = gov_state_load(s, &after);
    if (ex != CLI_EXIT_OK) return ex;
    ledger_gov_free(gv);
    *gv = after;
    return CLI_EXIT_OK;
}

int gov_state_submit(struct client_session *s, struct ledger_gov *gv, struct ledger_event *ev,
                     bool fresh, struct submit_outcome *out)
{
    const char *cmd = s->c.opts->cmd;
    char reason[GOV_STATE_MSG_MAX], safe[GOV_STATE_MSG_MAX];
    /* An identical earlier run whose event got no definite answer left it
     * in its pending file: that event is resent unchecked, since it may be
     * committed already (the check would then refuse it as done, and the
     * answer "already committed" never come). */
    if (!fresh && gov_state__kept(s, ev)) return gov_state__send(s, gv, ev, fresh, out);
    memcpy(ev->submitter, s->pk, WB_PUBKEY_LEN);
    ev->time_ms = cli_now_ms();
    int64_t block_ms = ev->time_ms > gv->time_ms ? ev->time_ms : gv->time_ms;
    int rc = ledger_gov_check(gv, ev, gv->height + 1, block_ms, reason, sizeof reason);
    if (rc == WB_ERR_NOMEM) {
        cli_error(cmd, "out of memory");
        return CLI_EXIT_FAILED;
    }
    if (rc != WB_OK) {
        cli_error(cmd, "refused: %s (checked against the governance chain as of height %" PRIu64
                       "; nothing was signed)",
                  print_safe(reason, safe, sizeof safe), gv->height);
        return CLI_EXIT_FAILED;
    }
    ev->time_ms = 0;
    return gov_state__send(s, gv, ev, fresh, out);
}

int gov_state_signer(const struct client_session *s, const struct ledger_gov *gv)
{
    const struct client_opts *o = s->c.opts;
    int org = ledger_genesis_org_of_key(&gv->view, s->pk);
    if (org >= 0) return org;
    char reason[GOV_STATE_MSG_MAX], hex[2 * WB_PUBKEY_LEN + 1];
    wb_hex_encode(s->pk, WB_PUBKEY_LEN, hex, sizeof hex);
    if (ledger_gov_key_refusal(gv, s->pk, reason, sizeof reason) != WB_OK)
        cli_error(o->cmd, "key %s cannot sign: %s", o->key, reason);
    else
        cli_error(o->cmd,
                  "key %s (public key %s) is not an active member client key of chain '%s' "
                  "(genesis %s as governance changed it); use a key `waybill key list` "
                  "shows active",
                  o->key, hex, gv->view.chain_name, o->genesis);
    return -1;
}

static bool hex_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

int gov_state_key_arg(const char *arg, uint8_t pk[WB_PUBKEY_LEN], char *msg, size_t msg_len)
{
    size_t n = strlen(arg);
    if (n == 2 * WB_PUBKEY_LEN && hex_digits(arg, n)) {
        if (wb_hex_decode(arg, pk, WB_PUBKEY_LEN) != WB_OK ||
            crypto_core_ed25519_is_valid_point(pk) != 1)
            return wb_failf(WB_ERR_INVALID, msg, msg_len,
                            "%s is not a valid Ed25519 public key", arg);
        return WB_OK;
    }
    uint8_t sk[WB_SECKEY_LEN];
    char why[KEYFILE_MSG_MAX];
    int rc = keyfile_load(arg, pk, sk, why, sizeof why);
    sodium_memzero(sk, sizeof sk);
    if (rc == WB_ERR_NOT_FOUND)
        return wb_failf(rc, msg, msg_len,
                        "'%s' is neither a public key (64 hex digits) nor a key file", arg);
    if (rc != WB_OK) return wb_failf(rc, msg, msg_len, "%s", why);
    return WB_OK;
}

int gov_state_resolve(const struct ledger_gov *gv, const char *arg,
                      const struct ledger_gov_proposal **p, char *msg, size_t msg_len)
{
    size_t n = strlen(arg);
    *p = NULL;
    if (!hex_digits(arg, n) || n > 2 * WB_HASH_LEN)
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "ID: expected a proposal id, 64 hex digits or a prefix of at least %d, "
                        "got '%.80s'",
                        GOV_STATE_PREFIX_MIN, arg);
    if (n < GOV_STATE_PREFIX_MIN)
        return wb_failf(WB_ERR_INVALID, msg, msg_len,
                        "ID: '%s' is too short; give at least %d hex digits of the proposal id",
                        arg, GOV_STATE_PREFIX_MIN);
    size_t matches = 0;
    size_t o = 0;
    char list[GOV_STATE_MSG_MAX] = "";
    for (size_t i = 0; i < gv->proposal_count; i++) {
        char hex[2 * WB_HASH_LEN + 1];
        wb_hex_encode(gv->proposals[i].id, WB_HASH_LEN, hex, sizeof hex);
        if (strncasecmp(hex, arg, n) != 0) continue;
        if (matches++ == 0) *p = &gv->proposals[i];
        if (o < sizeof list)
            o += (size_t)snprintf(list + o, sizeof list - o, "%s%.16s", o ? ", " : "", hex);
    }
    if (matches == 1) return WB_OK;
    *p = NULL;
    if (matches == 0)
        return wb_failf(WB_ERR_NOT_FOUND, msg, msg_len,
                        "no proposal has an id starting with %s (waybill gov list --all shows "
                        "them)",
                        arg);
    return wb_failf(WB_ERR_EXISTS, msg, msg_len,
                    "%zu proposals have ids starting with %s (%s); give more digits", matches,
                    arg, list);
}

size_t gov_state_approvals(const struct ledger_gov *gv, const struct ledger_gov_proposal *p)
{
    size_t n = 0;
    for (size_t i = 0; i < p->approval_count; i++) {
        int o = ledger_genesis_org_by_name(&gv->view, p->approvers[i]);
        if (o >= 0 && (gv->policy.voting_roles & (1u << gv->view.orgs[o].role))) n++;
    }
    return n;
}

int64_t gov_state_expires_ms(const struct ledger_gov *gv, const struct ledger_gov_proposal *p)
{
    return p->time_ms + gv->policy.proposal_ttl_ms;
}

size_t gov_state_pending(const struct ledger_gov *gv, const struct ledger_gov_proposal **out,
                         size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < gv->proposal_count && n < cap; i++)
        if (gv->proposals[i].status == LEDGER_PROPOSAL_PENDING) out[n++] = &gv->proposals[i];
    return n;
}
