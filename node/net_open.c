/* Opening an endpoint (net_open.h). */
#include "node/net_open.h"

#include <string.h>

#include <sodium.h>

#include "common/log.h"

int node_net_open(const struct node_env *env, const struct node_identity *id,
                  struct net_config *nc, const struct wb_addr *listen, struct net **out)
{
    memcpy(nc->chain_id, env->genesis->chain_id, WB_CHAIN_ID_LEN);
    memcpy(nc->identity_pk, id->pk, WB_PUBKEY_LEN);
    memcpy(nc->identity_sk, id->sk, WB_SECKEY_LEN);
    nc->frame_max = env->cfg->limits.frame_bytes_max;
    nc->send_queue_max = (size_t)env->cfg->limits.frame_bytes_max * 4;
    nc->handshake_timeout_ms = env->cfg->limits.handshake_timeout_ms;
    nc->pending_max = env->cfg->limits.handshakes_max;
    nc->pending_per_source_max = env->cfg->limits.handshakes_per_source_max;
    int rc = net_create(env->loop, nc, out);
    sodium_memzero(nc->identity_sk, sizeof nc->identity_sk);
    if (rc) return rc;
    char addr[WB_ADDR_STR_MAX];
    wb_addr_format(listen, addr, sizeof addr);
    rc = net_listen(*out, addr);
    if (rc == WB_ERR_NOT_FOUND) /* the net layer logged the resolver's answer */
        WB_ERROR(nc->name, "cannot listen on %s: cannot resolve '%s'", addr, listen->host);
    else if (rc) WB_ERROR(nc->name, "cannot listen on %s: %s", addr, wb_strerror(rc));
    else WB_INFO(nc->name, "listening on %s", addr);
    return rc;
}
