/* The CLI's connection is quiet by its own setting: a failed connect through
 * client_net_connector logs no transport warning and leaves the process's
 * log level as it was, while the same transport with no threshold of its
 * own does log the warning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/client.h"
#include "common/log.h"
#include "common/wb_error.h"
#include "node/net/net_client.h"

/* A 127.0.0.1 port nobody listens on: bound, then closed. */
static unsigned closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t len = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

/* stderr into a temporary file while a test runs. */
struct capture {
    FILE *f;
    int saved;
};

static void capture_start(struct capture *c)
{
    fflush(stderr);
    c->f = tmpfile();
    assert_non_null(c->f);
    c->saved = dup(STDERR_FILENO);
    assert_true(c->saved >= 0);
    assert_true(dup2(fileno(c->f), STDERR_FILENO) >= 0);
}

/* Restores stderr; returns what was written (malloc'd). */
static char *capture_end(struct capture *c)
{
    fflush(stderr);
    assert_true(dup2(c->saved, STDERR_FILENO) >= 0);
    close(c->saved);
    long n = ftell(c->f);
    assert_true(n >= 0);
    char *text = calloc(1, (size_t)n + 1);
    assert_non_null(text);
    rewind(c->f);
    assert_int_equal(fread(text, 1, (size_t)n, c->f), (size_t)n);
    fclose(c->f);
    return text;
}

static void failed_connect_is_quiet_and_keeps_the_level(void **state)
{
    (void)state;
    struct ledger_genesis *g = calloc(1, sizeof *g);
    assert_non_null(g);
    randombytes_buf(g->chain_id, sizeof g->chain_id);
    uint8_t pk[WB_PUBKEY_LEN], sk[WB_SECKEY_LEN];
    crypto_sign_keypair(pk, sk);
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%u", closed_port());
    wb_log_set_level(WB_LOG_DEBUG);

    /* The transport alone, no threshold of its own: it warns. */
    struct net_client_config cfg;
    memset(&cfg, 0, sizeof cfg);
    memcpy(cfg.chain_id, g->chain_id, sizeof cfg.chain_id);
    memcpy(cfg.identity_pk, pk, sizeof pk);
    memcpy(cfg.identity_sk, sk, sizeof sk);
    cfg.authorize = net_keyset_authorize;
    struct net_keyset none = {.keys = NULL, .count = 0};
    cfg.authorize_ctx = &none;
    struct capture cap;
    capture_start(&cap);
    struct net_client *nc = NULL;
    int rc = net_client_connect(addr, &cfg, 5000, &nc);
    char *loud = capture_end(&cap);
    assert_int_equal(rc, WB_ERR_UNREACHABLE);
    if (!strstr(loud, " WARN ")) fail_msg("the bare transport logged no warning: \"%s\"", loud);

    /* Through the CLI's connector: nothing below ERROR, and the process's
     * level untouched during and after the call. */
    struct client_identity id = {.genesis = g, .pk = pk, .sk = sk};
    struct client_transport t;
    memset(&t, 0, sizeof t);
    capture_start(&cap);
    rc = client_net_connector()->connect(NULL, addr, &id, 5000, &t);
    char *quiet = capture_end(&cap);
    assert_int_equal(rc, WB_ERR_UNREACHABLE);
    if (strstr(quiet, " WARN ") || strstr(quiet, " INFO ") || strstr(quiet, " DEBUG "))
        fail_msg("the CLI's connection logged below ERROR: \"%s\"", quiet);
    assert_int_equal(wb_log_get_level(), WB_LOG_DEBUG);

    free(loud);
    free(quiet);
    sodium_memzero(sk, sizeof sk);
    sodium_memzero(cfg.identity_sk, sizeof cfg.identity_sk);
    free(g);
}

/* wb_log_at: the component's threshold and the process level both apply. */
static void log_at_applies_both_thresholds(void **state)
{
    (void)state;
    struct capture cap;
    wb_log_set_level(WB_LOG_INFO);
    capture_start(&cap);
    wb_log_at(WB_LOG_ERROR, WB_LOG_WARN, "t", "dropped by the component");
    wb_log_at(WB_LOG_DEBUG, WB_LOG_DEBUG, "t", "dropped by the process");
    wb_log_at(WB_LOG_WARN, WB_LOG_WARN, "t", "kept");
    wb_log_at(WB_LOG_DEBUG, WB_LOG_INFO, "t", "kept too");
    char *out = capture_end(&cap);
    assert_null(strstr(out, "dropped"));
    assert_non_null(strstr(out, "WARN  t: kept"));
    assert_non_null(strstr(out, "INFO  t: kept too"));
    assert_int_equal(wb_log_get_level(), WB_LOG_INFO);
    free(out);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(failed_connect_is_quiet_and_keeps_the_level),
        cmocka_unit_test(log_at_applies_both_thresholds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
