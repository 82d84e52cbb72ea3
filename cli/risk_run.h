/* What `waybill risk` and `waybill verify` share to judge a verified item
 * (docs/risk.md): the accepted events collected while a bundle verifies,
 * the time each was recorded (its block's, read from the bundle), the
 * questions for the node's ledger-wide context (seals, the container
 * number, parties, baselines), the engine's run (risk/risk.h) and the
 * report printed as text or JSON. */
#ifndef CLI_RISK_RUN_H
#define CLI_RISK_RUN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/client.h"
#include "common/wb_error.h"
#include "ledger/evidence.h"
#include "ledger/genesis.h"
#include "risk/policy.h"
#include "risk/risk.h"

#define RISK_RUN_QUERY_MAX 32

struct risk_run {
    struct ledger_event *copies;         /* heap, one per accepted event */
    struct risk_event *events;           /* point into copies and orgs */
    char (*orgs)[WB_ORG_MAX + 1];
    size_t count, cap;
    bool failed;                         /* out of memory: nothing judged */
};

void risk_run_init(struct risk_run *r);
void risk_run_free(struct risk_run *r);
/* Keeps a copy of accepted event ev (org NULL: not a member) recorded in
 * block `height`. Out of memory marks the run failed. */
void risk_run_add(struct risk_run *r, const struct ledger_event *ev, const char *org,
                  uint64_t height);
/* Sets each event's block time from the headers of the bundle it was
 * verified from (the canonical bytes of a ProofBundle that verified).
 * Returns 0, WB_ERR_DECODE or WB_ERR_NOMEM. */
WB_MUST_USE int risk_run_times(struct risk_run *r, const uint8_t *bundle, size_t len);

/* What to ask the node about the item (risk_context_fetch): the seal
 * numbers it carried, its container number ("" unless an ISO 6346 id),
 * the organisations that held it or submitted for it, and the baselines
 * of its dwells and transits; at most RISK_RUN_QUERY_MAX of each. */
struct risk_run_query {
    size_t seal_count, org_count, key_count;
    char seals[RISK_RUN_QUERY_MAX][WB_ATTR_VALUE_MAX + 1];
    char container[WB_ITEM_MAX + 1];
    char orgs[RISK_RUN_QUERY_MAX][WB_ORG_MAX + 1];
    char keys[RISK_RUN_QUERY_MAX][RISK_KEY_MAX];
};
void risk_run_query_of(const struct risk_run *r, const struct ledger_evidence *e,
                       struct risk_run_query *q);

/* Asks c's node for the ledger-wide context q names (risk_context_fetch,
 * cli/risk_context.h) into *out (free it with risk_context_data_free in
 * every case, on error too). Returns 0 or the fetch's error, c->reason
 * saying why. */
struct risk_context_data;
WB_MUST_USE int risk_run_fetch(struct client *c, const char *item, const struct risk_run_query *q,
                               struct risk_context_data *out);

/* Judges the item: risk_assess over the collected events with the chain's
 * genesis g (its current view), the finished evidence e (may be NULL), the
 * reference time as_of_ms, policy p and context ctx (NULL: offline). out
 * as risk_assess; free it with risk_report_free. */
WB_MUST_USE int risk_run_assess(const struct risk_run *r, const struct ledger_genesis *g,
                                const struct ledger_evidence *e, int64_t as_of_ms,
                                const struct risk_policy *p, const struct risk_context *ctx,
                                struct risk_report *out, char *msg, size_t msg_len);

/* The report as text (a "Risk:" section: score, policy hash, one line per
 * flag with its code, severity, sentence, custodian, events and basis,
 * then what could not be judged and why), and as the JSON object of
 * docs/risk.md. Returns 0, WB_ERR_IO or WB_ERR_NOMEM / NULL. as_of names
 * the reference time, online says whether ledger-wide context was used. */
WB_MUST_USE int risk_run_print_text(const struct risk_report *rep, int64_t as_of_ms,
                                    bool online, FILE *out);
json_t *risk_run_json(const struct risk_report *rep, int64_t as_of_ms, bool online);

/* Loads the policy: the file at path (NULL: $WAYBILL_RISK_POLICY, and when
 * that is unset the defaults). Prints why and returns CLI_EXIT_FAILED on a
 * file that cannot be read or parsed; CLI_EXIT_OK otherwise. */
WB_MUST_USE int risk_run_policy(const char *cmd, const char *path, struct risk_policy *p);

#define RISK_RUN_ENV_POLICY "WAYBILL_RISK_POLICY"

#endif
