/* `waybill proof ITEM --out FILE`: fetches an item's proof bundle from the
 * node and writes it to a file for offline verification. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client_cmds.h"
#include "cli/id_args.h"
#include "cli/print.h"
#include "common/file.h"
#include "common/wb_error.h"
#include "ledger/ids.h"

#define PROOF_FILE_MODE 0644

enum {
    PROOF_OPT_OUT,
    PROOF_OPT_NODE,
    PROOF_OPT_KEY,
    PROOF_OPT_GENESIS,
    PROOF_OPT_TIMEOUT,
    PROOF_OPT_JSON,
};

static const struct cli_opt proof_opts[] = {
    [PROOF_OPT_OUT] = {"out", "FILE", "where to write the bundle (required; replaced if it exists)"},
    [PROOF_OPT_NODE] = CLIENT_OPT_NODE,
    [PROOF_OPT_KEY] = CLIENT_OPT_KEY,
    [PROOF_OPT_GENESIS] = CLIENT_OPT_GENESIS,
    [PROOF_OPT_TIMEOUT] = CLIENT_OPT_TIMEOUT,
    [PROOF_OPT_JSON] = CLIENT_OPT_JSON,
};

static const struct cli_usage proof_usage = {
    .cmd = "proof",
    .synopsis = "ITEM --out FILE [--node ADDR] [--key FILE] [--genesis FILE] [--timeout SECONDS] "
                "[--json]",
    .description =
        "Fetches ITEM's proof bundle from the node: every event from commission to the\n"
        "head with its block height, index and Merkle audit path, and each of those\n"
        "blocks' header and commit certificate. Writes it to FILE (the encoded\n"
        "waybill.ProofBundle, mode 0644, replaced atomically) and prints a summary.\n"
        "The bundle is not checked here: anyone holding the genesis file checks it with\n"
        "  waybill verify --bundle FILE --genesis GENESIS\n"
        "A container number ITEM is upper-cased first, as waybill submit does (with a\n"
        "note on stderr).\n",
    .opts = proof_opts,
    .opt_count = sizeof proof_opts / sizeof proof_opts[0],
};

/* proof's own option: --out FILE (ctx: where it goes). */
static int proof_own_opt(void *ctx, int opt, const char *value)
{
    if (opt != PROOF_OPT_OUT) return CLI_EXIT_OK;
    return client_opt_once(&proof_usage, (const char **)ctx, "out", value);
}

static int proof_parse(int argc, char **argv, struct client_opts *co,
                       char item[static WB_ITEM_MAX + 1], const char **out)
{
    struct cli_args args;
    int ex = client_args_parse(&args, &proof_usage, argc, argv, co, proof_own_opt, out);
    if (ex != CLI_EXIT_OK) return ex;
    if (args.pos_count == 0) return cli_usage_error(&proof_usage, "ITEM is required");
    if (args.pos_count > 1)
        return cli_usage_error(&proof_usage, "unexpected argument '%s'", args.pos[1]);
    if (!*out) return cli_usage_error(&proof_usage, "--out FILE is required");
    return cli_item_arg(&proof_usage, "ITEM", args.pos[0], item);
}

/* Writes the bundle and prints the summary; returns the exit code. */
static int proof_save(const struct client_opts *co, const char *item, const char *out,
                      const Waybill__ProofBundle *pb)
{
    if (!pb || strcmp(pb->item, item) != 0 || pb->n_events == 0) {
        cli_error(co->cmd, "the node answered with a proof bundle that is not for item %s",
                  item);
        return CLI_EXIT_FAILED;
    }
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < pb->n_blocks; i++) {
        if (!pb->blocks[i]) continue;
        if (pb->blocks[i]->height < lo) lo = pb->blocks[i]->height;
        if (pb->blocks[i]->height > hi) hi = pb->blocks[i]->height;
    }
    if (lo > hi) lo = hi = 0;
    size_t len = waybill__proof_bundle__get_packed_size(pb);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        cli_error(co->cmd, "out of memory");
        return CLI_EXIT_FAILED;
    }
    waybill__proof_bundle__pack(pb, buf);
    int rc = wb_write_file(out, buf, len, PROOF_FILE_MODE);
    free(buf);
    if (rc != WB_OK) {
        cli_error(co->cmd, "cannot write %s: %s", out, wb_strerror(rc));
        return CLI_EXIT_FAILED;
    }
    if (co->json) {
        json_t *o = json_pack("{s:o, s:s, s:I, s:I, s:I, s:I, s:I, s:o}", "file",
                              print_json_text(out), "item", item, "events",
                              (json_int_t)pb->n_events, "blocks", (json_int_t)pb->n_blocks,
                              "first_height", (json_int_t)lo, "last_height", (json_int_t)hi,
                              "bytes", (json_int_t)len, "freshness_height",
                              pb->freshness ? json_integer((json_int_t)pb->freshness->height)
                                            : json_null());
        int prc = print_json_out(o);
        if (prc != WB_OK) {
            /* A write error is cli_output_finish's to report. */
            if (prc != WB_ERR_IO) cli_error(co->cmd, "out of memory");
            return CLI_EXIT_FAILED;
        }
        return CLI_EXIT_OK;
    }
    printf("wrote %s: proof of item %s, %zu events in %zu blocks (heights %llu to %llu), "
           "%zu bytes\n",
           out, item, pb->n_events, pb->n_blocks, (unsigned long long)lo,
           (unsigned long long)hi, len);
    if (pb->freshness)
        printf("with a freshness proof as of height %llu (not checked here)\n",
               (unsigned long long)pb->freshness->height);
    else
        printf("without a freshness proof: it cannot prove the item has no newer events\n");
    printf("check it with: waybill verify --bundle %s --genesis %s\n", out, co->genesis);
    return CLI_EXIT_OK;
}

int cmd_proof_via(const struct client_connector *conn, int argc, char **argv)
{
    struct client_opts co;
    char item[WB_ITEM_MAX + 1];
    const char *out = NULL;
    client_opts_init(&co, "proof");
    int ex = proof_parse(argc, argv, &co, item, &out);
    if (ex == CLIENT_HELP_SHOWN) return CLI_EXIT_OK;
    if (ex != CLI_EXIT_OK) return ex;
    ex = client_opts_finish(&co, &proof_usage, true);
    if (ex != CLI_EXIT_OK) return ex;

    struct client_session s;
    ex = client_session_open(&s, &co, conn);
    if (ex != CLI_EXIT_OK) goto close_session;
    Waybill__ClientResponse *resp;
    int rc = client_call_item(&s.c, WAYBILL__CLIENT_REQUEST__REQ_PROOF, item, &resp);
    if (rc != WB_OK) {
        ex = client_fail_item(&s.c, rc, item, item);
        goto close_session;
    }
    ex = proof_save(&co, item, out, resp->proof);
    waybill__client_response__free_unpacked(resp, NULL);
close_session:
    client_session_close(&s);
    return ex;
}

int cmd_proof(int argc, char **argv) { return cmd_proof_via(client_net_connector(), argc, argv); }
