/* The client side of a node's client API (DESIGN.md section 7): the options
 * every node command shares, loading the key and genesis files, connecting,
 * and one ClientRequest/ClientResponse exchange. */
#ifndef CLI_CLIENT_H
#define CLI_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/cli_util.h"
#include "common/sigbytes.h"
#include "common/wb_error.h"
#include "ledger/genesis.h"
#include "ledger/types.h"
#include "proto/waybill.pb-c.h"

#define CLIENT_TIMEOUT_S_DEFAULT 30
#define CLIENT_TIMEOUT_S_MAX 86400
/* Largest answer accepted from a node (plaintext bytes of one frame): above
 * a node's default frame limit, so a whole block or a long history fits. */
#define CLIENT_FRAME_MAX (16u << 20)
#define CLIENT_REASON_MAX 1024
#define CLIENT_WHY_MAX 128
#define CLIENT_PATH_MAX 4096
#define CLIENT_GENESIS_FILE_MAX (1u << 20)

#define CLIENT_ENV_NODE "WAYBILL_NODE"
#define CLIENT_ENV_KEY "WAYBILL_KEY"
#define CLIENT_ENV_GENESIS "WAYBILL_GENESIS"

/* The options every client command accepts, as struct cli_opt initialisers;
 * put them in a command's option table (any order) and hand every option to
 * client_opts_parse. */
#define CLIENT_OPT_NODE                                                                    \
    {"node", "ADDR",                                                                       \
     "the node's client API address host:port: a host name, an IPv4 address or [IPv6] "   \
     "(default $WAYBILL_NODE)"}
#define CLIENT_OPT_KEY                                                                     \
    {"key", "FILE", "your member client key file (default $WAYBILL_KEY)"}
#define CLIENT_OPT_GENESIS                                                                 \
    {"genesis", "FILE",                                                                    \
     "genesis file (default $WAYBILL_GENESIS, else genesis.json in the folder above the "  \
     "key file's folder)"}
#define CLIENT_OPT_TIMEOUT                                                                 \
    {"timeout", "SECONDS", "give up after this many seconds (default 30)"}
#define CLIENT_OPT_JSON {"json", NULL, "print JSON for scripts instead of tables"}

/* Returned by a command's option parser after --help was printed: the
 * command then exits 0 without doing anything else. */
#define CLIENT_HELP_SHOWN (-1)

/* The most --node addresses a command that takes several keeps. */
#define CLIENT_NODES_MAX WB_VALIDATORS_MAX

/* Values of the common options once parsed and defaulted. */
struct client_opts {
    const char *cmd;                     /* subcommand name, for messages */
    const char *node;                    /* --node (the first), else $WAYBILL_NODE */
    /* Set by the command before parsing: --node may be given several times
     * (up to CLIENT_NODES_MAX), each kept in nodes[] in the order given;
     * otherwise a second --node is a usage error. */
    bool many_nodes;
    size_t node_count;                   /* --node values given (0 or 1 unless many_nodes) */
    const char *nodes[CLIENT_NODES_MAX];
    const char *key;                     /* --key, else $WAYBILL_KEY */
    const char *genesis;                 /* --genesis, $WAYBILL_GENESIS or derived */
    uint32_t timeout_ms;
    bool json;
    bool genesis_derived;                /* genesis came from the key's location */
    char genesis_buf[CLIENT_PATH_MAX];   /* storage of a derived genesis path */
};

void client_opts_init(struct client_opts *o, const char *cmd);

/* Handles option `opt` (an index into u->opts) if it is one of the common
 * options above: sets *handled and returns CLI_EXIT_OK, or prints a usage
 * error and returns CLI_EXIT_USAGE (a value given twice, except --node when
 * o->many_nodes; more than CLIENT_NODES_MAX --node; a bad timeout).
 * Leaves *handled false for the command's own options. */
WB_MUST_USE int client_opts_parse(struct client_opts *o, const struct cli_usage *u, int opt,
                                  const char *value, bool *handled);

/* Sets *slot to value for option --name, refusing a second --name and an
 * empty value with a usage error. Returns CLI_EXIT_OK or CLI_EXIT_USAGE. */
WB_MUST_USE int client_opt_once(const struct cli_usage *u, const char **slot, const char *name,
                                const char *value);

/* A command's handler for its own options (those client_opts_parse leaves):
 * opt indexes u->opts. Returns CLI_EXIT_OK or a usage exit (message printed). */
typedef int (*client_own_opt_fn)(void *ctx, int opt, const char *value);

/* The option loop of a client command: the common options go to
 * client_opts_parse, the command's own to own(ctx, ...) (own may be NULL when
 * it has none); the positional arguments are left in *args. Returns
 * CLI_EXIT_OK, CLIENT_HELP_SHOWN after --help (usage printed), or the exit
 * of a usage error (message printed). */
WB_MUST_USE int client_args_parse(struct cli_args *args, const struct cli_usage *u, int argc,
                                  char **argv, struct client_opts *co, client_own_opt_fn own,
                                  void *ctx);

/* Applies the defaults: node and key from the environment (the node only
 * when no --node was given), the genesis from
 * $WAYBILL_GENESIS or else <folder above the key file's folder>/genesis.json
 * when that file exists (the layout `waybill testnet` writes: DIR/genesis.json
 * beside DIR/node<i>/client.key). need_node: --node and --key are required
 * and the node is checked as host:port (the first --node of several only).
 * The genesis is always required. Returns CLI_EXIT_OK or CLI_EXIT_USAGE
 * (message printed). */
WB_MUST_USE int client_opts_finish(struct client_opts *o, const struct cli_usage *u,
                                   bool need_node);

/* Reads and parses the genesis file; *out is heap-allocated (free it).
 * Prints the reason and returns CLI_EXIT_FAILED on failure. */
WB_MUST_USE int client_load_genesis(const struct client_opts *o, struct ledger_genesis **out);

/* Loads the client key file (keyfile_load). Prints the reason and returns
 * CLI_EXIT_FAILED on failure, when pk and sk are zeroed. The caller wipes
 * sk with sodium_memzero. */
WB_MUST_USE int client_load_key(const struct client_opts *o, uint8_t pk[WB_PUBKEY_LEN],
                                uint8_t sk[WB_SECKEY_LEN]);

/* ---- transport ----------------------------------------------------------- */

/* One connection: send a frame and wait for the next one. The real
 * transport is the node's authenticated link (node/net_client.h); tests
 * substitute their own. */
struct client_transport {
    /* One frame out, one frame back within timeout_ms. *resp is malloc'd
     * (caller frees). Returns 0, WB_ERR_TIMEOUT, WB_ERR_CLOSED, WB_ERR_NOMEM,
     * WB_ERR_TOO_LARGE or WB_ERR_IO. */
    int (*request)(void *impl, const uint8_t *req, size_t len, uint8_t **resp,
                   size_t *resp_len, uint32_t timeout_ms);
    /* Closes and frees impl. */
    void (*close)(void *impl);
    /* For a stream of answers (waybill watch); NULL when the transport has
     * none. send: one frame out, no answer awaited. recv: the next frame
     * within timeout_ms, as request gives it. Return what request returns. */
    int (*send)(void *impl, const uint8_t *req, size_t len);
    int (*recv)(void *impl, uint8_t **resp, size_t *resp_len, uint32_t timeout_ms);
    void *impl;
    /* After a failed connect, the connector may leave here why, for a
     * person: for WB_ERR_NOT_FOUND the resolver's answer. "" if not. */
    char why[CLIENT_WHY_MAX];
};

/* What the connector needs to open a connection. */
struct client_identity {
    const struct ledger_genesis *genesis; /* chain id; the node must hold a
                                           * validator key listed here */
    const uint8_t *pk;                    /* 32 bytes: our member key */
    const uint8_t *sk;                    /* 64 bytes; copied, not kept */
    /* Accept a node of any key, and write the key it presented here (32
     * bytes): for a node governance added, whose key the caller then
     * proves from genesis through the governance chain it serves. NULL:
     * only genesis's validator keys are accepted. */
    uint8_t *any_node_key;
};

struct client_connector {
    /* Connects to addr ("host:port", common/addr.h) and authenticates both
     * ways within timeout_ms. Returns 0 and fills *out (request, close,
     * impl), or WB_ERR_UNREACHABLE, WB_ERR_NOT_FOUND (the host name did
     * not resolve; out->why may say why), WB_ERR_TIMEOUT, WB_ERR_REFUSED,
     * WB_ERR_INVALID (bad address), WB_ERR_NOMEM, WB_ERR_IO. */
    int (*connect)(void *ctx, const char *addr, const struct client_identity *id,
                   uint32_t timeout_ms, struct client_transport *out);
    void *ctx;
};

/* The connector over the node's encrypted client link (net_client), which
 * accepts a node whose identity is any validator key of the genesis. */
const struct client_connector *client_net_connector(void);

/* ---- requests ------------------------------------------------------------ */

struct client {
    const struct client_opts *opts;
    const struct ledger_genesis *genesis;
    struct client_transport t;
    bool connected;
    uint64_t next_id;
    int64_t deadline_ms;                 /* monotonic clock */
    /* After a failed client_call: whether the node answered with an error
     * code (true) or the exchange itself failed (false), and a sentence for
     * a person (sanitised). */
    bool node_error;
    char reason[CLIENT_REASON_MAX];
};

/* Starts the --timeout clock and connects through conn. Returns 0 or a
 * wb_err with c->reason set; close with client_close in any case. */
WB_MUST_USE int client_open(struct client *c, const struct client_opts *o,
                            const struct client_connector *conn, const struct ledger_genesis *g,
                            const uint8_t pk[WB_PUBKEY_LEN], const uint8_t sk[WB_SECKEY_LEN]);
/* One subcommand of a command with subcommands (`waybill gov`, `waybill key`). */
struct client_subcommand {
    const char *name;
    int (*run)(const struct client_connector *conn, int argc, char **argv);
};

/* Runs the subcommand argv[1] names among subs[0..n) with argv shifted by
 * one; `--help`, `-h` or `help` prints u; no subcommand, or an unknown one,
 * is a usage error naming the choices (`choices`, e.g. "add, revoke or
 * list"). Returns the exit code. */
WB_MUST_USE int client_subcommand_run(const struct cli_usage *u,
                                      const struct client_subcommand *subs, size_t n,
                                      const char *choices, const struct client_connector *conn,
                                      int argc, char **argv);

/* client_open that accepts a node of any key and writes it to node_key:
 * for a node governance added, whose key the caller must then prove (the
 * governance chain, verified from genesis) before trusting anything else
 * it says. */
WB_MUST_USE int client_open_any(struct client *c, const struct client_opts *o,
                                const struct client_connector *conn,
                                const struct ledger_genesis *g, const uint8_t pk[WB_PUBKEY_LEN],
                                const uint8_t sk[WB_SECKEY_LEN], uint8_t node_key[WB_PUBKEY_LEN]);

/* Sends req (its id is set here) and waits, within what is left of the
 * timeout, for the answer with the same id. On success *resp is the decoded
 * answer with code 0 and the oneof case `want` (free it with
 * waybill__client_response__free_unpacked). Otherwise returns the node's
 * error code (c->node_error true, c->reason its reason), or WB_ERR_TIMEOUT,
 * WB_ERR_CLOSED, WB_ERR_PROTOCOL (an answer that does not decode, carries
 * another id or case, or a code that is no error), WB_ERR_NOMEM, WB_ERR_IO. */
WB_MUST_USE int client_call(struct client *c, Waybill__ClientRequest *req,
                            Waybill__ClientResponse__RespCase want, Waybill__ClientResponse **resp);

/* The item queries (head, history, proof): one ItemRequest for `item`,
 * answered with the matching case; otherwise as client_call. `which` is
 * WAYBILL__CLIENT_REQUEST__REQ_HEAD, _REQ_HISTORY or _REQ_PROOF. */
WB_MUST_USE int client_call_item(struct client *c, Waybill__ClientRequest__ReqCase which,
                                 const char *item, Waybill__ClientResponse **resp);

void client_close(struct client *c);

/* For streams: sends req with a fresh id (set in req->id) and awaits nothing.
 * Returns 0, WB_ERR_INVALID (the transport cannot stream), or a transport
 * error (c->reason set). */
WB_MUST_USE int client_send(struct client *c, Waybill__ClientRequest *req);

/* The next answer of any id within timeout_ms, decoded (*resp: free with
 * waybill__client_response__free_unpacked). Returns 0, WB_ERR_INVALID (the
 * transport cannot stream), WB_ERR_PROTOCOL (it does not decode), or a
 * transport error; c->reason is set on failure. The caller checks id,
 * code and case. */
WB_MUST_USE int client_recv(struct client *c, uint32_t timeout_ms, Waybill__ClientResponse **resp);

/* Prints a failure of client_open/client_call on stderr as
 * "waybill CMD: <what>: <why>" and returns the exit code: 3 when the node is
 * unreachable, timed out or dropped the connection (or itself answered
 * "timed out"), 1 otherwise (refused, protocol error, or an error the node
 * answered). `what` may be NULL. */
WB_MUST_USE int client_fail(const struct client *c, int rc, const char *what);

/* After a failed item query (history, proof): when the node answered that
 * it knows no such item, prints "waybill CMD: no such item: ITEM" on stderr
 * (and with --json the error object {"ok": false, "code": "not_found",
 * "error": "no such item", "item": ITEM} on stdout) and returns
 * CLI_EXIT_FAILED; otherwise as client_fail(c, rc, what). */
WB_MUST_USE int client_fail_item(const struct client *c, int rc, const char *item,
                                 const char *what);

/* Converts an ItemState from a node, checking its fields as storage does.
 * Returns 0 or WB_ERR_PROTOCOL. */
WB_MUST_USE int client_item_state(const Waybill__ItemState *m, struct ledger_item_state *st);

/* What a node command holds while it runs: genesis, key and connection. */
struct client_session {
    struct ledger_genesis *genesis;      /* heap */
    uint8_t pk[WB_PUBKEY_LEN];
    uint8_t sk[WB_SECKEY_LEN];
    struct client c;
};

/* Loads genesis and key and connects. A key the genesis file does not
 * list is tried too (governance may have added it): when the node refuses
 * it, that is said as "key FILE (public key HEX) is not a member client key
 * in genesis G (chain 'NAME'), and node ADDR refused it ...", exit 1. A
 * validator's key of the genesis is refused before connecting. A node
 * whose key the genesis does not list (a validator governance added) is
 * accepted when the governance chain, fetched from a genesis validator's
 * client API address (genesis "api") and replayed (cli/gov_state.h), names
 * its key as a validator's.
 * Returns CLI_EXIT_OK, or prints the reason and returns the exit code (1,
 * or 3 when the node is unreachable).
 * Call client_session_close in any case: it closes, wipes the key and frees. */
WB_MUST_USE int client_session_open(struct client_session *s, const struct client_opts *o,
                                    const struct client_connector *conn);
void client_session_close(struct client_session *s);

/* Whether addr (host:port) is the p2p address of a validator in g: the port
 * equal, the host equal ignoring case, or both loopback (localhost,
 * 127.0.0.1, ::1). Returns the validator's index, or -1. */
int client_p2p_validator(const struct ledger_genesis *g, const char *addr);

/* The same for the validators' client API addresses (genesis "api"; a
 * validator without one never matches). Returns the index, or -1. */
WB_MUST_USE int client_api_validator(const struct ledger_genesis *g, const char *addr);

/* The stable symbolic code of a node's refusal, for --json "code": the
 * name of the ledger rule when `reason` ends in "(rule NAME)" and NAME is
 * in the rule table (ledger_rules_table; docs/rules.md), else the
 * snake_case name of the wb error (client_err_code). Static. */
const char *client_refusal_code(int err, const char *reason);

/* The snake_case name of a wb error: WB_ERR_NOT_FOUND is "not_found",
 * WB_ERR_STALE "stale", ... (common/wb_error.h); "ok" for 0, "unknown" for
 * a code not in the enum. Static. */
const char *client_err_code(int err);

/* Milliseconds on the monotonic clock. */
int64_t client_now_mono_ms(void);

/* Asks c's node for item's proof bundle: *bundle (malloc'd) is its canonical
 * packing, as verify and state check it (protobuf-c keeps unknown fields and
 * writes them back, so a bundle that carries one is still refused). Returns
 * 0 or the code of client_call_item (c->reason set), or WB_ERR_NOMEM. */
WB_MUST_USE int client_fetch_proof(struct client *c, const char *item, uint8_t **bundle,
                                   size_t *len);

#endif
