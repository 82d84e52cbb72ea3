/* `waybill risk ITEM`: the risk flags and score of an item (docs/risk.md),
 * judged here by the risk engine (risk/risk.h) over the item's proof
 * bundle verified against the genesis file, with the node's ledger-wide
 * context (other items' seals and container numbers, parties, learned
 * baselines) online, or from a saved bundle alone offline. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"

#include "cli/client_cmds.h"
#include "cli/commands.h"
#include "cli/id_args.h"
#include "cli/print.h"
#include "cli/risk_context.h"
#include "cli/risk_run.h"
#include "common/exec_threads.h"
#include "common/file.h"
#include "common/wb_error.h"
#include "ledger/evidence.h"
#include "ledger/verify.h"

#define NODE_SCORES_TOP 100 /* items a RiskOrg answer lists at most (node/risk/scores.h) */

enum {
    RISK_OPT_BUNDLE,
    RISK_OPT_ORG,
    RISK_OPT_POLICY,
    RISK_OPT_NODE,
    RISK_OPT_KEY,
    RISK_OPT_GENESIS,
    RISK_OPT_TIMEOUT,
    RISK_OPT_JSON,
    RISK_OPT_TOP,
};

static const struct cli_opt risk_opts[] = {
    [RISK_OPT_BUNDLE] = {"bundle", "FILE",
                         "judge a saved proof bundle offline (waybill proof --out) instead of "
                         "asking a node: the ledger-wide flags are then not evaluable"},
    [RISK_OPT_ORG] = {"org", "ORG",
                      "an organisation's risk as the node computed it: its items, the flags "
                      "raised while it held them, its handover timeliness, its age on the "
                      "ledger and its score with the formula (docs/risk.md, \"Scores\")"},
    [RISK_OPT_POLICY] = {"policy", "FILE",
                         "the risk policy (docs/risk-policy.md; default $WAYBILL_RISK_POLICY, "
                         "else the built-in defaults)"},
    [RISK_OPT_NODE] = CLIENT_OPT_NODE,
    [RISK_OPT_KEY] = CLIENT_OPT_KEY,
    [RISK_OPT_GENESIS] = CLIENT_OPT_GENESIS,
    [RISK_OPT_TIMEOUT] = CLIENT_OPT_TIMEOUT,
    [RISK_OPT_JSON] = CLIENT_OPT_JSON,
    [RISK_OPT_TOP] = {"top", "N", "with --org: list its N items with the highest scores (1 to "
                                  "100, default 10)"},
};

static const struct cli_usage risk_usage = {
    .cmd = "risk",
    .synopsis = "ITEM [--policy FILE] [--json] [--node ADDR] [--key FILE] [--genesis FILE] "
                "[--timeout SECONDS] | --bundle FILE [ITEM] [--policy FILE] [--genesis FILE] "
                "[--json] | --org ORG [--top N] [--json] [--node ADDR] [--key FILE] [--genesis FILE] "
                "[--timeout SECONDS]",
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
        "not judged (exit 1). Flags are advice: exit 0 whatever they say.\n"
        "\n"
        "With --org ORG it shows an organisation's risk from the node's score table, as\n"
        "the node computed it with its own policy (node.ini [risk] policy): the items it\n"
        "held, the flags raised while it held them by code, the handovers it gave and\n"
        "received with the median and worst delay to the receive, its age on the\n"
        "ledger, its chains completed, its score and the formula: the policy weights of\n"
        "the flags raised while it held an item, summed, divided by the items it held.\n"
        "Then its --top N items (default 10, at most 100) by score.\n",
    .opts = risk_opts,
    .opt_count = sizeof risk_opts / sizeof risk_opts[0],
};

struct risk_args {
    const char *bundle, *policy, *org, *top;
};

static int risk_own_opt(void *ctx, int opt, const char *value)
{
    struct risk_args *ra = ctx;
    if (opt == RISK_OPT_BUNDLE) return client_opt_once(&risk_usage, &ra->bundle, "bundle", value);
    if (opt == RISK_OPT_POLICY) return client_opt_once(&risk_usage, &ra->policy, "policy", value);
    if (opt == RISK_OPT_ORG) return client_opt_once(&risk_usage, &ra->org, "org", value);
    if (opt == RISK_OPT_TOP) return client_opt_once(&risk_usage, &ra->top, "top", value);
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
    /* The signatures on every CPU, as waybill verify checks them. */
    struct wb_exec_threads threads = {.threads = wb_exec_threads_cpus()};
    struct wb_executor exec = wb_exec_threads(&threads);
    int vrc = ledger_verify_bundle(g, item, bundle, len, &exec, risk_on_event, &rc, res);
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
        have_cd = true; /* freed in every case (cli/risk_context.h) */
        if (frc != WB_OK) {
            ex = client_fail(online, frc, "asking the node for the ledger-wide context");
            goto out;
        }
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
    ex = print_exit(co->cmd, prc);
out:
    if (have_cd) risk_context_data_free(&cd);
    risk_report_free(&rep);
    ledger_evidence_free(&rc.evidence);
    risk_run_free(&rc.run);
    free(res);
    return ex;
}

/* ---- --org ------------------------------------------------------------------------- */

/* "3 d 4 h", "2 h 5 min", "40 s", "0 s". */
static const char *span(int64_t ms, char *out, size_t cap)
{
    if (ms < 0) ms = 0;
    int64_t s = ms / 1000, d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60;
    if (d) snprintf(out, cap, "%lld d %lld h", (long long)d, (long long)h);
    else if (h) snprintf(out, cap, "%lld h %lld min", (long long)h, (long long)m);
    else if (m) snprintf(out, cap, "%lld min %lld s", (long long)m, (long long)(s % 60));
    else snprintf(out, cap, "%lld s", (long long)s);
    return out;
}

static bool counts_ok(Waybill__FlagCount *const *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!c[i] || !c[i]->code || risk_flag_parse(c[i]->code) == RISK_FLAG_COUNT) return false;
    return true;
}

static bool org_answer_ok(const Waybill__RiskOrg *m, size_t top)
{
    if (!m || !m->org || m->n_items > top || !counts_ok(m->flags, m->n_flags) ||
        (m->policy_hash.len != RISK_POLICY_HASH_LEN))
        return false;
    for (size_t i = 0; i < m->n_items; i++)
        if (!m->items[i] || !m->items[i]->item ||
            !counts_ok(m->items[i]->counts, m->items[i]->n_counts))
            return false;
    return true;
}

static json_t *counts_json(Waybill__FlagCount *const *c, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; o && i < n; i++)
        if (json_object_set_new(o, c[i]->code, json_integer(c[i]->count))) {
            json_decref(o);
            return NULL;
        }
    return o;
}

static json_t *org_json(const Waybill__RiskOrg *m)
{
    char when[PRINT_TIME_MAX], first[PRINT_TIME_MAX];
    json_t *items = json_array();
    for (size_t i = 0; items && i < m->n_items; i++) {
        const Waybill__RiskOrg__Item *it = m->items[i];
        if (json_array_append_new(items, json_pack("{s:s, s:I, s:I, s:o}", "item", it->item,
                                                   "score", (json_int_t)it->score, "org_weight",
                                                   (json_int_t)it->org_weight, "counts",
                                                   counts_json(it->counts, it->n_counts)))) {
            json_decref(items);
            items = NULL;
        }
    }
    json_t *hand = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "given", (json_int_t)m->handovers_given,
        "given_received", (json_int_t)m->given_received, "given_median_ms",
        (json_int_t)m->given_median_ms, "given_worst_ms", (json_int_t)m->given_worst_ms,
        "received", (json_int_t)m->handovers_received, "received_median_ms",
        (json_int_t)m->received_median_ms, "received_worst_ms", (json_int_t)m->received_worst_ms);
    json_t *score = json_pack("{s:f, s:I, s:I, s:I, s:s}", "value", (double)m->score_x100 / 100.0,
                              "value_x100", (json_int_t)m->score_x100, "weight_sum",
                              (json_int_t)m->weight_sum, "items_held",
                              (json_int_t)m->items_held, "formula",
                              "weight_sum / items_held: the policy weights of the flags raised "
                              "while it held an item, summed over the items it held, divided by "
                              "their number");
    return json_pack("{s:s, s:b, s:o, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:I, s:I, s:s, s:o}",
                     "org", m->org, "known", m->known, "first_seen",
                     m->known ? json_string(print_time(m->first_seen_ms, first)) : json_null(),
                     "age_ms", (json_int_t)(m->known ? m->as_of_ms - m->first_seen_ms : 0),
                     "chains_completed", (json_int_t)m->chains_completed, "items_held",
                     (json_int_t)m->items_held, "flags", counts_json(m->flags, m->n_flags),
                     "handovers", hand, "score", score, "items", items, "height",
                     (json_int_t)m->height, "pending", (json_int_t)m->pending, "as_of",
                     print_time(m->as_of_ms, when), "policy_hash",
                     print_json_hex(m->policy_hash.data, RISK_POLICY_HASH_LEN));
}

static void org_text(const Waybill__RiskOrg *m)
{
    char when[PRINT_TIME_MAX], a[48], b[48], safe[2 * WB_ORG_MAX + 2];
    char hash[2 * RISK_POLICY_HASH_LEN + 1];
    wb_hex_encode(m->policy_hash.data, RISK_POLICY_HASH_LEN, hash, sizeof hash);
    printf("organisation '%s': as the node computed it as of height %llu (%s), %llu item%s "
           "pending; policy %s\n",
           print_safe(m->org, safe, sizeof safe), (unsigned long long)m->height,
           print_time(m->as_of_ms, when), (unsigned long long)m->pending,
           m->pending == 1 ? "" : "s", hash);
    if (m->known)
        printf("on the ledger since %s (age %s); chains completed %u\n",
               print_time(m->first_seen_ms, when), span(m->as_of_ms - m->first_seen_ms, a, sizeof a),
               (unsigned)m->chains_completed);
    else
        printf("the ledger never saw an event of it\n");
    printf("items held: %u\n", (unsigned)m->items_held);
    printf("flags raised while it held the item:");
    for (size_t i = 0; i < m->n_flags; i++)
        printf("%s %s %u", i ? "," : "", m->flags[i]->code, (unsigned)m->flags[i]->count);
    printf("%s\n", m->n_flags ? "" : " none");
    printf("handovers given: %u, %u received", (unsigned)m->handovers_given,
           (unsigned)m->given_received);
    if (m->given_received)
        printf(" (handover to receive: median %s, worst %s)", span(m->given_median_ms, a, sizeof a),
               span(m->given_worst_ms, b, sizeof b));
    printf("\nhandovers received: %u", (unsigned)m->handovers_received);
    if (m->handovers_received)
        printf(" (handover to receive: median %s, worst %s)",
               span(m->received_median_ms, a, sizeof a), span(m->received_worst_ms, b, sizeof b));
    printf("\nscore %llu.%02llu = weight of the flags raised while it held an item %llu / items "
           "held %u\n",
           (unsigned long long)(m->score_x100 / 100), (unsigned long long)(m->score_x100 % 100),
           (unsigned long long)m->weight_sum, (unsigned)m->items_held);
    if (!m->n_items) return;
    printf("%-8s %-10s %-32s %s\n", "SCORE", "ITS WEIGHT", "ITEM", "FLAGS");
    for (size_t i = 0; i < m->n_items; i++) {
        const Waybill__RiskOrg__Item *it = m->items[i];
        printf("%-8u %-10u %-32s ", (unsigned)it->score, (unsigned)it->org_weight, it->item);
        for (size_t k = 0; k < it->n_counts; k++)
            printf(it->counts[k]->count > 1 ? "%s%s x%u" : "%s%s", k ? ", " : "",
                   it->counts[k]->code, (unsigned)it->counts[k]->count);
        printf("%s\n", it->n_counts ? "" : "-");
    }
}

static int risk_org(const struct client_opts *co, struct client *c, const char *org,
                    uint32_t top)
{
    Waybill__RiskOrgRequest q = WAYBILL__RISK_ORG_REQUEST__INIT;
    q.org = (char *)org;
    q.top = top;
    Waybill__ClientRequest rq = WAYBILL__CLIENT_REQUEST__INIT;
    rq.req_case = WAYBILL__CLIENT_REQUEST__REQ_RISK_ORG;
    rq.risk_org = &q;
    Waybill__ClientResponse *resp;
    int rc = client_call(c, &rq, WAYBILL__CLIENT_RESPONSE__RESP_RISK_ORG, &resp);
    if (rc != WB_OK) return client_fail(c, rc, "asking the node for the organisation's risk");
    int ex = CLI_EXIT_OK;
    if (!org_answer_ok(resp->risk_org, top)) {
        cli_error(co->cmd, "the node answered with a malformed organisation risk");
        ex = CLI_EXIT_FAILED;
    } else if (co->json) {
        if (print_json_out(org_json(resp->risk_org)) != WB_OK) ex = CLI_EXIT_FAILED;
    } else {
        org_text(resp->risk_org);
    }
    waybill__client_response__free_unpacked(resp, NULL);
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
    if (ra.org) {
        if (args.pos_count || ra.bundle || ra.policy)
            return cli_usage_error(&risk_usage, "--org ORG takes no ITEM, --bundle or --policy: "
                                                "the node judges with its own policy");
        if (!ra.org[0] || strlen(ra.org) > WB_ORG_MAX)
            return cli_usage_error(&risk_usage, "--org: expected 1 to %d characters", WB_ORG_MAX);
        uint64_t top = 10;
        if (ra.top && cli_parse_u64(ra.top, 1, NODE_SCORES_TOP, &top) != WB_OK)
            return cli_usage_error(&risk_usage, "--top: expected 1 to %d, got '%s'",
                                   NODE_SCORES_TOP, ra.top);
        ex = client_opts_finish(&co, &risk_usage, true);
        if (ex != CLI_EXIT_OK) return ex;
        struct client_session s;
        ex = client_session_open(&s, &co, conn);
        if (ex == CLI_EXIT_OK) ex = risk_org(&co, &s.c, ra.org, (uint32_t)top);
        client_session_close(&s);
        return cli_output_finish(co.cmd, ex);
    }
    if (ra.top) return cli_usage_error(&risk_usage, "--top goes with --org");
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
