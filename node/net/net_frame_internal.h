/* net_frame.c: the write path of a link: raw writes (hello, header), sealed
 * frames (u32 BE length || secretstream ciphertext) and the per-link send
 * bound. Calls net_link.c below it. */
#ifndef WB_NET_FRAME_INTERNAL_H
#define WB_NET_FRAME_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "node/net/net_internal.h"

/* A write request holding `len` bytes to lay out (net__wreq_data), for an
 * application frame when `app` (counted in frames_sent/dropped). NULL when
 * out of memory. Freed by net__write, or by the caller (free) if it is not
 * written. */
struct net_wreq;
struct net_wreq *net__wreq_new(size_t len, bool app);
uint8_t *net__wreq_data(struct net_wreq *w);
/* Queues a write request made by net__wreq_new (takes it). A failed write
 * fails the link. Returns 0 or WB_ERR_IO. */
WB_MUST_USE int net__write(struct net_link *l, struct net_wreq *w);
/* Seals `len` plaintext bytes as one frame into `out` (NET_LEN_BYTES + len +
 * NET_ABYTES bytes). Returns 0 or WB_ERR_CRYPTO. */
WB_MUST_USE int net__frame_seal(struct net_link *l, const uint8_t *pt, size_t len, uint8_t *out);
/* Seals and queues one frame; over the send bound, or failing, it fails the
 * link. Returns 0, WB_ERR_BUSY, WB_ERR_NOMEM, WB_ERR_CRYPTO or WB_ERR_IO. */
WB_MUST_USE int net__frame_send(struct net_link *l, const uint8_t *pt, size_t len, bool app);

#endif
