/* The ledger rules (DESIGN.md section 2, docs/rules.md): custody, movement,
 * customs, seals and time. Each rule is one named function in one table;
 * ledger_rules_check runs the table in order and stops at the first rule
 * that refuses. Every node applies them in block order and so derives the
 * same item states. */
#ifndef LEDGER_RULES_H
#define LEDGER_RULES_H

#include "common/wb_error.h"
#include "ledger/genesis.h"
#include "ledger/gov.h"
#include "ledger/types.h"

/* What one rule looks at; opaque outside rules.c. */
struct ledger_rule_ctx;

/* One row of the rule table. `name` is stable: docs/rules.md, the unit test
 * of the rule and the cluster check carry it. `reason` says in one sentence
 * what the rule requires and what to do when it refuses. `check` returns 0
 * or WB_ERR_RULE, having written the specific reason. */
struct ledger_rule {
    const char *name;
    const char *reason;
    int (*check)(const struct ledger_rule_ctx *c);
};

/* The rule table in the order ledger_rules_check runs it; *count receives
 * its length. Static storage. */
const struct ledger_rule *ledger_rules_table(size_t *count);

/* Whether event ev may follow state st (zeroed if the item was never seen).
 * gov is the governance state in effect for ev's block (for the device
 * registry: which keys are devices, registered by whom, retired or not),
 * or NULL when there is none: then no device is known, and every device
 * report and attachment is refused (rule device_registered).
 * ref_time_ms is the reference time of the time rules: the block's time
 * when a block is validated or verified, the node's clock when an event is
 * admitted to its mempool (ledger/ reads no clock). The genesis supplies
 * clock_skew_ms and backdate_max_ms.
 * Returns 0, or WB_ERR_RULE with a reason a person can act on in `reason`,
 * ending in the name of the rule, e.g.
 * "receive: item is being handed to 'oceanic', not 'acme' (rule receive_by_named)".
 * If rule_out is not NULL it receives the refusing rule's name (static), or
 * NULL when the event passes. */
WB_MUST_USE int ledger_rules_check(const struct ledger_item_state *st,
                                   const struct ledger_event *ev, const struct ledger_genesis *g,
                                   const struct ledger_gov *gov, int64_t ref_time_ms, char *reason, size_t reason_len,
                                   const char **rule_out);

/* Applies an event that passed ledger_rules_check to st (head, custodian,
 * status, customs, transfer, seal, location, movement, commission and
 * latest event time, count, first/last height, shipper, attached devices
 * and each one's last report). */
void ledger_rules_apply(struct ledger_item_state *st, const struct ledger_event *ev,
                        const struct ledger_genesis *g, uint64_t height);

/* Whether ev, accepted after st, is out of order: its time is before the
 * latest event time among the item's earlier events (a late report inside
 * the backdating limit). False for the first event. */
bool ledger_rules_out_of_order(const struct ledger_item_state *st,
                               const struct ledger_event *ev);

/* ItemState protobuf bytes <-> struct. encode returns 0 or WB_ERR_TOO_LARGE;
 * decode 0 or WB_ERR_DECODE. This is the one encoding of an item state:
 * storage and the client API both use it. */
WB_MUST_USE int ledger_item_state_encode(const struct ledger_item_state *st, uint8_t *out,
                                         size_t cap, size_t *len);
WB_MUST_USE int ledger_item_state_decode(const uint8_t *buf, size_t len,
                                         struct ledger_item_state *st);

#endif
