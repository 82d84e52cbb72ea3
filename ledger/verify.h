/* The customs verifier: checks a ProofBundle against nothing but genesis
 * (DESIGN.md section 8). */
#ifndef LEDGER_VERIFY_H
#define LEDGER_VERIFY_H

#include "common/executor.h"
#include "common/wb_error.h"
#include "ledger/freshness.h"
#include "ledger/genesis.h"
#include "ledger/gov_history.h"
#include "ledger/types.h"

/* Names of the checks, used in reports (stable: scripts match on them;
 * docs/cli.md, section verify, says what each one checks): */
#define VERIFY_CHECK_DECODE "decode"
#define VERIFY_CHECK_SIGNATURE "signature"
#define VERIFY_CHECK_MEMBER "member"
#define VERIFY_CHECK_PREV "prev-link"
#define VERIFY_CHECK_RULES "custody-rules"
#define VERIFY_CHECK_INCLUSION "inclusion"
#define VERIFY_CHECK_HEADER "block-header"
#define VERIFY_CHECK_CERT "certificate"
#define VERIFY_CHECK_ITEM "item"
/* The header fields of docs/formats.md, section Blocks: */
#define VERIFY_CHECK_VERSION "version"
#define VERIFY_CHECK_CHAIN_ID "chain-id"
#define VERIFY_CHECK_HEIGHT "height"
#define VERIFY_CHECK_ZERO_PREV "zero-prev"
#define VERIFY_CHECK_PROPOSER "proposer-range"
#define VERIFY_CHECK_PREV_HASH "prev-hash"
#define VERIFY_CHECK_TIME_ORDER "time-order"
#define VERIFY_CHECK_EVENT_COUNT "event-count"
#define VERIFY_CHECK_UNREFERENCED "unreferenced-block"
/* The freshness proof (ledger/freshness.h): */
#define VERIFY_CHECK_FRESHNESS "freshness"
/* The governance section (ledger/gov_history.h): */
#define VERIFY_CHECK_GOVERNANCE "governance"

/* Called once per event in bundle order, after all its checks (ok) or at the
 * first that failed. ev may be NULL when the event did not decode; org is
 * NULL when the submitter is not a member; out_of_order is true for an
 * accepted event dated before an earlier event of the item
 * (ledger_rules_out_of_order), false when not ok; check and detail are NULL
 * when ok. mark is NULL, or for an accepted event a sentence why its
 * signature is not to be trusted although it verified: its key was revoked
 * later as compromised, with a `since` at or before the event's time
 * ("signed 2 h after 2026-12-01T10:00:00.000Z, since when its key is not
 * trusted (revoked as compromised at height 57)"). gov is the governance
 * state in effect for the event's block, as the bundle's governance
 * section replays it (its view is the registry that judged the event, its
 * devices the device registry), or NULL when the bundle carries no
 * governance section (genesis judged; no device is known) or when not
 * ok; it is valid during the call only. A caller that shows device evidence
 * (ledger/evidence.h) feeds each accepted event with it. */
typedef void (*ledger_verify_event_fn)(void *ctx, size_t index, const struct ledger_event *ev,
                                       const char *org, uint64_t height, uint32_t pos,
                                       bool out_of_order, bool ok, const char *check,
                                       const char *detail, const char *mark,
                                       const struct ledger_gov *gov);

struct ledger_verify_result {
    bool ok;
    size_t events_checked;
    size_t blocks_checked;
    size_t events_out_of_order;          /* accepted events dated before an earlier one */
    size_t events_marked;                /* accepted events with a mark (see the callback) */
    long failed_event;                   /* bundle index, or -1 (bundle-level failure) */
    char failed_check[32];               /* one of VERIFY_CHECK_* */
    char message[512];                   /* "event 3 (<id hex>, receive): signature: ..." */
    struct ledger_item_state state;      /* item state after the last good event */
    /* Completeness (a verified bundle only): with a freshness proof that
     * verified, complete is true and fresh says as of which certified
     * height; otherwise `completeness` says why it is not proven. */
    bool complete;
    struct ledger_fresh_result fresh;
    char completeness[160];
    /* The governance section: present when the bundle carried one (and it
     * verified); then gov_events governance events were replayed from
     * genesis, gov_complete with gov_height when its freshness proof
     * verified. `governance` is the line a report prints: "governance: 12
     * events from genesis, complete as of height 80", "governance: 12
     * events from genesis, not proven complete: ...", or "governance: none
     * in the bundle (the genesis validators and members)". */
    bool gov_present;
    size_t gov_events;
    bool gov_complete;
    uint64_t gov_height;
    char governance[256];
};

/* Verifies an encoded ProofBundle for `item` (NULL: the bundle's own item).
 * The bundle must be the canonical encoding of a ProofBundle (ledger/canon.h)
 * or the result is WB_ERR_DECODE, check "decode". Then, event by event in
 * bundle order: decode, signature, member, item, prev-link; its block, the
 * first time an event refers to it: every header field (block-header:
 * decodes; version; chain-id; height; zero-prev at height 1;
 * proposer-range) and the certificate (ledger_cert_verify), then prev-hash
 * and time-order against the blocks next to it by height that were checked
 * before; then the event's index and audit path length against the header's
 * event count (event-count), the path against its events root (inclusion),
 * and last the ledger rules from commission to head, the time rules judged
 * against the event's certified block time (custody-rules). After the
 * events, a block no event is in fails unreferenced-block. Last the
 * bundle's freshness proof, when it has one: ledger_freshness_verify against
 * the verified events (freshness); a proof that fails fails the bundle. A
 * bundle without one, or of a chain of header version 1, verifies with
 * complete false.
 * Governance: with a governance section (ProofBundle.governance), that
 * bundle is verified first (ledger_gov_history_verify; a failure fails the
 * bundle, check "governance" or the governance bundle's own check, message
 * "governance ..."); then each block's proposer range and certificate are
 * checked against the validator set of its height (the freshness proof's
 * too), and each event is judged by the registry in effect for its block
 * (member: a key revoked, or of an organisation removed, before the
 * event's block is refused with the revocation as the reason; the rules
 * with that registry's members and parameters); an event whose key was
 * revoked later as compromised and whose time is at or after the
 * revocation's `since` is accepted and marked (events_marked, the
 * callback's mark). A governance section not proven complete still
 * verifies; a validator change it omits makes the certificates of the
 * heights after it fail. Without one the genesis validators and members
 * judge every block, as before. The governance chain's own bundle (item
 * WB_GOV_CHAIN, no section) is verified in the governance mode of
 * ledger_verify_gov_bundle, its events through cb as an item's.
 * Stops at the first failure. With an executor `ex` the signatures of all
 * events are checked first as its jobs (ledger/sigcheck.h), on whatever
 * threads it owns; with ex NULL each is checked in its turn on the
 * caller's thread. The verdict, the report and the calls of cb are the
 * same either way. Returns 0 (verified) or WB_ERR_VERIFY / WB_ERR_DECODE
 * (or WB_ERR_NOMEM) with res filled; cb may be NULL. */
WB_MUST_USE int ledger_verify_bundle(const struct ledger_genesis *g, const char *item,
                                     const uint8_t *bundle, size_t len,
                                     const struct wb_executor *ex, ledger_verify_event_fn cb,
                                     void *cb_ctx, struct ledger_verify_result *res);

/* Verifies the governance chain's bundle `b` (item WB_GOV_CHAIN) against
 * genesis g and replays it into *out (initialised here; free it with
 * ledger_gov_history_free, also after a failure). Returns 0, or
 * WB_ERR_VERIFY / WB_ERR_NOMEM with "governance event 3 (...): check:
 * detail" or "governance bundle: check: detail" in msg. */
WB_MUST_USE int ledger_gov_history_verify(const struct ledger_genesis *g,
                                          const Waybill__ProofBundle *b,
                                          struct ledger_gov_history *out, char *msg,
                                          size_t msg_len);

/* The governance mode of the verifier, for ledger_gov_history_verify: the
 * bundle of the governance chain itself (item WB_GOV_CHAIN, first event
 * without prev), each block's certificate against the set of its height as
 * replayed so far, each event through ledger_rules_check (with the
 * registry in effect), ledger_gov_check and ledger_gov_apply into *hist
 * (initialised by the caller at genesis), snapshots after each block; then
 * its freshness proof (hist->complete). Returns as ledger_verify_bundle. */
WB_MUST_USE int ledger_verify_gov_bundle(const struct ledger_genesis *g,
                                         const Waybill__ProofBundle *pb,
                                         struct ledger_gov_history *hist,
                                         struct ledger_verify_result *res);
#endif
