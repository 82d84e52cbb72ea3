/* The customs verifier: checks a ProofBundle against nothing but genesis
 * (DESIGN.md section 8). */
#ifndef LEDGER_VERIFY_H
#define LEDGER_VERIFY_H

#include "common/executor.h"
#include "common/wb_error.h"
#include "ledger/freshness.h"
#include "ledger/genesis.h"
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

/* Called once per event in bundle order, after all its checks (ok) or at the
 * first that failed. ev may be NULL when the event did not decode; org is
 * NULL when the submitter is not a member; out_of_order is true for an
 * accepted event dated before an earlier event of the item
 * (ledger_rules_out_of_order), false when not ok; check and detail are NULL
 * when ok. */
typedef void (*ledger_verify_event_fn)(void *ctx, size_t index, const struct ledger_event *ev,
                                       const char *org, uint64_t height, uint32_t pos,
                                       bool out_of_order, bool ok, const char *check,
                                       const char *detail);

struct ledger_verify_result {
    bool ok;
    size_t events_checked;
    size_t blocks_checked;
    size_t events_out_of_order;          /* accepted events dated before an earlier one */
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

#endif
