/* The customs verifier: checks a ProofBundle against nothing but genesis
 * (DESIGN.md section 8). */
#ifndef LEDGER_VERIFY_H
#define LEDGER_VERIFY_H

#include "ledger/genesis.h"
#include "ledger/types.h"

/* Names of the checks, used in reports: */
#define VERIFY_CHECK_DECODE "decode"
#define VERIFY_CHECK_SIGNATURE "signature"
#define VERIFY_CHECK_MEMBER "member"
#define VERIFY_CHECK_PREV "prev-link"
#define VERIFY_CHECK_RULES "custody-rules"
#define VERIFY_CHECK_INCLUSION "inclusion"
#define VERIFY_CHECK_HEADER "block-header"
#define VERIFY_CHECK_CERT "certificate"
#define VERIFY_CHECK_ITEM "item"

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
};

/* Verifies an encoded ProofBundle for `item` (NULL: the bundle's own item).
 * Checks each block header (decodes, chain id) and its certificate
 * (ledger_cert_verify), each event's signature, its signer's membership, the
 * prev links, each inclusion proof against its header's events root, and
 * the ledger rules from commission to head (time rules against the event's
 * certified block time). Per event, in this order: decode, signature,
 * member, item, prev-link, block-header, certificate, inclusion,
 * custody-rules. Stops at the first failure. Returns 0 (verified) or WB_ERR_VERIFY / WB_ERR_DECODE with
 * res filled; cb may be NULL. */
int ledger_verify_bundle(const struct ledger_genesis *g, const char *item,
                         const uint8_t *bundle, size_t len, ledger_verify_event_fn cb,
                         void *cb_ctx, struct ledger_verify_result *res);

#endif
