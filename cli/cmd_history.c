/* `waybill history ITEM`: an item's state and its events as the node
 * records them, as a table or JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client_cmds.h"
#include "cli/id_args.h"
#include "cli/print.h"
#include "common/hex.h"
#include "common/wb_error.h"
#include "ledger/event.h"
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
        "organisation (from genesis), attributes and the first 8 hex digits of the event\n"
        "id (--json gives whole ids).\n"
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

/* Prints the answer; returns the exit code. */
static int history_show(const struct client_opts *co, const struct ledger_genesis *g,
                        const char *item, const Waybill__History *h)
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
    int ex = CLI_EXIT_OK;
    if (!ev || (co->json && !events)) goto err_nomem;
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
        bool out_of_order = seen && ev->time_ms < latest_ms;
        if (!seen || ev->time_ms > latest_ms) latest_ms = ev->time_ms;
        seen = true;
        if (out_of_order) late++;
        if (co->json) {
            json_t *o = print_json_event(ev, g);
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
                              print_org_of(g, ev->submitter, org, sizeof org),
                              print_event_attrs(ev, attrs, sizeof attrs),
                              print_short_hex(ev->id, id)};
        print_table_add(&table, row);
    }
    if (co->json) {
        json_t *root = json_pack("{s:s, s:o, s:I, s:o}", "item", item, "state",
                                 print_json_state(&st), "events_out_of_order", (json_int_t)late,
                                 "events", events);
        events = NULL;
        int rc = print_json_out(root);
        if (rc == WB_ERR_IO) goto err_write;
        if (rc != WB_OK) goto err_nomem;
    } else {
        history_print_state(&fields, &st, late);
        if (print_table_out(&fields, stdout) != WB_OK) goto err_nomem;
        fputc('\n', stdout);
        if (print_table_out(&table, stdout) != WB_OK) goto err_nomem;
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
    ex = history_show(&co, s.genesis, item, resp->history);
    waybill__client_response__free_unpacked(resp, NULL);
close_session:
    client_session_close(&s);
    return ex;
}

int cmd_history(int argc, char **argv)
{
    return cmd_history_via(client_net_connector(), argc, argv);
}
