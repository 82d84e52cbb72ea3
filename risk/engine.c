/* The risk engine (risk/risk.h): one replay of the item's chain, then the
 * table of flag checks (risk/checks.h) in order, one function per flag. */
#include <stdlib.h>
#include <string.h>

#include "common/wb_assert.h"
#include "risk/checks.h"
#include "risk/risk.h"

static const struct {
    enum risk_flag_code code;
    risk__check_fn check;
} risk_checks[RISK_FLAG_COUNT] = {
    {RISK_SEAL_MISMATCH, risk__check_seal_mismatch},
    {RISK_SEAL_TAMPER, risk__check_seal_tamper},
    {RISK_UNSEALED_MOVE, risk__check_unsealed_move},
    {RISK_CUSTODY_GAP, risk__check_custody_gap},
    {RISK_SILENT_PERIOD, risk__check_silent_period},
    {RISK_IMPOSSIBLE_TRAVEL, risk__check_impossible_travel},
    {RISK_ROUTE_DEVIATION, risk__check_route_deviation},
    {RISK_EXCESS_TRANSSHIPMENT, risk__check_excess_transshipment},
    {RISK_ABNORMAL_DWELL, risk__check_abnormal_dwell},
    {RISK_LATE_OR_BACKDATED, risk__check_late_or_backdated},
    {RISK_CUSTOMS_BYPASS, risk__check_customs_bypass},
    {RISK_SENSOR_EXCURSION, risk__check_sensor_excursion},
    {RISK_HIGH_RISK_ROUTING, risk__check_high_risk_routing},
    {RISK_CLONED_ID, risk__check_cloned_id},
    {RISK_SEAL_REUSE, risk__check_seal_reuse},
    {RISK_NEW_PARTY, risk__check_new_party},
};

int risk_assess(const struct risk_input *in, const struct risk_policy *p,
                const struct risk_context *ctx, struct risk_report *out, char *msg,
                size_t msg_len)
{
    WB_ASSERT(in && p && out);
    memset(out, 0, sizeof *out);
    if (msg && msg_len) msg[0] = '\0';
    out->flags = calloc(RISK_FLAGS_MAX, sizeof *out->flags);
    if (!out->flags) return WB_ERR_NOMEM;
    risk_policy_hash(p, out->policy_hash);

    struct risk__run *r = calloc(1, sizeof *r);
    if (!r) return WB_ERR_NOMEM;
    r->in = in;
    r->p = p;
    r->ctx = ctx;
    r->out = out;
    int rc = risk__run_build(r, msg, msg_len);
    for (size_t k = 0; rc == WB_OK && k < RISK_FLAG_COUNT; k++) {
        WB_ASSERT(risk_checks[k].code == (enum risk_flag_code)k);
        if (risk_flag_ledger_wide(risk_checks[k].code) && !ctx) {
            risk__not_evaluable(r, risk_checks[k].code, "needs the ledger: offline");
            continue;
        }
        rc = risk_checks[k].check(r);
    }
    risk__run_free(r);
    free(r);
    if (rc != WB_OK) {
        /* Nothing half-judged: an empty report, its hash kept. */
        struct risk_flag *flags = out->flags;
        uint8_t hash[RISK_POLICY_HASH_LEN];
        memcpy(hash, out->policy_hash, sizeof hash);
        memset(out, 0, sizeof *out);
        out->flags = flags;
        memcpy(out->policy_hash, hash, sizeof hash);
    }
    return rc;
}

void risk_report_free(struct risk_report *r)
{
    if (!r) return;
    free(r->flags);
    r->flags = NULL;
    r->flag_count = 0;
}
