/* Unit tests of the blocking net client against a net server running its own
 * loop in a second thread, on 127.0.0.1: round trips and the error codes a
 * CLI maps to exit statuses (unreachable, timeout, refused, closed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "common/log.h"
#include "common/wb_error.h"
#include "node/net/net.h"
#include "node/net/net_client.h"

#define CLIENT_TIMEOUT_MS 5000u
#define SERVER_FRAME_MAX (70u * 1024u)
#define CLIENT_FRAME_MAX (64u * 1024u)

static const uint8_t chain[32] = {0x7e, 0x57};

struct ident {
    uint8_t pk[32], sk[64];
};

/* A server endpoint: echoes "re:" + request, ignores requests starting with
 * 'X', closes the link on requests starting with 'Q'. */
struct server {
    uv_loop_t loop;
    uv_async_t stop;
    pthread_t thread;
    struct net *net;
    struct ident id;
    uint8_t allowed[2][32];
    struct net_keyset keyset;
    char addr[NET_ADDR_MAX];
    struct net_stats final; /* copied on the server thread just before closing */
    int ups, downs, errors;
    uv_timer_t snap_timer;      /* copies the counters for the test thread */
    pthread_mutex_t snap_lock;
    struct net_stats snap;
};

static void srv_on_up(void *ctx, struct net_link *link, const uint8_t pk[32])
{
    struct server *s = ctx;
    (void)link;
    (void)pk;
    s->ups++;
}

/* Runs on the server thread: no cmocka asserts here, errors are counted and
 * checked by the test thread after the join. */
static void srv_on_frame(void *ctx, struct net_link *link, const uint8_t *data, size_t len)
{
    struct server *s = ctx;
    if (len > 0 && data[0] == 'X') return;
    if (len > 0 && data[0] == 'Q') {
        net_link_close(link);
        return;
    }
    uint8_t *out = malloc(len + 3);
    if (!out) {
        s->errors++;
        net_link_close(link);
        return;
    }
    memcpy(out, "re:", 3);
    if (len) memcpy(out + 3, data, len);
    if (net_send(link, out, len + 3) != WB_OK) s->errors++;
    free(out);
}

static void srv_on_down(void *ctx, struct net_link *link, int reason)
{
    struct server *s = ctx;
    (void)link;
    (void)reason;
    s->downs++;
}

static bool srv_authorize(void *ctx, const uint8_t pk[32])
{
    struct server *s = ctx;
    return net_keyset_authorize(&s->keyset, pk);
}

static void srv_on_snap(uv_timer_t *t)
{
    struct server *s = t->data;
    pthread_mutex_lock(&s->snap_lock);
    net_get_stats(s->net, &s->snap);
    pthread_mutex_unlock(&s->snap_lock);
}

static void srv_on_stop(uv_async_t *a)
{
    struct server *s = a->data;
    net_get_stats(s->net, &s->final);
    net_close(s->net, NULL);
    uv_close((uv_handle_t *)&s->stop, NULL);
    uv_close((uv_handle_t *)&s->snap_timer, NULL);
}

/* Waits (at most 10 s) until the server thread has counted `want` handshake
 * failures: a client giving up does not wait for the server to notice. */
static void server_wait_handshake_failures(struct server *s, uint64_t want)
{
    for (int i = 0; i < 2000; i++) {
        pthread_mutex_lock(&s->snap_lock);
        uint64_t got = s->snap.handshake_failures;
        pthread_mutex_unlock(&s->snap_lock);
        if (got >= want) return;
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    fail_msg("server never counted %llu handshake failures", (unsigned long long)want);
}

static void *srv_main(void *arg)
{
    struct server *s = arg;
    uv_run(&s->loop, UV_RUN_DEFAULT);
    return NULL;
}

/* Starts a server that accepts the given client keys (n may be 0). */
static void server_start(struct server *s, const struct ident *clients, size_t n)
{
    memset(s, 0, sizeof *s);
    assert_int_equal(crypto_sign_keypair(s->id.pk, s->id.sk), 0);
    for (size_t i = 0; i < n; i++) memcpy(s->allowed[i], clients[i].pk, 32);
    s->keyset.keys = (const uint8_t(*)[32])s->allowed;
    s->keyset.count = n;
    assert_int_equal(uv_loop_init(&s->loop), 0);
    struct net_config c;
    memset(&c, 0, sizeof c);
    c.name = "server";
    memcpy(c.chain_id, chain, 32);
    memcpy(c.identity_pk, s->id.pk, 32);
    memcpy(c.identity_sk, s->id.sk, 64);
    c.authorize = srv_authorize;
    c.ctx = s;
    c.frame_max = SERVER_FRAME_MAX;
    c.on_link_up = srv_on_up;
    c.on_frame = srv_on_frame;
    c.on_link_down = srv_on_down;
    assert_int_equal(net_create(&s->loop, &c, &s->net), WB_OK);
    assert_int_equal(net_listen(s->net, "127.0.0.1:0"), WB_OK);
    uint16_t port;
    assert_int_equal(net_bound_port(s->net, &port), WB_OK);
    snprintf(s->addr, sizeof s->addr, "127.0.0.1:%u", port);
    assert_int_equal(uv_async_init(&s->loop, &s->stop, srv_on_stop), 0);
    s->stop.data = s;
    assert_int_equal(pthread_mutex_init(&s->snap_lock, NULL), 0);
    assert_int_equal(uv_timer_init(&s->loop, &s->snap_timer), 0);
    s->snap_timer.data = s;
    assert_int_equal(uv_timer_start(&s->snap_timer, srv_on_snap, 5, 5), 0);
    assert_int_equal(pthread_create(&s->thread, NULL, srv_main, s), 0);
}

static void server_stop(struct server *s)
{
    assert_int_equal(uv_async_send(&s->stop), 0);
    assert_int_equal(pthread_join(s->thread, NULL), 0);
    int rc = uv_loop_close(&s->loop);
    if (rc) fail_msg("server loop still has handles: %s", uv_strerror(rc));
    pthread_mutex_destroy(&s->snap_lock);
}

static void client_config(struct net_client_config *cfg, const struct ident *me,
                          struct net_keyset *servers)
{
    memset(cfg, 0, sizeof *cfg);
    memcpy(cfg->chain_id, chain, 32);
    memcpy(cfg->identity_pk, me->pk, 32);
    memcpy(cfg->identity_sk, me->sk, 64);
    cfg->authorize = net_keyset_authorize;
    cfg->authorize_ctx = servers;
    cfg->frame_max = CLIENT_FRAME_MAX;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Requests of sizes 0..frame_max come back echoed, in order, on one connection. */
static void round_trips(void **state)
{
    (void)state;
    struct ident me;
    assert_int_equal(crypto_sign_keypair(me.pk, me.sk), 0);
    struct server s;
    server_start(&s, &me, 1);
    uint8_t keys[1][32];
    memcpy(keys[0], s.id.pk, 32);
    struct net_keyset servers = {.keys = (const uint8_t(*)[32])keys, .count = 1};
    struct net_client_config cfg;
    client_config(&cfg, &me, &servers);
    struct net_client *c = NULL;
    int rc = net_client_connect(s.addr, &cfg, CLIENT_TIMEOUT_MS, &c);
    if (rc) fail_msg("connect: %s", wb_strerror(rc));
    assert_memory_equal(net_client_server_key(c), s.id.pk, 32);
    /* The same server by name: "localhost" goes through the resolver. */
    char named[NET_ADDR_MAX];
    snprintf(named, sizeof named, "localhost%s", strrchr(s.addr, ':'));
    struct net_client *by_name = NULL;
    rc = net_client_connect(named, &cfg, CLIENT_TIMEOUT_MS, &by_name);
    if (rc) fail_msg("connect to %s: %s", named, wb_strerror(rc));
    assert_memory_equal(net_client_server_key(by_name), s.id.pk, 32);
    net_client_close(by_name);

    const size_t sizes[] = {0, 1, 100, 4096, CLIENT_FRAME_MAX - 3};
    uint8_t *req = malloc(CLIENT_FRAME_MAX + 1);
    assert_non_null(req);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        for (size_t j = 0; j < n; j++) req[j] = (uint8_t)(j * 13 + i);
        if (n) req[0] = 'r';
        uint8_t *resp = NULL;
        size_t resp_len = 0;
        rc = net_client_request(c, req, n, &resp, &resp_len, CLIENT_TIMEOUT_MS);
        if (rc) fail_msg("request of %zu bytes: %s", n, wb_strerror(rc));
        assert_int_equal(resp_len, n + 3);
        assert_memory_equal(resp, "re:", 3);
        if (n) assert_memory_equal(resp + 3, req, n);
        free(resp);
    }
    assert_int_equal(net_client_send(c, req, CLIENT_FRAME_MAX + 1), WB_ERR_TOO_LARGE);
    free(req);

    /* Two requests sent before reading: answers come back in order. */
    assert_int_equal(net_client_send(c, (const uint8_t *)"r1", 2), WB_OK);
    assert_int_equal(net_client_send(c, (const uint8_t *)"r2", 2), WB_OK);
    for (int i = 1; i <= 2; i++) {
        uint8_t *resp;
        size_t len;
        assert_int_equal(net_client_recv(c, &resp, &len, CLIENT_TIMEOUT_MS), WB_OK);
        char want[8];
        snprintf(want, sizeof want, "re:r%d", i);
        assert_int_equal(len, 5);
        assert_memory_equal(resp, want, 5);
        free(resp);
    }
    net_client_close(c);
    server_stop(&s);
    assert_int_equal(s.errors, 0);
    assert_int_equal(s.ups, 2); /* the frames' connection and the one by name */
    assert_int_equal(s.final.frames_received, 7);
    assert_int_equal(s.final.handshake_failures + s.final.links_refused, 0);
}

/* An unanswered request times out near its deadline; the connection is then
 * given up, and a server closing the link gives WB_ERR_CLOSED. */
static void request_timeout_and_closed(void **state)
{
    (void)state;
    struct ident me;
    assert_int_equal(crypto_sign_keypair(me.pk, me.sk), 0);
    struct server s;
    server_start(&s, &me, 1);
    uint8_t keys[1][32];
    memcpy(keys[0], s.id.pk, 32);
    struct net_keyset servers = {.keys = (const uint8_t(*)[32])keys, .count = 1};
    struct net_client_config cfg;
    client_config(&cfg, &me, &servers);

    struct net_client *c = NULL;
    assert_int_equal(net_client_connect(s.addr, &cfg, CLIENT_TIMEOUT_MS, &c), WB_OK);
    uint8_t *resp = NULL;
    size_t len = 0;
    uint64_t t0 = now_ms();
    int rc = net_client_request(c, (const uint8_t *)"Xignored", 8, &resp, &len, 300);
    uint64_t took = now_ms() - t0;
    if (rc != WB_ERR_TIMEOUT) fail_msg("unanswered request: got %s", wb_strerror(rc));
    if (took < 250 || took > 3000) fail_msg("timeout after %llu ms, wanted about 300",
                                            (unsigned long long)took);
    assert_int_equal(net_client_request(c, (const uint8_t *)"r", 1, &resp, &len, 300),
                     WB_ERR_CLOSED);
    net_client_close(c);

    c = NULL;
    assert_int_equal(net_client_connect(s.addr, &cfg, CLIENT_TIMEOUT_MS, &c), WB_OK);
    rc = net_client_request(c, (const uint8_t *)"Quit", 4, &resp, &len, CLIENT_TIMEOUT_MS);
    if (rc != WB_ERR_CLOSED) fail_msg("server closed the link: got %s", wb_strerror(rc));
    assert_int_equal(net_client_send(c, (const uint8_t *)"r", 1), WB_ERR_CLOSED);
    net_client_close(c);
    server_stop(&s);
    assert_int_equal(s.ups, 2);
}

/* The server refusing the client's key ends the connect with WB_ERR_REFUSED
 * (it says so with its reject frame); the client refusing the server's with
 * WB_ERR_PERMISSION. */
static void handshake_refused_either_way(void **state)
{
    (void)state;
    struct ident me, other;
    assert_int_equal(crypto_sign_keypair(me.pk, me.sk), 0);
    assert_int_equal(crypto_sign_keypair(other.pk, other.sk), 0);
    struct server s;
    server_start(&s, &other, 1); /* does not accept `me` */
    uint8_t keys[1][32];
    memcpy(keys[0], s.id.pk, 32);
    struct net_keyset servers = {.keys = (const uint8_t(*)[32])keys, .count = 1};
    struct net_client_config cfg;
    client_config(&cfg, &me, &servers);
    struct net_client *c = NULL;
    int rc = net_client_connect(s.addr, &cfg, CLIENT_TIMEOUT_MS, &c);
    if (rc != WB_ERR_REFUSED) fail_msg("server refusing our key: got %s", wb_strerror(rc));
    assert_null(c);

    /* Client accepts only a key the server does not hold. */
    struct net_keyset nobody = {.keys = (const uint8_t(*)[32])other.pk, .count = 1};
    struct net_client_config cfg2;
    client_config(&cfg2, &other, &nobody);
    rc = net_client_connect(s.addr, &cfg2, CLIENT_TIMEOUT_MS, &c);
    if (rc != WB_ERR_PERMISSION) fail_msg("refusing the server's key: got %s", wb_strerror(rc));
    server_wait_handshake_failures(&s, 1);
    server_stop(&s);
    assert_int_equal(s.ups, 0);
    assert_int_equal(s.final.links_refused, 1);
    assert_int_equal(s.final.handshake_failures, 1);
}

/* Nothing listening: WB_ERR_UNREACHABLE. A listener that never speaks:
 * WB_ERR_TIMEOUT at the deadline. A bad address: WB_ERR_INVALID. */
static void unreachable_and_connect_timeout(void **state)
{
    (void)state;
    struct ident me;
    assert_int_equal(crypto_sign_keypair(me.pk, me.sk), 0);
    struct net_keyset servers = {.keys = (const uint8_t(*)[32])me.pk, .count = 1};
    struct net_client_config cfg;
    client_config(&cfg, &me, &servers);

    /* A port that was free a moment ago: bind, read it, close. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t sl = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    char addr[NET_ADDR_MAX];
    snprintf(addr, sizeof addr, "127.0.0.1:%u", ntohs(sa.sin_port));
    struct net_client *c = NULL;
    close(fd);
    int rc = net_client_connect(addr, &cfg, CLIENT_TIMEOUT_MS, &c);
    if (rc != WB_ERR_UNREACHABLE) fail_msg("closed port: got %s", wb_strerror(rc));

    /* A socket that listens (the kernel completes connects) but never answers. */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    sa.sin_port = 0;
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(fd, 4), 0);
    sl = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    snprintf(addr, sizeof addr, "127.0.0.1:%u", ntohs(sa.sin_port));
    uint64_t t0 = now_ms();
    rc = net_client_connect(addr, &cfg, 300, &c);
    uint64_t took = now_ms() - t0;
    close(fd);
    if (rc != WB_ERR_TIMEOUT) fail_msg("silent server: got %s", wb_strerror(rc));
    if (took < 250 || took > 3000)
        fail_msg("connect timeout after %llu ms, wanted about 300", (unsigned long long)took);

    assert_int_equal(net_client_connect("nowhere", &cfg, 300, &c), WB_ERR_INVALID);

    /* A name that does not resolve: NOT_FOUND, and the resolver's answer. */
    char why[NET_CLIENT_WHY_MAX];
    memset(why, 'x', sizeof why);
    cfg.why = why;
    cfg.why_len = sizeof why;
    rc = net_client_connect("nowhere.invalid:26700", &cfg, 4 * CLIENT_TIMEOUT_MS, &c);
    if (rc != WB_ERR_NOT_FOUND) fail_msg("unknown name: got %s", wb_strerror(rc));
    if (why[0] == '\0' || !memchr(why, '\0', sizeof why)) fail_msg("no resolver answer");
    /* Any other failure leaves why empty. */
    rc = net_client_connect(addr, &cfg, 300, &c);
    assert_int_equal(rc, WB_ERR_UNREACHABLE);
    assert_string_equal(why, "");
    net_client_close(NULL);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const char *lv = getenv("NET_TEST_LOG");
    int level = lv ? wb_log_level_parse(lv) : -1;
    wb_log_set_level(level >= 0 ? (enum wb_log_level)level : WB_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trips),
        cmocka_unit_test(request_timeout_and_closed),
        cmocka_unit_test(handshake_refused_either_way),
        cmocka_unit_test(unreachable_and_connect_timeout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
