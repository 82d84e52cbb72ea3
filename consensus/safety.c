/* The safety record's contents: what its sign bytes say was signed last, and
 * the check cons_init applies to a restored record, so that the state
 * resumed from it (cons__resume) meets the invariants of invariants.c. */
#include <string.h>

#include "common/bytes.h"
#include "consensus/internal.h"

bool cons__safety_signed(const struct cons_safety *s, const uint8_t chain_id[WB_CHAIN_ID_LEN],
                         struct cons__signed *out)
{
    memset(out, 0, sizeof *out);
    size_t pre_vote = strlen(WB_TAG_VOTE) + WB_CHAIN_ID_LEN;
    size_t pre_prop = strlen(WB_TAG_PROPOSAL) + WB_CHAIN_ID_LEN;
    uint8_t msg[WB_SIGMSG_MAX];
    size_t len;
    if (s->signed_len > WB_SIGMSG_MAX) return false;
    if (s->step == CONS_STEP_PROPOSE) {
        if (s->signed_len != pre_prop + 8 + 4 + 4 + WB_HASH_LEN) return false;
        int32_t vr = (int32_t)wb_get_u32be(s->signed_msg + pre_prop + 12);
        const uint8_t *hash = s->signed_msg + pre_prop + 16;
        len = wb_sigmsg_proposal(msg, chain_id, s->height, s->round, vr, hash);
        if (len != s->signed_len || memcmp(msg, s->signed_msg, len) != 0) return false;
        out->valid_round = vr;
        memcpy(out->hash, hash, WB_HASH_LEN);
        return true;
    }
    if (s->step != CONS_STEP_PREVOTE && s->step != CONS_STEP_PRECOMMIT) return false;
    if (s->signed_len != pre_vote + 13 && s->signed_len != pre_vote + 13 + WB_HASH_LEN)
        return false;
    uint8_t type = s->step == CONS_STEP_PREVOTE ? CONS_PREVOTE : CONS_PRECOMMIT;
    bool nil = s->signed_len == pre_vote + 13;
    const uint8_t *hash = nil ? NULL : s->signed_msg + pre_vote + 13;
    len = wb_sigmsg_vote(msg, chain_id, type, s->height, s->round, hash);
    if (len != s->signed_len || memcmp(msg, s->signed_msg, len) != 0) return false;
    out->nil = nil;
    if (hash) memcpy(out->hash, hash, WB_HASH_LEN);
    return true;
}

/* A record this core could have written, for this chain and validator:
 *  - height 0 (nothing signed yet), or a step of a signature (propose,
 *    prevote, precommit: cons__sign never records another);
 *  - a round below the bound, locks of -1 or of rounds reached (the
 *    resumed round, step and locks then meet the state invariants);
 *  - a reservation of at most the next height (a precommit at h writes
 *    h + 1; 0 in records written before reservations);
 *  - a step propose only from the proposer of (h, r), and a proposal it
 *    signed there with a valid round in [-1, r): cons__resume puts it in the
 *    round's slot, which holds the proposer's proposal with that bound.
 * Sign bytes that are not the message of the record's (h, r, step) on this
 * chain are not restored (cons__sign then refuses anything at that (h, r,
 * step) but those bytes), so they are no reason to refuse the record. */
bool cons__safety_restorable(const struct cons_safety *s, const uint8_t chain_id[WB_CHAIN_ID_LEN],
                             size_t n, uint32_t self)
{
    if (s->step > CONS_STEP_PRECOMMIT || s->signed_len > WB_SIGMSG_MAX) return false;
    if (s->locked_round < -1 || s->valid_round < -1) return false;
    if (s->height == 0) return true;
    if (s->step == CONS_STEP_NONE) return false;
    if (s->round >= CONS_ROUND_LIMIT) return false;
    if ((int64_t)s->locked_round > (int64_t)s->round) return false;
    if ((int64_t)s->valid_round > (int64_t)s->round) return false;
    if (s->reserve_height > s->height && s->reserve_height - s->height > 1) return false;
    if (s->step != CONS_STEP_PROPOSE || self == CONS_NOT_VALIDATOR) return true;
    if (cons_proposer(n, s->height, s->round) != self) return false;
    struct cons__signed own;
    if (!cons__safety_signed(s, chain_id, &own)) return true;
    return own.valid_round >= -1 && (int64_t)own.valid_round < (int64_t)s->round;
}
