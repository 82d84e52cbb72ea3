/* Unit tests of a CLI that explains itself: every usage line lists every
 * option, output that cannot be written is a write error, the symbolic codes
 * of --json, and what is diagnosed from the genesis alone before connecting
 * (a validator's p2p port given as --node, a key that is no member key, a
 * bundle of another chain). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <jansson.h>
#include <stdio_ext.h>

#include "cli/commands.h"
#include "cli/print.h"
#include "tests/unit/cli_support.h"

#define NODE_ADDR "127.0.0.1:26702"

struct xfx {
    struct tnet t;
    struct tbundle b;
    struct fake_node fn;
    struct client_connector conn;
    struct cap cap;
    Waybill__ItemState *state_pb;
    Waybill__History history;
    Waybill__HistoryEntry entries[TB_EVENTS_MAX], *entry_ptrs[TB_EVENTS_MAX];
};

/* Answers a history request with the journey; anything else closes. */
static int answer(struct fake_node *fn, const Waybill__ClientRequest *req,
                  Waybill__ClientResponse *resp)
{
    struct xfx *f = fn->ctx;
    if (req->req_case != WAYBILL__CLIENT_REQUEST__REQ_HISTORY) return WB_ERR_CLOSED;
    uint8_t buf[1024];
    size_t len;
    if (ledger_item_state_encode(&f->b.state, buf, sizeof buf, &len) != WB_OK) return WB_ERR_IO;
    if (f->state_pb) waybill__item_state__free_unpacked(f->state_pb, NULL);
    f->state_pb = waybill__item_state__unpack(NULL, len, buf);
    waybill__history__init(&f->history);
    f->history.state = f->state_pb;
    for (size_t i = 0; i < f->b.n_events; i++) {
        waybill__history_entry__init(&f->entries[i]);
        f->entries[i].signed_event.data = f->b.events[i].bytes;
        f->entries[i].signed_event.len = f->b.events[i].len;
        f->entries[i].height = f->b.events[i].height;
        f->entries[i].index = f->b.events[i].index;
        f->entry_ptrs[i] = &f->entries[i];
    }
    f->history.n_events = f->b.n_events;
    f->history.events = f->entry_ptrs;
    resp->resp_case = WAYBILL__CLIENT_RESPONSE__RESP_HISTORY;
    resp->history = &f->history;
    return WB_OK;
}

static int xfx_setup(void **state)
{
    unsetenv(CLIENT_ENV_NODE);
    unsetenv(CLIENT_ENV_KEY);
    unsetenv(CLIENT_ENV_GENESIS);
    struct xfx *f = calloc(1, sizeof *f);
    char msg[256];
    if (!f || tn_init(&f->t) != 0 || tb_build(&f->t, &f->b, -1, msg, sizeof msg) != 0) return -1;
    f->conn.connect = fake_connect;
    f->conn.ctx = &f->fn;
    *state = f;
    return 0;
}

static int xfx_teardown(void **state)
{
    struct xfx *f = *state;
    fake_reset(&f->fn);
    if (f->state_pb) waybill__item_state__free_unpacked(f->state_pb, NULL);
    tb_free(&f->b);
    tn_free(&f->t);
    free(f);
    return 0;
}

static int run(struct xfx *f, int (*cmd)(const struct client_connector *, int, char **),
               const char *const *argv)
{
    fake_reset(&f->fn);
    f->fn.answer = answer;
    f->fn.ctx = f;
    return cap_run(&f->cap, cmd, &f->conn, argv);
}

static void expect_in(const char *what, const char *text, const char *want)
{
    if (!strstr(text, want)) fail_msg("%s lacks \"%s\"; it was:\n%s", what, want, text);
}

static void expect_not_in(const char *what, const char *text, const char *unwanted)
{
    if (strstr(text, unwanted)) fail_msg("%s has \"%s\"; it was:\n%s", what, unwanted, text);
}

static void expect_exit(struct xfx *f, int rc, int want)
{
    if (rc != want)
        fail_msg("expected exit %d, got %d; stdout:\n%s\nstderr:\n%s", want, rc, f->cap.out,
                 f->cap.err);
}

/* ---- usage lines ---------------------------------------------------------------------- */

/* Runs `waybill NAME --help` through its handler (NAME may be "CMD SUB", a
 * subcommand); the help text into out. */
static int help_of(int (*run_cmd)(int, char **), const char *name, char *out, size_t cap)
{
    char n[32], h[] = "--help";
    snprintf(n, sizeof n, "%s", name);
    char *sub = strchr(n, ' ');
    if (sub) *sub++ = '\0';
    char *argv[] = {n, sub ? sub : h, sub ? h : NULL, NULL};
    int argc = sub ? 3 : 2;
    FILE *tmp = tmpfile();
    if (!tmp) return -1;
    fflush(stdout);
    int saved = dup(1);
    dup2(fileno(tmp), 1);
    int rc = run_cmd(argc, argv);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    rewind(tmp);
    size_t len = fread(out, 1, cap - 1, tmp);
    out[len] = '\0';
    fclose(tmp);
    return rc;
}

/* Whether `text` holds option `opt` ("--name") as a whole word: after a
 * space, '[' or '(' (a group of alternatives), followed by a space, ']',
 * ')', '=' or the end, and not part of a longer option. */
static bool has_option(const char *text, const char *opt)
{
    size_t n = strlen(opt);
    for (const char *p = strstr(text, opt); p; p = strstr(p + 1, opt)) {
        char after = p[n];
        bool starts =
            p == text || p[-1] == ' ' || p[-1] == '[' || p[-1] == '(' || p[-1] == '\n';
        if (starts && (after == '\0' || after == ' ' || after == ']' || after == ')' ||
                       after == '\n' || after == '='))
            return true;
    }
    return false;
}

/* Every option in the options section of each command's --help is in its
 * usage line(s): the lines from "usage: " up to the first empty line. */
static void every_usage_line_lists_every_option(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } cmds[] = {
#define X(name, summary) {#name, cmd_##name},
        CLI_COMMANDS(X)
#undef X
        /* the subcommands, each with a usage of its own */
        {"gov propose", cmd_gov},       {"gov approve", cmd_gov},
        {"gov list", cmd_gov},          {"gov show", cmd_gov},
        {"key add", cmd_key},           {"key revoke", cmd_key},
        {"key list", cmd_key},          {"device register", cmd_device},
        {"device retire", cmd_device},  {"device list", cmd_device},
        {"device attach", cmd_device},  {"device detach", cmd_device},
        {"device submit", cmd_device},  {"device import", cmd_device},
        {"plan set", cmd_plan},         {"plan show", cmd_plan},
    };
    static char text[64 * 1024];
    for (size_t c = 0; c < sizeof cmds / sizeof cmds[0]; c++) {
        assert_int_equal(help_of(cmds[c].run, cmds[c].name, text, sizeof text), CLI_EXIT_OK);
        char prefix[64];
        snprintf(prefix, sizeof prefix, "usage: waybill %s ", cmds[c].name);
        if (strncmp(text, prefix, strlen(prefix)) != 0)
            fail_msg("%s --help does not start with \"%s\":\n%s", cmds[c].name, prefix, text);
        const char *end = strstr(text, "\n\n");
        const char *opts = strstr(text, "\noptions:\n");
        if (!end || !opts) fail_msg("%s --help has no usage block or options:\n%s",
                                    cmds[c].name, text);
        char usage[2048];
        snprintf(usage, sizeof usage, "%.*s", (int)(end - text), text);
        size_t listed = 0;
        for (const char *line = opts + strlen("\noptions:\n"); *line;) {
            const char *eol = strchr(line, '\n');
            size_t len = eol ? (size_t)(eol - line) : strlen(line);
            if (len > 4 && line[0] == ' ' && line[1] == ' ' && line[2] == '-' && line[3] == '-') {
                char opt[64];
                size_t k = 0;
                for (const char *p = line + 2; *p && *p != ' ' && k + 1 < sizeof opt; p++)
                    opt[k++] = *p;
                opt[k] = '\0';
                if (!has_option(usage, opt))
                    fail_msg("waybill %s: option %s is not in the usage line:\n%s",
                             cmds[c].name, opt, usage);
                listed++;
            }
            if (!eol) break;
            line = eol + 1;
        }
        if (listed == 0) fail_msg("waybill %s lists no options:\n%s", cmds[c].name, text);
    }
    /* the checker itself tells a missing option */
    assert_false(has_option("usage: waybill x [--node ADDR] [--json]", "--timeout"));
    assert_false(has_option("usage: waybill x [--no-wait]", "--no"));
    assert_true(has_option("usage: waybill x [--attr K=V]...", "--attr"));
}

/* ---- output that cannot be written -------------------------------------------------- */

static void output_that_cannot_be_written_is_a_write_error(void **state)
{
    struct xfx *f = *state;
    int full = open("/dev/full", O_WRONLY);
    if (full < 0) skip();
    FILE *err = tmpfile();
    assert_non_null(err);
    char *argv[] = {strdup("history"), strdup(TN_ITEM), strdup("--json"), strdup("--node"),
                    strdup(NODE_ADDR), strdup("--key"), strdup(f->t.key_path[TN_CUSTOMS]),
                    NULL};
    fake_reset(&f->fn);
    f->fn.answer = answer;
    f->fn.ctx = f;
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(1), saved_err = dup(2);
    dup2(full, 1);
    dup2(fileno(err), 2);
    int rc = cmd_history_via(&f->conn, 7, argv);
    int before = rc;
    rc = cli_output_finish("history", rc);
    fflush(stderr);
    __fpurge(stdout);
    clearerr(stdout);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    close(full);
    cap_read(err, f->cap.err);
    for (int i = 0; argv[i]; i++) free(argv[i]);
    assert_int_equal(before, CLI_EXIT_OK);   /* the JSON fit the stream's buffer */
    assert_int_equal(rc, CLI_EXIT_FAILED);
    assert_string_equal(f->cap.err,
                        "waybill history: cannot write output: No space left on device\n");

    /* a stream that took everything changes nothing, and says nothing */
    FILE *err2 = tmpfile();
    fflush(stderr);
    int saved = dup(2);
    dup2(fileno(err2), 2);
    assert_int_equal(cli_output_finish("history", CLI_EXIT_OK), CLI_EXIT_OK);
    assert_int_equal(cli_output_finish("history", CLI_EXIT_UNREACHABLE), CLI_EXIT_UNREACHABLE);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    cap_read(err2, f->cap.err);
    assert_string_equal(f->cap.err, "");
}

/* ---- symbolic codes ----------------------------------------------------------------- */

static void error_codes_are_the_enum_names(void **state)
{
    (void)state;
    static const struct {
        int code;
        const char *upper;
    } all[] = {
#define X(name, code, str) {code, #name},
        WB_ERRNO_MAP(X)
#undef X
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        char want[64];
        size_t k = 0;
        for (; all[i].upper[k] && k + 1 < sizeof want; k++)
            want[k] = (char)tolower((unsigned char)all[i].upper[k]);
        want[k] = '\0';
        assert_string_equal(client_err_code(all[i].code), want);
    }
    assert_string_equal(client_err_code(WB_OK), "ok");
    assert_string_equal(client_err_code(-999), "unknown");
    assert_string_equal(client_err_code(WB_ERR_NOT_FOUND), "not_found");

    /* every rule of the table is its own code */
    size_t count;
    const struct ledger_rule *rules = ledger_rules_table(&count);
    assert_true(count > 10);
    for (size_t i = 0; i < count; i++) {
        char reason[256];
        snprintf(reason, sizeof reason, "load: something (not the custodian) (rule %s)",
                 rules[i].name);
        assert_string_equal(client_refusal_code(WB_ERR_RULE, reason), rules[i].name);
    }
    assert_string_equal(client_refusal_code(WB_ERR_RULE, "x (rule custodian_acts)"),
                        "custodian_acts");
    /* not a rule error, no tag, a name not in the table, text after the tag */
    assert_string_equal(client_refusal_code(WB_ERR_STALE, "x (rule custodian_acts)"), "stale");
    assert_string_equal(client_refusal_code(WB_ERR_RULE, "rejected"), "rule");
    assert_string_equal(client_refusal_code(WB_ERR_RULE, "x (rule made_up)"), "rule");
    assert_string_equal(client_refusal_code(WB_ERR_RULE, "x (rule custodian_acts) y"), "rule");
    assert_string_equal(client_refusal_code(WB_ERR_RULE, NULL), "rule");
}

/* ---- diagnosed before connecting ------------------------------------------------------ */

static void node_at_a_p2p_port_is_named(void **state)
{
    struct xfx *f = *state;
    /* genesis lists node1's p2p at 127.0.0.1:7101 */
    const char *const addrs[] = {"127.0.0.1:7101", "localhost:7101", "[::1]:7101"};
    for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
        const char *argv[] = {"history", TN_ITEM, "--node", addrs[i], "--key",
                              f->t.key_path[TN_ACME], NULL};
        expect_exit(f, run(f, cmd_history_via, argv), CLI_EXIT_USAGE);
        char want[256];
        snprintf(want, sizeof want,
                 "waybill history: %s is a node's p2p port (validator node1 in genesis); give "
                 "its client API address (in node.ini [api] listen)\n",
                 addrs[i]);
        assert_string_equal(f->cap.err, want);
        assert_int_equal(f->fn.connects, 0);
    }
    assert_int_equal(client_p2p_validator(f->t.g, "127.0.0.1:7103"), 3);
    assert_int_equal(client_p2p_validator(f->t.g, "127.0.0.1:7104"), -1);
    assert_int_equal(client_p2p_validator(f->t.g, "10.0.0.1:7101"), -1);
    assert_int_equal(client_p2p_validator(f->t.g, NULL), -1);
    /* an API address is used as given */
    const char *ok[] = {"history", TN_ITEM, "--node", NODE_ADDR, "--key",
                        f->t.key_path[TN_ACME], NULL};
    expect_exit(f, run(f, cmd_history_via, ok), CLI_EXIT_OK);
    assert_int_equal(f->fn.connects, 1);
}

static void key_that_is_no_member_key_is_named(void **state)
{
    struct xfx *f = *state;
    char path[TN_PATH], pk[2 * WB_PUBKEY_LEN + 1];
    snprintf(path, sizeof path, "%s/stranger.key", f->t.dir);
    assert_int_equal(tn_write_key(path, f->t.org_sk[TN_OUTSIDER]), WB_OK);
    wb_hex_encode(f->t.org_pk[TN_OUTSIDER], WB_PUBKEY_LEN, pk, sizeof pk);
    const char *argv[] = {"submit", "--item", TN_ITEM, "--action", "seal", "--attr", "seal=S",
                          "--node", NODE_ADDR, "--key", path, "--genesis", f->t.genesis_path,
                          NULL};
    /* A key genesis does not list is tried (governance may have added it);
     * the node's refusal is then said in these words. */
    fake_reset(&f->fn);
    f->fn.answer = answer;
    f->fn.ctx = f;
    f->fn.connect_rc = WB_ERR_REFUSED;
    expect_exit(f, cap_run(&f->cap, cmd_submit_via, &f->conn, argv), CLI_EXIT_FAILED);
    char want[1024];
    snprintf(want, sizeof want,
             "waybill submit: key %s (public key %s) is not a member client key in genesis %s "
             "(chain '" TN_CHAIN "'), and node " NODE_ADDR " refused it (governance has not "
             "added it either); use a key listed in a member's \"keys\" or added with waybill "
             "key add\n",
             path, pk, f->t.genesis_path);
    assert_string_equal(f->cap.err, want);
    assert_int_equal(f->fn.connects, 1);
    assert_int_equal(f->fn.n_requests, 0);
    /* one the node accepts (governance added it) is used */
    WB_IGNORE_RESULT(run(f, cmd_submit_via, argv)); /* what the fake answers is not the point */
    assert_int_equal(f->fn.connects, 1);
    assert_true(f->fn.n_requests > 0);
    expect_not_in("stderr", f->cap.err, "is not a member client key");
    /* a validator's node key is no member key either */
    snprintf(path, sizeof path, "%s/node.key", f->t.dir);
    assert_int_equal(tn_write_key(path, f->t.val_sk[0]), WB_OK);
    const char *status[] = {"status", "--node", NODE_ADDR, "--key", path, "--genesis",
                            f->t.genesis_path, NULL};
    expect_exit(f, run(f, cmd_status_via, status), CLI_EXIT_FAILED);
    expect_in("stderr", f->cap.err, "is not a member client key in genesis");
    expect_in("stderr", f->cap.err, "but a validator's node key");
    assert_int_equal(f->fn.connects, 0);
}

static void bundle_of_another_chain_names_both(void **state)
{
    struct xfx *f = *state;
    char bundle[TN_PATH], other[TN_PATH];
    uint8_t *bytes, *json;
    size_t len, json_len;
    snprintf(bundle, sizeof bundle, "%s/journey.bundle", f->t.dir);
    assert_int_equal(tb_pack(&f->b, &bytes, &len), WB_OK);
    assert_int_equal(wb_write_file(bundle, bytes, len, 0644), WB_OK);
    free(bytes);
    /* the same network under another chain name */
    assert_int_equal(wb_read_file(f->t.genesis_path, 1 << 20, &json, &json_len), WB_OK);
    char *text = calloc(1, json_len + 16);
    assert_non_null(text);
    memcpy(text, json, json_len);
    free(json);
    char *name = strstr(text, TN_CHAIN);
    assert_non_null(name);
    memcpy(name, "xli", 3);   /* "xli-test-chain" */
    snprintf(other, sizeof other, "%s/other-genesis.json", f->t.dir);
    assert_int_equal(wb_write_file(other, text, strlen(text), 0644), WB_OK);
    free(text);
    uint8_t theirs[WB_CHAIN_ID_LEN], ours[WB_CHAIN_ID_LEN];
    ledger_chain_id(TN_CHAIN, theirs);
    ledger_chain_id("xli-test-chain", ours);
    char th[2 * WB_CHAIN_ID_LEN + 1], oh[2 * WB_CHAIN_ID_LEN + 1], want[512];
    wb_hex_encode(theirs, WB_CHAIN_ID_LEN, th, sizeof th);
    wb_hex_encode(ours, WB_CHAIN_ID_LEN, oh, sizeof oh);
    snprintf(want, sizeof want,
             "bundle is for chain id %.16s..., this genesis is chain xli-test-chain (id "
             "%.16s...): verify it with the genesis file of the network it came from",
             th, oh);

    const char *argv[] = {"verify", "--bundle", bundle, "--genesis", other, NULL};
    expect_exit(f, cap_run(&f->cap, cmd_verify_via, NULL, argv), CLI_EXIT_FAILED);
    char line[600];
    snprintf(line, sizeof line, "FAILED: %s\n", want);
    assert_string_equal(f->cap.out, line);

    const char *json_argv[] = {"verify", "--bundle", bundle, "--genesis", other, "--json", NULL};
    expect_exit(f, cap_run(&f->cap, cmd_verify_via, NULL, json_argv), CLI_EXIT_FAILED);
    json_error_t jerr;
    json_t *root = json_loads(f->cap.out, 0, &jerr);
    if (!root) fail_msg("--json output is not JSON (%s):\n%s", jerr.text, f->cap.out);
    assert_true(json_is_false(json_object_get(root, "verified")));
    json_t *failure = json_object_get(root, "failure");
    assert_string_equal(json_string_value(json_object_get(failure, "check")), "chain-id");
    assert_string_equal(json_string_value(json_object_get(failure, "message")), want);
    assert_string_equal(json_string_value(json_object_get(failure, "bundle_chain_id")), th);
    json_decref(root);

    /* the right genesis still verifies it */
    const char *right[] = {"verify", "--bundle", bundle, "--genesis", f->t.genesis_path, NULL};
    expect_exit(f, cap_run(&f->cap, cmd_verify_via, NULL, right), CLI_EXIT_OK);
}

int main(void)
{
    if (sodium_init() < 0) return 1;
#define T(fn) cmocka_unit_test_setup_teardown(fn, xfx_setup, xfx_teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_usage_line_lists_every_option),
        T(output_that_cannot_be_written_is_a_write_error),
        cmocka_unit_test(error_codes_are_the_enum_names),
        T(node_at_a_p2p_port_is_named),
        T(key_that_is_no_member_key_is_named),
        T(bundle_of_another_chain_names_both),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
