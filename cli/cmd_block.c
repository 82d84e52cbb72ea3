/* `waybill block H|latest`: one committed block: header fields, hash,
 * events and the validators whose precommits certify it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client_cmds.h"
#include "cli/gov_state.h"
#include "cli/print.h"
#include "common/hex.h"
#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/canon.h"
#include "ledger/cert.h"
#include "ledger/event.h"

#define BLOCK_COLS 5

enum {
    BLOCK_OPT_NODE,
    BLOCK_OPT_KEY,
    BLOCK_OPT_GENESIS,
    BLOCK_OPT_TIMEOUT,
    BLOCK_OPT_JSON,
};

static const struct cli_opt block_opts[] = {
    [BLOCK_OPT_NODE] = CLIENT_OPT_NODE,
    [BLOCK_OPT_KEY] = CLIENT_OPT_KEY,
    [BLOCK_OPT_GENESIS] = CLIENT_OPT_GENESIS,
    [BLOCK_OPT_TIMEOUT] = CLIENT_OPT_TIMEOUT,
    [BLOCK_OPT_JSON] = CLIENT_OPT_JSON,
};

static const struct cli_usage block_usage = {
    .cmd = "block",
    .synopsis = "H|latest [--node ADDR] [--key FILE] [--genesis FILE] [--timeout SECONDS] [--json]",
    .description =
        "Shows the committed block at height H (the first block is 1), or the newest one:\n"
        "its header (height, time, previous block hash, events Merkle root, event count,\n"
        "proposer), its hash, its events (id, item, action, submitter's organisation) and\n"
        "the validators whose precommits form its commit certificate. The hash and the\n"
        "certificate are checked against genesis; if either is wrong the block is still\n"
        "shown and the exit status is 1.\n",
    .opts = block_opts,
    .opt_count = sizeof block_opts / sizeof block_opts[0],
};

static int block_parse(int argc, char **argv, struct client_opts *co, uint64_t *height)
{
    struct cli_args args;
    int ex = client_args_parse(&args, &block_usage, argc, argv, co, NULL, NULL);
    if (ex != CLI_EXIT_OK) return ex;
    if (args.pos_count == 0) return cli_usage_error(&block_usage, "H (a height or 'latest') is "
                                                                  "required");
    if (args.pos_count > 1)
        return cli_usage_error(&block_usage, "unexpected argument '%s'", args.pos[1]);
    if (strcmp(args.pos[0], "latest") == 0) {
        *height = 0;
        return CLI_EXIT_OK;
    }
    if (cli_parse_u64(args.pos[0], 1, INT64_MAX, height) != WB_OK)
        return cli_usage_error(&block_usage,
                               "H: expected a height (1 or more) or 'latest', got '%s'",
                               args.pos[0]);
    return CLI_EXIT_OK;
}

/* The result of the local checks of one block. */
struct block_checks {
    bool hash_ok;
    bool cert_ok;
    char cert_msg[512];
    char problem[256];
};

/* JSON of the events, or NULL when out of memory. */
static json_t *block_json_events(const struct ledger_genesis *g, const struct ledger_block *b,
                                 struct ledger_event *ev)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < b->event_count; i++) {
        json_t *o;
        if (ledger_signed_event_open(g->chain_id, b->events[i], b->lens[i], false, ev, NULL, 0) ==
            WB_OK)
            o = print_json_event(ev, g);
        else
            o = json_pack("{s:b}", "malformed", 1);
        if (!o || json_object_set_new(o, "index", json_integer((json_int_t)i)) ||
            json_array_append_new(arr, o)) {
            json_decref(o);
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *block_json_signers(const struct ledger_genesis *g, const Waybill__CommitCert *c)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && c && i < c->n_precommits; i++) {
        const Waybill__Vote *v = c->precommits[i];
        if (!v) continue;
        bool known = v->validator < g->validator_count;
        json_t *o = json_pack("{s:I, s:o}", "validator", (json_int_t)v->validator, "name",
                              known ? json_string(g->validators[v->validator].name)
                                    : json_null());
        if (!o || json_array_append_new(arr, o)) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static int block_print_json(const struct ledger_genesis *g, const struct ledger_block *b,
                            const Waybill__CommitCert *cert, const struct block_checks *chk,
                            struct ledger_event *ev)
{
    const struct ledger_block_header *h = &b->header;
    char when[PRINT_TIME_MAX];
    json_t *cert_o = json_pack(
        "{s:b, s:o, s:o, s:o}", "valid", chk->cert_ok, "round",
        cert ? json_integer((json_int_t)cert->round) : json_null(), "signers",
        block_json_signers(g, cert), "error",
        chk->cert_ok ? json_null() : print_json_text(chk->cert_msg));
    json_t *root = json_pack(
        "{s:I, s:o, s:b, s:I, s:s, s:o, s:o, s:I, s:I, s:o, s:o, s:o}", "height",
        (json_int_t)h->height, "hash", print_json_hex(b->hash, WB_HASH_LEN), "hash_ok",
        chk->hash_ok, "time_ms", (json_int_t)h->time_ms, "time", print_time(h->time_ms, when),
        "prev_hash", print_json_hex(h->prev_hash, WB_HASH_LEN), "events_root",
        print_json_hex(h->events_root, WB_HASH_LEN), "event_count", (json_int_t)h->event_count,
        "proposer", (json_int_t)h->proposer, "proposer_name",
        h->proposer < g->validator_count ? json_string(g->validators[h->proposer].name)
                                         : json_null(),
        "events", block_json_events(g, b, ev), "certificate", cert_o);
    /* Version 2 headers: the item-state commitment. */
    if (root && h->has_state &&
        (json_object_set_new(root, "header_version", json_integer((json_int_t)h->version)) ||
         json_object_set_new(root, "state_root", print_json_hex(h->state_root, WB_HASH_LEN)) ||
         json_object_set_new(root, "item_count", json_integer((json_int_t)h->item_count)))) {
        json_decref(root);
        root = NULL;
    }
    return print_json_out(root);
}

static int block_print_text(const struct ledger_genesis *g, const struct ledger_block *b,
                            const Waybill__CommitCert *cert, const struct block_checks *chk,
                            struct ledger_event *ev)
{
    const struct ledger_block_header *h = &b->header;
    char hex[PRINT_HEX32], when[PRINT_TIME_MAX], signers[PRINT_CELL_MAX];
    struct print_table f, t;
    print_fields_init(&f);
    print_field(&f, "height", "%llu", (unsigned long long)h->height);
    print_field(&f, "hash", "%s%s", wb_hex_encode(b->hash, WB_HASH_LEN, hex, sizeof hex),
                chk->hash_ok ? "" : " (NOT the hash the node named)");
    print_field(&f, "time", "%s", print_time(h->time_ms, when));
    print_field(&f, "previous", "%s", wb_hex_encode(h->prev_hash, WB_HASH_LEN, hex, sizeof hex));
    print_field(&f, "events root", "%s",
                wb_hex_encode(h->events_root, WB_HASH_LEN, hex, sizeof hex));
    print_field(&f, "events", "%u", (unsigned)h->event_count);
    if (h->has_state) {
        print_field(&f, "state root", "%s",
                    wb_hex_encode(h->state_root, WB_HASH_LEN, hex, sizeof hex));
        print_field(&f, "items", "%llu (after this block)", (unsigned long long)h->item_count);
    }
    if (h->proposer < g->validator_count)
        print_field(&f, "proposer", "%u (%s, org %s)", (unsigned)h->proposer,
                    g->validators[h->proposer].name, g->validators[h->proposer].org);
    else
        print_field(&f, "proposer", "%u (not a validator index)", (unsigned)h->proposer);
    size_t o = 0;
    signers[0] = '\0';
    for (size_t i = 0; cert && i < cert->n_precommits && o < sizeof signers; i++) {
        const Waybill__Vote *v = cert->precommits[i];
        if (!v) continue;
        const char *name = v->validator < g->validator_count ? g->validators[v->validator].name
                                                             : "?";
        o += (size_t)snprintf(signers + o, sizeof signers - o, "%s%s (%u)", o ? ", " : "", name,
                              (unsigned)v->validator);
    }
    if (chk->cert_ok)
        print_field(&f, "certificate", "valid, round %u, %zu precommits (quorum %zu)",
                    (unsigned)cert->round, cert->n_precommits, ledger_genesis_quorum(g));
    else
        print_field(&f, "certificate", "INVALID: %s", chk->cert_msg);
    print_field(&f, "signers", "%s", signers[0] ? signers : "none");
    int rc = print_table_out(&f, stdout);
    print_table_free(&f);
    if (rc != WB_OK) return rc;

    static const char *const header[BLOCK_COLS] = {"#", "ID", "ITEM", "ACTION", "ORG"};
    print_table_init(&t, BLOCK_COLS, header);
    for (size_t i = 0; i < b->event_count; i++) {
        char idx[24], org[64];
        snprintf(idx, sizeof idx, "%zu", i);
        if (ledger_signed_event_open(g->chain_id, b->events[i], b->lens[i], false, ev, NULL, 0) !=
            WB_OK) {
            const char *row[BLOCK_COLS] = {idx, "?", "(malformed event)", "?", "?"};
            print_table_add(&t, row);
            continue;
        }
        const char *row[BLOCK_COLS] = {idx, wb_hex_encode(ev->id, WB_HASH_LEN, hex, sizeof hex),
                                       ev->item, ledger_action_name(ev->action),
                                       print_org_of(g, ev->submitter, org, sizeof org)};
        print_table_add(&t, row);
    }
    fputc('\n', stdout);
    if (b->event_count)
        rc = print_table_out(&t, stdout);
    else
        printf("(no events)\n");
    print_table_free(&t);
    return rc;
}

static int block_show(const struct client_opts *co, const struct ledger_genesis *g,
                      uint64_t want, const Waybill__BlockResult *br)
{
    struct ledger_block b;
    struct block_checks chk;
    memset(&chk, 0, sizeof chk);
    if (!br || ledger_block_decode(br->block.data, br->block.len, &b) != WB_OK) {
        cli_error(co->cmd, "the node answered with a malformed block");
        return CLI_EXIT_FAILED;
    }
    int ex = CLI_EXIT_OK;
    struct ledger_event *ev = malloc(sizeof *ev);
    if (!ev) {
        cli_error(co->cmd, "out of memory");
        ex = CLI_EXIT_FAILED;
        goto free_block;
    }
    if (b.header.height != br->height || (want && b.header.height != want))
        snprintf(chk.problem, sizeof chk.problem,
                 "the node answered with block %llu for height %llu",
                 (unsigned long long)b.header.height,
                 (unsigned long long)(want ? want : br->height));
    else if (memcmp(b.header.chain_id, g->chain_id, WB_CHAIN_ID_LEN) != 0)
        snprintf(chk.problem, sizeof chk.problem, "the block is from another chain than %s",
                 g->chain_name);
    chk.hash_ok = br->block_hash.len == WB_HASH_LEN &&
                  memcmp(br->block_hash.data, b.hash, WB_HASH_LEN) == 0;
    /* The certificate comes as the node stores it: its canonical encoding. */
    ProtobufCMessage *pm = NULL;
    if (ledger_pb_decode(&waybill__commit_cert__descriptor, NULL, br->cert.data, br->cert.len,
                         "certificate", &pm, chk.cert_msg, sizeof chk.cert_msg) != WB_OK)
        pm = NULL;
    const Waybill__CommitCert *cert = (const Waybill__CommitCert *)pm;
    chk.cert_ok = cert && ledger_cert_verify(g, cert, b.header.height, b.hash, chk.cert_msg,
                                             sizeof chk.cert_msg) == WB_OK;
    int rc = co->json ? block_print_json(g, &b, cert, &chk, ev)
                      : block_print_text(g, &b, cert, &chk, ev);
    if (pm) protobuf_c_message_free_unpacked(pm, NULL);
    if (rc != WB_OK) {
        /* A write error is cli_output_finish's to report. */
        if (rc != WB_ERR_IO) cli_error(co->cmd, "out of memory");
        ex = CLI_EXIT_FAILED;
    } else if (chk.problem[0]) {
        cli_error(co->cmd, "%s", chk.problem);
        ex = CLI_EXIT_FAILED;
    } else if (!chk.hash_ok) {
        cli_error(co->cmd, "the node named another hash for block %llu than its header's",
                  (unsigned long long)b.header.height);
        ex = CLI_EXIT_FAILED;
    } else if (!chk.cert_ok) {
        cli_error(co->cmd, "block %llu: certificate does not verify: %s",
                  (unsigned long long)b.header.height, chk.cert_msg);
        ex = CLI_EXIT_FAILED;
    }
    free(ev);
free_block:
    ledger_block_free(&b);
    return ex;
}

int cmd_block_via(const struct client_connector *conn, int argc, char **argv)
{
    struct client_opts co;
    uint64_t height = 0;
    client_opts_init(&co, "block");
    int ex = block_parse(argc, argv, &co, &height);
    if (ex == CLIENT_HELP_SHOWN) return CLI_EXIT_OK;
    if (ex != CLI_EXIT_OK) return ex;
    ex = client_opts_finish(&co, &block_usage, true);
    if (ex != CLI_EXIT_OK) return ex;

    struct client_session s;
    ex = client_session_open(&s, &co, conn);
    if (ex != CLI_EXIT_OK) goto close_session;
    Waybill__HeightRequest hr = WAYBILL__HEIGHT_REQUEST__INIT;
    Waybill__ClientRequest req = WAYBILL__CLIENT_REQUEST__INIT;
    Waybill__ClientResponse *resp;
    hr.height = height;
    req.req_case = WAYBILL__CLIENT_REQUEST__REQ_BLOCK;
    req.block = &hr;
    int rc = client_call(&s.c, &req, WAYBILL__CLIENT_RESPONSE__RESP_BLOCK, &resp);
    if (rc != WB_OK) {
        char what[48];
        if (height)
            snprintf(what, sizeof what, "block %llu", (unsigned long long)height);
        else
            snprintf(what, sizeof what, "latest block");
        ex = client_fail(&s.c, rc, what);
        goto close_session;
    }
    /* The certificate is checked against the validator set of the block's
     * height, as the governance chain says (cli/gov_state.h); without it,
     * against the genesis validators. */
    struct ledger_gov gv;
    struct ledger_genesis *set = NULL;
    char why[GOV_STATE_MSG_MAX];
    uint64_t h = height;
    if (!h && resp->block) {
        struct ledger_block b;
        if (ledger_block_decode(resp->block->block.data, resp->block->block.len, &b) == WB_OK) {
            h = b.header.height;
            ledger_block_free(&b);
        }
    }
    if (gov_state_fetch(&s.c, s.genesis, &gv, why, sizeof why) == WB_OK) {
        if (gov_state_set_at(&gv, h, &set) != WB_OK) set = NULL;
        ledger_gov_free(&gv);
    }
    ex = block_show(&co, set ? set : s.genesis, height, resp->block);
    free(set);
    waybill__client_response__free_unpacked(resp, NULL);
close_session:
    client_session_close(&s);
    return ex;
}

int cmd_block(int argc, char **argv) { return cmd_block_via(client_net_connector(), argc, argv); }
