/* net_dial.c: outbound dials (net_dial). Calls net_read.c, net_link.c and
 * net_addr.c below it, and registers net->hooks, through which the lower
 * layers tell it about its links. */
#ifndef WB_NET_DIAL_INTERNAL_H
#define WB_NET_DIAL_INTERNAL_H

#include "node/net/net_internal.h"

/* Closes every dialer of the net (net_close): no further attempts; each is
 * freed (net__unref) once its timer and any lookup in flight are done. */
void net__dialers_close(struct net *net);

#endif
