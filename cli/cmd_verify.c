/* `waybill verify`: checks an item's proof bundle (fetched from a node, or
 * read from a file offline) against nothing but the genesis file, printing
 * each event with its checks and a verdict. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client_cmds.h"
#include "cli/evidence_print.h"
#include "cli/risk_context.h"
#include "cli/risk_run.h"
#include "cli/id_args.h"
#include "cli/print.h"
#include "common/exec_threads.h"
#include "common/file.h"
#include "common/addr.h"
#include "common/hex.h"
#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/evidence.h"
#include "ledger/gov.h"
#include "ledger/ids.h"
#include "ledger/verify.h"

/* Largest bundle file read: far above any real item's history. */
#define VERIFY_BUNDLE_FILE_MAX (256u << 20)
#define VERIFY_COLS 8

enum {
    VERIFY_OPT_BUNDLE,
    VERIFY_OPT_NODE,
    VERIFY_OPT_KEY,
    VERIFY_OPT_GENESIS,
    VERIFY_OPT_TIMEOUT,
    VERIFY_OPT_JSON,
    VERIFY_OPT_MAX_AGE,
    VERIFY_OPT_REQUIRE_COMPLETE,
    VERIFY_OPT_QUORUM_READ,
    VERIFY_OPT_POLICY,
};

static const struct cli_opt verify_opts[] = {
    [VERIFY_OPT_BUNDLE] = {"bundle", "FILE",
                           "verify this proof bundle file (from waybill proof) offline: no node "
                           "is contacted"},
    [VERIFY_OPT_NODE] = CLIENT_OPT_NODE,
    [VERIFY_OPT_KEY] = CLIENT_OPT_KEY,
    [VERIFY_OPT_GENESIS] = CLIENT_OPT_GENESIS,
    [VERIFY_OPT_TIMEOUT] = CLIENT_OPT_TIMEOUT,
    [VERIFY_OPT_JSON] = CLIENT_OPT_JSON,
    [VERIFY_OPT_MAX_AGE] = {"max-age", "DURATION",
                            "fail unless the bundle proves completeness as of a block at most "
                            "DURATION old (90s, 15m, 2h, 3d)"},
    [VERIFY_OPT_REQUIRE_COMPLETE] = {"require-complete", NULL,
                                     "fail (exit 1) unless the bundle proves it holds all of "
                                     "the item's events"},
    [VERIFY_OPT_QUORUM_READ] = {"quorum-read", NULL,
                                "ask f+1 nodes (the --node addresses, given several times, then "
                                "the genesis api addresses) and verify the bundle certified at "
                                "the highest height"},
    [VERIFY_OPT_POLICY] = {"policy", "FILE",
                           "the risk policy the risk section is judged with (docs/risk-policy.md; "
                           "default $WAYBILL_RISK_POLICY, else the built-in defaults)"},
};

static const struct cli_usage verify_usage = {
    .cmd = "verify",
    .synopsis = "ITEM [--node ADDR] [--key FILE] [--genesis FILE] [--timeout SECONDS] [--json]\n"
                "              [--max-age DURATION] [--require-complete] [--policy FILE]\n"
                "       waybill verify ITEM --quorum-read [--node ADDR]... [--key FILE]\n"
                "              [--genesis FILE] [--timeout SECONDS] [--json] [--max-age DURATION]\n"
                "              [--require-complete] [--policy FILE]\n"
                "       waybill verify --bundle FILE [ITEM] [--genesis FILE] [--json]\n"
                "              [--max-age DURATION] [--require-complete] [--policy FILE]",
    .description =
        "Checks an item's whole provenance chain trusting nothing but the genesis file.\n"
        "With ITEM alone the proof bundle is fetched from the node; with --bundle it is\n"
        "read from FILE and no node is contacted (ITEM, if given, must be the bundle's).\n"
        "The bundle must be the canonical encoding of a proof bundle (decode). Every\n"
        "event is checked, in order: it decodes (decode), its signature verifies\n"
        "(signature), its signer is a member (member), it is about the item (item), its\n"
        "prev is the event before it, starting at commission (prev-link). Its block is in\n"
        "the bundle and its header decodes (block-header), has the chain's header version\n"
        "(version), this\n"
        "chain's id (chain-id), the height it is listed at (height), a zero previous hash\n"
        "at height 1 (zero-prev), a proposer index below the validator count\n"
        "(proposer-range) and a commit certificate of a quorum of validators\n"
        "(certificate); its previous hash is the hash of the bundle's block at the height\n"
        "below, if there is one (prev-hash), and its time is after the time of the\n"
        "bundle's block below it (time-order). The event's index and audit path fit the\n"
        "block's event count (event-count) and the path leads to the header's events root\n"
        "(inclusion). Last, the ledger rules (docs/rules.md) allow it, the time rules\n"
        "judged against its block's time (custody-rules).\n"
        "A block that none of the events is in fails the bundle (unreferenced-block).\n"
        "Last, completeness: a bundle of a chain with header version 2 carries a freshness\n"
        "proof, the latest certified header the node has, with the item's state leaf and\n"
        "its audit path under that header's state root; it must verify and its leaf must\n"
        "name exactly the bundle's last event and number of events (freshness). Then the\n"
        "verdict says \"complete as of height H (time T, N seconds old)\"; without a proof,\n"
        "\"completeness not proven\": events newer than the bundle's may exist.\n"
        "Prints each event with its result (\"ok, out of order\" for an event dated before\n"
        "an earlier one: a late report) and ends with a verdict line:\n"
        "  VERIFIED: N events, M blocks, custodian ORG[; K reported out of order]\n"
        "  (for the governance chain, urn:waybill:governance: \"the governance chain\"\n"
        "  in place of the custodian)\n"
        "  complete as of height H (time T, N seconds old) | completeness not proven: WHY\n"
        "  FAILED: event I (ID, ACTION): CHECK: DETAIL\n"
        "A verified item's report then shows its device evidence (docs/devices.md,\n"
        "\"Evidence and findings\"): \"Evidence:\" with one line per device report event\n"
        "(device, owner, kind, number of observations, their time span, the custodian\n"
        "at their time) and every seal observation; \"Plan:\" with the route plan in\n"
        "effect and its number of versions; \"Findings:\" with one TAMPER line per e-seal\n"
        "reported tampered, or opened with no unseal between its arming and 1 h after,\n"
        "naming the custodian at that time and the device's owner (\"Findings: none\").\n"
        "The device registry is the bundle's governance section's. Findings are\n"
        "evidence, not failures: they never change the verdict or the exit status.\n"
        "Then the risk section (docs/risk.md, as waybill risk prints it): the item's\n"
        "score, the policy's hash (--policy) and its risk flags; from a node with its\n"
        "ledger-wide context, from --bundle or --quorum-read with the ledger-wide flags\n"
        "listed as not evaluable. Flags are advice: they never change the exit status.\n"
        "Exit status 0 when verified, 1 when not, or when --require-complete or --max-age\n"
        "asked for more than the bundle proves. A container number ITEM is upper-cased\n"
        "first, as waybill submit does (with a note on stderr).\n"
        "With --quorum-read (a chain of header version 2 only) the bundle is fetched\n"
        "from f+1 = n - quorum + 1 distinct nodes, so at least one honest node answers:\n"
        "the --node addresses in the order given, then the validators' genesis \"api\"\n"
        "addresses not given. Each bundle is verified; a node that does not answer\n"
        "(within --timeout, per node) or whose bundle fails or proves no completeness\n"
        "is reported on stderr and the next address is asked, until f+1 bundles\n"
        "verified. The verdict is the one certified at the highest height (a lying node\n"
        "cannot forge a certified header; a lagging one has a lower height), and the\n"
        "completeness line names the others: \"...; quorum read of 2 nodes: node1 at H,\n"
        "node3 at H-5\". Fewer than f+1 verified answers fail (exit 1).\n",
    .opts = verify_opts,
    .opt_count = sizeof verify_opts / sizeof verify_opts[0],
};

/* What the caller asks of completeness beyond a verified bundle. */
struct verify_wants {
    const char *bundle;                   /* --bundle FILE */
    const char *max_age_text;             /* --max-age as given */
    int64_t max_age_ms;                   /* -1: no --max-age */
    bool require_complete;
    const char *policy;                   /* --policy FILE */
    struct risk_policy risk_policy;       /* loaded from it, or the defaults */
    bool quorum_read;
};

/* What a quorum read adds to the verdict of the bundle it chose: the
 * completeness line's tail and, for --json, "quorum_read". */
struct verify_quorum_out {
    const char *line;                     /* "; quorum read of K nodes: ..." */
    json_t *json;                         /* taken by verify_print */
};

/* Whether a verified bundle meets the wants; if not, why (into why). */
static bool verify_wants_met(const struct verify_wants *w, const struct ledger_verify_result *res,
                             int64_t age_ms, char *why, size_t why_len)
{
    if (w->require_complete && !res->complete) {
        snprintf(why, why_len, "completeness not proven (--require-complete): %s",
                 res->completeness);
        return false;
    }
    if (w->max_age_ms >= 0 && !res->complete) {
        snprintf(why, why_len, "completeness not proven, so not as of --max-age %s: %s",
                 w->max_age_text, res->completeness);
        return false;
    }
    if (w->max_age_ms >= 0 && age_ms > w->max_age_ms) {
        snprintf(why, why_len,
                 "complete as of height %llu only, %lld seconds old: more than --max-age %s",
                 (unsigned long long)res->fresh.height, (long long)(age_ms / 1000),
                 w->max_age_text);
        return false;
    }
    return true;
}


/* What the verifier's callback collects, in bundle order: the rows, and
 * the device evidence of the accepted events (ledger/evidence.h), each fed
 * with the registry that judged it. */
struct verify_report {
    const struct ledger_genesis *g;
    bool json;
    struct print_table table;
    json_t *events;
    bool nomem;
    struct ledger_evidence evidence;
    bool evidence_failed;                 /* evidence_error says why */
    char evidence_error[256];
    /* The risk section (docs/risk.md): the accepted events, and once the
     * bundle verified, the engine's report or why there is none. */
    struct risk_run run;
    bool risk_done;
    struct risk_report risk;
    int64_t risk_as_of_ms;
    bool risk_online;
    char risk_error[1200];
    char risk_note[1200];                 /* judged offline although online: why */
};

/* Feeds an accepted event to the evidence (the governance chain has none). */
static void verify_evidence_add(struct verify_report *r, const struct ledger_event *ev,
                                uint64_t height, const struct ledger_gov *gov)
{
    if (r->evidence_failed || strcmp(ev->item, WB_GOV_CHAIN) == 0) return;
    int rc = ledger_evidence_add(&r->evidence, ev, height, gov ? &gov->view : r->g, gov,
                                 r->evidence_error, sizeof r->evidence_error);
    if (rc == WB_ERR_NOMEM) r->nomem = true;
    if (rc != WB_OK) r->evidence_failed = true;
}

static void verify_on_event(void *ctx, size_t index, const struct ledger_event *ev,
                            const char *org, uint64_t height, uint32_t pos, bool out_of_order,
                            bool ok, const char *check, const char *detail,
                            const char *mark, const struct ledger_gov *gov)
{
    struct verify_report *r = ctx;
    if (ok && ev) verify_evidence_add(r, ev, height, gov);
    if (ok && ev && strcmp(ev->item, WB_GOV_CHAIN) != 0) risk_run_add(&r->run, ev, org, height);
    char idx[24], at[48], when[PRINT_TIME_MAX], id[PRINT_SHORT_HEX], result[PRINT_CELL_MAX];
    char org_buf[64];
    snprintf(idx, sizeof idx, "%zu", index);
    snprintf(at, sizeof at, "%llu:%u", (unsigned long long)height, (unsigned)pos);
    char safe[PRINT_CELL_MAX];
    if (ok && mark)
        snprintf(result, sizeof result, "%s, MARKED: %s", out_of_order ? "ok, out of order" : "ok",
                 print_safe(mark, safe, sizeof safe));
    else if (ok)
        snprintf(result, sizeof result, "%s", out_of_order ? "ok, out of order" : "ok");
    else
        snprintf(result, sizeof result, "FAILED %s: %s", check ? check : "?",
                 print_safe(detail ? detail : "", safe, sizeof safe));
    if (!org && ev) org = print_org_of(r->g, ev->submitter, org_buf, sizeof org_buf);
    if (r->json) {
        json_t *o = ev ? print_json_event(ev, r->g) : json_object();
        if (!o || json_object_set_new(o, "seq", json_integer((json_int_t)index)) ||
            json_object_set_new(o, "height", json_integer((json_int_t)height)) ||
            json_object_set_new(o, "index", json_integer((json_int_t)pos)) ||
            json_object_set_new(o, "ok", json_boolean(ok)) ||
            json_object_set_new(o, "out_of_order", json_boolean(out_of_order)) ||
            json_object_set_new(o, "check", check ? json_string(check) : json_null()) ||
            json_object_set_new(o, "detail", detail ? print_json_text(detail) : json_null()) ||
            json_object_set_new(o, "mark", mark ? print_json_text(mark) : json_null()) ||
            json_array_append_new(r->events, o)) {
            json_decref(o);
            r->nomem = true;
        }
        return;
    }
    const char *row[VERIFY_COLS] = {idx,
                                    at,
                                    ev ? print_time(ev->time_ms, when) : "?",
                                    ev ? ledger_action_name(ev->action) : "?",
                                    ev && ev->location[0] ? ev->location : "-",
                                    org ? org : "?",
                                    ev ? print_short_hex(ev->id, id) : "?",
                                    result};
    print_table_add(&r->table, row);
    if (r->table.failed) r->nomem = true;
}

/* Whether the verdict shows the evidence: a verified item's bundle (the
 * governance chain has no devices, a failed bundle proves nothing). */
static bool verify_shows_evidence(const struct verify_report *r,
                                  const struct ledger_verify_result *res)
{
    return res->ok && r->evidence.finished && strcmp(res->state.item, WB_GOV_CHAIN) != 0;
}

/* The "evidence" of --json: the object, null when not shown, or
 * {"error": WHY} when it could not be built. */
static json_t *verify_json_evidence(const struct verify_report *r,
                                    const struct ledger_verify_result *res)
{
    if (res->ok && r->evidence_failed)
        return json_pack("{s:o}", "error", print_json_text(r->evidence_error));
    if (!verify_shows_evidence(r, res)) return json_null();
    return evidence_print_json(&r->evidence);
}

/* The "risk" of --json: the engine's report, null when there is none (a
 * failed bundle, the governance chain), {"error": WHY} when it could not
 * be judged. */
static json_t *verify_json_risk(const struct verify_report *r)
{
    if (r->risk_error[0]) return json_pack("{s:o}", "error", print_json_text(r->risk_error));
    if (!r->risk_done) return json_null();
    json_t *o = risk_run_json(&r->risk, r->risk_as_of_ms, r->risk_online);
    if (o && r->risk_note[0] && json_object_set_new(o, "note", print_json_text(r->risk_note))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *verify_json_complete(const struct ledger_verify_result *res, int64_t age_ms)
{
    char when[PRINT_TIME_MAX];
    if (!res->complete) return json_null();
    return json_pack("{s:I, s:I, s:s, s:I, s:I}", "height", (json_int_t)res->fresh.height,
                     "time_ms", (json_int_t)res->fresh.time_ms, "time",
                     print_time(res->fresh.time_ms, when), "age_s", (json_int_t)(age_ms / 1000),
                     "items_on_chain", (json_int_t)res->fresh.item_count);
}

static int verify_print(const struct client_opts *co, const struct ledger_genesis *g,
                        struct verify_report *r, const struct ledger_verify_result *res,
                        const char *source, const struct verify_wants *w,
                        struct verify_quorum_out *q)
{
    json_t *qjson = q ? q->json : NULL;
    if (q) q->json = NULL;
    if (r->nomem) goto err_nomem;
    int64_t age_ms = res->complete ? cli_now_ms() - res->fresh.time_ms : 0;
    if (age_ms < 0) age_ms = 0; /* a block time ahead of this clock: as good as now */
    char unmet[sizeof res->completeness + 160] = "";
    bool met = res->ok && verify_wants_met(w, res, age_ms, unmet, sizeof unmet);
    const char *unmet_check = w->require_complete && !res->complete ? "require-complete"
                                                                    : "max-age";
    if (co->json) {
        json_t *failure = json_null();
        if (!res->ok)
            failure = json_pack("{s:o, s:s, s:o}", "event",
                                res->failed_event >= 0
                                    ? json_integer((json_int_t)res->failed_event)
                                    : json_null(),
                                "check", res->failed_check, "message",
                                print_json_text(res->message));
        else if (!met)
            failure = json_pack("{s:n, s:s, s:o}", "event", "check", unmet_check, "message",
                                print_json_text(unmet));
        json_t *root = json_pack(
            "{s:o, s:s, s:b, s:I, s:I, s:I, s:o, s:b, s:o, s:o, s:o, s:o}", "source",
            print_json_text(source), "chain", g->chain_name, "verified", met,
            "events_checked", (json_int_t)res->events_checked, "blocks_checked",
            (json_int_t)res->blocks_checked, "events_out_of_order",
            (json_int_t)res->events_out_of_order, "state", print_json_state(&res->state),
            "complete", res->ok && res->complete, "complete_as_of",
            res->ok ? verify_json_complete(res, age_ms) : json_null(), "completeness",
            res->ok && !res->complete ? print_json_text(res->completeness) : json_null(),
            "events", r->events, "failure", failure);
        r->events = NULL;
        if (root &&
            (json_object_set_new(root, "events_marked", json_integer((json_int_t)res->events_marked)) ||
             json_object_set_new(root, "evidence", verify_json_evidence(r, res)) ||
             json_object_set_new(root, "risk", verify_json_risk(r)) ||
             json_object_set_new(root, "governance",
                                 res->ok ? json_pack("{s:b, s:I, s:b, s:o, s:o}", "present",
                                                     res->gov_present, "events",
                                                     (json_int_t)res->gov_events, "complete",
                                                     res->gov_complete, "complete_as_of",
                                                     res->gov_complete
                                                         ? json_integer((json_int_t)res->gov_height)
                                                         : json_null(),
                                                     "line", print_json_text(res->governance))
                                         : json_null()))) {
            json_decref(root);
            json_decref(qjson);
            goto err_nomem;
        }
        if (root && qjson) {
            int qrc = json_object_set_new(root, "quorum_read", qjson);
            qjson = NULL; /* root's now, or freed */
            if (qrc != 0) {
                json_decref(root);
                goto err_nomem;
            }
        }
        int prc = print_json_out(root);
        if (prc == WB_ERR_IO) return CLI_EXIT_FAILED; /* cli_output_finish says so */
        if (prc != WB_OK) goto err_nomem;
        return met ? CLI_EXIT_OK : CLI_EXIT_FAILED;
    }
    char safe_source[CLIENT_PATH_MAX + 64];
    printf("verifying %s against genesis of chain %s: %zu validators, quorum %zu\n",
           print_safe(source, safe_source, sizeof safe_source), g->chain_name, g->validator_count, ledger_genesis_quorum(g));
    printf("checks per event: decode, signature, member, item, prev-link, block-header, "
           "version, chain-id, height, zero-prev, proposer-range, certificate, prev-hash, "
           "time-order, event-count, inclusion, custody-rules; then freshness\n\n");
    if (r->table.rows > 1) {
        if (print_table_out(&r->table, stdout) != WB_OK) goto err_nomem;
        fputc('\n', stdout);
    }
    char safe[sizeof unmet + sizeof res->message];
    /* The evidence is what the verified events show; it changes no verdict. */
    if (res->ok && r->evidence_failed) {
        printf("Evidence: not shown: %s\n\n",
               print_safe(r->evidence_error, safe, sizeof safe));
    } else if (verify_shows_evidence(r, res)) {
        if (evidence_print_text(&r->evidence, stdout) != WB_OK) goto err_nomem;
        fputc('\n', stdout);
    }
    /* So are the risk flags: advice for whoever decides what to inspect. */
    if (r->risk_error[0]) {
        printf("Risk: not judged: %s\n\n", print_safe(r->risk_error, safe, sizeof safe));
    } else if (r->risk_done) {
        if (risk_run_print_text(&r->risk, r->risk_as_of_ms, r->risk_online, stdout) != WB_OK)
            goto err_nomem;
        if (r->risk_note[0]) printf("note: %s\n", print_safe(r->risk_note, safe, sizeof safe));
        fputc('\n', stdout);
    }
    if (res->ok) printf("%s\n", print_safe(res->governance, safe, sizeof safe));
    if (res->ok && res->complete) {
        char when[PRINT_TIME_MAX];
        printf("complete as of height %llu (time %s, %lld seconds old)%s\n",
               (unsigned long long)res->fresh.height, print_time(res->fresh.time_ms, when),
               (long long)(age_ms / 1000), q && q->line ? q->line : "");
    } else if (res->ok) {
        printf("completeness not proven: %s\n",
               print_safe(res->completeness, safe, sizeof safe));
    }
    if (!res->ok)
        printf("FAILED: %s\n", print_safe(res->message, safe, sizeof safe));
    else if (!met)
        printf("FAILED: %s\n", print_safe(unmet, safe, sizeof safe));
    else {
        char tail[128] = "";
        size_t tl = 0;
        if (res->events_out_of_order)
            tl += (size_t)snprintf(tail + tl, sizeof tail - tl, "; %zu reported out of order",
                                   res->events_out_of_order);
        if (res->events_marked && tl < sizeof tail)
            snprintf(tail + tl, sizeof tail - tl,
                     "; %zu marked (signed by a key not trusted since before their time)",
                     res->events_marked);
        /* The governance chain has no custodian: say what it is instead. */
        if (res->state.custodian[0])
            printf("VERIFIED: %zu events, %zu blocks, custodian %s%s\n", res->events_checked,
                   res->blocks_checked, res->state.custodian, tail);
        else
            printf("VERIFIED: %zu events, %zu blocks, the governance chain%s\n",
                   res->events_checked, res->blocks_checked, tail);
    }
    json_decref(qjson);
    return met ? CLI_EXIT_OK : CLI_EXIT_FAILED;
err_nomem:
    json_decref(qjson);
    cli_error(co->cmd, "out of memory");
    return CLI_EXIT_FAILED;
}

/* Verifies `bundle` and prints the outcome; returns the exit code. */
/* The reference time of the risk section: the certified time the bundle
 * is complete as of, else its newest block's. */
static int64_t verify_risk_as_of(const struct ledger_verify_result *res, const struct risk_run *run)
{
    if (res->complete) return res->fresh.time_ms;
    int64_t t = 0;
    for (size_t i = 0; i < run->count; i++)
        if (run->events[i].block_time_ms > t) t = run->events[i].block_time_ms;
    return t;
}

/* Judges a verified item's bundle (ledger-wide context from `online`, NULL
 * offline) into r's risk section. */
static void verify_risk(struct verify_report *r, const struct ledger_genesis *g,
                        const struct ledger_verify_result *res, const uint8_t *bundle, size_t len,
                        const struct verify_wants *w, struct client *online)
{
    char msg[512];
    if (r->run.failed) {
        r->nomem = true;
        return;
    }
    if (risk_run_times(&r->run, bundle, len) != WB_OK) {
        snprintf(r->risk_error, sizeof r->risk_error, "the bundle's block headers do not decode");
        return;
    }
    struct risk_context ctx, *ctxp = NULL;
    struct risk_context_data cd;
    bool have_cd = false;
    if (online) {
        struct risk_run_query rq;
        risk_run_query_of(&r->run, r->evidence_failed ? NULL : &r->evidence, &rq);
        int rc = risk_run_fetch(online, res->state.item, &rq, &cd);
        if (rc == WB_OK) {
            have_cd = true;
            risk_context_of(&cd, &ctx);
            ctxp = &ctx;
        } else {
            risk_context_data_free(&cd); /* holds what it took before it failed */
            /* Judged from the bundle alone, saying why. */
            snprintf(r->risk_note, sizeof r->risk_note,
                     "the node's ledger-wide context could not be read (%s): judged from the "
                     "bundle alone",
                     online->reason);
        }
    }
    r->risk_as_of_ms = verify_risk_as_of(res, &r->run);
    r->risk_online = ctxp != NULL;
    int rc = risk_run_assess(&r->run, g, r->evidence_failed ? NULL : &r->evidence,
                             r->risk_as_of_ms, &w->risk_policy, ctxp, &r->risk, msg, sizeof msg);
    if (rc == WB_OK) r->risk_done = true;
    else if (rc == WB_ERR_NOMEM) r->nomem = true;
    else snprintf(r->risk_error, sizeof r->risk_error, "%s", msg);
    if (have_cd) risk_context_data_free(&cd);
}

static int verify_run(const struct client_opts *co, const struct ledger_genesis *g,
                      const char *item, const uint8_t *bundle, size_t len, const char *source,
                      const struct verify_wants *w, struct verify_quorum_out *q,
                      struct client *online)
{
    static const char *const header[VERIFY_COLS] = {"#",   "BLOCK", "TIME", "ACTION",
                                                    "LOCATION", "ORG", "ID", "RESULT"};
    struct verify_report r = {.g = g, .json = co->json};
    risk_run_init(&r.run);
    struct ledger_verify_result *res = malloc(sizeof *res);
    print_table_init(&r.table, VERIFY_COLS, header);
    r.events = co->json ? json_array() : NULL;
    int ex;
    if (!res || (co->json && !r.events) || ledger_evidence_init(&r.evidence) != WB_OK) {
        if (q) json_decref(q->json);
        if (q) q->json = NULL;
        cli_error(co->cmd, "out of memory");
        ex = CLI_EXIT_FAILED;
        goto free_report;
    }
    /* The signatures are checked on every CPU; the verdict and report do not
     * depend on it (ledger/verify.h). */
    struct wb_exec_threads threads = {.threads = wb_exec_threads_cpus()};
    struct wb_executor exec = wb_exec_threads(&threads);
    int rc = ledger_verify_bundle(g, item, bundle, len, &exec, verify_on_event, &r, res);
    /* res says everything the code does (a failure fills its check and
     * message); the code only confirms it. */
    WB_ASSERT((rc == WB_OK) == res->ok);
    if (res->ok && !r.evidence_failed) ledger_evidence_finish(&r.evidence);
    if (res->ok && strcmp(res->state.item, WB_GOV_CHAIN) != 0)
        verify_risk(&r, g, res, bundle, len, w, online);
    ex = verify_print(co, g, &r, res, source, w, q);
free_report:
    risk_report_free(&r.risk);
    risk_run_free(&r.run);
    ledger_evidence_free(&r.evidence);
    json_decref(r.events);
    print_table_free(&r.table);
    free(res);
    return ex;
}

/* verify's own options: --bundle FILE, --max-age, --require-complete (ctx:
 * the struct verify_wants they go to). */
static int verify_own_opt(void *ctx, int opt, const char *value)
{
    struct verify_wants *w = ctx;
    if (opt == VERIFY_OPT_BUNDLE) return client_opt_once(&verify_usage, &w->bundle, "bundle", value);
    if (opt == VERIFY_OPT_MAX_AGE)
        return client_opt_once(&verify_usage, &w->max_age_text, "max-age", value);
    if (opt == VERIFY_OPT_REQUIRE_COMPLETE) w->require_complete = true;
    if (opt == VERIFY_OPT_QUORUM_READ) w->quorum_read = true;
    if (opt == VERIFY_OPT_POLICY) return client_opt_once(&verify_usage, &w->policy, "policy", value);
    return CLI_EXIT_OK;
}

/* Parses the options; item is the positional argument in canonical case
 * (cli_item_arg), "" when none was given. */
static int verify_parse(int argc, char **argv, struct client_opts *co, struct verify_wants *w,
                        char item[static WB_ITEM_MAX + 1])
{
    struct cli_args args;
    int ex = client_args_parse(&args, &verify_usage, argc, argv, co, verify_own_opt, w);
    if (ex != CLI_EXIT_OK) return ex;
    if (args.pos_count > 1)
        return cli_usage_error(&verify_usage, "unexpected argument '%s'", args.pos[1]);
    w->max_age_ms = -1;
    if (w->max_age_text && cli_parse_duration(w->max_age_text, &w->max_age_ms) != WB_OK)
        return cli_usage_error(&verify_usage,
                               "--max-age: expected a duration such as 90s, 15m, 2h or 3d, "
                               "got '%s'",
                               w->max_age_text);
    if (args.pos_count == 0 && !w->bundle)
        return cli_usage_error(&verify_usage, "give ITEM (fetch its proof from the node) or "
                                              "--bundle FILE");
    item[0] = '\0';
    if (args.pos_count) return cli_item_arg(&verify_usage, "ITEM", args.pos[0], item);
    return CLI_EXIT_OK;
}

/* A bundle file from another network: its first block header that decodes
 * names another chain id than the genesis. Says so in one verdict, naming
 * both chains (the bundle's by its id: a chain id is a hash of the name), and
 * returns true; false when the chains agree or nothing decodes (the
 * verifier then says what is wrong). */
static bool verify_other_chain(const struct client_opts *co, const struct ledger_genesis *g,
                               const uint8_t *bundle, size_t len, const char *source, int *ex)
{
    Waybill__ProofBundle *pb = waybill__proof_bundle__unpack(NULL, len, bundle);
    bool other = false;
    uint8_t id[WB_CHAIN_ID_LEN];
    for (size_t i = 0; pb && i < pb->n_blocks; i++) {
        struct ledger_block_header h;
        if (!pb->blocks[i] ||
            ledger_header_decode(pb->blocks[i]->header.data, pb->blocks[i]->header.len, &h) !=
                WB_OK)
            continue;
        other = memcmp(h.chain_id, g->chain_id, WB_CHAIN_ID_LEN) != 0;
        memcpy(id, h.chain_id, WB_CHAIN_ID_LEN);
        break;
    }
    if (pb) waybill__proof_bundle__free_unpacked(pb, NULL);
    if (!other) return false;
    char theirs[2 * WB_CHAIN_ID_LEN + 1], ours[2 * WB_CHAIN_ID_LEN + 1], msg[512];
    wb_hex_encode(id, WB_CHAIN_ID_LEN, theirs, sizeof theirs);
    wb_hex_encode(g->chain_id, WB_CHAIN_ID_LEN, ours, sizeof ours);
    snprintf(msg, sizeof msg,
             "bundle is for chain id %.16s..., this genesis is chain %s (id %.16s...): "
             "verify it with the genesis file of the network it came from",
             theirs, g->chain_name, ours);
    *ex = CLI_EXIT_FAILED;
    if (co->json) {
        json_t *root = json_pack("{s:o, s:s, s:b, s:I, s:I, s:{s:n, s:s, s:s, s:s}}", "source",
                                 print_json_text(source), "chain", g->chain_name, "verified", 0,
                                 "events_checked", (json_int_t)0, "blocks_checked",
                                 (json_int_t)0, "failure", "event", "check",
                                 VERIFY_CHECK_CHAIN_ID, "message", msg, "bundle_chain_id",
                                 theirs);
        /* The exit is a failure either way; a lost write of stdout is
         * reported by cli_output_finish. */
        WB_IGNORE_RESULT(print_json_out(root));
    } else {
        printf("FAILED: %s\n", msg);
    }
    return true;
}

static int verify_offline(const struct client_opts *co, const char *path, const char *item,
                          const struct verify_wants *w)
{
    struct ledger_genesis *g;
    int ex = client_load_genesis(co, &g);
    if (ex != CLI_EXIT_OK) return ex;
    uint8_t *bundle = NULL;
    size_t len = 0;
    int rc = wb_read_file(path, VERIFY_BUNDLE_FILE_MAX, &bundle, &len);
    if (rc != WB_OK) {
        cli_error(co->cmd, "cannot read bundle file %s: %s", path,
                  rc == WB_ERR_NOT_FOUND ? "no such file" : wb_strerror(rc));
        free(g);
        return CLI_EXIT_FAILED;
    }
    char source[CLIENT_PATH_MAX + 16];
    snprintf(source, sizeof source, "bundle %s", path);
    if (!verify_other_chain(co, g, bundle, len, source, &ex))
        ex = verify_run(co, g, item, bundle, len, source, w, NULL, NULL);
    free(bundle);
    free(g);
    return ex;
}

static int verify_online(const struct client_opts *co, const struct client_connector *conn,
                         const char *item, const struct verify_wants *w)
{
    struct client_session s;
    int ex = client_session_open(&s, co, conn);
    if (ex != CLI_EXIT_OK) goto close_session;
    uint8_t *bundle;
    size_t len;
    int rc = client_fetch_proof(&s.c, item, &bundle, &len);
    if (rc == WB_ERR_NOMEM) {
        cli_error(co->cmd, "out of memory");
        ex = CLI_EXIT_FAILED;
        goto close_session;
    }
    if (rc != WB_OK) {
        ex = client_fail_item(&s.c, rc, item, item);
        goto close_session;
    }
    char source[WB_ITEM_MAX + 512];
    snprintf(source, sizeof source, "item %s from node %s", item, co->node);
    ex = verify_run(co, s.genesis, item, bundle, len, source, w, NULL, &s.c);
    free(bundle);
close_session:
    client_session_close(&s);
    return ex;
}

/* ---- --quorum-read ------------------------------------------------------------ */

/* One node asked (or to ask) in a quorum read. */
struct verify_qnode {
    const char *addr;
    int validator;                        /* its index in genesis, or -1 */
    bool asked;
    bool verified;                        /* its bundle verified and proved complete */
    uint64_t height;                      /* its certified height, when verified */
    int64_t time_ms;
    char why[CLIENT_REASON_MAX + 64];     /* when asked and not verified */
};

/* How a person is told which node: the validator's name, else the address. */
static const char *verify_qnode_name(const struct ledger_genesis *g, const struct verify_qnode *n)
{
    return n->validator >= 0 ? g->validators[n->validator].name : n->addr;
}

/* Whether addr is already in the list (as wb_addr_equal compares, or as
 * the same validator's api address). */
static bool verify_qlisted(const struct ledger_genesis *g, const struct verify_qnode *list,
                           size_t n, const char *addr)
{
    struct wb_addr a, b;
    if (wb_addr_parse(addr, &a, NULL, 0) != WB_OK) return false;
    int v = client_api_validator(g, addr);
    for (size_t i = 0; i < n; i++) {
        if (v >= 0 && list[i].validator == v) return true;
        if (wb_addr_parse(list[i].addr, &b, NULL, 0) == WB_OK && wb_addr_equal(&a, &b))
            return true;
    }
    return false;
}

/* The addresses to ask, in order: every --node, then the genesis api
 * addresses not among them. Returns CLI_EXIT_OK or a usage exit (printed). */
static int verify_qlist(const struct client_opts *co, const struct ledger_genesis *g,
                        size_t needed, struct verify_qnode *list, size_t *count)
{
    size_t n = 0;
    for (size_t i = 0; i < co->node_count; i++) {
        const char *addr = co->nodes[i];
        char why[WB_ADDR_MSG_MAX];
        if (wb_addr_parse(addr, &(struct wb_addr){0}, why, sizeof why) != WB_OK)
            return cli_usage_error(&verify_usage, "--node: %s", why);
        int p2p = client_p2p_validator(g, addr);
        if (p2p >= 0)
            return cli_usage_error(&verify_usage,
                                   "--node %s is a node's p2p port (validator %s in genesis); "
                                   "give its client API address (in node.ini [api] listen)",
                                   addr, g->validators[p2p].name);
        if (verify_qlisted(g, list, n, addr))
            return cli_usage_error(&verify_usage,
                                   "--node %s names a node already given: a quorum read asks "
                                   "distinct nodes",
                                   addr);
        list[n++] = (struct verify_qnode){.addr = addr, .validator = client_api_validator(g, addr)};
    }
    size_t from_genesis = 0;
    for (size_t i = 0; i < g->validator_count; i++) {
        if (!g->validators[i].api[0]) continue;
        from_genesis++;
        if (verify_qlisted(g, list, n, g->validators[i].api)) continue;
        list[n++] = (struct verify_qnode){.addr = g->validators[i].api, .validator = (int)i};
    }
    *count = n;
    if (co->node_count == 0 && from_genesis == 0)
        return cli_usage_error(&verify_usage,
                               "--quorum-read: genesis %s names no validator's client API "
                               "address (\"api\"): give --node ADDR several times, %zu "
                               "distinct nodes (f+1 of %zu validators)",
                               co->genesis, needed, g->validator_count);
    if (n < needed)
        return cli_usage_error(&verify_usage,
                               "--quorum-read needs %zu distinct nodes (f+1 of %zu validators) "
                               "and has %zu: give --node ADDR several times",
                               needed, g->validator_count, n);
    return CLI_EXIT_OK;
}

/* Asks node n for the bundle and verifies it quietly. On success returns
 * true with *bundle (malloc'd) kept and n's height filled; otherwise says
 * why in n->why and returns false (or sets *nomem). */
static bool verify_qask(const struct client_opts *co, const struct client_connector *conn,
                        const struct ledger_genesis *g, const uint8_t *pk, const uint8_t *sk,
                        const char *item, struct verify_qnode *n, uint8_t **bundle,
                        size_t *len, bool *nomem)
{
    struct client_opts *nco = malloc(sizeof *nco);
    struct ledger_verify_result *res = malloc(sizeof *res);
    bool ok = false;
    char safe[sizeof res->message];
    n->asked = true;
    *bundle = NULL;
    if (!nco || !res) {
        *nomem = true;
        goto out;
    }
    *nco = *co;
    if (co->genesis == co->genesis_buf) nco->genesis = nco->genesis_buf;
    nco->node = n->addr;
    struct client c;
    int rc = client_open(&c, nco, conn, g, pk, sk);
    if (rc == WB_OK) rc = client_fetch_proof(&c, item, bundle, len);
    if (rc == WB_ERR_NOT_FOUND && c.node_error)
        snprintf(n->why, sizeof n->why, "node %s knows no item %s", n->addr, item);
    else if (rc != WB_OK)
        snprintf(n->why, sizeof n->why, "%s", c.reason[0] ? c.reason : wb_strerror(rc));
    client_close(&c);
    if (rc == WB_ERR_NOMEM) *nomem = true;
    if (rc != WB_OK) goto out;
    struct wb_exec_threads threads = {.threads = wb_exec_threads_cpus()};
    struct wb_executor exec = wb_exec_threads(&threads);
    rc = ledger_verify_bundle(g, item, *bundle, *len, &exec, NULL, NULL, res);
    if (rc == WB_ERR_NOMEM) *nomem = true;
    if (!res->ok)
        snprintf(n->why, sizeof n->why, "its bundle fails: %s",
                 print_safe(res->message, safe, sizeof safe));
    else if (!res->complete)
        snprintf(n->why, sizeof n->why, "its bundle proves no completeness: %s",
                 print_safe(res->completeness, safe, sizeof safe));
    else {
        ok = n->verified = true;
        n->height = res->fresh.height;
        n->time_ms = res->fresh.time_ms;
    }
out:
    if (!ok) {
        free(*bundle);
        *bundle = NULL;
    }
    free(res);
    free(nco);
    return ok;
}

/* The per-node results for --json: one object per node asked. */
static json_t *verify_qjson(const struct ledger_genesis *g, const struct verify_qnode *list,
                            size_t n, size_t needed, long chosen)
{
    json_t *nodes = json_array();
    json_t *q = json_pack("{s:I, s:o}", "needed", (json_int_t)needed, "nodes", nodes);
    if (!q) return NULL;
    for (size_t i = 0; i < n; i++) {
        const struct verify_qnode *x = &list[i];
        if (!x->asked) continue;
        json_t *o = json_pack(
            "{s:s, s:o, s:b, s:b, s:o, s:o, s:o}", "node", x->addr, "validator",
            x->validator >= 0 ? json_string(g->validators[x->validator].name) : json_null(),
            "verified", x->verified, "chosen", (long)i == chosen, "height",
            x->verified ? json_integer((json_int_t)x->height) : json_null(), "time_ms",
            x->verified ? json_integer((json_int_t)x->time_ms) : json_null(), "error",
            x->verified ? json_null() : print_json_text(x->why));
        if (!o || json_array_append_new(nodes, o) != 0) {
            json_decref(q);
            return NULL;
        }
    }
    return q;
}

/* Not enough verified answers: says so (and, with --json, the error object
 * with the per-node results) and returns exit 1. */
static int verify_qfail(const struct client_opts *co, const struct ledger_genesis *g,
                        const char *item, const struct verify_qnode *list, size_t n,
                        size_t needed, size_t verified)
{
    size_t asked = 0;
    for (size_t i = 0; i < n; i++) asked += list[i].asked;
    char msg[256];
    snprintf(msg, sizeof msg,
             "quorum read: %zu of the %zu nodes needed (f+1 of %zu validators) answered with a "
             "verified, complete bundle; %zu asked",
             verified, needed, g->validator_count, asked);
    cli_error(co->cmd, "%s", msg);
    if (co->json) {
        json_t *root = json_pack("{s:b, s:s, s:s, s:s, s:o}", "ok", 0, "code", "quorum", "error",
                                 msg, "item", item, "quorum_read",
                                 verify_qjson(g, list, n, needed, -1));
        /* The exit is a failure either way; a lost write of stdout is
         * reported by cli_output_finish. */
        WB_IGNORE_RESULT(print_json_out(root));
    }
    return CLI_EXIT_FAILED;
}

static int verify_quorum(const struct client_opts *co, const struct client_connector *conn,
                         const char *item, const struct verify_wants *w)
{
    struct ledger_genesis *g;
    int ex = client_load_genesis(co, &g);
    if (ex != CLI_EXIT_OK) return ex;
    struct verify_qnode list[CLIENT_NODES_MAX + WB_VALIDATORS_MAX];
    uint8_t pk[WB_PUBKEY_LEN], sk[WB_SECKEY_LEN];
    uint8_t *best = NULL;
    size_t best_len = 0, n = 0, verified = 0;
    long chosen = -1;
    bool nomem = false;
    memset(sk, 0, sizeof sk);
    if (g->header_version < WB_BLOCK_VERSION_STATE) {
        cli_error(co->cmd,
                  "--quorum-read needs a chain of header version 2, whose certified headers "
                  "commit to every item's state; chain %s (genesis %s) has header version %u: "
                  "verify without --quorum-read",
                  g->chain_name, co->genesis, (unsigned)g->header_version);
        ex = CLI_EXIT_FAILED;
        goto out;
    }
    size_t needed = g->validator_count - ledger_genesis_quorum(g) + 1;
    ex = verify_qlist(co, g, needed, list, &n);
    if (ex != CLI_EXIT_OK) goto out;
    ex = client_load_key(co, pk, sk);
    if (ex != CLI_EXIT_OK) goto out;
    if (ledger_genesis_org_of_key(g, pk) < 0) {
        cli_error(co->cmd,
                  "key %s is not a member client key in genesis %s (chain '%s'): a node would "
                  "have refused it; use a key listed in a member's \"keys\"",
                  co->key, co->genesis, g->chain_name);
        ex = CLI_EXIT_FAILED;
        goto out;
    }
    for (size_t i = 0; i < n && verified < needed && !nomem; i++) {
        uint8_t *bundle;
        size_t len;
        if (!verify_qask(co, conn, g, pk, sk, item, &list[i], &bundle, &len, &nomem)) {
            if (!nomem)
                cli_error(co->cmd, "quorum read: node %s: skipped: %s",
                          verify_qnode_name(g, &list[i]), list[i].why);
            continue;
        }
        verified++;
        if (chosen < 0 || list[i].height > list[chosen].height) {
            free(best);
            best = bundle;
            best_len = len;
            chosen = (long)i;
        } else {
            free(bundle);
        }
    }
    if (nomem) {
        cli_error(co->cmd, "out of memory");
        ex = CLI_EXIT_FAILED;
        goto out;
    }
    if (verified < needed) {
        ex = verify_qfail(co, g, item, list, n, needed, verified);
        goto out;
    }
    /* "; quorum read of K nodes: <chosen> at H, <other> at H2, ..." */
    char line[64 + CLIENT_NODES_MAX * (WB_ADDR_MAX + 32)];
    const struct verify_qnode *c = &list[chosen];
    int len = snprintf(line, sizeof line, "; quorum read of %zu nodes: %s at %llu", verified,
                       verify_qnode_name(g, c), (unsigned long long)c->height);
    for (size_t i = 0; i < n && len > 0 && (size_t)len < sizeof line; i++)
        if (list[i].verified && (long)i != chosen)
            len += snprintf(line + len, sizeof line - (size_t)len, ", %s at %llu",
                            verify_qnode_name(g, &list[i]), (unsigned long long)list[i].height);
    char source[WB_ITEM_MAX + 2 * WB_ADDR_MAX + 128];
    if (c->validator >= 0)
        snprintf(source, sizeof source,
                 "item %s from node %s (%s, the highest of a quorum read)", item, c->addr,
                 g->validators[c->validator].name);
    else
        snprintf(source, sizeof source, "item %s from node %s (the highest of a quorum read)",
                 item, c->addr);
    struct verify_quorum_out q = {.line = line, .json = NULL};
    if (co->json && !(q.json = verify_qjson(g, list, n, needed, chosen))) {
        cli_error(co->cmd, "out of memory");
        ex = CLI_EXIT_FAILED;
        goto out;
    }
    ex = verify_run(co, g, item, best, best_len, source, w, &q, NULL);
out:
    sodium_memzero(sk, sizeof sk);
    free(best);
    free(g);
    return ex;
}

int cmd_verify_via(const struct client_connector *conn, int argc, char **argv)
{
    struct client_opts co;
    struct verify_wants w = {.max_age_ms = -1};
    char item[WB_ITEM_MAX + 1];
    client_opts_init(&co, "verify");
    co.many_nodes = true;
    int ex = verify_parse(argc, argv, &co, &w, item);
    if (ex == CLIENT_HELP_SHOWN) return CLI_EXIT_OK;
    if (ex != CLI_EXIT_OK) return ex;
    ex = risk_run_policy(co.cmd, w.policy, &w.risk_policy);
    if (ex != CLI_EXIT_OK) return ex;
    if (!w.quorum_read && co.node_count > 1)
        return cli_usage_error(&verify_usage,
                               "--node given twice (several --node go with --quorum-read)");
    if (w.quorum_read) {
        if (w.bundle)
            return cli_usage_error(&verify_usage,
                                   "--quorum-read asks nodes; --bundle FILE asks none: give one");
        ex = client_opts_finish(&co, &verify_usage, false);
        if (ex != CLI_EXIT_OK) return ex;
        if (!co.key)
            return cli_usage_error(&verify_usage, "no key file: give --key FILE or set %s",
                                   CLIENT_ENV_KEY);
        return verify_quorum(&co, conn, item, &w);
    }
    ex = client_opts_finish(&co, &verify_usage, w.bundle == NULL);
    if (ex != CLI_EXIT_OK) return ex;
    if (w.bundle) return verify_offline(&co, w.bundle, item[0] ? item : NULL, &w);
    return verify_online(&co, conn, item, &w);
}

int cmd_verify(int argc, char **argv) { return cmd_verify_via(client_net_connector(), argc, argv); }
