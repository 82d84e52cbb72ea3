/* `waybill watch`: committed events as they commit, one line (or one JSON
 * object) each, from a height on, until interrupted or --count events. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/client_cmds.h"
#include "cli/id_args.h"
#include "cli/print.h"
#include "common/wb_error.h"
#include "ledger/event.h"

/* How long to wait for the next batch: the node sends nothing while nothing
 * commits, so this is only the bound of a wait that never ends. */
#define WATCH_WAIT_MS (24u * 3600u * 1000u)
#define WATCH_COUNT_MAX 1000000000ull

enum {
    WATCH_OPT_ITEM,
    WATCH_OPT_FROM,
    WATCH_OPT_COUNT,
    WATCH_OPT_NODE,
    WATCH_OPT_KEY,
    WATCH_OPT_GENESIS,
    WATCH_OPT_TIMEOUT,
    WATCH_OPT_JSON,
};

static const struct cli_opt watch_opts[] = {
    [WATCH_OPT_ITEM] = {"item", "ID", "only events about item ID"},
    [WATCH_OPT_FROM] = {"from-height", "H",
                        "start with block H (default: the next block to commit)"},
    [WATCH_OPT_COUNT] = {"count", "N", "exit 0 after N events (default: run until interrupted)"},
    [WATCH_OPT_NODE] = CLIENT_OPT_NODE,
    [WATCH_OPT_KEY] = CLIENT_OPT_KEY,
    [WATCH_OPT_GENESIS] = CLIENT_OPT_GENESIS,
    [WATCH_OPT_TIMEOUT] = {"timeout", "SECONDS",
                           "give up connecting after this many seconds (default 30)"},
    [WATCH_OPT_JSON] = {"json", NULL, "print one JSON object per line instead of text lines"},
};

static const struct cli_usage watch_usage = {
    .cmd = "watch",
    .synopsis = "[--item ID] [--from-height H] [--count N] [--node ADDR] [--key FILE]\n"
                "       [--genesis FILE] [--timeout SECONDS] [--json]",
    .description =
        "Prints committed events as they commit, in ledger order, one line each:\n"
        "height:index, event time, action, item, location, the submitter's organisation\n"
        "and the first 8 hex digits of the event id (--json: one object per line, the\n"
        "fields of 'waybill history --json' events plus height and index). With\n"
        "--from-height it starts with that block, so a watcher that stopped resumes from\n"
        "the height after the last one it printed; a watcher that falls behind is sent\n"
        "the rest from the node's storage. Runs until SIGINT or SIGTERM (exit 0) or\n"
        "until --count events were printed; exit 3 if the node goes away.\n",
    .opts = watch_opts,
    .opt_count = sizeof watch_opts / sizeof watch_opts[0],
};

struct watch_args {
    const char *item, *from, *count;
};

static int watch_own_opt(void *ctx, int opt, const char *value)
{
    struct watch_args *a = ctx;
    switch (opt) {
    case WATCH_OPT_ITEM:
        return client_opt_once(&watch_usage, &a->item, "item", value);
    case WATCH_OPT_FROM:
        return client_opt_once(&watch_usage, &a->from, "from-height", value);
    case WATCH_OPT_COUNT:
        return client_opt_once(&watch_usage, &a->count, "count", value);
    default:
        return cli_usage_error(&watch_usage, "unexpected option");
    }
}

struct watch_query {
    char item[WB_ITEM_MAX + 1];
    uint64_t from;
    uint64_t count;             /* 0 = no end */
};

static int watch_parse(int argc, char **argv, struct client_opts *co, struct watch_query *q)
{
    struct watch_args a = {0};
    struct cli_args args;
    int ex = client_args_parse(&args, &watch_usage, argc, argv, co, watch_own_opt, &a);
    if (ex != CLI_EXIT_OK) return ex;
    if (args.pos_count)
        return cli_usage_error(&watch_usage, "unexpected argument '%s'", args.pos[0]);
    q->item[0] = '\0';
    q->from = q->count = 0;
    if (a.item && (ex = cli_item_arg(&watch_usage, "--item", a.item, q->item)) != CLI_EXIT_OK)
        return ex;
    if (a.from && cli_parse_u64(a.from, 1, UINT64_MAX, &q->from) != WB_OK)
        return cli_usage_error(&watch_usage, "--from-height: expected a height from 1, got '%s'",
                               a.from);
    if (a.count && cli_parse_u64(a.count, 1, WATCH_COUNT_MAX, &q->count) != WB_OK)
        return cli_usage_error(&watch_usage, "--count: expected 1 to %llu, got '%s'",
                               WATCH_COUNT_MAX, a.count);
    return CLI_EXIT_OK;
}

/* Every line is flushed as it is printed, so nothing printed is lost when a
 * signal ends the process between events. */
static void watch_on_signal(int sig)
{
    (void)sig;
    _exit(CLI_EXIT_OK);
}

/* Prints one event; returns 0 or a wb_err. */
static int watch_print(const struct client_opts *co, const struct ledger_genesis *g,
                       const Waybill__HistoryEntry *e, struct ledger_event *ev)
{
    char why[256];
    if (!e || ledger_signed_event_open(g->chain_id, e->signed_event.data, e->signed_event.len,
                                       false, ev, why, sizeof why) != WB_OK)
        return WB_ERR_PROTOCOL;
    if (co->json) {
        json_t *o = print_json_event(ev, g);
        if (!o || json_object_set_new(o, "height", json_integer((json_int_t)e->height)) ||
            json_object_set_new(o, "index", json_integer((json_int_t)e->index))) {
            json_decref(o);
            return WB_ERR_NOMEM;
        }
        int rc = json_dumpf(o, stdout, JSON_COMPACT) == 0 ? WB_OK : WB_ERR_IO;
        json_decref(o);
        if (rc) return rc;
        fputc('\n', stdout);
    } else {
        char when[PRINT_TIME_MAX], org[64], id[PRINT_SHORT_HEX];
        printf("%llu:%u %s %s %s %s %s %s\n", (unsigned long long)e->height,
               (unsigned)e->index, print_time(ev->time_ms, when), ledger_action_name(ev->action),
               ev->item, ev->location[0] ? ev->location : "-",
               print_org_of(g, ev->submitter, org, sizeof org), print_short_hex(ev->id, id));
    }
    return fflush(stdout) == 0 ? WB_OK : WB_ERR_IO;
}

int cmd_watch_via(const struct client_connector *conn, int argc, char **argv)
{
    struct client_opts co;
    struct watch_query q;
    client_opts_init(&co, "watch");
    int ex = watch_parse(argc, argv, &co, &q);
    if (ex == CLIENT_HELP_SHOWN) return CLI_EXIT_OK;
    if (ex != CLI_EXIT_OK) return ex;
    ex = client_opts_finish(&co, &watch_usage, true);
    if (ex != CLI_EXIT_OK) return ex;

    struct ledger_event *ev = malloc(sizeof *ev);
    struct client_session s;
    ex = client_session_open(&s, &co, conn);
    if (ex != CLI_EXIT_OK) goto close_session;
    if (!ev) {
        cli_error(co.cmd, "out of memory");
        ex = CLI_EXIT_FAILED;
        goto close_session;
    }
    signal(SIGINT, watch_on_signal);
    signal(SIGTERM, watch_on_signal);

    Waybill__WatchRequest wr = WAYBILL__WATCH_REQUEST__INIT;
    wr.from_height = q.from;
    wr.item = q.item;
    Waybill__ClientRequest rq = WAYBILL__CLIENT_REQUEST__INIT;
    rq.req_case = WAYBILL__CLIENT_REQUEST__REQ_WATCH;
    rq.watch = &wr;
    int rc = client_send(&s.c, &rq);
    uint64_t watch_id = rq.id, printed = 0;
    bool accepted = false;
    uint64_t expect_height = 0;
    while (rc == WB_OK && (q.count == 0 || printed < q.count)) {
        Waybill__ClientResponse *resp;
        rc = client_recv(&s.c, accepted ? WATCH_WAIT_MS : co.timeout_ms, &resp);
        if (rc != WB_OK) break;
        if (resp->id != watch_id) {
            waybill__client_response__free_unpacked(resp, NULL);
            continue;
        }
        if (resp->code != 0) {
            cli_error(co.cmd, "the node ended the watch: %s",
                      resp->reason && resp->reason[0] ? resp->reason : wb_strerror(resp->code));
            waybill__client_response__free_unpacked(resp, NULL);
            ex = CLI_EXIT_FAILED;
            goto close_session;
        }
        const Waybill__WatchBatch *b =
            resp->resp_case == WAYBILL__CLIENT_RESPONSE__RESP_WATCH ? resp->watch : NULL;
        /* Batches come in ledger order: a height going back is a broken node. */
        if (!b || (accepted && (b->height == 0 || b->height < expect_height))) {
            waybill__client_response__free_unpacked(resp, NULL);
            cli_error(co.cmd, "the node answered the watch out of order");
            ex = CLI_EXIT_FAILED;
            goto close_session;
        }
        if (!accepted) {
            accepted = true;
            expect_height = b->next_height;
            waybill__client_response__free_unpacked(resp, NULL);
            continue;
        }
        expect_height = b->height;
        for (size_t i = 0; rc == WB_OK && i < b->n_events && (q.count == 0 || printed < q.count);
             i++) {
            rc = watch_print(&co, s.genesis, b->events[i], ev);
            if (rc == WB_OK) printed++;
        }
        waybill__client_response__free_unpacked(resp, NULL);
        if (rc == WB_ERR_PROTOCOL) {
            cli_error(co.cmd, "an event from the node is unreadable");
            ex = CLI_EXIT_FAILED;
            goto close_session;
        }
        if (rc != WB_OK) {
            cli_error(co.cmd, "cannot write the output");
            ex = CLI_EXIT_FAILED;
            goto close_session;
        }
        if (q.count && printed >= q.count) break;
        /* Taken: the node may send the next batch. */
        Waybill__WatchAck ack = WAYBILL__WATCH_ACK__INIT;
        ack.watch_id = watch_id;
        Waybill__ClientRequest ar = WAYBILL__CLIENT_REQUEST__INIT;
        ar.req_case = WAYBILL__CLIENT_REQUEST__REQ_WATCH_ACK;
        ar.watch_ack = &ack;
        rc = client_send(&s.c, &ar);
    }
    if (rc != WB_OK) ex = client_fail(&s.c, rc, NULL);
close_session:
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    free(ev);
    client_session_close(&s);
    return ex;
}

int cmd_watch(int argc, char **argv)
{
    return cmd_watch_via(client_net_connector(), argc, argv);
}
