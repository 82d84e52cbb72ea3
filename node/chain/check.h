/* The one check of a block on this node. A block that arrives (a proposal
 * to validate, the proposer's own block, a block from sync, a decided block
 * held through a storage fault) is decoded and checked here once, against
 * the chain's head and item-state tree; what the check learnt (the decoded
 * events, their ids, the item states after the block, their leaves and the
 * tree's root after it) travels with it in a struct node_checked
 * to the commit path (commit.h), which neither decodes nor opens the events
 * again. */
#ifndef NODE_CHAIN_CHECK_H
#define NODE_CHAIN_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/sigcheck.h"
#include "ledger/validate.h"
#include "node/chain/chain.h"
#include "node/env.h"

/* A decoded, checked block. Owns what it holds; free with node_checked_free. */
struct node_checked {
    struct ledger_block block;
    struct ledger_block_result result;
};

/* Decodes `len` bytes of block (borrowed) and checks it as block head + 1:
 * structure, chain, height, previous hash, time (against the clock when
 * check_time, else only against the previous block), every event's
 * signature (skipped for one the mempool holds with the same bytes) and the
 * ledger rules against the stored item states, and on a chain of header
 * version 2 the state root and item count. want_hash, when not NULL,
 * must be the block's hash. On 0 *out holds the result (the caller frees
 * it); on error *out is zeroed and msg says why. Returns WB_ERR_DECODE
 * (does not decode), WB_ERR_VERIFY (hash differs from want_hash), or what
 * ledger_block_check_full returns. */
WB_MUST_USE int node_check_block(const struct node_env *env, const struct node_chain *chain,
                                 const uint8_t *block, size_t len,
                                 const uint8_t *want_hash, bool check_time,
                                 struct node_checked *out, char *msg, size_t msg_len);

/* The two halves of node_check_block, for a caller with something to check
 * in between (block sync verifies the certificate against the decoded
 * block's hash before paying for the events' signatures).
 * node_check_decode: decodes into *out (zeroed on error; WB_ERR_DECODE,
 * WB_ERR_VERIFY as above). node_check_rules: checks the decoded block in
 * *out and adds the result; on error frees *out. */
WB_MUST_USE int node_check_decode(const uint8_t *block, size_t len, const uint8_t *want_hash,
                                  struct node_checked *out, char *msg, size_t msg_len);
WB_MUST_USE int node_check_rules(const struct node_env *env, const struct node_chain *chain,
                                 bool check_time, struct node_checked *out, char *msg,
                                 size_t msg_len);

/* node_check_rules for a block whose events' signatures the caller checked
 * already, e.g. on every CPU with ledger_sigcheck_run (block sync): sigs[i]
 * is the result for out->block's event i (n of them, n = its event count).
 * An event whose result is not 1 is checked again by the block check, which
 * then names what is wrong with it. */
WB_MUST_USE int node_check_rules_presigned(const struct node_env *env,
                                           const struct node_chain *chain,
                                           const struct ledger_sigcheck *sigs, size_t n,
                                           struct node_checked *out, char *msg, size_t msg_len);

/* The proposer's own block (time not checked against the clock): as
 * node_check_block, except that a version 2 header's state root and item
 * count are not compared but computed, into out->result (state_root,
 * item_count), for the proposer to put in the header. */
WB_MUST_USE int node_check_own(const struct node_env *env, const struct node_chain *chain,
                               const uint8_t *block, size_t len, struct node_checked *out,
                               char *msg, size_t msg_len);

/* Frees what c holds and zeroes it; a zeroed struct is a no-op. */
void node_checked_free(struct node_checked *c);

#endif
