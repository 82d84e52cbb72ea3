/* Private types and helpers shared by the files of consensus/ (and by its
 * unit tests). Nothing here is part of the driver's API. */
#ifndef CONSENSUS_INTERNAL_H
#define CONSENSUS_INTERNAL_H

#include "common/wb_error.h"
#include "consensus/cons.h"
#include "consensus/seam.h"

/* Rounds beyond this are refused as malformed: it keeps round + 1 and the
 * timeout arithmetic far from overflow. */
#define CONS_ROUND_LIMIT (1u << 30)
/* Timeouts are capped at one hour whatever the round. */
#define CONS_TIMEOUT_CAP_MS 3600000u

/* One validator's vote of one type in one round. */
enum cons__vote_state { CONS__VOTE_NONE = 0, CONS__VOTE_NIL = 1, CONS__VOTE_HASH = 2 };

struct cons__vslot {
    uint8_t state;                          /* enum cons__vote_state */
    uint8_t weight;                         /* 1; more only under the COUNT_DUPLICATES seam */
    /* Its signature was verified. An unchecked vote counts nowhere: it
     * waits until a count would reach a threshold with it (cons__reach). */
    bool checked;
    uint8_t hash[WB_HASH_LEN];
    uint8_t sig[WB_SIG_LEN];
    /* The first conflicting vote (the evidence), never counted with the
     * one above: it may only stand in for it in a proof-of-lock check. */
    uint8_t alt_state;                      /* CONS__VOTE_NONE: no conflict seen */
    uint8_t alt_hash[WB_HASH_LEN];
    uint8_t alt_sig[WB_SIG_LEN];
};

/* The proposal of one round: the first validly signed one from the round's
 * proposer. Its block bytes live in the block table, by hash. */
struct cons__prop {
    bool present;
    int32_t valid_round;
    uint8_t hash[WB_HASH_LEN];
    uint8_t sig[WB_SIG_LEN];
};

/* Everything kept for one round of the current height. */
struct cons__round {
    bool used;
    uint32_t round;
    struct cons__vslot *votes[2];           /* [type - 1], n entries each */
    struct cons__prop proposal;
    bool prevote_timer_armed;               /* "first time q prevotes" */
    bool precommit_timer_armed;             /* "first time q precommits" */
    bool polka_seen;                        /* "first time the proposal ... q prevotes" */
};

enum cons__validity {
    CONS__BLOCK_UNKNOWN = 0,
    CONS__BLOCK_PENDING = 1,
    CONS__BLOCK_VALID = 2,
    CONS__BLOCK_INVALID = 3,
};

/* Block bytes of the current height, by hash. */
struct cons__block {
    bool used;
    uint8_t validity;                       /* enum cons__validity */
    bool pinned;                            /* referenced by the update being built */
    bool stale;                             /* of an earlier height, kept while pinned */
    uint8_t hash[WB_HASH_LEN];
    uint8_t *bytes;
    size_t len;
};

/* A message for the next height, kept until this node gets there:
 * verified against the next height's set, or (checked false) held before
 * that set was known, with the sender's index, and verified when it is
 * known (valset.c) or at the latest when the height is entered. */
struct cons__held {
    bool used;
    bool checked;
    struct cons_msg msg;                    /* proposal.block points to `bytes` */
    uint8_t *bytes;
};

/* ---- cons.c: update assembly ------------------------------------------- */
void cons__emit_msg(struct cons *c, const struct cons_msg *m);
void cons__emit_timer(struct cons *c, uint8_t step, uint32_t delay_ms);
void cons__emit_evidence(struct cons *c, const struct cons_vote *a, const struct cons_vote *b);
void cons__emit_build(struct cons *c);
void cons__emit_validate(struct cons *c, struct cons__block *b);
void cons__emit_sync(struct cons *c);

/* ---- height.c: heights and rounds --------------------------------------- */
void cons__start_height(struct cons *c, uint64_t height);
/* The current height waits for its set (set_pending): starts it if the
 * driver knows the set now. */
void cons__height_resume_set(struct cons *c);
void cons__start_round(struct cons *c, uint32_t round);
void cons__decide(struct cons *c, struct cons__round *rs, struct cons__block *b);
/* Ends a wait for work (no-op when not waiting): round 0 starts. */
void cons__wake(struct cons *c, bool by_message);

/* ---- rounds.c: round slots and their bounds ------------------------------ */
struct cons__round *cons__round_find(struct cons *c, uint32_t round);
/* Slot for (round) to store a message of validator v in, allocating within
 * the bounds; NULL when the bounds refuse it. */
struct cons__round *cons__round_for(struct cons *c, uint32_t round, uint32_t v);
/* The slot of the current round (always exists once started). */
struct cons__round *cons__round_current(struct cons *c);
void cons__rounds_clear(struct cons *c);
/* Rounds kept beyond the window: the valid round, the locked round and the
 * valid round of the current round's proposal. */
#define CONS_PINNED_ROUNDS 3
/* Drops past slots beyond CONS_PAST_ROUNDS (after the round moved on). */
void cons__rounds_trim(struct cons *c);
/* Distinct validators with a message in rs: the proposal or a checked vote. */
size_t cons__round_senders(const struct cons *c, const struct cons__round *rs);
/* Whether `need` validators have a message in rs, checking unchecked votes
 * (as cons__reach does) when the checked ones fall short. */
WB_MUST_USE bool cons__round_senders_reach(struct cons *c, struct cons__round *rs, size_t need);

/* ---- votes.c: vote sets and quorums -------------------------------------- */
/* Tallies count checked votes only (signature verified). */
/* Weight of votes of `type` in rs for hash (NULL = nil). */
size_t cons__tally(const struct cons *c, const struct cons__round *rs, uint8_t type,
                   const uint8_t *hash);
/* Weight of votes of `type` in rs, any value. */
size_t cons__tally_any(const struct cons *c, const struct cons__round *rs, uint8_t type);
/* Validators with a vote of `type` for `hash` in rs, counting a
 * validator's conflicting second vote in place of its first (each validator
 * at most once): the proof-of-lock checks. */
size_t cons__tally_pol(const struct cons *c, const struct cons__round *rs, uint8_t type,
                       const uint8_t hash[WB_HASH_LEN]);
/* What a count matches: any value, one value (hash NULL = nil), or one
 * hash as the proof-of-lock count does (cons__tally_pol). */
enum cons__match { CONS__MATCH_ANY = 0, CONS__MATCH_VALUE = 1, CONS__MATCH_POL = 2 };
/* Whether `need` checked votes of `type` in rs match. When the checked ones
 * fall short but would reach `need` with the unchecked ones, checks those
 * (by validator index) until the count reaches it or none is left; a vote
 * whose signature fails leaves its slot empty (rejected_signature). The
 * one place a received vote of this height may be verified late. */
WB_MUST_USE bool cons__reach(struct cons *c, struct cons__round *rs, uint8_t type,
                             enum cons__match match, const uint8_t *hash, size_t need);
/* The count cons__reach could reach: checked and unchecked votes. */
size_t cons__tally_potential(const struct cons *c, const struct cons__round *rs, uint8_t type,
                             enum cons__match match, const uint8_t *hash);
/* Checks the unchecked vote of validator v (type) in rs now. Returns true
 * when it is checked (now or before); false when its signature failed and
 * its slot was emptied. */
WB_MUST_USE bool cons__vote_settle(struct cons *c, struct cons__round *rs, uint8_t type,
                                   uint32_t v);
/* The checked prevotes and precommits of rs for hash (first or
 * conflicting vote, one per validator and type) as messages: the proof of lock a proposer
 * sends along. Returns how many were written (at most cap). */
size_t cons__pol_messages(const struct cons *c, const struct cons__round *rs,
                          const uint8_t hash[WB_HASH_LEN], struct cons_msg *out, size_t cap);
/* A hash with at least q checked votes of `type` in rs (checking
 * unchecked ones as cons__reach does): copies it and returns true. */
WB_MUST_USE bool cons__quorum_hash(struct cons *c, struct cons__round *rs, uint8_t type,
                                   uint8_t hash[WB_HASH_LEN]);
/* Stores a vote in rs, checked (signature verified) or not; a conflicting
 * vote must be checked, and so must the one it conflicts with (evidence is
 * two validly signed votes). Returns 0 when stored, WB_ERR_DUPLICATE for
 * the same value, WB_ERR_EXISTS when it conflicts with the stored one
 * (evidence emitted once). */
WB_MUST_USE int cons__vote_store(struct cons *c, struct cons__round *rs, const struct cons_vote *v,
                                 bool checked);
/* v has the value of validator v's unchecked vote in rs but other
 * signature bytes: the two signatures are not known to agree. */
bool cons__vote_unsettled_copy(const struct cons *c, const struct cons__round *rs,
                               const struct cons_vote *v);
/* Replaces the unchecked vote v->validator holds in rs by v, whose
 * signature was just verified (same value, other signature bytes). */
void cons__vote_confirm(struct cons *c, struct cons__round *rs, const struct cons_vote *v);
/* Relation of v to what rs holds: 0 nothing stored, WB_ERR_DUPLICATE
 * the same value (first or conflicting one), WB_ERR_EXISTS different. */
WB_MUST_USE int cons__vote_compare(const struct cons *c, const struct cons__round *rs,
                       const struct cons_vote *v);
void cons__vote_from_slot(const struct cons *c, const struct cons__round *rs, uint8_t type,
                          uint32_t v, struct cons_vote *out);
/* Signature check of a vote against the validator set. 0 or WB_ERR_SIGNATURE. */
WB_MUST_USE int cons__vote_verify(struct cons *c, const struct cons_vote *v);
/* ... against one key. */
WB_MUST_USE int cons__vote_verify_key(struct cons *c, const struct cons_vote *v,
                                      const uint8_t key[WB_PUBKEY_LEN]);

/* ---- blocks.c: block bytes by hash --------------------------------------- */
struct cons__block *cons__block_find(struct cons *c, const uint8_t hash[WB_HASH_LEN]);
/* Keeps a copy of bytes under hash (no-op if held). NULL if the table is
 * full of blocks still referenced, or out of memory. */
struct cons__block *cons__block_put(struct cons *c, const uint8_t hash[WB_HASH_LEN],
                                    const uint8_t *bytes, size_t len);
void cons__block_drop(struct cons *c, struct cons__block *b);
/* Frees every block; with keep_pinned, blocks the update points to stay
 * (stale, invisible to lookups) until the next step. */
void cons__blocks_clear(struct cons *c, bool keep_pinned);
/* Asks the driver to validate b unless it is known or asked already. */
void cons__block_request(struct cons *c, struct cons__block *b);
void cons__on_block_ready(struct cons *c, const struct cons_event *ev);
void cons__on_block_validated(struct cons *c, const struct cons_event *ev);

/* ---- valset.c: validator sets per height ---------------------------------- */
/* Loads the set of `height` as the current one (cons_init). 0 or WB_ERR_NOT_FOUND. */
WB_MUST_USE int cons__set_init(struct cons *c, uint64_t height);
/* Makes the set of `height` current (the cached next set, or asked for),
 * with the own index and the sync-hint counts carried over by key. false
 * when it is not known: nothing changed but self (CONS_NOT_VALIDATOR). */
WB_MUST_USE bool cons__set_enter(struct cons *c, uint64_t height);
/* Whether the set of set_height + 1 is known, asking the driver when it
 * was not; when it becomes known, what was held unchecked is verified. */
WB_MUST_USE bool cons__next_set(struct cons *c);
/* Records that the holder of key (index hint in its set, if it is there)
 * signed at `height`, in the current and the next set: the sync hint when
 * f+1 of either set did so above the current height. */
void cons__note_signer(struct cons *c, const uint8_t key[WB_PUBKEY_LEN], uint32_t hint,
                       uint64_t height);

/* ---- held.c: next-height messages ---------------------------------------- */
/* Holds m (sender index < cap), checked or not. */
void cons__held_put(struct cons *c, const struct cons_msg *m, bool checked);
void cons__held_drop(struct cons__held *h);
/* An identical message is held already. */
bool cons__held_has(const struct cons *c, const struct cons_msg *m);
/* Feeds held messages of the current height to the receive handlers and
 * drops the rest. */
void cons__held_replay(struct cons *c);
void cons__held_clear(struct cons *c);

/* ---- recv_vote.c / recv_proposal.c ---------------------------------------- */
/* verified: the signature was checked already (a held message). */
void cons__recv_vote(struct cons *c, const struct cons_vote *v, bool verified);
void cons__recv_proposal(struct cons *c, const struct cons_proposal *p, bool verified);
/* A message (checked for its shape) of a height above the current one, or
 * of the current one while its set is pending. */
void cons__recv_later(struct cons *c, const struct cons_msg *m, bool verified);
/* Signature check of a proposal against the current set. 0 or WB_ERR_SIGNATURE. */
WB_MUST_USE int cons__proposal_verify(struct cons *c, const struct cons_proposal *p);
/* ... against one key. */
WB_MUST_USE int cons__proposal_verify_key(struct cons *c, const struct cons_proposal *p,
                                          const uint8_t key[WB_PUBKEY_LEN]);

/* ---- sign.c: the signing rule and the safety record ---------------------- */
/* The one place that signs. Returns 0 with sig, or WB_ERR_REFUSED. */
WB_MUST_USE int cons__sign(struct cons *c, uint8_t step, const uint8_t *msg, size_t len,
               uint8_t sig[WB_SIG_LEN]);
/* Signs and broadcasts own vote, counting it in our own vote set. */
void cons__send_vote(struct cons *c, uint8_t type, const uint8_t *hash);
/* Signs and broadcasts own proposal of block b for the current round. */
void cons__send_proposal(struct cons *c, struct cons__block *b, int32_t valid_round);
/* Restores round, step, locks and own message from a record for this height. */
void cons__resume(struct cons *c);

/* ---- safety.c: the record's contents ---------------------------------------- */
/* What a record says it signed last, read from its sign bytes. */
struct cons__signed {
    int32_t valid_round;                    /* a proposal's */
    bool nil;                               /* a vote's: for no block */
    uint8_t hash[WB_HASH_LEN];              /* unused for a nil vote */
};
/* Whether s's sign bytes are the message of its own (height, round, step)
 * on chain_id (a proposal at step propose, a vote of the step's type);
 * then *out holds what it signed. */
WB_MUST_USE bool cons__safety_signed(const struct cons_safety *s,
                                     const uint8_t chain_id[WB_CHAIN_ID_LEN],
                                     struct cons__signed *out);
/* Whether s is a record a core of cfg could have written, so that resuming
 * from it meets the invariants (cons_init refuses it otherwise). */
WB_MUST_USE bool cons__safety_restorable(const struct cons_safety *s,
                                         const uint8_t chain_id[WB_CHAIN_ID_LEN], size_t n,
                                         uint32_t self);

/* ---- invariants.c: asserted state invariants ------------------------------- */
/* Lexicographic order of (height, round, step): -1, 0 or 1. */
int cons__hrs_cmp(uint64_t h1, uint32_t r1, uint8_t s1, uint64_t h2, uint32_t r2, uint8_t s2);
/* Whether a signature at (h, round, step) is one that a precommit record
 * with reserve_height h covers: the proposal or prevote of round 0
 * (docs/consensus.md, "One flush per height"). */
static inline bool cons__reserved(uint64_t reserve_height, uint64_t h, uint32_t round,
                                  uint8_t step)
{
    return reserve_height != 0 && reserve_height == h && round == 0 &&
           step <= CONS_STEP_PREVOTE;
}
/* Asserts what holds between steps: the validator arithmetic, height, round
 * and step ranges, locked round <= valid round <= round, the record not
 * ahead of the state at this height, vote sets (one vote per validator and
 * type, the conflicting one beside it), distinct round slots with the
 * current one, one live block per hash. */
void cons__assert_invariants(const struct cons *c);
/* Asserts an update handed out: own messages at or below the record the
 * driver persists first, a decision with a quorum of precommits by
 * distinct validators for its block, lists within their bounds. */
void cons__assert_update(const struct cons *c, const struct cons_update *up);

/* ---- rules.c: the "upon" rules, run to a fixed point after every event --- */
void cons__progress(struct cons *c);

/* ---- timeout.c ------------------------------------------------------------ */
uint32_t cons__timeout_ms(const struct cons *c, uint8_t step, uint32_t round);
void cons__arm(struct cons *c, uint8_t step);
void cons__on_timeout(struct cons *c, const struct cons_event *ev);

#endif
