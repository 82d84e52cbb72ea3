/* Validator sets per height: fetching a height's set from the driver (or
 * the fixed set), entering the set of a new height, the next height's set
 * once it is known, and who is seen signing at later heights (the sync
 * hint), counted against the set each signer belongs to. */
#include <string.h>

#include "common/quorum.h"
#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "consensus/internal.h"

/* The set of `height` into n/keys. 0, or WB_ERR_NOT_FOUND (unknown, or a
 * set this core cannot use: counted in valset_refused). */
static int fetch(struct cons *c, uint64_t height, size_t *n,
                 uint8_t keys[CONS_VALIDATORS_MAX][WB_PUBKEY_LEN])
{
    if (!c->cfg.valset) {
        /* Fixed set: the one copied at init for every height. */
        *n = c->n;
        if (keys != c->keys) memcpy(keys, c->keys, c->n * WB_PUBKEY_LEN);
        return WB_OK;
    }
    struct cons_valset vs = {0};
    int rc = c->cfg.valset(c->cfg.valset_ctx, height, &vs);
    if (rc != WB_OK) {
        c->stats.valset_unknown++;
        return WB_ERR_NOT_FOUND;
    }
    if (vs.n == 0 || vs.n > c->cap || !vs.keys) {
        c->stats.valset_refused++;
        return WB_ERR_NOT_FOUND;
    }
    /* A key listed twice would let one signer count twice. */
    for (size_t i = 0; i < vs.n; i++)
        for (size_t j = i + 1; j < vs.n; j++)
            if (memcmp(vs.keys[i], vs.keys[j], WB_PUBKEY_LEN) == 0) {
                c->stats.valset_refused++;
                return WB_ERR_NOT_FOUND;
            }
    *n = vs.n;
    memcpy(keys, vs.keys, vs.n * WB_PUBKEY_LEN);
    return WB_OK;
}

static uint32_t index_of(const uint8_t (*keys)[WB_PUBKEY_LEN], size_t n,
                         const uint8_t key[WB_PUBKEY_LEN], uint32_t hint)
{
    if (hint < n && memcmp(keys[hint], key, WB_PUBKEY_LEN) == 0) return hint;
    for (size_t i = 0; i < n; i++)
        if (memcmp(keys[i], key, WB_PUBKEY_LEN) == 0) return (uint32_t)i;
    return CONS_NOT_VALIDATOR;
}

int cons__set_init(struct cons *c, uint64_t height)
{
    size_t n;
    int rc = fetch(c, height, &n, c->keys);
    if (rc) return rc;
    c->n = n;
    c->quorum = wb_quorum(n);
    c->faulty = wb_faulty(n);
    c->set_height = height;
    if (c->cfg.valset) c->self = index_of(c->keys, c->n, c->own_key, 0);
    c->next_known = false;
    return WB_OK;
}

bool cons__set_enter(struct cons *c, uint64_t height)
{
    if (!c->cfg.valset) {
        c->set_height = height;
        return true;
    }
    uint8_t old_keys[CONS_VALIDATORS_MAX][WB_PUBKEY_LEN];
    uint64_t old_ahead[CONS_VALIDATORS_MAX], old_ahead_next[CONS_VALIDATORS_MAX];
    size_t old_n = c->n, old_next_n = c->next_known ? c->next_n : 0;
    memcpy(old_keys, c->keys, sizeof old_keys);
    memcpy(old_ahead, c->ahead, sizeof old_ahead);
    memcpy(old_ahead_next, c->ahead_next, sizeof old_ahead_next);
    bool have = false;
    if (c->next_known && c->set_height + 1 == height) {
        memcpy(c->keys, c->next_keys, c->next_n * WB_PUBKEY_LEN);
        c->n = c->next_n;
        have = true;
    } else {
        size_t n;
        if (fetch(c, height, &n, c->keys) == WB_OK) {
            c->n = n;
            have = true;
        } else {
            /* c->keys may be partly overwritten: restore the old set so the
             * state stays consistent while the height waits for its set. */
            memcpy(c->keys, old_keys, sizeof old_keys);
        }
    }
    if (!have) {
        c->self = CONS_NOT_VALIDATOR;
        return false;
    }
    c->quorum = wb_quorum(c->n);
    c->faulty = wb_faulty(c->n);
    c->set_height = height;
    c->self = index_of(c->keys, c->n, c->own_key, 0);
    /* The seam's bug: the new size and own index, but the old keys to
     * check signatures with. */
    if (CONS_SEAM(c, OLD_SET_KEYS)) memcpy(c->keys, old_keys, sizeof old_keys);
    /* Who was seen ahead, carried over by key from the old sets. */
    for (size_t i = 0; i < c->n; i++) {
        uint64_t h = 0;
        uint32_t j = index_of(old_keys, old_n, c->keys[i], (uint32_t)i);
        if (j != CONS_NOT_VALIDATOR && old_ahead[j] > h) h = old_ahead[j];
        j = index_of(c->next_keys, old_next_n, c->keys[i], (uint32_t)i);
        if (j != CONS_NOT_VALIDATOR && old_ahead_next[j] > h) h = old_ahead_next[j];
        c->ahead[i] = h;
    }
    for (size_t i = c->n; i < CONS_VALIDATORS_MAX; i++) c->ahead[i] = 0;
    c->next_known = false;
    memset(c->ahead_next, 0, sizeof c->ahead_next);
    return true;
}

/* Verifies what was held before the next set was known, now that it is:
 * a forged message (or one of an index out of the set) is dropped, a good
 * one counts for the sync hint. */
static void settle_held(struct cons *c)
{
    size_t total = c->cap * CONS_NEXT_PER_VALIDATOR;
    for (size_t i = 0; i < total && c->held_unchecked > 0; i++) {
        struct cons__held *h = &c->held[i];
        if (!h->used || h->checked) continue;
        c->held_unchecked--;
        const struct cons_msg *m = &h->msg;
        uint32_t v = m->kind == CONS_MSG_VOTE ? m->vote.validator : m->proposal.proposer;
        bool ok = v < c->next_n;
        if (ok && m->kind == CONS_MSG_PROPOSAL)
            ok = v == cons_proposer(c->next_n, m->proposal.height, m->proposal.round) &&
                 cons__proposal_verify_key(c, &m->proposal, c->next_keys[v]) == WB_OK;
        else if (ok)
            ok = cons__vote_verify_key(c, &m->vote, c->next_keys[v]) == WB_OK;
        if (!ok) {
            if (v < c->next_n)
                c->stats.rejected_signature++;
            else
                c->stats.rejected_non_validator++;
            cons__held_drop(h);
            continue;
        }
        h->checked = true;
        uint64_t height = m->kind == CONS_MSG_VOTE ? m->vote.height : m->proposal.height;
        cons__note_signer(c, c->next_keys[v], v, height);
    }
}

bool cons__next_set(struct cons *c)
{
    if (c->next_known) return true;
    if (c->set_pending) return false;
    if (!c->cfg.valset) {
        memcpy(c->next_keys, c->keys, c->n * WB_PUBKEY_LEN);
        c->next_n = c->n;
        c->next_known = true;
        return true;
    }
    size_t n;
    if (fetch(c, c->set_height + 1, &n, c->next_keys) != WB_OK) return false;
    c->next_n = n;
    c->next_known = true;
    memset(c->ahead_next, 0, sizeof c->ahead_next);
    /* Members of both sets were noted in ahead[] already. */
    for (size_t i = 0; i < n; i++) {
        uint32_t j = index_of(c->keys, c->n, c->next_keys[i], (uint32_t)i);
        if (j != CONS_NOT_VALIDATOR) c->ahead_next[i] = c->ahead[j];
    }
    settle_held(c);
    return true;
}

/* Count of a set's validators seen at a height above the current one. */
static size_t count_ahead(const uint64_t *ahead, size_t n, uint64_t height)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (ahead[i] > height) k++;
    return k;
}

void cons__note_signer(struct cons *c, const uint8_t key[WB_PUBKEY_LEN], uint32_t hint,
                       uint64_t height)
{
    uint32_t i = index_of(c->keys, c->n, key, hint);
    if (i != CONS_NOT_VALIDATOR && height > c->ahead[i]) c->ahead[i] = height;
    if (c->next_known) {
        uint32_t j = index_of(c->next_keys, c->next_n, key, hint);
        if (j != CONS_NOT_VALIDATOR && height > c->ahead_next[j]) c->ahead_next[j] = height;
    }
    /* f+1 validators of one set signed at a later height: at least one
     * honest node is past this height, so it was decided and its block
     * and certificate can be fetched. Each set is counted against its own
     * f (an honest member of either set moves on only past a decision). */
    bool hint_cur = count_ahead(c->ahead, c->n, c->height) >= c->faulty + 1;
    bool hint_next = c->next_known && count_ahead(c->ahead_next, c->next_n, c->height) >=
                                          wb_faulty(c->next_n) + 1;
    if (hint_cur || hint_next) cons__emit_sync(c);
}
