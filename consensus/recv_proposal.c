/* Receiving a proposal: checks (proposer of (h, r), valid_round, size,
 * height, round bounds, signature) into locals, then the round's proposal
 * and the block bytes by hash, and a validation request for new bytes. */
#include <string.h>

#include "common/wb_error.h"
#include "consensus/internal.h"

int cons__proposal_verify(struct cons *c, const struct cons_proposal *p)
{
    return cons__proposal_verify_key(c, p, c->keys[p->proposer]);
}

int cons__proposal_verify_key(struct cons *c, const struct cons_proposal *p,
                              const uint8_t key[WB_PUBKEY_LEN])
{
    c->stats.signatures_checked++;
    uint8_t msg[WB_SIGMSG_MAX];
    size_t len = wb_sigmsg_proposal(msg, c->cfg.chain_id, p->height, p->round,
                                    p->valid_round, p->hash);
    return wb_verify(msg, len, key, p->signature);
}

static bool same_proposal(const struct cons__prop *have, const struct cons_proposal *p)
{
    return have->valid_round == p->valid_round &&
           memcmp(have->hash, p->hash, WB_HASH_LEN) == 0 &&
           memcmp(have->sig, p->signature, WB_SIG_LEN) == 0;
}

/* Block bytes are kept by hash. Bytes that turned out not to hash to their
 * hash were dropped (CONS_BLOCK_BAD_HASH), so a later copy of the same
 * proposal may bring the right ones. */
static void keep_bytes(struct cons *c, const struct cons_proposal *p)
{
    struct cons__block *b = cons__block_find(c, p->hash);
    if (!b) b = cons__block_put(c, p->hash, p->block, p->block_len);
    if (b) cons__block_request(c, b);
}

/* DESIGN.md section 4: "Proposer of (h, r) = validator (h + r) mod n";
 * "Proposals and votes are signed and checked here (signature, validator
 * membership, height and round)"; "Messages for a later round of this
 * height, or for the next height, are kept (bounded per validator) rather
 * than dropped". A second, different proposal of one proposer for one
 * (h, r) is not evidence of the kind section 4 keeps; the first one stands. */
void cons__recv_proposal(struct cons *c, const struct cons_proposal *p, bool verified)
{
    if (p->proposer >= (p->height > c->height || c->set_pending ? c->cap : c->n)) {
        c->stats.rejected_non_validator++;
        return;
    }
    if (p->round >= CONS_ROUND_LIMIT || p->valid_round < -1 ||
        (int64_t)p->valid_round >= (int64_t)p->round || !p->block || p->block_len == 0 ||
        p->block_len > c->cfg.block_bytes_max) {
        c->stats.rejected_malformed++;
        return;
    }
    if (p->height < c->height) {
        c->stats.rejected_height++;
        return;
    }
    if (p->height > c->height || c->set_pending) {
        /* The proposer is checked against the set of its height there. */
        struct cons_msg m = {.kind = CONS_MSG_PROPOSAL, .proposal = *p};
        cons__recv_later(c, &m, verified);
        return;
    }
    if (p->proposer != cons_proposer(c->n, p->height, p->round)) {
        c->stats.rejected_malformed++;
        return;
    }
    struct cons__round *rs = cons__round_find(c, p->round);
    if (rs && rs->proposal.present) {
        if (same_proposal(&rs->proposal, p)) {
            c->stats.duplicates++;
            keep_bytes(c, p);
            return;
        }
        if (!verified && cons__proposal_verify(c, p) != WB_OK)
            c->stats.rejected_signature++;
        else
            c->stats.proposal_conflicts++;
        return;
    }
    if (!verified && cons__proposal_verify(c, p) != WB_OK) {
        c->stats.rejected_signature++;
        return;
    }
    rs = cons__round_for(c, p->round, p->proposer);
    if (!rs) {
        c->stats.rejected_round++;
        return;
    }
    rs->proposal.present = true;
    rs->proposal.valid_round = p->valid_round;
    memcpy(rs->proposal.hash, p->hash, WB_HASH_LEN);
    memcpy(rs->proposal.sig, p->signature, WB_SIG_LEN);
    keep_bytes(c, p);
}
