/* Governance (docs/governance.md): the member organisations, their client
 * keys, the validators and the chain parameters change by ledger events on
 * one chain of their own, the governance chain, whose item id is
 * WB_GOV_CHAIN. Its events link by prev like an item's; its first event has
 * no prev. The governance state is a function of the governance chain alone
 * (its events, each with the height and time of its block), so a verifier
 * holding the original genesis and the chain's events replays it exactly as
 * every node does. Pure: no I/O, no clock.
 *
 * Events (EventBody with item = WB_GOV_CHAIN, location empty, no to_org; the
 * arguments are attributes; keys are 64 lowercase hex digits, ids are event
 * ids in 64 lowercase hex digits, times RFC 3339 UTC):
 *
 *   key_add      key=K                       the submitter's organisation
 *                                            adds client key K (no vote)
 *   key_revoke   key=K reason=retired|compromised [since=TIME]
 *                                            the submitter's organisation
 *                                            revokes its key K (no vote);
 *                                            since: required for
 *                                            compromised, the time from
 *                                            which K is not to be trusted
 *   gov_propose  kind=KIND ... [note=TEXT]   a voting organisation proposes;
 *                                            the proposal's id is this
 *                                            event's id, and the proposer's
 *                                            organisation has approved it
 *     kind=add_member        org=NAME role=ROLE key1=K [key2=K ... key8=K]
 *     kind=remove_member     org=NAME
 *     kind=add_validator     name=NAME org=ORG key=K p2p=HOST:PORT [api=HOST:PORT]
 *     kind=remove_validator  name=NAME
 *     kind=set_param         param=P value=INTEGER, P one of heartbeat_ms,
 *                            clock_skew_ms, backdate_max_ms,
 *                            proposal_ttl_ms, block_events_max
 *   gov_approve  proposal=ID                 a voting organisation approves
 *   device_register device=K kind=KIND serial=S [seal=N]
 *                                            the submitter's organisation
 *                                            registers device key K (no
 *                                            vote); KIND as ledger/device.h;
 *                                            seal: the ISO 17712 number,
 *                                            required for an eseal and for
 *                                            no other kind
 *   device_retire device=K                   the organisation that
 *                                            registered K retires it (no
 *                                            vote); a retired device is
 *                                            never registered again
 *
 * A proposal executes in the block of the approval that brings its
 * approvals to the threshold: the smallest k with k * den >= num * voters,
 * voters being the member organisations of a voting role at that moment
 * (genesis "governance": {"voting_roles": [...], "threshold": "2/3",
 * "proposal_ttl_ms": N}; defaults: every role votes, 2/3, 7 days). Each
 * organisation counts once. A proposal whose block time is more than
 * proposal_ttl_ms past the proposal's block time is expired and can be
 * approved no more. Executing may still be refused (the approval then is)
 * when the change no longer fits: a key in use, the last validator, ...
 *
 * When changes take effect (docs/governance.md, docs/consensus.md):
 * members, keys and parameters changed by an event in block H govern the
 * events of blocks from H + 1 (the "view" below); validators changed in
 * block H sign from height H + 2. A key once used (client or validator,
 * active or revoked) is never used again.
 */
#ifndef LEDGER_GOV_H
#define LEDGER_GOV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "ledger/device.h"
#include "ledger/genesis.h"
#include "ledger/types.h"

/* The governance chain's item id. No item may be commissioned under it, and
 * governance actions are refused on every other item. */
#define WB_GOV_CHAIN "urn:waybill:governance"

/* Proposals pending at once, over all organisations. */
#define WB_GOV_PENDING_MAX 64
#define WB_GOV_NOTE_MAX WB_ATTR_VALUE_MAX

enum ledger_gov_kind {
    LEDGER_GOV_NONE = 0,
    LEDGER_GOV_ADD_MEMBER,
    LEDGER_GOV_REMOVE_MEMBER,
    LEDGER_GOV_ADD_VALIDATOR,
    LEDGER_GOV_REMOVE_VALIDATOR,
    LEDGER_GOV_SET_PARAM,
};

/* "add_member", ...; NULL for an unknown value. */
const char *ledger_gov_kind_name(enum ledger_gov_kind k);
enum ledger_gov_kind ledger_gov_kind_parse(const char *s);

enum ledger_gov_param {
    LEDGER_PARAM_NONE = 0,
    LEDGER_PARAM_HEARTBEAT_MS,
    LEDGER_PARAM_CLOCK_SKEW_MS,
    LEDGER_PARAM_BACKDATE_MAX_MS,
    LEDGER_PARAM_PROPOSAL_TTL_MS,
    LEDGER_PARAM_BLOCK_EVENTS_MAX,
};

const char *ledger_gov_param_name(enum ledger_gov_param p);
enum ledger_gov_param ledger_gov_param_parse(const char *s);

enum ledger_revoke_reason {
    LEDGER_REVOKE_NONE = 0,      /* not revoked */
    LEDGER_REVOKE_RETIRED,
    LEDGER_REVOKE_COMPROMISED,
};

/* "retired", "compromised"; NULL otherwise. */
const char *ledger_revoke_reason_name(enum ledger_revoke_reason r);


/* A governance action's arguments, as decoded from its attributes. */
struct ledger_gov_action {
    enum ledger_action action;   /* LEDGER_KEY_ADD .. LEDGER_GOV_APPROVE */
    /* key_add, key_revoke: the key */
    uint8_t key[WB_PUBKEY_LEN];
    enum ledger_revoke_reason reason;
    int64_t since_ms;            /* compromised: since when; else 0 */
    /* gov_propose */
    enum ledger_gov_kind kind;
    struct ledger_org member;            /* add_member (name, role, keys); remove_member (name) */
    struct ledger_validator validator;   /* add_validator (all); remove_validator (name) */
    enum ledger_gov_param param;
    int64_t value;
    char note[WB_GOV_NOTE_MAX + 1];
    /* gov_approve */
    uint8_t proposal[WB_HASH_LEN];
    /* device_register, device_retire: the device's key is in `key` */
    enum ledger_device_kind device_kind;
    char serial[WB_DEVICE_SERIAL_MAX + 1];
    char seal[WB_SEAL_NUMBER_MAX + 1];   /* eseal only, else "" */
};

/* Decodes the attributes of a governance event (ev->item == WB_GOV_CHAIN,
 * ev->action a governance action) into *a: every required attribute
 * present, no attribute the action does not take, each value well formed
 * (keys valid Ed25519 points, names as genesis requires, addresses as
 * common/addr.h, integers in range). Returns 0, or WB_ERR_INVALID with a
 * sentence naming the attribute in msg. Depends on nothing but the event. */
WB_MUST_USE int ledger_gov_action_decode(const struct ledger_event *ev,
                                         struct ledger_gov_action *a, char *msg, size_t msg_len);

/* Writes the attributes of *a (its action, and for a proposal its kind)
 * into ev->attrs/attr_count in the order decode documents; sets ev->item
 * to WB_GOV_CHAIN and ev->action. The CLI builds events with it. Returns 0
 * or WB_ERR_INVALID (a field that does not fit an attribute value, e.g. an
 * address over WB_ATTR_VALUE_MAX bytes). */
WB_MUST_USE int ledger_gov_action_encode(const struct ledger_gov_action *a,
                                         struct ledger_event *ev, char *msg, size_t msg_len);

enum ledger_gov_status {
    LEDGER_PROPOSAL_PENDING = 1,
    LEDGER_PROPOSAL_EXECUTED,
    LEDGER_PROPOSAL_EXPIRED,     /* known expired as of the state's last block time */
};

const char *ledger_gov_status_name(enum ledger_gov_status s);

struct ledger_gov_proposal {
    uint8_t id[WB_HASH_LEN];             /* the gov_propose event's id */
    struct ledger_gov_action action;     /* what it changes */
    char proposer[WB_ORG_MAX + 1];       /* organisation */
    uint64_t height;                     /* block of the proposal */
    int64_t time_ms;                     /* that block's time */
    size_t approval_count;
    char approvers[WB_ORGS_MAX][WB_ORG_MAX + 1]; /* organisations, in approval order */
    uint64_t approval_heights[WB_ORGS_MAX];
    enum ledger_gov_status status;
    uint64_t executed_height;            /* 0 unless executed */
};

/* Every key the chain ever knew (genesis keys included), for a verifier's
 * judgement of old signatures. */
struct ledger_gov_key {
    uint8_t pk[WB_PUBKEY_LEN];
    char org[WB_ORG_MAX + 1];
    bool validator;                      /* a validator's node key, not a client key */
    uint64_t added_height;               /* 0: in genesis */
    enum ledger_revoke_reason revoked;   /* NONE while active */
    uint64_t revoked_height;             /* block of the revocation (or removal) */
    int64_t revoked_time_ms;             /* that block's time */
    int64_t since_ms;                    /* compromised: untrusted from; else revoked_time_ms */
    bool org_removed;                    /* revoked because its organisation was removed */
};

/* A registered device (device_register). Never removed: a retired device
 * stays, so old reports are still judged by who registered it and when. */
struct ledger_gov_device {
    uint8_t pk[WB_PUBKEY_LEN];
    char owner[WB_ORG_MAX + 1];          /* the organisation that registered it */
    enum ledger_device_kind kind;
    char serial[WB_DEVICE_SERIAL_MAX + 1];
    char seal[WB_SEAL_NUMBER_MAX + 1];   /* eseal: its ISO 17712 number; else "" */
    uint8_t registered_event[WB_HASH_LEN]; /* id of the device_register event */
    uint64_t registered_height;          /* its block */
    int64_t registered_time_ms;          /* that block's time */
    bool retired;
    uint64_t retired_height;             /* block of the retirement (or of its owner's removal) */
    int64_t retired_time_ms;
};

/* One validator set and the first height it signs. */
struct ledger_gov_epoch {
    uint64_t from_height;
    size_t count;
    struct ledger_validator validators[WB_VALIDATORS_MAX];
};

/* A change the last applied event made, for the node's log and for
 * `waybill gov show`. */
struct ledger_gov_effect {
    bool executed;                       /* a proposal executed */
    uint8_t proposal[WB_HASH_LEN];
    bool validators_changed;             /* a new epoch from height + 2 */
};

/* The governance state after some block. Owned by whoever holds it; copy
 * with ledger_gov_clone. Fields are read-only outside gov.c. */
struct ledger_gov {
    struct ledger_gov_policy policy;
    /* The registry in effect for the next block's events: genesis with the
     * current members (active keys only), parameters and validators
     * (validators as of the registry: they sign from the epoch's height). */
    struct ledger_genesis view;
    uint64_t height;                     /* last block applied (0: genesis) */
    int64_t time_ms;                     /* its time */
    uint8_t head[WB_HASH_LEN];           /* last governance event id */
    uint32_t event_count;                /* governance events applied */
    struct ledger_gov_key *keys;         /* every key ever, in order of addition */
    size_t key_count, key_cap;
    struct ledger_gov_proposal *proposals; /* every proposal, in order */
    size_t proposal_count, proposal_cap;
    struct ledger_gov_epoch *epochs;     /* ascending from_height; [0] from 1 */
    size_t epoch_count, epoch_cap;
    char (*removed)[WB_ORG_MAX + 1];     /* organisations removed, never reused */
    size_t removed_count, removed_cap;
    struct ledger_gov_device *devices;   /* every device ever registered, in order */
    size_t device_count, device_cap;
};

/* Starts from genesis: its members, keys, validators, parameters and
 * policy (g->gov_policy). Returns 0 or WB_ERR_NOMEM. */
WB_MUST_USE int ledger_gov_init(struct ledger_gov *gv, const struct ledger_genesis *g);
void ledger_gov_free(struct ledger_gov *gv);
/* Deep copy into *dst (uninitialised). Returns 0 or WB_ERR_NOMEM. */
WB_MUST_USE int ledger_gov_clone(struct ledger_gov *dst, const struct ledger_gov *src);

/* Whether governance event ev (already past ledger_rules_check on the
 * governance chain: linked, in time, submitter a member key of the view)
 * may be applied at `height` in a block of time block_time_ms: the action
 * decodes, the submitter's organisation may take it, a proposal's change
 * is possible, an approval names a pending, unexpired proposal its
 * organisation has not approved, and an approval that executes it can be
 * executed. Returns 0 or WB_ERR_RULE with a reason a person can act on,
 * ending "(rule gov_NAME)". */
WB_MUST_USE int ledger_gov_check(const struct ledger_gov *gv, const struct ledger_event *ev,
                                 uint64_t height, int64_t block_time_ms, char *reason,
                                 size_t reason_len);

/* Applies an event that passed ledger_gov_check. Also records that block
 * `height` (time block_time_ms) was reached (see ledger_gov_advance).
 * Returns 0 or WB_ERR_NOMEM (gv unchanged then). effect may be NULL. */
WB_MUST_USE int ledger_gov_apply(struct ledger_gov *gv, const struct ledger_event *ev,
                                 uint64_t height, int64_t block_time_ms,
                                 struct ledger_gov_effect *effect);

/* Records that block `height` at block_time_ms was applied (with or
 * without governance events): height, time_ms, and the status of
 * proposals that expired by then. */
void ledger_gov_advance(struct ledger_gov *gv, uint64_t height, int64_t block_time_ms);

/* The validator set that signs `height` (>= 1): the epoch in effect there.
 * Every height has one once applied up to height - 2; for a height beyond
 * gv->height + 2 the answer may still change: returns false then, true
 * when the set is final. */
WB_MUST_USE bool ledger_gov_validators_at(const struct ledger_gov *gv, uint64_t height,
                                          const struct ledger_gov_epoch **epoch);

/* The record of key pk, or NULL when the chain never knew it. */
const struct ledger_gov_key *ledger_gov_key_find(const struct ledger_gov *gv,
                                                 const uint8_t pk[WB_PUBKEY_LEN]);

/* Why a submitter key may not sign an event in the next block, or 0 when
 * it may: WB_ERR_RULE with a reason ("key 3a4b... of 'acme' was revoked as
 * compromised at height 57 (not trusted since 2026-12-01T10:00:00Z)" or
 * "... its organisation 'acme' was removed at height 80"). A key the chain
 * never knew is left to the rules (0). */
WB_MUST_USE int ledger_gov_key_refusal(const struct ledger_gov *gv,
                                       const uint8_t pk[WB_PUBKEY_LEN], char *reason,
                                       size_t reason_len);

/* The device registered with key pk (retired or not), or NULL. A device
 * registered in block H is in the state after H: the rules of block H + 1
 * on see it. */
const struct ledger_gov_device *ledger_gov_device_find(const struct ledger_gov *gv,
                                                       const uint8_t pk[WB_PUBKEY_LEN]);

/* The proposal with this id, or NULL. */
const struct ledger_gov_proposal *ledger_gov_proposal_find(const struct ledger_gov *gv,
                                                           const uint8_t id[WB_HASH_LEN]);

/* Approvals a proposal needs now: the smallest k with k * den >= num *
 * voters (at least 1). */
size_t ledger_gov_threshold(const struct ledger_gov *gv);

#endif
