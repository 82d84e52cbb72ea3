/* Round slots of the current height and the bounds on them: the current
 * round, CONS_PAST_ROUNDS rounds below it plus up to CONS_PINNED_ROUNDS
 * pinned ones (valid, locked, and the proposal's proof-of-lock round), and
 * future rounds at most CONS_FUTURE_ROUNDS_PER_VALIDATOR per validator, so
 * memory is fixed at init whatever peers send. */
#include <string.h>

#include "common/wb_assert.h"
#include "consensus/internal.h"

struct cons__round *cons__round_find(struct cons *c, uint32_t round)
{
    for (size_t i = 0; i < c->slot_count; i++)
        if (c->rounds[i].used && c->rounds[i].round == round) return &c->rounds[i];
    return NULL;
}

static void slot_free(struct cons *c, struct cons__round *rs)
{
    struct cons__vslot *pv = rs->votes[0], *pc = rs->votes[1];
    memset(pv, 0, c->cap * sizeof *pv);
    memset(pc, 0, c->cap * sizeof *pc);
    memset(rs, 0, sizeof *rs);
    rs->votes[0] = pv;
    rs->votes[1] = pc;
}

/* Past rounds kept whatever the window: see CONS_PINNED_ROUNDS. */
static bool pinned(struct cons *c, uint32_t round)
{
    if (c->valid_round >= 0 && (uint32_t)c->valid_round == round) return true;
    if (c->locked_round >= 0 && (uint32_t)c->locked_round == round) return true;
    struct cons__round *cur = cons__round_find(c, c->round);
    return cur && cur->proposal.present && cur->proposal.valid_round >= 0 &&
           (uint32_t)cur->proposal.valid_round == round;
}

/* The lowest past round that is not pinned, and how many such there are. */
static struct cons__round *lowest_past(struct cons *c, size_t *count)
{
    struct cons__round *low = NULL;
    *count = 0;
    for (size_t i = 0; i < c->slot_count; i++) {
        struct cons__round *rs = &c->rounds[i];
        if (!rs->used || rs->round >= c->round || pinned(c, rs->round)) continue;
        (*count)++;
        if (!low || rs->round < low->round) low = rs;
    }
    return low;
}

static struct cons__round *slot_alloc(struct cons *c, uint32_t round)
{
    struct cons__round *rs = NULL;
    for (size_t i = 0; i < c->slot_count && !rs; i++)
        if (!c->rounds[i].used) rs = &c->rounds[i];
    if (!rs) {
        /* Pins move (a new valid round, a new proposal): an old pinned slot
         * may have joined the window since the last trim. */
        size_t past;
        rs = lowest_past(c, &past);
        if (!rs) return NULL;
    }
    slot_free(c, rs);
    rs->used = true;
    rs->round = round;
    return rs;
}

/* Validator v has a message in rs: the proposal, or a vote (with
 * checked_only, a vote whose signature was checked). */
static bool message_of(const struct cons *c, const struct cons__round *rs, uint32_t v,
                       bool checked_only)
{
    for (int t = 0; t < 2; t++) {
        const struct cons__vslot *s = &rs->votes[t][v];
        if (s->state != CONS__VOTE_NONE && (s->checked || !checked_only)) return true;
    }
    return rs->proposal.present && cons_proposer(c->n, c->height, rs->round) == v;
}

/* Any message of v in rs, checked or not: what occupies slots. */
static bool has_message_of(const struct cons *c, const struct cons__round *rs, uint32_t v)
{
    return message_of(c, rs, v, false);
}

static size_t senders(const struct cons *c, const struct cons__round *rs, bool checked_only)
{
    size_t k = 0;
    for (uint32_t v = 0; v < c->n; v++)
        if (message_of(c, rs, v, checked_only)) k++;
    return k;
}

size_t cons__round_senders(const struct cons *c, const struct cons__round *rs)
{
    return senders(c, rs, true);
}

bool cons__round_senders_reach(struct cons *c, struct cons__round *rs, size_t need)
{
    size_t k = senders(c, rs, true);
    if (k >= need) return true;
    if (senders(c, rs, false) < need) return false;
    for (uint32_t v = 0; v < c->n && k < need; v++) {
        if (message_of(c, rs, v, true)) continue;
        for (uint8_t type = CONS_PREVOTE; type <= CONS_PRECOMMIT; type++) {
            if (rs->votes[type - 1][v].state == CONS__VOTE_NONE) continue;
            if (cons__vote_settle(c, rs, type, v)) {
                k++;
                break;
            }
        }
    }
    WB_ASSERT(k == senders(c, rs, true));
    return k >= need;
}

struct cons__round *cons__round_current(struct cons *c)
{
    struct cons__round *rs = cons__round_find(c, c->round);
    if (!rs) rs = slot_alloc(c, c->round);
    /* The bounds leave a slot for the current round (see cons__rounds_trim). */
    WB_ASSERT(rs != NULL);
    return rs;
}

void cons__rounds_clear(struct cons *c)
{
    for (size_t i = 0; i < c->slot_count; i++) slot_free(c, &c->rounds[i]);
}

void cons__rounds_trim(struct cons *c)
{
    size_t past;
    struct cons__round *low = lowest_past(c, &past);
    while (past > CONS_PAST_ROUNDS) {
        slot_free(c, low);
        low = lowest_past(c, &past);
    }
}

/* Removes validator v's messages from a future slot; frees the slot if
 * nothing is left in it. */
static void slot_forget(struct cons *c, struct cons__round *rs, uint32_t v)
{
    memset(&rs->votes[0][v], 0, sizeof rs->votes[0][v]);
    memset(&rs->votes[1][v], 0, sizeof rs->votes[1][v]);
    if (rs->proposal.present && cons_proposer(c->n, c->height, rs->round) == v)
        memset(&rs->proposal, 0, sizeof rs->proposal);
    if (senders(c, rs, false) == 0) slot_free(c, rs);
}

struct cons__round *cons__round_for(struct cons *c, uint32_t round, uint32_t v)
{
    struct cons__round *rs = cons__round_find(c, round);
    if (round == c->round) return cons__round_current(c);
    if (round > c->round) {
        if (rs && has_message_of(c, rs, v)) return rs;
        /* Future rounds: keep each validator's highest ones. An honest
         * validator only moves up, so its latest rounds are the ones that
         * can make f+1 agree on a round to jump to. */
        size_t count = 0;
        struct cons__round *low = NULL;
        for (size_t i = 0; i < c->slot_count; i++) {
            struct cons__round *f = &c->rounds[i];
            if (!f->used || f->round <= c->round || !has_message_of(c, f, v)) continue;
            count++;
            if (!low || f->round < low->round) low = f;
        }
        if (count >= CONS_FUTURE_ROUNDS_PER_VALIDATOR) {
            if (round < low->round) return NULL;
            slot_forget(c, low, v);
            rs = cons__round_find(c, round);
        }
        return rs ? rs : slot_alloc(c, round);
    }
    if (rs) return rs;
    if (!pinned(c, round)) {
        size_t past;
        struct cons__round *low = lowest_past(c, &past);
        if (past >= CONS_PAST_ROUNDS) {
            if (round < low->round) return NULL;
            slot_free(c, low);
        }
    }
    return slot_alloc(c, round);
}
