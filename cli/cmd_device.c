/* `waybill device register | retire | list | attach | detach | submit |
 * import`: smart seals, trackers and sensors (docs/devices.md). register
 * and retire are governance events of the device's owner; attach and
 * detach are events of the item's custodian; submit and import carry
 * reports the device signs, in events the gateway's member key signs. */
#include <inttypes.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client_cmds.h"
#include "cli/commands.h"
#include "cli/device_import.h"
#include "cli/device_send.h"
#include "cli/gov_state.h"
#include "cli/id_args.h"
#include "cli/print.h"
#include "common/hex.h"
#include "common/wb_error.h"
#include "ledger/device.h"
#include "ledger/ids.h"

enum {
    DEV_OPT_DEVICE,
    DEV_OPT_KIND,
    DEV_OPT_SERIAL,
    DEV_OPT_SEAL,
    DEV_OPT_ORG,
    DEV_OPT_TIME,
    DEV_OPT_DEVICE_KEY,
    DEV_OPT_SEAL_STATE,
    DEV_OPT_LAT,
    DEV_OPT_LON,
    DEV_OPT_ACCURACY,
    DEV_OPT_LOCODE,
    DEV_OPT_MEASURE,
    DEV_OPT_VALUE,
    DEV_OPT_AT,
    DEV_OPT_SEQ,
    DEV_OPT_NEW,
    DEV_OPT_NO_WAIT,
    DEV_OPT_COUNT
};

#define DEV_OPT_DEVICE_INIT                                                                 \
    {"device", "HEX|FILE", "the device's public key: 64 hex digits, or its key file"}
#define DEV_OPT_KIND_INIT {"kind", "KIND", "eseal, tracker, temperature, shock, humidity or light"}
#define DEV_OPT_SERIAL_INIT                                                                 \
    {"serial", "S", "the device's serial: printable ASCII, no space, at most 64"}
#define DEV_OPT_SEAL_INIT                                                                   \
    {"seal", "N", "the ISO 17712 seal number (A-Z, 0-9, '-'; at most 32); an e-seal's at "  \
                  "register (required there), the one reported with --seal-state"}
#define DEV_OPT_ORG_INIT {"org", "ORG", "only the devices of this organisation"}
#define DEV_OPT_TIME_INIT {"time", "TIME", "the event time, RFC 3339 UTC or now (default now)"}
#define DEV_OPT_DEVICE_KEY_INIT                                                             \
    {"device-key", "FILE", "the device's key file: it signs the report"}
#define DEV_OPT_SEAL_STATE_INIT                                                             \
    {"seal-state", "STATE",                                                                 \
     "a seal_status report: armed (with --seal), intact, opened or tampered"}
#define DEV_OPT_LAT_INIT {"lat", "DEG", "a position report: latitude in degrees (-90 .. 90)"}
#define DEV_OPT_LON_INIT {"lon", "DEG", "a position report: longitude in degrees (-180 .. 180)"}
#define DEV_OPT_ACCURACY_INIT {"accuracy", "M", "position: accuracy in whole metres"}
#define DEV_OPT_LOCODE_INIT {"locode", "LOC", "position: the UN/LOCODE of the place, if known"}
#define DEV_OPT_MEASURE_INIT                                                                \
    {"measure", "M", "a reading: temperature (C), humidity (%RH), shock (g) or light (lx)"}
#define DEV_OPT_VALUE_INIT {"value", "V", "a reading: the value in the measure's unit"}
#define DEV_OPT_AT_INIT                                                                     \
    {"at", "TIME", "when the device observed it, RFC 3339 UTC or now (default now)"}
#define DEV_OPT_SEQ_INIT                                                                    \
    {"seq", "N",                                                                            \
     "the report's counter (default: one more than the device's last report on the item); " \
     "one the device used on the item already is refused"}
#define DEV_OPT_NEW_INIT                                                                    \
    {"new", NULL,                                                                           \
     "sign a new event even if an identical one got no answer (do not resend its kept "     \
     "event)"}
#define DEV_OPT_NO_WAIT_INIT {"no-wait", NULL, "return once the node accepted it, not committed"}

static const struct cli_opt dev_all_opts[DEV_OPT_COUNT] = {
    [DEV_OPT_DEVICE] = DEV_OPT_DEVICE_INIT,
    [DEV_OPT_KIND] = DEV_OPT_KIND_INIT,
    [DEV_OPT_SERIAL] = DEV_OPT_SERIAL_INIT,
    [DEV_OPT_SEAL] = DEV_OPT_SEAL_INIT,
    [DEV_OPT_ORG] = DEV_OPT_ORG_INIT,
    [DEV_OPT_TIME] = DEV_OPT_TIME_INIT,
    [DEV_OPT_DEVICE_KEY] = DEV_OPT_DEVICE_KEY_INIT,
    [DEV_OPT_SEAL_STATE] = DEV_OPT_SEAL_STATE_INIT,
    [DEV_OPT_LAT] = DEV_OPT_LAT_INIT,
    [DEV_OPT_LON] = DEV_OPT_LON_INIT,
    [DEV_OPT_ACCURACY] = DEV_OPT_ACCURACY_INIT,
    [DEV_OPT_LOCODE] = DEV_OPT_LOCODE_INIT,
    [DEV_OPT_MEASURE] = DEV_OPT_MEASURE_INIT,
    [DEV_OPT_VALUE] = DEV_OPT_VALUE_INIT,
    [DEV_OPT_AT] = DEV_OPT_AT_INIT,
    [DEV_OPT_SEQ] = DEV_OPT_SEQ_INIT,
    [DEV_OPT_NEW] = DEV_OPT_NEW_INIT,
    [DEV_OPT_NO_WAIT] = DEV_OPT_NO_WAIT_INIT,
};

#define DEV_COMMON CLIENT_OPT_NODE, CLIENT_OPT_KEY, CLIENT_OPT_GENESIS, CLIENT_OPT_TIMEOUT, CLIENT_OPT_JSON
#define DEV_O(i) dev_all_opts[i]
static const struct cli_opt register_opts[] = {DEV_OPT_DEVICE_INIT, DEV_OPT_KIND_INIT,
                                               DEV_OPT_SERIAL_INIT, DEV_OPT_SEAL_INIT,
                                               DEV_OPT_NEW_INIT,    DEV_COMMON};
static const struct cli_opt retire_opts[] = {DEV_OPT_NEW_INIT, DEV_COMMON};
static const struct cli_opt dlist_opts[] = {DEV_OPT_ORG_INIT, DEV_COMMON};
static const struct cli_opt attach_opts[] = {DEV_OPT_DEVICE_INIT, DEV_OPT_TIME_INIT,
                                             DEV_OPT_NEW_INIT, DEV_OPT_NO_WAIT_INIT, DEV_COMMON};
static const struct cli_opt dsubmit_opts[] = {
    DEV_OPT_DEVICE_KEY_INIT, DEV_OPT_SEAL_STATE_INIT, DEV_OPT_SEAL_INIT,    DEV_OPT_LAT_INIT,
    DEV_OPT_LON_INIT,        DEV_OPT_ACCURACY_INIT,   DEV_OPT_LOCODE_INIT,  DEV_OPT_MEASURE_INIT,
    DEV_OPT_VALUE_INIT,      DEV_OPT_AT_INIT,         DEV_OPT_SEQ_INIT,     DEV_OPT_NEW_INIT,
    DEV_OPT_NO_WAIT_INIT,    DEV_COMMON};
static const struct cli_opt dev_common_opts[] = {DEV_COMMON};
#define DEV_N(t) (sizeof t / sizeof t[0])
#define DEV_CLIENT_SYNOPSIS "[--json] [--node ADDR] [--key FILE] [--genesis FILE] [--timeout SECONDS]"

static const struct cli_usage register_usage = {
    .cmd = "device register",
    .synopsis = "--device HEX|FILE --kind KIND --serial S [--seal N] [--new] " DEV_CLIENT_SYNOPSIS,
    .description =
        "Registers a device of the --key signer's organisation, without a vote: signs a\n"
        "device_register event on the governance chain (" WB_GOV_CHAIN "), submits it\n"
        "and waits for its commit. From the next block on the device may report on items\n"
        "it is attached to. An e-seal (--kind eseal) names its ISO 17712 seal number\n"
        "with --seal; other kinds take none. A key is used once on a chain: one that is\n"
        "already a member's, a validator's or a device's is refused. Checked here first\n"
        "against the governance chain (\"refused: REASON\", exit 1, nothing signed).\n",
    .opts = register_opts,
    .opt_count = DEV_N(register_opts),
};

static const struct cli_usage retire_usage = {
    .cmd = "device retire",
    .synopsis = "DEVICE [--new] " DEV_CLIENT_SYNOPSIS,
    .description =
        "Retires DEVICE (64 hex digits or its key file), a device the --key signer's\n"
        "organisation registered: signs a device_retire event on the governance chain,\n"
        "submits it and waits for its commit. From the next block on its reports are\n"
        "refused; those already on the ledger stay.\n",
    .opts = retire_opts,
    .opt_count = DEV_N(retire_opts),
};

static const struct cli_usage dlist_usage = {
    .cmd = "device list",
    .synopsis = "[--org ORG] " DEV_CLIENT_SYNOPSIS,
    .description =
        "Lists every device the chain registered, as the governance chain replayed here\n"
        "from the genesis file shows them: key, owner, kind, serial, seal number, the\n"
        "height that registered it and its status (active, or retired at height H).\n",
    .opts = dlist_opts,
    .opt_count = DEV_N(dlist_opts),
};

static const struct cli_usage attach_usage = {
    .cmd = "device attach",
    .synopsis = "ITEM --device HEX|FILE [--time TIME] [--new] [--no-wait] " DEV_CLIENT_SYNOPSIS,
    .description =
        "Attaches a registered, active device to ITEM: a device_attach event on the\n"
        "item's chain, signed with --key, which must be the custodian's (rule\n"
        "device_link_by_custodian). While attached, the device's reports on ITEM are\n"
        "taken; observations dated before the attachment are refused. An item holds\n"
        "at most 8 devices at once.\n",
    .opts = attach_opts,
    .opt_count = DEV_N(attach_opts),
};

static const struct cli_usage detach_usage = {
    .cmd = "device detach",
    .synopsis = "ITEM --device HEX|FILE [--time TIME] [--new] [--no-wait] " DEV_CLIENT_SYNOPSIS,
    .description =
        "Detaches a device from ITEM: a device_detach event on the item's chain, signed\n"
        "by the custodian. From then on the device's reports on ITEM are refused.\n",
    .opts = attach_opts,
    .opt_count = DEV_N(attach_opts),
};

static const struct cli_usage dsubmit_usage = {
    .cmd = "device submit",
    .synopsis = "ITEM --device-key FILE (--seal-state STATE [--seal N] | --lat DEG --lon DEG "
                "[--accuracy M] [--locode LOC] | --measure M --value V) [--at TIME] [--seq N] "
                "[--new] [--no-wait] " DEV_CLIENT_SYNOPSIS,
    .description =
        "Submits one observation of a device about ITEM, as a gateway does: the report\n"
        "(seal_status, position or reading, with its own counter --seq) is signed with\n"
        "the device's key (--device-key) and carried in an event signed with your\n"
        "member key (--key), which any member may do. Reports are evidence, never\n"
        "gates: a seal reported opened is recorded and shown by waybill verify, not\n"
        "refused. The ledger refuses a report of a device not registered, retired or\n"
        "not attached to ITEM, of a kind the device does not make, dated before the\n"
        "attachment or after now, and one whose --seq the device used on ITEM already\n"
        "(a replay). The result names the event, its block and the seq used. Many\n"
        "readings at once: waybill device import.\n",
    .opts = dsubmit_opts,
    .opt_count = DEV_N(dsubmit_opts),
};

static const struct cli_usage device_usage = {
    .cmd = "device",
    .synopsis = "register | retire | list | attach | detach | submit | import  [--json] "
                "[--node ADDR] [--key FILE] [--genesis FILE] [--timeout SECONDS]",
    .description =
        "Smart seals, trackers and sensors (docs/devices.md):\n"
        "  register  register a device of your organisation (governance chain, no vote)\n"
        "  retire    retire one of your organisation's devices\n"
        "  list      every device the chain registered, with its status\n"
        "  attach    attach a device to an item (the custodian)\n"
        "  detach    detach it\n"
        "  submit    submit one observation a device signed\n"
        "  import    submit a gateway's file of readings, in batches\n"
        "waybill device SUBCOMMAND --help shows a subcommand's options. Every subcommand\n"
        "talks to a node and takes these:\n",
    .opts = dev_common_opts,
    .opt_count = DEV_N(dev_common_opts),
};

struct dev_args {
    const struct cli_usage *u;
    const char *vals[DEV_OPT_COUNT];
    bool fresh, no_wait;
};

static int dev_own_opt(void *ctx, int i, const char *value)
{
    struct dev_args *da = ctx;
    int opt = 0;
    while (opt < DEV_OPT_COUNT && strcmp(DEV_O(opt).name, da->u->opts[i].name) != 0) opt++;
    if (opt == DEV_OPT_NEW) {
        da->fresh = true;
        return CLI_EXIT_OK;
    }
    if (opt == DEV_OPT_NO_WAIT) {
        da->no_wait = true;
        return CLI_EXIT_OK;
    }
    if (opt == DEV_OPT_COUNT) return CLI_EXIT_OK;
    return client_opt_once(da->u, &da->vals[opt], DEV_O(opt).name, value);
}

static int dev_parse(const struct cli_usage *u, int argc, char **argv, struct client_opts *co,
                     struct dev_args *da, size_t npos, const char *pos_name, char **pos)
{
    struct cli_args args;
    memset(da, 0, sizeof *da);
    da->u = u;
    int ex = client_args_parse(&args, u, argc, argv, co, dev_own_opt, da);
    if (ex != CLI_EXIT_OK) return ex;
    if (args.pos_count < npos) return cli_usage_error(u, "%s is required", pos_name);
    if (args.pos_count > npos)
        return cli_usage_error(u, "unexpected argument '%s'", args.pos[npos]);
    if (npos) *pos = args.pos[0];
    return CLI_EXIT_OK;
}

/* A decimal number option (degrees, a reading's value). */
static int dev_parse_number(const struct cli_usage *u, const char *name, const char *s, double *v)
{
    char *end;
    *v = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(*v))
        return cli_usage_error(u, "--%s: expected a decimal number, got '%.40s'", name, s);
    return CLI_EXIT_OK;
}

/* "active" or "retired at height H". */
static const char *dev_status(const struct ledger_gov_device *d, char *out, size_t cap)
{
    if (!d->retired) snprintf(out, cap, "active");
    else snprintf(out, cap, "retired at height %" PRIu64, d->retired_height);
    return out;
}

static json_t *dev_json(const struct ledger_gov_device *d)
{
    return json_pack("{s:o, s:o, s:s, s:o, s:o, s:I, s:o, s:b, s:o}", "device",
                     print_json_hex(d->pk, WB_PUBKEY_LEN), "owner", print_json_text(d->owner),
                     "kind", ledger_device_kind_name(d->kind), "serial",
                     print_json_text(d->serial), "seal",
                     d->seal[0] ? print_json_text(d->seal) : json_null(), "registered_height",
                     (json_int_t)d->registered_height, "registered_event",
                     print_json_hex(d->registered_event, WB_HASH_LEN), "retired", d->retired,
                     "retired_height",
                     d->retired ? json_integer((json_int_t)d->retired_height) : json_null());
}

/* ---- register, retire, list ------------------------------------------------------ */

/* Submits governance event ev about device pk and prints its record. */
static int dev_gov_submit(const struct client_connector *conn, const struct client_opts *co,
                          struct ledger_event *ev, const uint8_t pk[WB_PUBKEY_LEN], bool fresh)
{
    struct client_session s;
    struct ledger_gov gv;
    int ex = gov_state_open(&s, co, conn, &gv);
    if (ex != CLI_EXIT_OK) {
        client_session_close(&s);
        return ex;
    }
    struct submit_outcome out = {0};
    if (gov_state_signer(&s, &gv) < 0) ex = CLI_EXIT_FAILED;
    else ex = gov_state_submit(&s, &gv, ev, fresh, &out);
    const struct ledger_gov_device *d = ex == CLI_EXIT_OK ? ledger_gov_device_find(&gv, pk) : NULL;
    char hex[PRINT_HEX32], st[64], org[4 * WB_ORG_MAX + 8], serial[4 * WB_DEVICE_SERIAL_MAX + 8];
    wb_hex_encode(pk, WB_PUBKEY_LEN, hex, sizeof hex);
    if (ex == CLI_EXIT_OK && !d) {
        cli_error(co->cmd,
                  "the event was committed at height %" PRIu64
                  ", but the node's governance chain does not show device %s",
                  out.height, hex);
        ex = CLI_EXIT_FAILED;
    } else if (ex == CLI_EXIT_OK && co->json) {
        json_t *o = json_pack("{s:o, s:s, s:I, s:I, s:b, s:b, s:o}", "event_id",
                              print_json_hex(ev->id, WB_HASH_LEN), "action",
                              ledger_action_name(ev->action), "height", (json_int_t)out.height,
                              "index", (json_int_t)out.index, "already_committed",
                              out.already_committed, "resent", out.resent, "device",
                              dev_json(d));
        ex = print_exit(co->cmd, print_json_out(o));
    } else if (ex == CLI_EXIT_OK) {
        printf("device %s (%s %s%s%s) of '%s' %s at height %" PRIu64 ": %s\n", hex,
               ledger_device_kind_name(d->kind), print_safe(d->serial, serial, sizeof serial),
               d->seal[0] ? ", seal " : "", d->seal, print_safe(d->owner, org, sizeof org),
               ev->action == LEDGER_DEVICE_REGISTER ? "registered" : "retired", out.height,
               dev_status(d, st, sizeof st));
    }
    ledger_gov_free(&gv);
    client_session_close(&s);
    return ex;
}

/* Builds the governance event of *a and submits it. */
static int dev_gov_event(const struct client_connector *conn, const struct client_opts *co,
                         const struct ledger_gov_action *a, bool fresh)
{
    char msg[1024];
    struct ledger_event *ev = calloc(1, sizeof *ev);
    if (!ev || ledger_gov_action_encode(a, ev, msg, sizeof msg) != WB_OK) {
        cli_error(co->cmd, "%s", ev ? msg : "out of memory");
        free(ev);
        return CLI_EXIT_FAILED;
    }
    int ex = dev_gov_submit(conn, co, ev, a->key, fresh);
    free(ev);
    return ex;
}

static int dev_register(const struct client_connector *conn, int argc, char **argv)
{
    struct client_opts co;
    struct dev_args da;
    client_opts_init(&co, "device register");
    int ex = dev_parse(&register_usage, argc, argv, &co, &da, 0, NULL, NULL);
    if (ex == CLIENT_HELP_SHOWN) return CLI_EXIT_OK;
    if (ex != CLI_EXIT_OK) return ex;
    const char *dev = da.vals[DEV_OPT_DEVICE], *kind = da.vals[DEV_OPT_KIND],
               *serial = da.vals[DEV_OPT_SERIAL], *seal = da.vals[DEV_OPT_SEAL];
    if (!dev) return cli_usage_error(&register_usage, "--device HEX|FILE is required");
    if (!kind) return cli_usage_error(&register_usage, "--kind KIND is required");
    if (!serial) return cli_usage_error(&register_usage, "--serial S is required");
    struct ledger_gov_action a;
    char msg[1024];
    memset(&a, 0, sizeof a);
    a.action = LEDGER_DEVICE_REGISTER;
    if (gov_state_key_arg(dev, a.key, msg, sizeof msg) != WB_OK)
        return cli_usage_error(&register_usage, "--device: %s", msg);
    a.device_kind = ledger_device_kind_parse(kind);
    if (a.device_kind == LEDGER_DEVICE_NONE)
        return cli_usage_error(&register_usage,
                               "--kind: expected eseal, tracker, temperature, shock, humidity "
                               "or light, got '%.40s'",
                               kind);
    if (!ledger_device_serial_ok(serial, strlen(serial)))
        return cli_usage_error(&register_usage,
                               "--serial: expected 1 to %d printable ASCII characters without "
                               "space",
                               WB_DEVICE_SERIAL_MAX);
    snprintf(a.serial, sizeof a.serial, "%s", serial);
    if (a.device_kind == LEDGER_DEVICE_ESEAL && !seal)
        return cli_usage_error(&register_usage,
                               "--kind eseal needs --seal N, its ISO 17712 seal number");
    if (a.device_kind != LEDGER_DEVICE_ESEAL && seal)
        return cli_usage_error(&register_usage, "--seal is for --kind eseal only");
    if (seal) {
        if (!ledger_seal_number_ok(seal, strlen(seal)))
            return cli_usage_error(&register_usage,
                                   "--seal: '%.40s' is not an ISO 17712 seal number (1 to %d "
                                   "of A-Z, 0-9 and '-')",
                                   seal, WB_SEAL_NUMBER_MAX);
        snprintf(a.seal, sizeof a.seal, "%s", seal);
    }
    ex = client_opts_finish(&co, &register_usage, true);
    if (ex != CLI_EXIT_OK) return ex;
    return dev_gov_event(conn, &co, &a, da.fresh);
}

static int dev_retire(const struct client_connector *conn, int argc, char **argv)
{
    struct client_opts co;
    struct dev_args da;
    char *dev = NULL;
    client_opts_init(&co, "device retire");
    int ex = dev_parse(&retire_usage, argc, argv, &co, &da, 1, "DEVICE", &dev);
    if (ex == CLIENT_HELP_SHOWN) return CLI_EXIT_OK;
    if (ex != CLI_EXIT_OK) return ex;
    struct ledger_gov_action a;
    char msg[1024];
    memset(&a, 0, sizeof a);
    a.action = LEDGER_DEVICE_RETIRE;
    if (gov_state_key_arg(dev, a.key, msg, sizeof msg) != WB_OK)
        return cli_usage_error(&retire_usage, "DEVICE: %s", msg);
    ex = client_opts_finish(&co, &retire_usage, true);
    if (ex != CLI_EXIT_OK) return ex;
    return dev_gov_event(conn, &co, &a, da.fresh);
}

static int dev_list_print(const struct client_opts *co, const struct ledger_gov *gv,
                          const char *org)
{
    if (co->json) {
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < gv->device_count; i++) {
            if (org && strcmp(gv->devices[i].owner, org) != 0) continue;
            if (json_array_append_new(arr, dev_json(&gv->devices[i]))) {
                json_decref(arr);
                arr = NULL;
            }
        }
        return print_json_out(
            json_pack("{s:I, s:o}", "height", (json_int_t)gv->height, "devices", arr));
    }
    static const char *const header[] = {"DEVICE", "OWNER", "KIND", "SERIAL",
                                         "SEAL",   "ADDED", "STATUS"};
    struct print_table t;
    print_table_init(&t, 7, header);
    size_t shown = 0;
    for (size_t i = 0; i < gv->device_count; i++) {
        const struct ledger_gov_device *d = &gv->devices[i];
        if (org && strcmp(d->owner, org) != 0) continue;
        char hex[PRINT_HEX32], o[4 * WB_ORG_MAX + 8], serial[4 * WB_DEVICE_SERIAL_MAX + 8],
            added[32], st[64];
        snprintf(added, sizeof added, "height %" PRIu64, d->registered_height);
        const char *row[7] = {wb_hex_encode(d->pk, WB_PUBKEY_LEN, hex, sizeof hex),
                              print_safe(d->owner, o, sizeof o),
                              ledger_device_kind_name(d->kind),
                              print_safe(d->serial, serial, sizeof serial),
                              d->seal[0] ? d->seal : "-",
                              added,
                              dev_status(d, st, sizeof st)};
        print_table_add(&t, row);
        shown++;
    }
    int rc = WB_OK;
    if (shown == 0) {
        char o[4 * WB_ORG_MAX + 8];
        if (org) printf("no devices of '%s'\n", print_safe(org, o, sizeof o));
        else printf("no devices registered\n");
    } else {
        rc = print_table_out(&t, stdout);
    }
    print_table_free(&t);
    return rc;
}

static int dev_list(const struct client_connector *conn, int argc, char **argv)
{
    struct client_opts co;
    struct dev_args da;
    client_opts_init(&co, "device list");
    int ex = dev_parse(&dlist_usage, argc, argv, &co, &da, 0, NULL, NULL);
    if (ex == CLIENT_HELP_SHOWN) return CLI_EXIT_OK;
    if (ex != CLI_EXIT_OK) return ex;
    ex = client_opts_finish(&co, &dlist_usage, true);
    if (ex != CLI_EXIT_OK) return ex;
    struct client_session s;
    struct ledger_gov gv;
    ex = gov_state_open(&s, &co, conn, &gv);
    if (ex == CLI_EXIT_OK) {
        ex = print_exit(co.cmd, dev_list_print(&co, &gv, da.vals[DEV_OPT_ORG]));
        ledger_gov_free(&gv);
    }
    client_session_close(&s);
    return ex;
}

/* ---- attach, detach -------------------------------------------------------------- */

static int dev_link(const struct client_connector *conn, const struct cli_usage *u,
                    enum ledger_action action, int argc, char **argv)
{
    struct client_opts co;
    struct dev_args da;
    char *item_arg = NULL;
    client_opts_init(&co, u->cmd);
    int ex = dev_parse(u, argc, argv, &co, &da, 1, "ITEM", &item_arg);
    if (ex == CLIENT_HELP_SHOWN) return CLI_EXIT_OK;
    if (ex != CLI_EXIT_OK) return ex;
    struct ledger_event *ev = calloc(1, sizeof *ev);
    if (!ev) {
        cli_error(co.cmd, "out of memory");
        return CLI_EXIT_FAILED;
    }
    ev->action = action;
    ex = cli_item_arg(u, "ITEM", item_arg, ev->item);
    uint8_t pk[WB_PUBKEY_LEN];
    char msg[1024];
    bool has_time = false;
    if (ex == CLI_EXIT_OK && !da.vals[DEV_OPT_DEVICE])
        ex = cli_usage_error(u, "--device HEX|FILE is required");
    if (ex == CLI_EXIT_OK && gov_state_key_arg(da.vals[DEV_OPT_DEVICE], pk, msg, sizeof msg) != WB_OK)
        ex = cli_usage_error(u, "--device: %s", msg);
    if (ex == CLI_EXIT_OK && da.vals[DEV_OPT_TIME]) {
        ex = cli_time_or_now_arg(u, "time", da.vals[DEV_OPT_TIME], &ev->time_ms);
        has_time = true;
    }
    if (ex == CLI_EXIT_OK) {
        ev->attr_count = 1;
        snprintf(ev->attrs[0].key, sizeof ev->attrs[0].key, "device");
        wb_hex_encode(pk, WB_PUBKEY_LEN, ev->attrs[0].value, sizeof ev->attrs[0].value);
        ex = client_opts_finish(&co, u, true);
    }
    if (ex == CLI_EXIT_OK) {
        struct client_session s;
        ex = client_session_open(&s, &co, conn);
        if (ex == CLI_EXIT_OK)
            ex = submit_session_event(&s, ev, has_time, da.fresh, da.no_wait, NULL);
        client_session_close(&s);
    }
    free(ev);
    return ex;
}

static int dev_attach(const struct client_connector *conn, int argc, char **argv)
{
    return dev_link(conn, &attach_usage, LEDGER_DEVICE_ATTACH, argc, argv);
}

static int dev_detach(const struct client_connector *conn, int argc, char **argv)
{
    return dev_link(conn, &detach_usage, LEDGER_DEVICE_DETACH, argc, argv);
}

/* ---- submit ---------------------------------------------------------------------- */

/* The one observation the options describe, into r (kind and obs[0]). */
static int dsubmit_obs(const struct dev_args *da, struct ledger_device_report *r)
{
    const struct cli_usage *u = &dsubmit_usage;
    const char *const *v = da->vals;
    bool seal = v[DEV_OPT_SEAL_STATE] || v[DEV_OPT_SEAL];
    bool pos = v[DEV_OPT_LAT] || v[DEV_OPT_LON] || v[DEV_OPT_ACCURACY] || v[DEV_OPT_LOCODE];
    bool rd = v[DEV_OPT_MEASURE] || v[DEV_OPT_VALUE];
    if (seal + pos + rd != 1)
        return cli_usage_error(u, "give one observation: --seal-state, --lat/--lon, or "
                                  "--measure/--value");
    struct ledger_device_obs *o = &r->obs[0];
    r->obs_count = 1;
    int ex = CLI_EXIT_OK;
    if (seal) {
        r->kind = LEDGER_SEAL_STATUS;
        if (!v[DEV_OPT_SEAL_STATE]) return cli_usage_error(u, "--seal needs --seal-state STATE");
        o->seal_state = ledger_seal_state_parse(v[DEV_OPT_SEAL_STATE]);
        if (o->seal_state == LEDGER_SEAL_STATE_NONE)
            return cli_usage_error(u,
                                   "--seal-state: expected armed, intact, opened or tampered, "
                                   "got '%.40s'",
                                   v[DEV_OPT_SEAL_STATE]);
        if (v[DEV_OPT_SEAL]) {
            if (!ledger_seal_number_ok(v[DEV_OPT_SEAL], strlen(v[DEV_OPT_SEAL])))
                return cli_usage_error(u, "--seal: '%.40s' is not an ISO 17712 seal number",
                                       v[DEV_OPT_SEAL]);
            snprintf(o->seal, sizeof o->seal, "%s", v[DEV_OPT_SEAL]);
        } else if (o->seal_state == LEDGER_SEAL_ARMED) {
            return cli_usage_error(u, "--seal-state armed needs --seal N, the seal's number");
        }
    } else if (pos) {
        r->kind = LEDGER_POSITION;
        if (!v[DEV_OPT_LAT] || !v[DEV_OPT_LON])
            return cli_usage_error(u, "a position needs --lat and --lon");
        double lat, lon;
        ex = dev_parse_number(u, "lat", v[DEV_OPT_LAT], &lat);
        if (ex == CLI_EXIT_OK) ex = dev_parse_number(u, "lon", v[DEV_OPT_LON], &lon);
        if (ex != CLI_EXIT_OK) return ex;
        if (!(lat >= -90 && lat <= 90)) return cli_usage_error(u, "--lat: out of range -90 .. 90");
        if (!(lon >= -180 && lon <= 180))
            return cli_usage_error(u, "--lon: out of range -180 .. 180");
        o->lat_e6 = (int32_t)lround(lat * 1e6);
        o->lon_e6 = (int32_t)lround(lon * 1e6);
        if (v[DEV_OPT_ACCURACY]) {
            uint64_t m;
            if (cli_parse_u64(v[DEV_OPT_ACCURACY], 0, 1000000, &m) != WB_OK)
                return cli_usage_error(u, "--accuracy: expected whole metres, 0 .. 1000000");
            o->accuracy_m = (uint32_t)m;
        }
        if (v[DEV_OPT_LOCODE]) {
            char loc[WB_LOCATION_MAX + 1];
            ex = cli_location_arg(u, "--locode", v[DEV_OPT_LOCODE], loc);
            if (ex != CLI_EXIT_OK) return ex;
            if (strlen(loc) != WB_LOCODE_LEN)
                return cli_usage_error(u, "--locode: expected a UN/LOCODE (5 characters)");
            snprintf(o->locode, sizeof o->locode, "%s", loc);
        }
    } else {
        r->kind = LEDGER_READING;
        if (!v[DEV_OPT_MEASURE] || !v[DEV_OPT_VALUE])
            return cli_usage_error(u, "a reading needs --measure and --value");
        o->measure = ledger_measure_parse(v[DEV_OPT_MEASURE]);
        if (o->measure == LEDGER_MEASURE_NONE)
            return cli_usage_error(u,
                                   "--measure: expected temperature, humidity, shock or light, "
                                   "got '%.40s'",
                                   v[DEV_OPT_MEASURE]);
        double value;
        ex = dev_parse_number(u, "value", v[DEV_OPT_VALUE], &value);
        if (ex != CLI_EXIT_OK) return ex;
        if (fabs(value) > 1e12) return cli_usage_error(u, "--value: out of range");
        o->value_milli = (int64_t)llround(value * 1000.0);
    }
    o->time_ms = cli_now_ms();
    if (v[DEV_OPT_AT]) ex = cli_time_or_now_arg(u, "at", v[DEV_OPT_AT], &o->time_ms);
    return ex;
}

static int dsubmit_print(const struct client_opts *co, const struct ledger_event *ev,
                         const struct ledger_device_report *r, const struct submit_outcome *out)
{
    char id[PRINT_HEX32];
    wb_hex_encode(ev->id, WB_HASH_LEN, id, sizeof id);
    if (co->json)
        return print_exit(co->cmd,
                       print_json_out(json_pack(
                           "{s:s, s:s, s:s, s:o, s:I, s:b, s:b, s:o, s:o, s:b}", "event_id", id,
                           "item", ev->item, "action", ledger_action_name(ev->action), "device",
                           print_json_hex(r->device, WB_PUBKEY_LEN), "seq", (json_int_t)r->seq,
                           "committed", out->committed, "already_committed",
                           out->already_committed,
                           "height", out->committed ? json_integer((json_int_t)out->height)
                                                    : json_null(),
                           "index", out->committed ? json_integer((json_int_t)out->index)
                                                   : json_null(),
                           "resent", out->resent)));
    char dev[PRINT_HEX32];
    wb_hex_encode(r->device, WB_PUBKEY_LEN, dev, sizeof dev);
    if (out->committed)
        printf("%s report %" PRIu64 " of device %.16s on %s: event %s %scommitted at height "
               "%" PRIu64 ", index %u\n",
               ledger_action_name(ev->action), r->seq, dev, ev->item, id,
               out->already_committed ? "already " : "", out->height, (unsigned)out->index);
    else
        printf("%s report %" PRIu64 " on %s: event %s accepted, not waited for\n",
               ledger_action_name(ev->action), r->seq, ev->item, id);
    return CLI_EXIT_OK;
}

static int dev_submit(const struct client_connector *conn, int argc, char **argv)
{
    struct client_opts co;
    struct dev_args da;
    char *item_arg = NULL;
    client_opts_init(&co, "device submit");
    int ex = dev_parse(&dsubmit_usage, argc, argv, &co, &da, 1, "ITEM", &item_arg);
    if (ex == CLIENT_HELP_SHOWN) return CLI_EXIT_OK;
    if (ex != CLI_EXIT_OK) return ex;
    struct ledger_device_report *r = calloc(1, sizeof *r);
    struct ledger_event *ev = calloc(1, sizeof *ev);
    uint8_t dev_sk[WB_SECKEY_LEN];
    bool have_sk = false;
    if (!r || !ev) {
        cli_error(co.cmd, "out of memory");
        ex = CLI_EXIT_FAILED;
        goto done;
    }
    ex = cli_item_arg(&dsubmit_usage, "ITEM", item_arg, r->item);
    if (ex == CLI_EXIT_OK && !da.vals[DEV_OPT_DEVICE_KEY])
        ex = cli_usage_error(&dsubmit_usage, "--device-key FILE is required");
    if (ex == CLI_EXIT_OK) ex = dsubmit_obs(&da, r);
    if (ex == CLI_EXIT_OK && da.vals[DEV_OPT_SEQ] &&
        cli_parse_u64(da.vals[DEV_OPT_SEQ], 1, UINT64_MAX, &r->seq) != WB_OK)
        ex = cli_usage_error(&dsubmit_usage, "--seq: expected a whole number, at least 1");
    if (ex == CLI_EXIT_OK) ex = client_opts_finish(&co, &dsubmit_usage, true);
    if (ex == CLI_EXIT_OK) {
        ex = device_send_key(co.cmd, da.vals[DEV_OPT_DEVICE_KEY], r->device, dev_sk);
        have_sk = true;
    }
    if (ex != CLI_EXIT_OK) goto done;

    struct client_session s;
    ex = client_session_open(&s, &co, conn);
    struct ledger_item_state *st = ex == CLI_EXIT_OK ? calloc(1, sizeof *st) : NULL;
    if (ex == CLI_EXIT_OK && !st) {
        cli_error(co.cmd, "out of memory");
        ex = CLI_EXIT_FAILED;
    }
    bool known = false, seen_ok = false;
    struct device_seen seen;
    if (ex == CLI_EXIT_OK) {
        ex = device_send_history(&s.c, s.genesis, r->item, r->device, st, &seen, &known);
        seen_ok = ex == CLI_EXIT_OK;
    }
    struct ledger_reading one = {.kind = r->kind, .obs = r->obs[0]};
    if (ex == CLI_EXIT_OK && !da.vals[DEV_OPT_SEQ] && device_seen_has(&seen, &one)) {
        /* The same observation is on the ledger: a rerun after a lost
         * answer. Sending it again under a new seq would record it twice. */
        cli_error(co.cmd,
                  "this observation of the device is on item %s's chain already; nothing "
                  "sent (give --seq to send it again as a new report)",
                  r->item);
        if (co.json)
            ex = print_exit(co.cmd, print_json_out(json_pack("{s:s, s:s, s:b}", "item", r->item,
                                                          "action", ledger_action_name(r->kind),
                                                          "already_committed", 1)));
        goto close;
    }
    if (ex == CLI_EXIT_OK && !r->seq) {
        /* Not attached: seq 1, and the ledger says why it is refused. */
        const struct ledger_attached_device *a = device_send_attached(st, r->device);
        r->seq = a ? a->last_seq + 1 : 1;
    }
    char msg[512];
    if (ex == CLI_EXIT_OK &&
        device_send_build(s.genesis->chain_id, r, dev_sk, known ? st->head : NULL, ev, msg,
                          sizeof msg) != WB_OK) {
        cli_error(co.cmd, "%s", msg);
        ex = CLI_EXIT_FAILED;
    }
    /* The observation's time is in the report; the event's is now. */
    struct submit_outcome out = {0};
    if (ex == CLI_EXIT_OK) ex = submit_session_event(&s, ev, false, da.fresh, da.no_wait, &out);
    if (ex == CLI_EXIT_OK) ex = dsubmit_print(&co, ev, r, &out);
close:
    if (seen_ok) device_seen_free(&seen);
    free(st);
    client_session_close(&s);
done:
    if (have_sk) sodium_memzero(dev_sk, sizeof dev_sk);
    free(r);
    free(ev);
    return ex;
}

static int dev_import(const struct client_connector *conn, int argc, char **argv)
{
    return device_import_run(conn, argc, argv);
}

static const struct client_subcommand device_subs[] = {
    {"register", dev_register}, {"retire", dev_retire}, {"list", dev_list},
    {"attach", dev_attach},     {"detach", dev_detach}, {"submit", dev_submit},
    {"import", dev_import},
};

int cmd_device_via(const struct client_connector *conn, int argc, char **argv)
{
    return client_subcommand_run(&device_usage, device_subs,
                                 sizeof device_subs / sizeof device_subs[0],
                                 "register, retire, list, attach, detach, submit or import",
                                 conn, argc, argv);
}

int cmd_device(int argc, char **argv)
{
    return cmd_device_via(client_net_connector(), argc, argv);
}
