/* net_read.c: the read path of a link: receive buffering across partial
 * reads, cutting the bytes into units (hello, header, frames) under the
 * frame limits, decryption, and dispatch to the handshake step of the
 * link's state or, once it is up, to on_frame. Calls net_handshake.c,
 * net_link.c below it. */
#ifndef WB_NET_READ_INTERNAL_H
#define WB_NET_READ_INTERNAL_H

#include "common/wb_error.h"
#include "node/net/net_internal.h"

/* Starts a connected link: reading its socket, then the handshake
 * (net__hs_start sends our hello). Returns 0 or a wb_err; the caller fails
 * the link. */
WB_MUST_USE int net__read_start(struct net_link *l);

#endif
