/* Commit certificates: q = 2f+1 precommits from distinct validators, for one
 * (height, round, block hash), each signed over the vote layout of
 * common/sigbytes.h. Checked by block sync and by the customs verifier. */
#ifndef LEDGER_CERT_H
#define LEDGER_CERT_H

#include "common/wb_error.h"
#include "ledger/genesis.h"
#include "proto/waybill.pb-c.h"

/* Checks cert against an explicit validator set: keys[0..n) are the
 * validators of `height` (index i = validator i of that height; 1 <= n <=
 * WB_VALIDATORS_MAX, keys distinct), quorum wb_quorum(n), signatures over
 * chain_id. Otherwise as ledger_cert_verify below. Returns 0 or WB_ERR_VERIFY
 * with the reason in msg. */
WB_MUST_USE int ledger_cert_verify_set(const uint8_t chain_id[WB_CHAIN_ID_LEN],
                                       const uint8_t (*keys)[WB_PUBKEY_LEN], size_t n,
                                       const Waybill__CommitCert *cert, uint64_t height,
                                       const uint8_t block_hash[WB_HASH_LEN], char *msg,
                                       size_t msg_len);

/* ledger_cert_verify_set for encoded CommitCert bytes (canonical, as
 * ledger_cert_verify_bytes requires). */
WB_MUST_USE int ledger_cert_verify_set_bytes(const uint8_t chain_id[WB_CHAIN_ID_LEN],
                                             const uint8_t (*keys)[WB_PUBKEY_LEN], size_t n,
                                             const uint8_t *buf, size_t len, uint64_t height,
                                             const uint8_t block_hash[WB_HASH_LEN], char *msg,
                                             size_t msg_len);

/* Checks cert against the validator set of g (the genesis's, the set of
 * every height of a chain whose set never changed): height and block hash equal the
 * arguments; every precommit is type PRECOMMIT for the same height, round and
 * hash, from a known validator index, with a valid signature; at least
 * quorum distinct validators (duplicates count once). Returns 0 or
 * WB_ERR_VERIFY with the reason in msg. */
WB_MUST_USE int ledger_cert_verify(const struct ledger_genesis *g, const Waybill__CommitCert *cert,
                                   uint64_t height, const uint8_t block_hash[WB_HASH_LEN],
                                   char *msg, size_t msg_len);

/* Same for encoded CommitCert bytes, which must be the canonical encoding
 * (ledger/canon.h; the votes inside it included): WB_ERR_DECODE with msg
 * "certificate: ..." if they are not. */
WB_MUST_USE int ledger_cert_verify_bytes(const struct ledger_genesis *g, const uint8_t *buf,
                                         size_t len, uint64_t height,
                                         const uint8_t block_hash[WB_HASH_LEN], char *msg,
                                         size_t msg_len);

#endif
