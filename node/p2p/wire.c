/* Sending on the validator links (wire.h). */
#include "node/p2p/wire.h"

#include <stdlib.h>

#include "common/log.h"
#include "common/wb_error.h"

void node_wire_send_bytes(struct net_link *link, const uint8_t *buf, size_t len)
{
    int rc = net_send(link, buf, len);
    if (rc == WB_ERR_TOO_LARGE)
        WB_WARN("p2p", "a %zu-byte message is over the frame limit; not sent to %s", len,
                net_link_peer_addr(link));
    else if (rc)
        WB_DEBUG("p2p", "send to %s failed: %s", net_link_peer_addr(link), wb_strerror(rc));
}

void node_wire_send(struct net *net, struct net_link *only, const Waybill__PeerMessage *m)
{
    size_t len = waybill__peer_message__get_packed_size(m);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        WB_ERROR("p2p", "out of memory encoding a peer message");
        return;
    }
    waybill__peer_message__pack(m, buf);
    if (only) node_wire_send_bytes(only, buf, len);
    else net_broadcast(net, buf, len);
    free(buf);
}
