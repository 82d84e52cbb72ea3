/* `waybill device import`; see device_import.h.
 *
 * The file is read and checked whole before anything is sent: a line that
 * does not parse stops the import with its line number and nothing
 * submitted. The readings are then grouped by item and kind, sorted by
 * time, and those the device already reported on the item (its history)
 * or that repeat a line before are dropped. What is left goes out as
 * reports of up to --batch observations (fewer when the encoding would be
 * over WB_DEVICE_REPORT_MAX bytes), each with the next seq, chained by
 * prev: IMPORT_WAIT_EVERY reports are accepted without waiting, then one
 * is waited for until committed, which commits the ones before it. */
#include "cli/device_import.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/client_cmds.h"
#include "cli/device_send.h"
#include "cli/id_args.h"
#include "cli/print.h"
#include "common/hex.h"
#include "ledger/readings.h"

/* Reports sent without waiting for their commit before one is waited for:
 * bounds what one import holds in the node's mempool. */
#define IMPORT_WAIT_EVERY 16
/* import_kind's answer when the item's head moved on under it: events of
 * an earlier run (or of someone else) were still waiting for a block. */
#define IMPORT_STALE (-100)
/* How often an item's history is read again after that, and how long to
 * wait before: within the --timeout, which bounds the whole import. */
#define IMPORT_STALE_TRIES 60
#define IMPORT_STALE_WAIT_MS 250
/* Line errors printed before the rest are only counted. */
#define IMPORT_ERRORS_SHOWN 20

enum {
    IMPORT_OPT_DEVICE_KEY,
    IMPORT_OPT_ITEM,
    IMPORT_OPT_BATCH,
    IMPORT_OPT_NODE,
    IMPORT_OPT_KEY,
    IMPORT_OPT_GENESIS,
    IMPORT_OPT_TIMEOUT,
    IMPORT_OPT_JSON,
};

static const struct cli_opt import_opts[] = {
    [IMPORT_OPT_DEVICE_KEY] = {"device-key", "FILE", "the device's key file: it signs the reports"},
    [IMPORT_OPT_ITEM] = {"item", "ITEM", "the item of the lines that name none"},
    [IMPORT_OPT_BATCH] = {"batch", "N",
                          "at most N observations in one report (1 .. 128, default 128)"},
    [IMPORT_OPT_NODE] = CLIENT_OPT_NODE,
    [IMPORT_OPT_KEY] = CLIENT_OPT_KEY,
    [IMPORT_OPT_GENESIS] = CLIENT_OPT_GENESIS,
    [IMPORT_OPT_TIMEOUT] = CLIENT_OPT_TIMEOUT,
    [IMPORT_OPT_JSON] = CLIENT_OPT_JSON,
};

static const struct cli_usage import_usage = {
    .cmd = "device import",
    .synopsis = "READINGS.jsonl --device-key FILE [--item ITEM] [--batch N] [--json] "
                "[--node ADDR] [--key FILE] [--genesis FILE] [--timeout SECONDS]",
    .description =
        "Submits a gateway's file of one device's readings (- reads standard input;\n"
        "docs/devices.md, \"Readings files\": one JSON object a line, e.g.\n"
        "  {\"time\":\"2026-03-01T00:05:00Z\",\"kind\":\"position\",\"lat\":51.95,\"lon\":4.05}\n"
        "  {\"time\":\"2026-03-01T00:05:00Z\",\"kind\":\"reading\",\"measure\":\"temperature\",\"value\":4.5}\n"
        "  {\"time\":\"2026-03-01T00:05:00Z\",\"kind\":\"seal_status\",\"state\":\"intact\"}\n"
        "with \"item\" on each line or --item for all). The whole file is checked first:\n"
        "a bad line stops the import with its line number, nothing sent. Readings go\n"
        "out per item and kind in time order, in reports of up to --batch observations\n"
        "signed with --device-key, each carried in an event signed with --key and\n"
        "waited for until committed. Each reading reaches the ledger once: those the\n"
        "item's chain holds already, and repeated lines, are skipped, so an import that\n"
        "was interrupted is finished by running the same command again. Progress goes\n"
        "to stderr; the summary (read, already on the ledger, submitted, events) to\n"
        "stdout. The --timeout applies to the whole import.\n",
    .opts = import_opts,
    .opt_count = sizeof import_opts / sizeof import_opts[0],
};

struct import_args {
    const char *file, *device_key, *item, *batch;
};

static int import_own_opt(void *ctx, int opt, const char *value)
{
    struct import_args *ia = ctx;
    switch (opt) {
    case IMPORT_OPT_DEVICE_KEY:
        return client_opt_once(&import_usage, &ia->device_key, "device-key", value);
    case IMPORT_OPT_ITEM: return client_opt_once(&import_usage, &ia->item, "item", value);
    case IMPORT_OPT_BATCH: return client_opt_once(&import_usage, &ia->batch, "batch", value);
    default: return CLI_EXIT_OK;
    }
}

/* Every reading of the file, and the order they go out in. */
struct import_file {
    struct ledger_reading *r;
    size_t count, cap;
    size_t lines;                        /* lines read, blank ones included */
};

static int import_push(struct import_file *f, const struct ledger_reading *r)
{
    if (f->count == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 1024;
        struct ledger_reading *n = realloc(f->r, cap * sizeof *n);
        if (!n) return WB_ERR_NOMEM;
        f->r = n;
        f->cap = cap;
    }
    f->r[f->count++] = *r;
    return WB_OK;
}

/* Reads and checks the file; lines without an item get default_item ("" if
 * none). Prints each bad line (up to IMPORT_ERRORS_SHOWN) and returns
 * CLI_EXIT_FAILED when any is bad. */
static int import_read(const char *cmd, const char *path, const char *default_item,
                       struct import_file *f)
{
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!in) {
        cli_error(cmd, "cannot open %s: %s", path, strerror(errno));
        return CLI_EXIT_FAILED;
    }
    char *line = NULL;
    size_t cap = 0, bad = 0;
    ssize_t n;
    int rc = WB_OK;
    while (rc == WB_OK && (n = getline(&line, &cap, in)) >= 0) {
        f->lines++;
        size_t len = (size_t)n;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
        size_t lead = strspn(line, " \t");
        if (lead >= len) continue;       /* a blank line */
        struct ledger_reading r;
        char msg[256];
        if (ledger_reading_parse(line, len, &r, msg, sizeof msg) == WB_OK && !r.item[0]) {
            if (default_item[0]) snprintf(r.item, sizeof r.item, "%s", default_item);
            else snprintf(msg, sizeof msg, "no \"item\" in the line and no --item given");
        }
        if (!r.item[0]) {
            if (bad++ < IMPORT_ERRORS_SHOWN) cli_error(cmd, "%s:%zu: %s", path, f->lines, msg);
            continue;
        }
        rc = import_push(f, &r);
    }
    bool read_error = ferror(in);
    free(line);
    if (in != stdin) fclose(in);
    if (rc != WB_OK) {
        cli_error(cmd, "out of memory");
        return CLI_EXIT_FAILED;
    }
    if (read_error) {
        cli_error(cmd, "cannot read %s", path);
        return CLI_EXIT_FAILED;
    }
    if (bad) {
        if (bad > IMPORT_ERRORS_SHOWN)
            cli_error(cmd, "... and %zu more bad lines", bad - IMPORT_ERRORS_SHOWN);
        cli_error(cmd, "%zu of %zu lines of %s are not readings; nothing was submitted", bad,
                  f->lines, path);
        return CLI_EXIT_FAILED;
    }
    return CLI_EXIT_OK;
}

static int import_order(const void *a, const void *b)
{
    const struct ledger_reading *x = a, *y = b;
    int c = strcmp(x->item, y->item);
    return c ? c : device_send_obs_cmp(x, y);
}

/* What one import run did, for the progress line and the summary. */
struct import_progress {
    size_t total, skipped, repeated, sent, events, events_committed;
    uint64_t last_height;
    bool tty;
    int64_t last_print_ms;
};

static void import_show(const char *cmd, struct import_progress *p, bool last)
{
    int64_t now = client_now_mono_ms();
    if (!last && now - p->last_print_ms < (p->tty ? 200 : 2000)) return;
    p->last_print_ms = now;
    size_t done = p->skipped + p->repeated + p->sent;
    fprintf(stderr, "%swaybill %s: %zu of %zu readings done (%zu submitted in %zu events, %zu on the ledger already)%s",
            p->tty ? "\r" : "", cmd, done, p->total, p->sent, p->events, p->skipped,
            p->tty && !last ? "" : "\n");
}

/* The session, device and counters of one run. */
struct import_run {
    struct client_session *s;
    const uint8_t *dev_pk, *dev_sk;
    size_t batch;
    struct import_progress prog;
    struct ledger_device_report *r;
    struct ledger_event *ev;
};

/* Sends readings[0..n) (one item, one kind, not yet on the ledger) as
 * reports from seq *seq on, chained from *prev (has_prev). */
static int import_kind(struct import_run *run, const struct ledger_reading *rd, size_t n,
                       uint64_t *seq, bool *has_prev, uint8_t prev[WB_HASH_LEN])
{
    const char *cmd = run->s->c.opts->cmd;
    size_t i = 0;
    while (i < n) {
        struct ledger_device_report *r = run->r;
        memset(r, 0, sizeof *r);
        memcpy(r->device, run->dev_pk, WB_PUBKEY_LEN);
        snprintf(r->item, sizeof r->item, "%s", rd[i].item);
        r->kind = rd[i].kind;
        r->seq = *seq;
        size_t take = n - i < run->batch ? n - i : run->batch;
        char msg[512];
        int rc;
        for (;;) {
            r->obs_count = take;
            for (size_t k = 0; k < take; k++) r->obs[k] = rd[i + k].obs;
            rc = device_send_build(run->s->genesis->chain_id, r, run->dev_sk,
                                   *has_prev ? prev : NULL, run->ev, msg, sizeof msg);
            if (rc != WB_ERR_TOO_LARGE || take == 1) break;
            take--;
        }
        if (rc != WB_OK) {
            cli_error(cmd, "%s", msg);
            return CLI_EXIT_FAILED;
        }
        bool last = i + take == n;
        bool wait = last || (run->prog.events + 1) % IMPORT_WAIT_EVERY == 0;
        struct submit_outcome out = {.quiet_stale = true};
        int ex = submit_session_event(run->s, run->ev, false, false, !wait, &out);
        if (ex != CLI_EXIT_OK && out.refused == WB_ERR_STALE) return IMPORT_STALE;
        if (ex != CLI_EXIT_OK) return ex;
        run->prog.events++;
        run->prog.sent += take;
        if (out.committed) {
            run->prog.events_committed = run->prog.events;
            run->prog.last_height = out.height;
        }
        import_show(cmd, &run->prog, false);
        *has_prev = true;
        memcpy(prev, run->ev->id, WB_HASH_LEN);
        (*seq)++;
        i += take;
    }
    return CLI_EXIT_OK;
}

/* One pass over the readings of one item, rd[0..n), all with rd[i].item
 * equal: what the item's history lacks is sent. Returns the exit code, or
 * IMPORT_STALE. Drops the readings already on the ledger from rd (*n). */
static int import_item_once(struct import_run *run, struct ledger_reading *rd, size_t *np)
{
    size_t n = *np;
    struct client_session *s = run->s;
    struct ledger_item_state *st = calloc(1, sizeof *st);
    if (!st) {
        cli_error(s->c.opts->cmd, "out of memory");
        return CLI_EXIT_FAILED;
    }
    struct device_seen seen;
    bool known;
    int ex = device_send_history(&s->c, s->genesis, rd[0].item, run->dev_pk, st, &seen, &known);
    if (ex != CLI_EXIT_OK) {
        free(st);
        return ex;
    }
    if (!known) {
        cli_error(s->c.opts->cmd, "no such item: %s (commission it and attach the device first)",
                  rd[0].item);
        free(st);
        device_seen_free(&seen);
        return CLI_EXIT_FAILED;
    }
    /* Keep what is new, once: rd is sorted, so a repeat follows its twin. */
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (device_seen_has(&seen, &rd[i])) run->prog.skipped++;
        else if (kept && device_send_obs_cmp(&rd[kept - 1], &rd[i]) == 0) run->prog.repeated++;
        else rd[kept++] = rd[i];
    }
    device_seen_free(&seen);
    *np = kept;
    const struct ledger_attached_device *a = device_send_attached(st, run->dev_pk);
    uint64_t seq = a ? a->last_seq + 1 : 1; /* not attached: the ledger says why not */
    bool has_prev = true;
    uint8_t prev[WB_HASH_LEN];
    memcpy(prev, st->head, WB_HASH_LEN);
    free(st);
    for (size_t i = 0; ex == CLI_EXIT_OK && i < kept;) {
        size_t j = i;
        while (j < kept && rd[j].kind == rd[i].kind) j++;
        ex = import_kind(run, rd + i, j - i, &seq, &has_prev, prev);
        i = j;
    }
    return ex;
}

/* Sends the readings of one item; when its head moved on (events of an
 * earlier run still waiting for a block), waits, reads its history again
 * and sends what it still lacks. */
static int import_item(struct import_run *run, struct ledger_reading *rd, size_t n)
{
    for (int tries = 0;; tries++) {
        size_t sent = run->prog.sent, events = run->prog.events;
        int ex = import_item_once(run, rd, &n);
        if (ex != IMPORT_STALE) return ex;
        /* What this pass sent is in the history the next pass reads, and
         * counted there as on the ledger already. */
        run->prog.sent = sent;
        run->prog.events = events;
        if (tries == IMPORT_STALE_TRIES) {
            cli_error(run->s->c.opts->cmd,
                      "item %s: its head kept moving on while reports were sent; is another "
                      "import of this device running?",
                      rd[0].item);
            return CLI_EXIT_FAILED;
        }
        struct timespec ts = {0, IMPORT_STALE_WAIT_MS * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static int import_summary(const struct client_opts *co, const char *path,
                          const struct import_progress *p)
{
    if (co->json) {
        json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "file", path, "readings",
                              (json_int_t)p->total, "already_on_ledger",
                              (json_int_t)p->skipped, "repeated_in_file",
                              (json_int_t)p->repeated, "submitted", (json_int_t)p->sent,
                              "events", (json_int_t)p->events);
        return print_exit(co->cmd, print_json_out(o));
    }
    printf("%zu readings in %s: %zu submitted in %zu events, %zu on the ledger already, %zu "
           "repeated in the file\n",
           p->total, path, p->sent, p->events, p->skipped, p->repeated);
    return CLI_EXIT_OK;
}

int device_import_run(const struct client_connector *conn, int argc, char **argv)
{
    struct client_opts co;
    struct import_args ia = {0};
    struct cli_args args;
    client_opts_init(&co, "device import");
    int ex = client_args_parse(&args, &import_usage, argc, argv, &co, import_own_opt, &ia);
    if (ex == CLIENT_HELP_SHOWN) return CLI_EXIT_OK;
    if (ex != CLI_EXIT_OK) return ex;
    if (args.pos_count == 0) return cli_usage_error(&import_usage, "READINGS.jsonl is required");
    if (args.pos_count > 1)
        return cli_usage_error(&import_usage, "unexpected argument '%s'", args.pos[1]);
    ia.file = args.pos[0];
    if (!ia.device_key) return cli_usage_error(&import_usage, "--device-key FILE is required");
    char item[WB_ITEM_MAX + 1] = "";
    if (ia.item) {
        ex = cli_item_arg(&import_usage, "--item", ia.item, item);
        if (ex != CLI_EXIT_OK) return ex;
    }
    uint64_t batch = WB_DEVICE_OBS_MAX;
    if (ia.batch && cli_parse_u64(ia.batch, 1, WB_DEVICE_OBS_MAX, &batch) != WB_OK)
        return cli_usage_error(&import_usage, "--batch: expected 1 .. %d", WB_DEVICE_OBS_MAX);
    ex = client_opts_finish(&co, &import_usage, true);
    if (ex != CLI_EXIT_OK) return ex;

    struct import_file f = {0};
    ex = import_read(co.cmd, ia.file, item, &f);
    uint8_t dev_pk[WB_PUBKEY_LEN], dev_sk[WB_SECKEY_LEN];
    if (ex == CLI_EXIT_OK) ex = device_send_key(co.cmd, ia.device_key, dev_pk, dev_sk);
    else memset(dev_sk, 0, sizeof dev_sk);
    struct import_run run = {.dev_pk = dev_pk, .dev_sk = dev_sk, .batch = (size_t)batch};
    run.prog.total = f.count;
    run.prog.tty = isatty(STDERR_FILENO);
    struct client_session s;
    bool opened = false;
    if (ex == CLI_EXIT_OK) {
        qsort(f.r, f.count, sizeof f.r[0], import_order);
        run.r = malloc(sizeof *run.r);
        run.ev = malloc(sizeof *run.ev);
        if (!run.r || !run.ev) {
            cli_error(co.cmd, "out of memory");
            ex = CLI_EXIT_FAILED;
        }
    }
    if (ex == CLI_EXIT_OK) {
        ex = client_session_open(&s, &co, conn);
        opened = true;
        run.s = &s;
    }
    for (size_t i = 0; ex == CLI_EXIT_OK && i < f.count;) {
        size_t j = i;
        while (j < f.count && strcmp(f.r[j].item, f.r[i].item) == 0) j++;
        ex = import_item(&run, f.r + i, j - i);
        i = j;
    }
    if (opened) {
        import_show(co.cmd, &run.prog, true);
        if (ex == CLI_EXIT_OK) ex = import_summary(&co, ia.file, &run.prog);
        else
            cli_error(co.cmd,
                      "stopped after %zu of %zu readings (%zu events accepted); run the same "
                      "command again to submit the rest: readings already on the ledger are "
                      "skipped",
                      run.prog.skipped + run.prog.repeated + run.prog.sent, run.prog.total,
                      run.prog.events);
        client_session_close(&s);
    }
    sodium_memzero(dev_sk, sizeof dev_sk);
    free(run.r);
    free(run.ev);
    free(f.r);
    return ex;
}
