/* The custody rules (DESIGN.md section 2): one pure function deciding
 * whether an event may follow an item's state, and one applying it. Every
 * node applies them in block order and so derives the same item states. */
#ifndef LEDGER_RULES_H
#define LEDGER_RULES_H

#include "ledger/genesis.h"
#include "ledger/types.h"

/* st: the item's current state (zeroed if never seen). Checks, in order:
 * submitter is a member key; item matches; first event is commission and
 * only commission may be first (a second commission is refused); prev equals
 * st->head; location present where required (commission, load, depart,
 * arrive, unload); the submitter's role or custody permits the action; hold
 * and delivered restrictions; handover names a member org other than the
 * custodian; receive only by the named org; required attributes (seal for
 * seal, result=ok|discrepancy for inspect).
 * Returns 0 or WB_ERR_RULE with a reason a person can act on in `reason`,
 * e.g. "receive: item is being handed to 'oceanic', not 'acme'". */
int ledger_rules_check(const struct ledger_item_state *st, const struct ledger_event *ev,
                       const struct ledger_genesis *g, char *reason, size_t reason_len);

/* Applies an event that passed ledger_rules_check to st (head, custodian,
 * status, held, transfer, seal, count, first/last height). */
void ledger_rules_apply(struct ledger_item_state *st, const struct ledger_event *ev,
                        const struct ledger_genesis *g, uint64_t height);

/* ItemState protobuf bytes <-> struct. encode returns 0 or WB_ERR_TOO_LARGE;
 * decode 0 or WB_ERR_DECODE. */
int ledger_item_state_encode(const struct ledger_item_state *st, uint8_t *out, size_t cap,
                             size_t *len);
int ledger_item_state_decode(const uint8_t *buf, size_t len, struct ledger_item_state *st);

#endif
