/* Blocking client over the net transport: a private libuv loop that runs
 * only inside net_client_* calls, until their condition or deadline. */
#include "node/net/net_client.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "node/net/net_link_internal.h"

#define LOG_MOD "net"
#define NET_CLIENT_QUEUE_MAX 64u

struct net_client_frame {
    struct net_client_frame *next;
    uint8_t *data;
    size_t len;
};

struct net_client {
    uv_loop_t loop;
    uv_timer_t timer;
    bool timer_inited;
    bool timer_fired;
    struct net *net;
    struct net_link *link; /* NULL before the handshake and once closed */
    bool closed;           /* the link went down or was given up */
    bool dial_done;
    int dial_err;
    char dial_why[NET_CLIENT_WHY_MAX]; /* the resolver's answer, or "" */
    net_authorize_fn authorize;
    void *authorize_ctx;
    enum wb_log_level log_level; /* cfg.log_level, for records after the net is gone */
    uint8_t server_pk[32];
    struct net_client_frame *head, *tail;
    size_t queued;
};

static bool client_authorize(void *ctx, const uint8_t peer_pk[32])
{
    struct net_client *c = ctx;
    return c->authorize(c->authorize_ctx, peer_pk);
}

static void client_on_link_up(void *ctx, struct net_link *link, const uint8_t peer_pk[32])
{
    struct net_client *c = ctx;
    c->link = link;
    memcpy(c->server_pk, peer_pk, sizeof c->server_pk);
}

static void client_on_frame(void *ctx, struct net_link *link, const uint8_t *data, size_t len)
{
    struct net_client *c = ctx;
    if (c->queued >= NET_CLIENT_QUEUE_MAX) {
        wb_log_at(c->log_level, WB_LOG_WARN, LOG_MOD,
                  "client: more than %u unread frames from %s, closing", NET_CLIENT_QUEUE_MAX,
                  net_link_peer_addr(link));
        net_link_close(link);
        c->link = NULL;
        c->closed = true;
        return;
    }
    struct net_client_frame *f = malloc(sizeof *f);
    uint8_t *copy = malloc(len ? len : 1);
    if (!f || !copy) {
        free(f);
        free(copy);
        net_link_close(link);
        c->link = NULL;
        c->closed = true;
        return;
    }
    if (len) memcpy(copy, data, len);
    f->data = copy;
    f->len = len;
    f->next = NULL;
    if (c->tail) c->tail->next = f;
    else c->head = f;
    c->tail = f;
    c->queued++;
}

static void client_on_link_down(void *ctx, struct net_link *link, int reason)
{
    struct net_client *c = ctx;
    (void)reason;
    if (c->link == link) c->link = NULL;
    c->closed = true;
}

static void client_on_dial_fail(void *ctx, const char *addr, int err, const char *why,
                                bool will_retry)
{
    struct net_client *c = ctx;
    (void)addr;
    (void)will_retry;
    c->dial_done = true;
    c->dial_err = err;
    snprintf(c->dial_why, sizeof c->dial_why, "%s", why ? why : "");
}

static void client_on_timer(uv_timer_t *t)
{
    struct net_client *c = t->data;
    c->timer_fired = true;
}

static void client_on_net_closed(void *ctx)
{
    struct net_client *c = ctx;
    c->net = NULL;
}

static bool client_connected(const struct net_client *c)
{
    return c->link != NULL || c->dial_done || c->closed;
}

static bool client_has_frame(const struct net_client *c)
{
    return c->head != NULL || c->link == NULL;
}

/* Runs the private loop until done(c) or timeout_ms passed. */
static int client_wait(struct net_client *c, bool (*done)(const struct net_client *),
                       uint32_t timeout_ms)
{
    if (done(c)) return WB_OK;
    c->timer_fired = false;
    int rc = uv_timer_start(&c->timer, client_on_timer, timeout_ms, 0);
    if (rc) return net__uv_err(rc);
    while (!done(c) && !c->timer_fired) uv_run(&c->loop, UV_RUN_ONCE);
    rc = uv_timer_stop(&c->timer);
    WB_ASSERT(rc == 0);
    return done(c) ? WB_OK : WB_ERR_TIMEOUT;
}

/* Closes everything, runs the loop until every handle is closed, frees. */
static void client_destroy(struct net_client *c)
{
    if (c->net) net_close(c->net, client_on_net_closed);
    if (c->timer_inited) uv_close((uv_handle_t *)&c->timer, NULL);
    int rc = uv_run(&c->loop, UV_RUN_DEFAULT);
    WB_ASSERT(rc == 0 && c->net == NULL);
    rc = uv_loop_close(&c->loop);
    if (rc)
        wb_log_at(c->log_level, WB_LOG_ERROR, LOG_MOD, "client: loop did not close: %s",
                  uv_strerror(rc));
    while (c->head) {
        struct net_client_frame *f = c->head;
        c->head = f->next;
        free(f->data);
        free(f);
    }
    sodium_memzero(c, sizeof *c);
    free(c);
}

int net_client_connect(const char *addr, const struct net_client_config *cfg,
                       uint32_t timeout_ms, struct net_client **out)
{
    if (cfg && cfg->why && cfg->why_len) cfg->why[0] = '\0';
    if (!addr || !cfg || !cfg->authorize || !out) return WB_ERR_INVALID;
    struct net_client *c = calloc(1, sizeof *c);
    if (!c) return WB_ERR_NOMEM;
    c->authorize = cfg->authorize;
    c->authorize_ctx = cfg->authorize_ctx;
    c->log_level = cfg->log_level;
    int rc = uv_loop_init(&c->loop);
    if (rc) {
        free(c);
        return net__uv_err(rc);
    }
    rc = uv_timer_init(&c->loop, &c->timer);
    if (rc) {
        rc = net__uv_err(rc);
        goto err_after_loop;
    }
    c->timer.data = c;
    c->timer_inited = true;

    struct net_config nc;
    memset(&nc, 0, sizeof nc);
    nc.name = "client";
    memcpy(nc.chain_id, cfg->chain_id, sizeof nc.chain_id);
    memcpy(nc.identity_pk, cfg->identity_pk, sizeof nc.identity_pk);
    memcpy(nc.identity_sk, cfg->identity_sk, sizeof nc.identity_sk);
    nc.authorize = client_authorize;
    nc.ctx = c;
    nc.frame_max = cfg->frame_max ? cfg->frame_max : NET_FRAME_MAX_DEFAULT;
    nc.send_queue_max = 4 * (nc.frame_max + NET_LEN_BYTES + NET_ABYTES);
    /* Our own deadline below reports the timeout; this one only bounds the
     * link should the caller's be longer than a day. */
    nc.handshake_timeout_ms = timeout_ms < 86400000u ? timeout_ms + 1000u : 86401000u;
    nc.links_max = 1;
    nc.log_level = cfg->log_level;
    nc.on_link_up = client_on_link_up;
    nc.on_frame = client_on_frame;
    nc.on_link_down = client_on_link_down;
    nc.on_dial_fail = client_on_dial_fail;
    rc = net_create(&c->loop, &nc, &c->net);
    sodium_memzero(&nc, sizeof nc);
    if (rc) goto err_after_loop;
    rc = net_dial(c->net, addr, NULL, false);
    if (rc) goto err_after_loop;

    rc = client_wait(c, client_connected, timeout_ms);
    if (rc) goto err_after_loop;
    if (!c->link) {
        switch (c->dial_done ? c->dial_err : WB_ERR_CLOSED) {
        case WB_ERR_UNREACHABLE:
            rc = WB_ERR_UNREACHABLE;
            break;
        case WB_ERR_NOT_FOUND:
            rc = WB_ERR_NOT_FOUND;
            if (cfg->why && cfg->why_len)
                snprintf(cfg->why, cfg->why_len, "%s", c->dial_why);
            break;
        case WB_ERR_TIMEOUT:
            rc = WB_ERR_TIMEOUT;
            break;
        case WB_ERR_NOMEM:
            rc = WB_ERR_NOMEM;
            break;
        case WB_ERR_REFUSED:    /* the server said it does not accept our key */
        case WB_ERR_PERMISSION: /* we do not accept the server's key */
        case WB_ERR_CLOSED:     /* the server hung up mid-handshake (e.g. overloaded) */
            rc = c->dial_err;
            break;
        case WB_ERR_SIGNATURE: /* its signature does not verify: another chain id */
            rc = WB_ERR_PERMISSION;
            break;
        default:
            rc = WB_ERR_PROTOCOL;
            break;
        }
        goto err_after_loop;
    }
    *out = c;
    return WB_OK;

err_after_loop:
    client_destroy(c);
    return rc;
}

const uint8_t *net_client_server_key(const struct net_client *client)
{
    return client->server_pk;
}

int net_client_send(struct net_client *client, const uint8_t *req, size_t len)
{
    if (!client->link || client->closed) return WB_ERR_CLOSED;
    int rc = net_send(client->link, req, len);
    if (rc == WB_ERR_BUSY) rc = WB_ERR_CLOSED;
    /* One non-blocking turn of the loop completes the write if the kernel
     * took it all, so queued bytes do not pile up between calls. */
    uv_run(&client->loop, UV_RUN_NOWAIT);
    return rc;
}

int net_client_recv(struct net_client *client, uint8_t **resp, size_t *resp_len,
                    uint32_t timeout_ms)
{
    if (!client->head) {
        if (!client->link || client->closed) return WB_ERR_CLOSED;
        int rc = client_wait(client, client_has_frame, timeout_ms);
        if (rc == WB_ERR_TIMEOUT) {
            net_link_close(client->link);
            client->link = NULL;
            client->closed = true;
            return rc;
        }
        if (rc) return rc;
        if (!client->head) return WB_ERR_CLOSED;
    }
    struct net_client_frame *f = client->head;
    client->head = f->next;
    if (!client->head) client->tail = NULL;
    client->queued--;
    *resp = f->data;
    *resp_len = f->len;
    free(f);
    return WB_OK;
}

int net_client_request(struct net_client *client, const uint8_t *req, size_t len,
                       uint8_t **resp, size_t *resp_len, uint32_t timeout_ms)
{
    int rc = net_client_send(client, req, len);
    if (rc) return rc;
    return net_client_recv(client, resp, resp_len, timeout_ms);
}

void net_client_close(struct net_client *client)
{
    if (client) client_destroy(client);
}
