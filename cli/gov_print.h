/* How `waybill gov`, `waybill key` and `waybill status` show the
 * governance state (ledger/gov.h): a proposal's change in words, a key's
 * status, a proposal as one line and as JSON. */
#ifndef CLI_GOV_PRINT_H
#define CLI_GOV_PRINT_H

#include <jansson.h>
#include <stddef.h>

#include "ledger/gov.h"

#define GOV_PRINT_LINE_MAX 1024

/* What a proposal changes, for a person: "add member 'forwardco' (carrier,
 * 1 key)", "remove member 'forwardco'", "add validator 'node4' (org
 * 'forwardco', key 1a2b3c4d..., p2p 127.0.0.1:7004)", "remove validator
 * 'node4'", "set heartbeat_ms to 30000". Text from the chain is made safe
 * for a terminal. Returns out. */
char *gov_print_summary(const struct ledger_gov_action *a, char *out, size_t cap);

/* "add-member", ... (the command line's word for a kind). */
const char *gov_print_kind(enum ledger_gov_kind k);

/* A key's status: "active", "revoked as retired at height H", "revoked as
 * compromised since T at height H", "org removed at height H", and for a
 * validator key no longer in the validator set "not a validator since
 * height H" (or, before its removal takes effect, "leaves the validator
 * set at height H"). Returns out. */
char *gov_print_key_status(const struct ledger_gov *gv, const struct ledger_gov_key *k,
                           char *out, size_t cap);

/* "approvals 1/3 (acme)": those that count now, the threshold, and every
 * approving organisation in order; for an executed proposal "approvals 2
 * (acme, oceanic)", every approval it had. Returns out. */
char *gov_print_approvals(const struct ledger_gov *gv, const struct ledger_gov_proposal *p,
                          char *out, size_t cap);

/* One line: "1a2b3c4d add member 'forwardco' (carrier, 1 key): approvals
 * 1/3 (acme), expires 2026-12-10T10:00:00.000Z". Returns out. */
char *gov_print_proposal_line(const struct ledger_gov *gv, const struct ledger_gov_proposal *p,
                              char *out, size_t cap);

/* {id, kind, summary, change{...}, note, proposer, height, time_ms, time,
 *  status, approvals, needed, approvers[{org, height}], expires_ms,
 *  expires, executed_height}; for an executed proposal approvals counts
 *  every approval and needed is null. A new reference or NULL (out of
 *  memory). */
json_t *gov_print_proposal_json(const struct ledger_gov *gv, const struct ledger_gov_proposal *p);

/* {key, org, validator, added_height, status, revoked, revoked_height,
 *  revoked_time, since, org_removed}; a new reference or NULL. */
json_t *gov_print_key_json(const struct ledger_gov *gv, const struct ledger_gov_key *k);

/* {from_height, validators[{name, org, key, p2p, api}]}; a new reference
 * or NULL. */
json_t *gov_print_epoch_json(const struct ledger_gov_epoch *e);

#endif
