/* Commit certificate verification: q distinct validators' precommits for
 * one (height, round, block hash), each signature checked. */
#include "ledger/cert.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/hex.h"
#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "common/quorum.h"
#include "ledger/canon.h"

/* A certificate carries at most this many precommits: every validator
 * once, with room for repeats, but never an unbounded list to verify. */
#define CERT_PRECOMMITS_MAX (2 * WB_VALIDATORS_MAX)

int ledger_cert_verify_set(const uint8_t chain_id[WB_CHAIN_ID_LEN],
                           const uint8_t (*keys)[WB_PUBKEY_LEN], size_t n,
                           const Waybill__CommitCert *cert, uint64_t height,
                           const uint8_t block_hash[WB_HASH_LEN], char *msg, size_t msg_len)
{
    char h1[9], h2[9];
    if (!cert) return wb_failf(WB_ERR_VERIFY, msg, msg_len, "certificate missing");
    if (cert->height != height)
        return wb_failf(WB_ERR_VERIFY, msg, msg_len,
                        "certificate is for height %llu, block is at height %llu",
                        (unsigned long long)cert->height, (unsigned long long)height);
    if (cert->block_hash.len != WB_HASH_LEN)
        return wb_failf(WB_ERR_VERIFY, msg, msg_len,
                        "certificate block hash has %zu bytes, expected %d", cert->block_hash.len,
                        WB_HASH_LEN);
    if (memcmp(cert->block_hash.data, block_hash, WB_HASH_LEN) != 0)
        return wb_failf(WB_ERR_VERIFY, msg, msg_len, "certificate is for block %s..., not %s...",
                        wb_hex_encode(cert->block_hash.data, 4, h1, sizeof h1),
                        wb_hex_encode(block_hash, 4, h2, sizeof h2));
    if (n == 0 || !keys)
        return wb_failf(WB_ERR_VERIFY, msg, msg_len, "no validators for height %llu",
                        (unsigned long long)height);
    if (n > WB_VALIDATORS_MAX)
        return wb_failf(WB_ERR_VERIFY, msg, msg_len,
                        "the validator set of height %llu has %zu validators, at most %d",
                        (unsigned long long)height, n, WB_VALIDATORS_MAX);
    size_t quorum = wb_quorum(n);
    if (cert->n_precommits > CERT_PRECOMMITS_MAX)
        return wb_failf(WB_ERR_VERIFY, msg, msg_len,
                        "certificate has %zu precommits, at most %d allowed", cert->n_precommits,
                        CERT_PRECOMMITS_MAX);

    uint8_t sigmsg[WB_SIGMSG_MAX];
    size_t sigmsg_len = wb_sigmsg_vote(sigmsg, chain_id, WAYBILL__VOTE_TYPE__PRECOMMIT,
                                       height, cert->round, block_hash);
    bool seen[WB_VALIDATORS_MAX] = {false};
    size_t distinct = 0;
    for (size_t i = 0; i < cert->n_precommits; i++) {
        const Waybill__Vote *v = cert->precommits[i];
        if (!v) return wb_failf(WB_ERR_VERIFY, msg, msg_len, "precommit %zu: missing", i);
        unsigned val = v->validator;
        if (v->validator >= n)
            return wb_failf(WB_ERR_VERIFY, msg, msg_len,
                            "precommit %zu (validator %u): not a validator index (there are "
                            "%zu validators)",
                            i, val, n);
        if (v->type != WAYBILL__VOTE_TYPE__PRECOMMIT)
            return wb_failf(WB_ERR_VERIFY, msg, msg_len,
                            "precommit %zu (validator %u): vote type %d is not "
                            "precommit",
                            i, val, (int)v->type);
        if (v->height != height)
            return wb_failf(WB_ERR_VERIFY, msg, msg_len,
                            "precommit %zu (validator %u): height %llu, certificate height "
                            "is %llu",
                            i, val, (unsigned long long)v->height, (unsigned long long)height);
        if (v->round != cert->round)
            return wb_failf(WB_ERR_VERIFY, msg, msg_len,
                            "precommit %zu (validator %u): round %u, certificate round is %u", i,
                            val, (unsigned)v->round, (unsigned)cert->round);
        if (v->block_hash.len != WB_HASH_LEN ||
            memcmp(v->block_hash.data, block_hash, WB_HASH_LEN) != 0)
            return wb_failf(WB_ERR_VERIFY, msg, msg_len,
                            "precommit %zu (validator %u): not a precommit for block %s...", i, val,
                            wb_hex_encode(block_hash, 4, h1, sizeof h1));
        if (v->signature.len != WB_SIG_LEN)
            return wb_failf(WB_ERR_VERIFY, msg, msg_len,
                            "precommit %zu (validator %u): signature has %zu bytes, expected %d", i,
                            val, v->signature.len, WB_SIG_LEN);
        if (wb_verify(sigmsg, sigmsg_len, keys[val], v->signature.data) != WB_OK)
            return wb_failf(WB_ERR_VERIFY, msg, msg_len,
                            "precommit %zu (validator %u): bad signature", i, val);
        if (!seen[val]) {
            seen[val] = true;
            distinct++;
        }
    }
    if (distinct < quorum)
        return wb_failf(WB_ERR_VERIFY, msg, msg_len,
                        "only %zu distinct valid precommits, quorum is %zu", distinct, quorum);
    return WB_OK;
}

/* The genesis's validator keys as a set (at most WB_VALIDATORS_MAX). */
static size_t genesis_keys(const struct ledger_genesis *g,
                           uint8_t keys[WB_VALIDATORS_MAX][WB_PUBKEY_LEN])
{
    WB_ASSERT(g->validator_count <= WB_VALIDATORS_MAX);
    for (size_t i = 0; i < g->validator_count; i++)
        memcpy(keys[i], g->validators[i].key, WB_PUBKEY_LEN);
    return g->validator_count;
}

int ledger_cert_verify(const struct ledger_genesis *g, const Waybill__CommitCert *cert,
                       uint64_t height, const uint8_t block_hash[WB_HASH_LEN], char *msg,
                       size_t msg_len)
{
    uint8_t keys[WB_VALIDATORS_MAX][WB_PUBKEY_LEN];
    size_t n = genesis_keys(g, keys);
    return ledger_cert_verify_set(g->chain_id, (const uint8_t(*)[WB_PUBKEY_LEN])keys, n, cert,
                                  height, block_hash, msg, msg_len);
}

int ledger_cert_verify_set_bytes(const uint8_t chain_id[WB_CHAIN_ID_LEN],
                                 const uint8_t (*keys)[WB_PUBKEY_LEN], size_t n,
                                 const uint8_t *buf, size_t len, uint64_t height,
                                 const uint8_t block_hash[WB_HASH_LEN], char *msg, size_t msg_len)
{
    ProtobufCMessage *m;
    if (ledger_pb_decode(&waybill__commit_cert__descriptor, NULL, buf, len, "certificate", &m,
                         msg, msg_len))
        return WB_ERR_DECODE;
    Waybill__CommitCert *cert = (Waybill__CommitCert *)m;
    int rc = ledger_cert_verify_set(chain_id, keys, n, cert, height, block_hash, msg, msg_len);
    waybill__commit_cert__free_unpacked(cert, NULL);
    return rc;
}

int ledger_cert_verify_bytes(const struct ledger_genesis *g, const uint8_t *buf, size_t len,
                             uint64_t height, const uint8_t block_hash[WB_HASH_LEN],
                             char *msg, size_t msg_len)
{
    uint8_t keys[WB_VALIDATORS_MAX][WB_PUBKEY_LEN];
    size_t n = genesis_keys(g, keys);
    return ledger_cert_verify_set_bytes(g->chain_id, (const uint8_t(*)[WB_PUBKEY_LEN])keys, n,
                                        buf, len, height, block_hash, msg, msg_len);
}
