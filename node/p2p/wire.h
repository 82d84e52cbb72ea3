/* Sending on the validator links: one encoded message to one link or to
 * every link. The lowest file of node/p2p (it calls nothing else there). */
#ifndef NODE_P2P_WIRE_H
#define NODE_P2P_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "node/net/net.h"
#include "proto/waybill.pb-c.h"

/* net_send of len bytes to link. A failure other than an oversized message
 * has closed the link already (net.h) and the peer gets everything again
 * when it reconnects, so only the oversized case is worth a WARN. */
void node_wire_send_bytes(struct net_link *link, const uint8_t *buf, size_t len);

/* Encodes m and sends it to `only`, or to every link of net when only is NULL. */
void node_wire_send(struct net *net, struct net_link *only, const Waybill__PeerMessage *m);

#endif
