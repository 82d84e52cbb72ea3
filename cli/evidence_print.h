/* How `waybill history` and `waybill verify` show an item's device
 * evidence (ledger/evidence.h, docs/devices.md "Evidence and findings"):
 * the Evidence, Plan and Findings sections as text, and the "evidence"
 * object of --json. */
#ifndef CLI_EVIDENCE_PRINT_H
#define CLI_EVIDENCE_PRINT_H

#include <jansson.h>
#include <stdio.h>

#include "common/wb_error.h"
#include "ledger/evidence.h"

/* Prints, for finished evidence e, on f:
 *   "Evidence: N device reports (M observations) from D devices" and a
 *   table of one row per report event (#, HEIGHT, DEVICE, KIND, OWNER,
 *   REPORT, OBS, FROM, TO, CUSTODIAN, SUMMARY), then "Seal observations:"
 *   with every seal_status observation (TIME, DEVICE, SEAL, STATE,
 *   CUSTODIAN, OWNER, EVENT); "Evidence: no device reports" when none;
 *   "Plan: N versions; in effect: version N, set by ORG at T (#E, height
 *   H), corridor C km" and its stops (STOP, LOCODE, ARRIVE FROM, ARRIVE
 *   TO, LEG), or "Plan: none recorded";
 *   "Findings: N" and one line "TAMPER: REASON (report #E, ID)" each, or
 *   "Findings: none".
 * Text from the chain is made safe for a terminal. Returns 0 or
 * WB_ERR_NOMEM (a table lost a row). */
WB_MUST_USE int evidence_print_text(const struct ledger_evidence *e, FILE *f);

/* {"reports": [...], "observations": [...], "observations_dropped",
 *  "plans": [...], "findings": [...], "findings_dropped"} with every kept
 * observation in full (docs/cli.md, verify, lists the fields). A new
 * reference, or NULL when out of memory. */
json_t *evidence_print_json(const struct ledger_evidence *e);

#endif
