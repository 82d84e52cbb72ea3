/* The one check of a block on this node (check.h). */
#include "node/chain/check.h"

#include <stdio.h>
#include <string.h>

#include "node/mempool/mempool.h"
#include "node/metrics/record.h"
#include "storage/store.h"

/* What the block check's callbacks read: the store's item states, and the
 * signatures known already: the mempool's, or (sigs not NULL) the results
 * a caller checked before (node_check_rules_presigned), found by the event
 * bytes' address; the check asks in block order, so the next one is almost
 * always the one. */
struct check_ctx {
    const struct node_env *env;
    const struct ledger_sigcheck *sigs;
    size_t n, next;
};

static int state_lookup(void *ctx, const char *item, struct ledger_item_state *st)
{
    const struct check_ctx *c = ctx;
    return store_item_state(c->env->store, item, st);
}

static bool sig_known(void *ctx, const uint8_t id[WB_HASH_LEN], const uint8_t *ev, size_t len)
{
    struct check_ctx *c = ctx;
    if (!c->sigs) return mempool_holds(c->env->mempool, id, ev, len);
    for (size_t k = 0; k < c->n; k++) {
        size_t i = (c->next + k) % c->n;
        if (c->sigs[i].signed_event != ev) continue;
        c->next = i + 1;
        return c->sigs[i].valid == 1 && c->sigs[i].len == len;
    }
    return false;
}

int node_check_decode(const uint8_t *block, size_t len, const uint8_t *want_hash,
                      struct node_checked *out, char *msg, size_t msg_len)
{
    memset(out, 0, sizeof *out);
    if (ledger_block_decode(block, len, &out->block) != 0) {
        memset(out, 0, sizeof *out);
        snprintf(msg, msg_len, "the block does not decode");
        return WB_ERR_DECODE;
    }
    if (want_hash && memcmp(out->block.hash, want_hash, WB_HASH_LEN) != 0) {
        node_checked_free(out);
        snprintf(msg, msg_len, "the block's hash is not the one announced");
        return WB_ERR_VERIFY;
    }
    return WB_OK;
}

/* The block check against the chain's head and tree; with state_unset the
 * version 2 header's state fields are computed, not compared; with sigs
 * (n of them) the signatures come from them. */
static int check_rules(const struct node_env *env, const struct node_chain *chain,
                       bool check_time, bool state_unset, const struct ledger_sigcheck *sigs,
                       size_t n, struct node_checked *out, char *msg, size_t msg_len)
{
    struct check_ctx ctx = {.env = env, .sigs = n ? sigs : NULL, .n = n};
    struct ledger_block_ctx bc = {
        .genesis = node_chain_view(chain),
        .gov = node_chain_gov(chain),
        .validator_count = node_chain_validators_at(chain, node_chain_height(chain) + 1)->count,
        .height = node_chain_height(chain) + 1,
        .prev_time_ms = node_chain_time_ms(chain),
        .now_ms = check_time ? node_now_ms() : INT64_MAX / 2,
        .drift_max_ms = env->cfg->timeouts.block_time_drift_ms,
        .events_max = env->cfg->limits.block_events_max,
        .item_count = node_chain_item_count(chain),
        .tree = node_chain_tree(chain),
        .state_unset = state_unset,
        .lookup = state_lookup,
        .sig_known = sig_known,
        .ctx = &ctx,
    };
    memcpy(bc.prev_hash, node_chain_hash(chain), WB_HASH_LEN);
    uint64_t t0 = node_mono_ns();
    int rc = ledger_block_check_full(&bc, &out->block, &out->result, msg, msg_len);
    node_metrics_record_check(env->metrics, node_mono_ns() - t0);
    if (rc) node_checked_free(out);
    return rc;
}

int node_check_rules(const struct node_env *env, const struct node_chain *chain,
                     bool check_time, struct node_checked *out, char *msg, size_t msg_len)
{
    return check_rules(env, chain, check_time, false, NULL, 0, out, msg, msg_len);
}

int node_check_rules_presigned(const struct node_env *env, const struct node_chain *chain,
                               const struct ledger_sigcheck *sigs, size_t n,
                               struct node_checked *out, char *msg, size_t msg_len)
{
    if (n != out->block.event_count) {
        node_checked_free(out);
        snprintf(msg, msg_len, "%zu signature results for %zu events", n,
                 out->block.event_count);
        return WB_ERR_INVALID;
    }
    return check_rules(env, chain, false, false, sigs, n, out, msg, msg_len);
}

int node_check_own(const struct node_env *env, const struct node_chain *chain,
                   const uint8_t *block, size_t len, struct node_checked *out, char *msg,
                   size_t msg_len)
{
    int rc = node_check_decode(block, len, NULL, out, msg, msg_len);
    if (rc) return rc;
    return check_rules(env, chain, false, true, NULL, 0, out, msg, msg_len);
}

int node_check_block(const struct node_env *env, const struct node_chain *chain,
                     const uint8_t *block, size_t len, const uint8_t *want_hash,
                     bool check_time, struct node_checked *out, char *msg, size_t msg_len)
{
    int rc = node_check_decode(block, len, want_hash, out, msg, msg_len);
    if (rc) return rc;
    return node_check_rules(env, chain, check_time, out, msg, msg_len);
}

void node_checked_free(struct node_checked *c)
{
    ledger_block_free(&c->block);
    ledger_block_result_free(&c->result);
    memset(c, 0, sizeof *c);
}
