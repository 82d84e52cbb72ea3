/* `waybill testnet --nodes N --dir DIR [--base-port P] [--chain NAME] [--host HOST]
 * [--heartbeat-ms MS] [--header-version V]`:
 * writes a ready-to-run local network (genesis, keys, one node.ini per
 * validator), checks that everything loads back, and prints a summary. */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "common/addr.h"
#include "common/file.h"
#include "common/hex.h"
#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/genesis.h"
#include "node/config.h"
#include "node/keyfile.h"

#define TESTNET_NODES_MAX 16
#define TESTNET_DEFAULT_BASE_PORT 26600
/* The API port of node i is base + NODE_DEFAULT_API_PORT_OFFSET + i, the
 * same offset node.ini uses when [api] listen is left out. */
#define TESTNET_API_OFFSET NODE_DEFAULT_API_PORT_OFFSET
/* Consensus timeouts written into each node.ini: rounds on loopback are
 * short, so these are lower than the defaults meant for real networks. */
#define TESTNET_TIMEOUT_PROPOSE_MS 1000
#define TESTNET_TIMEOUT_PREVOTE_MS 500
#define TESTNET_TIMEOUT_PRECOMMIT_MS 500
#define TESTNET_TIMEOUT_DELTA_MS 250
#define TESTNET_PEERS_PER_LINE 4
/* A peers line holds at most this many characters of addresses, so a
 * long --host still leaves every line under NODE_CONFIG_LINE_MAX. */
#define TESTNET_PEERS_LINE_CHARS 150
/* The longest --host (as written, brackets included) that fits one peer
 * per line with room to spare. */
#define TESTNET_HOST_MAX 100
#define TESTNET_DEFAULT_HOST "127.0.0.1"
#define TESTNET_INI_MAX 8192
/* Room left in a path for "/nodeNN/client.key" and the like. */
#define TESTNET_DIR_MAX (NODE_PATH_MAX - 64)

/* Member i of a testnet of N nodes is testnet_orgs[i]: with N >= 3 the
 * network always holds a shipper, a carrier and a customs authority, with
 * N >= 4 the consignee of the demo journey, N >= 6 an auditor. The same
 * table is documented in docs/cli.md. */
static const struct {
    const char *org;
    const char *role;
} testnet_orgs[TESTNET_NODES_MAX] = {
    {"acme-shipping", "shipper"},      {"blue-ocean-lines", "carrier"},
    {"rotterdam-customs", "customs"},  {"nordic-retail", "shipper"},
    {"rhine-barge", "carrier"},        {"harbor-audit", "auditor"},
    {"hamburg-customs", "customs"},    {"baltic-feeder", "carrier"},
    {"sunrise-exports", "shipper"},    {"alpine-rail", "carrier"},
    {"antwerp-customs", "customs"},    {"meridian-trading", "shipper"},
    {"northstar-trucking", "carrier"}, {"trustmark-audit", "auditor"},
    {"global-forwarding", "carrier"},  {"eastport-goods", "shipper"},
};

enum {
    TESTNET_OPT_NODES,
    TESTNET_OPT_DIR,
    TESTNET_OPT_BASE_PORT,
    TESTNET_OPT_CHAIN,
    TESTNET_OPT_HOST,
    TESTNET_OPT_HEARTBEAT,
    TESTNET_OPT_HEADER_VERSION,
    TESTNET_OPT_GENESIS_NODES,
    TESTNET_OPT_THRESHOLD,
    TESTNET_OPT_PROPOSAL_TTL,
};

static const struct cli_opt testnet_opts[] = {
    [TESTNET_OPT_NODES] = {"nodes", "N", "number of validators, 1 to 16 (required; 4 is typical)"},
    [TESTNET_OPT_DIR] = {"dir", "DIR", "new or empty directory to write into (required)"},
    [TESTNET_OPT_BASE_PORT] = {"base-port", "P",
                               "p2p port of node0 (default 26600); node i: P+i, API P+100+i"},
    [TESTNET_OPT_CHAIN] = {"chain", "NAME",
                           "chain id (default waybill-testnet-<8 random hex digits>)"},
    [TESTNET_OPT_HOST] = {"host", "HOST",
                          "host every address names (default 127.0.0.1): a DNS name such as "
                          "localhost, an IPv4 address or a bracketed IPv6 address such as "
                          "[::1]"},
    [TESTNET_OPT_HEARTBEAT] = {"heartbeat-ms", "MS",
                               "idle network: a block every MS, 100 to 86400000 (default 60000)"},
    [TESTNET_OPT_HEADER_VERSION] = {"header-version", "V",
                                    "block headers: 2 commit to every item's state after the "
                                    "block (default), 1 to the events only"},
    [TESTNET_OPT_GENESIS_NODES] = {"genesis-nodes", "K",
                                   "genesis lists only the first K nodes and their "
                                   "organisations (default N); the others are for onboarding"},
    [TESTNET_OPT_THRESHOLD] = {"threshold", "NUM/DEN",
                               "genesis governance.threshold (default 2/3)"},
    [TESTNET_OPT_PROPOSAL_TTL] = {"proposal-ttl-ms", "MS",
                                  "genesis governance.proposal_ttl_ms (default 7 days)"},
};

static const struct cli_usage testnet_usage = {
    .cmd = "testnet",
    .synopsis =
        "--nodes N --dir DIR [--base-port P] [--chain NAME] [--host HOST] [--heartbeat-ms MS]\n"
        "        [--header-version V] [--genesis-nodes K] [--threshold NUM/DEN]\n"
        "        [--proposal-ttl-ms MS]",
    .description =
        "Writes a local network of N validators on HOST (default 127.0.0.1), one per member\n"
        "organisation:\n"
        "  DIR/genesis.json            chain id, genesis time, time rules, heartbeat, header\n"
        "                              version, governance policy, members, validators\n"
        "  DIR/node<i>/node.key        validator key of node<i> (mode 0600)\n"
        "  DIR/node<i>/client.key      client key of node<i>'s organisation (mode 0600)\n"
        "  DIR/node<i>/node.ini        its config: p2p HOST:P+i, API HOST:P+100+i\n"
        "  DIR/node<i>/data/           its ledger database (empty)\n"
        "Organisations in order: acme-shipping (shipper), blue-ocean-lines (carrier),\n"
        "rotterdam-customs (customs), nordic-retail (shipper), rhine-barge (carrier),\n"
        "harbor-audit (auditor), ... (docs/cli.md lists all 16). Start node i with\n"
        "  waybill node --config DIR/node<i>/node.ini\n"
        "With --genesis-nodes K the genesis lists only the first K nodes and their\n"
        "organisations; node<K>.. get keys and configs too, to rehearse onboarding an\n"
        "organisation and its node by governance (docs/operating.md).\n"
        "DIR must not exist or be empty.\n",
    .opts = testnet_opts,
    .opt_count = sizeof testnet_opts / sizeof testnet_opts[0],
};

struct testnet {
    size_t n;
    size_t genesis_nodes;               /* nodes the genesis lists: the first ones */
    const char *threshold;              /* --threshold text, checked by the genesis parser */
    int64_t proposal_ttl_ms;
    unsigned base_port;
    uint32_t heartbeat_ms;
    uint32_t header_version;
    char chain[WB_CHAIN_NAME_MAX + 1];
    struct wb_addr host;                /* --host; port unused */
    const char *dir;
    bool help;                          /* --help was shown: nothing to do */
    bool created_dir;                   /* we made DIR (remove it on failure) */
    size_t node_dirs;                   /* node<i> folders made so far */
    uint8_t node_pk[TESTNET_NODES_MAX][WB_PUBKEY_LEN];
    uint8_t client_pk[TESTNET_NODES_MAX][WB_PUBKEY_LEN];
};

static int testnet_path(char out[NODE_PATH_MAX], const struct testnet *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* DIR joined with a relative path built from fmt. */
static int testnet_path(char out[NODE_PATH_MAX], const struct testnet *t, const char *fmt, ...)
{
    char rel[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(rel, sizeof rel, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof rel) return WB_ERR_TOO_LARGE;
    n = snprintf(out, NODE_PATH_MAX, "%s/%s", t->dir, rel);
    return n < 0 || n >= NODE_PATH_MAX ? WB_ERR_TOO_LARGE : WB_OK;
}

/* HOST:port as text, IPv6 in brackets. */
static const char *testnet_addr(const struct testnet *t, unsigned port,
                                char out[WB_ADDR_STR_MAX])
{
    struct wb_addr a = t->host;
    a.port = (uint16_t)port;
    return wb_addr_format(&a, out, WB_ADDR_STR_MAX);
}

static bool testnet_chain_ok(const char *s)
{
    size_t n = strlen(s);
    return n >= 1 && n <= WB_CHAIN_NAME_MAX &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* DIR must be new (created here) or an empty directory. */
static int testnet_prepare_dir(struct testnet *t)
{
    if (mkdir(t->dir, 0755) == 0) {
        t->created_dir = true;
        return CLI_EXIT_OK;
    }
    if (errno != EEXIST) {
        cli_error("testnet", "cannot create %s: %s", t->dir, strerror(errno));
        return CLI_EXIT_FAILED;
    }
    DIR *d = opendir(t->dir);
    if (!d) {
        cli_error("testnet", "%s exists and cannot be used as the testnet directory: %s",
                  t->dir, strerror(errno));
        return CLI_EXIT_FAILED;
    }
    const struct dirent *e;
    bool empty = true;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) empty = false;
    closedir(d);
    if (!empty) {
        cli_error("testnet", "%s is not empty; refusing to write a testnet into it (choose a "
                  "new or empty directory)", t->dir);
        return CLI_EXIT_FAILED;
    }
    return CLI_EXIT_OK;
}

/* Removes what this run wrote, by name only, after a failure. */
static void testnet_remove(const struct testnet *t)
{
    static const char *const files[] = {"node.key", "client.key", "node.ini"};
    char p[NODE_PATH_MAX];
    for (size_t i = 0; i < t->node_dirs; i++) {
        for (size_t f = 0; f < sizeof files / sizeof files[0]; f++)
            if (testnet_path(p, t, "node%zu/%s", i, files[f]) == WB_OK) unlink(p);
        if (testnet_path(p, t, "node%zu/data", i) == WB_OK) rmdir(p);
        if (testnet_path(p, t, "node%zu", i) == WB_OK) rmdir(p);
    }
    if (testnet_path(p, t, "genesis.json") == WB_OK) unlink(p);
    if (t->created_dir) rmdir(t->dir);
}

/* Makes DIR/node<i><sub> ("" for the node folder itself, "/data"). */
static int testnet_make_dir(const struct testnet *t, size_t i, const char *sub, mode_t mode)
{
    char p[NODE_PATH_MAX];
    if (testnet_path(p, t, "node%zu%s", i, sub) != WB_OK) {
        cli_error("testnet", "path under %s is too long", t->dir);
        return CLI_EXIT_FAILED;
    }
    if (mkdir(p, mode) != 0) {
        cli_error("testnet", "cannot create %s: %s", p, strerror(errno));
        return CLI_EXIT_FAILED;
    }
    return CLI_EXIT_OK;
}

/* Writes DIR/node<i>/<name> with a fresh key; its public half into pk. */
static int testnet_key(const struct testnet *t, size_t i, const char *name,
                       uint8_t pk[WB_PUBKEY_LEN])
{
    char p[NODE_PATH_MAX], msg[KEYFILE_MSG_MAX];
    if (testnet_path(p, t, "node%zu/%s", i, name) != WB_OK) {
        cli_error("testnet", "path under %s is too long", t->dir);
        return CLI_EXIT_FAILED;
    }
    if (keyfile_generate(p, false, pk, msg, sizeof msg) != WB_OK) {
        cli_error("testnet", "%s", msg);
        return CLI_EXIT_FAILED;
    }
    return CLI_EXIT_OK;
}

static int testnet_write_keys(struct testnet *t)
{
    for (size_t i = 0; i < t->n; i++) {
        if (testnet_make_dir(t, i, "", 0700) != CLI_EXIT_OK) return CLI_EXIT_FAILED;
        t->node_dirs = i + 1;
        if (testnet_make_dir(t, i, "/data", 0700) != CLI_EXIT_OK) return CLI_EXIT_FAILED;
        if (testnet_key(t, i, "node.key", t->node_pk[i]) != CLI_EXIT_OK ||
            testnet_key(t, i, "client.key", t->client_pk[i]) != CLI_EXIT_OK)
            return CLI_EXIT_FAILED;
    }
    return CLI_EXIT_OK;
}

static json_t *testnet_hex_string(const uint8_t key[WB_PUBKEY_LEN])
{
    char hex[2 * WB_PUBKEY_LEN + 1];
    return json_string(wb_hex_encode(key, WB_PUBKEY_LEN, hex, sizeof hex));
}

/* The genesis document; NULL when out of memory. Every json_*_set_new and
 * append_new call takes over its value, even on failure, so only the
 * containers not yet attached need freeing on the error path. */
static json_t *testnet_genesis_json(const struct testnet *t, const char *genesis_time)
{
    json_t *root = json_object(), *members = json_array(), *validators = json_array();
    if (!root || !members || !validators) goto err_free_json;
    /* The time rules' parameters are written out, at their defaults, so the
     * file shows what the chain allows. */
    if (json_object_set_new(root, "chain_id", json_string(t->chain)) != 0 ||
        json_object_set_new(root, "genesis_time", json_string(genesis_time)) != 0 ||
        json_object_set_new(root, "clock_skew_ms", json_integer(WB_CLOCK_SKEW_MS_DEFAULT)) != 0 ||
        json_object_set_new(root, "backdate_max_ms", json_integer(WB_BACKDATE_MAX_MS_DEFAULT)) !=
            0 ||
        json_object_set_new(root, "heartbeat_ms", json_integer(t->heartbeat_ms)) != 0 ||
        json_object_set_new(root, "header_version", json_integer(t->header_version)) != 0)
        goto err_free_json;
    json_t *gov = json_object(), *roles = json_array();
    if (json_object_set_new(root, "governance", gov) != 0 ||
        json_object_set_new(gov, "voting_roles", roles) != 0)
        goto err_free_json;
    static const char *const all_roles[] = {"shipper", "carrier", "customs", "auditor"};
    for (size_t r = 0; r < sizeof all_roles / sizeof all_roles[0]; r++)
        if (json_array_append_new(roles, json_string(all_roles[r])) != 0) goto err_free_json;
    if (json_object_set_new(gov, "threshold", json_string(t->threshold)) != 0 ||
        json_object_set_new(gov, "proposal_ttl_ms", json_integer(t->proposal_ttl_ms)) != 0)
        goto err_free_json;
    for (size_t i = 0; i < t->genesis_nodes; i++) {
        char p2p[WB_ADDR_STR_MAX], api[WB_ADDR_STR_MAX], name[32];
        testnet_addr(t, t->base_port + (unsigned)i, p2p);
        testnet_addr(t, t->base_port + TESTNET_API_OFFSET + (unsigned)i, api);
        snprintf(name, sizeof name, "node%zu", i);
        json_t *member = json_object();
        if (json_array_append_new(members, member) != 0 ||
            json_object_set_new(member, "org", json_string(testnet_orgs[i].org)) != 0 ||
            json_object_set_new(member, "role", json_string(testnet_orgs[i].role)) != 0)
            goto err_free_json;
        json_t *keys = json_array();
        if (json_object_set_new(member, "keys", keys) != 0 ||
            json_array_append_new(keys, testnet_hex_string(t->client_pk[i])) != 0)
            goto err_free_json;
        json_t *validator = json_object();
        if (json_array_append_new(validators, validator) != 0 ||
            json_object_set_new(validator, "name", json_string(name)) != 0 ||
            json_object_set_new(validator, "org", json_string(testnet_orgs[i].org)) != 0 ||
            json_object_set_new(validator, "key", testnet_hex_string(t->node_pk[i])) != 0 ||
            json_object_set_new(validator, "p2p", json_string(p2p)) != 0 ||
            json_object_set_new(validator, "api", json_string(api)) != 0)
            goto err_free_json;
    }
    int rc = json_object_set_new(root, "members", members);
    members = NULL; /* root's now, or already freed */
    if (rc != 0) goto err_free_json;
    rc = json_object_set_new(root, "validators", validators);
    validators = NULL;
    if (rc != 0) goto err_free_json;
    return root;

err_free_json:
    json_decref(members);
    json_decref(validators);
    json_decref(root);
    return NULL;
}

static int testnet_write_genesis(const struct testnet *t, char **text_out)
{
    char genesis_time[32];
    time_t now = time(NULL);
    struct tm tm;
    if (now == (time_t)-1 || !gmtime_r(&now, &tm) ||
        strftime(genesis_time, sizeof genesis_time, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        cli_error("testnet", "cannot read the clock for genesis_time");
        return CLI_EXIT_FAILED;
    }
    json_t *root = testnet_genesis_json(t, genesis_time);
    if (!root) {
        cli_error("testnet", "out of memory building genesis");
        return CLI_EXIT_FAILED;
    }
    char *body = json_dumps(root, JSON_INDENT(2));
    json_decref(root);
    size_t len = body ? strlen(body) : 0;
    char *text = body ? malloc(len + 2) : NULL;
    if (!text) {
        free(body);
        cli_error("testnet", "out of memory writing genesis");
        return CLI_EXIT_FAILED;
    }
    memcpy(text, body, len);
    free(body);
    text[len] = '\n';
    text[len + 1] = '\0';

    char p[NODE_PATH_MAX];
    int rc = testnet_path(p, t, "genesis.json");
    if (rc == WB_OK) rc = wb_write_file(p, text, len + 1, 0644);
    if (rc != WB_OK) {
        cli_error("testnet", "cannot write %s/genesis.json: %s", t->dir, wb_strerror(rc));
        free(text);
        return CLI_EXIT_FAILED;
    }
    *text_out = text;
    return CLI_EXIT_OK;
}

/* Appends to a fixed buffer; remembers overflow instead of truncating. */
struct testnet_buf {
    char data[TESTNET_INI_MAX];
    size_t len;
    bool overflow;
};

static void testnet_put(struct testnet_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void testnet_put(struct testnet_buf *b, const char *fmt, ...)
{
    if (b->overflow) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->data + b->len, sizeof b->data - b->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof b->data - b->len)
        b->overflow = true;
    else
        b->len += (size_t)n;
}

static void testnet_node_ini(const struct testnet *t, size_t i, struct testnet_buf *b)
{
    unsigned p2p = t->base_port + (unsigned)i;
    char addr[WB_ADDR_STR_MAX];
    size_t per_line = TESTNET_PEERS_LINE_CHARS / (strlen(testnet_addr(t, 65535, addr)) + 2);
    if (per_line > TESTNET_PEERS_PER_LINE) per_line = TESTNET_PEERS_PER_LINE;
    if (per_line == 0) per_line = 1;
    testnet_put(b,
                "# node%zu of testnet %s: %s (%s).\n"
                "# Written by `waybill testnet`. Relative paths are relative to this\n"
                "# file's folder. Every key is explained in config/node.example.ini.\n\n",
                i, t->chain, testnet_orgs[i].org, testnet_orgs[i].role);
    testnet_put(b,
                "[node]\nname = node%zu\ndata_dir = data\nkey_file = node.key\n"
                "genesis = ../genesis.json\nlog_level = info\n\n",
                i);
    testnet_put(b, "[p2p]\nlisten = %s\n", testnet_addr(t, p2p, addr));
    if (t->n > 1) {
        testnet_put(b, "# every other validator; the list continues on indented lines\npeers =");
        size_t on_line = 0;
        for (size_t j = 0, k = 0; j < t->n; j++) {
            if (j == i) continue;
            bool last = ++k == t->n - 1;
            if (on_line == per_line) {
                testnet_put(b, "\n   ");
                on_line = 0;
            }
            testnet_put(b, " %s%s", testnet_addr(t, t->base_port + (unsigned)j, addr),
                        last ? "" : ",");
            on_line++;
        }
        testnet_put(b, "\n");
    }
    testnet_put(b, "\n[api]\nlisten = %s\n\n", testnet_addr(t, p2p + TESTNET_API_OFFSET, addr));
    testnet_put(b,
                "[consensus]\n"
                "# shorter than the defaults: rounds on loopback are quick\n"
                "timeout_propose_ms = %u\ntimeout_propose_delta_ms = %u\n"
                "timeout_prevote_ms = %u\ntimeout_prevote_delta_ms = %u\n"
                "timeout_precommit_ms = %u\ntimeout_precommit_delta_ms = %u\n"
                "block_time_drift_ms = %u\n\n",
                TESTNET_TIMEOUT_PROPOSE_MS, TESTNET_TIMEOUT_DELTA_MS, TESTNET_TIMEOUT_PREVOTE_MS,
                TESTNET_TIMEOUT_DELTA_MS, TESTNET_TIMEOUT_PRECOMMIT_MS,
                TESTNET_TIMEOUT_DELTA_MS, NODE_DEFAULT_BLOCK_TIME_DRIFT_MS);
    testnet_put(b,
                "[limits]\nblock_events_max = %u\nblock_bytes_max = %u\n"
                "mempool_events_max = %u\nmempool_bytes_max = %llu\n"
                "frame_bytes_max = %u\napi_clients_max = %u\n\n",
                NODE_DEFAULT_BLOCK_EVENTS_MAX, NODE_DEFAULT_BLOCK_BYTES_MAX,
                NODE_DEFAULT_MEMPOOL_EVENTS_MAX, NODE_DEFAULT_MEMPOOL_BYTES_MAX,
                NODE_DEFAULT_FRAME_BYTES_MAX, NODE_DEFAULT_API_CLIENTS_MAX);
    testnet_put(b, "[storage]\n# fsync every committed block\nsync = true\n");
}

static int testnet_write_configs(const struct testnet *t)
{
    struct testnet_buf *b = malloc(sizeof *b);
    if (!b) {
        cli_error("testnet", "out of memory");
        return CLI_EXIT_FAILED;
    }
    int result = CLI_EXIT_OK;
    for (size_t i = 0; i < t->n && result == CLI_EXIT_OK; i++) {
        b->len = 0;
        b->overflow = false;
        testnet_node_ini(t, i, b);
        char p[NODE_PATH_MAX];
        int rc = b->overflow ? WB_ERR_TOO_LARGE : testnet_path(p, t, "node%zu/node.ini", i);
        if (rc == WB_OK) rc = wb_write_file(p, b->data, b->len, 0644);
        if (rc != WB_OK) {
            cli_error("testnet", "cannot write %s/node%zu/node.ini: %s", t->dir, i,
                      wb_strerror(rc));
            result = CLI_EXIT_FAILED;
        }
    }
    free(b);
    return result;
}

/* Loads everything back the way a node will: the genesis through the ledger
 * parser, each node.ini through the config loader, each key through the
 * key loader, and checks they agree with what was generated. */
static int testnet_check(const struct testnet *t, const char *genesis_text,
                         struct ledger_genesis *g)
{
    char msg[NODE_CONFIG_MSG_MAX];
    if (ledger_genesis_parse((const uint8_t *)genesis_text, strlen(genesis_text), g, msg,
                             sizeof msg) != WB_OK) {
        cli_error("testnet", "the written genesis does not parse: %s", msg);
        return CLI_EXIT_FAILED;
    }
    struct node_config *cfg = malloc(sizeof *cfg);
    if (!cfg) {
        cli_error("testnet", "out of memory");
        return CLI_EXIT_FAILED;
    }
    int result = CLI_EXIT_OK;
    for (size_t i = 0; i < t->n && result == CLI_EXIT_OK; i++) {
        char p[NODE_PATH_MAX];
        uint8_t pk[WB_PUBKEY_LEN], sk[WB_SECKEY_LEN];
        result = CLI_EXIT_FAILED;
        if (testnet_path(p, t, "node%zu/node.ini", i) != WB_OK) break;
        if (node_config_load(p, cfg, msg, sizeof msg) != WB_OK) {
            cli_error("testnet", "a written config does not load: %s", msg);
            break;
        }
        if (keyfile_load(cfg->key_file, pk, sk, msg, sizeof msg) != WB_OK) {
            cli_error("testnet", "a written key does not load: %s", msg);
            break;
        }
        sodium_memzero(sk, sizeof sk);
        int v = ledger_genesis_validator_of_key(g, pk);
        if (i >= t->genesis_nodes) {
            if (v < 0) result = CLI_EXIT_OK;
            else cli_error("testnet", "%s: a node to onboard is a validator already", p);
            continue;
        }
        if (v != (int)i || strcmp(g->validators[v].name, cfg->name) != 0) {
            cli_error("testnet", "%s: its key is not validator %zu of the written genesis", p, i);
            break;
        }
        result = CLI_EXIT_OK;
    }
    free(cfg);
    return result;
}

static void testnet_print_summary(const struct testnet *t, const struct ledger_genesis *g)
{
    enum { COLS = 6 };
    char cells[TESTNET_NODES_MAX][3][WB_ADDR_STR_MAX];
    const char *table[(TESTNET_NODES_MAX + 1) * COLS] = {"node", "org",  "role",
                                                          "p2p",  "api", "client key"};
    char client_key[TESTNET_NODES_MAX][NODE_PATH_MAX];
    for (size_t i = 0; i < t->n; i++) {
        const char **row = &table[(i + 1) * COLS];
        snprintf(cells[i][0], sizeof cells[i][0], "node%zu", i);
        testnet_addr(t, t->base_port + (unsigned)i, cells[i][1]);
        testnet_addr(t, t->base_port + TESTNET_API_OFFSET + (unsigned)i, cells[i][2]);
        if (testnet_path(client_key[i], t, "node%zu/client.key", i) != WB_OK)
            client_key[i][0] = '\0';
        row[0] = cells[i][0];
        row[1] = testnet_orgs[i].org;
        row[2] = testnet_orgs[i].role;
        row[3] = cells[i][1];
        row[4] = cells[i][2];
        row[5] = client_key[i];
    }
    printf("wrote testnet %s to %s: %zu validator%s, quorum %zu\n", t->chain, t->dir,
           t->genesis_nodes, t->genesis_nodes == 1 ? "" : "s", ledger_genesis_quorum(g));
    if (t->genesis_nodes < t->n)
        printf("node%zu..node%zu and their organisations are not in genesis: onboard them "
               "with `waybill gov propose add-member` and `add-validator` (docs/operating.md)\n",
               t->genesis_nodes, t->n - 1);
    printf("\n");
    cli_table_print(stdout, COLS, t->n + 1, table);
    printf("\ngenesis: %s/genesis.json\n"
           "start each node with: waybill node --config %s/node<i>/node.ini\n",
           t->dir, t->dir);
}

static int testnet_parse_args(struct testnet *t, int argc, char **argv)
{
    struct cli_args args;
    const char *nodes = NULL, *base_port = NULL, *chain = NULL, *host = NULL, *heartbeat = NULL;
    const char *header_version = NULL, *genesis_nodes = NULL, *ttl = NULL;
    const char *value;
    int opt;

    cli_args_init(&args, &testnet_usage, argc, argv);
    while ((opt = cli_args_next(&args, &value)) >= 0) {
        const char **slot = opt == TESTNET_OPT_NODES       ? &nodes
                            : opt == TESTNET_OPT_DIR       ? &t->dir
                            : opt == TESTNET_OPT_BASE_PORT ? &base_port
                            : opt == TESTNET_OPT_CHAIN     ? &chain
                            : opt == TESTNET_OPT_HOST      ? &host
                            : opt == TESTNET_OPT_HEARTBEAT ? &heartbeat
                            : opt == TESTNET_OPT_GENESIS_NODES ? &genesis_nodes
                            : opt == TESTNET_OPT_THRESHOLD     ? &t->threshold
                            : opt == TESTNET_OPT_PROPOSAL_TTL  ? &ttl
                                                               : &header_version;
        if (*slot)
            return cli_usage_error(&testnet_usage, "--%s given twice", testnet_opts[opt].name);
        *slot = value;
    }
    if (opt == CLI_ARGS_HELP) t->help = true;
    if (opt != CLI_ARGS_END) return cli_args_exit(opt);
    if (args.pos_count)
        return cli_usage_error(&testnet_usage, "unexpected argument '%s'", args.pos[0]);
    if (!nodes) return cli_usage_error(&testnet_usage, "--nodes N is required");
    if (!t->dir) return cli_usage_error(&testnet_usage, "--dir DIR is required");

    uint64_t v;
    if (cli_parse_u64(nodes, 1, TESTNET_NODES_MAX, &v) != WB_OK)
        return cli_usage_error(&testnet_usage, "--nodes: expected 1 to %d, got '%s'",
                               TESTNET_NODES_MAX, nodes);
    t->n = (size_t)v;
    t->genesis_nodes = t->n;
    if (genesis_nodes) {
        if (cli_parse_u64(genesis_nodes, 1, t->n, &v) != WB_OK)
            return cli_usage_error(&testnet_usage, "--genesis-nodes: expected 1 to %zu (--nodes), "
                                   "got '%s'", t->n, genesis_nodes);
        t->genesis_nodes = (size_t)v;
    }
    if (!t->threshold) t->threshold = "2/3";
    unsigned num, den;
    char tail;
    if (sscanf(t->threshold, "%u/%u%c", &num, &den, &tail) != 2 || num < 1 || num > den ||
        den > WB_GOV_THRESHOLD_DEN_MAX)
        return cli_usage_error(&testnet_usage,
                               "--threshold: expected NUM/DEN with 1 <= NUM <= DEN <= %d, such "
                               "as 2/3, got '%s'",
                               WB_GOV_THRESHOLD_DEN_MAX, t->threshold);
    t->proposal_ttl_ms = WB_GOV_PROPOSAL_TTL_MS_DEFAULT;
    if (ttl) {
        if (cli_parse_u64(ttl, (uint64_t)WB_GOV_PROPOSAL_TTL_MS_MIN,
                          (uint64_t)WB_GOV_PROPOSAL_TTL_MS_MAX, &v) != WB_OK)
            return cli_usage_error(&testnet_usage,
                                   "--proposal-ttl-ms: expected %lld to %lld milliseconds, got "
                                   "'%s'", (long long)WB_GOV_PROPOSAL_TTL_MS_MIN,
                                   (long long)WB_GOV_PROPOSAL_TTL_MS_MAX, ttl);
        t->proposal_ttl_ms = (int64_t)v;
    }
    /* Every p2p port P+i and API port P+100+i must be a valid port. */
    uint64_t port_max = 65535 - TESTNET_API_OFFSET - (t->n - 1);
    t->base_port = TESTNET_DEFAULT_BASE_PORT;
    if (base_port) {
        if (cli_parse_u64(base_port, 1, port_max, &v) != WB_OK)
            return cli_usage_error(&testnet_usage,
                                   "--base-port: expected 1 to %llu for %zu nodes, got '%s'",
                                   (unsigned long long)port_max, t->n, base_port);
        t->base_port = (unsigned)v;
    }
    char why[WB_ADDR_MSG_MAX];
    if (wb_addr_parse_host(host ? host : TESTNET_DEFAULT_HOST, &t->host, why, sizeof why) !=
        WB_OK)
        return cli_usage_error(&testnet_usage, "--host: %s", why);
    if (strlen(host ? host : TESTNET_DEFAULT_HOST) > TESTNET_HOST_MAX)
        return cli_usage_error(&testnet_usage, "--host: expected at most %d characters",
                               TESTNET_HOST_MAX);
    t->heartbeat_ms = WB_HEARTBEAT_MS_DEFAULT;
    if (heartbeat) {
        if (cli_parse_u64(heartbeat, WB_HEARTBEAT_MS_MIN, WB_HEARTBEAT_MS_MAX, &v) != WB_OK)
            return cli_usage_error(&testnet_usage,
                                   "--heartbeat-ms: expected %d to %d milliseconds, got '%s'",
                                   WB_HEARTBEAT_MS_MIN, WB_HEARTBEAT_MS_MAX, heartbeat);
        t->heartbeat_ms = (uint32_t)v;
    }
    t->header_version = WB_BLOCK_VERSION_STATE;
    if (header_version) {
        if (cli_parse_u64(header_version, WB_BLOCK_VERSION, WB_BLOCK_VERSION_STATE, &v) != WB_OK)
            return cli_usage_error(&testnet_usage, "--header-version: expected %d or %d, got '%s'",
                                   WB_BLOCK_VERSION, WB_BLOCK_VERSION_STATE, header_version);
        t->header_version = (uint32_t)v;
    }
    if (t->dir[0] == '\0' || strlen(t->dir) > TESTNET_DIR_MAX)
        return cli_usage_error(&testnet_usage, "--dir: expected a path of 1 to %d bytes",
                               TESTNET_DIR_MAX);
    if (chain) {
        if (!testnet_chain_ok(chain))
            return cli_usage_error(&testnet_usage,
                                   "--chain: expected 1 to %d characters from A-Z a-z 0-9 . _ "
                                   "-, got '%s'",
                                   WB_CHAIN_NAME_MAX, chain);
        snprintf(t->chain, sizeof t->chain, "%s", chain);
    } else {
        uint8_t r[4];
        char hex[9];
        randombytes_buf(r, sizeof r);
        snprintf(t->chain, sizeof t->chain, "waybill-testnet-%s",
                 wb_hex_encode(r, sizeof r, hex, sizeof hex));
    }
    return CLI_EXIT_OK;
}

int cmd_testnet(int argc, char **argv)
{
    struct testnet *t = calloc(1, sizeof *t);
    struct ledger_genesis *g = calloc(1, sizeof *g);
    char *genesis_text = NULL;
    int rc = CLI_EXIT_FAILED;
    if (!t || !g) {
        cli_error("testnet", "out of memory");
        goto out_free;
    }
    rc = testnet_parse_args(t, argc, argv);
    if (rc != CLI_EXIT_OK || t->help) goto out_free;
    rc = testnet_prepare_dir(t);
    if (rc != CLI_EXIT_OK) goto out_free;

    rc = testnet_write_keys(t);
    if (rc == CLI_EXIT_OK) rc = testnet_write_genesis(t, &genesis_text);
    if (rc == CLI_EXIT_OK) rc = testnet_write_configs(t);
    if (rc == CLI_EXIT_OK) rc = testnet_check(t, genesis_text, g);
    if (rc != CLI_EXIT_OK) {
        testnet_remove(t);
        goto out_free;
    }
    testnet_print_summary(t, g);

out_free:
    free(genesis_text);
    free(g);
    free(t);
    return rc;
}
