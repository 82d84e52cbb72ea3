/* Unit tests of node/config: defaults, every field, relative paths, peers
 * lists, addresses (common/addr.h's grammar and message), and the message
 * for each kind of bad field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/wb_error.h"
#include "node/config.h"

/* The six placeholder characters mkdtemp replaces. */
#define MKDTEMP_SLOTS "XX" "XX" "XX"

/* The smallest valid file: only the required fields. */
#define MINIMAL                        \
    "[node]\n"                         \
    "name = node0\n"                   \
    "data_dir = data\n"                \
    "key_file = node.key\n"            \
    "genesis = ../genesis.json\n"      \
    "[p2p]\n"                          \
    "listen = 127.0.0.1:26600\n"

static struct node_config *parse_ok(const char *path, const char *text)
{
    struct node_config *cfg = malloc(sizeof *cfg);
    assert_non_null(cfg);
    char msg[NODE_CONFIG_MSG_MAX];
    int rc = node_config_parse(path, text, cfg, msg, sizeof msg);
    if (rc != WB_OK) fail_msg("expected %s to parse, got %d: %s", path, rc, msg);
    return cfg;
}

/* Parses `text` as node.ini and checks the error message exactly. */
static void expect_error(const char *text, const char *want)
{
    struct node_config *cfg = malloc(sizeof *cfg);
    assert_non_null(cfg);
    char msg[NODE_CONFIG_MSG_MAX];
    int rc = node_config_parse("node.ini", text, cfg, msg, sizeof msg);
    free(cfg);
    if (rc != WB_ERR_CONFIG)
        fail_msg("expected WB_ERR_CONFIG with \"%s\", got %d (%s)\nfor:\n%s", want, rc, msg,
                 text);
    if (strcmp(msg, want) != 0)
        fail_msg("message differs\n got: %s\nwant: %s\nfor:\n%s", msg, want, text);
}

static void defaults_fill_every_optional_field(void **state)
{
    (void)state;
    struct node_config *cfg = parse_ok("net/node0/node.ini", MINIMAL);
    assert_string_equal(cfg->name, "node0");
    assert_string_equal(cfg->data_dir, "net/node0/data");
    assert_string_equal(cfg->key_file, "net/node0/node.key");
    assert_string_equal(cfg->genesis, "net/node0/../genesis.json");
    assert_int_equal(cfg->log_level, WB_LOG_INFO);
    assert_string_equal(cfg->p2p_listen.host, "127.0.0.1");
    assert_int_equal(cfg->p2p_listen.port, 26600);
    assert_int_equal(cfg->p2p_listen.kind, WB_ADDR_IPV4);
    /* Unset peers stay empty: the daemon takes them from genesis. */
    assert_int_equal(cfg->peer_count, 0);
    /* API: loopback at the p2p port + 100. */
    assert_string_equal(cfg->api_listen.host, "127.0.0.1");
    assert_int_equal(cfg->api_listen.port, 26700);
    assert_int_equal(cfg->timeouts.propose_ms, NODE_DEFAULT_TIMEOUT_PROPOSE_MS);
    assert_int_equal(cfg->timeouts.propose_delta_ms, NODE_DEFAULT_TIMEOUT_PROPOSE_DELTA_MS);
    assert_int_equal(cfg->timeouts.prevote_ms, NODE_DEFAULT_TIMEOUT_PREVOTE_MS);
    assert_int_equal(cfg->timeouts.prevote_delta_ms, NODE_DEFAULT_TIMEOUT_PREVOTE_DELTA_MS);
    assert_int_equal(cfg->timeouts.precommit_ms, NODE_DEFAULT_TIMEOUT_PRECOMMIT_MS);
    assert_int_equal(cfg->timeouts.precommit_delta_ms,
                     NODE_DEFAULT_TIMEOUT_PRECOMMIT_DELTA_MS);
    assert_int_equal(cfg->timeouts.block_time_drift_ms, NODE_DEFAULT_BLOCK_TIME_DRIFT_MS);
    assert_int_equal(cfg->limits.block_events_max, NODE_DEFAULT_BLOCK_EVENTS_MAX);
    assert_int_equal(cfg->limits.block_bytes_max, NODE_DEFAULT_BLOCK_BYTES_MAX);
    assert_int_equal(cfg->limits.mempool_events_max, NODE_DEFAULT_MEMPOOL_EVENTS_MAX);
    assert_true(cfg->limits.mempool_bytes_max == NODE_DEFAULT_MEMPOOL_BYTES_MAX);
    assert_int_equal(cfg->limits.frame_bytes_max, NODE_DEFAULT_FRAME_BYTES_MAX);
    assert_int_equal(cfg->limits.api_clients_max, NODE_DEFAULT_API_CLIENTS_MAX);
    assert_true(cfg->sync);
    /* Metrics: off unless [metrics] listen is set. */
    assert_false(cfg->metrics.enabled);
    assert_false(cfg->metrics.public_ok);
    assert_int_equal(cfg->metrics.health_window_ms, NODE_DEFAULT_HEALTH_WINDOW_MS);
    assert_int_equal(cfg->metrics.ready_heartbeats, NODE_DEFAULT_READY_HEARTBEATS);
    /* The defaults themselves pass the cross-field check. */
    assert_true(cfg->limits.frame_bytes_max >=
                cfg->limits.block_bytes_max + NODE_FRAME_OVERHEAD_MIN);
    free(cfg);
}

static void every_field_is_read(void **state)
{
    (void)state;
    struct node_config *cfg = parse_ok(
        "/etc/waybill/node.ini",
        "; a comment\n"
        "# another comment\n"
        "[node]\n"
        "name = carrier-1.eu_west\n"
        "data_dir = /var/lib/waybill\n"
        "key_file = keys/node.key ; inline comment\n"
        "genesis = genesis.json\n"
        "log_level = debug\n"
        "\n"
        "[p2p]\n"
        "listen = 0.0.0.0:7000\n"
        "peers = 10.0.0.2:7000, [fd00::3]:7000,\n"
        "  node4.example.org:7000\n"
        "[api]\n"
        "listen = [::1]:7100\n"
        "[consensus]\n"
        "timeout_propose_ms = 4000\n"
        "timeout_propose_delta_ms = 0\n"
        "timeout_prevote_ms = 1500\n"
        "timeout_prevote_delta_ms = 250\n"
        "timeout_precommit_ms = 1600\n"
        "timeout_precommit_delta_ms = 260\n"
        "block_time_drift_ms = 0\n"
        "[limits]\n"
        "block_events_max = 100\n"
        "block_bytes_max = 1048576\n"
        "mempool_events_max = 1000\n"
        "mempool_bytes_max = 8589934592\n"
        "frame_bytes_max = 1114112\n"
        "api_clients_max = 8\n"
        "[storage]\n"
        "sync = false\n");
    assert_string_equal(cfg->name, "carrier-1.eu_west");
    assert_string_equal(cfg->data_dir, "/var/lib/waybill");
    assert_string_equal(cfg->key_file, "/etc/waybill/keys/node.key");
    assert_string_equal(cfg->genesis, "/etc/waybill/genesis.json");
    assert_int_equal(cfg->log_level, WB_LOG_DEBUG);
    assert_string_equal(cfg->p2p_listen.host, "0.0.0.0");
    assert_int_equal(cfg->p2p_listen.port, 7000);
    assert_int_equal(cfg->peer_count, 3);
    assert_string_equal(cfg->peers[0].host, "10.0.0.2");
    assert_int_equal(cfg->peers[0].kind, WB_ADDR_IPV4);
    assert_string_equal(cfg->peers[1].host, "fd00::3");
    assert_int_equal(cfg->peers[1].kind, WB_ADDR_IPV6);
    assert_string_equal(cfg->peers[2].host, "node4.example.org");
    assert_int_equal(cfg->peers[2].kind, WB_ADDR_NAME);
    assert_int_equal(cfg->peers[2].port, 7000);
    assert_string_equal(cfg->api_listen.host, "::1");
    assert_int_equal(cfg->api_listen.port, 7100);
    assert_int_equal(cfg->timeouts.propose_ms, 4000);
    assert_int_equal(cfg->timeouts.propose_delta_ms, 0);
    assert_int_equal(cfg->timeouts.prevote_ms, 1500);
    assert_int_equal(cfg->timeouts.prevote_delta_ms, 250);
    assert_int_equal(cfg->timeouts.precommit_ms, 1600);
    assert_int_equal(cfg->timeouts.precommit_delta_ms, 260);
    assert_int_equal(cfg->timeouts.block_time_drift_ms, 0);
    assert_int_equal(cfg->limits.block_events_max, 100);
    assert_int_equal(cfg->limits.block_bytes_max, 1048576);
    assert_int_equal(cfg->limits.mempool_events_max, 1000);
    assert_true(cfg->limits.mempool_bytes_max == 8589934592ull);
    assert_int_equal(cfg->limits.frame_bytes_max, 1114112);
    assert_int_equal(cfg->limits.api_clients_max, 8);
    assert_false(cfg->sync);
    free(cfg);
}

static void relative_paths_follow_the_config_folder(void **state)
{
    (void)state;
    struct node_config *cfg = parse_ok("node.ini", MINIMAL);
    assert_string_equal(cfg->data_dir, "data");
    assert_string_equal(cfg->genesis, "../genesis.json");
    free(cfg);
    cfg = parse_ok("/node.ini", MINIMAL);
    assert_string_equal(cfg->data_dir, "/data");
    assert_string_equal(cfg->key_file, "/node.key");
    free(cfg);
    cfg = parse_ok("./a/b/node.ini", MINIMAL);
    assert_string_equal(cfg->key_file, "./a/b/node.key");
    free(cfg);

    /* The same through a real file, as the daemon loads it. */
    char dir[] = "/tmp/waybill-config-" MKDTEMP_SLOTS;
    assert_non_null(mkdtemp(dir));
    char path[128], want[160], msg[NODE_CONFIG_MSG_MAX];
    snprintf(path, sizeof path, "%s/node.ini", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(MINIMAL, f);
    fclose(f);
    cfg = malloc(sizeof *cfg);
    assert_non_null(cfg);
    int rc = node_config_load(path, cfg, msg, sizeof msg);
    if (rc != WB_OK) fail_msg("load failed: %s", msg);
    snprintf(want, sizeof want, "%s/data", dir);
    assert_string_equal(cfg->data_dir, want);
    snprintf(want, sizeof want, "%s/../genesis.json", dir);
    assert_string_equal(cfg->genesis, want);
    unlink(path);

    /* A missing file says so. */
    assert_int_equal(node_config_load(path, cfg, msg, sizeof msg), WB_ERR_NOT_FOUND);
    snprintf(want, sizeof want, "%s: config file not found", path);
    assert_string_equal(msg, want);
    rmdir(dir);
    free(cfg);
}

static void peers_continue_on_indented_lines_and_repeat(void **state)
{
    (void)state;
    struct node_config *cfg = parse_ok("node.ini",
                                       MINIMAL
                                       "peers = 127.0.0.1:1, 127.0.0.1:2,\n"
                                       "    127.0.0.1:3, 127.0.0.1:4,\n"
                                       "    127.0.0.1:5\n"
                                       "peers = 127.0.0.1:6,\n");
    assert_int_equal(cfg->peer_count, 6);
    for (size_t i = 0; i < 6; i++) assert_int_equal(cfg->peers[i].port, i + 1);
    free(cfg);

    /* An explicitly empty list is the same as none: peers from genesis. */
    cfg = parse_ok("node.ini", MINIMAL "peers =\n");
    assert_int_equal(cfg->peer_count, 0);
    free(cfg);

    /* NODE_PEERS_MAX fit, one more does not. */
    char text[8192];
    size_t n = (size_t)snprintf(text, sizeof text, "%s", MINIMAL);
    for (unsigned i = 0; i <= NODE_PEERS_MAX; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "peers = 10.0.0.1:%u\n", 1000 + i);
    char want[256];
    snprintf(want, sizeof want, "node.ini: [p2p] peers: expected at most %d peers (line %d)",
             NODE_PEERS_MAX, 7 + NODE_PEERS_MAX + 1);
    expect_error(text, want);
}

/* Every address field reads the one grammar and fails with its one text,
 * prefixed by the field and followed by the line. */
static void addresses_follow_the_one_grammar(void **state)
{
    (void)state;
    char why[WB_ADDR_MSG_MAX], want[NODE_CONFIG_MSG_MAX], text[512];
    struct wb_addr a;
    assert_int_equal(wb_addr_parse("node_1:27101", &a, why, sizeof why), WB_ERR_INVALID);
    assert_string_equal(why,
                        "'node_1:27101' is not host:port: host 'node_1' has '_' (a host is a "
                        "DNS name, an IPv4 address or a bracketed IPv6 address such as [::1]; "
                        "port 1 to 65535)");

    snprintf(want, sizeof want, "node.ini: [p2p] peers: %s (line 8)", why);
    expect_error(MINIMAL "peers = localhost:26601, node_1:27101\n", want);
    snprintf(want, sizeof want, "node.ini: [p2p] listen: %s (line 2)", why);
    expect_error("[p2p]\nlisten = node_1:27101\n", want);
    snprintf(want, sizeof want, "node.ini: [api] listen: %s (line 9)", why);
    expect_error(MINIMAL "[api]\nlisten = node_1:27101\n", want);

    /* Names, IPv6 and port 65535 are read; the same peer written two ways
     * (case, trailing dot, IPv6 spelling) is listed twice. */
    struct node_config *cfg =
        parse_ok("node.ini", MINIMAL "peers = Node-1.Example.org.:65535, [fd00::3]:7000,\n"
                             "  localhost:26601\n[api]\nlisten = [::1]:26700\n");
    assert_int_equal(cfg->peer_count, 3);
    assert_string_equal(cfg->peers[0].host, "Node-1.Example.org.");
    assert_int_equal(cfg->peers[0].port, 65535);
    assert_int_equal(cfg->peers[0].kind, WB_ADDR_NAME);
    assert_int_equal(cfg->peers[1].kind, WB_ADDR_IPV6);
    assert_string_equal(cfg->peers[2].host, "localhost");
    assert_int_equal(cfg->api_listen.kind, WB_ADDR_IPV6);
    free(cfg);
    expect_error(MINIMAL "peers = node-1.example.org:7000, NODE-1.example.org.:7000\n",
                 "node.ini: [p2p] peers: 'NODE-1.example.org.:7000' is listed twice (line 8)");
    expect_error(MINIMAL "peers = [fd00::3]:7000, [fd00:0::3]:7000\n",
                 "node.ini: [p2p] peers: '[fd00:0::3]:7000' is listed twice (line 8)");
    /* [api] listen equal to [p2p] listen however it is spelt. */
    snprintf(text, sizeof text,
             "[node]\nname = a\ndata_dir = d\nkey_file = k\ngenesis = g\n[p2p]\n"
             "listen = [::1]:7000\n[api]\nlisten = [0::1]:7000\n");
    expect_error(text, "node.ini: [api] listen: expected an address other than [p2p] listen, "
                       "got [0::1]:7000");
}

static void bad_fields_name_file_field_and_expectation(void **state)
{
    (void)state;
    static const struct {
        const char *text, *msg;
    } cases[] = {
        /* missing required fields */
        {"[p2p]\nlisten = 127.0.0.1:1\n",
         "node.ini: [node] name: missing; expected this validator's name as listed in genesis"},
        {"[node]\nname = a\ndata_dir = d\ngenesis = g\n[p2p]\nlisten = 127.0.0.1:1\n",
         "node.ini: [node] key_file: missing; expected the path of the validator's key file"},
        {"[node]\nname = a\ndata_dir = d\nkey_file = k\ngenesis = g\n",
         "node.ini: [p2p] listen: missing; expected the host:port this node accepts validator "
         "links on"},
        /* wrong values */
        {MINIMAL "[api]\nlisten = foo\n",
         "node.ini: [api] listen: 'foo' is not host:port: no ':port' after the host (a host "
         "is a DNS name, an IPv4 address or a bracketed IPv6 address such as [::1]; port 1 to "
         "65535) (line 9)"},
        {"[p2p]\nlisten = 127.0.0.1:0\n",
         "node.ini: [p2p] listen: '127.0.0.1:0' is not host:port: port 0 is not 1 to 65535 (a "
         "host is a DNS name, an IPv4 address or a bracketed IPv6 address such as [::1]; port "
         "1 to 65535) (line 2)"},
        {MINIMAL "peers = 127.0.0.1:1, nope\n",
         "node.ini: [p2p] peers: 'nope' is not host:port: no ':port' after the host (a host is "
         "a DNS name, an IPv4 address or a bracketed IPv6 address such as [::1]; port 1 to "
         "65535) (line 8)"},
        {MINIMAL "peers = 127.0.0.1:1,\n  127.0.0.1:1\n",
         "node.ini: [p2p] peers: '127.0.0.1:1' is listed twice (line 9)"},
        {"[node]\nname = node 0\n",
         "node.ini: [node] name: expected 1 to 64 characters from A-Z a-z 0-9 . _ -, got "
         "'node 0' (line 2)"},
        {"[node]\ndata_dir =\n", "node.ini: [node] data_dir: expected a path, got '' (line 2)"},
        {"[node]\nlog_level = verbose\n",
         "node.ini: [node] log_level: expected one of debug, info, warn, error, off, got "
         "'verbose' (line 2)"},
        {"[consensus]\ntimeout_propose_ms = 0\n",
         "node.ini: [consensus] timeout_propose_ms: expected an integer from 1 to 600000, got "
         "'0' (line 2)"},
        {"[consensus]\ntimeout_prevote_ms = 1s\n",
         "node.ini: [consensus] timeout_prevote_ms: expected an integer from 1 to 600000, got "
         "'1s' (line 2)"},
        {"[consensus]\ntimeout_precommit_delta_ms = -5\n",
         "node.ini: [consensus] timeout_precommit_delta_ms: expected an integer from 0 to "
         "600000, got '-5' (line 2)"},
        {"[limits]\napi_clients_max = 99999999999999999999999\n",
         "node.ini: [limits] api_clients_max: expected an integer from 1 to 4096, got "
         "'99999999999999999999999' (line 2)"},
        {"[limits]\nblock_bytes_max = 100\n",
         "node.ini: [limits] block_bytes_max: expected an integer from 5248 to 67108864, got "
         "'100' (line 2)"},
        {"[storage]\nsync = yes\n",
         "node.ini: [storage] sync: expected true or false, got 'yes' (line 2)"},
        /* unknown, misplaced or repeated keys */
        {"[node]\nnmae = x\n",
         "node.ini: [node] nmae: unknown key (line 2); expected one of name, data_dir, "
         "key_file, genesis, log_level"},
        {"[p2p]\nlisten = 127.0.0.1:1\nlisen = 127.0.0.1:2\n",
         "node.ini: [p2p] lisen: unknown key (line 3); expected one of listen, peers"},
        {"[network]\nlisten = 127.0.0.1:1\n",
         "node.ini: unknown section [network] (line 2); expected one of [node], [p2p], [api], "
         "[consensus], [limits], [storage], [metrics], [risk]"},
        {"name = node0\n",
         "node.ini: name: key outside any section (line 1); expected it under one of [node], "
         "[p2p], [api], [consensus], [limits], [storage], [metrics], [risk]"},
        {MINIMAL "listen = 127.0.0.1:2\n",
         "node.ini: [p2p] listen: set twice (lines 7 and 8)"},
        {"[node]\nname = a\n  b\n", "node.ini: [node] name: set twice (lines 2 and 3)"},
        /* syntax */
        {"[node]\nname node0\n",
         "node.ini: line 2: expected '[section]', 'key = value' or a comment"},
        {"[node]\nname node0\nbogus = 1\n",
         "node.ini: line 2: expected '[section]', 'key = value' or a comment"},
        /* cross-field checks */
        {MINIMAL "[api]\nlisten = 127.0.0.1:26600\n",
         "node.ini: [api] listen: expected an address other than [p2p] listen, got "
         "127.0.0.1:26600"},
        {"[node]\nname = a\ndata_dir = d\nkey_file = k\ngenesis = g\n[p2p]\n"
         "listen = 127.0.0.1:65500\n",
         "node.ini: [api] listen: missing, and the default (127.0.0.1 at the [p2p] listen "
         "port + 100) would exceed port 65535; set it"},
        {MINIMAL "[limits]\nblock_bytes_max = 8388608\n",
         "node.ini: [limits] frame_bytes_max: expected at least block_bytes_max + 65536 = "
         "8454144 (a frame carries a whole block), got 8388608"},
        {MINIMAL "[limits]\nblock_events_max = 4096\nblock_bytes_max = 20000\n",
         "node.ini: [limits] block_bytes_max: expected at least 29056 (one largest event, "
         "4224 bytes, plus the framing of block_events_max = 4096 events), got 20000"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_error(cases[i].text, cases[i].msg);
}

/* [metrics]: a port alone means loopback; another host needs public =
 * true; the other keys need listen. */
static void metrics_listen_is_loopback_unless_public(void **state)
{
    (void)state;
    struct node_config *cfg = parse_ok("node.ini", MINIMAL "[metrics]\nlisten = 9464\n");
    assert_true(cfg->metrics.enabled);
    assert_string_equal(cfg->metrics.listen.host, "127.0.0.1");
    assert_int_equal(cfg->metrics.listen.port, 9464);
    assert_int_equal(cfg->metrics.listen.kind, WB_ADDR_IPV4);
    free(cfg);
    static const char *const loopback[] = {"127.0.0.2:9464", "[::1]:9464", "localhost:9464",
                                           "LOCALHOST.:9464"};
    for (size_t i = 0; i < sizeof loopback / sizeof loopback[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, MINIMAL "[metrics]\nlisten = %s\n", loopback[i]);
        cfg = parse_ok("node.ini", text);
        assert_true(cfg->metrics.enabled);
        free(cfg);
    }
    cfg = parse_ok("node.ini", MINIMAL "[metrics]\nlisten = 0.0.0.0:9464\npublic = true\n"
                               "health_window_ms = 2000\nready_heartbeats = 5\n");
    assert_true(cfg->metrics.public_ok);
    assert_string_equal(cfg->metrics.listen.host, "0.0.0.0");
    assert_int_equal(cfg->metrics.health_window_ms, 2000);
    assert_int_equal(cfg->metrics.ready_heartbeats, 5);
    free(cfg);

    expect_error(MINIMAL "[metrics]\nlisten = 0.0.0.0:9464\n",
                 "node.ini: [metrics] listen: 0.0.0.0:9464 is not a loopback address "
                 "(127.x.x.x, [::1] or localhost); metrics name peers and load, so set "
                 "[metrics] public = true to serve them on another address (line 9)");
    expect_error(MINIMAL "[metrics]\nlisten = metrics.example:9464\n",
                 "node.ini: [metrics] listen: metrics.example:9464 is not a loopback address "
                 "(127.x.x.x, [::1] or localhost); metrics name peers and load, so set "
                 "[metrics] public = true to serve them on another address (line 9)");
    expect_error(MINIMAL "[metrics]\nlisten = 70000\n",
                 "node.ini: [metrics] listen: expected a port from 1 to 65535 or host:port, "
                 "got '70000' (line 9)");
    expect_error(MINIMAL "[metrics]\nlisten = nope\n",
                 "node.ini: [metrics] listen: 'nope' is not host:port: no ':port' after the "
                 "host (a host is a DNS name, an IPv4 address or a bracketed IPv6 address such "
                 "as [::1]; port 1 to 65535), or a port alone (line 9)");
    expect_error(MINIMAL "[metrics]\npublic = true\n",
                 "node.ini: [metrics] public: set without [metrics] listen, which turns the "
                 "metrics endpoint on (line 9)");
    expect_error(MINIMAL "[metrics]\nlisten = 127.0.0.1:26700\n",
                 "node.ini: [metrics] listen: expected an address other than [p2p] listen and "
                 "[api] listen, got 127.0.0.1:26700");
    expect_error(MINIMAL "[metrics]\nlisten = 1\nhealth_window_ms = 10\n",
                 "node.ini: [metrics] health_window_ms: expected an integer from 1000 to "
                 "3600000, got '10' (line 10)");
}

static void long_lines_are_refused_not_cut(void **state)
{
    (void)state;
    /* inih would silently cut this line; the loader names it instead. */
    char text[1024];
    char path[300];
    memset(path, 'p', sizeof path);
    path[sizeof path - 1] = '\0';
    snprintf(text, sizeof text, "[node]\nname = a\ndata_dir = %s\n", path);
    char want[256];
    snprintf(want, sizeof want,
             "node.ini: line 3 is longer than %d characters; continue a long peers list on "
             "indented lines",
             NODE_CONFIG_LINE_MAX);
    expect_error(text, want);

    /* Exactly NODE_CONFIG_LINE_MAX characters is fine, with LF or CRLF. */
    const char *prefix = "data_dir = ";
    size_t fill = NODE_CONFIG_LINE_MAX - strlen(prefix);
    char longest[NODE_CONFIG_LINE_MAX + 1];
    memset(longest, 'd', fill);
    longest[fill] = '\0';
    for (int crlf = 0; crlf < 2; crlf++) {
        const char *nl = crlf ? "\r\n" : "\n";
        snprintf(text, sizeof text,
                 "[node]%sname = a%sdata_dir = %s%skey_file = k%sgenesis = g%s[p2p]%slisten = "
                 "127.0.0.1:1%s",
                 nl, nl, longest, nl, nl, nl, nl, nl);
        struct node_config *cfg = parse_ok("node.ini", text);
        assert_string_equal(cfg->data_dir, longest);
        free(cfg);
    }
}

static void oversized_and_binary_files_are_refused(void **state)
{
    (void)state;
    char dir[] = "/tmp/waybill-config-" MKDTEMP_SLOTS;
    assert_non_null(mkdtemp(dir));
    char path[128], want[256], msg[NODE_CONFIG_MSG_MAX];
    snprintf(path, sizeof path, "%s/node.ini", dir);
    struct node_config *cfg = malloc(sizeof *cfg);
    assert_non_null(cfg);

    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < NODE_CONFIG_FILE_MAX / 16 + 1; i++) fputs("; padding line.\n", f);
    fclose(f);
    assert_int_equal(node_config_load(path, cfg, msg, sizeof msg), WB_ERR_TOO_LARGE);
    snprintf(want, sizeof want, "%s: config file is larger than %d bytes", path,
             NODE_CONFIG_FILE_MAX);
    assert_string_equal(msg, want);

    f = fopen(path, "w");
    assert_non_null(f);
    fwrite("[node]\nname = a\0b\n", 1, 18, f);
    fclose(f);
    assert_int_equal(node_config_load(path, cfg, msg, sizeof msg), WB_ERR_CONFIG);
    snprintf(want, sizeof want, "%s: contains a NUL byte", path);
    assert_string_equal(msg, want);

    unlink(path);
    rmdir(dir);
    free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_fill_every_optional_field),
        cmocka_unit_test(every_field_is_read),
        cmocka_unit_test(relative_paths_follow_the_config_folder),
        cmocka_unit_test(peers_continue_on_indented_lines_and_repeat),
        cmocka_unit_test(addresses_follow_the_one_grammar),
        cmocka_unit_test(bad_fields_name_file_field_and_expectation),
        cmocka_unit_test(metrics_listen_is_loopback_unless_public),
        cmocka_unit_test(long_lines_are_refused_not_cut),
        cmocka_unit_test(oversized_and_binary_files_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
