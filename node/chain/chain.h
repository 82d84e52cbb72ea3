/* The committed chain as this node knows it: the last stored block's height,
 * hash and time, when it last changed, and what was committed since start-up
 * and since the last summary line. Written only by chain.c, through
 * node_chain_advance (the commit path, node/chain/commit.c) and
 * node_chain_take_summary (the summary line); everyone else reads it with the
 * accessors below. */
#ifndef NODE_CHAIN_CHAIN_H
#define NODE_CHAIN_CHAIN_H

#include <stdint.h>

#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/types.h"
#include "node/env.h"

struct node_chain {
    uint64_t height;                  /* last committed height (0: none) */
    uint8_t hash[WB_HASH_LEN];        /* its block hash (zeros at height 0) */
    int64_t time_ms;                  /* its block time (genesis time at 0) */
    int64_t progress_ms;              /* when height last changed (start-up time at first) */
    uint64_t events_committed;        /* since start-up */
    int64_t summary_ms;               /* when the last summary was taken */
    uint64_t summary_blocks;          /* committed since then */
    uint64_t summary_events;
};

/* Reads the head from the store (genesis time for an empty chain). */
WB_MUST_USE int node_chain_load(struct node_chain *c, const struct node_env *env);

/* Block b (height head + 1) is stored: it becomes the head. */
void node_chain_advance(struct node_chain *c, const struct ledger_block *b, int64_t now_ms);

/* What was committed since the last call (or start-up), and how long ago
 * that was in ms; starts the next period at now_ms. */
void node_chain_take_summary(struct node_chain *c, int64_t now_ms, uint64_t *blocks,
                             uint64_t *events, int64_t *period_ms);

static inline uint64_t node_chain_height(const struct node_chain *c) { return c->height; }
static inline const uint8_t *node_chain_hash(const struct node_chain *c) { return c->hash; }
static inline int64_t node_chain_time_ms(const struct node_chain *c) { return c->time_ms; }
static inline int64_t node_chain_progress_ms(const struct node_chain *c)
{
    return c->progress_ms;
}
static inline uint64_t node_chain_events_committed(const struct node_chain *c)
{
    return c->events_committed;
}

#endif
