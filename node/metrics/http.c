/* The metrics endpoint's HTTP server (http.h): a table of routes over
 * handlers, each answering from a copy of the board's snapshot. */
#include "node/metrics/http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/log.h"
#include "node/env.h"
#include "node/metrics/expo.h"
#include "node/metrics/health.h"
#include "node/metrics/registry.h"

#define CONTENT_METRICS "text/plain; version=0.0.4; charset=utf-8"
#define CONTENT_TEXT "text/plain; charset=utf-8"

struct metrics_http {
    struct MHD_Daemon *daemon;
    struct metrics_board *board;
};

/* A handler's answer: status, content type and body (malloc'd; the
 * response takes it over). */
struct reply {
    unsigned status;
    const char *type;
    char *body;
    size_t len;
};

/* ---- handlers -------------------------------------------------------------------- */

static int reply_text(struct reply *r, unsigned status, const char *text)
{
    size_t n = strlen(text);
    r->body = malloc(n + 2);
    if (!r->body) return WB_ERR_NOMEM;
    memcpy(r->body, text, n);
    r->body[n] = '\n';
    r->body[n + 1] = '\0';
    r->len = n + 1;
    r->status = status;
    r->type = CONTENT_TEXT;
    return WB_OK;
}

static int handle_metrics(const struct metrics_snapshot *s, struct reply *r)
{
    struct expo_buf b;
    expo_buf_init(&b);
    int rc = metrics_registry_write(s, &b);
    if (rc) {
        expo_buf_free(&b);
        return rc;
    }
    r->body = expo_buf_take(&b, &r->len);
    if (!r->body) return reply_text(r, MHD_HTTP_OK, "");
    r->status = MHD_HTTP_OK;
    r->type = CONTENT_METRICS;
    return WB_OK;
}

static int handle_healthz(const struct metrics_snapshot *s, struct reply *r)
{
    char reason[METRICS_REASON_MAX];
    bool ok = metrics_healthy(s, node_now_ms(), reason, sizeof reason);
    return reply_text(r, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, reason);
}

static int handle_readyz(const struct metrics_snapshot *s, struct reply *r)
{
    char reason[METRICS_REASON_MAX];
    bool ok = metrics_ready(s, node_now_ms(), reason, sizeof reason);
    return reply_text(r, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, reason);
}

static const struct route {
    const char *path;
    int (*handle)(const struct metrics_snapshot *s, struct reply *r);
} routes[] = {
    {"/metrics", handle_metrics},
    {"/healthz", handle_healthz},
    {"/readyz", handle_readyz},
};

/* ---- libmicrohttpd ----------------------------------------------------------------- */

static enum MHD_Result send_reply(struct MHD_Connection *conn, struct reply *r, bool allow)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer_with_free_callback(r->len, r->body, free);
    if (!resp) {
        free(r->body);
        return MHD_NO;
    }
    enum MHD_Result ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->type);
    if (ok == MHD_YES)
        ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (ok == MHD_YES && allow) ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    if (ok == MHD_YES) ok = MHD_queue_response(conn, r->status, resp);
    MHD_destroy_response(resp);
    return ok;
}

/* The one callback that sees a request. It answers at once, on the first
 * call: no route takes a body, so none is read. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct metrics_http *h = cls;
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)con_cls;
    struct reply r = {0};
    int rc = WB_OK;
    const struct route *route = NULL;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0] && !route; i++)
        if (strcmp(url, routes[i].path) == 0) route = &routes[i];
    bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
               strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    if (!route) {
        rc = reply_text(&r, MHD_HTTP_NOT_FOUND, "not found; the paths are /metrics, /healthz "
                                                "and /readyz");
    } else if (!get) {
        rc = reply_text(&r, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed; use GET or HEAD");
    } else {
        struct metrics_snapshot *s = malloc(sizeof *s);
        if (!s) return MHD_NO;
        metrics_board_read(h->board, s);
        rc = route->handle(s, &r);
        free(s);
    }
    if (rc) {
        free(r.body);
        r = (struct reply){0};
        if (reply_text(&r, MHD_HTTP_INTERNAL_SERVER_ERROR, wb_strerror(rc)) != WB_OK)
            return MHD_NO;
    }
    return send_reply(conn, &r, route && !get);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
    WB_WARN("metrics", "http server: %s", line);
}

/* ---- start and stop ----------------------------------------------------------------- */

static bool sockaddr_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) return true;
        return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127;
    }
    return false;
}

int metrics_http_start(const struct wb_addr *addr, bool public_ok, struct metrics_board *board,
                       struct metrics_http **out, char *msg, size_t len)
{
    *out = NULL;
    char text[WB_ADDR_STR_MAX], port[8];
    wb_addr_format(addr, text, sizeof text);
    snprintf(port, sizeof port, "%u", (unsigned)addr->port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV | AI_PASSIVE};
    if (addr->kind != WB_ADDR_NAME) hints.ai_flags |= AI_NUMERICHOST;
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(addr->host, port, &hints, &res);
    if (gai != 0)
        return wb_failf(WB_ERR_NOT_FOUND, msg, len, "cannot resolve %s to serve metrics on: %s", text,
                        gai_strerror(gai));
    /* The first IPv4 address, else the first IPv6 one (as node/net does). */
    const struct addrinfo *pick = NULL;
    for (const struct addrinfo *ai = res; ai && !pick; ai = ai->ai_next)
        if (ai->ai_family == AF_INET) pick = ai;
    for (const struct addrinfo *ai = res; ai && !pick; ai = ai->ai_next)
        if (ai->ai_family == AF_INET6) pick = ai;
    int rc = WB_OK;
    if (!pick) {
        rc = wb_failf(WB_ERR_NOT_FOUND, msg, len, "%s has no IPv4 or IPv6 address to serve metrics on",
                      text);
        goto free_res;
    }
    if (!public_ok && !sockaddr_loopback(pick->ai_addr)) {
        rc = wb_failf(WB_ERR_PERMISSION, msg, len,
                      "%s resolves to an address that is not a loopback one; set [metrics] "
                      "public = true to serve metrics on it",
                      text);
        goto free_res;
    }
    struct metrics_http *h = calloc(1, sizeof *h);
    if (!h) {
        rc = wb_failf(WB_ERR_NOMEM, msg, len, "out of memory starting the metrics server");
        goto free_res;
    }
    h->board = board;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
    if (pick->ai_family == AF_INET6) flags |= MHD_USE_IPv6;
    /* The logger first, so that what the other options say goes through it. */
    h->daemon = MHD_start_daemon(flags, addr->port, NULL, NULL, on_request, h,
                                 MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
                                 MHD_OPTION_SOCK_ADDR, pick->ai_addr,
                                 MHD_OPTION_CONNECTION_LIMIT, METRICS_HTTP_CONNECTIONS_MAX,
                                 MHD_OPTION_CONNECTION_TIMEOUT, METRICS_HTTP_TIMEOUT_S,
                                 MHD_OPTION_END);
    if (!h->daemon) {
        free(h);
        rc = wb_failf(WB_ERR_IO, msg, len,
                      "cannot serve metrics on %s (in use, or see the line before)", text);
        goto free_res;
    }
    *out = h;
free_res:
    freeaddrinfo(res);
    return rc;
}

void metrics_http_stop(struct metrics_http *h)
{
    if (!h) return;
    MHD_stop_daemon(h->daemon);
    free(h);
}
