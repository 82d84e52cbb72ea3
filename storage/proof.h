/* Proof bundles (DESIGN.md section 8): an item's events with their Merkle
 * audit paths and the certified headers of their blocks, built from the store. */
#ifndef STORAGE_PROOF_H
#define STORAGE_PROOF_H

#include <stddef.h>
#include <stdint.h>

#include "storage/store.h"

/* Builds the encoded ProofBundle for `item` from one consistent snapshot of
 * the store: every event of the item in order (commission first) with its
 * SignedEvent bytes, height, index and RFC 9162 audit path over the leaf
 * hashes of its block's events, and one ProofBlock (height, header bytes,
 * the block's CommitCert) per referenced height, in height order. The result
 * verifies with ledger_verify_bundle (ledger/verify.h) against the genesis
 * whose validators certified the blocks.
 * *out is malloc'd (caller frees), *len its size; to embed it in another
 * message, unpack it with waybill__proof_bundle__unpack.
 * Returns 0, WB_ERR_INVALID (bad argument), WB_ERR_NOT_FOUND (item never
 * seen), WB_ERR_TOO_LARGE (more than STORE_HISTORY_MAX events), WB_ERR_NOMEM
 * or WB_ERR_STORE (LMDB failure or corrupt data, logged). */
WB_MUST_USE int store_proof_bundle(struct store *s, const char *item, uint8_t **out, size_t *len);

#endif
