/* net_handshake.c: the handshake steps of a link (DESIGN.md section 6), one
 * per unit the read path delivers. Calls net_up.c, net_frame.c, net_link.c
 * and net_quiet.c below it. Each step fails (or rejects) and closes the
 * link itself on a bad unit. */
#ifndef WB_NET_HANDSHAKE_INTERNAL_H
#define WB_NET_HANDSHAKE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "node/net/net_internal.h"

/* Sets the socket options and sends our hello (the link then waits for the
 * peer's, NET_LINK_HELLO). The read path (net__read_start) calls it once
 * reading has started. Returns 0 or a wb_err (the caller fails the link). */
WB_MUST_USE int net__hs_start(struct net_link *l);
/* The peer's hello: version tag, key exchange; sends our header and PeerAuth. */
void net__hs_on_hello(struct net_link *l, const uint8_t hello[NET_HELLO_LEN]);
/* The peer's secretstream header: opens the receive stream. */
void net__hs_on_header(struct net_link *l, const uint8_t header[NET_HEADER_LEN]);
/* The peer's PeerAuth frame (decrypted): verifies and admits its identity,
 * then sends the empty accept frame, or rejects it (NET_REJECT_BYTE). */
void net__hs_on_auth(struct net_link *l, const uint8_t *pt, size_t len);
/* The peer's second frame (decrypted): empty means it accepted us (the link
 * goes up, net__link_up); NET_REJECT_BYTE that it did not. */
void net__hs_on_accept(struct net_link *l, const uint8_t *pt, size_t len);

#endif
