/* The commit path: the one way a block enters this node's chain, whether
 * consensus decided it or block sync brought it. It takes a checked block
 * (check.h) with its bytes and certificate bytes, appends them to the store
 * with what the check learnt, advances the chain (chain.h), tells the
 * node's listener, lets the mempool drop what the block made stale, and
 * gives the append's spare pages back. Nothing on it decodes the block or
 * opens its events. */
#ifndef NODE_CHAIN_COMMIT_H
#define NODE_CHAIN_COMMIT_H

#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "node/chain/chain.h"
#include "node/chain/check.h"
#include "node/env.h"

/* From this many events on, a committed block's append gives its spare
 * pages back (store_release_pages): a smaller block rewrites too few pages
 * to pay for a flush. */
#define NODE_RELEASE_PAGES_EVENTS_MIN 32

struct node_commit_listener {
    /* Block b is stored and is the chain's head; ids[i] is event i's id. */
    void (*on_block)(void *ctx, const struct ledger_block *b,
                     const uint8_t (*ids)[WB_HASH_LEN]);
    /* The mempool dropped pending event id after the commit (its item moved
     * on): whoever waits for it is told err and reason. */
    void (*on_dropped)(void *ctx, const uint8_t id[WB_HASH_LEN], int err, const char *reason);
    /* The block changed the governance state (now gv): members, keys,
     * validators or parameters. May be NULL. */
    void (*on_gov)(void *ctx, const struct ledger_gov *gv);
    void *ctx;
};

struct node_commit {
    const struct node_env *env;
    struct node_chain *chain;         /* advanced here, nowhere else */
    struct node_commit_listener listener;
};

/* Appends cb (checked as block head + 1; borrowed) with its bytes and its
 * certificate (cert_len bytes, the encoded CommitCert, stored as given) and
 * does everything the commit implies. Returns 0, or the store's error with
 * nothing changed (the chain, the mempool and the listener untouched). */
WB_MUST_USE int node_commit_block(struct node_commit *cm, const struct node_checked *cb,
                                  const uint8_t *block, size_t block_len, const uint8_t *cert,
                                  size_t cert_len);

#endif
