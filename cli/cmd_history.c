/* `waybill history ITEM`: an item's state and its events as the node
 * records them, as a table or JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client_cmds.h"
#include "cli/evidence_print.h"
#include "cli/gov_state.h"
#include "cli/id_args.h"
#include "cli/print.h"
#include "common/hex.h"
#include "common/wb_error.h"
#include "ledger/event.h"
#include "ledger/evidence.h"
#include "ledger/gov_history.h"
#include "ledger/ids.h"

enum {
    HISTORY_OPT_NODE,
    HISTORY_OPT_KEY,
    HISTORY_OPT_GENESIS,
    HISTORY_OPT_TIMEOUT,
    HISTORY_OPT_JSON,
};

static const struct cli_opt history_opts[] = {
    [HISTORY_OPT_NODE] = CLIENT_OPT_NODE,
    [HISTORY_OPT_KEY] = CLIENT_OPT_KEY,
    [HISTORY_OPT_GENESIS] = CLIENT_OPT_GENESIS,
    [HISTORY_OPT_TIMEOUT] = CLIENT_OPT_TIMEOUT,
    [HISTORY_OPT_JSON] = CLIENT_OPT_JSON,
};

static const struct cli_usage history_usage = {
    .cmd = "history",
    .synopsis = "ITEM [--node ADDR] [--key FILE] [--genesis FILE] [--timeout SECONDS] [--json]",
    .description =
        "Shows what the node records about ITEM: its state (custodian, status, location,\n"
        "movement, customs status, seal, number of events) and every\n"
        "committed event in order: its number (# 0 is the commission, numbered as waybill\n"
        "verify does), block height:index, event time (marked \"(out of order)\" when it\n"
        "is before an earlier event's: a late report), action, location, the submitter's\n"
        "organisation (from genesis; for an item with devices or plans, from the members\n"
        "of its height, below), attributes and the first 8 hex digits of the event id\n"
        "(--json gives whole ids).\n"
        "Then the item's device evidence, as waybill verify shows it (docs/devices.md,\n"
        "\"Evidence and findings\"): each device report event and every seal\n"
        "observation with the custodian at its time, the route plan in effect and its\n"
        "number of versions, and the findings (TAMPER: an e-seal reported tampered, or\n"
        "opened with no unseal between its arming and 1 h after). For an item with\n"
        "devices or plans the governance chain is fetched too, for the device registry\n"
        "and the members of each height; when it cannot be read, device owners show as\n"
        "unknown. Findings do not change the exit status.\n"
        "This is the node's word; 'waybill verify ITEM' checks it. A container number\n"
        "is upper-cased first, as waybill submit does (with a note on stderr).\n",
    .opts = history_opts,
    .opt_count = sizeof history_opts / sizeof history_opts[0],
};

/* Parses the options; item is the one positional argument, in canonical
 * case (cli_item_arg). */
static int history_parse(int argc, char **argv, struct client_opts *co,
                         char item[static WB_ITEM_MAX + 1])
{
    struct cli_args args;
    int ex = client_args_parse(&args, &history_usage, argc, argv, co, NULL, NULL);
    if (ex != CLI_EXIT_OK) return ex;
    if (args.pos_count == 0) return cli_usage_error(&history_usage, "ITEM is required");
    if (args.pos_count > 1)
        return cli_usage_error(&history_usage, "unexpected argument '%s'", args.pos[1]);
    return cli_item_arg(&history_usage, "ITEM", args.pos[0], item);
}

/* What the movement state means to a person. */
static const char *history_movement_text(enum ledger_movement m)
{
    switch (m) {
    case LEDGER_MOVE_AT_REST:
        return "at rest, not loaded";
    case LEDGER_MOVE_LOADED:
        return "loaded, at rest";
    case LEDGER_MOVE_UNDERWAY:
        return "underway (departed, not yet arrived)";
    default:
        return "unknown";
    }
}

static void history_print_state(struct print_table *t, const struct ledger_item_state *st,
                                size_t out_of_order)
{
    char head[PRINT_HEX32];
    print_field(t, "item", "%s", st->item);
    print_field(t, "custodian", "%s", st->custodian[0] ? st->custodian : "-");
    if (st->status == LEDGER_ITEM_IN_TRANSFER)
        print_field(t, "status", "in transfer to %s", st->transfer_to);
    else
        print_field(t, "status", "%s", print_status_name(st->status));
    print_field(t, "location", "%s", st->location[0] ? st->location : "-");
    print_field(t, "movement", "%s", history_movement_text(st->movement));
    print_field(t, "held", "%s", ledger_item_held(st) ? "yes (on hold by customs)" : "no");
    print_field(t, "customs", "%s", print_customs_name(st->customs));
    print_field(t, "seal", "%s", st->seal[0] ? st->seal : "none");
    if (out_of_order)
        print_field(t, "events", "%u (heights %llu to %llu), %zu out of order",
                    (unsigned)st->count, (unsigned long long)st->first_height,
                    (unsigned long long)st->last_height, out_of_order);
    else
        print_field(t, "events", "%u (heights %llu to %llu)", (unsigned)st->count,
                    (unsigned long long)st->first_height, (unsigned long long)st->last_height);
    if (st->count) print_field(t, "head", "%s", wb_hex_encode(st->head, WB_HASH_LEN, head,
                                                               sizeof head));
}

/* Whether any event of h attaches or detaches a device, carries a device
 * report or sets a plan: then the evidence needs the governance chain (the
 * device registry, and the members governance added). ev is scratch. */
static bool history_has_devices(const struct ledger_genesis *g, const Waybill__History *h,
                                struct ledger_event *ev)
{
    for (size_t i = 0; i < h->n_events; i++) {
        const Waybill__HistoryEntry *e = h->events[i];
        if (!e || ledger_signed_event_open(g->chain_id, e->signed_event.data,
                                           e->signed_event.len, false, ev, NULL, 0) != WB_OK)
            continue;
        enum ledger_action a = ev->action;
        if (ledger_action_is_report(a) || a == LEDGER_DEVICE_ATTACH ||
            a == LEDGER_DEVICE_DETACH || a == LEDGER_PLAN_SET)
            return true;
    }
    return false;
}

/* The item's device evidence as the node's events give it, each judged by
 * the registry of its height (hist, or genesis without it). */
struct history_evidence {
    struct ledger_evidence e;
    bool feed;                            /* the item has device or plan events */
    bool failed;                          /* why says why */
    char why[256];
};

static void history_evidence_add(struct history_evidence *x, const struct ledger_event *ev,
                                 uint64_t height, const struct ledger_genesis *reg,
                                 const struct ledger_gov *gov)
{
    if (!x->feed || x->failed) return;
    if (ledger_evidence_add(&x->e, ev, height, reg, gov, x->why, sizeof x->why) != WB_OK)
        x->failed = true;
}

/* The "evidence" of --json: the object, or {"error": WHY}. */
static json_t *history_json_evidence(const struct history_evidence *x)
{
    if (x->failed) return json_pack("{s:o}", "error", print_json_text(x->why));
    return evidence_print_json(&x->e);
}

/* Prints the answer; returns the exit code. hist: the governance history
 * of the chain, or NULL (genesis judges, device owners unknown). */
static int history_show(const struct client_opts *co, const struct ledger_genesis *g,
                        const char *item, const Waybill__History *h,
                        const struct ledger_gov_history *hist, bool feed)
{
    struct ledger_item_state st;
    if (!h || client_item_state(h->state, &st) != WB_OK || strcmp(st.item, item) != 0) {
        cli_error(co->cmd, "the node answered with a malformed item state for %s", item);
        return CLI_EXIT_FAILED;
    }
    /* Sanitise what is shown: the state's strings come from the node. */
    char safe[WB_ATTR_VALUE_MAX + 1];
    snprintf(st.custodian, sizeof st.custodian, "%s", print_safe(st.custodian, safe, sizeof safe));
    snprintf(st.transfer_to, sizeof st.transfer_to, "%s",
             print_safe(st.transfer_to, safe, sizeof safe));
    snprintf(st.seal, sizeof st.seal, "%s", print_safe(st.seal, safe, sizeof safe));

    static const char *const header[] = {"#", "BLOCK", "TIME", "ACTION", "LOCATION",
                                         "ORG", "ATTRS", "ID"};
    struct print_table fields, table;
    print_fields_init(&fields);
    print_table_init(&table, 8, header);
    json_t *events = co->json ? json_array() : NULL;
    struct ledger_event *ev = malloc(sizeof *ev);
    struct history_evidence *x = calloc(1, sizeof *x);
    int ex = CLI_EXIT_OK;
    if (!ev || !x || (co->json && !events)) goto err_nomem;
    if (ledger_evidence_init(&x->e) != WB_OK) goto err_nomem;
    x->feed = feed;
    size_t bad = 0, late = 0;
    /* Out of order: dated before an earlier event of the item, as
     * ledger_rules_out_of_order decides it from the state before the event. */
    int64_t latest_ms = 0;
    bool seen = false;
    for (size_t i = 0; i < h->n_events; i++) {
        const Waybill__HistoryEntry *e = h->events[i];
        char seq[24], at[48], when[PRINT_TIME_MAX], org[64], attrs[PRINT_CELL_MAX];
        char id[PRINT_SHORT_HEX], why[256];
        snprintf(seq, sizeof seq, "%zu", i);
        why[0] = '\0';
        if (!e || ledger_signed_event_open(g->chain_id, e->signed_event.data,
                                           e->signed_event.len, false, ev, why,
                                           sizeof why) != WB_OK ||
            strcmp(ev->item, item) != 0) {
            if (e && !why[0]) snprintf(why, sizeof why, "the event is about item %s", ev->item);
            cli_error(co->cmd, "event %zu from the node is unreadable: %s", i,
                      why[0] ? why : "missing");
            bad++;
            continue;
        }
        snprintf(at, sizeof at, "%llu:%u", (unsigned long long)e->height, (unsigned)e->index);
        /* The registry in effect for the event's block names its signer. */
        const struct ledger_gov *gov = hist ? ledger_gov_history_at(hist, e->height) : NULL;
        const struct ledger_genesis *reg = gov ? &gov->view : g;
        history_evidence_add(x, ev, e->height, reg, gov);
        bool out_of_order = seen && ev->time_ms < latest_ms;
        if (!seen || ev->time_ms > latest_ms) latest_ms = ev->time_ms;
        seen = true;
        if (out_of_order) late++;
        if (co->json) {
            json_t *o = print_json_event(ev, reg);
            if (!o || json_object_set_new(o, "seq", json_integer((json_int_t)i)) ||
                json_object_set_new(o, "height", json_integer((json_int_t)e->height)) ||
                json_object_set_new(o, "index", json_integer((json_int_t)e->index)) ||
                json_object_set_new(o, "out_of_order", json_boolean(out_of_order)) ||
                json_array_append_new(events, o)) {
                json_decref(o);
                goto err_nomem;
            }
            continue;
        }
        if (out_of_order) {
            size_t n = strlen(print_time(ev->time_ms, when));
            snprintf(when + n, sizeof when - n, " (out of order)");
        } else {
            print_time(ev->time_ms, when);
        }
        const char *row[8] = {seq,
                              at,
                              when,
                              ledger_action_name(ev->action),
                              ev->location[0] ? ev->location : "-",
                              print_org_of(reg, ev->submitter, org, sizeof org),
                              print_event_attrs(ev, attrs, sizeof attrs),
                              print_short_hex(ev->id, id)};
        print_table_add(&table, row);
    }
    if (bad && !x->failed) {
        x->failed = true;
        snprintf(x->why, sizeof x->why, "%zu of the item's events could not be read", bad);
    }
    if (!x->failed) ledger_evidence_finish(&x->e);
    if (co->json) {
        json_t *root = json_pack("{s:s, s:o, s:I, s:o, s:o}", "item", item, "state",
                                 print_json_state(&st), "events_out_of_order", (json_int_t)late,
                                 "events", events, "evidence", history_json_evidence(x));
        events = NULL;
        int rc = print_json_out(root);
        if (rc == WB_ERR_IO) goto err_write;
        if (rc != WB_OK) goto err_nomem;
    } else {
        history_print_state(&fields, &st, late);
        if (print_table_out(&fields, stdout) != WB_OK) goto err_nomem;
        fputc('\n', stdout);
        if (print_table_out(&table, stdout) != WB_OK) goto err_nomem;
        fputc('\n', stdout);
        char why[sizeof x->why];
        if (x->failed) printf("Evidence: not shown: %s\n", print_safe(x->why, why, sizeof why));
        else if (evidence_print_text(&x->e, stdout) != WB_OK) goto err_nomem;
    }
    if (bad) {
        cli_error(co->cmd, "%zu of %zu events could not be read", bad, h->n_events);
        ex = CLI_EXIT_FAILED;
    }
    goto free_all;
err_nomem:
    cli_error(co->cmd, "out of memory");
err_write: /* cli_output_finish says "cannot write output" */
    ex = CLI_EXIT_FAILED;
free_all:
    if (x) ledger_evidence_free(&x->e);
    free(x);
    json_decref(events);
    free(ev);
    print_table_free(&table);
    print_table_free(&fields);
    return ex;
}

int cmd_history_via(const struct client_connector *conn, int argc, char **argv)
{
    struct client_opts co;
    char item[WB_ITEM_MAX + 1];
    client_opts_init(&co, "history");
    int ex = history_parse(argc, argv, &co, item);
    if (ex == CLIENT_HELP_SHOWN) return CLI_EXIT_OK;
    if (ex != CLI_EXIT_OK) return ex;
    ex = client_opts_finish(&co, &history_usage, true);
    if (ex != CLI_EXIT_OK) return ex;

    struct client_session s;
    ex = client_session_open(&s, &co, conn);
    if (ex != CLI_EXIT_OK) goto close_session;
    Waybill__ClientResponse *resp;
    int rc = client_call_item(&s.c, WAYBILL__CLIENT_REQUEST__REQ_HISTORY, item, &resp);
    if (rc != WB_OK) {
        ex = client_fail_item(&s.c, rc, item, NULL);
        goto close_session;
    }
    /* Device evidence needs the registry: the governance chain, fetched
     * only for an item with device or plan events. Without it the events
     * are judged by genesis and device owners are unknown. */
    struct ledger_gov_history hist;
    bool have_hist = false, feed = false;
    struct ledger_event *scratch = malloc(sizeof *scratch);
    if (scratch && resp->history) feed = history_has_devices(s.genesis, resp->history, scratch);
    free(scratch);
    if (feed) {
        char why[GOV_STATE_MSG_MAX];
        have_hist = gov_state_fetch_history(&s.c, s.genesis, &hist, why, sizeof why) == WB_OK;
        if (!have_hist)
            cli_error(co.cmd, "the governance chain could not be read (%s): device owners are "
                              "shown as unknown",
                      why);
    }
    ex = history_show(&co, s.genesis, item, resp->history, have_hist ? &hist : NULL, feed);
    if (have_hist) ledger_gov_history_free(&hist);
    waybill__client_response__free_unpacked(resp, NULL);
close_session:
    client_session_close(&s);
    return ex;
}

int cmd_history(int argc, char **argv)
{
    return cmd_history_via(client_net_connector(), argc, argv);
}
