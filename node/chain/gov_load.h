/* Rebuilding the governance state at start-up: the governance chain's
 * events, read from the store in order and applied with the height and
 * time of their blocks (ledger/gov.h). Used by chain.c. */
#ifndef NODE_CHAIN_GOV_LOAD_H
#define NODE_CHAIN_GOV_LOAD_H

#include <stdint.h>

#include "common/wb_error.h"
#include "ledger/gov.h"
#include "node/env.h"

/* Applies every stored governance event to gv (initialised from genesis,
 * nothing applied yet), then advances it to the head (height, time_ms).
 * The events were checked when their blocks were committed, so they are
 * applied without ledger_gov_check; one that does not open is a corrupt
 * store. Returns 0, WB_ERR_STORE (logged), WB_ERR_NOMEM or a read error. */
WB_MUST_USE int node_gov_load(struct ledger_gov *gv, const struct node_env *env,
                              uint64_t height, int64_t time_ms);

#endif
