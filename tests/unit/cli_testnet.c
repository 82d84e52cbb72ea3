/* Unit tests of `waybill testnet` and `waybill keygen` (run in-process), of
 * the dispatcher (the built binary), and of config/genesis.example.json and
 * config/node.example.ini. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "common/addr.h"
#include "common/file.h"
#include "common/hex.h"
#include "common/wb_error.h"
#include "ledger/genesis.h"
#include "node/config.h"
#include "node/keyfile.h"

/* The six placeholder characters mkdtemp replaces. */
#define MKDTEMP_SLOTS "XX" "XX" "XX"

#define OUT_MAX 16384

/* Where the built `waybill` is: $WAYBILL (set by tests/run.sh), else next
 * to this test program (BUILD/tests/unit/x -> BUILD/waybill). */
static char waybill_bin[4096];

struct fixture {
    char dir[64];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/waybill-cli-" MKDTEMP_SLOTS);
    if (!mkdtemp(f->dir)) return -1;
    *state = f;
    return 0;
}

static int remove_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* Runs a handler in this process with stdout and stderr captured. argv is
 * NULL-terminated; argv[0] is the subcommand name. */
struct run {
    int rc;
    char out[OUT_MAX];
    char err[OUT_MAX];
};

static void read_back(FILE *tmp, char *buf)
{
    fflush(tmp);
    rewind(tmp);
    size_t n = fread(buf, 1, OUT_MAX - 1, tmp);
    buf[n] = '\0';
    fclose(tmp);
}

static void run_cmd(struct run *r, int (*cmd)(int, char **), char **argv)
{
    int argc = 0;
    while (argv[argc]) argc++;
    FILE *out = tmpfile(), *err = tmpfile();
    assert_non_null(out);
    assert_non_null(err);
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(1), saved_err = dup(2);
    assert_true(saved_out >= 0 && saved_err >= 0);
    dup2(fileno(out), 1);
    dup2(fileno(err), 2);
    r->rc = cmd(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    read_back(out, r->out);
    read_back(err, r->err);
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static char *path_in(char *buf, size_t cap, const char *dir, const char *rel)
{
    snprintf(buf, cap, "%s/%s", dir, rel);
    return buf;
}

static void expect_mode(const char *path, mode_t want)
{
    struct stat st;
    if (stat(path, &st) != 0) fail_msg("%s was not written", path);
    if ((st.st_mode & 07777) != want)
        fail_msg("%s has mode %04o, expected %04o", path, (unsigned)(st.st_mode & 07777),
                 (unsigned)want);
}

static struct ledger_genesis *load_genesis(const char *path)
{
    uint8_t *text;
    size_t len;
    if (wb_read_file(path, 1 << 20, &text, &len) != WB_OK) fail_msg("cannot read %s", path);
    struct ledger_genesis *g = malloc(sizeof *g);
    assert_non_null(g);
    char msg[512];
    int rc = ledger_genesis_parse(text, len, g, msg, sizeof msg);
    free(text);
    if (rc != WB_OK) fail_msg("%s does not parse: %s", path, msg);
    return g;
}

/* Checks everything `testnet --nodes n --base-port base [--host host]`
 * wrote into dir: `host` as addresses write it ("[::1]"), `bare` as a
 * parsed address keeps it ("::1"). */
static void check_testnet_on(const char *dir, size_t n, unsigned base, const char *chain,
                             const char *host, const char *bare)
{
    char p[512], want[512], msg[NODE_CONFIG_MSG_MAX];
    expect_mode(path_in(p, sizeof p, dir, "genesis.json"), 0644);
    struct ledger_genesis *g = load_genesis(p);
    if (chain) assert_string_equal(g->chain_name, chain);
    /* The time rules' parameters are written out, not left to defaults. */
    uint8_t *text;
    size_t text_len;
    if (wb_read_file(p, 1 << 20, &text, &text_len) != WB_OK) fail_msg("cannot read %s", p);
    if (!memmem(text, text_len, "\"clock_skew_ms\": 600000,", 24) ||
        !memmem(text, text_len, "\"backdate_max_ms\": 2592000000,", 30))
        fail_msg("%s lacks clock_skew_ms 600000 or backdate_max_ms 2592000000", p);
    free(text);
    assert_true(g->clock_skew_ms == WB_CLOCK_SKEW_MS_DEFAULT);
    assert_true(g->backdate_max_ms == WB_BACKDATE_MAX_MS_DEFAULT);
    assert_int_equal(g->org_count, n);
    assert_int_equal(g->validator_count, n);

    bool has[LEDGER_ROLE_AUDITOR + 1] = {false};
    struct node_config *cfg = malloc(sizeof *cfg);
    assert_non_null(cfg);
    for (size_t i = 0; i < n; i++) {
        char rel[64];
        const struct ledger_org *org = &g->orgs[i];
        const struct ledger_validator *v = &g->validators[i];
        has[org->role] = true;
        assert_int_equal(org->key_count, 1);

        snprintf(want, sizeof want, "node%zu", i);
        assert_string_equal(v->name, want);
        assert_string_equal(v->org, org->name);
        snprintf(want, sizeof want, "%s:%u", host, base + (unsigned)i);
        assert_string_equal(v->p2p, want);

        /* Keys on disk, owner-only, match genesis. */
        uint8_t pk[32], sk[64];
        snprintf(rel, sizeof rel, "node%zu", i);
        expect_mode(path_in(p, sizeof p, dir, rel), 0700);
        snprintf(rel, sizeof rel, "node%zu/data", i);
        expect_mode(path_in(p, sizeof p, dir, rel), 0700);
        snprintf(rel, sizeof rel, "node%zu/client.key", i);
        expect_mode(path_in(p, sizeof p, dir, rel), 0600);
        if (keyfile_load(p, pk, sk, msg, sizeof msg) != WB_OK) fail_msg("%s", msg);
        assert_memory_equal(pk, org->keys[0], 32);
        snprintf(rel, sizeof rel, "node%zu/node.key", i);
        expect_mode(path_in(p, sizeof p, dir, rel), 0600);

        /* The config loads and points at this node's files and ports. */
        snprintf(rel, sizeof rel, "node%zu/node.ini", i);
        expect_mode(path_in(p, sizeof p, dir, rel), 0644);
        if (node_config_load(p, cfg, msg, sizeof msg) != WB_OK) fail_msg("%s", msg);
        assert_string_equal(cfg->name, v->name);
        snprintf(want, sizeof want, "%s/node%zu/data", dir, i);
        assert_string_equal(cfg->data_dir, want);
        snprintf(want, sizeof want, "%s/node%zu/node.key", dir, i);
        assert_string_equal(cfg->key_file, want);
        snprintf(want, sizeof want, "%s/node%zu/../genesis.json", dir, i);
        assert_string_equal(cfg->genesis, want);
        if (keyfile_load(cfg->key_file, pk, sk, msg, sizeof msg) != WB_OK) fail_msg("%s", msg);
        assert_memory_equal(pk, v->key, 32);
        assert_string_equal(cfg->p2p_listen.host, bare);
        assert_int_equal(cfg->p2p_listen.port, base + i);
        assert_string_equal(cfg->api_listen.host, bare);
        assert_int_equal(cfg->api_listen.port, base + 100 + i);
        /* Genesis names the same client API address (clients find it there). */
        snprintf(want, sizeof want, "%s:%u", host, base + 100 + (unsigned)i);
        assert_string_equal(v->api, want);
        {
            struct wb_addr api;
            assert_int_equal(wb_addr_parse(v->api, &api, NULL, 0), WB_OK);
            assert_true(wb_addr_equal(&api, &cfg->api_listen));
        }
        assert_true(cfg->sync);
        /* Peers: every other validator, in order. */
        assert_int_equal(cfg->peer_count, n - 1);
        for (size_t j = 0, k = 0; j < n; j++) {
            if (j == i) continue;
            assert_int_equal(cfg->peers[k].port, base + j);
            assert_string_equal(cfg->peers[k].host, bare);
            k++;
        }
        sodium_memzero(sk, sizeof sk);
    }
    if (n >= 3 && !(has[LEDGER_ROLE_SHIPPER] && has[LEDGER_ROLE_CARRIER] &&
                    has[LEDGER_ROLE_CUSTOMS]))
        fail_msg("a %zu-node testnet lacks a shipper, carrier or customs org", n);
    free(cfg);
    free(g);
}

static void check_testnet(const char *dir, size_t n, unsigned base, const char *chain)
{
    check_testnet_on(dir, n, base, chain, "127.0.0.1", "127.0.0.1");
}

static void testnet_writes_a_network_that_loads(void **state)
{
    struct fixture *f = *state;
    char net[128], p[256];
    snprintf(net, sizeof net, "%s/net", f->dir);
    char *argv[] = {"testnet", "--nodes", "4", "--dir", net, "--base-port", "27600",
                    "--chain", "test-chain.1", "--heartbeat-ms", "2500",
                    "--header-version", "1", NULL};
    struct run *r = malloc(sizeof *r);
    assert_non_null(r);
    run_cmd(r, cmd_testnet, argv);
    if (r->rc != CLI_EXIT_OK) fail_msg("testnet failed (%d): %s", r->rc, r->err);
    check_testnet(net, 4, 27600, "test-chain.1");

    /* The documented role assignment: shipper, carrier, customs, consignee. */
    struct ledger_genesis *g = load_genesis(path_in(p, sizeof p, net, "genesis.json"));
    assert_string_equal(g->orgs[0].name, "acme-shipping");
    assert_int_equal(g->orgs[0].role, LEDGER_ROLE_SHIPPER);
    assert_string_equal(g->orgs[1].name, "blue-ocean-lines");
    assert_int_equal(g->orgs[1].role, LEDGER_ROLE_CARRIER);
    assert_string_equal(g->orgs[2].name, "rotterdam-customs");
    assert_int_equal(g->orgs[2].role, LEDGER_ROLE_CUSTOMS);
    assert_string_equal(g->orgs[3].name, "nordic-retail");
    assert_int_equal(g->orgs[3].role, LEDGER_ROLE_SHIPPER);
    assert_int_equal(ledger_genesis_quorum(g), 3);
    assert_int_equal(g->heartbeat_ms, 2500);
    assert_int_equal(g->header_version, 1);
    free(g);

    /* The summary names every node with org, role, ports and client key. */
    if (!strstr(r->out, "wrote testnet test-chain.1 to ") || !strstr(r->out, "quorum 3"))
        fail_msg("summary header missing:\n%s", r->out);
    char row[512];
    snprintf(row, sizeof row,
             "node2  rotterdam-customs  customs  127.0.0.1:27602  127.0.0.1:27702  "
             "%s/node2/client.key\n",
             net);
    if (!strstr(r->out, row)) fail_msg("summary lacks row \"%s\":\n%s", row, r->out);
    if (!strstr(r->out, "\nnode   org                role     p2p              api              "
                        "client key\n"))
        fail_msg("summary lacks its header:\n%s", r->out);
    free(r);
}

static void testnet_defaults_and_sizes(void **state)
{
    struct fixture *f = *state;
    struct run *r = malloc(sizeof *r);
    assert_non_null(r);
    char net[128];

    /* Default chain name and base port; an existing empty folder is fine. */
    snprintf(net, sizeof net, "%s/one", f->dir);
    assert_int_equal(mkdir(net, 0755), 0);
    char *one[] = {"testnet", "--nodes=1", "--dir", net, NULL};
    run_cmd(r, cmd_testnet, one);
    if (r->rc != CLI_EXIT_OK) fail_msg("testnet failed (%d): %s", r->rc, r->err);
    check_testnet(net, 1, 26600, NULL);
    char p[256];
    struct ledger_genesis *g = load_genesis(path_in(p, sizeof p, net, "genesis.json"));
    assert_int_equal(strlen(g->chain_name), strlen("waybill-testnet-") + 8);
    assert_memory_equal(g->chain_name, "waybill-testnet-", 16);
    assert_int_equal(strspn(g->chain_name + 16, "0123456789abcdef"), 8);
    assert_int_equal(g->heartbeat_ms, 60000);
    assert_int_equal(g->header_version, 2); /* the item-state commitment by default */
    free(g);

    /* The largest network: 15 peers continue over indented lines. */
    snprintf(net, sizeof net, "%s/sixteen", f->dir);
    char *sixteen[] = {"testnet", "--nodes", "16", "--dir", net, "--base-port", "40000", NULL};
    run_cmd(r, cmd_testnet, sixteen);
    if (r->rc != CLI_EXIT_OK) fail_msg("testnet failed (%d): %s", r->rc, r->err);
    check_testnet(net, 16, 40000, NULL);
    g = load_genesis(path_in(p, sizeof p, net, "genesis.json"));
    bool auditor = false;
    for (size_t i = 0; i < g->org_count; i++)
        if (g->orgs[i].role == LEDGER_ROLE_AUDITOR) auditor = true;
    assert_true(auditor);
    free(g);

    /* The highest base port that still fits P+100+N-1 <= 65535. */
    snprintf(net, sizeof net, "%s/high", f->dir);
    char *high[] = {"testnet", "--nodes", "4", "--dir", net, "--base-port", "65432", NULL};
    run_cmd(r, cmd_testnet, high);
    if (r->rc != CLI_EXIT_OK) fail_msg("testnet failed (%d): %s", r->rc, r->err);
    check_testnet(net, 4, 65432, NULL);
    free(r);
}

static void testnet_refuses_non_empty_dir(void **state)
{
    struct fixture *f = *state;
    struct run *r = malloc(sizeof *r);
    assert_non_null(r);
    char net[128], p[256];
    snprintf(net, sizeof net, "%s/busy", f->dir);
    assert_int_equal(mkdir(net, 0755), 0);
    assert_int_equal(wb_write_file(path_in(p, sizeof p, net, "keep.txt"), "x", 1, 0644), WB_OK);
    char *argv[] = {"testnet", "--nodes", "4", "--dir", net, NULL};
    run_cmd(r, cmd_testnet, argv);
    assert_int_equal(r->rc, CLI_EXIT_FAILED);
    char want[512];
    snprintf(want, sizeof want,
             "waybill testnet: %s is not empty; refusing to write a testnet into it (choose a "
             "new or empty directory)\n",
             net);
    assert_string_equal(r->err, want);
    assert_string_equal(r->out, "");
    struct stat st;
    assert_int_not_equal(stat(path_in(p, sizeof p, net, "genesis.json"), &st), 0);
    assert_int_not_equal(stat(path_in(p, sizeof p, net, "node0"), &st), 0);

    /* A file where the directory should be is refused too. */
    path_in(p, sizeof p, net, "keep.txt");
    char *onfile[] = {"testnet", "--nodes", "4", "--dir", p, NULL};
    run_cmd(r, cmd_testnet, onfile);
    assert_int_equal(r->rc, CLI_EXIT_FAILED);
    /* A second run into a finished testnet is refused and changes nothing. */
    snprintf(net, sizeof net, "%s/done", f->dir);
    char *first[] = {"testnet", "--nodes", "2", "--dir", net, NULL};
    run_cmd(r, cmd_testnet, first);
    assert_int_equal(r->rc, CLI_EXIT_OK);
    uint8_t *before, *after;
    size_t before_len, after_len;
    assert_int_equal(wb_read_file(path_in(p, sizeof p, net, "genesis.json"), 1 << 20, &before,
                                  &before_len), WB_OK);
    run_cmd(r, cmd_testnet, first);
    assert_int_equal(r->rc, CLI_EXIT_FAILED);
    assert_int_equal(wb_read_file(p, 1 << 20, &after, &after_len), WB_OK);
    assert_int_equal(before_len, after_len);
    assert_memory_equal(before, after, before_len);
    free(before);
    free(after);
    free(r);
}

static void testnet_usage_errors_exit_2(void **state)
{
    struct fixture *f = *state;
    struct run *r = malloc(sizeof *r);
    assert_non_null(r);
    char net[128];
    snprintf(net, sizeof net, "%s/never", f->dir);
    static const struct {
        const char *args[8];
        const char *first_line;
    } cases[] = {
        {{"--dir", "x"}, "waybill testnet: --nodes N is required\n"},
        {{"--nodes", "4"}, "waybill testnet: --dir DIR is required\n"},
        {{"--nodes", "0", "--dir", "x"}, "waybill testnet: --nodes: expected 1 to 16, got '0'\n"},
        {{"--nodes", "17", "--dir", "x"},
         "waybill testnet: --nodes: expected 1 to 16, got '17'\n"},
        {{"--nodes", "four", "--dir", "x"},
         "waybill testnet: --nodes: expected 1 to 16, got 'four'\n"},
        {{"--nodes", "4", "--dir", "x", "--base-port", "65433"},
         "waybill testnet: --base-port: expected 1 to 65432 for 4 nodes, got '65433'\n"},
        {{"--nodes", "4", "--dir", "x", "--chain", "has space"},
         "waybill testnet: --chain: expected 1 to 64 characters from A-Z a-z 0-9 . _ -, got "
         "'has space'\n"},
        {{"--nodes", "4", "--dir", "x", "--heartbeat-ms", "99"},
         "waybill testnet: --heartbeat-ms: expected 100 to 86400000 milliseconds, got '99'\n"},
        {{"--nodes", "4", "--dir", "x", "--heartbeat-ms", "1m"},
         "waybill testnet: --heartbeat-ms: expected 100 to 86400000 milliseconds, got '1m'\n"},
        {{"--nodes", "4", "--dir", "x", "--header-version", "3"},
         "waybill testnet: --header-version: expected 1 or 2, got '3'\n"},
        {{"--nodes", "4", "--dir", "x", "--header-version", "0"},
         "waybill testnet: --header-version: expected 1 or 2, got '0'\n"},
        {{"--nodes", "4", "--dir", "x", "--verbose"},
         "waybill testnet: unknown option '--verbose'\n"},
        {{"--nodes", "4", "--dir", "x", "extra"},
         "waybill testnet: unexpected argument 'extra'\n"},
        {{"--nodes", "4", "--nodes", "5", "--dir", "x"},
         "waybill testnet: --nodes given twice\n"},
        {{"--nodes", "4", "--dir"}, "waybill testnet: option --dir needs a value (DIR)\n"},
        /* --host follows the one address grammar, with its one message. */
        {{"--nodes", "4", "--dir", "x", "--host", "node_1"},
         "waybill testnet: --host: 'node_1' is not a host: host 'node_1' has '_' (a host is a "
         "DNS name, an IPv4 address or a bracketed IPv6 address such as [::1])\n"},
        {{"--nodes", "4", "--dir", "x", "--host", "::1"},
         "waybill testnet: --host: '::1' is not a host: host '::1' has ':'; an IPv6 address "
         "goes in brackets (a host is a DNS name, an IPv4 address or a bracketed IPv6 address "
         "such as [::1])\n"},
        {{"--nodes", "4", "--dir", "x", "--host", "localhost:26600"},
         "waybill testnet: --host: 'localhost:26600' is not a host: host 'localhost:26600' has "
         "':'; an IPv6 address goes in brackets"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[10] = {"testnet"};
        size_t n = 1;
        for (size_t j = 0; cases[i].args[j]; j++) argv[n++] = (char *)cases[i].args[j];
        argv[n] = NULL;
        run_cmd(r, cmd_testnet, argv);
        if (r->rc != CLI_EXIT_USAGE) fail_msg("case %zu: exit %d, expected 2", i, r->rc);
        if (!starts_with(r->err, cases[i].first_line))
            fail_msg("case %zu: stderr\n%s\nexpected to start with\n%s", i, r->err,
                     cases[i].first_line);
        if (!strstr(r->err, "usage: waybill testnet --nodes N --dir DIR"))
            fail_msg("case %zu: no usage line in\n%s", i, r->err);
    }
    struct stat st;
    assert_int_not_equal(stat("x", &st), 0);

    char *help[] = {"testnet", "--help", NULL};
    run_cmd(r, cmd_testnet, help);
    assert_int_equal(r->rc, CLI_EXIT_OK);
    if (!starts_with(r->out,
                     "usage: waybill testnet --nodes N --dir DIR [--base-port P] [--chain NAME] "
                     "[--host HOST] [--heartbeat-ms MS]\n"))
        fail_msg("--help printed:\n%s", r->out);
    assert_string_equal(r->err, "");
    free(r);
}

/* --host writes that host into genesis, every listen address and every
 * peer, and the summary; a name, an IPv6 address in brackets, and a long
 * name whose peers need more indented lines all load back. */
static void testnet_host_names_every_address(void **state)
{
    struct fixture *f = *state;
    struct run *r = malloc(sizeof *r);
    assert_non_null(r);
    char net[128], row[512];

    snprintf(net, sizeof net, "%s/named", f->dir);
    char *named[] = {"testnet", "--nodes", "4", "--dir", net, "--base-port", "27600",
                     "--host", "localhost", NULL};
    run_cmd(r, cmd_testnet, named);
    if (r->rc != CLI_EXIT_OK) fail_msg("testnet --host localhost failed (%d): %s", r->rc, r->err);
    check_testnet_on(net, 4, 27600, NULL, "localhost", "localhost");
    snprintf(row, sizeof row, "localhost:27601  localhost:27701  %s/node1/client.key\n", net);
    if (!strstr(r->out, row)) fail_msg("summary lacks \"%s\":\n%s", row, r->out);

    snprintf(net, sizeof net, "%s/v6", f->dir);
    char *v6[] = {"testnet", "--nodes", "4", "--dir", net, "--base-port", "27600",
                  "--host", "[::1]", NULL};
    run_cmd(r, cmd_testnet, v6);
    if (r->rc != CLI_EXIT_OK) fail_msg("testnet --host [::1] failed (%d): %s", r->rc, r->err);
    check_testnet_on(net, 4, 27600, NULL, "[::1]", "::1");
    if (!strstr(r->out, "[::1]:27600") || !strstr(r->out, "[::1]:27700"))
        fail_msg("summary lacks the IPv6 addresses:\n%s", r->out);

    /* 100 characters of name: one peer per line, every line within bounds. */
    char host[128];
    snprintf(host, sizeof host, "%s.%s.example", "validators-of-a-very-long-organisation-name",
             "in-a-long-subdomain-of-its-own-and-so-on");
    assert_int_equal(strlen(host), 92);
    snprintf(net, sizeof net, "%s/long", f->dir);
    char *lng[] = {"testnet", "--nodes", "16", "--dir", net, "--host", host, NULL};
    run_cmd(r, cmd_testnet, lng);
    if (r->rc != CLI_EXIT_OK) fail_msg("testnet with a long --host failed (%d): %s", r->rc, r->err);
    check_testnet_on(net, 16, 26600, NULL, host, host);

    /* Longer than TESTNET_HOST_MAX is a usage error, not a config that fails. */
    char toolong[160];
    memset(toolong, 'a', 101);
    toolong[101] = '\0';
    toolong[50] = '.';
    snprintf(net, sizeof net, "%s/toolong", f->dir);
    char *tl[] = {"testnet", "--nodes", "4", "--dir", net, "--host", toolong, NULL};
    run_cmd(r, cmd_testnet, tl);
    assert_int_equal(r->rc, CLI_EXIT_USAGE);
    if (!starts_with(r->err, "waybill testnet: --host: expected at most 100 characters\n"))
        fail_msg("stderr: %s", r->err);
    struct stat st;
    assert_int_not_equal(stat(net, &st), 0);
    free(r);
}

static void keygen_prints_the_key_it_wrote(void **state)
{
    struct fixture *f = *state;
    struct run *r = malloc(sizeof *r);
    assert_non_null(r);
    char key[128], msg[KEYFILE_MSG_MAX];
    snprintf(key, sizeof key, "%s/my.key", f->dir);
    char *argv[] = {"keygen", "--out", key, NULL};
    run_cmd(r, cmd_keygen, argv);
    if (r->rc != CLI_EXIT_OK) fail_msg("keygen failed (%d): %s", r->rc, r->err);
    expect_mode(key, 0600);
    uint8_t pk[32], sk[64];
    if (keyfile_load(key, pk, sk, msg, sizeof msg) != WB_OK) fail_msg("%s", msg);
    char hex[66];
    wb_hex_encode(pk, 32, hex, sizeof hex);
    hex[64] = '\n';
    hex[65] = '\0';
    assert_string_equal(r->out, hex);

    /* No silent overwrite; --force replaces. */
    run_cmd(r, cmd_keygen, argv);
    assert_int_equal(r->rc, CLI_EXIT_FAILED);
    char want[512];
    snprintf(want, sizeof want,
             "waybill keygen: key file %s already exists; refusing to overwrite it (use --force "
             "to replace it)\n",
             key);
    assert_string_equal(r->err, want);
    assert_string_equal(r->out, "");
    char *force[] = {"keygen", "--force", "--out", key, NULL};
    run_cmd(r, cmd_keygen, force);
    assert_int_equal(r->rc, CLI_EXIT_OK);
    uint8_t pk2[32];
    assert_int_equal(keyfile_load(key, pk2, sk, msg, sizeof msg), WB_OK);
    assert_memory_not_equal(pk, pk2, 32);
    wb_hex_encode(pk2, 32, hex, sizeof hex);
    hex[64] = '\n';
    assert_string_equal(r->out, hex);

    char *missing[] = {"keygen", NULL};
    run_cmd(r, cmd_keygen, missing);
    assert_int_equal(r->rc, CLI_EXIT_USAGE);
    assert_string_equal(r->err, "waybill keygen: --out FILE is required\n"
                                "usage: waybill keygen --out FILE [--force]\n"
                                "run 'waybill keygen --help' for details\n");
    char *flag_value[] = {"keygen", "--out", key, "--force=yes", NULL};
    run_cmd(r, cmd_keygen, flag_value);
    assert_int_equal(r->rc, CLI_EXIT_USAGE);
    sodium_memzero(sk, sizeof sk);
    free(r);
}

/* Runs the built binary; returns its exit code and its output. */
static int run_binary(const char *args, char *out, size_t cap)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", waybill_bin, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void binary_dispatches_the_table(void **state)
{
    (void)state;
    if (access(waybill_bin, X_OK) != 0)
        fail_msg("%s is not built; build BUILD/waybill before this test", waybill_bin);
    char *out = malloc(OUT_MAX);
    assert_non_null(out);
    assert_int_equal(run_binary("--help", out, OUT_MAX), 0);
    if (!strstr(out, "usage: waybill COMMAND") || !strstr(out, "  keygen ") ||
        !strstr(out, "  testnet "))
        fail_msg("--help lists no commands:\n%s", out);
    assert_int_equal(run_binary("help", out, OUT_MAX), 0);
    assert_int_equal(run_binary("help keygen", out, OUT_MAX), 0);
    if (!starts_with(out, "usage: waybill keygen --out FILE [--force]\n"))
        fail_msg("help keygen printed:\n%s", out);
    /* Every command of the table answers --help with its usage. */
#define CHECK_HELP(name, summary)                                                    \
    do {                                                                             \
        int rc = run_binary(#name " --help", out, OUT_MAX);                          \
        if (rc != 0 || !starts_with(out, "usage: waybill " #name " "))               \
            fail_msg("'waybill %s --help' exited %d with:\n%s", #name, rc, out);      \
        if (!strstr(listing, "  " #name " ") || !strstr(listing, summary))           \
            fail_msg("'waybill --help' does not list %s", #name);                    \
    } while (0);
    char *listing = malloc(OUT_MAX);
    assert_non_null(listing);
    assert_int_equal(run_binary("--help", listing, OUT_MAX), 0);
    CLI_COMMANDS(CHECK_HELP)
#undef CHECK_HELP
    free(listing);
    assert_int_equal(run_binary("", out, OUT_MAX), 2);
    assert_int_equal(run_binary("frobnicate", out, OUT_MAX), 2);
    if (!starts_with(out, "waybill: unknown command 'frobnicate'\n"))
        fail_msg("unknown command printed:\n%s", out);
    assert_int_equal(run_binary("help frobnicate", out, OUT_MAX), 2);
    assert_int_equal(run_binary("testnet --nodes 0 --dir /nonexistent/x", out, OUT_MAX), 2);
    /* Output that cannot be written is a failure. */
    if (access("/dev/full", W_OK) == 0) {
        char args[256];
        snprintf(args, sizeof args, "help >/dev/full");
        assert_int_equal(run_binary(args, out, OUT_MAX), 1);
    }
    free(out);
}

static void examples_in_config_parse(void **state)
{
    (void)state;
    /* Tests run from the repository root (tests/run.sh, make test). */
    struct ledger_genesis *g = load_genesis("config/genesis.example.json");
    bool has[LEDGER_ROLE_AUDITOR + 1] = {false};
    for (size_t i = 0; i < g->org_count; i++) has[g->orgs[i].role] = true;
    assert_true(has[LEDGER_ROLE_SHIPPER] && has[LEDGER_ROLE_CARRIER] && has[LEDGER_ROLE_CUSTOMS]);
    assert_true(g->validator_count >= 4);
    assert_int_equal(g->heartbeat_ms, 60000);
    assert_int_equal(g->header_version, 2);
    for (size_t v = 0; v < g->validator_count; v++) assert_true(g->validators[v].api[0] != '\0');

    struct node_config *cfg = malloc(sizeof *cfg);
    assert_non_null(cfg);
    char msg[NODE_CONFIG_MSG_MAX];
    if (node_config_load("config/node.example.ini", cfg, msg, sizeof msg) != WB_OK)
        fail_msg("config/node.example.ini: %s", msg);
    /* The example is node0 of the example genesis. */
    assert_string_equal(cfg->name, g->validators[0].name);
    /* It listens on its genesis p2p port, and dials the other validators. */
    struct wb_addr own;
    assert_int_equal(wb_addr_parse(g->validators[0].p2p, &own, NULL, 0), WB_OK);
    assert_int_equal(cfg->p2p_listen.port, own.port);
    assert_string_equal(cfg->genesis, "config/genesis.example.json");
    char addr[WB_ADDR_STR_MAX];
    assert_int_equal(cfg->peer_count, g->validator_count - 1);
    for (size_t i = 0; i < cfg->peer_count; i++)
        assert_string_equal(wb_addr_format(&cfg->peers[i], addr, sizeof addr),
                            g->validators[i + 1].p2p);
    /* Metrics on loopback, 100 ports above the client API. */
    assert_true(cfg->metrics.enabled);
    assert_false(cfg->metrics.public_ok);
    assert_string_equal(wb_addr_format(&cfg->metrics.listen, addr, sizeof addr),
                        "127.0.0.1:26800");
    free(cfg);
    free(g);
}

int main(int argc, char **argv)
{
    (void)argc;
    if (sodium_init() < 0) return 1;
    umask(022);
    const char *env = getenv("WAYBILL");
    if (env && env[0]) {
        snprintf(waybill_bin, sizeof waybill_bin, "%s", env);
    } else {
        char self[4096];
        snprintf(self, sizeof self, "%s", argv[0]);
        snprintf(waybill_bin, sizeof waybill_bin, "%s/../../waybill", dirname(self));
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(testnet_writes_a_network_that_loads, setup, teardown),
        cmocka_unit_test_setup_teardown(testnet_defaults_and_sizes, setup, teardown),
        cmocka_unit_test_setup_teardown(testnet_refuses_non_empty_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(testnet_usage_errors_exit_2, setup, teardown),
        cmocka_unit_test_setup_teardown(testnet_host_names_every_address, setup, teardown),
        cmocka_unit_test_setup_teardown(keygen_prints_the_key_it_wrote, setup, teardown),
        cmocka_unit_test(binary_dispatches_the_table),
        cmocka_unit_test(examples_in_config_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
