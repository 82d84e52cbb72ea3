/* A small blocking client over the net transport, for the CLI: connect,
 * exchange request/response frames, close. Runs a private libuv loop. */
#ifndef WB_NET_CLIENT_H
#define WB_NET_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "node/net/net.h"

struct net_client;

struct net_client_config {
    uint8_t chain_id[32];
    uint8_t identity_pk[32];      /* the client's (member) key */
    uint8_t identity_sk[64];      /* copied; wiped by net_client_close */
    net_authorize_fn authorize;   /* accepts the server's identity; required
                                   * (net_keyset_authorize for a key list) */
    void *authorize_ctx;          /* must outlive the client */
    size_t frame_max;             /* plaintext bytes; 0 = NET_FRAME_MAX_DEFAULT */
    char *why;                    /* optional (NULL): after WB_ERR_NOT_FOUND, the
                                   * resolver's answer; "" otherwise */
    size_t why_len;               /* bytes at why; NET_CLIENT_WHY_MAX suffices */
    enum wb_log_level log_level;  /* the client's transport logs nothing below
                                   * it (struct net_config); 0 = WB_LOG_DEBUG */
};

#define NET_CLIENT_WHY_MAX 128

/* Connects to "host:port" (node/net.h: a name is resolved first) and
 * completes the handshake within timeout_ms. `cfg` is copied (but for
 * why). Returns 0 and *out, or WB_ERR_UNREACHABLE (connect failed),
 * WB_ERR_NOT_FOUND (the name did not resolve: cfg->why says why),
 * WB_ERR_TIMEOUT, WB_ERR_CLOSED (the server closed the connection before
 * the handshake finished: overloaded, evicted from its handshake pool, or
 * shutting down), WB_ERR_REFUSED (the server said it does not accept our
 * key), WB_ERR_PERMISSION (the server's key is not one `authorize` accepts,
 * or its signature does not verify: another chain id), WB_ERR_PROTOCOL
 * (not a waybill/net/v1 peer, or a broken handshake), WB_ERR_INVALID (bad
 * address or config), WB_ERR_NOMEM, WB_ERR_IO. */
WB_MUST_USE int net_client_connect(const char *addr, const struct net_client_config *cfg,
                                   uint32_t timeout_ms, struct net_client **out);

/* The server's authenticated identity key (valid until net_client_close). */
const uint8_t *net_client_server_key(const struct net_client *client);

/* Sends one frame (len <= frame_max). Returns 0, WB_ERR_TOO_LARGE,
 * WB_ERR_CLOSED (connection gone), WB_ERR_NOMEM, WB_ERR_IO. */
WB_MUST_USE int net_client_send(struct net_client *client, const uint8_t *req, size_t len);

/* Waits up to timeout_ms for the next frame; *resp is malloc'd (caller frees;
 * non-NULL even for an empty frame), *resp_len its length. Frames arriving
 * early are kept in order (at most 64; more closes the connection).
 * Returns 0, WB_ERR_TIMEOUT (the connection is then closed: a late answer
 * could not be matched), WB_ERR_CLOSED, WB_ERR_NOMEM. */
WB_MUST_USE int net_client_recv(struct net_client *client, uint8_t **resp, size_t *resp_len,
                                uint32_t timeout_ms);

/* net_client_send then net_client_recv: one frame out, one frame back. */
WB_MUST_USE int net_client_request(struct net_client *client, const uint8_t *req, size_t len,
                                   uint8_t **resp, size_t *resp_len, uint32_t timeout_ms);

/* Closes the connection, runs the private loop until every handle is closed,
 * wipes secrets and frees. NULL is a no-op. */
void net_client_close(struct net_client *client);

#endif
