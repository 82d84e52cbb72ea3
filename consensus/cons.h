/* The consensus core: Tendermint-style BFT (DESIGN.md section 4) as a pure,
 * deterministic state machine with one step function. No I/O, no clock, no
 * randomness: time arrives in events, effects leave in an update.
 *
 * Driving the core
 * ----------------
 *   struct cons c;
 *   cons_init(&c, &cfg, next_height, restored_record_or_NULL);
 *   ev.kind = CONS_EV_START; cons_step(&c, &ev, &up); act on up;
 *   then for every proposal/vote received, timer fired, block built, block
 *   validated or block appended by block sync: cons_step(), act on up.
 *
 * Acting on an update: the driver MUST act in this order.
 *   1. persist   up.persist != NULL: write the safety record durably (fsync)
 *                BEFORE anything of this update is sent. If the write fails,
 *                send nothing and step this core no more (the node cannot
 *                sign safely): stop, or hold and later start a fresh core
 *                (cons_init) from the record that is on disk.
 *   2. send      broadcast up.msgs[0..msg_count) to every peer (in order).
 *                A proposal with a valid round is followed by the votes of
 *                that round that justify it (mostly signed by others: relay
 *                them as they are).
 *   3. timers    arm up.timers[]; when one fires, step CONS_EV_TIMEOUT with
 *                its (height, round, step). Stale timers are harmless: the
 *                core ignores a timeout that no longer matches its state, so
 *                the driver may keep every timer it was asked to arm.
 *   4. decision  up.decision != NULL: append the block and its certificate
 *                (cons_cert_encode) to storage, atomically. The core has
 *                already moved to the next height: if the append fails, step
 *                it no more (it would vote on a height whose state is not
 *                stored) until the block is stored, then start a fresh core
 *                at the stored height + 1 with the stored record.
 *   5. evidence  store up.evidence[] (cons_evidence_encode); expose it.
 *   6. requests  up.build: build a block for (height, round) and answer with
 *                CONS_EV_BLOCK_READY. up.validate[]: validate each block
 *                against the committed state (after step 4: a request may
 *                already be for the next height), check that the bytes hash
 *                to the given hash, and answer with CONS_EV_BLOCK_VALIDATED.
 *                up.sync_from != 0: f+1 validators signed messages for later
 *                heights, or q precommits name a block this node does not
 *                hold; fetch blocks from that height on (block sync), check
 *                each certificate, append, and step CONS_EV_SYNCED for each.
 *                The core often decides the height itself moments later, so a
 *                driver may wait a little before fetching; the hint comes
 *                again (at most once per sync_hint_interval_ms) while it
 *                holds and messages keep arriving.
 *                up.wait_for_work != 0 (only with cfg.wait_for_work): the
 *                core entered that height and waits, quiet, for something
 *                to commit; step CONS_EV_WORK for it once the mempool holds
 *                events or the heartbeat is due (at once if either is so
 *                already). See "Quiet when idle" below.
 *
 * Every pointer in an update (and from cons_own_messages) points into the
 * core and stays valid only until the next call of cons_step,
 * cons_own_messages or cons_free on the same core: copy what must live
 * longer (for instance block bytes handed to an asynchronous validator), and
 * finish acting on an update before stepping again.
 *
 * Re-delivery for liveness: the driver re-sends cons_own_messages() to a
 * peer that (re)connects and to everyone periodically while the height does
 * not change; and it answers a proposal or vote for a height it has already
 * committed with that block and its certificate (DESIGN.md section 4:
 * "messages for old heights are answered from storage"), rate-limited per
 * peer: a node that decided and moved on no longer re-sends the precommits
 * the others may be missing.
 *
 * Quiet when idle (cfg.wait_for_work): at round 0 of a height entered
 * fresh (not resumed from a safety record of that height) the core neither
 * asks for a block nor arms the propose timeout: it waits. The wait ends
 * with CONS_EV_WORK for this height (the driver's mempool holds events, or
 * the heartbeat is due: the last block's time plus the genesis heartbeat),
 * or with the first message of this height from any validator (a proposal
 * or vote: someone else had work); the round then starts as it always
 * does. Rounds above 0 never wait. docs/consensus.md gives the liveness
 * argument.
 *
 * Validator sets per height (cfg.valset; NULL: the fixed set of the
 * config for every height). A change executed in block H applies from
 * height H + 2, so the set of height h depends on the blocks <= h - 2 only.
 * The driver's callback answers the set of a height once it has committed
 * block height - 2 (WB_ERR_NOT_FOUND before). The core asks it for the
 * height it enters (always known if the driver keeps the order above; if
 * not, the height waits at step none, signing nothing, until it is) and for
 * the next height (known once the driver committed the block before the
 * current height: right after acting on the update that entered it). The
 * own index of each height is the place of the secret key's public key in
 * that height's set (CONS_NOT_VALIDATOR when absent: the core then signs
 * nothing but follows, decides and asks for sync). Votes, proposals,
 * quorums, proposers and the decision's certificate indices are those of
 * the set of the height they concern. Messages of the next height are held
 * unchecked while its set is unknown and verified once it is known; a
 * message of a later height that no known set verifies is a sync hint of
 * its own (rate-limited; block sync checks certificates). docs/consensus.md,
 * "Validator-set changes".
 *
 * Signing: the core signs with the configured secret key only through one
 * function (sign.c) that applies the rule of DESIGN.md section 4 against the
 * safety record: below the record's (height, round, step) it refuses; at the
 * record's (height, round, step) it re-sends the stored signature only when
 * the sign bytes are identical, and refuses otherwise.
 *
 * Errors: functions return 0 or a negative enum wb_err (common/wb_error.h).
 * Bad input from peers is never an error of cons_step: it is rejected and
 * counted in cons_stats. */
#ifndef CONSENSUS_CONS_H
#define CONSENSUS_CONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/sigbytes.h"
#include "common/wb_error.h"
#include "proto/waybill.pb-c.h"
#ifdef CONS_SEAMS
#include "consensus/seam.h"
#endif

#define CONS_VALIDATORS_MAX 64
#define CONS_NOT_VALIDATOR UINT32_MAX
/* Rounds below the current one whose votes are kept (besides current and future). */
#define CONS_PAST_ROUNDS 4
/* Distinct future rounds of this height one validator may occupy. */
#define CONS_FUTURE_ROUNDS_PER_VALIDATOR 2
/* Next-height messages kept per validator until this node gets there. */
#define CONS_NEXT_PER_VALIDATOR 6
/* Upper bounds of the lists in one update. */
#define CONS_UPDATE_MSGS_MAX (16 + CONS_VALIDATORS_MAX)
#define CONS_UPDATE_TIMERS_MAX 8
#define CONS_UPDATE_EVIDENCE_MAX 16
/* Encoded SafetyRecord is at most this long. */
#define CONS_SAFETY_MAX 512

/* Values equal SafetyRecord.step. */
enum cons_step {
    CONS_STEP_NONE = 0,
    CONS_STEP_PROPOSE = 1,
    CONS_STEP_PREVOTE = 2,
    CONS_STEP_PRECOMMIT = 3,
};

/* Values equal the proto enum waybill.VoteType. */
enum cons_vote_type {
    CONS_PREVOTE = 1,
    CONS_PRECOMMIT = 2,
};

/* One height's validator set: n keys (1..CONS_VALIDATORS_MAX, distinct),
 * index i = validator i of that height. */
struct cons_valset {
    size_t n;
    const uint8_t (*keys)[WB_PUBKEY_LEN];
};

/* The set of `height`: 0 and *out (keys valid during the call only: the
 * core copies them), or WB_ERR_NOT_FOUND when the driver does not know it
 * yet (its committed chain is below height - 2). See "Validator sets per
 * height" at the top. Called from cons_init and cons_step only. */
typedef int (*cons_valset_fn)(void *ctx, uint64_t height, struct cons_valset *out);

struct cons_config {
    uint8_t chain_id[WB_CHAIN_ID_LEN];
    /* The fixed set, used when valset is NULL (ignored otherwise). */
    size_t validator_count;                 /* n, 1..CONS_VALIDATORS_MAX */
    const uint8_t (*validator_keys)[WB_PUBKEY_LEN]; /* n keys; copied by cons_init */
    uint32_t self;                          /* own index, or CONS_NOT_VALIDATOR */
    /* The set per height (NULL: the fixed set above for every height). The
     * own index of each height is found by the public key of secret_key. */
    cons_valset_fn valset;
    void *valset_ctx;
    size_t valset_max;                      /* with valset: the largest set it may
                                               answer, sizes the tables
                                               (0 = CONS_VALIDATORS_MAX) */
    uint8_t secret_key[WB_SECKEY_LEN];      /* own Ed25519 key (libsodium layout);
                                               copied, wiped by cons_free */
    /* Timeout of round r = base + r * increment. */
    uint32_t timeout_propose_ms, timeout_propose_delta_ms;
    uint32_t timeout_prevote_ms, timeout_prevote_delta_ms;
    uint32_t timeout_precommit_ms, timeout_precommit_delta_ms;
    size_t block_bytes_max;                 /* proposals with larger blocks are rejected */
    uint32_t sync_hint_interval_ms;         /* minimum gap between sync hints;
                                               0 = timeout_propose_ms */
    bool wait_for_work;                     /* quiet when idle (see the top) */
};

/* The durable safety record (proto SafetyRecord). height 0 = nothing signed. */
struct cons_safety {
    uint64_t height;
    uint32_t round;
    uint8_t step;                           /* enum cons_step of the last signature */
    int32_t locked_round;                   /* -1 = none */
    uint8_t locked_hash[WB_HASH_LEN];
    int32_t valid_round;                    /* -1 = none */
    uint8_t valid_hash[WB_HASH_LEN];
    size_t signed_len;
    uint8_t signed_msg[WB_SIGMSG_MAX];      /* exact sign bytes of the last signature */
    uint8_t signature[WB_SIG_LEN];
    /* Set to h + 1 by every precommit at height h (0: none). Once a record
     * with reserve_height R is durable, the proposal and prevote of (R,
     * round 0) are signed without persisting a record of their own; a core
     * restored from a record with reserve_height R refuses to sign them,
     * since it cannot know what it signed there before the restart. */
    uint64_t reserve_height;
};

struct cons_vote {
    uint8_t type;                           /* enum cons_vote_type */
    uint64_t height;
    uint32_t round;
    bool nil;                               /* no block: hash unused */
    uint8_t hash[WB_HASH_LEN];
    uint32_t validator;
    uint8_t signature[WB_SIG_LEN];
};

struct cons_proposal {
    uint64_t height;
    uint32_t round;
    int32_t valid_round;                    /* -1 = none */
    uint32_t proposer;
    uint8_t hash[WB_HASH_LEN];
    const uint8_t *block;                   /* encoded Block; owner documented at use */
    size_t block_len;
    uint8_t signature[WB_SIG_LEN];
};

enum cons_msg_kind { CONS_MSG_PROPOSAL = 1, CONS_MSG_VOTE = 2 };

struct cons_msg {
    enum cons_msg_kind kind;
    union {
        struct cons_proposal proposal;
        struct cons_vote vote;
    };
};

/* Result of validating a block. BAD_HASH: the bytes do not hash to the
 * hash they were proposed under (the hash itself may still be valid, so the
 * core forgets those bytes rather than the hash). */
enum cons_validity {
    CONS_BLOCK_VALID = 1,
    CONS_BLOCK_INVALID = 2,
    CONS_BLOCK_BAD_HASH = 3,
};

enum cons_event_kind {
    CONS_EV_START = 1,        /* once, after cons_init */
    CONS_EV_PROPOSAL,         /* a decoded proposal from the network */
    CONS_EV_VOTE,             /* a decoded vote from the network */
    CONS_EV_TIMEOUT,          /* a timer from an update fired */
    CONS_EV_BLOCK_READY,      /* the block asked for by up.build */
    CONS_EV_BLOCK_VALIDATED,  /* the answer to one up.validate[] request */
    CONS_EV_SYNCED,           /* the driver appended `height` from block sync */
    CONS_EV_WORK,             /* work to commit at `height` (up.wait_for_work) */
};

/* One input. Pointers (proposal.block, block_ready.block) are read during
 * cons_step only; the core copies what it keeps. */
struct cons_event {
    enum cons_event_kind kind;
    int64_t now_ms;                         /* the driver's clock */
    union {
        struct cons_proposal proposal;
        struct cons_vote vote;
        struct {
            uint64_t height;
            uint32_t round;
            uint8_t step;                   /* enum cons_step it was armed for */
        } timeout;
        struct {
            uint64_t height;
            uint32_t round;
            uint8_t hash[WB_HASH_LEN];
            const uint8_t *block;
            size_t block_len;
        } block_ready;
        struct {
            uint64_t height;
            uint8_t hash[WB_HASH_LEN];
            enum cons_validity result;
        } validated;
        struct {
            uint64_t height;
        } synced;
        struct {
            uint64_t height;
        } work;
    };
};

struct cons_timer {
    uint64_t height;
    uint32_t round;
    uint8_t step;                           /* enum cons_step */
    uint32_t delay_ms;
};

struct cons_build_request {
    uint64_t height;
    uint32_t round;
};

struct cons_validate_request {
    uint64_t height;
    uint8_t hash[WB_HASH_LEN];
    const uint8_t *block;                   /* in the core: see lifetime above */
    size_t block_len;
};

/* A decided block and its certificate: at least q precommits of `round`
 * for `hash` from distinct validators, sorted by validator index (indices
 * and q of the set of `height`). */
struct cons_decision {
    uint64_t height;
    uint32_t round;
    uint8_t hash[WB_HASH_LEN];
    const uint8_t *block;
    size_t block_len;
    size_t precommit_count;
    const struct cons_vote *precommits;
};

/* Two validly signed votes of one validator for one (height, round, type)
 * with different values. */
struct cons_evidence {
    struct cons_vote a, b;
};

/* What the driver must do, in the order documented at the top. */
struct cons_update {
    const struct cons_safety *persist;      /* NULL: record unchanged */
    const struct cons_msg *msgs;
    size_t msg_count;
    const struct cons_timer *timers;
    size_t timer_count;
    const struct cons_decision *decision;   /* NULL: nothing decided */
    const struct cons_evidence *evidence;
    size_t evidence_count;
    const struct cons_build_request *build; /* NULL: nothing to build */
    const struct cons_validate_request *validate;
    size_t validate_count;
    uint64_t sync_from;                     /* 0: no hint */
    uint64_t wait_for_work;                 /* 0, or the height waiting for work */
};

/* Counters for metrics. Rejected messages are dropped without effect. */
struct cons_stats {
    uint64_t rejected_signature;    /* bad signature, including one made for another chain */
    uint64_t rejected_non_validator;/* validator index out of the set */
    uint64_t rejected_height;       /* height already decided, or beyond the next */
    uint64_t rejected_round;        /* round outside the kept window / over the bound */
    uint64_t rejected_malformed;    /* wrong proposer, bad valid_round or type, too large */
    uint64_t duplicates;            /* identical message received again */
    uint64_t equivocations;         /* evidence found (conflicting votes) */
    uint64_t proposal_conflicts;    /* a second, different proposal for one (h, r) */
    uint64_t next_height_dropped;   /* next-height message over the per-validator bound */
    uint64_t sign_refused;          /* refusals by the signing rule */
    uint64_t rounds_started;
    uint64_t decisions;
    uint64_t idle_waits;            /* heights that began waiting for work */
    uint64_t woken_by_work;         /* ... whose wait CONS_EV_WORK ended */
    uint64_t woken_by_message;      /* ... whose wait a message ended */
    uint64_t signatures_checked;    /* Ed25519 verifications of votes and proposals */
    uint64_t held_unverified;       /* next-height messages held before its set was known */
    uint64_t valset_unknown;        /* lookups of a set the driver did not know (yet) */
    uint64_t valset_refused;        /* sets refused: size out of range, a key twice */
    uint64_t ahead_unverified;      /* later-height messages no known set verifies */
};

struct cons__round;
struct cons__block;
struct cons__held;

/* The core. A value: embed or allocate it; cons_init fills it, cons_free
 * releases what it holds. Fields are private to consensus/. */
struct cons {
    struct cons_config cfg;
    /* The set of the current height (set_height) and the own index in it. */
    uint8_t keys[CONS_VALIDATORS_MAX][WB_PUBKEY_LEN];
    size_t n, quorum, faulty;
    uint32_t self;
    uint64_t set_height;
    /* The set of set_height + 1 once the driver knows it (next_known). */
    uint8_t next_keys[CONS_VALIDATORS_MAX][WB_PUBKEY_LEN];
    size_t next_n;
    bool next_known;
    /* The current height's set was not known when the core entered it: the
     * height starts once it is (a driver that broke the commit order). */
    bool set_pending;
    size_t cap;                             /* validators the tables hold */
    /* The set height and own index before the last height change (own
     * messages of that height may still be in the update). */
    uint64_t prev_set_height;
    uint32_t prev_self;
    uint8_t own_key[WB_PUBKEY_LEN];
    bool started;
    int64_t now_ms;

    uint64_t height;
    uint32_t round;
    uint8_t step;
    int32_t locked_round;
    uint8_t locked_hash[WB_HASH_LEN];
    int32_t valid_round;
    uint8_t valid_hash[WB_HASH_LEN];

    struct cons_safety safety;              /* last record handed out (or restored) */
    bool safety_dirty;                      /* to hand out with this update */
    /* The round-0 proposal and prevote of this height are covered by a
     * durable record of this run (safety.reserve_height, handed out): they
     * are signed without a record of their own. 0: none. */
    uint64_t covered_height;
    /* ... of this height may have been signed before the restart under the
     * restored record's reserve_height: never signed again. 0: none. */
    uint64_t blocked_height;

    struct cons__round *rounds;             /* slot_count slots */
    size_t slot_count;
    struct cons__block *blocks;             /* block_cap entries */
    size_t block_cap;
    struct cons__held *held;                /* cap * CONS_NEXT_PER_VALIDATOR */
    size_t held_unchecked;                  /* held before the next set was known */
    /* Highest height seen signed per validator of the current set, and of
     * the next set (when known). */
    uint64_t ahead[CONS_VALIDATORS_MAX];
    uint64_t ahead_next[CONS_VALIDATORS_MAX];
    int64_t last_sync_hint_ms;
    bool sync_hinted;

    bool proposed;                          /* own proposal for (height, round) made */
    bool build_pending;
    bool waiting;                           /* round 0 waits for work (quiet when idle) */

    /* the update being built */
    struct cons_msg out_msgs[CONS_UPDATE_MSGS_MAX];
    size_t out_msg_count;
    struct cons_timer out_timers[CONS_UPDATE_TIMERS_MAX];
    size_t out_timer_count;
    struct cons_evidence out_evidence[CONS_UPDATE_EVIDENCE_MAX];
    size_t out_evidence_count;
    struct cons_build_request out_build;
    bool out_build_set;
    struct cons_validate_request *out_validate; /* block_cap entries */
    size_t out_validate_count;
    struct cons_decision out_decision;
    bool out_decided;
    uint8_t *decided_block;                 /* owned bytes of out_decision */
    struct cons_vote *decided_votes;        /* cap entries */
    size_t decided_n, decided_quorum;       /* the decided height's set */
    uint64_t out_sync_from;
    uint64_t out_wait_for_work;
    struct cons_safety out_safety;

    struct cons_msg *own;                   /* cons_own_messages buffer */
    size_t own_cap;

    struct cons_stats stats;
#ifdef CONS_SEAMS
    struct cons_seams seams;                /* test seams: the seams build only */
#endif
};

/* Proposer of (height, round) = (height + round) mod n. */
uint32_t cons_proposer(size_t n, uint64_t height, uint32_t round);

/* Initialises c to run heights from next_height (>= 1: the first height not
 * yet in storage). restored: the safety record read back from storage, or
 * NULL on a fresh node; when it is for next_height, the node resumes at its
 * round, step and locks and never signs below it. Returns 0, WB_ERR_CONFIG
 * (bad n, self, timeouts or keys, or a restored record this core could not
 * have written: a step other than a signature's at a height above 0, a round
 * at or above the bound, a lock above its round, a reservation beyond the
 * next height, step propose from a validator that does not propose that
 * round or with a valid round outside [-1, round); consensus/safety.c; with
 * cfg.valset the proposer is checked for a record of next_height only, in
 * that height's set), WB_ERR_NOT_FOUND (cfg.valset does not know the set of
 * next_height) or WB_ERR_NOMEM. On error c needs no cons_free. */
WB_MUST_USE int cons_init(struct cons *c, const struct cons_config *cfg, uint64_t next_height,
              const struct cons_safety *restored);

/* Releases what c holds and wipes the secret key. */
void cons_free(struct cons *c);

/* Feeds one event and fills *up (see the top of this file). Returns 0, or
 * WB_ERR_INVALID for a misuse by the driver (an event before START, START
 * twice, an unknown kind); bad network input is never an error. */
WB_MUST_USE int cons_step(struct cons *c, const struct cons_event *ev, struct cons_update *up);

/* What to re-send, for liveness: this node's signed messages at the current
 * height (proposals and votes of every round still kept); with a proposal of
 * its own that carries a valid round, the votes of that round for the block
 * (the proof of lock its receivers need); and the proposal and votes of the
 * current round signed by others (gossip: Tendermint's liveness needs what
 * one honest node received to reach all). Messages signed by others are
 * relayed as they are, and only validly signed ones: a vote the core kept
 * unchecked is checked here first (and dropped if forged). Pointers as for
 * an update. */
void cons_own_messages(struct cons *c, const struct cons_msg **msgs, size_t *count);

uint64_t cons_height(const struct cons *c);
uint32_t cons_round(const struct cons *c);
enum cons_step cons_current_step(const struct cons *c);
/* True while round 0 of the current height waits for work (see the top). */
bool cons_waiting(const struct cons *c);
const struct cons_stats *cons_get_stats(const struct cons *c);
/* The current safety record (what was last handed to persist). */
const struct cons_safety *cons_safety_record(const struct cons *c);

/* ---- conversions (msg.c) ----------------------------------------------- */

/* Protobuf -> struct. Checks field sizes (hash 0 or 32 bytes, signature 64,
 * type 1 or 2, valid_round >= -1). The proposal's block points into pb
 * (valid while pb is). Returns 0 or WB_ERR_DECODE. */
WB_MUST_USE int cons_vote_from_pb(const Waybill__Vote *pb, struct cons_vote *v);
WB_MUST_USE int cons_proposal_from_pb(const Waybill__Proposal *pb, struct cons_proposal *p);

/* Struct -> protobuf. pb is initialised here; its byte fields point into
 * the struct (and the proposal's block), valid while those are. */
void cons_vote_to_pb(const struct cons_vote *v, Waybill__Vote *pb);
void cons_proposal_to_pb(const struct cons_proposal *p, Waybill__Proposal *pb);

/* A message as encoded PeerMessage bytes (malloc'd, caller frees *out).
 * Returns 0 or WB_ERR_NOMEM. */
WB_MUST_USE int cons_msg_encode(const struct cons_msg *m, uint8_t **out, size_t *len);

/* Decision -> encoded CommitCert (malloc'd, caller frees). 0 or WB_ERR_NOMEM. */
WB_MUST_USE int cons_cert_encode(const struct cons_decision *d, uint8_t **out, size_t *len);
/* Evidence -> encoded Evidence (malloc'd, caller frees). 0 or WB_ERR_NOMEM. */
WB_MUST_USE int cons_evidence_encode(const struct cons_evidence *e, uint8_t **out, size_t *len);

/* Safety record <-> encoded SafetyRecord. encode writes at most
 * CONS_SAFETY_MAX bytes (0 or WB_ERR_TOO_LARGE); decode returns 0 or
 * WB_ERR_DECODE (also for wrong field sizes or a step out of range). */
WB_MUST_USE int cons_safety_encode(const struct cons_safety *s, uint8_t *out, size_t cap, size_t *len);
WB_MUST_USE int cons_safety_decode(const uint8_t *buf, size_t len, struct cons_safety *s);

#endif
