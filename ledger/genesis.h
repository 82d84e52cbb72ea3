/* Genesis: the chain id, the member organisations with their roles and
 * client keys, and the validator set. Parsed from JSON bytes (no I/O here).
 *
 * Format (all keys required unless noted):
 * {
 *   "chain_id": "waybill-demo",              1..64 chars [A-Za-z0-9._-]
 *   "genesis_time": "2026-11-22T00:00:00Z",  RFC 3339, UTC
 *   "members": [ { "org": "acme", "role": "shipper", "keys": ["<64 hex>", ...] } ],
 *   "validators": [ { "name": "node0", "org": "acme", "key": "<64 hex>",
 *                     "p2p": "127.0.0.1:7000",
 *                     "api": "127.0.0.1:7100" } ],      api optional
 *   "clock_skew_ms": 600000,                 optional, default 10 minutes
 *   "backdate_max_ms": 2592000000,           optional, default 30 days
 *   "heartbeat_ms": 60000,                   optional, default 1 minute
 *   "header_version": 2,                     optional, 1 or 2, default 1
 *   "block_events_max": 2000,                optional, a chain-wide cap on
 *                                            events per block; default 0, none
 *   "governance": {                          optional (ledger/gov.h)
 *     "voting_roles": ["shipper", ...],      default every role
 *     "threshold": "2/3",                    default 2/3: NUM/DEN, 1 <= NUM <= DEN <= 100
 *     "proposal_ttl_ms": 604800000 }         default 7 days
 * }
 * Org names are unique; every key appears once; a validator's org is a member.
 *
 * In detail: at most 1 MiB of JSON; keys of an object other than those above
 * are refused (a misspelt field is an error, never ignored); duplicate object
 * keys are refused. members: 1..WB_ORGS_MAX; org: 1..64 printable ASCII
 * characters, not starting or ending with a space; keys: 1..WB_ORG_KEYS_MAX,
 * each 64 hex digits of a valid Ed25519 public key. "Every key appears once"
 * spans client keys and validator keys alike. validators: 1..WB_VALIDATORS_MAX;
 * name: like chain_id, unique; p2p: host:port in the grammar of
 * common/addr.h (a DNS name, an IPv4 address or a bracketed IPv6 address
 * such as "[::1]:7000"; port 1-65535), unique as wb_addr_equal compares
 * them. api (optional): the validator's client API address, the same
 * grammar, unique among every validator's api and p2p addresses (clients
 * such as `waybill verify --quorum-read` find the nodes by it). genesis_time:
 * YYYY-MM-DDTHH:MM:SS[.f, 1 to 3 digits]Z.
 * The time rules (docs/rules.md): clock_skew_ms (an integer, 0 to
 * WB_CLOCK_SKEW_MS_MAX) is how far an event's time may lie after the
 * reference time (the block's time when a block is validated, the node's
 * clock when an event is admitted); backdate_max_ms (0 to
 * WB_BACKDATE_MAX_MS_MAX) is how far it may lie before the block's time (a
 * vessel or tracker reports a voyage on arrival).
 * heartbeat_ms (an integer, WB_HEARTBEAT_MS_MIN to WB_HEARTBEAT_MS_MAX): the
 * proposer makes a block only when there are events to commit or this long
 * after the last block's time (so every item's state is certified at least
 * that often).
 * header_version: 1, block headers commit to their events only; 2, they
 * also commit to every item's state after the block (ledger/block.h).
 */
#ifndef LEDGER_GENESIS_H
#define LEDGER_GENESIS_H

#include "common/addr.h"
#include "common/wb_error.h"
#include "ledger/types.h"

#define WB_CHAIN_NAME_MAX 64
#define WB_ORGS_MAX 64
#define WB_ORG_KEYS_MAX 8
#define WB_VALIDATORS_MAX 64
#define WB_NODE_NAME_MAX 64
#define WB_GENESIS_MSG_MAX 512
#define WB_ADDR_MAX WB_ADDR_TEXT_MAX /* bytes of a validator's p2p text */

/* The time rules' defaults and limits (genesis clock_skew_ms, backdate_max_ms). */
#define WB_CLOCK_SKEW_MS_DEFAULT INT64_C(600000)          /* 10 minutes */
#define WB_CLOCK_SKEW_MS_MAX INT64_C(86400000)            /* 1 day */
#define WB_BACKDATE_MAX_MS_DEFAULT INT64_C(2592000000)    /* 30 days */
#define WB_BACKDATE_MAX_MS_MAX INT64_C(315360000000)      /* 3650 days */
#define WB_HEARTBEAT_MS_DEFAULT 60000
#define WB_HEARTBEAT_MS_MIN 100
#define WB_HEARTBEAT_MS_MAX 86400000   /* a day */

struct ledger_org {
    char name[WB_ORG_MAX + 1];
    enum ledger_role role;
    size_t key_count;
    uint8_t keys[WB_ORG_KEYS_MAX][WB_PUBKEY_LEN];
};

struct ledger_validator {
    char name[WB_NODE_NAME_MAX + 1];
    char org[WB_ORG_MAX + 1];
    uint8_t key[WB_PUBKEY_LEN];
    char p2p[WB_ADDR_MAX + 1];            /* host:port */
    char api[WB_ADDR_MAX + 1];            /* client API host:port; "" when not given */
};

#define WB_BLOCK_EVENTS_MAX_LIMIT 100000
#define WB_GOV_PROPOSAL_TTL_MS_DEFAULT INT64_C(604800000) /* 7 days */
#define WB_GOV_PROPOSAL_TTL_MS_MIN INT64_C(1000)
#define WB_GOV_PROPOSAL_TTL_MS_MAX INT64_C(31536000000)   /* 365 days */
#define WB_GOV_THRESHOLD_DEN_MAX 100

/* The governance policy (genesis "governance"; ledger/gov.h). */
struct ledger_gov_policy {
    uint32_t voting_roles;                /* bit (1u << role) per voting enum ledger_role */
    uint32_t threshold_num, threshold_den;/* 1 <= num <= den <= 100 */
    int64_t proposal_ttl_ms;
};

struct ledger_genesis {
    char chain_name[WB_CHAIN_NAME_MAX + 1];
    uint8_t chain_id[WB_CHAIN_ID_LEN];    /* ledger_chain_id(chain_name) */
    int64_t genesis_time_ms;
    int64_t clock_skew_ms;                /* time rules: how far after the reference time */
    int64_t backdate_max_ms;              /* time rules: how far before the block's time */
    uint32_t heartbeat_ms;                /* a block at least this often */
    uint32_t header_version;              /* WB_BLOCK_VERSION or WB_BLOCK_VERSION_STATE */
    uint32_t block_events_max;            /* chain-wide cap on events per block; 0: none */
    struct ledger_gov_policy gov_policy;
    uint8_t hash[WB_HASH_LEN];            /* SHA-256 of the genesis file bytes */
    size_t org_count;
    struct ledger_org orgs[WB_ORGS_MAX];
    size_t validator_count;
    struct ledger_validator validators[WB_VALIDATORS_MAX];
};

/* The 32-byte chain id every signature and header carries:
 * SHA-256("waybill/chain/v1" || name). */
void ledger_chain_id(const char *name, uint8_t out[WB_CHAIN_ID_LEN]);

/* Sets the fields a genesis file may leave out to their defaults
 * (clock_skew_ms, backdate_max_ms, heartbeat_ms, header_version,
 * block_events_max, gov_policy). ledger_genesis_parse does this itself;
 * for a genesis built in code. */
void ledger_genesis_set_defaults(struct ledger_genesis *g);

/* Parses genesis JSON. On failure returns WB_ERR_CONFIG and writes into msg a
 * sentence naming the field and what was expected, e.g.
 * "validators[2].key: expected 64 hex characters" (WB_GENESIS_MSG_MAX bytes
 * hold every message). `g` is large: allocate it
 * on the heap. */
WB_MUST_USE int ledger_genesis_parse(const uint8_t *json, size_t len, struct ledger_genesis *g,
                                     char *msg, size_t msg_len);

/* Whether s (len bytes) is a chain id or validator name: 1..64 characters
 * of [A-Za-z0-9._-]. */
bool ledger_genesis_name_ok(const char *s, size_t len);
/* Whether s (len bytes) is an organisation name: 1..64 printable ASCII
 * characters, not starting or ending with a space. */
bool ledger_genesis_org_name_ok(const char *s, size_t len);

/* Index of the org holding client key `pk`, or -1. */
int ledger_genesis_org_of_key(const struct ledger_genesis *g, const uint8_t pk[WB_PUBKEY_LEN]);
/* Index of the org named `name`, or -1. */
int ledger_genesis_org_by_name(const struct ledger_genesis *g, const char *name);
/* Index of the validator with key `pk`, or -1. */
int ledger_genesis_validator_of_key(const struct ledger_genesis *g,
                                    const uint8_t pk[WB_PUBKEY_LEN]);
/* Quorum floor(2n/3) + 1 for n = validator_count: 2f+1 when n = 3f+1 with
 * f = (n-1)/3; for other n still large enough that two quorums share f+1
 * validators. 1 when n is 0, which parse never produces. */
size_t ledger_genesis_quorum(const struct ledger_genesis *g);

#endif
