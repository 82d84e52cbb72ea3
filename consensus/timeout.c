/* Timeouts: their length per round, arming, and what a firing does. */
#include "consensus/internal.h"

/* DESIGN.md section 4: "Each grows with the round (base + r * increment),
 * so rounds eventually last long enough." Capped so it fits a u32. */
uint32_t cons__timeout_ms(const struct cons *c, uint8_t step, uint32_t round)
{
    uint64_t base, delta;
    switch (step) {
    case CONS_STEP_PROPOSE:
        base = c->cfg.timeout_propose_ms;
        delta = c->cfg.timeout_propose_delta_ms;
        break;
    case CONS_STEP_PREVOTE:
        base = c->cfg.timeout_prevote_ms;
        delta = c->cfg.timeout_prevote_delta_ms;
        break;
    default:
        base = c->cfg.timeout_precommit_ms;
        delta = c->cfg.timeout_precommit_delta_ms;
        break;
    }
    uint64_t t = base + (uint64_t)round * delta;
    return t > CONS_TIMEOUT_CAP_MS ? CONS_TIMEOUT_CAP_MS : (uint32_t)t;
}

void cons__arm(struct cons *c, uint8_t step)
{
    cons__emit_timer(c, step, cons__timeout_ms(c, step, c->round));
}

/* DESIGN.md section 4: "Timeouts, each checked against the (h, r, step) it
 * was armed for: propose -> prevote nil; prevote -> precommit nil;
 * precommit -> next round." (Algorithm 1: OnTimeoutPropose and
 * OnTimeoutPrevote act only while still in that step; OnTimeoutPrecommit
 * in any step of that round.) A core waiting for work (quiet when idle)
 * armed nothing at this height and ignores any timeout. */
void cons__on_timeout(struct cons *c, const struct cons_event *ev)
{
    if (ev->timeout.height != c->height || ev->timeout.round != c->round) return;
    /* A height waiting for its set armed nothing. */
    if (c->set_pending) return;
    /* Waiting for work, this height armed no timer: none can be ours. */
    if (c->waiting) return;
    switch (ev->timeout.step) {
    case CONS_STEP_PROPOSE:
        if (c->step != CONS_STEP_PROPOSE) return;
        cons__send_vote(c, CONS_PREVOTE, NULL);
        c->step = CONS_STEP_PREVOTE;
        break;
    case CONS_STEP_PREVOTE:
        if (c->step != CONS_STEP_PREVOTE) return;
        cons__send_vote(c, CONS_PRECOMMIT, NULL);
        c->step = CONS_STEP_PRECOMMIT;
        break;
    case CONS_STEP_PRECOMMIT:
        if (c->round + 1 < CONS_ROUND_LIMIT) cons__start_round(c, c->round + 1);
        break;
    default:
        break;
    }
}
