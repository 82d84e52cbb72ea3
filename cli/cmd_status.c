/* `waybill status`: what a node reports about itself: name, validator index,
 * height, round, last block hash and time (with its age by this machine's
 * clock), peers, mempool, evidence, events. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/client_cmds.h"
#include "cli/print.h"
#include "common/hex.h"
#include "common/wb_error.h"

enum {
    STATUS_OPT_NODE,
    STATUS_OPT_KEY,
    STATUS_OPT_GENESIS,
    STATUS_OPT_TIMEOUT,
    STATUS_OPT_JSON,
};

static const struct cli_opt status_opts[] = {
    [STATUS_OPT_NODE] = CLIENT_OPT_NODE,
    [STATUS_OPT_KEY] = CLIENT_OPT_KEY,
    [STATUS_OPT_GENESIS] = CLIENT_OPT_GENESIS,
    [STATUS_OPT_TIMEOUT] = CLIENT_OPT_TIMEOUT,
    [STATUS_OPT_JSON] = CLIENT_OPT_JSON,
};

static const struct cli_usage status_usage = {
    .cmd = "status",
    .synopsis = "[--node ADDR] [--key FILE] [--genesis FILE] [--timeout SECONDS] [--json]",
    .description =
        "Asks the node how it is doing: its name and validator index (with the\n"
        "validator's organisation from genesis), the last committed height, its block\n"
        "hash and block time (RFC 3339 UTC, with its age by this machine's clock), the\n"
        "consensus round, connected peers, events and bytes waiting in its mempool,\n"
        "pieces of equivocation evidence it holds, events committed so far, and its\n"
        "storage: ok, full (its data folder has no space left) or error: TEXT (another\n"
        "write failure); while not ok the node holds consensus at the next height and\n"
        "resumes by itself once writes succeed again. An idle network makes a block only\n"
        "every heartbeat (genesis heartbeat_ms, default 60 s), so a block age up to about\n"
        "that long is normal.\n",
    .opts = status_opts,
    .opt_count = sizeof status_opts / sizeof status_opts[0],
};


/* The counters of one port's admission (Waybill__AdmissionStats) as JSON. */
static json_t *admission_json(const Waybill__AdmissionStats *a)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "links_up", (json_int_t)a->links_up,
                     "pending", (json_int_t)a->pending, "accepted", (json_int_t)a->accepted,
                     "evicted", (json_int_t)a->evicted, "timed_out", (json_int_t)a->timed_out,
                     "failed", (json_int_t)a->failed, "refused", (json_int_t)a->refused);
}

static int status_show(const struct client_opts *co, const struct ledger_genesis *g,
                       const Waybill__NodeStatus *st)
{
    if (!st || (st->last_hash.len != 0 && st->last_hash.len != WB_HASH_LEN) ||
        (st->chain_id.len != 0 && st->chain_id.len != WB_CHAIN_ID_LEN)) {
        cli_error(co->cmd, "the node answered with a malformed status");
        return CLI_EXIT_FAILED;
    }
    if (st->chain_id.len && memcmp(st->chain_id.data, g->chain_id, WB_CHAIN_ID_LEN) != 0) {
        cli_error(co->cmd, "the node runs another chain than genesis %s (%s)", co->genesis,
                  g->chain_name);
        return CLI_EXIT_FAILED;
    }
    char name[WB_NODE_NAME_MAX * 4 + 8], hash[PRINT_HEX32];
    print_safe(st->name, name, sizeof name);
    bool known = st->validator < g->validator_count;
    const char *org = known ? g->validators[st->validator].org : NULL;
    size_t peers_max = g->validator_count ? g->validator_count - 1 : 0;
    if (st->last_hash.len)
        wb_hex_encode(st->last_hash.data, WB_HASH_LEN, hash, sizeof hash);
    else
        snprintf(hash, sizeof hash, "-");
    /* The last block's time; none before the first block. */
    bool has_time = st->height > 0 && st->last_block_time_ms > 0;
    char when[PRINT_TIME_MAX], age[PRINT_AGE_MAX];
    int64_t age_ms = 0;
    if (has_time) {
        print_time(st->last_block_time_ms, when);
        age_ms = cli_now_ms() - st->last_block_time_ms;
        if (age_ms < 0) age_ms = 0; /* the node's clock is ahead of ours */
        print_age(age_ms, age);
    }

    /* A node from before the field sends none: shown as unknown. */
    char storage[256];
    if (st->storage && st->storage[0]) print_safe(st->storage, storage, sizeof storage);
    else storage[0] = '\0';

    if (co->json) {
        json_t *o = json_pack(
            "{s:s, s:s, s:I, s:o, s:I, s:I, s:o, s:I, s:I, s:I, s:I, s:I, s:o}", "name", name,
            "chain", g->chain_name, "validator", (json_int_t)st->validator, "org",
            org ? json_string(org) : json_null(), "height", (json_int_t)st->height, "round",
            (json_int_t)st->round, "last_hash",
            st->last_hash.len ? json_string(hash) : json_null(), "peers_connected",
            (json_int_t)st->peers_connected, "mempool_events", (json_int_t)st->mempool_events,
            "mempool_bytes", (json_int_t)st->mempool_bytes, "evidence",
            (json_int_t)st->evidence_count, "events_committed",
            (json_int_t)st->events_committed, "storage",
            storage[0] ? json_string(storage) : json_null());
        const Waybill__AdmissionStats *adm[2] = {st->api_admission, st->p2p_admission};
        json_t *ao = json_object();
        bool ok = o && ao;
        for (int i = 0; ok && i < 2; i++)
            if (adm[i]) ok = json_object_set_new(ao, i ? "p2p" : "api", admission_json(adm[i])) == 0;
        if (ok) ok = json_object_set_new(o, "admission", ao) == 0;
        else json_decref(ao);
        if (ok)
            ok = json_object_set_new(o, "last_block_time",
                                     has_time ? json_string(when) : json_null()) == 0 &&
                 json_object_set_new(o, "last_block_age_ms",
                                     has_time ? json_integer(age_ms) : json_null()) == 0;
        if (!ok) {
            json_decref(o);
            goto err_nomem;
        }
        int prc = print_json_out(o);
        if (prc == WB_ERR_IO) return CLI_EXIT_FAILED; /* cli_output_finish says so */
        if (prc != WB_OK) goto err_nomem;
        return CLI_EXIT_OK;
    }
    struct print_table t;
    print_fields_init(&t);
    print_field(&t, "node", "%s", name);
    if (known)
        print_field(&t, "validator", "%u (%s, org %s; %zu validators, quorum %zu)",
                    (unsigned)st->validator, g->validators[st->validator].name, org,
                    g->validator_count, ledger_genesis_quorum(g));
    else
        print_field(&t, "validator", "%u (not in genesis: it lists %zu validators)",
                    (unsigned)st->validator, g->validator_count);
    print_field(&t, "chain", "%s", g->chain_name);
    print_field(&t, "height", "%llu", (unsigned long long)st->height);
    print_field(&t, "round", "%u", (unsigned)st->round);
    print_field(&t, "last hash", "%s", hash);
    if (has_time)
        print_field(&t, "last block", "%s (%s ago)", when, age);
    else
        print_field(&t, "last block", "none yet");
    print_field(&t, "peers", "%u of %zu connected", (unsigned)st->peers_connected, peers_max);
    print_field(&t, "mempool", "%u events, %llu bytes", (unsigned)st->mempool_events,
                (unsigned long long)st->mempool_bytes);
    print_field(&t, "evidence", "%llu", (unsigned long long)st->evidence_count);
    print_field(&t, "events", "%llu committed", (unsigned long long)st->events_committed);
    print_field(&t, "storage", "%s", storage[0] ? storage : "unknown (the node does not say)");
    const Waybill__AdmissionStats *adm[2] = {st->api_admission, st->p2p_admission};
    for (int i = 0; i < 2; i++) {
        const Waybill__AdmissionStats *a = adm[i];
        if (!a) continue;
        print_field(&t, i ? "p2p port" : "api port",
                    "%u up, %u in handshake; since start %llu accepted, %llu evicted, "
                    "%llu timed out, %llu failed, %llu refused",
                    (unsigned)a->links_up, (unsigned)a->pending, (unsigned long long)a->accepted,
                    (unsigned long long)a->evicted, (unsigned long long)a->timed_out,
                    (unsigned long long)a->failed, (unsigned long long)a->refused);
    }
    int rc = print_table_out(&t, stdout);
    print_table_free(&t);
    if (rc != WB_OK) goto err_nomem;
    return CLI_EXIT_OK;
err_nomem:
    cli_error(co->cmd, "out of memory");
    return CLI_EXIT_FAILED;
}

int cmd_status_via(const struct client_connector *conn, int argc, char **argv)
{
    struct client_opts co;
    struct cli_args args;
    client_opts_init(&co, "status");
    int ex = client_args_parse(&args, &status_usage, argc, argv, &co, NULL, NULL);
    if (ex == CLIENT_HELP_SHOWN) return CLI_EXIT_OK;
    if (ex != CLI_EXIT_OK) return ex;
    if (args.pos_count)
        return cli_usage_error(&status_usage, "unexpected argument '%s'", args.pos[0]);
    ex = client_opts_finish(&co, &status_usage, true);
    if (ex != CLI_EXIT_OK) return ex;

    struct client_session s;
    ex = client_session_open(&s, &co, conn);
    if (ex != CLI_EXIT_OK) goto close_session;
    Waybill__StatusRequest sr = WAYBILL__STATUS_REQUEST__INIT;
    Waybill__ClientRequest req = WAYBILL__CLIENT_REQUEST__INIT;
    Waybill__ClientResponse *resp;
    req.req_case = WAYBILL__CLIENT_REQUEST__REQ_STATUS;
    req.status = &sr;
    int rc = client_call(&s.c, &req, WAYBILL__CLIENT_RESPONSE__RESP_STATUS, &resp);
    if (rc != WB_OK) {
        ex = client_fail(&s.c, rc, NULL);
        goto close_session;
    }
    ex = status_show(&co, s.genesis, resp->status);
    waybill__client_response__free_unpacked(resp, NULL);
close_session:
    client_session_close(&s);
    return ex;
}

int cmd_status(int argc, char **argv) { return cmd_status_via(client_net_connector(), argc, argv); }
