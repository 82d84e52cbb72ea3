/* Events: encode and decode EventBody, wrap and unwrap SignedEvent, sign and
 * verify with the domain-separated rule ("waybill/event/v1" || chain_id ||
 * body). An event's id is SHA-256(body bytes). */
#ifndef LEDGER_EVENT_H
#define LEDGER_EVENT_H

#include "common/wb_error.h"
#include "ledger/types.h"

/* Encodes ev's fields (not id) as EventBody into out (cap bytes), sets *len
 * and ev->id. Returns 0, WB_ERR_TOO_LARGE or WB_ERR_INVALID (a field over its
 * limit). Field formats (ids, locations) are not checked here. */
WB_MUST_USE int ledger_event_encode(struct ledger_event *ev, uint8_t *out, size_t cap, size_t *len);

/* Decodes body bytes into ev (and ev->id = SHA-256(body)). Checks structure
 * and limits: version 1, known action, submitter 32 bytes, prev 0 or 32
 * bytes, string lengths, and the formats of item id and location (via ids.h).
 * Returns 0, WB_ERR_DECODE or WB_ERR_INVALID/WB_ERR_CHECK_DIGIT with msg.
 * Details: WB_ERR_DECODE when the bytes are empty, over WB_EVENT_BODY_MAX, not
 * an EventBody, or not its canonical encoding (ledger/canon.h: no unknown
 * field, here or in an attribute; fields in number order, each once, minimal
 * varints, no field at its default value, no NUL inside a string: what
 * ledger_event_encode and standard protobuf encoders write), so one event
 * has exactly one encoding and one id. Field values: location may
 * be empty (the rules decide where it is required); attribute keys are 1 to
 * WB_ATTR_KEY_MAX printable ASCII characters without space or '=', each key
 * at most once; values are UTF-8 text without control characters; to_org is
 * printable ASCII. On failure ev is zeroed. */
WB_MUST_USE int ledger_event_decode(const uint8_t *body, size_t len, struct ledger_event *ev,
                                    char *msg, size_t msg_len);

/* Wraps body + signature as SignedEvent bytes. Returns 0 or WB_ERR_TOO_LARGE
 * (body over WB_EVENT_BODY_MAX or output over cap); WB_ERR_INVALID for an
 * empty body. */
WB_MUST_USE int ledger_signed_event_encode(const uint8_t *body, size_t body_len,
                                           const uint8_t sig[WB_SIG_LEN], uint8_t *out, size_t cap,
                                           size_t *len);

/* Splits SignedEvent bytes into body and signature without copying the body:
 * *body points into `buf` (valid while buf is). Returns 0 or WB_ERR_DECODE.
 * Accepts only the canonical layout ledger_signed_event_encode writes: field
 * 1 (body, 1 to WB_EVENT_BODY_MAX bytes) then field 2 (64-byte signature),
 * nothing else, at most WB_SIGNED_EVENT_MAX bytes in all. */
WB_MUST_USE int ledger_signed_event_split(const uint8_t *buf, size_t len, const uint8_t **body,
                                          size_t *body_len, uint8_t sig[WB_SIG_LEN]);

/* Split + decode + signature check against ev->submitter for chain_id.
 * Returns 0, WB_ERR_DECODE/WB_ERR_INVALID/WB_ERR_CHECK_DIGIT (with msg) or
 * WB_ERR_SIGNATURE. With verify_sig false the signature is not checked (for
 * events whose signature this node verified already). On WB_ERR_SIGNATURE ev
 * holds the decoded but unverified event, so a caller can name it; on the
 * other errors ev is zeroed. */
WB_MUST_USE int ledger_signed_event_open(const uint8_t chain_id[WB_CHAIN_ID_LEN],
                                         const uint8_t *buf, size_t len, bool verify_sig,
                                         struct ledger_event *ev, char *msg, size_t msg_len);

/* Encodes ev, signs it with sk for chain_id and writes SignedEvent bytes.
 * Sets ev->id. Returns 0 or an error from the steps above. */
WB_MUST_USE int ledger_event_sign(const uint8_t chain_id[WB_CHAIN_ID_LEN], struct ledger_event *ev,
                                  const uint8_t sk[WB_SECKEY_LEN], uint8_t *out, size_t cap,
                                  size_t *len);

#endif
