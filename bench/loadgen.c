/* The load generator of `make bench`: against a running testnet (started by
 * bench/run.sh) it measures the signature ceiling, pre-signs the load, drives
 * it through the client API at saturation, at fixed open-loop rates and one
 * at a time, times `waybill verify` on a long chain, checks every node's
 * ledger and reports the figures against the targets. With --phases sat it
 * runs one saturation load over fresh items instead (the growth run,
 * bench/growth.sh, runs several in a row) and checks that load's blocks. */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench/lg.h"
#include "common/file.h"
#include "common/log.h"
#include "common/wb_error.h"
#include "node/config.h"
#include "node/keyfile.h"
#include "proto/waybill.pb-c.h"

#define LG_DEFAULT_ITEMS 2000
#define LG_DEFAULT_EVENTS 200000
#define LG_QUICK_ITEMS 500
#define LG_QUICK_EVENTS 25000
#define LG_DEFAULT_CHAIN 1000
#define LG_DEFAULT_LINKS 4
#define LG_DEFAULT_WINDOW 12000
#define LG_SAT_SHARE 0.45             /* of the load, for the first saturation phase */
#define LG_SAT2_SHARE 0.25            /* kept for the second one */
#define LG_SAT2_MIN 2000              /* fewer left: no second saturation phase */
#define LG_SEQ_EVENTS 300
#define LG_SEQ_EVENTS_QUICK 100
#define LG_HISTORY_SAMPLE 16
#define LG_POLL_NS (50 * INT64_C(1000000))
#define LG_POLL_FAST_NS (2 * INT64_C(1000000))
#define LG_PHASE_TIMEOUT_S 180
/* --phases sat: a phase may take LG_PHASE_TIMEOUT_S plus its events at this
 * rate (a large load on a loaded machine). */
#define LG_LOAD_SLOWEST_PER_S 200
#define LG_GENESIS_MAX (1u << 20)

struct lg_opts {
    const char *dir;
    const char *pids;
    const char *waybill;
    const char *out;
    const char *logs;
    bool quick;
    size_t events, items, chain, links, window;
    double sat_rate;                  /* > 0: skip saturation, take this rate */
    int64_t started_ms;
    size_t item_base;                 /* number of the first item */
    bool sat_only;                    /* --phases sat */
};

/* Open-loop phases: a share of the saturation rate for a time. */
struct lg_open_plan {
    const char *name;
    double share;
    double seconds, seconds_quick;
};

static const struct lg_open_plan lg_open_plans[] = {
    {"open-25%", 0.25, 5.0, 1.5},
    {"open-50%", 0.50, 10.0, 3.0},
    {"open-75%", 0.75, 5.0, 1.5},
};
#define LG_OPEN_PLANS (sizeof lg_open_plans / sizeof lg_open_plans[0])

static void usage(FILE *out)
{
    fprintf(out,
            "usage: loadgen --dir TESTNET_DIR --pids PID,PID,... --waybill PATH --out FILE.json\n"
            "               [--quick] [--events N] [--items N] [--chain N] [--links N]\n"
            "               [--window N] [--started-ms UNIX_MS] [--logs DIR] [--sat-rate N]\n"
            "               [--item-base N] [--phases all|sat]\n"
            "Drives a running testnet written by `waybill testnet` (node i's config in\n"
            "DIR/node<i>/node.ini, its org's client key in DIR/node<i>/client.key, node i\n"
            "running as the i-th PID) and reports throughput, latency and resources.\n"
            "--sat-rate N skips the saturation phase and runs the open-loop phases at\n"
            "shares of N events/s (for experiments; the targets then read as missed).\n"
            "--item-base N numbers the items N.. (container serials, at most %d in all),\n"
            "so that successive loads on one testnet share no item.\n"
            "--phases sat runs only the closed-loop saturation phase, over the whole load,\n"
            "and checks the blocks of this load (the events committed before it are not\n"
            "checked again); the last line is then \"waybill load events=N ...\". The\n"
            "default, all, runs every phase of `make bench`.\n",
            LG_ITEM_NUMBERS);
}

static int parse_size(const char *s, size_t lo, size_t hi, size_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || v < lo || v > hi) return -1;
    *out = (size_t)v;
    return 0;
}

static int parse_opts(int argc, char **argv, struct lg_opts *o)
{
    static const struct option longopts[] = {
        {"dir", required_argument, NULL, 'd'},     {"pids", required_argument, NULL, 'p'},
        {"waybill", required_argument, NULL, 'w'}, {"out", required_argument, NULL, 'o'},
        {"quick", no_argument, NULL, 'q'},         {"events", required_argument, NULL, 'e'},
        {"items", required_argument, NULL, 'i'},   {"chain", required_argument, NULL, 'c'},
        {"links", required_argument, NULL, 'l'},   {"window", required_argument, NULL, 'W'},
        {"started-ms", required_argument, NULL, 's'}, {"logs", required_argument, NULL, 'L'},
        {"sat-rate", required_argument, NULL, 'R'}, {"help", no_argument, NULL, 'h'},
        {"item-base", required_argument, NULL, 'b'}, {"phases", required_argument, NULL, 'P'},
        {NULL, 0, NULL, 0},
    };
    int c, bad = 0;
    size_t v = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': o->dir = optarg; break;
        case 'p': o->pids = optarg; break;
        case 'w': o->waybill = optarg; break;
        case 'o': o->out = optarg; break;
        case 'L': o->logs = optarg; break;
        case 'h': usage(stdout); exit(0);
        case 'R':
            bad |= parse_size(optarg, 1, 1000000, &v);
            o->sat_rate = (double)v;
            break;
        case 'q': o->quick = true; break;
        case 'b': bad |= parse_size(optarg, 0, LG_ITEM_NUMBERS - 1, &o->item_base); break;
        case 'P':
            if (strcmp(optarg, "sat") == 0) o->sat_only = true;
            else if (strcmp(optarg, "all") != 0) bad = 1;
            break;
        case 'e': bad |= parse_size(optarg, 1, 5000000, &o->events); break;
        case 'i': bad |= parse_size(optarg, 1, 1000000, &o->items); break;
        case 'c': bad |= parse_size(optarg, 2, 100000, &o->chain); break;
        case 'l': bad |= parse_size(optarg, 1, LG_LOAD_LINKS_MAX, &o->links); break;
        case 'W': bad |= parse_size(optarg, 1, 60000, &o->window); break;
        case 's':
            bad |= parse_size(optarg, 0, (size_t)INT64_MAX, &v);
            o->started_ms = (int64_t)v;
            break;
        default: bad = 1; break;
        }
    }
    if (bad || optind != argc || !o->dir || !o->pids || !o->waybill || !o->out) {
        usage(stderr);
        return -1;
    }
    if (!o->items) o->items = o->quick ? LG_QUICK_ITEMS : LG_DEFAULT_ITEMS;
    if (!o->events) o->events = o->quick ? LG_QUICK_EVENTS : LG_DEFAULT_EVENTS;
    if (!o->chain) o->chain = LG_DEFAULT_CHAIN;
    if (!o->links) o->links = LG_DEFAULT_LINKS;
    if (!o->window) o->window = LG_DEFAULT_WINDOW;
    if (o->events < o->items * 2) {
        fprintf(stderr, "loadgen: --events must be at least twice --items\n");
        return -1;
    }
    if (o->items > LG_ITEM_NUMBERS - o->item_base) {
        fprintf(stderr, "loadgen: --item-base plus --items exceeds %d item numbers\n",
                LG_ITEM_NUMBERS);
        return -1;
    }
    if (o->sat_only && o->sat_rate > 0) {
        fprintf(stderr, "loadgen: --phases sat measures saturation: no --sat-rate\n");
        return -1;
    }
    return 0;
}

/* ---- set-up ------------------------------------------------------------------- */

static void machine_info(struct lg_report *r)
{
    r->nproc = sysconf(_SC_NPROCESSORS_ONLN);
    snprintf(r->cpu_model, sizeof r->cpu_model, "unknown");
    char line[512];
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        while (fgets(line, sizeof line, f)) {
            char *colon = strchr(line, ':');
            if (strncmp(line, "model name", 10) != 0 || !colon) continue;
            colon += 1 + (colon[1] == ' ');
            colon[strcspn(colon, "\n")] = '\0';
            snprintf(r->cpu_model, sizeof r->cpu_model, "%s", colon);
            break;
        }
        fclose(f);
    }
    f = fopen("/proc/meminfo", "r");
    if (f) {
        unsigned long long kb;
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "MemTotal: %llu", &kb) == 1) r->mem_total_kb = kb;
        fclose(f);
    }
    struct utsname u;
    if (uname(&u) == 0) snprintf(r->kernel, sizeof r->kernel, "%s %s", u.sysname, u.release);
}

static double self_cpu_s(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double node_cpu_s(pid_t pid)
{
    struct lg_cpu c;
    return lg_proc_cpu(pid, &c) == WB_OK ? c.user_s + c.sys_s : 0;
}

/* Reads genesis, every node's config and its org's client key. */
static int load_testnet(struct lg *lg, const struct lg_opts *o, struct lg_org *orgs,
                        char *msg, size_t msg_len)
{
    char path[4096];
    pid_t pids[LG_NODES_MAX];
    size_t n = 0;
    const char *p = o->pids;
    while (*p) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v <= 0 || n == LG_NODES_MAX) {
            snprintf(msg, msg_len, "--pids: expected up to %d process ids, got '%s'",
                     LG_NODES_MAX, o->pids);
            return WB_ERR_INVALID;
        }
        pids[n++] = (pid_t)v;
        p = end;
        while (*p == ',' || *p == ' ') p++;
    }
    lg->nodes = n;

    snprintf(path, sizeof path, "%s/genesis.json", o->dir);
    uint8_t *json;
    size_t len;
    int rc = wb_read_file(path, LG_GENESIS_MAX, &json, &len);
    if (rc) {
        snprintf(msg, msg_len, "cannot read %.300s: %s", path, wb_strerror(rc));
        return rc;
    }
    lg->genesis = malloc(sizeof *lg->genesis);
    if (!lg->genesis) {
        free(json);
        return WB_ERR_NOMEM;
    }
    rc = ledger_genesis_parse(json, len, lg->genesis, msg, msg_len);
    free(json);
    if (rc) return rc;
    if (lg->genesis->validator_count != n) {
        snprintf(msg, msg_len, "genesis has %zu validators but %zu PIDs were given",
                 lg->genesis->validator_count, n);
        return WB_ERR_INVALID;
    }

    struct node_config *cfg = malloc(sizeof *cfg);
    if (!cfg) return WB_ERR_NOMEM;
    for (size_t i = 0; i < n && rc == WB_OK; i++) {
        struct lg_node *nd = &lg->node[i];
        nd->pid = pids[i];
        snprintf(path, sizeof path, "%s/node%zu/node.ini", o->dir, i);
        rc = node_config_load(path, cfg, msg, msg_len);
        if (rc) break;
        snprintf(nd->name, sizeof nd->name, "%s", cfg->name);
        wb_addr_format(&cfg->api_listen, nd->api, sizeof nd->api);
        snprintf(nd->data_dir, sizeof nd->data_dir, "%s", cfg->data_dir);
        size_t v = 0;
        while (v < lg->genesis->validator_count && strcmp(lg->genesis->validators[v].name, cfg->name))
            v++;
        if (v == lg->genesis->validator_count) {
            snprintf(msg, msg_len, "%.300s: validator %s is not in genesis", path, cfg->name);
            rc = WB_ERR_CONFIG;
            break;
        }
        memcpy(nd->key, lg->genesis->validators[v].key, WB_PUBKEY_LEN);

        snprintf(nd->client_key, sizeof nd->client_key, "%s/node%zu/client.key", o->dir, i);
        rc = keyfile_load(nd->client_key, orgs[i].pk, orgs[i].sk, msg, msg_len);
        if (rc) break;
        int org = ledger_genesis_org_of_key(lg->genesis, orgs[i].pk);
        if (org < 0) {
            snprintf(msg, msg_len, "%.300s is no member key of genesis", nd->client_key);
            rc = WB_ERR_CONFIG;
            break;
        }
        snprintf(orgs[i].name, sizeof orgs[i].name, "%s", lg->genesis->orgs[org].name);
        orgs[i].role = lg->genesis->orgs[org].role;
    }
    free(cfg);
    return rc;
}

/* Who plays shipper, carrier, customs and consignee. */
static int cast_of(const struct lg_org *orgs, size_t n, struct lg_cast *c, char *msg,
                   size_t msg_len)
{
    *c = (struct lg_cast){-1, -1, -1, -1};
    for (size_t i = 0; i < n; i++) {
        int k = (int)i;
        switch (orgs[i].role) {
        case LEDGER_ROLE_SHIPPER:
            if (c->shipper < 0) c->shipper = k;
            else if (c->consignee < 0) c->consignee = k;
            break;
        case LEDGER_ROLE_CARRIER:
            if (c->carrier < 0) c->carrier = k;
            break;
        case LEDGER_ROLE_CUSTOMS:
            if (c->customs < 0) c->customs = k;
            break;
        default:
            break;
        }
    }
    if (c->shipper < 0 || c->carrier < 0 || c->customs < 0) {
        snprintf(msg, msg_len, "the testnet needs a shipper, a carrier and customs");
        return WB_ERR_CONFIG;
    }
    if (c->consignee < 0) c->consignee = c->shipper;
    return WB_OK;
}

/* ---- phases -------------------------------------------------------------------- */

struct bench {
    struct lg lg;
    struct lg_opts o;
    struct lg_report r;
    struct lg_org orgs[LG_NODES_MAX];
    struct lg_cast cast;
    struct lg_load load, chain;
    struct lg_track track, chain_track;
    int64_t phase_timeout_s;
};

/* Runs one phase: positions [first, end) of tr's load in `mode`, then waits
 * until every node's ledger counts all of them, and records the figures. */
static int run_phase(struct bench *b, const char *name, enum lg_mode mode, struct lg_track *tr,
                     int tag, size_t first, size_t end, size_t window, double rate,
                     bool sample_mem)
{
    struct lg *lg = &b->lg;
    struct lg_report *r = &b->r;
    if (r->phase_count == LG_PHASES_MAX) return WB_ERR_INVALID;
    struct lg_phase_res *p = &r->phase[r->phase_count++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->mode = mode;
    p->rate = mode == LG_MODE_RATE ? rate : 0;
    p->window = mode == LG_MODE_WINDOW ? window : mode == LG_MODE_SEQ ? 1 : 0;
    p->events = end - first;
    if (mode == LG_MODE_RATE)
        lg_say("phase %s: %zu events open loop at %.0f events/s ...", name, p->events, rate);
    else if (mode == LG_MODE_WINDOW)
        lg_say("phase %s: %zu events, %zu in flight ...", name, p->events, window);
    else
        lg_say("phase %s: %zu events one at a time ...", name, p->events);

    int rc = lg_poll_status(lg, 10000);
    if (rc) return rc;
    double cpu0[LG_NODES_MAX], wait0[LG_NODES_MAX], run;
    struct lg_sys_cpu sys0, sys1;
    lg_sys_cpu(&sys0);
    for (size_t i = 0; i < lg->nodes; i++) {
        cpu0[i] = node_cpu_s(lg->node[i].pid);
        lg_proc_sched(lg->node[i].pid, &run, &wait0[i]);
        lg->node[i].target = lg->node[i].committed + p->events;
        lg->node[i].reached_ns = 0;
    }
    p->fsync_ms_before = lg_fsync_probe(b->o.dir, 16);
    double self0 = self_cpu_s();
    if (sample_mem) {
        /* The maxima run over every sampled (saturation) phase. */
        lg->sample_mem = true;
        lg->last_mem_ns = 0;
    }
    lg->poll_every_ns = LG_POLL_NS;
    int64_t t0 = lg_now_ns();
    int64_t deadline = t0 + b->phase_timeout_s * 1000000000;
    rc = lg_submit_run(lg, mode, tr, tag, first, end, window, rate, deadline);
    /* Every answer is in: poll fast until every ledger counts the phase. */
    lg->poll_every_ns = LG_POLL_FAST_NS;
    bool all = false;
    while (rc == WB_OK && !all) {
        all = true;
        for (size_t i = 0; i < lg->nodes; i++) all = all && lg->node[i].reached_ns != 0;
        if (all) break;
        if (lg->failed) rc = WB_ERR_IO;
        else if (lg_now_ns() > deadline) rc = WB_ERR_TIMEOUT;
        else uv_run(&lg->loop, UV_RUN_ONCE);
    }
    lg->poll_every_ns = 0;
    lg->sample_mem = false;
    for (size_t i = 0; i < lg->nodes; i++) lg->node[i].target = 0;
    if (rc) {
        if (!lg->failed)
            lg_fail(lg, "phase %s did not complete: %s (%zu of %zu answered)", name,
                    wb_strerror(rc), lg->run.acked + lg->run.rejected, p->events);
        return rc;
    }
    int64_t t_end = 0;
    for (size_t i = 0; i < lg->nodes; i++)
        if (lg->node[i].reached_ns > t_end) t_end = lg->node[i].reached_ns;
    double nodes_cpu = 0;
    for (size_t i = 0; i < lg->nodes; i++) {
        p->cpu_s[i] = node_cpu_s(lg->node[i].pid) - cpu0[i];
        nodes_cpu += p->cpu_s[i];
        double wait1 = 0;
        lg_proc_sched(lg->node[i].pid, &run, &wait1);
        p->wait_s[i] = wait1 - wait0[i];
    }
    p->lg_cpu_s = self_cpu_s() - self0;
    lg_sys_cpu(&sys1);
    p->fsync_ms_after = lg_fsync_probe(b->o.dir, 16);
    p->machine_busy_s = sys1.busy_s - sys0.busy_s;
    p->machine_idle_s = sys1.idle_s - sys0.idle_s;
    p->machine_steal_s = sys1.steal_s - sys0.steal_s;
    p->other_cpu_s = p->machine_busy_s - nodes_cpu - p->lg_cpu_s;
    if (p->other_cpu_s < 0) p->other_cpu_s = 0;
    if (sample_mem)
        for (size_t i = 0; i < lg->nodes; i++) {
            r->anon_sat_kb[i] = lg->rss_anon_max_kb[i];
            r->rss_sat_kb[i] = lg->rss_max_kb[i];
        }

    const struct lg_phase_run *ru = &lg->run;
    p->acked = ru->acked;
    p->rejected = ru->rejected;
    p->inflight_max = ru->inflight_max;
    snprintf(p->first_reject, sizeof p->first_reject, "%s", ru->first_reject);
    p->elapsed_s = (double)(t_end - t0) / 1e9;
    p->committed_per_s = p->elapsed_s > 0 ? (double)p->events / p->elapsed_s : 0;

    double *lat = malloc((p->events ? p->events : 1) * sizeof *lat);
    if (!lat) return WB_ERR_NOMEM;
    size_t n = 0;
    double sum = 0;
    p->first_height = UINT64_MAX;
    const struct lg_load *ld = tr->load;
    for (size_t pos = first; pos < end; pos++) {
        size_t e = lg_pos_event(ld, pos);
        if (tr->state[e] != LG_EV_ACKED) continue;
        lat[n] = (double)(tr->ack_ns[e] - tr->sched_ns[e]) / 1e6;
        sum += lat[n++];
        if (tr->height[e] < p->first_height) p->first_height = tr->height[e];
        if (tr->height[e] > p->last_height) p->last_height = tr->height[e];
    }
    if (n == 0) p->first_height = 0;
    p->blocks = n ? p->last_height - p->first_height + 1 : 0;
    p->blocks_per_s = p->elapsed_s > 0 ? (double)p->blocks / p->elapsed_s : 0;
    p->events_per_block = p->blocks ? (double)n / (double)p->blocks : 0;
    p->lat_mean_ms = n ? sum / (double)n : 0;
    p->lat_p50_ms = lg_percentile(lat, n, 50);
    p->lat_p90_ms = lg_percentile(lat, n, 90);
    p->lat_p99_ms = lg_percentile(lat, n, 99);
    p->lat_max_ms = n ? lat[n - 1] : 0;
    free(lat);
    lg_say("  %zu committed in %.2f s: %.0f events/s, %llu blocks (%.1f events each), latency "
           "p50 %.1f ms p99 %.1f ms, %zu rejected%s%s",
           p->acked, p->elapsed_s, p->committed_per_s, (unsigned long long)p->blocks,
           p->events_per_block, p->lat_p50_ms, p->lat_p99_ms, p->rejected,
           p->rejected ? ": " : "", p->first_reject);
    if (p->rejected) lg_fail(lg, "phase %s: %zu events rejected; first: %s", name, p->rejected,
                             p->first_reject);
    return lg->failed ? WB_ERR_IO : WB_OK;
}

static int time_verify(struct bench *b)
{
    struct lg *lg = &b->lg;
    struct lg_report *r = &b->r;
    char genesis[4200];
    snprintf(genesis, sizeof genesis, "%s/genesis.json", b->o.dir);
    char *argv[] = {(char *)b->o.waybill, "verify", b->chain.item_ids[0], "--node",
                    lg->node[0].api, "--key", lg->node[0].client_key, "--genesis", genesis,
                    NULL};
    double v[LG_VERIFY_RUNS];
    for (size_t i = 0; i < LG_VERIFY_RUNS; i++) {
        double s = 0;
        r->verify_status = lg_spawn_timed(argv, &s);
        if (r->verify_status != 0) {
            lg_fail(lg, "waybill verify %s exited with status %d", b->chain.item_ids[0],
                    r->verify_status);
            return WB_ERR_VERIFY;
        }
        r->verify_s[i] = v[i] = s;
        r->verify_runs++;
    }
    r->verify_median_s = lg_percentile(v, LG_VERIFY_RUNS, 50);
    lg_say("  waybill verify %s (%zu events): %.1f ms median of %d runs",
           b->chain.item_ids[0], b->chain.count, r->verify_median_s * 1000, LG_VERIFY_RUNS);
    return WB_OK;
}

static void final_figures(struct bench *b)
{
    struct lg *lg = &b->lg;
    struct lg_report *r = &b->r;
    uint64_t du = 0, committed = 0;
    if (lg_poll_status(lg, 10000) != WB_OK) return;
    for (size_t i = 0; i < lg->nodes; i++) {
        uint64_t hwm = 0, rss, anon;
        lg_proc_mem(lg->node[i].pid, &hwm, &rss, &anon);
        r->hwm_kb[i] = hwm;
        r->cpu_total_s[i] = node_cpu_s(lg->node[i].pid);
        r->committed[i] = lg->node[i].committed;
        lg_du(lg->node[i].data_dir, &r->du_bytes[i], &r->apparent_bytes[i]);
        du += r->du_bytes[i];
        committed += r->committed[i];
    }
    /* Signed bytes of what was committed: the mean of what was sent. */
    uint64_t sbytes = 0, sn = 0;
    const struct lg_track *trs[2] = {&b->track, &b->chain_track};
    for (size_t t = 0; t < 2; t++)
        for (size_t e = 0; trs[t]->load && e < trs[t]->load->count; e++)
            if (trs[t]->state[e] == LG_EV_ACKED) {
                sbytes += trs[t]->load->lens[e];
                sn++;
            }
    r->signed_per_event = sn ? (double)sbytes / (double)sn : 0;
    r->disk_per_event = committed ? (double)du / (double)committed : 0;
    r->disk_ratio = r->signed_per_event > 0 ? r->disk_per_event / r->signed_per_event : 0;
}

static void finish_report(struct bench *b)
{
    struct lg_report *r = &b->r;
    r->lg_cpu_s = self_cpu_s();
    if (b->lg.failed && !r->failed) {
        r->failed = true;
        snprintf(r->fail_msg, sizeof r->fail_msg, "%s", b->lg.fail_msg);
    }
    if (r->failed && b->o.logs) {
        size_t n = strlen(r->fail_msg);
        snprintf(r->fail_msg + n, sizeof r->fail_msg - n, " (node logs kept in %s)", b->o.logs);
    }
    if (b->o.started_ms > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
        r->run_s = (double)(now_ms - b->o.started_ms) / 1000.0;
    }
}

/* Reads the testnet, chooses the cast and measures the signature ceiling
 * (over `windows` windows filling `ceiling_s`), printing each. */
static int set_up(struct bench *b, double ceiling_s, int windows)
{
    struct lg *lg = &b->lg;
    struct lg_report *r = &b->r;
    char msg[LG_MSG_MAX];
    msg[0] = '\0';

    int rc = load_testnet(lg, &b->o, b->orgs, msg, sizeof msg);
    if (rc == WB_OK) rc = cast_of(b->orgs, lg->nodes, &b->cast, msg, sizeof msg);
    if (rc) {
        lg_fail(lg, "%s", msg[0] ? msg : wb_strerror(rc));
        return rc;
    }
    r->nodes = lg->nodes;
    lg_say("machine: %ld cores, %s, %.1f GiB, %s", r->nproc, r->cpu_model,
           (double)r->mem_total_kb / 1048576.0, r->kernel);
    lg_say("testnet: %zu validators, chain %s; cast: shipper %s, carrier %s, customs %s, "
           "consignee %s",
           lg->nodes, lg->genesis->chain_name, b->orgs[b->cast.shipper].name,
           b->orgs[b->cast.carrier].name, b->orgs[b->cast.customs].name,
           b->orgs[b->cast.consignee].name);

    /* The ceiling: one core's Ed25519 verifications of an event-sized
     * message ("waybill/event/v1" || chain id || ~300-byte body). */
    r->verify_per_s = lg_verify_rate(16 + 32 + LG_BODY_TARGET, ceiling_s, windows);
    r->ceiling_per_s = r->verify_per_s * (double)r->nproc / (double)lg->nodes;
    lg_say("ceiling: %.0f Ed25519 verifies/s on one core (best of %d windows of 0.25 s) x %ld "
           "cores / %zu nodes = %.0f events/s",
           r->verify_per_s, windows, r->nproc, lg->nodes, r->ceiling_per_s);
    return WB_OK;
}

/* Pre-signs the main load (items numbered from --item-base) and, when
 * with_chain, the long chain, before any clock starts; sets up their tracks
 * and connects to every node. */
static int sign_and_connect(struct bench *b, bool with_chain)
{
    struct lg *lg = &b->lg;
    struct lg_report *r = &b->r;
    char msg[LG_MSG_MAX];
    msg[0] = '\0';

    size_t per_item = b->o.events / b->o.items;
    unsigned threads = r->nproc > 0 ? (unsigned)r->nproc : 1;
    int rc = lg_load_build(&b->load, b->o.items, b->o.item_base, per_item, LG_JOURNEY_TRADE,
                           "WBL", b->orgs, &b->cast, lg->genesis->chain_id, threads, msg,
                           sizeof msg);
    if (rc == WB_OK && with_chain)
        rc = lg_load_build(&b->chain, 1, 0, b->o.chain, LG_JOURNEY_CONTROL, "VRF", b->orgs,
                           &b->cast, lg->genesis->chain_id, 1, msg, sizeof msg);
    if (rc) {
        lg_fail(lg, "pre-signing: %s", msg);
        return rc;
    }
    r->sign_events = b->load.count;
    r->sign_threads = b->load.threads;
    r->sign_s = b->load.sign_s;
    r->sign_per_s = b->load.sign_s > 0 ? (double)b->load.count / b->load.sign_s : 0;
    r->body_mean = (double)b->load.body_bytes / (double)b->load.count;
    r->signed_mean = (double)b->load.signed_bytes / (double)b->load.count;
    lg_say("signing (client side, not counted as ledger work): %zu events of %zu items in "
           "%.2f s on %u threads = %.0f events/s (%.0f per thread); body %.0f B, signed "
           "event %.0f B",
           b->load.count, b->load.items, r->sign_s, r->sign_threads, r->sign_per_s,
           r->sign_per_s / r->sign_threads, r->body_mean, r->signed_mean);

    if (lg_track_init(&b->track, &b->load) ||
        (with_chain && lg_track_init(&b->chain_track, &b->chain))) {
        lg_fail(lg, "out of memory");
        return WB_ERR_NOMEM;
    }
    rc = lg_connect(lg, &b->orgs[0], b->o.links, 20000);
    if (rc) {
        if (!lg->failed) lg_fail(lg, "cannot connect to the nodes: %s", wb_strerror(rc));
        return rc;
    }
    lg_say("connected: %zu links per node (1 query + %zu submit)", b->o.links + 1, b->o.links);
    return WB_OK;
}

static int run_bench(struct bench *b)
{
    struct lg *lg = &b->lg;
    struct lg_report *r = &b->r;
    int rc = set_up(b, b->o.quick ? 1.0 : 2.0, b->o.quick ? 4 : 8);
    if (rc == WB_OK) rc = sign_and_connect(b, true);
    if (rc) return rc;

    /* Saturation: many in flight over every node. */
    size_t count = b->load.count, pos = 0;
    double sat = b->o.sat_rate;
    if (sat <= 0) {
        size_t sat_n = (size_t)((double)count * LG_SAT_SHARE);
        r->sat = (int)r->phase_count;
        rc = run_phase(b, "saturation", LG_MODE_WINDOW, &b->track, 0, pos, pos + sat_n,
                       b->o.window, 0, true);
        if (rc) return rc;
        pos += sat_n;
        sat = r->phase[r->sat].committed_per_s;
    }

    /* Open loop at shares of the saturation rate; shorter when the load
     * would not last. */
    size_t seq_n = b->o.quick ? LG_SEQ_EVENTS_QUICK : LG_SEQ_EVENTS;
    size_t keep = seq_n + (b->o.sat_rate <= 0 ? (size_t)((double)count * LG_SAT2_SHARE) : 0);
    size_t avail = count - pos > keep ? count - pos - keep : 0;
    double need = 0;
    for (size_t i = 0; i < LG_OPEN_PLANS; i++)
        need += lg_open_plans[i].share * sat *
                (b->o.quick ? lg_open_plans[i].seconds_quick : lg_open_plans[i].seconds);
    double scale = need > (double)avail ? (double)avail / need : 1.0;
    r->half = -1;
    for (size_t i = 0; i < LG_OPEN_PLANS; i++) {
        const struct lg_open_plan *op = &lg_open_plans[i];
        double rate = op->share * sat;
        size_t n = (size_t)(rate * (b->o.quick ? op->seconds_quick : op->seconds) * scale);
        if (n == 0 || rate < 1) continue;
        if (op->share == 0.5) r->half = (int)r->phase_count;
        rc = run_phase(b, op->name, LG_MODE_RATE, &b->track, 0, pos, pos + n, 0, rate, false);
        if (rc) return rc;
        pos += n;
    }

    /* Saturation again with the rest of the load (all but the sequential
     * events): a second sample, on a larger ledger. */
    if (b->o.sat_rate <= 0 && count - pos >= seq_n + LG_SAT2_MIN) {
        r->sat2 = (int)r->phase_count;
        rc = run_phase(b, "saturation-2", LG_MODE_WINDOW, &b->track, 0, pos,
                       count - seq_n, b->o.window, 0, true);
        if (rc) return rc;
        pos = count - seq_n;
    }

    /* One client, one event at a time. */
    if (seq_n > count - pos) seq_n = count - pos;
    r->seq = (int)r->phase_count;
    rc = run_phase(b, "sequential", LG_MODE_SEQ, &b->track, 0, pos, pos + seq_n, 1, 0, false);
    if (rc) return rc;
    pos += seq_n;

    /* The long chain, then verify it as customs would. */
    r->chain = (int)r->phase_count;
    r->chain_events = b->chain.count;
    rc = run_phase(b, "chain", LG_MODE_WINDOW, &b->chain_track, 1, 0, b->chain.count,
                   b->chain.count, 0, false);
    if (rc) return rc;
    rc = time_verify(b);
    if (rc) return rc;

    final_figures(b);
    lg_say("checking every node's ledger ...");
    struct lg_track *tracks[2] = {&b->track, &b->chain_track};
    rc = lg_check_all(lg, tracks, 2, LG_HISTORY_SAMPLE, 1, &r->check);
    r->checked = rc == WB_OK;
    if (rc) {
        if (!lg->failed) lg_fail(lg, "checking the ledgers: %s", wb_strerror(rc));
        return rc;
    }
    if (!r->check.ok) {
        lg_fail(lg, "ledger check: %s", r->check.msg);
        return WB_ERR_VERIFY;
    }
    return WB_OK;
}

/* --phases sat: one closed-loop saturation phase over the whole load (fresh
 * items on a ledger that may hold earlier loads), the disk figures, and the
 * check of this load's blocks. */
static int run_load(struct bench *b)
{
    struct lg *lg = &b->lg;
    struct lg_report *r = &b->r;
    int rc = set_up(b, 1.0, 4);
    if (rc == WB_OK) rc = sign_and_connect(b, false);
    if (rc) return rc;
    rc = lg_poll_status(lg, 10000);
    if (rc) {
        if (!lg->failed) lg_fail(lg, "status of the nodes: %s", wb_strerror(rc));
        return rc;
    }
    r->load_committed_before = UINT64_MAX;
    for (size_t i = 0; i < lg->nodes; i++)
        if (lg->node[i].committed < r->load_committed_before)
            r->load_committed_before = lg->node[i].committed;
    lg_say("load: %zu events of %zu items numbered from %zu, on a ledger of %llu events",
           b->load.count, b->load.items, b->load.item_base,
           (unsigned long long)r->load_committed_before);

    r->sat = (int)r->phase_count;
    rc = run_phase(b, "saturation", LG_MODE_WINDOW, &b->track, 0, 0, b->load.count,
                   b->o.window, 0, true);
    if (rc) return rc;

    final_figures(b);
    const struct lg_phase_res *p = &r->phase[r->sat];
    lg_say("checking this load's blocks (heights %llu on) on every node ...",
           (unsigned long long)p->first_height);
    struct lg_track *tracks[1] = {&b->track};
    rc = lg_check_all(lg, tracks, 1, LG_HISTORY_SAMPLE, p->first_height ? p->first_height : 1,
                      &r->check);
    r->checked = rc == WB_OK;
    if (rc) {
        if (!lg->failed) lg_fail(lg, "checking the ledgers: %s", wb_strerror(rc));
        return rc;
    }
    if (!r->check.ok) {
        lg_fail(lg, "ledger check: %s", r->check.msg);
        return WB_ERR_VERIFY;
    }
    return WB_OK;
}

int main(int argc, char **argv)
{
    static struct bench b;
    if (parse_opts(argc, argv, &b.o) != 0) return 2;
    if (sodium_init() < 0) {
        fprintf(stderr, "loadgen: libsodium cannot initialise\n");
        return 1;
    }
    wb_log_set_level(WB_LOG_ERROR);
    setvbuf(stdout, NULL, _IOLBF, 0);
    machine_info(&b.r);
    b.r.quick = b.o.quick;
    b.r.sat = b.r.sat2 = b.r.half = b.r.seq = b.r.chain = -1;
    b.r.load_mode = b.o.sat_only;
    b.r.load_item_base = b.o.item_base;
    b.phase_timeout_s = LG_PHASE_TIMEOUT_S;
    if (b.o.sat_only) b.phase_timeout_s += (int64_t)(b.o.events / LG_LOAD_SLOWEST_PER_S);

    int rc = b.o.sat_only ? run_load(&b) : run_bench(&b);
    lg_disconnect(&b.lg);
    finish_report(&b);
    /* The summary line ends the output: everything else comes before it. */
    if (lg_report_json(&b.r, &b.lg, b.o.out) == WB_OK) printf("figures written to %s\n", b.o.out);
    else printf("cannot write %s\n", b.o.out);
    if (b.o.sat_only) lg_report_print_load(&b.r, &b.lg);
    else lg_report_print(&b.r, &b.lg);
    lg_track_free(&b.track);
    lg_track_free(&b.chain_track);
    lg_load_free(&b.load);
    lg_load_free(&b.chain);
    for (size_t i = 0; i < LG_NODES_MAX; i++) sodium_memzero(b.orgs[i].sk, WB_SECKEY_LEN);
    free(b.lg.genesis);
    return rc == WB_OK && !b.r.failed ? 0 : 1;
}
