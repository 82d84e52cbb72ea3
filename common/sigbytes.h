/* The exact bytes every signature in Waybill covers (DESIGN.md section 3).
 * Each starts with a domain tag and the 32-byte chain id, so nothing signed
 * for one purpose or one chain is valid for another. */
#ifndef WB_SIGBYTES_H
#define WB_SIGBYTES_H

#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"

#define WB_CHAIN_ID_LEN 32
#define WB_HASH_LEN 32
#define WB_PUBKEY_LEN 32
#define WB_SECKEY_LEN 64
#define WB_SIG_LEN 64

#define WB_TAG_EVENT "waybill/event/v1"
#define WB_TAG_VOTE "waybill/vote/v1"
#define WB_TAG_PROPOSAL "waybill/proposal/v1"
#define WB_TAG_P2P "waybill/p2p/v1"

/* Upper bound of the fixed-layout messages below. */
#define WB_SIGMSG_MAX 160

/* "waybill/vote/v1" || chain_id || type(1) || height(u64 BE) || round(u32 BE)
 * || block_hash (32 bytes, or nothing when block_hash is NULL = nil).
 * Writes into out (WB_SIGMSG_MAX bytes) and returns the length. */
size_t wb_sigmsg_vote(uint8_t out[WB_SIGMSG_MAX], const uint8_t chain_id[WB_CHAIN_ID_LEN],
                      uint8_t type, uint64_t height, uint32_t round,
                      const uint8_t *block_hash);

/* "waybill/proposal/v1" || chain_id || height(u64 BE) || round(u32 BE)
 * || valid_round(i32 BE, two's complement) || block_hash(32). */
size_t wb_sigmsg_proposal(uint8_t out[WB_SIGMSG_MAX],
                          const uint8_t chain_id[WB_CHAIN_ID_LEN], uint64_t height,
                          uint32_t round, int32_t valid_round,
                          const uint8_t block_hash[WB_HASH_LEN]);

/* "waybill/p2p/v1" || chain_id || dialer ephemeral key(32) || listener ephemeral key(32). */
size_t wb_sigmsg_p2p(uint8_t out[WB_SIGMSG_MAX], const uint8_t chain_id[WB_CHAIN_ID_LEN],
                     const uint8_t dialer_eph[32], const uint8_t listener_eph[32]);

/* Event signatures cover "waybill/event/v1" || chain_id || body; the body is
 * variable-length, so these sign and verify without the caller building the
 * message. Return 0, WB_ERR_SIGNATURE (verify) or WB_ERR_NOMEM/WB_ERR_CRYPTO. */
WB_MUST_USE int wb_event_sign(const uint8_t chain_id[WB_CHAIN_ID_LEN], const uint8_t *body,
                              size_t len, const uint8_t sk[WB_SECKEY_LEN], uint8_t sig[WB_SIG_LEN]);
WB_MUST_USE int wb_event_sig_verify(const uint8_t chain_id[WB_CHAIN_ID_LEN], const uint8_t *body,
                                    size_t len, const uint8_t pk[WB_PUBKEY_LEN],
                                    const uint8_t sig[WB_SIG_LEN]);

/* The same for any variable-length message under its domain tag:
 * Ed25519 over tag || chain_id || body (device reports: WB_TAG_DEVICE of
 * ledger/device.h). */
WB_MUST_USE int wb_tagged_sign(const char *tag, const uint8_t chain_id[WB_CHAIN_ID_LEN],
                               const uint8_t *body, size_t len, const uint8_t sk[WB_SECKEY_LEN],
                               uint8_t sig[WB_SIG_LEN]);
WB_MUST_USE int wb_tagged_verify(const char *tag, const uint8_t chain_id[WB_CHAIN_ID_LEN],
                                 const uint8_t *body, size_t len,
                                 const uint8_t pk[WB_PUBKEY_LEN], const uint8_t sig[WB_SIG_LEN]);

/* Ed25519 over a message built above. wb_sign returns 0 or WB_ERR_CRYPTO;
 * wb_verify returns 0 or WB_ERR_SIGNATURE. */
WB_MUST_USE int wb_sign(const uint8_t *msg, size_t len, const uint8_t sk[WB_SECKEY_LEN],
                        uint8_t sig[WB_SIG_LEN]);
WB_MUST_USE int wb_verify(const uint8_t *msg, size_t len, const uint8_t pk[WB_PUBKEY_LEN],
                          const uint8_t sig[WB_SIG_LEN]);

#endif
