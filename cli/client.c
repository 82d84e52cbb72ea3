/* Client side of the node's client API: common options, key and genesis
 * loading, the net_client connector, and one request/response exchange. */
#include "cli/client.h"

#include <libgen.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/gov_state.h"
#include "ledger/gov_history.h"
#include "ledger/verify.h"
#include "cli/print.h"
#include "common/addr.h"
#include "common/file.h"
#include "common/hex.h"
#include "common/log.h"
#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "ledger/rules.h"
#include "node/keyfile.h"
#include "node/net/net_client.h"

int64_t client_now_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void client__reason(struct client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void client__reason(struct client *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->reason, sizeof c->reason, fmt, ap);
    va_end(ap);
}

/* ---- options --------------------------------------------------------------- */

void client_opts_init(struct client_opts *o, const char *cmd)
{
    memset(o, 0, sizeof *o);
    o->cmd = cmd;
    o->timeout_ms = CLIENT_TIMEOUT_S_DEFAULT * 1000u;
}

int client_opt_once(const struct cli_usage *u, const char **slot, const char *name,
                    const char *value)
{
    if (*slot) return cli_usage_error(u, "--%s given twice", name);
    if (value[0] == '\0') return cli_usage_error(u, "--%s needs a value", name);
    *slot = value;
    return CLI_EXIT_OK;
}

int client_opts_parse(struct client_opts *o, const struct cli_usage *u, int opt,
                      const char *value, bool *handled)
{
    const char *name = u->opts[opt].name;
    *handled = true;
    if (strcmp(name, "node") == 0) {
        if (!o->many_nodes || o->node_count == 0) {
            int ex = client_opt_once(u, &o->node, name, value);
            if (ex == CLI_EXIT_OK) o->nodes[o->node_count++] = value;
            return ex;
        }
        if (value[0] == '\0') return cli_usage_error(u, "--node needs a value");
        if (o->node_count == CLIENT_NODES_MAX)
            return cli_usage_error(u, "--node given more than %d times", CLIENT_NODES_MAX);
        o->nodes[o->node_count++] = value;
        return CLI_EXIT_OK;
    }
    if (strcmp(name, "key") == 0) return client_opt_once(u, &o->key, name, value);
    if (strcmp(name, "genesis") == 0) return client_opt_once(u, &o->genesis, name, value);
    if (strcmp(name, "json") == 0) {
        o->json = true;
        return CLI_EXIT_OK;
    }
    if (strcmp(name, "timeout") == 0) {
        uint64_t s;
        if (cli_parse_u64(value, 1, CLIENT_TIMEOUT_S_MAX, &s) != WB_OK)
            return cli_usage_error(u, "--timeout: expected whole seconds from 1 to %d, got '%s'",
                                   CLIENT_TIMEOUT_S_MAX, value);
        o->timeout_ms = (uint32_t)s * 1000u;
        return CLI_EXIT_OK;
    }
    *handled = false;
    return CLI_EXIT_OK;
}

int client_args_parse(struct cli_args *args, const struct cli_usage *u, int argc, char **argv,
                      struct client_opts *co, client_own_opt_fn own, void *ctx)
{
    const char *value;
    int opt;
    cli_args_init(args, u, argc, argv);
    while ((opt = cli_args_next(args, &value)) >= 0) {
        bool handled;
        int ex = client_opts_parse(co, u, opt, value, &handled);
        if (ex == CLI_EXIT_OK && !handled && own) ex = own(ctx, opt, value);
        if (ex != CLI_EXIT_OK) return ex;
    }
    if (opt == CLI_ARGS_HELP) return CLIENT_HELP_SHOWN;
    if (opt != CLI_ARGS_END) return cli_args_exit(opt);
    return CLI_EXIT_OK;
}

static bool client__is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* <folder above the key file's folder>/genesis.json, if that file exists. */
static bool client__derive_genesis(struct client_opts *o)
{
    char copy[CLIENT_PATH_MAX], real[PATH_MAX];
    if (!o->key || strlen(o->key) >= sizeof copy) return false;
    memcpy(copy, o->key, strlen(o->key) + 1);
    /* The key's folder, resolved, so "client.key" in the current folder
     * still finds the folder above it. */
    if (!realpath(dirname(copy), real)) return false;
    const char *parent = dirname(real);
    int n = snprintf(o->genesis_buf, sizeof o->genesis_buf, "%s%sgenesis.json", parent,
                     strcmp(parent, "/") == 0 ? "" : "/");
    if (n < 0 || (size_t)n >= sizeof o->genesis_buf || !client__is_file(o->genesis_buf))
        return false;
    o->genesis = o->genesis_buf;
    o->genesis_derived = true;
    return true;
}

int client_opts_finish(struct client_opts *o, const struct cli_usage *u, bool need_node)
{
    o->node = cli_env_default(o->node, CLIENT_ENV_NODE);
    o->key = cli_env_default(o->key, CLIENT_ENV_KEY);
    if (need_node) {
        if (!o->node)
            return cli_usage_error(u, "no node address: give --node host:port or set %s",
                                   CLIENT_ENV_NODE);
        struct wb_addr addr;
        char why[WB_ADDR_MSG_MAX];
        if (wb_addr_parse(o->node, &addr, why, sizeof why) != WB_OK)
            return cli_usage_error(u, "--node: %s", why);
        if (!o->key)
            return cli_usage_error(u, "no key file: give --key FILE or set %s", CLIENT_ENV_KEY);
    }
    if (!o->genesis) o->genesis = cli_env_default(NULL, CLIENT_ENV_GENESIS);
    if (!o->genesis && !client__derive_genesis(o))
        return cli_usage_error(u, "no genesis file: give --genesis FILE or set %s (or keep the "
                                  "key file in a folder beside genesis.json, as waybill "
                                  "testnet lays them out)",
                               CLIENT_ENV_GENESIS);
    return CLI_EXIT_OK;
}

int client_load_genesis(const struct client_opts *o, struct ledger_genesis **out)
{
    uint8_t *json = NULL;
    size_t len = 0;
    char msg[512];
    *out = NULL;
    int rc = wb_read_file(o->genesis, CLIENT_GENESIS_FILE_MAX, &json, &len);
    if (rc == WB_ERR_NOT_FOUND) {
        cli_error(o->cmd, "genesis file %s does not exist", o->genesis);
        return CLI_EXIT_FAILED;
    }
    if (rc == WB_ERR_TOO_LARGE) {
        cli_error(o->cmd, "genesis file %s is larger than %u bytes", o->genesis,
                  CLIENT_GENESIS_FILE_MAX);
        return CLI_EXIT_FAILED;
    }
    if (rc != WB_OK) {
        cli_error(o->cmd, "cannot read genesis file %s: %s", o->genesis, wb_strerror(rc));
        return CLI_EXIT_FAILED;
    }
    struct ledger_genesis *g = malloc(sizeof *g);
    if (!g) {
        free(json);
        cli_error(o->cmd, "out of memory");
        return CLI_EXIT_FAILED;
    }
    msg[0] = '\0';
    rc = ledger_genesis_parse(json, len, g, msg, sizeof msg);
    free(json);
    if (rc != WB_OK) {
        free(g);
        cli_error(o->cmd, "genesis file %s: %s", o->genesis, msg[0] ? msg : wb_strerror(rc));
        return CLI_EXIT_FAILED;
    }
    *out = g;
    return CLI_EXIT_OK;
}

int client_load_key(const struct client_opts *o, uint8_t pk[WB_PUBKEY_LEN],
                    uint8_t sk[WB_SECKEY_LEN])
{
    char msg[KEYFILE_MSG_MAX];
    msg[0] = '\0';
    int rc = keyfile_load(o->key, pk, sk, msg, sizeof msg);
    if (rc != WB_OK) {
        cli_error(o->cmd, "%s", msg[0] ? msg : wb_strerror(rc));
        return CLI_EXIT_FAILED;
    }
    return CLI_EXIT_OK;
}

/* ---- the net_client connector ----------------------------------------------- */

/* One connection and the validator key list its authorize callback reads
 * (which must live as long as the connection). */
struct client_net {
    struct net_client *nc;
    uint8_t keys[WB_VALIDATORS_MAX][WB_PUBKEY_LEN];
    struct net_keyset keyset;
    uint8_t *any_node_key;            /* client_identity.any_node_key */
};

static int client_net_request(void *impl, const uint8_t *req, size_t len, uint8_t **resp,
                              size_t *resp_len, uint32_t timeout_ms)
{
    struct client_net *cn = impl;
    return net_client_request(cn->nc, req, len, resp, resp_len, timeout_ms);
}

static int client_net_send(void *impl, const uint8_t *req, size_t len)
{
    struct client_net *cn = impl;
    return net_client_send(cn->nc, req, len);
}

static int client_net_recv(void *impl, uint8_t **resp, size_t *resp_len, uint32_t timeout_ms)
{
    struct client_net *cn = impl;
    return net_client_recv(cn->nc, resp, resp_len, timeout_ms);
}

static void client_net_close(void *impl)
{
    struct client_net *cn = impl;
    net_client_close(cn->nc);
    free(cn);
}

/* Accepts any node key and records it (client_identity.any_node_key). */
static bool client_net_any_node(void *ctx, const uint8_t peer_pk[32])
{
    struct client_net *cn = ctx;
    memcpy(cn->any_node_key, peer_pk, WB_PUBKEY_LEN);
    return true;
}

static int client_net_connect(void *ctx, const char *addr, const struct client_identity *id,
                              uint32_t timeout_ms, struct client_transport *out)
{
    (void)ctx;
    const struct ledger_genesis *g = id->genesis;
    struct client_net *cn = calloc(1, sizeof *cn);
    if (!cn) return WB_ERR_NOMEM;
    for (size_t i = 0; i < g->validator_count && i < WB_VALIDATORS_MAX; i++)
        memcpy(cn->keys[i], g->validators[i].key, WB_PUBKEY_LEN);
    cn->keyset.keys = (const uint8_t(*)[32])cn->keys;
    cn->keyset.count = g->validator_count;
    cn->any_node_key = id->any_node_key;

    struct net_client_config cfg;
    memset(&cfg, 0, sizeof cfg);
    memcpy(cfg.chain_id, g->chain_id, WB_CHAIN_ID_LEN);
    memcpy(cfg.identity_pk, id->pk, WB_PUBKEY_LEN);
    memcpy(cfg.identity_sk, id->sk, WB_SECKEY_LEN);
    cfg.authorize = id->any_node_key ? client_net_any_node : net_keyset_authorize;
    cfg.authorize_ctx = id->any_node_key ? (void *)cn : (void *)&cn->keyset;
    cfg.frame_max = CLIENT_FRAME_MAX;
    cfg.why = out->why;
    cfg.why_len = sizeof out->why;
    /* The transport logs its own warnings (a refused dial, a closed link); a
     * command reports the same failure in one sentence of its own, so the
     * transport of this connection logs errors only. */
    cfg.log_level = WB_LOG_ERROR;
    int rc = net_client_connect(addr, &cfg, timeout_ms, &cn->nc);
    sodium_memzero(cfg.identity_sk, sizeof cfg.identity_sk);
    if (rc != WB_OK) {
        free(cn);
        return rc;
    }
    out->request = client_net_request;
    out->close = client_net_close;
    out->send = client_net_send;
    out->recv = client_net_recv;
    out->impl = cn;
    return WB_OK;
}

static const struct client_connector client_net = {.connect = client_net_connect, .ctx = NULL};

const struct client_connector *client_net_connector(void) { return &client_net; }

/* ---- requests ------------------------------------------------------------------ */

static uint32_t client__remaining_ms(const struct client *c)
{
    int64_t left = c->deadline_ms - client_now_mono_ms();
    if (left <= 0) return 0;
    return left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
}

static int client__open(struct client *c, const struct client_opts *o,
                        const struct client_connector *conn, const struct ledger_genesis *g,
                        const uint8_t pk[WB_PUBKEY_LEN], const uint8_t sk[WB_SECKEY_LEN],
                        uint8_t *any_node_key);

int client_open(struct client *c, const struct client_opts *o,
                const struct client_connector *conn, const struct ledger_genesis *g,
                const uint8_t pk[WB_PUBKEY_LEN], const uint8_t sk[WB_SECKEY_LEN])
{
    return client__open(c, o, conn, g, pk, sk, NULL);
}

int client_open_any(struct client *c, const struct client_opts *o,
                    const struct client_connector *conn, const struct ledger_genesis *g,
                    const uint8_t pk[WB_PUBKEY_LEN], const uint8_t sk[WB_SECKEY_LEN],
                    uint8_t node_key[WB_PUBKEY_LEN])
{
    return client__open(c, o, conn, g, pk, sk, node_key);
}

static int client__open(struct client *c, const struct client_opts *o,
                        const struct client_connector *conn, const struct ledger_genesis *g,
                        const uint8_t pk[WB_PUBKEY_LEN], const uint8_t sk[WB_SECKEY_LEN],
                        uint8_t *any_node_key)
{
    memset(c, 0, sizeof *c);
    c->opts = o;
    c->genesis = g;
    c->next_id = 1;
    c->deadline_ms = client_now_mono_ms() + o->timeout_ms;
    struct client_identity id = {.genesis = g, .pk = pk, .sk = sk, .any_node_key = any_node_key};
    int rc = conn->connect(conn->ctx, o->node, &id, o->timeout_ms, &c->t);
    switch (rc) {
    case WB_OK:
        c->connected = true;
        return WB_OK;
    case WB_ERR_UNREACHABLE:
        client__reason(c, "cannot reach node %s: connection refused or failed (is it running, "
                          "and is this its client API address?)",
                       o->node);
        break;
    case WB_ERR_CLOSED:
        client__reason(c, "node %s closed the connection before the handshake finished (it may "
                          "be overloaded with connections or restarting; try again)",
                       o->node);
        break;
    case WB_ERR_PROTOCOL:
        client__reason(c, "node %s did not complete the handshake correctly: is this a waybill "
                          "client API address?",
                       o->node);
        break;
    case WB_ERR_TIMEOUT:
        client__reason(c, "node %s did not complete the connection within %u s", o->node,
                       o->timeout_ms / 1000u);
        break;
    case WB_ERR_REFUSED:
        client__reason(c, "key not accepted: node %s does not accept your key as a member key "
                          "of chain '%s': check that your key is a member key in %s",
                       o->node, g->chain_name, o->genesis);
        break;
    case WB_ERR_PERMISSION:
        client__reason(c, "key not accepted: node %s answered with a key that is not a "
                          "validator of chain '%s': check that %s is this network's genesis "
                          "and that --node names its client API address",
                       o->node, g->chain_name, o->genesis);
        break;
    case WB_ERR_NOT_FOUND: {
        struct wb_addr a;
        const char *host = wb_addr_parse(o->node, &a, NULL, 0) == WB_OK ? a.host : o->node;
        client__reason(c, "cannot resolve '%s': %s", host,
                       c->t.why[0] ? c->t.why : "the resolver knows no address for it");
        break;
    }
    case WB_ERR_INVALID: {
        char why[WB_ADDR_MSG_MAX];
        if (wb_addr_parse(o->node, &(struct wb_addr){0}, why, sizeof why) != WB_OK)
            client__reason(c, "--node: %s", why);
        else
            client__reason(c, "cannot connect to node %s: %s", o->node, wb_strerror(rc));
        break;
    }
    default:
        client__reason(c, "cannot connect to node %s: %s", o->node, wb_strerror(rc));
        break;
    }
    return rc;
}

void client_close(struct client *c)
{
    if (c->connected) c->t.close(c->t.impl);
    c->connected = false;
}

static const char *client__case_name(Waybill__ClientResponse__RespCase rc)
{
    switch (rc) {
    case WAYBILL__CLIENT_RESPONSE__RESP_SUBMIT:
        return "submit";
    case WAYBILL__CLIENT_RESPONSE__RESP_HISTORY:
        return "history";
    case WAYBILL__CLIENT_RESPONSE__RESP_PROOF:
        return "proof";
    case WAYBILL__CLIENT_RESPONSE__RESP_BLOCK:
        return "block";
    case WAYBILL__CLIENT_RESPONSE__RESP_STATUS:
        return "status";
    case WAYBILL__CLIENT_RESPONSE__RESP_HEAD:
        return "head";
    case WAYBILL__CLIENT_RESPONSE__RESP_ITEMS:
        return "items";
    case WAYBILL__CLIENT_RESPONSE__RESP_WATCH:
        return "watch";
    case WAYBILL__CLIENT_RESPONSE__RESP_RISK_CONTEXT:
        return "risk context";
    default:
        return "nothing";
    }
}

/* The reason of a failed exchange (not an answer of the node). */
static int client__transport_fail(struct client *c, int rc)
{
    const char *node = c->opts->node;
    switch (rc) {
    case WB_ERR_TIMEOUT:
        client__reason(c, "no answer from node %s within %u s", node,
                       c->opts->timeout_ms / 1000u);
        break;
    case WB_ERR_CLOSED:
        client__reason(c, "node %s closed the connection", node);
        break;
    case WB_ERR_TOO_LARGE:
        client__reason(c, "a message to or from node %s is over the %u-byte frame limit", node,
                       CLIENT_FRAME_MAX);
        break;
    default:
        client__reason(c, "connection to node %s failed: %s", node, wb_strerror(rc));
        break;
    }
    return rc;
}

int client_call(struct client *c, Waybill__ClientRequest *req,
                Waybill__ClientResponse__RespCase want, Waybill__ClientResponse **resp)
{
    *resp = NULL;
    c->node_error = false;
    c->reason[0] = '\0';
    if (!c->connected) return client__transport_fail(c, WB_ERR_CLOSED);
    req->id = c->next_id++;
    size_t len = waybill__client_request__get_packed_size(req);
    if (len > CLIENT_FRAME_MAX) return client__transport_fail(c, WB_ERR_TOO_LARGE);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) return client__transport_fail(c, WB_ERR_NOMEM);
    waybill__client_request__pack(req, buf);

    uint32_t left = client__remaining_ms(c);
    uint8_t *answer = NULL;
    size_t answer_len = 0;
    int rc = left ? c->t.request(c->t.impl, buf, len, &answer, &answer_len, left)
                  : WB_ERR_TIMEOUT;
    free(buf);
    if (rc != WB_OK) return client__transport_fail(c, rc);

    Waybill__ClientResponse *r = waybill__client_response__unpack(NULL, answer_len, answer);
    free(answer);
    if (!r) {
        client__reason(c, "the answer of node %s does not decode", c->opts->node);
        return WB_ERR_PROTOCOL;
    }
    if (r->id != req->id) {
        client__reason(c, "node %s answered request %llu, expected %llu", c->opts->node,
                       (unsigned long long)r->id, (unsigned long long)req->id);
        rc = WB_ERR_PROTOCOL;
        goto free_answer;
    }
    if (r->code > 0) {
        client__reason(c, "node %s answered with code %d, which is no error code",
                       c->opts->node, (int)r->code);
        rc = WB_ERR_PROTOCOL;
        goto free_answer;
    }
    if (r->code < 0) {
        c->node_error = true;
        if (r->reason && r->reason[0])
            print_safe(r->reason, c->reason, sizeof c->reason);
        else
            client__reason(c, "%s", wb_strerror(r->code));
        rc = r->code;
        goto free_answer;
    }
    if (r->resp_case != want) {
        client__reason(c, "node %s answered with %s, expected %s", c->opts->node,
                       client__case_name(r->resp_case), client__case_name(want));
        rc = WB_ERR_PROTOCOL;
        goto free_answer;
    }
    *resp = r;
    return WB_OK;
free_answer:
    waybill__client_response__free_unpacked(r, NULL);
    return rc;
}

int client_send(struct client *c, Waybill__ClientRequest *req)
{
    c->node_error = false;
    c->reason[0] = '\0';
    if (!c->connected) return client__transport_fail(c, WB_ERR_CLOSED);
    if (!c->t.send) {
        client__reason(c, "this connection cannot carry a stream");
        return WB_ERR_INVALID;
    }
    req->id = c->next_id++;
    size_t len = waybill__client_request__get_packed_size(req);
    if (len > CLIENT_FRAME_MAX) return client__transport_fail(c, WB_ERR_TOO_LARGE);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) return client__transport_fail(c, WB_ERR_NOMEM);
    waybill__client_request__pack(req, buf);
    int rc = c->t.send(c->t.impl, buf, len);
    free(buf);
    return rc ? client__transport_fail(c, rc) : WB_OK;
}

int client_recv(struct client *c, uint32_t timeout_ms, Waybill__ClientResponse **resp)
{
    *resp = NULL;
    c->node_error = false;
    c->reason[0] = '\0';
    if (!c->connected) return client__transport_fail(c, WB_ERR_CLOSED);
    if (!c->t.recv) {
        client__reason(c, "this connection cannot carry a stream");
        return WB_ERR_INVALID;
    }
    uint8_t *answer = NULL;
    size_t answer_len = 0;
    int rc = c->t.recv(c->t.impl, &answer, &answer_len, timeout_ms);
    if (rc != WB_OK) return client__transport_fail(c, rc);
    *resp = waybill__client_response__unpack(NULL, answer_len, answer);
    free(answer);
    if (!*resp) {
        client__reason(c, "the answer of node %s does not decode", c->opts->node);
        return WB_ERR_PROTOCOL;
    }
    return WB_OK;
}

int client_fail(const struct client *c, int rc, const char *what)
{
    const char *why = c->reason[0] ? c->reason : wb_strerror(rc);
    if (what)
        cli_error(c->opts->cmd, "%s: %s", what, why);
    else
        cli_error(c->opts->cmd, "%s", why);
    if (c->node_error) return rc == WB_ERR_TIMEOUT ? CLI_EXIT_UNREACHABLE : CLI_EXIT_FAILED;
    switch (rc) {
    case WB_ERR_NOT_FOUND: /* only from connecting: the node's name did not resolve */
    case WB_ERR_UNREACHABLE:
    case WB_ERR_TIMEOUT:
    case WB_ERR_CLOSED:
    case WB_ERR_IO:
        return CLI_EXIT_UNREACHABLE;
    case WB_ERR_INVALID:
        return CLI_EXIT_USAGE;
    default:
        return CLI_EXIT_FAILED;
    }
}

int client_fail_item(const struct client *c, int rc, const char *item, const char *what)
{
    if (!(rc == WB_ERR_NOT_FOUND && c->node_error)) return client_fail(c, rc, what);
    cli_error(c->opts->cmd, "no such item: %s", item);
    /* The exit is a failure either way, and the message is on stderr; a
     * lost write of stdout is reported by cli_output_finish. */
    if (c->opts->json)
        WB_IGNORE_RESULT(print_json_error(client_err_code(rc), "no such item", item));
    return CLI_EXIT_FAILED;
}

int client_call_item(struct client *c, Waybill__ClientRequest__ReqCase which, const char *item,
                     Waybill__ClientResponse **resp)
{
    Waybill__ItemRequest ir = WAYBILL__ITEM_REQUEST__INIT;
    Waybill__ClientRequest req = WAYBILL__CLIENT_REQUEST__INIT;
    Waybill__ClientResponse__RespCase want;
    ir.item = (char *)item;
    req.req_case = which;
    switch (which) {
    case WAYBILL__CLIENT_REQUEST__REQ_HEAD:
        req.head = &ir;
        want = WAYBILL__CLIENT_RESPONSE__RESP_HEAD;
        break;
    case WAYBILL__CLIENT_REQUEST__REQ_HISTORY:
        req.history = &ir;
        want = WAYBILL__CLIENT_RESPONSE__RESP_HISTORY;
        break;
    case WAYBILL__CLIENT_REQUEST__REQ_PROOF:
        req.proof = &ir;
        want = WAYBILL__CLIENT_RESPONSE__RESP_PROOF;
        break;
    default:
        WB_ASSERT(!"client_call_item: not an item query");
        return WB_ERR_INVALID;
    }
    return client_call(c, &req, want, resp);
}

int client_item_state(const Waybill__ItemState *m, struct ledger_item_state *st)
{
    memset(st, 0, sizeof *st);
    if (!m) return WB_ERR_PROTOCOL;
    size_t len = waybill__item_state__get_packed_size(m);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) return WB_ERR_NOMEM;
    waybill__item_state__pack(m, buf);
    int rc = ledger_item_state_decode(buf, len, st);
    free(buf);
    return rc == WB_OK ? WB_OK : WB_ERR_PROTOCOL;
}

static bool client__loopback(const char *host)
{
    return strcasecmp(host, "localhost") == 0 || strcmp(host, "127.0.0.1") == 0 ||
           strcmp(host, "::1") == 0;
}

/* The validator whose p2p (api false) or api address names addr, or -1. */
static int client__validator_at(const struct ledger_genesis *g, const char *addr, bool api)
{
    struct wb_addr a, v;
    if (!addr || wb_addr_parse(addr, &a, NULL, 0) != WB_OK) return -1;
    for (size_t i = 0; i < g->validator_count; i++) {
        const char *at = api ? g->validators[i].api : g->validators[i].p2p;
        if (!at[0] || wb_addr_parse(at, &v, NULL, 0) != WB_OK || v.port != a.port) continue;
        if (strcasecmp(v.host, a.host) == 0 || (client__loopback(v.host) && client__loopback(a.host)))
            return (int)i;
    }
    return -1;
}

int client_p2p_validator(const struct ledger_genesis *g, const char *addr)
{
    return client__validator_at(g, addr, false);
}

int client_api_validator(const struct ledger_genesis *g, const char *addr)
{
    return client__validator_at(g, addr, true);
}

const char *client_err_code(int err)
{
    switch (err) {
    case WB_OK:
        return "ok";
    case WB_ERR_NOMEM:
        return "nomem";
    case WB_ERR_INVALID:
        return "invalid";
    case WB_ERR_DECODE:
        return "decode";
    case WB_ERR_SIGNATURE:
        return "signature";
    case WB_ERR_RULE:
        return "rule";
    case WB_ERR_NOT_FOUND:
        return "not_found";
    case WB_ERR_EXISTS:
        return "exists";
    case WB_ERR_IO:
        return "io";
    case WB_ERR_STORE:
        return "store";
    case WB_ERR_CONFIG:
        return "config";
    case WB_ERR_CRYPTO:
        return "crypto";
    case WB_ERR_PROTOCOL:
        return "protocol";
    case WB_ERR_BUSY:
        return "busy";
    case WB_ERR_TIMEOUT:
        return "timeout";
    case WB_ERR_REFUSED:
        return "refused";
    case WB_ERR_STALE:
        return "stale";
    case WB_ERR_CHECK_DIGIT:
        return "check_digit";
    case WB_ERR_TOO_LARGE:
        return "too_large";
    case WB_ERR_UNREACHABLE:
        return "unreachable";
    case WB_ERR_VERIFY:
        return "verify";
    case WB_ERR_DUPLICATE:
        return "duplicate";
    case WB_ERR_PERMISSION:
        return "permission";
    case WB_ERR_CLOSED:
        return "closed";
    case WB_ERR_INTERNAL:
        return "internal";
    default:
        return "unknown";
    }
}

const char *client_refusal_code(int err, const char *reason)
{
    static const char tag[] = "(rule ";
    size_t n = reason ? strlen(reason) : 0;
    if (err == WB_ERR_RULE && n > sizeof tag && reason[n - 1] == ')') {
        const char *open = NULL;
        for (const char *p = strstr(reason, tag); p; p = strstr(p + 1, tag)) open = p;
        if (open) {
            const char *name = open + sizeof tag - 1;
            size_t len = (size_t)(reason + n - 1 - name), count;
            const struct ledger_rule *rules = ledger_rules_table(&count);
            for (size_t i = 0; i < count; i++)
                if (strlen(rules[i].name) == len && memcmp(rules[i].name, name, len) == 0)
                    return rules[i].name;
        }
    }
    return client_err_code(err);
}

/* Checks that need only the genesis, before anything is sent: --node is
 * not a validator's p2p port. Returns CLI_EXIT_OK or prints why and
 * returns the exit code (2). */
static int client__local_checks(const struct client_session *s, const struct client_opts *o)
{
    int v = client_p2p_validator(s->genesis, o->node);
    if (v >= 0) {
        cli_error(o->cmd,
                  "%s is a node's p2p port (validator %s in genesis); give its client API "
                  "address (in node.ini [api] listen)",
                  o->node, s->genesis->validators[v].name);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* Whether the governance history names key as a validator of some height. */
static bool client__history_names(const struct ledger_gov_history *h,
                                  const uint8_t key[WB_PUBKEY_LEN])
{
    const struct ledger_gov *gv = ledger_gov_history_last(h);
    for (size_t e = 0; e < gv->epoch_count; e++)
        for (size_t i = 0; i < gv->epochs[e].count; i++)
            if (memcmp(gv->epochs[e].validators[i].key, key, WB_PUBKEY_LEN) == 0) return true;
    return ledger_genesis_validator_of_key(&gv->view, key) >= 0;
}

/* The node answered with a key the genesis does not list: a validator
 * governance added may hold it. Connects again accepting any key, fetches
 * the governance chain from the node and verifies it from genesis
 * (ledger_gov_history_verify: every certificate against the set of its
 * height, from the genesis set on, so the node cannot forge it); the node
 * is accepted when that history names its key as a validator. Returns 0
 * (connected, on that connection) or WB_ERR_PERMISSION (c->reason as the
 * first refusal, or why the history did not prove the key). */
static int client__open_via_gov(struct client_session *s, const struct client_opts *o,
                                const struct client_connector *conn)
{
    char first[CLIENT_REASON_MAX];
    snprintf(first, sizeof first, "%s", s->c.reason);
    client_close(&s->c);
    uint8_t node_key[WB_PUBKEY_LEN] = {0};
    int rc = client_open_any(&s->c, o, conn, s->genesis, s->pk, s->sk, node_key);
    if (rc != WB_OK) return rc;
    uint8_t *bundle = NULL;
    size_t len = 0;
    bool proved = false;
    char msg[512] = "";
    rc = client_fetch_proof(&s->c, WB_GOV_CHAIN, &bundle, &len);
    Waybill__ProofBundle *pb =
        rc == WB_OK ? waybill__proof_bundle__unpack(NULL, len, bundle) : NULL;
    free(bundle);
    struct ledger_gov_history *h = pb ? malloc(sizeof *h) : NULL;
    if (h) {
        /* Freed after a failure too: the verify may have begun the history. */
        if (ledger_gov_history_verify(s->genesis, pb, h, msg, sizeof msg) == WB_OK)
            proved = client__history_names(h, node_key);
        ledger_gov_history_free(h);
    }
    free(h);
    if (pb) waybill__proof_bundle__free_unpacked(pb, NULL);
    if (proved) return WB_OK;
    client_close(&s->c);
    if (msg[0])
        snprintf(s->c.reason, sizeof s->c.reason,
                 "%.400s; its governance chain does not prove its key from genesis: %.400s",
                 first, msg);
    else
        snprintf(s->c.reason, sizeof s->c.reason, "%s", first);
    return WB_ERR_PERMISSION;
}

int client_session_open(struct client_session *s, const struct client_opts *o,
                        const struct client_connector *conn)
{
    memset(s, 0, sizeof *s);
    s->c.opts = o;
    int ex = client_load_genesis(o, &s->genesis);
    if (ex != CLI_EXIT_OK) return ex;
    ex = client_load_key(o, s->pk, s->sk);
    if (ex != CLI_EXIT_OK) return ex;
    ex = client__local_checks(s, o);
    if (ex != CLI_EXIT_OK) return ex;
    /* A key the genesis file does not list may still be a member's: one
     * that governance added (ledger/gov.h), which only the node knows. A
     * validator's key never is (a key is used once). */
    bool listed = ledger_genesis_org_of_key(s->genesis, s->pk) >= 0;
    if (!listed && ledger_genesis_validator_of_key(s->genesis, s->pk) >= 0) {
        char hex[2 * WB_PUBKEY_LEN + 1];
        cli_error(o->cmd,
                  "key %s (public key %s) is not a member client key in genesis %s (chain "
                  "'%s') but a validator's node key: a node would have refused it; use a key "
                  "listed in a member's \"keys\"",
                  o->key, wb_hex_encode(s->pk, WB_PUBKEY_LEN, hex, sizeof hex), o->genesis,
                  s->genesis->chain_name);
        return CLI_EXIT_FAILED;
    }
    int rc = client_open(&s->c, o, conn, s->genesis, s->pk, s->sk);
    if (rc == WB_ERR_REFUSED && !listed) {
        char hex[2 * WB_PUBKEY_LEN + 1];
        cli_error(o->cmd,
                  "key %s (public key %s) is not a member client key in genesis %s (chain "
                  "'%s'), and node %s refused it (governance has not added it either); use a "
                  "key listed in a member's \"keys\" or added with waybill key add",
                  o->key, wb_hex_encode(s->pk, WB_PUBKEY_LEN, hex, sizeof hex), o->genesis,
                  s->genesis->chain_name, o->node);
        return CLI_EXIT_FAILED;
    }
    if (rc == WB_ERR_PERMISSION) rc = client__open_via_gov(s, o, conn);
    if (rc != WB_OK) return client_fail(&s->c, rc, NULL);
    return CLI_EXIT_OK;
}

void client_session_close(struct client_session *s)
{
    client_close(&s->c);
    sodium_memzero(s->sk, sizeof s->sk);
    free(s->genesis);
    s->genesis = NULL;
}

/* Asks c's node for item's proof bundle: *bundle (malloc'd) is its canonical
 * packing. Returns 0 or the code of client_call_item (c->reason set), or
 * WB_ERR_NOMEM. */
int client_fetch_proof(struct client *c, const char *item, uint8_t **bundle, size_t *len)
{
    Waybill__ClientResponse *resp;
    *bundle = NULL;
    *len = 0;
    int rc = client_call_item(c, WAYBILL__CLIENT_REQUEST__REQ_PROOF, item, &resp);
    if (rc != WB_OK) return rc;
    /* The bundle is checked as it is packed again here: protobuf-c keeps
     * unknown fields (at any depth) and writes them back, so the verifier
     * still refuses a bundle that carries one; any other way the node's
     * answer could differ from the canonical encoding is undone by the
     * packing and changes none of the bytes the checks cover (signed
     * events, headers, votes). A bundle file is checked byte for byte. */
    size_t n = waybill__proof_bundle__get_packed_size(resp->proof);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) {
        waybill__client_response__free_unpacked(resp, NULL);
        snprintf(c->reason, sizeof c->reason, "out of memory");
        return WB_ERR_NOMEM;
    }
    waybill__proof_bundle__pack(resp->proof, buf);
    waybill__client_response__free_unpacked(resp, NULL);
    *bundle = buf;
    *len = n;
    return WB_OK;
}

int client_subcommand_run(const struct cli_usage *u, const struct client_subcommand *subs,
                          size_t n, const char *choices, const struct client_connector *conn,
                          int argc, char **argv)
{
    if (argc < 2 || (argv[1][0] == '-' && strcmp(argv[1], "--help") != 0 &&
                     strcmp(argv[1], "-h") != 0))
        return cli_usage_error(u, "a subcommand is required");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        cli_usage_print(stdout, u);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < n; i++)
        if (strcmp(argv[1], subs[i].name) == 0) return subs[i].run(conn, argc - 1, argv + 1);
    char safe[64];
    return cli_usage_error(u, "unknown subcommand '%s' (%s)",
                           print_safe(argv[1], safe, sizeof safe), choices);
}
