/* The governance history a proof bundle carries (ProofBundle.governance,
 * docs/formats.md "Proof bundle"): the governance chain's own bundle,
 * verified from the original genesis and replayed. Each of its blocks'
 * certificates is checked against the validator set of its height as the
 * replay so far gives it (a change in block H signs from H + 2, so the set
 * of a block is known once the blocks below it are replayed); its headers,
 * events, audit paths and signatures as ledger/verify.h checks an item's;
 * each event by the rules of the governance chain (ledger_rules_check with
 * the registry in effect, ledger_gov_check, ledger_gov_apply); and last its
 * freshness proof, when present: then the history is complete as of that
 * height (ledger_gov_history_verify, ledger/verify.h). The result keeps the governance state after every block with
 * governance events, so a verifier asks which registry and which
 * validators were in effect at any height. Pure: no I/O, no clock. */
#ifndef LEDGER_GOV_HISTORY_H
#define LEDGER_GOV_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "ledger/genesis.h"
#include "ledger/gov.h"
#include "proto/waybill.pb-c.h"

/* The governance state after one block (height 0: genesis). */
struct ledger_gov_snapshot {
    uint64_t height;
    struct ledger_gov gov;
};

struct ledger_gov_history {
    /* snaps[0] is genesis (height 0); then one per block with governance
     * events, ascending; the last is the final state. */
    struct ledger_gov_snapshot *snaps;
    size_t snap_count, snap_cap;
    size_t events;                       /* governance events verified */
    bool complete;                       /* a freshness proof verified */
    uint64_t complete_height;            /* as of this height (complete only) */
    char completeness[160];              /* why not complete, when not */
};

/* Starts a history at genesis. Returns 0 or WB_ERR_NOMEM. */
WB_MUST_USE int ledger_gov_history_init(struct ledger_gov_history *h,
                                        const struct ledger_genesis *g);
void ledger_gov_history_free(struct ledger_gov_history *h);

/* Records *gv as the state after block `height` (above every earlier
 * snapshot's; the same height replaces the last). Returns 0 or
 * WB_ERR_NOMEM. */
WB_MUST_USE int ledger_gov_history_push(struct ledger_gov_history *h, uint64_t height,
                                        const struct ledger_gov *gv);

/* The final state (after the last governance block). */
const struct ledger_gov *ledger_gov_history_last(const struct ledger_gov_history *h);

/* The state in effect for the events of block `height`: the one after the
 * last block with governance events below it (its view is the registry
 * they are judged by). */
const struct ledger_gov *ledger_gov_history_at(const struct ledger_gov_history *h,
                                               uint64_t height);

/* ledger_gov_history_verify, which verifies a governance chain bundle into
 * a history, is declared in ledger/verify.h: the verifier's code does it. */

#endif
