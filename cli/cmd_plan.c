/* `waybill plan set | show ITEM`: an item's route plan (ledger/plan.h,
 * docs/devices.md "Route plans"): the shipper or the custodian records it
 * with a plan_set event; every version stays on the item's chain. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client_cmds.h"
#include "cli/commands.h"
#include "cli/id_args.h"
#include "cli/print.h"
#include "common/hex.h"
#include "common/wb_error.h"
#include "ledger/event.h"
#include "ledger/locode.h"
#include "ledger/plan.h"

enum {
    PLAN_OPT_CORRIDOR,
    PLAN_OPT_STOP,
    PLAN_OPT_TIME,
    PLAN_OPT_NEW,
    PLAN_OPT_NO_WAIT,
    PLAN_OPT_NODE,
    PLAN_OPT_KEY,
    PLAN_OPT_GENESIS,
    PLAN_OPT_TIMEOUT,
    PLAN_OPT_JSON,
};

static const struct cli_opt set_opts[] = {
    [PLAN_OPT_CORRIDOR] = {"corridor-km", "N",
                           "how far off the direct line between two stops still counts as on "
                           "route, in km (1 .. 2000)"},
    [PLAN_OPT_STOP] = {"stop", "\"LOCODE FROM TO [MODE]\"",
                       "one stop, in order (2 to 15 of them): its UN/LOCODE, the planned "
                       "arrival window (RFC 3339 UTC), and the mode of the leg that leaves it "
                       "(sea, inland_water, rail, road, air; none on the last stop)"},
    [PLAN_OPT_TIME] = {"time", "TIME", "the event time, RFC 3339 UTC (default now)"},
    [PLAN_OPT_NEW] = {"new", NULL,
                      "sign a new event even if an identical one got no answer (do not resend "
                      "its kept event)"},
    [PLAN_OPT_NO_WAIT] = {"no-wait", NULL, "return once the node accepted it, not committed"},
    [PLAN_OPT_NODE] = CLIENT_OPT_NODE,
    [PLAN_OPT_KEY] = CLIENT_OPT_KEY,
    [PLAN_OPT_GENESIS] = CLIENT_OPT_GENESIS,
    [PLAN_OPT_TIMEOUT] = CLIENT_OPT_TIMEOUT,
    [PLAN_OPT_JSON] = CLIENT_OPT_JSON,
};

static const struct cli_opt show_opts[] = {CLIENT_OPT_NODE, CLIENT_OPT_KEY, CLIENT_OPT_GENESIS,
                                           CLIENT_OPT_TIMEOUT, CLIENT_OPT_JSON};
#define PLAN_CLIENT_SYNOPSIS "[--json] [--node ADDR] [--key FILE] [--genesis FILE] [--timeout SECONDS]"

static const struct cli_usage set_usage = {
    .cmd = "plan set",
    .synopsis = "ITEM --corridor-km N --stop \"LOCODE FROM TO MODE\" ... --stop \"LOCODE FROM "
                "TO\" [--time TIME] [--new] [--no-wait] " PLAN_CLIENT_SYNOPSIS,
    .description =
        "Records ITEM's route plan: a plan_set event on the item's chain, signed with\n"
        "--key, which must be the shipper's (who commissioned it) or the current\n"
        "custodian's (rule plan_by_shipper_or_custodian). The plan replaces the one in\n"
        "effect; every version stays on the chain (waybill plan show lists them). Each\n"
        "--stop is one quoted argument, e.g.\n"
        "  --stop \"CNSHA 2026-03-01T00:00:00Z 2026-03-02T00:00:00Z sea\"\n"
        "  --stop \"NLRTM 2026-03-30T00:00:00Z 2026-04-01T00:00:00Z\"\n"
        "A stop's window starts no earlier than the stop's before it. A place the\n"
        "coordinates table (ledger/locode.h) lacks is taken, and is \"not evaluable\"\n"
        "for distance checks.\n",
    .opts = set_opts,
    .opt_count = sizeof set_opts / sizeof set_opts[0],
};

static const struct cli_usage show_usage = {
    .cmd = "plan show",
    .synopsis = "ITEM " PLAN_CLIENT_SYNOPSIS,
    .description =
        "Shows ITEM's route plan in effect (its stops with the place's name when the\n"
        "coordinates table has it, arrival windows and leg modes, the corridor, who set\n"
        "it, when and at which height) and every version before it, oldest first, as\n"
        "the node's history of the item holds them. 'waybill verify ITEM' proves them.\n",
    .opts = show_opts,
    .opt_count = sizeof show_opts / sizeof show_opts[0],
};

static const struct cli_usage plan_usage = {
    .cmd = "plan",
    .synopsis = "set ITEM --corridor-km N --stop \"LOCODE FROM TO [MODE]\"... | show ITEM  "
                "[--json] [--node ADDR] [--key FILE] [--genesis FILE] [--timeout SECONDS]",
    .description =
        "An item's route plan (docs/devices.md, \"Route plans\"):\n"
        "  set   record the plan (the shipper or the custodian)\n"
        "  show  the plan in effect and every earlier version\n"
        "waybill plan SUBCOMMAND --help shows a subcommand's options. Both talk to a\n"
        "node and take these:\n",
    .opts = show_opts,
    .opt_count = sizeof show_opts / sizeof show_opts[0],
};

struct plan_args {
    const char *corridor, *time;
    const char *stops[WB_PLAN_STOPS_MAX + 1];
    size_t stop_count;
    bool fresh, no_wait;
};

static int plan_own_opt(void *ctx, int opt, const char *value)
{
    struct plan_args *pa = ctx;
    switch (opt) {
    case PLAN_OPT_CORRIDOR: return client_opt_once(&set_usage, &pa->corridor, "corridor-km", value);
    case PLAN_OPT_TIME: return client_opt_once(&set_usage, &pa->time, "time", value);
    case PLAN_OPT_NEW: pa->fresh = true; return CLI_EXIT_OK;
    case PLAN_OPT_NO_WAIT: pa->no_wait = true; return CLI_EXIT_OK;
    case PLAN_OPT_STOP:
        if (pa->stop_count == WB_PLAN_STOPS_MAX)
            return cli_usage_error(&set_usage, "at most %d --stop", WB_PLAN_STOPS_MAX);
        pa->stops[pa->stop_count++] = value;
        return CLI_EXIT_OK;
    default: return CLI_EXIT_OK;
    }
}

/* One --stop: "LOCODE FROM TO [MODE]", MODE required unless last. */
static int plan_stop_arg(const char *arg, size_t n, bool last, struct ledger_plan_stop *st)
{
    char buf[256], *save = NULL, *f[5];
    size_t nf = 0;
    if (strlen(arg) >= sizeof buf)
        return cli_usage_error(&set_usage, "--stop %zu: too long", n);
    snprintf(buf, sizeof buf, "%s", arg);
    for (char *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
        if (nf == 5) break;
        f[nf++] = t;
    }
    if (nf < 3 || nf > 4)
        return cli_usage_error(&set_usage,
                               "--stop %zu: expected \"LOCODE FROM TO MODE\" (MODE left out on "
                               "the last stop), got '%.60s'",
                               n, arg);
    char loc[WB_LOCATION_MAX + 1];
    int ex = cli_location_arg(&set_usage, "--stop", f[0], loc);
    if (ex != CLI_EXIT_OK) return ex;
    if (strlen(loc) != 5)
        return cli_usage_error(&set_usage, "--stop %zu: '%s' is not a UN/LOCODE", n, f[0]);
    snprintf(st->locode, sizeof st->locode, "%s", loc);
    if (!ledger_time_parse(f[1], strlen(f[1]), &st->arrive_from_ms) ||
        !ledger_time_parse(f[2], strlen(f[2]), &st->arrive_to_ms))
        return cli_usage_error(&set_usage,
                               "--stop %zu: the arrival window is two RFC 3339 UTC times such "
                               "as 2026-03-01T00:00:00Z",
                               n);
    if (last && nf == 4 && strcmp(f[3], "-") != 0)
        return cli_usage_error(&set_usage,
                               "--stop %zu: the last stop has no leg leaving it; leave out "
                               "'%s'",
                               n, f[3]);
    if (!last) {
        if (nf == 3)
            return cli_usage_error(&set_usage,
                                   "--stop %zu: give the mode of the leg to the next stop (sea, "
                                   "inland_water, rail, road or air)",
                                   n);
        st->leg_mode = ledger_mode_parse(f[3]);
        if (st->leg_mode == LEDGER_MODE_NONE)
            return cli_usage_error(&set_usage,
                                   "--stop %zu: mode '%s' is not sea, inland_water, rail, road "
                                   "or air",
                                   n, f[3]);
    }
    return CLI_EXIT_OK;
}

static int plan_set(const struct client_connector *conn, int argc, char **argv)
{
    struct client_opts co;
    struct plan_args pa = {0};
    struct cli_args args;
    client_opts_init(&co, "plan set");
    int ex = client_args_parse(&args, &set_usage, argc, argv, &co, plan_own_opt, &pa);
    if (ex == CLIENT_HELP_SHOWN) return CLI_EXIT_OK;
    if (ex != CLI_EXIT_OK) return ex;
    if (args.pos_count == 0) return cli_usage_error(&set_usage, "ITEM is required");
    if (args.pos_count > 1)
        return cli_usage_error(&set_usage, "unexpected argument '%s'", args.pos[1]);
    if (!pa.corridor) return cli_usage_error(&set_usage, "--corridor-km N is required");
    if (pa.stop_count < 2) return cli_usage_error(&set_usage, "give at least 2 --stop");
    struct ledger_plan p;
    memset(&p, 0, sizeof p);
    uint64_t km;
    if (cli_parse_u64(pa.corridor, 1, WB_PLAN_CORRIDOR_KM_MAX, &km) != WB_OK)
        return cli_usage_error(&set_usage, "--corridor-km: expected 1 .. %d",
                               WB_PLAN_CORRIDOR_KM_MAX);
    p.corridor_km = (uint32_t)km;
    p.stop_count = pa.stop_count;
    for (size_t i = 0; i < pa.stop_count; i++) {
        ex = plan_stop_arg(pa.stops[i], i + 1, i + 1 == pa.stop_count, &p.stops[i]);
        if (ex != CLI_EXIT_OK) return ex;
    }
    struct ledger_event *ev = calloc(1, sizeof *ev);
    if (!ev) {
        cli_error(co.cmd, "out of memory");
        return CLI_EXIT_FAILED;
    }
    ex = cli_item_arg(&set_usage, "ITEM", args.pos[0], ev->item);
    char msg[256];
    if (ex == CLI_EXIT_OK && ledger_plan_encode(&p, ev, msg, sizeof msg) != WB_OK)
        ex = cli_usage_error(&set_usage, "%s", msg);
    bool has_time = false;
    if (ex == CLI_EXIT_OK && pa.time) {
        if (!ledger_time_parse(pa.time, strlen(pa.time), &ev->time_ms))
            ex = cli_usage_error(&set_usage, "--time: expected RFC 3339 UTC, got '%.40s'",
                                 pa.time);
        has_time = true;
    }
    if (ex == CLI_EXIT_OK) ex = client_opts_finish(&co, &set_usage, true);
    if (ex == CLI_EXIT_OK) {
        struct client_session s;
        ex = client_session_open(&s, &co, conn);
        if (ex == CLI_EXIT_OK)
            ex = submit_session_event(&s, ev, has_time, pa.fresh, pa.no_wait, NULL);
        client_session_close(&s);
    }
    free(ev);
    return ex;
}

/* One plan_set of the history. */
struct plan_version {
    struct ledger_plan plan;
    char org[WB_ORG_MAX + 1];
    uint8_t id[WB_HASH_LEN];
    int64_t time_ms;
    uint64_t height;
};

static json_t *plan_json(const struct plan_version *v)
{
    json_t *stops = json_array();
    for (size_t i = 0; stops && i < v->plan.stop_count; i++) {
        const struct ledger_plan_stop *s = &v->plan.stops[i];
        const struct ledger_locode *l = ledger_locode_find(s->locode);
        char from[PRINT_TIME_MAX], to[PRINT_TIME_MAX];
        json_t *o = json_pack("{s:s, s:o, s:s, s:s, s:o}", "locode", s->locode, "name",
                              l ? print_json_text(l->name) : json_null(), "arrive_from",
                              print_time(s->arrive_from_ms, from), "arrive_to",
                              print_time(s->arrive_to_ms, to), "leg_mode",
                              s->leg_mode ? json_string(ledger_mode_name(s->leg_mode))
                                          : json_null());
        if (json_array_append_new(stops, o)) {
            json_decref(stops);
            stops = NULL;
        }
    }
    char when[PRINT_TIME_MAX];
    return json_pack("{s:o, s:o, s:s, s:I, s:I, s:o}", "event_id",
                     print_json_hex(v->id, WB_HASH_LEN), "set_by", print_json_text(v->org),
                     "time", print_time(v->time_ms, when), "height", (json_int_t)v->height,
                     "corridor_km", (json_int_t)v->plan.corridor_km, "stops", stops);
}

static int plan_print(const struct client_opts *co, const char *item,
                      const struct plan_version *v, size_t n)
{
    if (co->json) {
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < n; i++)
            if (json_array_append_new(arr, plan_json(&v[i]))) {
                json_decref(arr);
                arr = NULL;
            }
        return print_json_out(json_pack("{s:s, s:o, s:o}", "item", item, "current",
                                        n ? plan_json(&v[n - 1]) : json_null(), "versions",
                                        arr));
    }
    if (n == 0) {
        printf("item %s has no route plan\n", item);
        return WB_OK;
    }
    const struct plan_version *cur = &v[n - 1];
    char when[PRINT_TIME_MAX], org[4 * WB_ORG_MAX + 8], id[PRINT_SHORT_HEX];
    printf("route plan of %s: corridor %u km, set by '%s' at %s (height %" PRIu64
           ", event %s); version %zu of %zu\n",
           item, cur->plan.corridor_km, print_safe(cur->org, org, sizeof org),
           print_time(cur->time_ms, when), cur->height, print_short_hex(cur->id, id), n, n);
    static const char *const header[] = {"#", "LOCODE", "PLACE", "ARRIVE FROM", "ARRIVE TO",
                                         "LEG"};
    struct print_table t;
    print_table_init(&t, 6, header);
    for (size_t i = 0; i < cur->plan.stop_count; i++) {
        const struct ledger_plan_stop *s = &cur->plan.stops[i];
        const struct ledger_locode *l = ledger_locode_find(s->locode);
        char num[24], from[PRINT_TIME_MAX], to[PRINT_TIME_MAX], name[PRINT_CELL_MAX];
        snprintf(num, sizeof num, "%zu", i + 1);
        const char *row[6] = {num,
                              s->locode,
                              l ? print_safe(l->name, name, sizeof name) : "(not in the table)",
                              print_time(s->arrive_from_ms, from),
                              print_time(s->arrive_to_ms, to),
                              s->leg_mode ? ledger_mode_name(s->leg_mode) : "-"};
        print_table_add(&t, row);
    }
    int rc = print_table_out(&t, stdout);
    print_table_free(&t);
    if (rc == WB_OK && n > 1) {
        printf("earlier versions:\n");
        for (size_t i = 0; i + 1 < n; i++) {
            const struct plan_version *e = &v[i];
            printf("  %zu. height %" PRIu64 ", %s, by '%s': %zu stops %s -> %s, corridor %u km\n",
                   i + 1, e->height, print_time(e->time_ms, when),
                   print_safe(e->org, org, sizeof org), e->plan.stop_count, e->plan.stops[0].locode,
                   e->plan.stops[e->plan.stop_count - 1].locode, e->plan.corridor_km);
        }
    }
    return rc;
}

/* The plan versions in a node's history of the item, oldest first. */
static int plan_versions(const struct client_opts *co, const struct ledger_genesis *g,
                         const Waybill__History *h, struct plan_version **out, size_t *n)
{
    struct ledger_event *ev = malloc(sizeof *ev);
    struct plan_version *v = NULL;
    size_t count = 0;
    char msg[256];
    int ex = ev ? CLI_EXIT_OK : CLI_EXIT_FAILED;
    if (!ev) cli_error(co->cmd, "out of memory");
    for (size_t i = 0; ex == CLI_EXIT_OK && i < h->n_events; i++) {
        const ProtobufCBinaryData *b = &h->events[i]->signed_event;
        if (ledger_signed_event_open(g->chain_id, b->data, b->len, false, ev, msg, sizeof msg) !=
            WB_OK) {
            cli_error(co->cmd, "the node's history holds an event that does not open: %s", msg);
            ex = CLI_EXIT_FAILED;
            break;
        }
        if (ev->action != LEDGER_PLAN_SET) continue;
        struct plan_version *nv = realloc(v, (count + 1) * sizeof *v);
        if (!nv) {
            cli_error(co->cmd, "out of memory");
            ex = CLI_EXIT_FAILED;
            break;
        }
        v = nv;
        struct plan_version *pv = &v[count];
        memset(pv, 0, sizeof *pv);
        if (ledger_plan_decode(ev, &pv->plan, msg, sizeof msg) != WB_OK) {
            cli_error(co->cmd, "the node's history holds a plan that does not decode: %s", msg);
            ex = CLI_EXIT_FAILED;
            break;
        }
        char org[WB_ORG_MAX + 64];
        snprintf(pv->org, sizeof pv->org, "%s", print_org_of(g, ev->submitter, org, sizeof org));
        memcpy(pv->id, ev->id, WB_HASH_LEN);
        pv->time_ms = ev->time_ms;
        pv->height = h->events[i]->height;
        count++;
    }
    free(ev);
    if (ex != CLI_EXIT_OK) {
        free(v);
        return ex;
    }
    *out = v;
    *n = count;
    return CLI_EXIT_OK;
}

static int plan_show(const struct client_connector *conn, int argc, char **argv)
{
    struct client_opts co;
    struct cli_args args;
    client_opts_init(&co, "plan show");
    int ex = client_args_parse(&args, &show_usage, argc, argv, &co, NULL, NULL);
    if (ex == CLIENT_HELP_SHOWN) return CLI_EXIT_OK;
    if (ex != CLI_EXIT_OK) return ex;
    if (args.pos_count == 0) return cli_usage_error(&show_usage, "ITEM is required");
    if (args.pos_count > 1)
        return cli_usage_error(&show_usage, "unexpected argument '%s'", args.pos[1]);
    char item[WB_ITEM_MAX + 1];
    ex = cli_item_arg(&show_usage, "ITEM", args.pos[0], item);
    if (ex == CLI_EXIT_OK) ex = client_opts_finish(&co, &show_usage, true);
    if (ex != CLI_EXIT_OK) return ex;
    struct client_session s;
    ex = client_session_open(&s, &co, conn);
    Waybill__ClientResponse *resp = NULL;
    if (ex == CLI_EXIT_OK) {
        int rc = client_call_item(&s.c, WAYBILL__CLIENT_REQUEST__REQ_HISTORY, item, &resp);
        if (rc != WB_OK) ex = client_fail_item(&s.c, rc, item, NULL);
    }
    if (ex == CLI_EXIT_OK) {
        struct plan_version *v = NULL;
        size_t n = 0;
        ex = plan_versions(&co, s.genesis, resp->history, &v, &n);
        if (ex == CLI_EXIT_OK) {
            ex = print_exit(co.cmd, plan_print(&co, item, v, n));
        }
        free(v);
    }
    if (resp) waybill__client_response__free_unpacked(resp, NULL);
    client_session_close(&s);
    return ex;
}

static const struct client_subcommand plan_subs[] = {
    {"set", plan_set},
    {"show", plan_show},
};

int cmd_plan_via(const struct client_connector *conn, int argc, char **argv)
{
    return client_subcommand_run(&plan_usage, plan_subs, sizeof plan_subs / sizeof plan_subs[0],
                                 "set or show", conn, argc, argv);
}

int cmd_plan(int argc, char **argv) { return cmd_plan_via(client_net_connector(), argc, argv); }
