/* Domain-separated signing messages and Ed25519 sign/verify over them. */
#include "common/sigbytes.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "common/wb_assert.h"
#include "common/wb_error.h"

static size_t put_prefix(uint8_t *out, const char *tag, const uint8_t chain_id[WB_CHAIN_ID_LEN])
{
    size_t n = strlen(tag);
    memcpy(out, tag, n);
    memcpy(out + n, chain_id, WB_CHAIN_ID_LEN);
    return n + WB_CHAIN_ID_LEN;
}

size_t wb_sigmsg_vote(uint8_t out[WB_SIGMSG_MAX], const uint8_t chain_id[WB_CHAIN_ID_LEN],
                      uint8_t type, uint64_t height, uint32_t round,
                      const uint8_t *block_hash)
{
    size_t n = put_prefix(out, WB_TAG_VOTE, chain_id);
    out[n++] = type;
    wb_put_u64be(out + n, height);
    n += 8;
    wb_put_u32be(out + n, round);
    n += 4;
    if (block_hash) {
        memcpy(out + n, block_hash, WB_HASH_LEN);
        n += WB_HASH_LEN;
    }
    WB_ASSERT(n <= WB_SIGMSG_MAX);
    return n;
}

size_t wb_sigmsg_proposal(uint8_t out[WB_SIGMSG_MAX],
                          const uint8_t chain_id[WB_CHAIN_ID_LEN], uint64_t height,
                          uint32_t round, int32_t valid_round,
                          const uint8_t block_hash[WB_HASH_LEN])
{
    size_t n = put_prefix(out, WB_TAG_PROPOSAL, chain_id);
    wb_put_u64be(out + n, height);
    n += 8;
    wb_put_u32be(out + n, round);
    n += 4;
    wb_put_u32be(out + n, (uint32_t)valid_round);
    n += 4;
    memcpy(out + n, block_hash, WB_HASH_LEN);
    n += WB_HASH_LEN;
    WB_ASSERT(n <= WB_SIGMSG_MAX);
    return n;
}

size_t wb_sigmsg_p2p(uint8_t out[WB_SIGMSG_MAX], const uint8_t chain_id[WB_CHAIN_ID_LEN],
                     const uint8_t dialer_eph[32], const uint8_t listener_eph[32])
{
    size_t n = put_prefix(out, WB_TAG_P2P, chain_id);
    memcpy(out + n, dialer_eph, 32);
    memcpy(out + n + 32, listener_eph, 32);
    n += 64;
    WB_ASSERT(n <= WB_SIGMSG_MAX);
    return n;
}

/* Event messages are small (bodies are bounded by the ledger); a stack
 * buffer serves the common case and the heap the rest. */
#define EVENT_STACK_MAX 2048

static int tagged_msg(const char *tag_s, const uint8_t chain_id[WB_CHAIN_ID_LEN],
                      const uint8_t *body, size_t len, uint8_t *stack, uint8_t **msg,
                      size_t *msg_len)
{
    size_t tag = strlen(tag_s);
    size_t total = tag + WB_CHAIN_ID_LEN + len;
    uint8_t *m = total <= EVENT_STACK_MAX ? stack : malloc(total);
    if (!m) return WB_ERR_NOMEM;
    size_t n = put_prefix(m, tag_s, chain_id);
    if (len) memcpy(m + n, body, len);
    *msg = m;
    *msg_len = total;
    return WB_OK;
}

int wb_tagged_sign(const char *tag, const uint8_t chain_id[WB_CHAIN_ID_LEN], const uint8_t *body,
                   size_t len, const uint8_t sk[WB_SECKEY_LEN], uint8_t sig[WB_SIG_LEN])
{
    uint8_t stack[EVENT_STACK_MAX], *msg;
    size_t msg_len;
    int rc = tagged_msg(tag, chain_id, body, len, stack, &msg, &msg_len);
    if (rc) return rc;
    rc = wb_sign(msg, msg_len, sk, sig);
    if (msg != stack) free(msg);
    return rc;
}

int wb_tagged_verify(const char *tag, const uint8_t chain_id[WB_CHAIN_ID_LEN],
                     const uint8_t *body, size_t len, const uint8_t pk[WB_PUBKEY_LEN],
                     const uint8_t sig[WB_SIG_LEN])
{
    uint8_t stack[EVENT_STACK_MAX], *msg;
    size_t msg_len;
    int rc = tagged_msg(tag, chain_id, body, len, stack, &msg, &msg_len);
    if (rc) return rc;
    rc = wb_verify(msg, msg_len, pk, sig);
    if (msg != stack) free(msg);
    return rc;
}

int wb_event_sign(const uint8_t chain_id[WB_CHAIN_ID_LEN], const uint8_t *body, size_t len,
                  const uint8_t sk[WB_SECKEY_LEN], uint8_t sig[WB_SIG_LEN])
{
    return wb_tagged_sign(WB_TAG_EVENT, chain_id, body, len, sk, sig);
}

int wb_event_sig_verify(const uint8_t chain_id[WB_CHAIN_ID_LEN], const uint8_t *body,
                        size_t len, const uint8_t pk[WB_PUBKEY_LEN],
                        const uint8_t sig[WB_SIG_LEN])
{
    return wb_tagged_verify(WB_TAG_EVENT, chain_id, body, len, pk, sig);
}

int wb_sign(const uint8_t *msg, size_t len, const uint8_t sk[WB_SECKEY_LEN],
            uint8_t sig[WB_SIG_LEN])
{
    return crypto_sign_detached(sig, NULL, msg, len, sk) == 0 ? WB_OK : WB_ERR_CRYPTO;
}

int wb_verify(const uint8_t *msg, size_t len, const uint8_t pk[WB_PUBKEY_LEN],
              const uint8_t sig[WB_SIG_LEN])
{
    return crypto_sign_verify_detached(sig, msg, len, pk) == 0 ? WB_OK : WB_ERR_SIGNATURE;
}
