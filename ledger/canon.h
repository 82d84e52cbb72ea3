/* One canonical encoding: the check every decoder of signed, hashed or
 * verified protobuf bytes applies, so that any byte string accepted is the
 * one encoding of its message (docs/formats.md, "Canonical encoding"). */
#ifndef LEDGER_CANON_H
#define LEDGER_CANON_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"

/* Checks that `bytes` (len of them), from which protobuf-c unpacked `m`, are
 * the canonical encoding of m:
 *  - neither m nor any message nested in it (singular, repeated or oneof
 *    member, at any depth) holds an unknown field; protobuf-c keeps and
 *    re-emits those, so the comparison below alone would not see them;
 *  - packing m again gives exactly `bytes`: fields in field-number order,
 *    each singular field at most once, minimal varints (tags, lengths and
 *    values), no proto3 scalar, string or bytes field at its default value
 *    (0, "" or empty) written, repeated scalars packed, no NUL inside a
 *    string, nothing after the last field.
 * `what` names the message type in the reason ("block header"). Returns 0,
 * or WB_ERR_DECODE with msg (may be NULL) set to one of
 *   "<what>: unknown field N"            (in m itself)
 *   "<what>: unknown field N in PATH"    (PATH like "events[3]" or
 *                                         "blocks[0].cert.precommits[2]")
 *   "<what>: not the canonical encoding (byte K of L differs)"
 *   "<what>: not the canonical encoding (L bytes; its fields encode in M)"
 * Allocates nothing; m and bytes are only read. */
WB_MUST_USE int ledger_pb_canonical(const ProtobufCMessage *m, const uint8_t *bytes, size_t len,
                                    const char *what, char *msg, size_t msg_len);

/* Whether m or a message nested in it (singular, repeated or oneof member,
 * at any depth) holds an unknown field: the first check of
 * ledger_pb_canonical, on its own. */
bool ledger_pb_has_unknown(const ProtobufCMessage *m);

/* Unpacks `bytes` as a message of type d (alloc may be NULL: protobuf-c's
 * default allocator) and checks it with ledger_pb_canonical. On 0, *out is
 * the message (free it with protobuf_c_message_free_unpacked and the same
 * allocator); otherwise *out is NULL and the result is WB_ERR_DECODE with
 * msg "<what>: malformed protobuf" or one of ledger_pb_canonical's. */
WB_MUST_USE int ledger_pb_decode(const ProtobufCMessageDescriptor *d, ProtobufCAllocator *alloc,
                                 const uint8_t *bytes, size_t len, const char *what,
                                 ProtobufCMessage **out, char *msg, size_t msg_len);

#endif
