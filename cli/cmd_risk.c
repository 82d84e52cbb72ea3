/* `waybill risk ITEM`: the risk flags and score of an item (docs/risk.md),
 * judged here by the risk engine (risk/risk.h) over the item's proof
 * bundle verified against the genesis file, with the node's ledger-wide
 * context (other items' seals and container numbers, parties, learned
 * baselines) online, or from a saved bundle alone offline. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client_cmds.h"
#include "cli/commands.h"
#include "cli/id_args.h"
#include "cli/print.h"
#include "cli/risk_context.h"
#include "cli/risk_run.h"
#include "common/file.h"
#include "common/wb_error.h"
#include "ledger/evidence.h"
#include "ledger/verify.h"

enum {
    RISK_OPT_BUNDLE,
    RISK_OPT_POLICY,
    RISK_OPT_NODE,
    RISK_OPT_KEY,
    RISK_OPT_GENESIS,
    RISK_OPT_TIMEOUT,
    RISK_OPT_JSON,
};

static const struct cli_opt risk_opts[] = {
    [RISK_OPT_BUNDLE] = {"bundle", "FILE",
                         "judge a saved proof bundle offline (waybill proof --out) instead of "
                         "asking a node: the ledger-wide flags are then not evaluable"},
    [RISK_OPT_POLICY] = {"policy", "FILE",
                         "the risk policy (docs/risk-policy.md; default $WAYBILL_RISK_POLICY, "
                         "else the built-in defaults)"},
    [RISK_OPT_NODE] = CLIENT_OPT_NODE,
    [RISK_OPT_KEY] = CLIENT_OPT_KEY,
    [RISK_OPT_GENESIS] = CLIENT_OPT_GENESIS,
    [RISK_OPT_TIMEOUT] = CLIENT_OPT_TIMEOUT,
    [RISK_OPT_JSON] = CLIENT_OPT_JSON,
};

static const struct cli_usage risk_usage = {
    .cmd = "risk",
    .synopsis = "ITEM [--policy FILE] [--json] [--node ADDR] [--key FILE] [--genesis FILE] "
                "[--timeout SECONDS] | --bundle FILE [ITEM] [--policy FILE] [--genesis FILE] "
                "[--json]",
    .description =
        "Judges ITEM for customs (docs/risk.md): fetches its proof bundle, verifies it\n"
        "against the genesis file as waybill verify does, and runs the risk engine over\n"
        "the verified chain, its device evidence and route plan, the coordinates table\n"
        "and the policy, with the node's ledger-wide context (seal numbers and container\n"
        "numbers on other items, the parties' history, learned dwell and transit\n"
        "baselines). Prints the score, the policy's hash, and each flag: its code,\n"
        "severity, one sentence, when, the custodian at the time (who to ask), the\n"
        "events that raised it and, for a learned threshold, its basis; then the flags\n"
        "that could not be judged and why. With --bundle FILE it judges a saved bundle\n"
        "offline, from the genesis file alone: the same flags and score except the\n"
        "ledger-wide ones, listed as not evaluable. A bundle that does not verify is\n"
        "not judged (exit 1). Flags are advice: exit 0 whatever they say.\n",
    .opts = risk_opts,
    .opt_count = sizeof risk_opts / sizeof risk_opts[0],
};

struct risk_args {
    const char *bundle, *policy;
};

static int risk_own_opt(void *ctx, int opt, const char *value)
{
    struct risk_args *ra = ctx;
    if (opt == RISK_OPT_BUNDLE) return client_opt_once(&risk_usage, &ra->bundle, "bundle", value);
    if (opt == RISK_OPT_POLICY) return client_opt_once(&risk_usage, &ra->policy, "policy", value);
    return CLI_EXIT_OK;
}

/* What the verifier's callback collects. */
struct risk_collect {
    const struct ledger_genesis *g;
    struct risk_run run;
    struct ledger_evidence evidence;
    bool evidence_failed;
    char evidence_error[256];
};

static void risk_on_event(void *ctx, size_t index, const struct ledger_event *ev, const char *org,
                          uint64_t height, uint32_t pos, bool out_of_order, bool ok,
                          const char *check, const char *detail, const char *mark,
                          const struct ledger_gov *gov)
{
    struct risk_collect *rc = ctx;
    (void)index, (void)pos, (void)out_of_order, (void)check, (void)detail, (void)mark;
    if (!ok || !ev) return;
    risk_run_add(&rc->run, ev, org, height);
    if (rc->evidence_failed) return;
    if (ledger_evidence_add(&rc->evidence, ev, height, gov ? &gov->view : rc->g, gov,
                            rc->evidence_error, sizeof rc->evidence_error) != WB_OK)
        rc->evidence_failed = true;
}

/* The reference time: the certified time the bundle is complete as of,
 * else its newest block's. */
static int64_t risk_as_of(const struct ledger_verify_result *res, const struct risk_run *run)
{
    if (res->complete) return res->fresh.time_ms;
    int64_t t = 0;
    for (size_t i = 0; i < run->count; i++)
        if (run->events[i].block_time_ms > t) t = run->events[i].block_time_ms;
    return t;
}

/* Verifies bundle, judges it with ctx (NULL offline) and prints. */
static int risk_judge(const struct client_opts *co, const struct ledger_genesis *g,
                      const char *item, const uint8_t *bundle, size_t len,
                      const struct risk_policy *p, struct client *online)
{
    struct risk_collect rc = {.g = g};
    risk_run_init(&rc.run);
    struct ledger_verify_result *res = calloc(1, sizeof *res);
    int ex = CLI_EXIT_FAILED;
    if (!res || ledger_evidence_init(&rc.evidence) != WB_OK) {
        cli_error(co->cmd, "out of memory");
        free(res);
        risk_run_free(&rc.run);
        return CLI_EXIT_FAILED;
    }
    int vrc = ledger_verify_bundle(g, item, bundle, len, NULL, risk_on_event, &rc, res);
    struct risk_report rep;
    memset(&rep, 0, sizeof rep);
    struct risk_context_data cd;
    bool have_cd = false;
    char msg[512];
    if (vrc != WB_OK) {
        char safe[1024];
        cli_error(co->cmd, "the bundle does not verify, so it is not judged: %s",
                  print_safe(res->message, safe, sizeof safe));
        goto out;
    }
    if (rc.evidence_failed) {
        cli_error(co->cmd, "device evidence: %s", rc.evidence_error);
        goto out;
    }
    ledger_evidence_finish(&rc.evidence);
    if (risk_run_times(&rc.run, bundle, len) != WB_OK) {
        cli_error(co->cmd, "the bundle's block headers do not decode");
        goto out;
    }
    struct risk_context ctx, *ctxp = NULL;
    if (online) {
        struct risk_run_query q;
        risk_run_query_of(&rc.run, &rc.evidence, &q);
        int frc = risk_run_fetch(online, res->state.item, &q, &cd);
        if (frc != WB_OK) {
            ex = client_fail(online, frc, "asking the node for the ledger-wide context");
            goto out;
        }
        have_cd = true;
        risk_context_of(&cd, &ctx);
        ctxp = &ctx;
    }
    int64_t as_of = risk_as_of(res, &rc.run);
    if (risk_run_assess(&rc.run, g, &rc.evidence, as_of, p, ctxp, &rep, msg, sizeof msg) !=
        WB_OK) {
        cli_error(co->cmd, "the risk engine: %s", msg);
        goto out;
    }
    int prc;
    if (co->json) {
        json_t *o = risk_run_json(&rep, as_of, online != NULL);
        if (o && json_object_set_new(o, "item", json_string(res->state.item)))
            o = (json_decref(o), NULL);
        prc = print_json_out(o);
    } else {
        printf("item %s: verified, %zu events\n", res->state.item, res->events_checked);
        prc = risk_run_print_text(&rep, as_of, online != NULL, stdout);
    }
    if (prc == WB_OK) ex = CLI_EXIT_OK;
    else if (prc != WB_ERR_IO) cli_error(co->cmd, "out of memory");
out:
    if (have_cd) risk_context_data_free(&cd);
    risk_report_free(&rep);
    ledger_evidence_free(&rc.evidence);
    risk_run_free(&rc.run);
    free(res);
    return ex;
}

int cmd_risk_via(const struct client_connector *conn, int argc, char **argv)
{
    struct client_opts co;
    struct risk_args ra = {0};
    struct cli_args args;
    client_opts_init(&co, "risk");
    int ex = client_args_parse(&args, &risk_usage, argc, argv, &co, risk_own_opt, &ra);
    if (ex == CLIENT_HELP_SHOWN) return CLI_EXIT_OK;
    if (ex != CLI_EXIT_OK) return ex;
    if (args.pos_count > 1)
        return cli_usage_error(&risk_usage, "unexpected argument '%s'", args.pos[1]);
    if (args.pos_count == 0 && !ra.bundle)
        return cli_usage_error(&risk_usage, "give ITEM (ask the node) or --bundle FILE");
    char item[WB_ITEM_MAX + 1] = "";
    if (args.pos_count) {
        ex = cli_item_arg(&risk_usage, "ITEM", args.pos[0], item);
        if (ex != CLI_EXIT_OK) return ex;
    }
    ex = client_opts_finish(&co, &risk_usage, !ra.bundle);
    if (ex != CLI_EXIT_OK) return ex;
    struct risk_policy policy;
    ex = risk_run_policy(co.cmd, ra.policy, &policy);
    if (ex != CLI_EXIT_OK) return ex;

    if (ra.bundle) {
        struct ledger_genesis *g;
        ex = client_load_genesis(&co, &g);
        if (ex != CLI_EXIT_OK) return ex;
        uint8_t *buf;
        size_t len;
        int rc = wb_read_file(ra.bundle, CLIENT_FRAME_MAX, &buf, &len);
        if (rc != WB_OK) {
            cli_error(co.cmd, "cannot read %s: %s", ra.bundle, wb_strerror(rc));
            free(g);
            return CLI_EXIT_FAILED;
        }
        ex = risk_judge(&co, g, item[0] ? item : NULL, buf, len, &policy, NULL);
        free(buf);
        free(g);
        return cli_output_finish(co.cmd, ex);
    }
    struct client_session s;
    ex = client_session_open(&s, &co, conn);
    if (ex == CLI_EXIT_OK) {
        uint8_t *bundle;
        size_t len;
        int rc = client_fetch_proof(&s.c, item, &bundle, &len);
        if (rc != WB_OK) {
            ex = client_fail_item(&s.c, rc, item, "fetching the proof bundle");
        } else {
            ex = risk_judge(&co, s.genesis, item, bundle, len, &policy, &s.c);
            free(bundle);
        }
    }
    client_session_close(&s);
    return cli_output_finish(co.cmd, ex);
}

int cmd_risk(int argc, char **argv) { return cmd_risk_via(client_net_connector(), argc, argv); }
