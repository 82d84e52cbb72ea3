/* `waybill submit`: builds one event from the options, checks what can be
 * checked locally, links it to the item's head, signs it and submits it; or
 * resends the event an earlier identical submit signed and got no definite
 * answer for (cli/submit_pending.h). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/client_cmds.h"
#include "cli/id_args.h"
#include "cli/print.h"
#include "cli/submit_pending.h"
#include "common/hex.h"
#include "common/wb_error.h"
#include "ledger/event.h"
#include "ledger/ids.h"

enum {
    SUBMIT_OPT_ITEM,
    SUBMIT_OPT_ACTION,
    SUBMIT_OPT_AT,
    SUBMIT_OPT_TIME,
    SUBMIT_OPT_TO,
    SUBMIT_OPT_ATTR,
    SUBMIT_OPT_PREV,
    SUBMIT_OPT_NO_WAIT,
    SUBMIT_OPT_NEW,
    SUBMIT_OPT_NODE,
    SUBMIT_OPT_KEY,
    SUBMIT_OPT_GENESIS,
    SUBMIT_OPT_TIMEOUT,
    SUBMIT_OPT_JSON,
};

static const struct cli_opt submit_opts[] = {
    [SUBMIT_OPT_ITEM] = {"item", "ID",
                         "item id: ISO 6346 container number (upper-cased), SSCC, "
                         "(01)GTIN(21)serial or urn: (both case-sensitive, kept as given)"},
    [SUBMIT_OPT_ACTION] = {"action", "A",
                           "commission, seal, unseal, load, depart, arrive, unload, handover, "
                           "receive, inspect, hold, release, clear or deliver"},
    [SUBMIT_OPT_AT] = {"at", "LOC", "location: UN/LOCODE (NLRTM; upper-cased) or 13-digit GLN"},
    [SUBMIT_OPT_TIME] = {"time", "T",
                         "event time: RFC 3339 UTC (2026-11-22T10:00:00Z) or unix milliseconds "
                         "(default now)"},
    [SUBMIT_OPT_TO] = {"to", "ORG", "handover: the receiving member organisation"},
    [SUBMIT_OPT_ATTR] = {"attr", "K=V",
                         "attribute, repeatable (seal=..., result=ok, declaration=..., vessel=...)"},
    [SUBMIT_OPT_PREV] = {"prev", "HEX",
                         "previous event id (64 hex); default: the item's head, asked of the node"},
    [SUBMIT_OPT_NO_WAIT] = {"no-wait", NULL, "return once the node accepted the event, before "
                                             "it is committed"},
    [SUBMIT_OPT_NEW] = {"new", NULL, "sign a new event even if an identical submit got no "
                                     "answer (do not resend its kept event)"},
    [SUBMIT_OPT_NODE] = CLIENT_OPT_NODE,
    [SUBMIT_OPT_KEY] = CLIENT_OPT_KEY,
    [SUBMIT_OPT_GENESIS] = CLIENT_OPT_GENESIS,
    [SUBMIT_OPT_TIMEOUT] = CLIENT_OPT_TIMEOUT,
    [SUBMIT_OPT_JSON] = CLIENT_OPT_JSON,
};

static const struct cli_usage submit_usage = {
    .cmd = "submit",
    .synopsis = "--item ID --action A [--at LOC] [--time T] [--to ORG] [--attr K=V]... "
                "[--prev HEX] [--no-wait] [--new] [--json] [--node ADDR] [--key FILE] "
                "[--genesis FILE] [--timeout SECONDS]",
    .description =
        "Signs one event about an item with your key and submits it to the node. Unless the\n"
        "action is commission or --prev is given, the node is first asked for the item's\n"
        "head (its latest event, pending ones included), which becomes the event's prev;\n"
        "for an item the node does not know the event is sent without prev and the\n"
        "ledger rules answer. Item id, action, location, time and attributes are checked\n"
        "here first (exit 2); the ledger rules (docs/rules.md) are the node's to check.\n"
        "A container number and a UN/LOCODE are upper-cased before signing (a note on\n"
        "stderr says so when that changed them); the country of a UN/LOCODE must be an\n"
        "ISO 3166-1 code.\n"
        "Prints the event id with the height and index it was committed at; with\n"
        "--no-wait, once the node accepted it. A rejection prints \"rejected: REASON\" (a\n"
        "ledger rule's reason ends with \"(rule NAME)\") and exits 1; a node that cannot\n"
        "be reached or does not answer in time exits 3. The event time (--time, default\n"
        "now) may lie at most genesis clock_skew_ms (default 10 minutes) ahead of the\n"
        "node's clock and backdate_max_ms (default 30 days) behind it, and never before\n"
        "the item's commission.\n"
        "Before sending, the signed event is kept in a pending file (the key file's\n"
        "folder, or $WAYBILL_STATE_DIR, under pending/) until a definite answer comes.\n"
        "Running the same submit again (same key, item, action, --at, --to, --attr,\n"
        "--prev and --time) after an exit 3 resends those exact bytes, so the event is\n"
        "recorded once: the answer is then \"already committed at height H\" or the\n"
        "commit. --new signs a new event instead.\n",
    .opts = submit_opts,
    .opt_count = sizeof submit_opts / sizeof submit_opts[0],
};

/* What the options said, before it is checked. */
struct submit_args {
    const char *item;
    const char *action;
    const char *at;
    const char *time;
    const char *to;
    const char *prev;
    const char *attrs[WB_ATTRS_MAX];
    size_t attr_count;
    bool no_wait;
    bool fresh;                       /* --new */
};

/* ---- parsing and local checks ----------------------------------------------- */

static int submit_set_once(const char **slot, const char *name, const char *value)
{
    if (*slot) return cli_usage_error(&submit_usage, "--%s given twice", name);
    *slot = value;
    return CLI_EXIT_OK;
}

static bool submit_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static bool submit_digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* RFC 3339 in UTC ("YYYY-MM-DDTHH:MM:SS[.fraction]Z", 'T' and 'Z' in either
 * case), 1970 to 9999, to unix milliseconds; a finer fraction is cut to
 * milliseconds. */
static bool submit_parse_rfc3339(const char *s, int64_t *ms)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    size_t len = strlen(s);
    int y, mo, d, h, mi, sec, frac = 0;
    if (len < 20 || !submit_digits(s, 4, &y) || s[4] != '-' || !submit_digits(s + 5, 2, &mo) ||
        s[7] != '-' || !submit_digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
        !submit_digits(s + 11, 2, &h) || s[13] != ':' || !submit_digits(s + 14, 2, &mi) ||
        s[16] != ':' || !submit_digits(s + 17, 2, &sec))
        return false;
    size_t pos = 19;
    if (s[pos] == '.') {
        size_t n = 0;
        pos++;
        while (s[pos + n] >= '0' && s[pos + n] <= '9') {
            if (n < 3) frac = frac * 10 + (s[pos + n] - '0');
            n++;
        }
        if (n == 0 || n > 9) return false;
        for (size_t i = n; i < 3; i++) frac *= 10;
        pos += n;
    }
    if (pos + 1 != len || (s[pos] != 'Z' && s[pos] != 'z')) return false;
    if (y < 1970 || mo < 1 || mo > 12 || h > 23 || mi > 59 || sec > 59) return false;
    int dim = mdays[mo - 1] + (mo == 2 && submit_leap(y));
    if (d < 1 || d > dim) return false;
    int64_t days = 0;
    for (int yy = 1970; yy < y; yy++) days += submit_leap(yy) ? 366 : 365;
    for (int m = 1; m < mo; m++) days += mdays[m - 1] + (m == 2 && submit_leap(y));
    days += d - 1;
    *ms = ((days * 24 + h) * 60 + mi) * 60000 + (int64_t)sec * 1000 + frac;
    return true;
}

/* Unix milliseconds before 1973-03-03 look like seconds given by mistake. */
#define SUBMIT_MS_MIN INT64_C(100000000000)

static int submit_parse_time(const char *s, int64_t *ms)
{
    uint64_t v;
    if (s[0] >= '0' && s[0] <= '9' && strspn(s, "0123456789") == strlen(s)) {
        if (cli_parse_u64(s, 0, INT64_MAX, &v) != WB_OK)
            return cli_usage_error(&submit_usage, "--time: '%s' is out of range", s);
        if ((int64_t)v < SUBMIT_MS_MIN)
            return cli_usage_error(&submit_usage,
                                   "--time: %s looks like unix seconds; give milliseconds "
                                   "(%s000) or an RFC 3339 time",
                                   s, s);
        *ms = (int64_t)v;
        return CLI_EXIT_OK;
    }
    if (!submit_parse_rfc3339(s, ms))
        return cli_usage_error(&submit_usage,
                               "--time: expected RFC 3339 UTC such as 2026-11-22T10:00:00Z or "
                               "unix milliseconds, got '%s'",
                               s);
    return CLI_EXIT_OK;
}

static int submit_parse_attr(const char *kv, struct ledger_event *ev)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv)
        return cli_usage_error(&submit_usage, "--attr: expected KEY=VALUE, got '%s'", kv);
    size_t klen = (size_t)(eq - kv), vlen = strlen(eq + 1);
    if (klen > WB_ATTR_KEY_MAX)
        return cli_usage_error(&submit_usage, "--attr: key '%.*s' is longer than %d characters",
                               (int)klen, kv, WB_ATTR_KEY_MAX);
    for (size_t i = 0; i < klen; i++)
        if (kv[i] < 0x21 || kv[i] > 0x7e)
            return cli_usage_error(&submit_usage,
                                   "--attr: key '%.*s' must be printable ASCII without spaces",
                                   (int)klen, kv);
    if (vlen > WB_ATTR_VALUE_MAX)
        return cli_usage_error(&submit_usage, "--attr %.*s: value is %zu bytes, at most %d",
                               (int)klen, kv, vlen, WB_ATTR_VALUE_MAX);
    for (size_t i = 0; i < ev->attr_count; i++)
        if (strlen(ev->attrs[i].key) == klen && memcmp(ev->attrs[i].key, kv, klen) == 0)
            return cli_usage_error(&submit_usage, "--attr %.*s given twice", (int)klen, kv);
    struct ledger_attr *a = &ev->attrs[ev->attr_count++];
    memcpy(a->key, kv, klen);
    a->key[klen] = '\0';
    memcpy(a->value, eq + 1, vlen + 1);
    return CLI_EXIT_OK;
}

static int submit_bad_action(const char *name)
{
    char list[256];
    size_t o = 0;
    for (int a = LEDGER_COMMISSION; a < LEDGER_ACTION_COUNT && o < sizeof list; a++)
        o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", a == LEDGER_COMMISSION ? "" : ", ",
                              ledger_action_name((enum ledger_action)a));
    char safe[64];
    return cli_usage_error(&submit_usage, "--action: unknown action '%s' (one of %s)",
                           print_safe(name, safe, sizeof safe), list);
}

/* The decoder refused ev: names the --attr it refused, in the options'
 * words ("--attr seal: ..."), by decoding an event with that attribute
 * alone; else the decoder's message. Returns CLI_EXIT_USAGE. */
static int submit_bad_event(const struct ledger_event *ev, const char *msg)
{
    struct ledger_event *one = malloc(2 * sizeof *one);
    uint8_t body[WB_EVENT_BODY_MAX];
    size_t len;
    char why[512];
    for (size_t i = 0; one && i < ev->attr_count; i++) {
        *one = *ev;
        one->attrs[0] = ev->attrs[i];
        one->attr_count = 1;
        if (ledger_event_encode(one, body, sizeof body, &len) == WB_OK &&
            ledger_event_decode(body, len, one + 1, why, sizeof why) != WB_OK) {
            char key[WB_ATTR_KEY_MAX + 1];
            snprintf(key, sizeof key, "%s", ev->attrs[i].key);
            free(one);
            return cli_usage_error(&submit_usage,
                                   "--attr %s: the value must be UTF-8 text without control "
                                   "characters",
                                   key);
        }
    }
    free(one);
    return cli_usage_error(&submit_usage, "%s", msg[0] ? msg : "the event is malformed");
}

/* Fills ev from the options (all but submitter, nonce and, unless --prev,
 * prev) and checks it as the ledger will. Returns CLI_EXIT_OK or a usage
 * error. */
static int submit_build(const struct submit_args *sa, struct ledger_event *ev, bool *has_time)
{
    char msg[512];
    memset(ev, 0, sizeof *ev);
    if (!sa->item) return cli_usage_error(&submit_usage, "--item ID is required");
    if (!sa->action) return cli_usage_error(&submit_usage, "--action A is required");
    if (cli_item_arg(&submit_usage, "--item", sa->item, ev->item) != CLI_EXIT_OK)
        return CLI_EXIT_USAGE;

    ev->action = ledger_action_parse(sa->action);
    if (ev->action == LEDGER_ACTION_NONE) return submit_bad_action(sa->action);

    if (sa->at && cli_location_arg(&submit_usage, "--at", sa->at, ev->location) != CLI_EXIT_OK)
        return CLI_EXIT_USAGE;
    if (sa->to) {
        size_t n = strlen(sa->to);
        bool printable = true;
        for (size_t i = 0; i < n; i++)
            if (sa->to[i] < 0x20 || sa->to[i] > 0x7e) printable = false;
        if (n == 0 || n > WB_ORG_MAX || !printable)
            return cli_usage_error(&submit_usage,
                                   "--to: expected an organisation name of 1 to %d printable "
                                   "ASCII characters",
                                   WB_ORG_MAX);
        memcpy(ev->to_org, sa->to, n + 1);
    }
    /* The rule handover_to_member, said in the options' words before
     * anything is signed. */
    if (ev->action == LEDGER_HANDOVER && !sa->to)
        return cli_usage_error(&submit_usage,
                               "handover needs --to ORG, the receiving member organisation");
    *has_time = sa->time != NULL;
    if (sa->time) {
        int ex = submit_parse_time(sa->time, &ev->time_ms);
        if (ex != CLI_EXIT_OK) return ex;
    }
    for (size_t i = 0; i < sa->attr_count; i++) {
        int ex = submit_parse_attr(sa->attrs[i], ev);
        if (ex != CLI_EXIT_OK) return ex;
    }
    if (sa->prev) {
        if (wb_hex_decode(sa->prev, ev->prev, WB_HASH_LEN) != WB_OK)
            return cli_usage_error(&submit_usage,
                                   "--prev: expected an event id of 64 hex characters");
        ev->has_prev = true;
    }

    /* Whatever the checks above do not cover (attribute value encoding, the
     * body size), the ledger's own decoder finds. */
    uint8_t body[WB_EVENT_BODY_MAX];
    size_t len;
    struct ledger_event back;
    int rc = ledger_event_encode(ev, body, sizeof body, &len);
    if (rc != WB_OK)
        return cli_usage_error(&submit_usage, "the event is too large (at most %d bytes "
                                              "encoded)",
                               WB_EVENT_BODY_MAX);
    msg[0] = '\0';
    if (ledger_event_decode(body, len, &back, msg, sizeof msg) != WB_OK)
        return submit_bad_event(ev, msg);
    return CLI_EXIT_OK;
}

/* submit's own options (ctx: the struct submit_args being filled). */
static int submit_own_opt(void *ctx, int opt, const char *value)
{
    struct submit_args *sa = ctx;
    switch (opt) {
    case SUBMIT_OPT_ITEM:
        return submit_set_once(&sa->item, "item", value);
    case SUBMIT_OPT_ACTION:
        return submit_set_once(&sa->action, "action", value);
    case SUBMIT_OPT_AT:
        return submit_set_once(&sa->at, "at", value);
    case SUBMIT_OPT_TIME:
        return submit_set_once(&sa->time, "time", value);
    case SUBMIT_OPT_TO:
        return submit_set_once(&sa->to, "to", value);
    case SUBMIT_OPT_PREV:
        return submit_set_once(&sa->prev, "prev", value);
    case SUBMIT_OPT_ATTR:
        if (sa->attr_count == WB_ATTRS_MAX)
            return cli_usage_error(&submit_usage, "at most %d --attr options", WB_ATTRS_MAX);
        sa->attrs[sa->attr_count++] = value;
        return CLI_EXIT_OK;
    case SUBMIT_OPT_NO_WAIT:
        sa->no_wait = true;
        return CLI_EXIT_OK;
    case SUBMIT_OPT_NEW:
        sa->fresh = true;
        return CLI_EXIT_OK;
    default:
        return CLI_EXIT_OK;
    }
}

static int submit_parse(int argc, char **argv, struct client_opts *co, struct submit_args *sa)
{
    struct cli_args args;
    memset(sa, 0, sizeof *sa);
    int ex = client_args_parse(&args, &submit_usage, argc, argv, co, submit_own_opt, sa);
    if (ex != CLI_EXIT_OK) return ex;
    if (args.pos_count)
        return cli_usage_error(&submit_usage, "unexpected argument '%s'", args.pos[0]);
    return CLI_EXIT_OK;
}

/* ---- talking to the node ---------------------------------------------------------- */

/* Asks the node for the item's head and sets ev->prev from it; an item the
 * node does not know leaves ev without prev. Returns CLI_EXIT_OK or the
 * exit code of a failure (printed). */
static int submit_lookup_head(struct client *c, struct ledger_event *ev)
{
    Waybill__ClientResponse *resp;
    char what[WB_ITEM_MAX + 64];
    snprintf(what, sizeof what, "looking up the head of item %s", ev->item);
    int rc = client_call_item(c, WAYBILL__CLIENT_REQUEST__REQ_HEAD, ev->item, &resp);
    if (rc == WB_ERR_NOT_FOUND && c->node_error) return CLI_EXIT_OK;
    if (rc != WB_OK) return client_fail(c, rc, what);
    struct ledger_item_state st;
    rc = client_item_state(resp->head, &st);
    waybill__client_response__free_unpacked(resp, NULL);
    if (rc != WB_OK || (st.count > 0 && strcmp(st.item, ev->item) != 0)) {
        cli_error(c->opts->cmd, "%s: the node answered with a malformed item state", what);
        return CLI_EXIT_FAILED;
    }
    if (st.count == 0) return CLI_EXIT_OK;
    ev->has_prev = true;
    memcpy(ev->prev, st.head, WB_HASH_LEN);
    return CLI_EXIT_OK;
}

/* How the pending file of this run is handled (cli/submit_pending.h). */
struct submit_retry {
    const struct submit_pending *pending; /* NULL: the signed event could not be kept */
    bool resent;                          /* the bytes came from the pending file */
    bool keep;                            /* set by the answer: the file stays */
};

static int submit_print_json_result(const struct ledger_event *ev, const Waybill__SubmitResult *res,
                                    bool resent)
{
    bool committed = res->committed;
    json_t *o = json_pack("{s:o, s:s, s:s, s:b, s:b, s:o, s:o, s:b}", "event_id",
                          print_json_hex(ev->id, WB_HASH_LEN), "item", ev->item, "action",
                          ledger_action_name(ev->action), "committed", committed,
                          "already_committed", committed && res->already_committed, "height",
                          committed ? json_integer((json_int_t)res->height) : json_null(),
                          "index",
                          committed ? json_integer((json_int_t)res->index) : json_null(),
                          "resent", resent);
    return print_json_out(o) == WB_OK ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}

/* Whether a refusal by the node leaves the event's fate open, so that its
 * pending file stays: "busy" (a full mempool, or too many waiting clients
 * while the event is pending), and, for resent bytes, a stale prev or a
 * rule: a node that restarted and has not caught up yet may lack the events
 * that this one follows, or this very event, committed by the others. */
static bool submit_refusal_keeps(int rc, bool resent)
{
    if (rc == WB_ERR_BUSY) return true;
    return resent && (rc == WB_ERR_STALE || rc == WB_ERR_RULE);
}

/* The line after a failure whose signed event stays in the pending file. */
static void submit_note_kept(const struct client *c, const struct ledger_event *ev,
                             const struct submit_retry *rt, int rc)
{
    char id[PRINT_HEX32];
    wb_hex_encode(ev->id, WB_HASH_LEN, id, sizeof id);
    if (rt->resent && (rc == WB_ERR_STALE || rc == WB_ERR_RULE))
        cli_error(c->opts->cmd,
                  "event %s was resent from %s, which is kept: a node that has not caught up "
                  "with the ledger may not know it or the events before it yet. Run the same "
                  "submit again (or against another node) to resend it; add --new to sign a "
                  "new event only once waybill history %s on an up-to-date node does not list "
                  "it",
                  id, rt->pending->path, ev->item);
    else
        cli_error(c->opts->cmd,
                  "the signed event %s is kept in %s: run the same submit again to resend it, "
                  "or add --new to sign a new one",
                  id, rt->pending->path);
}

/* What to change on the command line when a ledger rule refused the event,
 * in the options' words (the rule's reason speaks of the event's fields).
 * NULL for a rule that no option fixes. */
static const char *submit_rule_hint(const char *rule)
{
    static const struct {
        const char *rule, *hint;
    } hints[] = {
        {"first_is_commission", "submit --action commission --at LOC first"},
        {"commission_no_prev", "leave out --prev for a commission"},
        {"prev_present", "leave out --prev: the node's head of the item is then used"},
        {"prev_is_head", "leave out --prev: the node's head of the item is then used"},
        {"location_required", "give the location with --at LOC"},
        {"time_future", "give --time no later than now (or correct this machine's clock)"},
        {"time_backdated", "give a later --time"},
        {"time_before_commission", "give a --time after the item's commission"},
        {"to_org_handover_only", "--to is only for --action handover; leave it out"},
        {"handover_to_member", "give --to a member organisation of genesis"},
        {"handover_to_other", "give --to an organisation other than the custodian"},
        {"load_location", "give --at the item's current location"},
        {"depart_location", "give --at where the item was loaded or last arrived"},
        {"unload_location", "give --at where the item arrived"},
        {"seal_mismatch", "give --attr seal=ID of the active seal, or leave it out"},
        {"seal_attr_required", "give the seal id with --attr seal=ID"},
        {"unseal_names_seal", "give --attr seal=ID of the active seal"},
        {"inspect_result", "give --attr result=ok or --attr result=discrepancy"},
        {"clear_declaration", "give the declaration with --attr declaration=REF"},
        {"submitter_member", "give --key a member client key of genesis"},
    };
    for (size_t i = 0; rule && i < sizeof hints / sizeof hints[0]; i++)
        if (strcmp(hints[i].rule, rule) == 0) return hints[i].hint;
    return NULL;
}

static int submit_rejected(const struct client *c, int rc, const struct ledger_event *ev,
                           struct submit_retry *rt, struct submit_outcome *out)
{
    if (out) out->refused = c->node_error ? rc : 0;
    if (out && out->quiet_stale && c->node_error && rc == WB_ERR_STALE && !rt->resent) {
        rt->keep = false;
        return CLI_EXIT_FAILED;
    }
    char id[PRINT_HEX32];
    wb_hex_encode(ev->id, WB_HASH_LEN, id, sizeof id);
    /* Unless the node refused the event for what it is, its fate is open. */
    rt->keep = rt->pending && (!c->node_error || rc == WB_ERR_TIMEOUT ||
                               submit_refusal_keeps(rc, rt->resent));
    const char *code = c->node_error ? client_refusal_code(rc, c->reason) : NULL;
    /* The hints speak of waybill submit's options: not for the events
     * waybill gov and waybill key build. */
    const char *hint =
        rc == WB_ERR_RULE && !ledger_action_is_gov(ev->action) ? submit_rule_hint(code) : NULL;
    if (c->opts->json && c->node_error) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:b, s:s, s:i, s:s, s:s, s:b, s:b}",
                              "event_id", id, "item", ev->item, "action",
                              ledger_action_name(ev->action), "committed", 0, "rejected", 1,
                              "code", code, "wb_code", rc,
                              "error", wb_strerror(rc), "reason", c->reason, "resent",
                              rt->resent, "kept", rt->keep);
        if (o && hint) json_object_set_new(o, "hint", json_string(hint));
        /* A refusal exits non-zero and says why on stderr as well; a lost
         * write of stdout is reported by cli_output_finish. */
        WB_IGNORE_RESULT(print_json_out(o));
    }
    bool unreachable = c->node_error ? rc == WB_ERR_TIMEOUT
                                     : rc == WB_ERR_TIMEOUT || rc == WB_ERR_CLOSED ||
                                           rc == WB_ERR_IO;
    if (unreachable) {
        if (rt->keep)
            cli_error(c->opts->cmd,
                      "%s%s; event %s may still be committed: run the same submit again to "
                      "resend it (kept in %s), or check with waybill history %s",
                      c->node_error ? "timed out: " : "", c->reason, id, rt->pending->path,
                      ev->item);
        else
            cli_error(c->opts->cmd,
                      "%s%s; event %s may still be committed: check with waybill history %s",
                      c->node_error ? "timed out: " : "", c->reason, id, ev->item);
        return CLI_EXIT_UNREACHABLE;
    }
    int ex;
    if (c->node_error) {
        cli_error(c->opts->cmd, "rejected: %s", c->reason);
        if (hint) cli_error(c->opts->cmd, "hint: %s", hint);
        ex = CLI_EXIT_FAILED;
    } else {
        ex = client_fail(c, rc, "submitting the event");
    }
    if (rt->keep) submit_note_kept(c, ev, rt, rc);
    return ex;
}

static int submit_send(struct client *c, const struct ledger_event *ev, const uint8_t *signed_ev,
                       size_t len, bool no_wait, struct submit_retry *rt,
                       struct submit_outcome *out)
{
    Waybill__SubmitRequest sr = WAYBILL__SUBMIT_REQUEST__INIT;
    Waybill__ClientRequest req = WAYBILL__CLIENT_REQUEST__INIT;
    Waybill__ClientResponse *resp;
    sr.signed_event.data = (uint8_t *)signed_ev;
    sr.signed_event.len = len;
    sr.no_wait = no_wait;
    req.req_case = WAYBILL__CLIENT_REQUEST__REQ_SUBMIT;
    req.submit = &sr;
    rt->keep = false;
    int rc = client_call(c, &req, WAYBILL__CLIENT_RESPONSE__RESP_SUBMIT, &resp);
    if (rc != WB_OK) return submit_rejected(c, rc, ev, rt, out);

    const Waybill__SubmitResult *res = resp->submit;
    char id[PRINT_HEX32];
    wb_hex_encode(ev->id, WB_HASH_LEN, id, sizeof id);
    int ex = CLI_EXIT_OK;
    if (!res || res->event_id.len != WB_HASH_LEN ||
        memcmp(res->event_id.data, ev->id, WB_HASH_LEN) != 0) {
        cli_error(c->opts->cmd, "the node's answer names another event than %s", id);
        ex = CLI_EXIT_FAILED;
        rt->keep = rt->pending != NULL;
    } else if (!res->committed && !no_wait) {
        cli_error(c->opts->cmd, "the node answered before event %s was committed", id);
        ex = CLI_EXIT_FAILED;
        rt->keep = rt->pending != NULL;
    } else if (out) {
        out->committed = res->committed;
        out->already_committed = res->committed && res->already_committed;
        out->height = res->height;
        out->index = res->index;
        out->resent = rt->resent;
    } else if (c->opts->json) {
        ex = submit_print_json_result(ev, res, rt->resent);
    } else if (res->committed) {
        printf("event %s %scommitted at height %llu, index %u\n", id,
               res->already_committed ? "already " : "", (unsigned long long)res->height,
               (unsigned)res->index);
    } else {
        printf("event %s accepted, not waited for\n", id);
    }
    if (rt->keep) submit_note_kept(c, ev, rt, WB_ERR_PROTOCOL);
    waybill__client_response__free_unpacked(resp, NULL);
    return ex;
}

/* If an identical submit left its signed event in p's file, loads it into
 * ev and signed_ev and says so on stderr (*resent). A file that holds
 * something else stops the command (exit 1) unless --new is given. */
static int submit_resume(const struct client_session *s, const struct submit_pending *p,
                         struct ledger_event *ev, uint8_t *signed_ev, size_t cap, size_t *len,
                         bool *resent)
{
    char msg[512];
    int64_t signed_at_ms = 0;
    struct ledger_event kept;
    *resent = false;
    int rc = submit_pending_load(p, s->genesis->chain_id, s->pk, signed_ev, cap, len, &kept,
                                 &signed_at_ms, msg, sizeof msg);
    if (rc == WB_ERR_NOT_FOUND) return CLI_EXIT_OK;
    if (rc != WB_OK) {
        cli_error(s->c.opts->cmd,
                  "pending file %s: %s; remove it, or add --new to sign a new event", p->path,
                  msg);
        return CLI_EXIT_FAILED;
    }
    *ev = kept;
    *resent = true;
    char when[PRINT_TIME_MAX], id[PRINT_HEX32];
    cli_error(s->c.opts->cmd,
              "resending the event signed at %s (id %s), which got no definite answer (kept "
              "in %s; --new signs a new event instead)",
              print_time(signed_at_ms, when), wb_hex_encode(kept.id, WB_HASH_LEN, id, sizeof id),
              p->path);
    return CLI_EXIT_OK;
}

/* Keeps the freshly signed event in p's file before it is sent. A file that
 * cannot be written does not stop the submit: it is said on stderr, and p
 * is then not used. Returns whether the file was written. */
static bool submit_keep(const char *cmd, const struct submit_pending *p, bool path_ok,
                        const uint8_t *signed_ev, size_t len)
{
    char msg[CLIENT_PATH_MAX + 128];
    if (!path_ok)
        snprintf(msg, sizeof msg, "the path of its pending file would be too long");
    else if (submit_pending_save(p, signed_ev, len, msg, sizeof msg) == WB_OK)
        return true;
    cli_error(cmd,
              "cannot keep the signed event for a retry (%s; set %s to a writable folder): if "
              "this submit gets no answer, running it again signs a new event",
              msg, SUBMIT_PENDING_ENV_STATE);
    return false;
}

/* After the answer: removes the pending file unless it is to be kept. */
static void submit_settle(const char *cmd, const struct submit_retry *rt)
{
    if (!rt->pending || rt->keep) return;
    if (submit_pending_remove(rt->pending) != WB_OK)
        cli_error(cmd,
                  "cannot remove %s: an identical submit would resend this event (and be "
                  "told where it is) until the file is removed",
                  rt->pending->path);
}


int cmd_submit_via(const struct client_connector *conn, int argc, char **argv)
{
    struct client_opts co;
    struct submit_args sa;
    struct ledger_event ev;
    bool has_time = false;
    client_opts_init(&co, "submit");
    int ex = submit_parse(argc, argv, &co, &sa);
    if (ex == CLIENT_HELP_SHOWN) return CLI_EXIT_OK;
    if (ex != CLI_EXIT_OK) return ex;
    ex = submit_build(&sa, &ev, &has_time);
    if (ex != CLI_EXIT_OK) return ex;
    ex = client_opts_finish(&co, &submit_usage, true);
    if (ex != CLI_EXIT_OK) return ex;

    struct client_session s;
    ex = client_session_open(&s, &co, conn);
    if (ex == CLI_EXIT_OK)
        ex = submit_session_event(&s, &ev, has_time, sa.fresh, sa.no_wait, NULL);
    client_session_close(&s);
    return ex;
}

int submit_session_event(struct client_session *s, struct ledger_event *ev, bool has_time,
                         bool fresh, bool no_wait, struct submit_outcome *out)
{
    const char *cmd = s->c.opts->cmd;
    int ex = CLI_EXIT_OK;
    uint8_t signed_ev[WB_SIGNED_EVENT_MAX];
    size_t len = 0;
    struct submit_pending pending;
    struct submit_retry rt = {.pending = NULL, .resent = false, .keep = false};
    /* The key of "the same submit" is taken from the options, before a head
     * lookup fills prev. */
    bool path_ok = submit_pending_init(&pending, s->c.opts->key, s->genesis->chain_id, s->pk, ev,
                                       ev->has_prev, has_time) == WB_OK;
    if (path_ok && !fresh) {
        ex = submit_resume(s, &pending, ev, signed_ev, sizeof signed_ev, &len, &rt.resent);
        if (ex != CLI_EXIT_OK) goto done;
    }
    if (rt.resent) {
        rt.pending = &pending;
    } else {
        if (ev->action != LEDGER_COMMISSION && !ev->has_prev) {
            ex = submit_lookup_head(&s->c, ev);
            if (ex != CLI_EXIT_OK) goto done;
        }
        memcpy(ev->submitter, s->pk, WB_PUBKEY_LEN);
        randombytes_buf(&ev->nonce, sizeof ev->nonce);
        if (!has_time) ev->time_ms = cli_now_ms();
        int rc =
            ledger_event_sign(s->genesis->chain_id, ev, s->sk, signed_ev, sizeof signed_ev, &len);
        if (rc != WB_OK) {
            cli_error(cmd, "cannot sign the event: %s", wb_strerror(rc));
            ex = CLI_EXIT_FAILED;
            goto done;
        }
        if (submit_keep(cmd, &pending, path_ok, signed_ev, len)) rt.pending = &pending;
    }
    ex = submit_send(&s->c, ev, signed_ev, len, no_wait, &rt, out);
    submit_settle(cmd, &rt);
done:
    return ex;
}

int cmd_submit(int argc, char **argv) { return cmd_submit_via(client_net_connector(), argc, argv); }
