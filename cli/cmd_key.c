/* `waybill key add | revoke | list`: an organisation adds and revokes its
 * own client keys (no vote: key_add, key_revoke on the governance chain,
 * ledger/gov.h), and every key the chain knows with its status. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client_cmds.h"
#include "cli/commands.h"
#include "cli/gov_print.h"
#include "cli/gov_state.h"
#include "cli/print.h"
#include "common/hex.h"
#include "common/wb_error.h"

enum {
    KEY_OPT_NEW_KEY,
    KEY_OPT_REASON,
    KEY_OPT_SINCE,
    KEY_OPT_ORG,
    KEY_OPT_NEW,
    KEY_OPT_NODE,
    KEY_OPT_KEY,
    KEY_OPT_GENESIS,
    KEY_OPT_TIMEOUT,
    KEY_OPT_JSON,
    KEY_OPT_COUNT
};

#define KEY_OPT_NEW_KEY_INIT                                                                \
    {"new-key", "HEX|FILE",                                                                 \
     "the key to add: 64 hex digits, or a key file `waybill keygen` wrote (its public key)"}
#define KEY_OPT_REASON_INIT {"reason", "R", "retired or compromised"}
#define KEY_OPT_SINCE_INIT                                                                  \
    {"since", "TIME",                                                                       \
     "compromised (required then): from when the key is not to be trusted, RFC 3339 UTC "   \
     "(2026-12-01T10:00:00Z) or now"}
#define KEY_OPT_ORG_INIT {"org", "ORG", "only the keys of this organisation"}
#define KEY_OPT_NEW_INIT                                                                    \
    {"new", NULL,                                                                           \
     "sign a new event even if an identical one got no answer (do not resend its kept "     \
     "event)"}
#define KEY_COMMON CLIENT_OPT_NODE, CLIENT_OPT_KEY, CLIENT_OPT_GENESIS, CLIENT_OPT_TIMEOUT, CLIENT_OPT_JSON

static const struct cli_opt key_all_opts[KEY_OPT_COUNT] = {
    [KEY_OPT_NEW_KEY] = KEY_OPT_NEW_KEY_INIT, [KEY_OPT_REASON] = KEY_OPT_REASON_INIT,
    [KEY_OPT_SINCE] = KEY_OPT_SINCE_INIT,     [KEY_OPT_ORG] = KEY_OPT_ORG_INIT,
    [KEY_OPT_NEW] = KEY_OPT_NEW_INIT,         [KEY_OPT_NODE] = CLIENT_OPT_NODE,
    [KEY_OPT_KEY] = CLIENT_OPT_KEY,           [KEY_OPT_GENESIS] = CLIENT_OPT_GENESIS,
    [KEY_OPT_TIMEOUT] = CLIENT_OPT_TIMEOUT,   [KEY_OPT_JSON] = CLIENT_OPT_JSON,
};

static const struct cli_opt add_opts[] = {KEY_OPT_NEW_KEY_INIT, KEY_OPT_NEW_INIT, KEY_COMMON};
static const struct cli_opt revoke_opts[] = {KEY_OPT_REASON_INIT, KEY_OPT_SINCE_INIT,
                                             KEY_OPT_NEW_INIT, KEY_COMMON};
static const struct cli_opt klist_opts[] = {KEY_OPT_ORG_INIT, KEY_COMMON};
static const struct cli_opt key_common_opts[] = {KEY_COMMON};
#define KEY_N(t) (sizeof t / sizeof t[0])
#define KEY_CLIENT_SYNOPSIS "[--json] [--node ADDR] [--key FILE] [--genesis FILE] [--timeout SECONDS]"

static const struct cli_usage add_usage = {
    .cmd = "key add",
    .synopsis = "--new-key HEX|FILE [--new] " KEY_CLIENT_SYNOPSIS,
    .description =
        "Adds a client key to the organisation of the --key signer, without a vote: signs\n"
        "a key_add event on the governance chain (" WB_GOV_CHAIN "), submits it and\n"
        "waits for its commit. The new key signs events from the next block on. A key is\n"
        "used once on a chain: one it ever knew (client or validator, active or revoked)\n"
        "is refused; an organisation holds at most 8 active keys. Checked here first\n"
        "against the governance chain (\"refused: REASON\", exit 1, nothing signed).\n",
    .opts = add_opts,
    .opt_count = KEY_N(add_opts),
};

static const struct cli_usage revoke_usage = {
    .cmd = "key revoke",
    .synopsis = "KEY --reason retired|compromised [--since TIME] [--new] " KEY_CLIENT_SYNOPSIS,
    .description =
        "Revokes KEY (64 hex digits or a key file: its public key), an active client key\n"
        "of the --key signer's organisation, without a vote: signs a key_revoke event on\n"
        "the governance chain, submits it and waits for its commit. From the next block\n"
        "on, nodes refuse what KEY signs. --reason retired: a key taken out of use;\n"
        "--reason compromised: a stolen key, with --since TIME, when it stopped being\n"
        "trustworthy (RFC 3339 UTC or now; at most clock_skew_ms after now): `waybill\n"
        "verify` then marks its events signed after TIME. The last active key of an\n"
        "organisation cannot be revoked: add another first. A stolen key can be revoked\n"
        "with any other active key of the organisation.\n",
    .opts = revoke_opts,
    .opt_count = KEY_N(revoke_opts),
};

static const struct cli_usage klist_usage = {
    .cmd = "key list",
    .synopsis = "[--org ORG] " KEY_CLIENT_SYNOPSIS,
    .description =
        "Lists every key the chain knows, genesis keys included, as the governance chain\n"
        "replayed here from the genesis file shows them: the key, its organisation,\n"
        "client or validator, the height that added it (genesis: 0), and its status:\n"
        "active, revoked as retired at height H, revoked as compromised since T at height\n"
        "H, org removed at height H (its organisation was removed), or for a validator's\n"
        "key not a validator since height H.\n",
    .opts = klist_opts,
    .opt_count = KEY_N(klist_opts),
};

static const struct cli_usage key_usage = {
    .cmd = "key",
    .synopsis = "add --new-key HEX|FILE | revoke KEY --reason R [--since TIME] | list [--org "
                "ORG]  [--json] [--node ADDR] [--key FILE] [--genesis FILE] [--timeout SECONDS]",
    .description =
        "Your organisation's client keys, changed without a vote (docs/governance.md):\n"
        "  add     add a client key to the organisation of the --key signer\n"
        "  revoke  revoke one of its keys, as retired or as compromised since a time\n"
        "  list    every key the chain knows, with its status\n"
        "waybill key SUBCOMMAND --help shows a subcommand's options. Every subcommand\n"
        "talks to a node and takes these:\n",
    .opts = key_common_opts,
    .opt_count = KEY_N(key_common_opts),
};

struct key_args {
    const struct cli_usage *u;
    const char *vals[KEY_OPT_COUNT];
    bool fresh;
};

static int key_own_opt(void *ctx, int i, const char *value)
{
    struct key_args *ka = ctx;
    int opt = 0;
    while (opt < KEY_OPT_COUNT && strcmp(key_all_opts[opt].name, ka->u->opts[i].name) != 0) opt++;
    if (opt == KEY_OPT_NEW) {
        ka->fresh = true;
        return CLI_EXIT_OK;
    }
    if (opt == KEY_OPT_COUNT) return CLI_EXIT_OK;
    return client_opt_once(ka->u, &ka->vals[opt], key_all_opts[opt].name, value);
}

static int key_parse(const struct cli_usage *u, int argc, char **argv, struct client_opts *co,
                     struct key_args *ka, size_t npos, const char *pos_name, char **pos)
{
    struct cli_args args;
    memset(ka, 0, sizeof *ka);
    ka->u = u;
    int ex = client_args_parse(&args, u, argc, argv, co, key_own_opt, ka);
    if (ex != CLI_EXIT_OK) return ex;
    if (args.pos_count < npos) return cli_usage_error(u, "%s is required", pos_name);
    if (args.pos_count > npos)
        return cli_usage_error(u, "unexpected argument '%s'", args.pos[npos]);
    if (npos) *pos = args.pos[0];
    return CLI_EXIT_OK;
}

/* Submits key event ev and prints the key's record after the commit. */
static int key_submit(const struct client_connector *conn, const struct client_opts *co,
                      struct ledger_event *ev, const uint8_t pk[WB_PUBKEY_LEN], bool fresh)
{
    struct client_session s;
    struct ledger_gov gv;
    int ex = gov_state_open(&s, co, conn, &gv);
    if (ex != CLI_EXIT_OK) {
        client_session_close(&s);
        return ex;
    }
    struct submit_outcome out = {0};
    if (gov_state_signer(&s, &gv) < 0) ex = CLI_EXIT_FAILED;
    else ex = gov_state_submit(&s, &gv, ev, fresh, &out);
    const struct ledger_gov_key *k = ex == CLI_EXIT_OK ? ledger_gov_key_find(&gv, pk) : NULL;
    char hex[PRINT_HEX32], st[GOV_PRINT_LINE_MAX], org[4 * WB_ORG_MAX + 8];
    wb_hex_encode(pk, WB_PUBKEY_LEN, hex, sizeof hex);
    if (ex == CLI_EXIT_OK && !k) {
        cli_error(co->cmd,
                  "the event was committed at height %" PRIu64
                  ", but the node's governance chain does not show key %s",
                  out.height, hex);
        ex = CLI_EXIT_FAILED;
    } else if (ex == CLI_EXIT_OK && co->json) {
        json_t *o = json_pack("{s:o, s:s, s:I, s:I, s:b, s:b, s:o}", "event_id",
                              print_json_hex(ev->id, WB_HASH_LEN), "action",
                              ledger_action_name(ev->action), "height", (json_int_t)out.height,
                              "index", (json_int_t)out.index, "already_committed",
                              out.already_committed, "resent", out.resent, "key",
                              gov_print_key_json(&gv, k));
        ex = print_exit(co->cmd, print_json_out(o));
    } else if (ex == CLI_EXIT_OK) {
        printf("key %s of '%s' %s at height %" PRIu64 ": %s\n", hex,
               print_safe(k->org, org, sizeof org),
               ev->action == LEDGER_KEY_ADD ? "added" : "revoked", out.height,
               gov_print_key_status(&gv, k, st, sizeof st));
    }
    ledger_gov_free(&gv);
    client_session_close(&s);
    return ex;
}

static int key_add(const struct client_connector *conn, int argc, char **argv)
{
    struct client_opts co;
    struct key_args ka;
    client_opts_init(&co, "key add");
    int ex = key_parse(&add_usage, argc, argv, &co, &ka, 0, NULL, NULL);
    if (ex == CLIENT_HELP_SHOWN) return CLI_EXIT_OK;
    if (ex != CLI_EXIT_OK) return ex;
    if (!ka.vals[KEY_OPT_NEW_KEY])
        return cli_usage_error(&add_usage, "--new-key HEX|FILE is required");
    struct ledger_gov_action a;
    char msg[1024];
    memset(&a, 0, sizeof a);
    a.action = LEDGER_KEY_ADD;
    if (gov_state_key_arg(ka.vals[KEY_OPT_NEW_KEY], a.key, msg, sizeof msg) != WB_OK)
        return cli_usage_error(&add_usage, "--new-key: %s", msg);
    ex = client_opts_finish(&co, &add_usage, true);
    if (ex != CLI_EXIT_OK) return ex;
    struct ledger_event *ev = calloc(1, sizeof *ev);
    if (!ev || ledger_gov_action_encode(&a, ev, msg, sizeof msg) != WB_OK) {
        cli_error(co.cmd, "%s", ev ? msg : "out of memory");
        free(ev);
        return CLI_EXIT_FAILED;
    }
    ex = key_submit(conn, &co, ev, a.key, ka.fresh);
    free(ev);
    return ex;
}

static int key_revoke(const struct client_connector *conn, int argc, char **argv)
{
    struct client_opts co;
    struct key_args ka;
    char *key = NULL;
    client_opts_init(&co, "key revoke");
    int ex = key_parse(&revoke_usage, argc, argv, &co, &ka, 1, "KEY", &key);
    if (ex == CLIENT_HELP_SHOWN) return CLI_EXIT_OK;
    if (ex != CLI_EXIT_OK) return ex;
    struct ledger_gov_action a;
    char msg[1024];
    memset(&a, 0, sizeof a);
    a.action = LEDGER_KEY_REVOKE;
    if (gov_state_key_arg(key, a.key, msg, sizeof msg) != WB_OK)
        return cli_usage_error(&revoke_usage, "KEY: %s", msg);
    const char *reason = ka.vals[KEY_OPT_REASON], *since = ka.vals[KEY_OPT_SINCE];
    if (!reason)
        return cli_usage_error(&revoke_usage, "--reason retired|compromised is required");
    if (strcmp(reason, "retired") == 0) {
        a.reason = LEDGER_REVOKE_RETIRED;
        if (since)
            return cli_usage_error(&revoke_usage,
                                   "--since is for --reason compromised only; a retired key "
                                   "is revoked from the block of its revocation");
    } else if (strcmp(reason, "compromised") == 0) {
        a.reason = LEDGER_REVOKE_COMPROMISED;
        if (!since)
            return cli_usage_error(&revoke_usage,
                                   "--reason compromised needs --since TIME: from when the key "
                                   "is not to be trusted (RFC 3339 UTC such as "
                                   "2026-12-01T10:00:00Z, or now)");
        ex = cli_time_or_now_arg(&revoke_usage, "since", since, &a.since_ms);
        if (ex != CLI_EXIT_OK) return ex;
    } else {
        return cli_usage_error(&revoke_usage,
                               "--reason: expected retired or compromised, got '%.40s'", reason);
    }
    ex = client_opts_finish(&co, &revoke_usage, true);
    if (ex != CLI_EXIT_OK) return ex;
    struct ledger_event *ev = calloc(1, sizeof *ev);
    if (!ev || ledger_gov_action_encode(&a, ev, msg, sizeof msg) != WB_OK) {
        cli_error(co.cmd, "%s", ev ? msg : "out of memory");
        free(ev);
        return CLI_EXIT_FAILED;
    }
    ex = key_submit(conn, &co, ev, a.key, ka.fresh);
    free(ev);
    return ex;
}

static int key_list_print(const struct client_opts *co, const struct ledger_gov *gv,
                          const char *org)
{
    if (co->json) {
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < gv->key_count; i++) {
            if (org && strcmp(gv->keys[i].org, org) != 0) continue;
            if (json_array_append_new(arr, gov_print_key_json(gv, &gv->keys[i]))) {
                json_decref(arr);
                arr = NULL;
            }
        }
        return print_json_out(json_pack("{s:I, s:o}", "height", (json_int_t)gv->height, "keys",
                                        arr));
    }
    static const char *const header[] = {"KEY", "ORG", "TYPE", "ADDED", "STATUS"};
    struct print_table t;
    print_table_init(&t, 5, header);
    size_t shown = 0;
    for (size_t i = 0; i < gv->key_count; i++) {
        const struct ledger_gov_key *k = &gv->keys[i];
        if (org && strcmp(k->org, org) != 0) continue;
        char hex[PRINT_HEX32], o[4 * WB_ORG_MAX + 8], added[32], st[GOV_PRINT_LINE_MAX];
        if (k->added_height) snprintf(added, sizeof added, "height %" PRIu64, k->added_height);
        else snprintf(added, sizeof added, "genesis");
        const char *row[5] = {wb_hex_encode(k->pk, WB_PUBKEY_LEN, hex, sizeof hex),
                              print_safe(k->org, o, sizeof o), k->validator ? "validator" : "client",
                              added, gov_print_key_status(gv, k, st, sizeof st)};
        print_table_add(&t, row);
        shown++;
    }
    int rc = WB_OK;
    if (shown == 0) {
        char o[4 * WB_ORG_MAX + 8];
        printf("no keys of '%s' (it never was a member)\n", print_safe(org ? org : "", o, sizeof o));
    } else {
        rc = print_table_out(&t, stdout);
    }
    print_table_free(&t);
    return rc;
}

static int key_list(const struct client_connector *conn, int argc, char **argv)
{
    struct client_opts co;
    struct key_args ka;
    client_opts_init(&co, "key list");
    int ex = key_parse(&klist_usage, argc, argv, &co, &ka, 0, NULL, NULL);
    if (ex == CLIENT_HELP_SHOWN) return CLI_EXIT_OK;
    if (ex != CLI_EXIT_OK) return ex;
    ex = client_opts_finish(&co, &klist_usage, true);
    if (ex != CLI_EXIT_OK) return ex;
    struct client_session s;
    struct ledger_gov gv;
    ex = gov_state_open(&s, &co, conn, &gv);
    if (ex == CLI_EXIT_OK) {
        ex = print_exit(co.cmd, key_list_print(&co, &gv, ka.vals[KEY_OPT_ORG]));
        ledger_gov_free(&gv);
    }
    client_session_close(&s);
    return ex;
}

static const struct client_subcommand key_subs[] = {
    {"add", key_add},
    {"revoke", key_revoke},
    {"list", key_list},
};

int cmd_key_via(const struct client_connector *conn, int argc, char **argv)
{
    return client_subcommand_run(&key_usage, key_subs, sizeof key_subs / sizeof key_subs[0], "add, revoke or list", conn, argc, argv);
}

int cmd_key(int argc, char **argv) { return cmd_key_via(client_net_connector(), argc, argv); }
