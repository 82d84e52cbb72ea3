/* The committed chain's head and counters (chain.h). */
#include "node/chain/chain.h"

#include <string.h>

#include "common/wb_assert.h"
#include "storage/store.h"

int node_chain_load(struct node_chain *c, const struct node_env *env)
{
    memset(c, 0, sizeof *c);
    int rc = store_last(env->store, &c->height, c->hash, &c->time_ms);
    if (rc) return rc;
    if (c->height == 0) c->time_ms = env->genesis->genesis_time_ms;
    c->progress_ms = node_now_ms();
    c->summary_ms = c->progress_ms;
    return WB_OK;
}

void node_chain_advance(struct node_chain *c, const struct ledger_block *b, int64_t now_ms)
{
    WB_ASSERT(b->header.height == c->height + 1);
    c->height = b->header.height;
    memcpy(c->hash, b->hash, WB_HASH_LEN);
    c->time_ms = b->header.time_ms;
    c->progress_ms = now_ms;
    c->events_committed += b->event_count;
    c->summary_blocks++;
    c->summary_events += b->event_count;
}

void node_chain_take_summary(struct node_chain *c, int64_t now_ms, uint64_t *blocks,
                             uint64_t *events, int64_t *period_ms)
{
    *blocks = c->summary_blocks;
    *events = c->summary_events;
    *period_ms = now_ms - c->summary_ms;
    c->summary_ms = now_ms;
    c->summary_blocks = 0;
    c->summary_events = 0;
}
