/* Building this node's own block (build.h). */
#include "node/driver/build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "ledger/block.h"

int node_build_init(struct node_build *b, const struct node_env *env,
                    const struct node_chain *chain, const struct node_build_listener *listener)
{
    memset(b, 0, sizeof *b);
    b->env = env;
    b->chain = chain;
    b->listener = *listener;
    int rc = uv_timer_init(env->loop, &b->timer);
    if (rc) {
        WB_ERROR("cons", "cannot create the build timer: %s", uv_strerror(rc));
        return WB_ERR_IO;
    }
    b->timer.data = b;
    b->timer_inited = true;
    return WB_OK;
}

bool node_build_heartbeat_due(const struct node_build *b, int64_t now)
{
    return now >= node_chain_time_ms(b->chain) + (int64_t)b->env->genesis->heartbeat_ms;
}

static void build_now(struct node_build *bd)
{
    if (!bd->pending) return;
    bd->pending = false;
    uv_timer_stop(&bd->timer);
    const struct node_env *env = bd->env;
    uint64_t last = node_chain_height(bd->chain);
    if (bd->height != last + 1) return; /* that height is decided */
    size_t max = env->cfg->limits.block_events_max;
    const uint8_t **events = malloc(max * sizeof *events);
    size_t *lens = malloc(max * sizeof *lens);
    if (!events || !lens) {
        free(events);
        free(lens);
        WB_ERROR("cons", "out of memory building a block");
        return;
    }
    /* Leave room for the header and the per-event framing; the config
     * guarantees that one event of the largest size still fits. */
    size_t budget = env->cfg->limits.block_bytes_max - NODE_BLOCK_FRAMING(max);
    int64_t now = node_now_ms();
    int64_t last_time = node_chain_time_ms(bd->chain);
    int64_t block_time_ms = now > last_time ? now : last_time + 1;
    /* Events admitted inside the backdating limit that waited past it would
     * make the block invalid: they go, and their clients are told. */
    size_t expired = mempool_expire(env->mempool, block_time_ms, bd->listener.on_dropped,
                                    bd->listener.ctx);
    if (expired)
        WB_INFO("cons", "h=%llu dropped %zu pending events older than the backdating limit",
                (unsigned long long)bd->height, expired);
    size_t count = mempool_take(env->mempool, max, budget, events, lens);
    struct ledger_block_header h = {
        .version = env->genesis->header_version,
        .height = bd->height,
        .proposer = node_chain_self_at(bd->chain, bd->height, env->self_key),
        .has_state = env->genesis->header_version == WB_BLOCK_VERSION_STATE,
    };
    memcpy(h.chain_id, env->genesis->chain_id, WB_CHAIN_ID_LEN);
    memcpy(h.prev_hash, node_chain_hash(bd->chain), WB_HASH_LEN);
    h.time_ms = block_time_ms;
    uint8_t *block;
    size_t block_len;
    uint8_t hash[WB_HASH_LEN];
    int rc = ledger_block_build(&h, events, lens, count, &block, &block_len, hash);
    if (rc) {
        free(events);
        free(lens);
        WB_ERROR("cons", "h=%llu cannot build a block: %s", (unsigned long long)h.height,
                 wb_strerror(rc));
        return;
    }
    /* The events passed the rules when the mempool admitted them, against
     * the pending state; this check is what the decision would otherwise
     * do, done once (the mempool still holds the events, so no signature is
     * verified again). A block that fails it is not proposed: the round
     * times out and the next proposer's block is checked as usual. */
    struct node_checked cb;
    char msg[256];
    rc = node_check_own(env, bd->chain, block, block_len, &cb, msg, sizeof msg);
    if (rc == WB_OK && h.has_state) {
        /* Version 2: the check computed the item-state root after the
         * block; the header carries it, so the block is built again. */
        memcpy(h.state_root, cb.result.state_root, WB_HASH_LEN);
        h.item_count = cb.result.item_count;
        free(block);
        rc = ledger_block_build(&h, events, lens, count, &block, &block_len, hash);
        struct node_checked final;
        if (rc == WB_OK) {
            rc = node_check_decode(block, block_len, hash, &final, msg, sizeof msg);
        } else {
            block = NULL;
            snprintf(msg, sizeof msg, "cannot build the block again: %s", wb_strerror(rc));
        }
        if (rc == WB_OK) {
            ledger_block_free(&cb.block);
            cb.block = final.block;
        } else {
            node_checked_free(&cb);
        }
    }
    free(events);
    free(lens);
    if (rc) {
        WB_ERROR("cons", "h=%llu r=%u own block fails local checks: %s; not proposed",
                 (unsigned long long)h.height, bd->round, msg);
        free(block);
        return;
    }
    WB_DEBUG("cons", "h=%llu r=%u built block with %zu events", (unsigned long long)h.height,
             bd->round, count);
    bd->listener.on_built(bd->listener.ctx, bd->height, bd->round, block, block_len, hash, &cb);
    node_checked_free(&cb);
    free(block);
}

static void on_timer(uv_timer_t *t)
{
    build_now(t->data);
}

void node_build_on_mempool_grew(struct node_build *b)
{
    if (b->pending) build_now(b);
}

void node_build_request(struct node_build *b, const struct cons_build_request *rq)
{
    b->pending = true;
    b->height = rq->height;
    b->round = rq->round;
    /* With nothing to propose, wait a little for the events whose gossip
     * woke the others (their messages ended our wait for work); a later
     * round, or a heartbeat that is due, proposes at once. */
    if (mempool_count(b->env->mempool) > 0 || rq->round > 0 ||
        node_build_heartbeat_due(b, node_now_ms())) {
        build_now(b);
        return;
    }
    /* Well inside the others' propose timeout, so waiting costs no round. */
    uint64_t wait = b->env->cfg->timeouts.propose_ms / 2;
    if (wait > NODE_EMPTY_BLOCK_WAIT_MS) wait = NODE_EMPTY_BLOCK_WAIT_MS;
    int rc = uv_timer_start(&b->timer, on_timer, wait, 0);
    if (rc) {
        WB_WARN("cons", "h=%llu cannot start the build timer: %s; building now",
                (unsigned long long)rq->height, uv_strerror(rc));
        build_now(b);
    }
}

void node_build_cancel(struct node_build *b)
{
    b->pending = false;
    if (b->timer_inited) uv_timer_stop(&b->timer);
}

void node_build_stop(struct node_build *b)
{
    node_build_cancel(b);
    if (b->timer_inited) {
        uv_close((uv_handle_t *)&b->timer, NULL);
        b->timer_inited = false;
    }
}
