/* The simulator's ledger side: a genesis with seeded keys, a workload of
 * real signed provenance events (one custody chain per item; world.c
 * decides when each reaches each node's mempool), and each
 * node's durable chain with its item states, built, validated and appended
 * with the real ledger functions. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/cert.h"
#include "ledger/event.h"
#include "ledger/validate.h"
#include "tests/sim/sim.h"

enum { ORG_SHIPPER = 0, ORG_CARRIER = 1, ORG_CUSTOMS = 2 };
static const char *const org_names[SIM_ORGS] = {"shipco", "oceanic", "customs"};
static const enum ledger_role org_roles[SIM_ORGS] = {LEDGER_ROLE_SHIPPER, LEDGER_ROLE_CARRIER,
                                                     LEDGER_ROLE_CUSTOMS};

/* The custody chain every item goes through, in order. */
struct step_tmpl {
    enum ledger_action action;
    int org;
    const char *location;
    const char *attr_key;          /* attribute with value "<prefix>-<item index>" */
    const char *attr_prefix;
    const char *to_org;
};
static const struct step_tmpl item_steps[SIM_EVENTS_PER_ITEM] = {
    {LEDGER_COMMISSION, ORG_SHIPPER, "NLRTM", NULL, NULL, NULL},
    {LEDGER_SEAL, ORG_SHIPPER, "", "seal", "S", NULL},
    {LEDGER_HANDOVER, ORG_SHIPPER, "", NULL, NULL, "oceanic"},
    {LEDGER_RECEIVE, ORG_CARRIER, "", NULL, NULL, NULL},
    {LEDGER_LOAD, ORG_CARRIER, "NLRTM", NULL, NULL, NULL},
    {LEDGER_DEPART, ORG_CARRIER, "NLRTM", "vessel", "MV", NULL},
    {LEDGER_ARRIVE, ORG_CARRIER, "DEHAM", NULL, NULL, NULL},
    {LEDGER_INSPECT, ORG_CUSTOMS, "", "result", NULL, NULL},
    {LEDGER_UNSEAL, ORG_CUSTOMS, "", "seal", "S", NULL},
    {LEDGER_CLEAR, ORG_CUSTOMS, "", "declaration", "D", NULL},
    {LEDGER_UNLOAD, ORG_CARRIER, "DEHAM", NULL, NULL, NULL},
    {LEDGER_DELIVER, ORG_CARRIER, "", NULL, NULL, NULL},
};

static void seed_keypair(struct sim_rng *rng, uint8_t pk[WB_PUBKEY_LEN],
                         uint8_t sk[WB_SECKEY_LEN])
{
    uint8_t seed[crypto_sign_SEEDBYTES];
    for (size_t i = 0; i < sizeof seed; i += 8) {
        uint64_t x = rng_next(rng);
        memcpy(seed + i, &x, 8);
    }
    crypto_sign_seed_keypair(pk, sk, seed);
}

static int make_event(struct sim_env *e, size_t item, size_t k, const uint8_t *prev)
{
    const struct step_tmpl *t = &item_steps[k];
    struct ledger_event ev;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.item, sizeof ev.item, "%s", e->items[item]);
    ev.action = t->action;
    snprintf(ev.location, sizeof ev.location, "%s", t->location);
    /* The simulated clock starts at 0 (genesis time): events are dated at
     * its start, well inside the time rules for any block of a run. */
    ev.time_ms = (int64_t)(item * 20 + k);
    memcpy(ev.submitter, e->org_pk[t->org], WB_PUBKEY_LEN);
    if (prev) {
        ev.has_prev = true;
        memcpy(ev.prev, prev, WB_HASH_LEN);
    }
    if (t->attr_key) {
        ev.attr_count = 1;
        snprintf(ev.attrs[0].key, sizeof ev.attrs[0].key, "%s", t->attr_key);
        if (t->attr_prefix)
            snprintf(ev.attrs[0].value, sizeof ev.attrs[0].value, "%s-%zu", t->attr_prefix,
                     item);
        else
            snprintf(ev.attrs[0].value, sizeof ev.attrs[0].value, "ok");
    }
    if (t->to_org) snprintf(ev.to_org, sizeof ev.to_org, "%s", t->to_org);
    ev.nonce = item * 100 + k;
    uint8_t buf[WB_SIGNED_EVENT_MAX];
    size_t len;
    int rc = ledger_event_sign(e->g->chain_id, &ev, e->org_sk[t->org], buf, sizeof buf, &len);
    if (rc) return rc;
    struct sim_event *se = &e->events[item][k];
    se->bytes = malloc(len);
    if (!se->bytes) return WB_ERR_NOMEM;
    memcpy(se->bytes, buf, len);
    se->len = len;
    memcpy(se->id, ev.id, WB_HASH_LEN);
    return WB_OK;
}

int env_init(struct sim_env *e, struct sim_rng *rng, size_t n, size_t nodes)
{
    memset(e, 0, sizeof *e);
    if (n == 0 || nodes < n || nodes > SIM_N_MAX) return WB_ERR_CONFIG;
    e->n = n;
    e->nodes = nodes;
    e->g = calloc(1, sizeof *e->g);
    if (!e->g) return WB_ERR_NOMEM;
    struct ledger_genesis *g = e->g;
    snprintf(g->chain_name, sizeof g->chain_name, "sim");
    ledger_chain_id(g->chain_name, g->chain_id);
    g->genesis_time_ms = 0;
    ledger_genesis_set_defaults(g);
    g->heartbeat_ms = SIM_HEARTBEAT_MS;
    /* Blocks commit to the item states, as a testnet's do. */
    g->header_version = WB_BLOCK_VERSION_STATE;
    g->org_count = SIM_ORGS;
    for (size_t o = 0; o < SIM_ORGS; o++) {
        seed_keypair(rng, e->org_pk[o], e->org_sk[o]);
        snprintf(g->orgs[o].name, sizeof g->orgs[o].name, "%s", org_names[o]);
        g->orgs[o].role = org_roles[o];
        g->orgs[o].key_count = 1;
        memcpy(g->orgs[o].keys[0], e->org_pk[o], WB_PUBKEY_LEN);
    }
    g->validator_count = n;
    for (size_t v = 0; v < n; v++) {
        seed_keypair(rng, e->val_pk[v], e->val_sk[v]);
        snprintf(g->validators[v].name, sizeof g->validators[v].name, "node%zu", v);
        snprintf(g->validators[v].org, sizeof g->validators[v].org, "%s", org_names[v % 3]);
        memcpy(g->validators[v].key, e->val_pk[v], WB_PUBKEY_LEN);
        snprintf(g->validators[v].p2p, sizeof g->validators[v].p2p, "sim:%zu", v);
    }
    /* The nodes that join later: keys drawn after everything else, so a
     * run without set changes draws what it always did. */
    for (size_t i = 0; i < SIM_ITEMS; i++) {
        snprintf(e->items[i], sizeof e->items[i], "urn:epc:id:sim:%llu.%zu",
                 (unsigned long long)(rng_next(rng) % 100000), i);
        const uint8_t *prev = NULL;
        for (size_t k = 0; k < SIM_EVENTS_PER_ITEM; k++) {
            int rc = make_event(e, i, k, prev);
            if (rc) return rc;
            prev = e->events[i][k].id;
        }
    }
    for (size_t v = n; v < nodes; v++) seed_keypair(rng, e->val_pk[v], e->val_sk[v]);
    return WB_OK;
}

size_t env_set(const struct sim_env *e, uint64_t h, uint32_t ids[SIM_N_MAX])
{
    size_t k = e->n;
    for (uint32_t i = 0; i < e->n; i++) ids[i] = i;
    for (size_t c = 0; c < e->change_count; c++) {
        const struct sim_change *ch = &e->changes[c];
        if (ch->h + 2 > h) continue;
        if (ch->add) {
            if (k < SIM_N_MAX) ids[k++] = ch->id;
            continue;
        }
        for (size_t i = 0; i < k; i++)
            if (ids[i] == ch->id) {
                memmove(ids + i, ids + i + 1, (k - i - 1) * sizeof *ids);
                k--;
                break;
            }
    }
    return k;
}

uint32_t env_index(const struct sim_env *e, uint64_t h, uint32_t id)
{
    uint32_t ids[SIM_N_MAX];
    size_t k = env_set(e, h, ids);
    for (size_t i = 0; i < k; i++)
        if (ids[i] == id) return (uint32_t)i;
    return CONS_NOT_VALIDATOR;
}

uint32_t env_member(const struct sim_env *e, uint64_t h, uint32_t idx)
{
    uint32_t ids[SIM_N_MAX];
    size_t k = env_set(e, h, ids);
    return idx < k ? ids[idx] : UINT32_MAX;
}

size_t env_keys(const struct sim_env *e, uint64_t h, uint8_t keys[SIM_N_MAX][WB_PUBKEY_LEN])
{
    uint32_t ids[SIM_N_MAX];
    size_t k = env_set(e, h, ids);
    for (size_t i = 0; i < k; i++) memcpy(keys[i], e->val_pk[ids[i]], WB_PUBKEY_LEN);
    return k;
}

void env_free(struct sim_env *e)
{
    for (size_t i = 0; i < SIM_ITEMS; i++)
        for (size_t k = 0; k < SIM_EVENTS_PER_ITEM; k++) free(e->events[i][k].bytes);
    free(e->g);
    memset(e, 0, sizeof *e);
}

void chain_init(struct sim_chain *c)
{
    memset(c, 0, sizeof *c);
    ledger_state_tree_init(&c->tree);
}

void chain_free(struct sim_chain *c)
{
    for (size_t i = 0; i < c->len; i++) {
        free(c->blocks[i].bytes);
        free(c->blocks[i].cert);
    }
    free(c->blocks);
    ledger_state_tree_free(&c->tree);
    memset(c, 0, sizeof *c);
}

void chain_tip(const struct sim_chain *c, const struct sim_env *e, uint8_t prev[WB_HASH_LEN],
               int64_t *prev_time)
{
    if (c->len == 0) {
        memset(prev, 0, WB_HASH_LEN);
        *prev_time = e->g->genesis_time_ms;
        return;
    }
    memcpy(prev, c->blocks[c->len - 1].hash, WB_HASH_LEN);
    *prev_time = c->blocks[c->len - 1].time_ms;
}

int chain_build_raw(const struct sim_env *e, uint64_t height, const uint8_t prev[WB_HASH_LEN],
                    int64_t time_ms, uint32_t proposer, const uint8_t *const *events,
                    const size_t *lens, size_t count, uint8_t **out, size_t *out_len,
                    uint8_t hash[WB_HASH_LEN])
{
    static const uint8_t no_root[WB_HASH_LEN];
    return chain_build_state(e, height, prev, time_ms, proposer, events, lens, count, no_root,
                             0, out, out_len, hash);
}

int chain_build_state(const struct sim_env *e, uint64_t height, const uint8_t prev[WB_HASH_LEN],
                      int64_t time_ms, uint32_t proposer, const uint8_t *const *events,
                      const size_t *lens, size_t count, const uint8_t state_root[WB_HASH_LEN],
                      uint64_t item_count, uint8_t **out, size_t *out_len,
                      uint8_t hash[WB_HASH_LEN])
{
    struct ledger_block_header h;
    memset(&h, 0, sizeof h);
    h.version = e->g->header_version;
    h.has_state = h.version == WB_BLOCK_VERSION_STATE;
    if (h.has_state) memcpy(h.state_root, state_root, WB_HASH_LEN);
    h.item_count = h.has_state ? item_count : 0;
    memcpy(h.chain_id, e->g->chain_id, WB_CHAIN_ID_LEN);
    h.height = height;
    h.time_ms = time_ms;
    memcpy(h.prev_hash, prev, WB_HASH_LEN);
    h.proposer = proposer;
    return ledger_block_build(&h, events, lens, count, out, out_len, hash);
}

static int check_block_full(const struct sim_chain *c, const struct sim_env *e,
                            const struct ledger_block *b, int64_t now_ms, bool state_unset,
                            struct ledger_block_result *r, char *msg, size_t msg_len);

int chain_build(const struct sim_chain *c, const struct sim_env *e, const sim_known_row *known,
                int64_t known_by,
                uint32_t proposer, int64_t time_ms, size_t skip, uint8_t **out,
                size_t *out_len, uint8_t hash[WB_HASH_LEN])
{
    const uint8_t *evs[SIM_BLOCK_EVENTS_MAX];
    size_t lens[SIM_BLOCK_EVENTS_MAX], count = 0;
    uint64_t height = c->len + 1;
    for (size_t j = 0; j < SIM_ITEMS && count < SIM_BLOCK_EVENTS_MAX; j++) {
        size_t item = (j + height) % SIM_ITEMS;
        size_t next = c->states[item].count;
        /* A block may carry a run of one item's events, applied in order. */
        size_t take = 1 + (height + item) % 3;
        for (size_t k = 0; k < take && next + k < SIM_EVENTS_PER_ITEM; k++) {
            if (known && known[item][next + k] > known_by) break; /* not in its mempool */
            if (skip) {
                skip--;
                break; /* leaving one out leaves the rest of the run out too */
            }
            if (count == SIM_BLOCK_EVENTS_MAX) break;
            evs[count] = e->events[item][next + k].bytes;
            lens[count++] = e->events[item][next + k].len;
        }
    }
    uint8_t prev[WB_HASH_LEN];
    int64_t prev_time;
    chain_tip(c, e, prev, &prev_time);
    if (time_ms <= prev_time) time_ms = prev_time + 1;
    int rc = chain_build_raw(e, height, prev, time_ms, proposer, evs, lens, count, out, out_len,
                             hash);
    if (rc || e->g->header_version != WB_BLOCK_VERSION_STATE) return rc;
    /* Version 2: the proposer's check computes the state root after the
     * block (as node/driver/build.c does), and the header carries it. */
    struct ledger_block b;
    rc = ledger_block_decode(*out, *out_len, &b);
    if (rc) return rc;
    struct ledger_block_result r;
    char msg[256];
    rc = check_block_full(c, e, &b, time_ms, true, &r, msg, sizeof msg);
    ledger_block_free(&b);
    if (rc) return WB_OK; /* an invalid block stays as built: validators refuse it */
    free(*out);
    *out = NULL;
    rc = chain_build_state(e, height, prev, time_ms, proposer, evs, lens, count, r.state_root,
                           r.item_count, out, out_len, hash);
    ledger_block_result_free(&r);
    return rc;
}

struct lookup_ctx {
    const struct sim_chain *c;
    const struct sim_env *e;
    /* ids of events whose bytes in the block equal the workload's: the
     * signatures a node's mempool verified already. */
    uint8_t known[SIM_BLOCK_EVENTS_MAX * 4][WB_HASH_LEN];
    size_t known_n;
};

static int lookup_item(void *ctx, const char *item, struct ledger_item_state *st)
{
    const struct lookup_ctx *lc = ctx;
    for (size_t i = 0; i < SIM_ITEMS; i++) {
        if (strcmp(lc->e->items[i], item) != 0) continue;
        if (lc->c->states[i].count == 0) return WB_ERR_NOT_FOUND;
        *st = lc->c->states[i];
        return WB_OK;
    }
    return WB_ERR_NOT_FOUND;
}

static bool sig_known(void *ctx, const uint8_t id[WB_HASH_LEN], const uint8_t *ev, size_t len)
{
    (void)ev;
    (void)len;
    const struct lookup_ctx *lc = ctx;
    for (size_t i = 0; i < lc->known_n; i++)
        if (memcmp(lc->known[i], id, WB_HASH_LEN) == 0) return true;
    return false;
}

/* Marks as known the events that are byte for byte a workload event (the
 * id alone would not do: it covers the body, not the signature). */
static void collect_known(struct lookup_ctx *lc, const struct ledger_block *b)
{
    lc->known_n = 0;
    for (size_t i = 0; i < b->event_count; i++) {
        for (size_t it = 0; it < SIM_ITEMS; it++)
            for (size_t k = 0; k < SIM_EVENTS_PER_ITEM; k++) {
                const struct sim_event *se = &lc->e->events[it][k];
                if (se->len != b->lens[i] || memcmp(se->bytes, b->events[i], se->len) != 0)
                    continue;
                if (lc->known_n < sizeof lc->known / sizeof lc->known[0])
                    memcpy(lc->known[lc->known_n++], se->id, WB_HASH_LEN);
            }
    }
}

static void block_ctx(const struct sim_chain *c, const struct sim_env *e, struct lookup_ctx *lc,
                      int64_t now_ms, bool state_unset, struct ledger_block_ctx *bc)
{
    memset(bc, 0, sizeof *bc);
    bc->genesis = e->g;
    bc->height = c->len + 1;
    chain_tip(c, e, bc->prev_hash, &bc->prev_time_ms);
    bc->now_ms = now_ms;
    bc->drift_max_ms = SIM_DRIFT_MS;
    bc->events_max = SIM_BLOCK_EVENTS_MAX * 4;
    uint32_t ids[SIM_N_MAX];
    bc->validator_count = env_set(e, bc->height, ids);
    bc->tree = &c->tree;
    bc->state_unset = state_unset;
    bc->lookup = lookup_item;
    bc->sig_known = sig_known;
    bc->ctx = lc;
}

static int check_block(const struct sim_chain *c, const struct sim_env *e,
                       const struct ledger_block *b, int64_t now_ms,
                       struct ledger_item_state **states, size_t *states_n, char *msg,
                       size_t msg_len)
{
    struct lookup_ctx lc = {.c = c, .e = e};
    collect_known(&lc, b);
    struct ledger_block_ctx bc;
    block_ctx(c, e, &lc, now_ms, false, &bc);
    return ledger_block_check(&bc, b, states, states_n, msg, msg_len);
}

static int check_block_full(const struct sim_chain *c, const struct sim_env *e,
                            const struct ledger_block *b, int64_t now_ms, bool state_unset,
                            struct ledger_block_result *r, char *msg, size_t msg_len)
{
    struct lookup_ctx lc = {.c = c, .e = e};
    collect_known(&lc, b);
    struct ledger_block_ctx bc;
    block_ctx(c, e, &lc, now_ms, state_unset, &bc);
    return ledger_block_check_full(&bc, b, r, msg, msg_len);
}

enum cons_validity chain_validate(const struct sim_chain *c, const struct sim_env *e,
                                  const uint8_t *bytes, size_t len,
                                  const uint8_t hash[WB_HASH_LEN], int64_t now_ms, char *msg,
                                  size_t msg_len)
{
    struct ledger_block b;
    if (ledger_block_decode(bytes, len, &b) != WB_OK) {
        snprintf(msg, msg_len, "block does not decode");
        return CONS_BLOCK_INVALID;
    }
    enum cons_validity v = CONS_BLOCK_VALID;
    if (memcmp(b.hash, hash, WB_HASH_LEN) != 0) {
        snprintf(msg, msg_len, "bytes do not hash to the proposed hash");
        v = CONS_BLOCK_BAD_HASH;
    } else if (check_block(c, e, &b, now_ms, NULL, NULL, msg, msg_len) != WB_OK) {
        v = CONS_BLOCK_INVALID;
    }
    ledger_block_free(&b);
    return v;
}

int chain_append(struct sim_chain *c, const struct sim_env *e, const uint8_t *bytes, size_t len,
                 const uint8_t hash[WB_HASH_LEN], const uint8_t *cert, size_t cert_len,
                 char *msg, size_t msg_len)
{
    struct ledger_block b;
    if (ledger_block_decode(bytes, len, &b) != WB_OK) {
        snprintf(msg, msg_len, "decided block does not decode");
        return -1;
    }
    int rc = -1;
    struct ledger_block_result r;
    memset(&r, 0, sizeof r);
    if (memcmp(b.hash, hash, WB_HASH_LEN) != 0) {
        snprintf(msg, msg_len, "decided bytes do not hash to the decided hash");
        goto out;
    }
    /* The local clock check was made when the block was validated; what
     * must hold for ever is the deterministic part. */
    if (check_block_full(c, e, &b, b.header.time_ms, false, &r, msg, msg_len) != WB_OK) goto out;
    for (size_t i = 0; i < r.state_count; i++)
        for (size_t it = 0; it < SIM_ITEMS; it++)
            if (strcmp(e->items[it], r.states[i].item) == 0) c->states[it] = r.states[i];
    if (c->len == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        struct sim_block *nb = realloc(c->blocks, cap * sizeof *nb);
        if (!nb) goto out;
        c->blocks = nb;
        c->cap = cap;
    }
    struct sim_block *sb = &c->blocks[c->len];
    memset(sb, 0, sizeof *sb);
    sb->bytes = malloc(len);
    sb->cert = malloc(cert_len ? cert_len : 1);
    if (!sb->bytes || !sb->cert) {
        free(sb->bytes);
        free(sb->cert);
        goto out;
    }
    memcpy(sb->bytes, bytes, len);
    sb->len = len;
    if (cert_len) memcpy(sb->cert, cert, cert_len);
    sb->cert_len = cert_len;
    memcpy(sb->hash, hash, WB_HASH_LEN);
    sb->time_ms = b.header.time_ms;
    sb->event_count = b.event_count;
    /* Stored: the tree takes the block's leaves, and then names the
     * header's root (the check compared the same computation). */
    if (ledger_state_tree_apply(&c->tree, r.leaves, r.leaf_count) != WB_OK) {
        snprintf(msg, msg_len, "the item-state tree refuses the decided block's leaves");
        free(sb->bytes);
        free(sb->cert);
        goto out;
    }
    if (b.header.has_state) {
        uint8_t root[WB_HASH_LEN];
        ledger_state_tree_root(&c->tree, root);
        if (memcmp(root, b.header.state_root, WB_HASH_LEN) != 0 ||
            c->tree.count != b.header.item_count) {
            snprintf(msg, msg_len, "the item-state tree after the block is not the header's");
            free(sb->bytes);
            free(sb->cert);
            goto out;
        }
    }
    c->len++;
    rc = 0;
out:
    ledger_block_result_free(&r);
    ledger_block_free(&b);
    return rc;
}
