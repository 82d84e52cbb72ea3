/* The canonical-encoding check: no unknown field anywhere in the message
 * tree, and packing the decoded message again reproduces the input. */
#include "ledger/canon.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/wb_error.h"

/* Deeper than any message of proto/waybill.proto nests (a Vote in a
 * CommitCert in a ProofBlock in a ProofBundle is 3). */
#define CANON_DEPTH_MAX 16
#define CANON_PATH_MAX 160

/* ---- unknown fields, depth first ----------------------------------------------- */

struct unknown_hit {
    uint32_t tag;
    char path[CANON_PATH_MAX];            /* "" for the top message */
};

/* Appends ".name" or "name" (and "[i]" when repeated) to path at *used. */
static void path_push(char *path, size_t *used, const char *name, bool indexed, size_t i)
{
    size_t n = *used;
    int w = indexed ? snprintf(path + n, CANON_PATH_MAX - n, "%s%s[%zu]", n ? "." : "", name, i)
                    : snprintf(path + n, CANON_PATH_MAX - n, "%s%s", n ? "." : "", name);
    if (w < 0) return;
    n += (size_t)w;
    *used = n < CANON_PATH_MAX ? n : CANON_PATH_MAX - 1;
}

static bool find_unknown(const ProtobufCMessage *m, char *path, size_t used, unsigned depth,
                         struct unknown_hit *hit)
{
    if (m->n_unknown_fields) {
        hit->tag = m->unknown_fields[0].tag;
        memcpy(hit->path, path, used);
        hit->path[used] = '\0';
        return true;
    }
    if (depth >= CANON_DEPTH_MAX) return false;
    const ProtobufCMessageDescriptor *d = m->descriptor;
    const char *base = (const char *)m;
    for (unsigned f = 0; f < d->n_fields; f++) {
        const ProtobufCFieldDescriptor *fd = &d->fields[f];
        if (fd->type != PROTOBUF_C_TYPE_MESSAGE) continue;
        if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n;
            memcpy(&n, base + fd->quantifier_offset, sizeof n);
            ProtobufCMessage *const *arr;
            memcpy(&arr, base + fd->offset, sizeof arr);
            for (size_t i = 0; i < n; i++) {
                if (!arr[i]) continue;
                size_t u = used;
                path_push(path, &u, fd->name, true, i);
                if (find_unknown(arr[i], path, u, depth + 1, hit)) return true;
            }
            continue;
        }
        if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t which;
            memcpy(&which, base + fd->quantifier_offset, sizeof which);
            if (which != fd->id) continue;
        }
        const ProtobufCMessage *sub;
        memcpy(&sub, base + fd->offset, sizeof sub);
        if (!sub) continue;
        size_t u = used;
        path_push(path, &u, fd->name, false, 0);
        if (find_unknown(sub, path, u, depth + 1, hit)) return true;
    }
    return false;
}

/* ---- pack again and compare, without a copy -------------------------------------- */

/* A ProtobufCBuffer that compares what protobuf-c packs against the input,
 * remembering where they first differ. */
struct compare_buffer {
    ProtobufCBuffer base;
    const uint8_t *want;
    size_t len;
    size_t pos;                           /* bytes packed so far */
    bool same;
    size_t differs_at;                    /* when !same: first differing offset */
};

static void compare_append(ProtobufCBuffer *buffer, size_t len, const uint8_t *data)
{
    struct compare_buffer *c = (struct compare_buffer *)buffer;
    if (c->same) {
        size_t avail = c->len - c->pos, n = len < avail ? len : avail;
        if (n && memcmp(c->want + c->pos, data, n) != 0) {
            size_t k = 0;
            while (c->want[c->pos + k] == data[k]) k++;
            c->same = false;
            c->differs_at = c->pos + k;
        } else if (n < len) {
            c->same = false;
            c->differs_at = c->len;
        }
    }
    c->pos += len;
}

bool ledger_pb_has_unknown(const ProtobufCMessage *m)
{
    char path[CANON_PATH_MAX];
    struct unknown_hit hit;
    path[0] = '\0';
    return find_unknown(m, path, 0, 0, &hit);
}

int ledger_pb_canonical(const ProtobufCMessage *m, const uint8_t *bytes, size_t len,
                        const char *what, char *msg, size_t msg_len)
{
    char path[CANON_PATH_MAX];
    struct unknown_hit hit;
    path[0] = '\0';
    if (find_unknown(m, path, 0, 0, &hit)) {
        if (hit.path[0])
            return wb_failf(WB_ERR_DECODE, msg, msg_len, "%s: unknown field %u in %s", what,
                            (unsigned)hit.tag, hit.path);
        return wb_failf(WB_ERR_DECODE, msg, msg_len, "%s: unknown field %u", what,
                        (unsigned)hit.tag);
    }
    struct compare_buffer c = {.base = {.append = compare_append},
                               .want = bytes,
                               .len = len,
                               .pos = 0,
                               .same = true,
                               .differs_at = 0};
    protobuf_c_message_pack_to_buffer(m, &c.base);
    if (c.same && c.pos == len) return WB_OK;
    if (c.same || c.differs_at >= len)
        return wb_failf(WB_ERR_DECODE, msg, msg_len,
                        "%s: not the canonical encoding (%zu bytes; its fields "
                        "encode in %zu)",
                        what, len, c.pos);
    return wb_failf(WB_ERR_DECODE, msg, msg_len,
                    "%s: not the canonical encoding (byte %zu of %zu differs)", what, c.differs_at,
                    len);
}

int ledger_pb_decode(const ProtobufCMessageDescriptor *d, ProtobufCAllocator *alloc,
                     const uint8_t *bytes, size_t len, const char *what, ProtobufCMessage **out,
                     char *msg, size_t msg_len)
{
    *out = NULL;
    ProtobufCMessage *m = protobuf_c_message_unpack(d, alloc, len, bytes);
    if (!m) return wb_failf(WB_ERR_DECODE, msg, msg_len, "%s: malformed protobuf", what);
    int rc = ledger_pb_canonical(m, bytes, len, what, msg, msg_len);
    if (rc) {
        protobuf_c_message_free_unpacked(m, alloc);
        return rc;
    }
    *out = m;
    return WB_OK;
}
