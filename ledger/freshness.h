/* The freshness proof of a proof bundle (docs/formats.md, "Freshness
 * proof"): that the bundle's events are all of the item's events as of a
 * certified height. The bundle's events are checked first (ledger/verify.c);
 * this checks the rest against genesis alone:
 *   - the header: it decodes, is of the chain's version 2 with the chain's
 *     id, its height is the proof's and at least the item's last event's;
 *   - its certificate (ledger_cert_verify_bytes) for that height and header;
 *   - the leaf: it decodes, names this item (SHA-256 of its id), and its
 *     audit path leads from its registration index to the header's state
 *     root over the header's item count;
 *   - the leaf against the events: its head is the last event's id, its
 *     count the number of events, its head height the last event's height
 *     and its first height the first event's; and against the state the
 *     events give when replayed (ev->state, when not NULL): the same
 *     custodian (its name's hash), status, customs status and movement.
 * Pure: no I/O, no clock (the caller judges the age). */
#ifndef LEDGER_FRESHNESS_H
#define LEDGER_FRESHNESS_H

#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "ledger/genesis.h"
#include "ledger/gov.h"
#include "ledger/item_leaf.h"
#include "proto/waybill.pb-c.h"

/* What the events of a verified bundle say, for the leaf to match. */
struct ledger_fresh_events {
    const char *item;
    uint8_t head[WB_HASH_LEN];            /* id of the last event */
    uint64_t count;                       /* events in the bundle */
    uint64_t first_height, last_height;   /* heights of the first and last event */
    const struct ledger_item_state *state; /* the replayed state after them, or NULL */
};

/* What a proof that verified establishes. */
struct ledger_fresh_result {
    uint64_t height;                      /* complete as of this height */
    int64_t time_ms;                      /* that block's time */
    uint64_t reg_index;                   /* the item's registration index */
    uint64_t item_count;                  /* items on the chain at that height */
    struct ledger_item_leaf leaf;         /* the item's state then (custodian, customs) */
};

/* Checks freshness proof `f` for the events `ev` of a bundle that verified.
 * Returns 0 with *out filled, or WB_ERR_VERIFY with the reason in msg
 * ("block 12: ...", "leaf: ..."). */
WB_MUST_USE int ledger_freshness_verify(const struct ledger_genesis *g,
                                        const Waybill__ProofFreshness *f,
                                        const struct ledger_fresh_events *ev,
                                        struct ledger_fresh_result *out, char *msg,
                                        size_t msg_len);

/* The same with the certificate checked against `set`, the validator set of
 * the proof's height (ledger/gov_history.h gives it from the governance
 * history); set NULL: genesis's validators, as ledger_freshness_verify. */
WB_MUST_USE int ledger_freshness_verify_set(const struct ledger_genesis *g,
                                            const struct ledger_gov_epoch *set,
                                            const Waybill__ProofFreshness *f,
                                            const struct ledger_fresh_events *ev,
                                            struct ledger_fresh_result *out, char *msg,
                                            size_t msg_len);

#endif
