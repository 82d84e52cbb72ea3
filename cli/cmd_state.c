/* `waybill state ITEM`: an item's state as of the latest certified height,
 * proved: the node's proof bundle is verified here against the genesis file
 * (ledger_verify_bundle) and must prove completeness (its freshness proof,
 * ledger/freshness.h), so what is printed is what the certified header's
 * state root and the item's events say, not the node's word. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client_cmds.h"
#include "cli/id_args.h"
#include "cli/print.h"
#include "common/exec_threads.h"
#include "common/hex.h"
#include "common/wb_error.h"
#include "ledger/verify.h"

enum {
    STATE_OPT_NODE,
    STATE_OPT_KEY,
    STATE_OPT_GENESIS,
    STATE_OPT_TIMEOUT,
    STATE_OPT_JSON,
};

static const struct cli_opt state_opts[] = {
    [STATE_OPT_NODE] = CLIENT_OPT_NODE,       [STATE_OPT_KEY] = CLIENT_OPT_KEY,
    [STATE_OPT_GENESIS] = CLIENT_OPT_GENESIS, [STATE_OPT_TIMEOUT] = CLIENT_OPT_TIMEOUT,
    [STATE_OPT_JSON] = CLIENT_OPT_JSON,
};

static const struct cli_usage state_usage = {
    .cmd = "state",
    .synopsis = "ITEM [--node ADDR] [--key FILE] [--genesis FILE] [--timeout SECONDS] [--json]",
    .description =
        "Prints ITEM's state as of the latest height the node has certified: custodian,\n"
        "location, customs status, status, movement, latest event and event count. It is\n"
        "proved here, not taken from the node: the item's proof bundle is fetched and\n"
        "verified against the genesis file as `waybill verify` does, and its freshness\n"
        "proof must show the bundle holds every event of the item as of that height\n"
        "(a chain of header version 2). Exit 1 when the bundle does not verify or does\n"
        "not prove completeness. A container number ITEM is upper-cased first, as\n"
        "waybill submit does (with a note on stderr).\n",
    .opts = state_opts,
    .opt_count = sizeof state_opts / sizeof state_opts[0],
};

static int state_parse(int argc, char **argv, struct client_opts *co,
                       char item[static WB_ITEM_MAX + 1])
{
    struct cli_args args;
    int ex = client_args_parse(&args, &state_usage, argc, argv, co, NULL, NULL);
    if (ex != CLI_EXIT_OK) return ex;
    if (args.pos_count == 0) return cli_usage_error(&state_usage, "ITEM is required");
    if (args.pos_count > 1)
        return cli_usage_error(&state_usage, "unexpected argument '%s'", args.pos[1]);
    return cli_item_arg(&state_usage, "ITEM", args.pos[0], item);
}


/* Prints the proved state (res verified and complete); returns the exit code. */
static int state_print(const struct client_opts *co, const struct ledger_verify_result *res)
{
    const struct ledger_item_state *st = &res->state;
    int64_t age_ms = cli_now_ms() - res->fresh.time_ms;
    if (age_ms < 0) age_ms = 0;
    char when[PRINT_TIME_MAX], head[2 * WB_HASH_LEN + 1], age[PRINT_AGE_MAX];
    char safe[3][WB_ORG_MAX + WB_LOCATION_MAX + WB_ITEM_MAX + 8];
    wb_hex_encode(st->head, WB_HASH_LEN, head, sizeof head);
    if (co->json) {
        json_t *root = json_pack(
            "{s:b, s:o, s:I, s:I, s:s, s:I, s:o, s:o, s:s, s:b, s:s, s:s, s:s, s:I}", "proved",
            1, "item", print_json_text(st->item), "height", (json_int_t)res->fresh.height,
            "time_ms", (json_int_t)res->fresh.time_ms, "time",
            print_time(res->fresh.time_ms, when), "age_s", (json_int_t)(age_ms / 1000),
            "custodian", print_json_text(st->custodian), "location",
            print_json_text(st->location), "customs", print_customs_name(st->customs), "held",
            ledger_item_held(st), "status", print_status_name(st->status), "movement",
            print_movement_name(st->movement), "head", head, "count", (json_int_t)st->count);
        int prc = print_json_out(root);
        if (prc == WB_ERR_IO) return CLI_EXIT_FAILED;
        if (prc != WB_OK) {
            cli_error(co->cmd, "out of memory");
            return CLI_EXIT_FAILED;
        }
        return CLI_EXIT_OK;
    }
    struct print_table f;
    print_fields_init(&f);
    print_field(&f, "item", "%s", print_safe(st->item, safe[0], sizeof safe[0]));
    print_field(&f, "as of", "height %llu (time %s, %s old), certified",
                (unsigned long long)res->fresh.height, print_time(res->fresh.time_ms, when),
                print_age(age_ms, age));
    print_field(&f, "custodian", "%s", print_safe(st->custodian, safe[1], sizeof safe[1]));
    print_field(&f, "location", "%s",
                st->location[0] ? print_safe(st->location, safe[2], sizeof safe[2]) : "-");
    print_field(&f, "customs", "%s", print_customs_name(st->customs));
    print_field(&f, "status", "%s", print_status_name(st->status));
    print_field(&f, "movement", "%s", print_movement_name(st->movement));
    print_field(&f, "head", "%s", head);
    print_field(&f, "events", "%u", (unsigned)st->count);
    int rc = print_table_out(&f, stdout);
    print_table_free(&f);
    if (rc != WB_OK) {
        cli_error(co->cmd, "out of memory");
        return CLI_EXIT_FAILED;
    }
    return CLI_EXIT_OK;
}

/* Verifies the bundle and prints the state or why it is not proved. */
static int state_check(const struct client_opts *co, const struct ledger_genesis *g,
                       const char *item, const uint8_t *bundle, size_t len)
{
    struct ledger_verify_result *res = malloc(sizeof *res);
    if (!res) {
        cli_error(co->cmd, "out of memory");
        return CLI_EXIT_FAILED;
    }
    struct wb_exec_threads threads = {.threads = wb_exec_threads_cpus()};
    struct wb_executor exec = wb_exec_threads(&threads);
    int rc = ledger_verify_bundle(g, item, bundle, len, &exec, NULL, NULL, res);
    int ex = CLI_EXIT_FAILED;
    char safe[sizeof res->message];
    const char *why = !res->ok       ? print_safe(res->message, safe, sizeof safe)
                      : !res->complete ? print_safe(res->completeness, safe, sizeof safe)
                                       : NULL;
    if (rc == WB_OK && res->complete) {
        ex = state_print(co, res);
    } else if (co->json) {
        json_t *root = json_pack("{s:b, s:o, s:s, s:o}", "proved", 0, "item",
                                 print_json_text(item), "check",
                                 res->ok ? "completeness" : res->failed_check, "error",
                                 print_json_text(why));
        WB_IGNORE_RESULT(print_json_out(root)); /* exit 1 either way */
    } else if (!res->ok) {
        printf("NOT PROVED: the item's proof bundle does not verify: %s\n", why);
    } else {
        printf("NOT PROVED: completeness not proven: %s\n", why);
    }
    free(res);
    return ex;
}

int cmd_state_via(const struct client_connector *conn, int argc, char **argv)
{
    struct client_opts co;
    char item[WB_ITEM_MAX + 1];
    client_opts_init(&co, "state");
    int ex = state_parse(argc, argv, &co, item);
    if (ex == CLIENT_HELP_SHOWN) return CLI_EXIT_OK;
    if (ex != CLI_EXIT_OK) return ex;
    ex = client_opts_finish(&co, &state_usage, true);
    if (ex != CLI_EXIT_OK) return ex;

    struct client_session s;
    ex = client_session_open(&s, &co, conn);
    if (ex != CLI_EXIT_OK) goto close_session;
    uint8_t *bundle;
    size_t len;
    int rc = client_fetch_proof(&s.c, item, &bundle, &len);
    if (rc == WB_ERR_NOMEM) {
        cli_error(co.cmd, "out of memory");
        ex = CLI_EXIT_FAILED;
        goto close_session;
    }
    if (rc != WB_OK) {
        ex = client_fail_item(&s.c, rc, item, item);
        goto close_session;
    }
    ex = state_check(&co, s.genesis, item, bundle, len);
    free(bundle);
close_session:
    client_session_close(&s);
    return ex;
}

int cmd_state(int argc, char **argv) { return cmd_state_via(client_net_connector(), argc, argv); }
