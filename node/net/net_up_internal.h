/* net_up.c: a link whose both identities were verified and accepted going
 * up (the one-link-per-peer rule, the report), and its heartbeats while it
 * is up. Calls net_frame.c and net_link.c below it; tells the dialer
 * through net->hooks (verified, up). */
#ifndef WB_NET_UP_INTERNAL_H
#define WB_NET_UP_INTERNAL_H

#include "node/net/net_internal.h"

/* Both identities verified and accepted (the peer's accept frame arrived):
 * applies the one-link rule (which may close this link or the other one),
 * starts the heartbeats and reports the link up (on_link_up). */
void net__link_up(struct net_link *l);

#endif
