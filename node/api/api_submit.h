/* The client API's decision on one submitted SignedEvent, apart from the
 * network: committed already, newly admitted, already pending, or refused.
 * No I/O of its own: the caller hands in the committed-event lookup and the
 * mempool, and acts on the outcome (answer, gossip, wait). */
#ifndef NODE_API_SUBMIT_H
#define NODE_API_SUBMIT_H

#include <stddef.h>
#include <stdint.h>

#include "ledger/types.h"
#include "node/mempool/mempool.h"

/* Where committed event `id` sits. Returns 0 with *height and *index set,
 * WB_ERR_NOT_FOUND when no committed block holds it, or another error (the
 * store could not tell). storage's store_event_location has this shape once
 * wrapped (ctx = the store). */
typedef int (*api_event_location_fn)(void *ctx, const uint8_t id[WB_HASH_LEN], uint64_t *height,
                                     uint32_t *index);

enum api_submit_kind {
    API_SUBMIT_ALREADY_COMMITTED, /* a committed block holds the event: answer where */
    API_SUBMIT_ADMITTED,          /* newly admitted to the mempool: gossip it, then wait */
    API_SUBMIT_PENDING,           /* the event is pending already: wait for it */
    API_SUBMIT_REFUSED,           /* err and the reason say why */
};

struct api_submit_outcome {
    enum api_submit_kind kind;
    uint8_t id[WB_HASH_LEN];      /* the event id; zeros when the envelope does not split */
    uint64_t height;              /* ALREADY_COMMITTED: its block */
    uint32_t index;               /* ALREADY_COMMITTED: its index in that block */
    int err;                      /* REFUSED: a negative wb_err; else 0 */
};

/* Decides what a submit of `signed_event` (len bytes, borrowed) does:
 *  1. the envelope must split into body and signature (else REFUSED,
 *     WB_ERR_DECODE); the id is SHA-256(body);
 *  2. mempool_add decides: 0 is ADMITTED, WB_ERR_DUPLICATE (the id is
 *     pending, whatever its signature bytes) is PENDING;
 *  3. anything else: an id that a committed block holds is
 *     ALREADY_COMMITTED (the rules refused it as stale: its prev is no
 *     longer the item's head, or the item exists), whatever mempool_add
 *     said. The id hashes the body only, so the same body with other
 *     signature bytes is the same, already recorded event and is answered
 *     the same way. Else REFUSED with mempool_add's error and reason (and,
 *     when the lookup failed, that error appended). The lookup comes only
 *     after a refusal: an id the store does not hold costs it a probe of
 *     every id epoch (docs/formats.md, "Store"), and a new event is never
 *     held.
 * reason (may be NULL) receives a sentence for REFUSED, else "". */
void api_submit_admit(api_event_location_fn location, void *location_ctx, struct mempool *mp,
                      const uint8_t *signed_event, size_t len, struct api_submit_outcome *out,
                      char *reason, size_t reason_len);

#endif
