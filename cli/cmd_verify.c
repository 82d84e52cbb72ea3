/* `waybill verify`: checks an item's proof bundle (fetched from a node, or
 * read from a file offline) against nothing but the genesis file, printing
 * each event with its checks and a verdict. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/client_cmds.h"
#include "cli/id_args.h"
#include "cli/print.h"
#include "common/exec_threads.h"
#include "common/file.h"
#include "common/hex.h"
#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "ledger/block.h"
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
};

static const struct cli_usage verify_usage = {
    .cmd = "verify",
    .synopsis = "ITEM [--node ADDR] [--key FILE] [--genesis FILE] [--timeout SECONDS] [--json]\n"
                "              [--max-age DURATION] [--require-complete]\n"
                "       waybill verify --bundle FILE [ITEM] [--genesis FILE] [--json]\n"
                "              [--max-age DURATION] [--require-complete]",
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
        "  complete as of height H (time T, N seconds old) | completeness not proven: WHY\n"
        "  FAILED: event I (ID, ACTION): CHECK: DETAIL\n"
        "Exit status 0 when verified, 1 when not, or when --require-complete or --max-age\n"
        "asked for more than the bundle proves. A container number ITEM is upper-cased\n"
        "first, as waybill submit does (with a note on stderr).\n",
    .opts = verify_opts,
    .opt_count = sizeof verify_opts / sizeof verify_opts[0],
};

/* What the caller asks of completeness beyond a verified bundle. */
struct verify_wants {
    const char *bundle;                   /* --bundle FILE */
    const char *max_age_text;             /* --max-age as given */
    int64_t max_age_ms;                   /* -1: no --max-age */
    bool require_complete;
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

static int64_t verify_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What the verifier's callback collects, in bundle order. */
struct verify_report {
    const struct ledger_genesis *g;
    bool json;
    struct print_table table;
    json_t *events;
    bool nomem;
};

static void verify_on_event(void *ctx, size_t index, const struct ledger_event *ev,
                            const char *org, uint64_t height, uint32_t pos, bool out_of_order,
                            bool ok, const char *check, const char *detail)
{
    struct verify_report *r = ctx;
    char idx[24], at[48], when[PRINT_TIME_MAX], id[PRINT_SHORT_HEX], result[PRINT_CELL_MAX];
    char org_buf[64];
    snprintf(idx, sizeof idx, "%zu", index);
    snprintf(at, sizeof at, "%llu:%u", (unsigned long long)height, (unsigned)pos);
    char safe[PRINT_CELL_MAX];
    if (ok)
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
                        const char *source, const struct verify_wants *w)
{
    if (r->nomem) goto err_nomem;
    int64_t age_ms = res->complete ? verify_now_ms() - res->fresh.time_ms : 0;
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
    if (res->ok && res->complete) {
        char when[PRINT_TIME_MAX];
        printf("complete as of height %llu (time %s, %lld seconds old)\n",
               (unsigned long long)res->fresh.height, print_time(res->fresh.time_ms, when),
               (long long)(age_ms / 1000));
    } else if (res->ok) {
        printf("completeness not proven: %s\n",
               print_safe(res->completeness, safe, sizeof safe));
    }
    if (!res->ok)
        printf("FAILED: %s\n", print_safe(res->message, safe, sizeof safe));
    else if (!met)
        printf("FAILED: %s\n", print_safe(unmet, safe, sizeof safe));
    else if (res->events_out_of_order)
        printf("VERIFIED: %zu events, %zu blocks, custodian %s; %zu reported out of order\n",
               res->events_checked, res->blocks_checked, res->state.custodian,
               res->events_out_of_order);
    else
        printf("VERIFIED: %zu events, %zu blocks, custodian %s\n", res->events_checked,
               res->blocks_checked, res->state.custodian);
    return met ? CLI_EXIT_OK : CLI_EXIT_FAILED;
err_nomem:
    cli_error(co->cmd, "out of memory");
    return CLI_EXIT_FAILED;
}

/* Verifies `bundle` and prints the outcome; returns the exit code. */
static int verify_run(const struct client_opts *co, const struct ledger_genesis *g,
                      const char *item, const uint8_t *bundle, size_t len, const char *source,
                      const struct verify_wants *w)
{
    static const char *const header[VERIFY_COLS] = {"#",   "BLOCK", "TIME", "ACTION",
                                                    "LOCATION", "ORG", "ID", "RESULT"};
    struct verify_report r = {.g = g, .json = co->json};
    struct ledger_verify_result *res = malloc(sizeof *res);
    print_table_init(&r.table, VERIFY_COLS, header);
    r.events = co->json ? json_array() : NULL;
    int ex;
    if (!res || (co->json && !r.events)) {
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
    ex = verify_print(co, g, &r, res, source, w);
free_report:
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
        ex = verify_run(co, g, item, bundle, len, source, w);
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
    Waybill__ClientResponse *resp;
    int rc = client_call_item(&s.c, WAYBILL__CLIENT_REQUEST__REQ_PROOF, item, &resp);
    if (rc != WB_OK) {
        ex = client_fail_item(&s.c, rc, item, item);
        goto close_session;
    }
    /* The bundle is checked as it is packed again here: protobuf-c keeps
     * unknown fields (at any depth) and writes them back, so the verifier
     * still refuses a bundle that carries one; any other way the node's
     * answer could differ from the canonical encoding is undone by the
     * packing and changes none of the bytes the checks cover (signed
     * events, headers, votes). A bundle file is checked byte for byte. */
    size_t len = waybill__proof_bundle__get_packed_size(resp->proof);
    uint8_t *bundle = malloc(len ? len : 1);
    if (!bundle) {
        waybill__client_response__free_unpacked(resp, NULL);
        cli_error(co->cmd, "out of memory");
        ex = CLI_EXIT_FAILED;
        goto close_session;
    }
    waybill__proof_bundle__pack(resp->proof, bundle);
    waybill__client_response__free_unpacked(resp, NULL);
    client_close(&s.c);
    char source[WB_ITEM_MAX + 512];
    snprintf(source, sizeof source, "item %s from node %s", item, co->node);
    ex = verify_run(co, s.genesis, item, bundle, len, source, w);
    free(bundle);
close_session:
    client_session_close(&s);
    return ex;
}

int cmd_verify_via(const struct client_connector *conn, int argc, char **argv)
{
    struct client_opts co;
    struct verify_wants w = {.max_age_ms = -1};
    char item[WB_ITEM_MAX + 1];
    client_opts_init(&co, "verify");
    int ex = verify_parse(argc, argv, &co, &w, item);
    if (ex == CLIENT_HELP_SHOWN) return CLI_EXIT_OK;
    if (ex != CLI_EXIT_OK) return ex;
    ex = client_opts_finish(&co, &verify_usage, w.bundle == NULL);
    if (ex != CLI_EXIT_OK) return ex;
    if (w.bundle) return verify_offline(&co, w.bundle, item[0] ? item : NULL, &w);
    return verify_online(&co, conn, item, &w);
}

int cmd_verify(int argc, char **argv) { return cmd_verify_via(client_net_connector(), argc, argv); }
