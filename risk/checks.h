/* The flag checks of the risk engine, one function per flag (docs/risk.md,
 * "Flags"): each reads the replayed chain (risk/engine_internal.h) and
 * raises its flags, or marks its code not evaluable with why. The engine
 * (risk/engine.c) runs them in the order of its table. Pure. */
#ifndef RISK_CHECKS_H
#define RISK_CHECKS_H

#include "risk/engine_internal.h"

/* Each returns 0 or WB_ERR_NOMEM. */
typedef int (*risk__check_fn)(struct risk__run *r);

/* check_seal.c */
WB_MUST_USE int risk__check_seal_mismatch(struct risk__run *r);
WB_MUST_USE int risk__check_seal_tamper(struct risk__run *r);
WB_MUST_USE int risk__check_unsealed_move(struct risk__run *r);
WB_MUST_USE int risk__check_seal_reuse(struct risk__run *r);
/* check_custody.c */
WB_MUST_USE int risk__check_custody_gap(struct risk__run *r);
WB_MUST_USE int risk__check_late_or_backdated(struct risk__run *r);
WB_MUST_USE int risk__check_customs_bypass(struct risk__run *r);
WB_MUST_USE int risk__check_new_party(struct risk__run *r);
/* check_travel.c */
WB_MUST_USE int risk__check_silent_period(struct risk__run *r);
WB_MUST_USE int risk__check_impossible_travel(struct risk__run *r);
WB_MUST_USE int risk__check_cloned_id(struct risk__run *r);
/* check_route.c */
WB_MUST_USE int risk__check_route_deviation(struct risk__run *r);
WB_MUST_USE int risk__check_excess_transshipment(struct risk__run *r);
WB_MUST_USE int risk__check_abnormal_dwell(struct risk__run *r);
WB_MUST_USE int risk__check_high_risk_routing(struct risk__run *r);
/* check_sensor.c */
WB_MUST_USE int risk__check_sensor_excursion(struct risk__run *r);

#endif
