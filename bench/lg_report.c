/* The benchmark's output: tables of the figures, each target met or missed,
 * the same figures as JSON, and the one-line summary that ends the run. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "bench/lg.h"
#include "common/wb_error.h"

/* The targets of the issue, for 4 validators on this machine. */
#define LG_TARGET_EVENTS_PER_S 10000.0
#define LG_TARGET_CEILING_RATIO 0.8
#define LG_TARGET_HALF_P50_MS 10.0
#define LG_TARGET_HALF_P99_MS 50.0
#define LG_TARGET_SEQ_P50_MS 5.0
#define LG_TARGET_RSS_ANON_MIB 64.0
#define LG_TARGET_DISK_RATIO 2.0
#define LG_TARGET_VERIFY_MS 100.0
#define LG_TARGET_RUN_S 300.0
#define LG_TARGET_RUN_QUICK_S 60.0

static const char *mode_name(enum lg_mode m)
{
    switch (m) {
    case LG_MODE_WINDOW:
        return "closed";
    case LG_MODE_RATE:
        return "open";
    case LG_MODE_SEQ:
        return "sequential";
    default:
        return "idle";
    }
}

static const struct lg_phase_res *phase_at(const struct lg_report *r, int i)
{
    return i >= 0 && (size_t)i < r->phase_count ? &r->phase[i] : NULL;
}

/* Saturation throughput: both saturation phases together (events over
 * their summed time), or the one that ran. */
static double sat_rate(const struct lg_report *r)
{
    const struct lg_phase_res *a = phase_at(r, r->sat), *b = phase_at(r, r->sat2);
    double events = 0, secs = 0;
    if (a) {
        events += (double)a->events;
        secs += a->elapsed_s;
    }
    if (b) {
        events += (double)b->events;
        secs += b->elapsed_s;
    }
    return secs > 0 ? events / secs : 0;
}

static double max_anon_mib(const struct lg_report *r)
{
    uint64_t m = 0;
    for (size_t i = 0; i < r->nodes; i++)
        if (r->anon_sat_kb[i] > m) m = r->anon_sat_kb[i];
    return (double)m / 1024.0;
}

/* One target: what it is, its limit, the measured value, met or missed. */
struct lg_target {
    const char *what;
    char limit[32];
    char value[32];
    bool measured;
    bool met;
};

static size_t targets_of(const struct lg_report *r, struct lg_target *t)
{
    size_t n = 0;
    const struct lg_phase_res *half = phase_at(r, r->half), *seq = phase_at(r, r->seq);
    double sat = sat_rate(r);
    double ratio = r->ceiling_per_s > 0 ? sat / r->ceiling_per_s : 0;

    t[n] = (struct lg_target){.what = "saturation: committed events/s", .measured = sat > 0,
                              .met = sat >= LG_TARGET_EVENTS_PER_S};
    snprintf(t[n].limit, sizeof t[n].limit, ">= %.0f", LG_TARGET_EVENTS_PER_S);
    snprintf(t[n++].value, sizeof t[0].value, "%.0f", sat);

    t[n] = (struct lg_target){.what = "saturation / signature ceiling", .measured = sat > 0,
                              .met = ratio >= LG_TARGET_CEILING_RATIO};
    snprintf(t[n].limit, sizeof t[n].limit, ">= %.2f", LG_TARGET_CEILING_RATIO);
    snprintf(t[n++].value, sizeof t[0].value, "%.2f", ratio);

    t[n] = (struct lg_target){.what = "half saturation: p50 submit->commit",
                              .measured = half && half->acked,
                              .met = half && half->acked && half->lat_p50_ms <= LG_TARGET_HALF_P50_MS};
    snprintf(t[n].limit, sizeof t[n].limit, "<= %.0f ms", LG_TARGET_HALF_P50_MS);
    snprintf(t[n++].value, sizeof t[0].value, "%.1f ms", half ? half->lat_p50_ms : 0);

    t[n] = (struct lg_target){.what = "half saturation: p99 submit->commit",
                              .measured = half && half->acked,
                              .met = half && half->acked && half->lat_p99_ms <= LG_TARGET_HALF_P99_MS};
    snprintf(t[n].limit, sizeof t[n].limit, "<= %.0f ms", LG_TARGET_HALF_P99_MS);
    snprintf(t[n++].value, sizeof t[0].value, "%.1f ms", half ? half->lat_p99_ms : 0);

    t[n] = (struct lg_target){.what = "single client, sequential: p50",
                              .measured = seq && seq->acked,
                              .met = seq && seq->acked && seq->lat_p50_ms <= LG_TARGET_SEQ_P50_MS};
    snprintf(t[n].limit, sizeof t[n].limit, "<= %.0f ms", LG_TARGET_SEQ_P50_MS);
    snprintf(t[n++].value, sizeof t[0].value, "%.1f ms", seq ? seq->lat_p50_ms : 0);

    double anon = max_anon_mib(r);
    t[n] = (struct lg_target){.what = "RssAnon per node at saturation (max)",
                              .measured = anon > 0, .met = anon > 0 && anon <= LG_TARGET_RSS_ANON_MIB};
    snprintf(t[n].limit, sizeof t[n].limit, "<= %.0f MiB", LG_TARGET_RSS_ANON_MIB);
    snprintf(t[n++].value, sizeof t[0].value, "%.1f MiB", anon);

    t[n] = (struct lg_target){.what = "disk bytes / signed event bytes",
                              .measured = r->disk_ratio > 0,
                              .met = r->disk_ratio > 0 && r->disk_ratio <= LG_TARGET_DISK_RATIO};
    snprintf(t[n].limit, sizeof t[n].limit, "<= %.1f", LG_TARGET_DISK_RATIO);
    snprintf(t[n++].value, sizeof t[0].value, "%.2f", r->disk_ratio);

    double vms = r->verify_median_s * 1000.0;
    t[n] = (struct lg_target){.what = "verify of a 1000-event chain",
                              .measured = r->verify_runs > 0,
                              .met = r->verify_runs > 0 && r->verify_status == 0 &&
                                     vms <= LG_TARGET_VERIFY_MS};
    snprintf(t[n].limit, sizeof t[n].limit, "<= %.0f ms", LG_TARGET_VERIFY_MS);
    snprintf(t[n++].value, sizeof t[0].value, "%.1f ms", vms);

    double run_limit = r->quick ? LG_TARGET_RUN_QUICK_S : LG_TARGET_RUN_S;
    t[n] = (struct lg_target){.what = r->quick ? "make bench QUICK=1 wall time"
                                               : "make bench wall time",
                              .measured = r->run_s > 0, .met = r->run_s <= run_limit};
    snprintf(t[n].limit, sizeof t[n].limit, "<= %.0f s", run_limit);
    snprintf(t[n++].value, sizeof t[0].value, "%.1f s", r->run_s);
    return n;
}

#define LG_TARGETS_MAX 12

void lg_report_print(const struct lg_report *r, const struct lg *lg)
{
    printf("\n== phases (committed counts and heights from the nodes' ledgers; latency "
           "submit->commit) ==\n");
    printf("%-16s %-10s %9s %7s %10s %6s %6s %7s %8s %8s %8s %8s %5s\n", "phase", "mode",
           "rate|win", "events", "commit/s", "blocks", "blk/s", "ev/blk", "p50 ms", "p90 ms",
           "p99 ms", "max ms", "rej");
    for (size_t i = 0; i < r->phase_count; i++) {
        const struct lg_phase_res *p = &r->phase[i];
        char rw[16];
        if (p->mode == LG_MODE_RATE) snprintf(rw, sizeof rw, "%.0f/s", p->rate);
        else snprintf(rw, sizeof rw, "%zu", p->window);
        printf("%-16s %-10s %9s %7zu %10.0f %6llu %6.2f %7.1f %8.2f %8.2f %8.2f %8.2f %5zu\n",
               p->name, mode_name(p->mode), rw, p->events, p->committed_per_s,
               (unsigned long long)p->blocks, p->blocks_per_s, p->events_per_block,
               p->lat_p50_ms, p->lat_p90_ms, p->lat_p99_ms, p->lat_max_ms, p->rejected);
    }

    printf("\n== CPU during the phases (core-seconds; %ld cores) ==\n", r->nproc);
    printf("%-16s %8s %8s %8s %8s %8s %8s %14s %11s %14s\n", "phase", "wall s", "nodes",
           "loadgen", "others", "idle", "steal", "runq wait/node", "node us/ev",
           "fsync ms b/a");
    for (size_t i = 0; i < r->phase_count; i++) {
        const struct lg_phase_res *p = &r->phase[i];
        double nodes = 0, wait = 0;
        for (size_t k = 0; k < r->nodes; k++) {
            nodes += p->cpu_s[k];
            wait += p->wait_s[k];
        }
        printf("%-16s %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f %11.0f ms %11.1f %6.2f/%-6.2f\n",
               p->name, p->elapsed_s, nodes, p->lg_cpu_s, p->other_cpu_s, p->machine_idle_s,
               p->machine_steal_s, r->nodes ? wait / (double)r->nodes * 1000 : 0,
               p->events && r->nodes ? nodes / (double)p->events / (double)r->nodes * 1e6 : 0,
               p->fsync_ms_before, p->fsync_ms_after);
    }
    printf("(node us/ev: CPU time of one node per event of the phase, the mean of the nodes; "
           "one Ed25519 verify costs %.1f us here. fsync ms: median 4 KiB write + fdatasync "
           "on the nodes' file system before/after the phase)\n",
           r->verify_per_s > 0 ? 1e6 / r->verify_per_s : 0);
    printf("(others: busy time of processes outside this benchmark, e.g. other builds and "
           "tests on the machine)\n");

    const struct lg_phase_res *sat = phase_at(r, r->sat), *sat2 = phase_at(r, r->sat2);
    printf("\nsaturation, both phases: %.0f committed events/s\n", sat_rate(r));
    printf("\n== nodes ==\n");
    printf("%-6s %10s %10s %10s %12s %10s %10s %11s\n", "node", "cpu s sat", "cpu s all",
           "VmHWM MiB", "RssAnon MiB", "RSS MiB", "disk MiB", "committed");
    for (size_t i = 0; i < r->nodes; i++)
        printf("%-6s %10.2f %10.2f %10.1f %12.1f %10.1f %10.1f %11llu\n", lg->node[i].name,
               (sat ? sat->cpu_s[i] : 0) + (sat2 ? sat2->cpu_s[i] : 0), r->cpu_total_s[i], (double)r->hwm_kb[i] / 1024.0,
               (double)r->anon_sat_kb[i] / 1024.0, (double)r->rss_sat_kb[i] / 1024.0,
               (double)r->du_bytes[i] / 1048576.0, (unsigned long long)r->committed[i]);
    printf("(RssAnon and RSS: the highest of samples every 250 ms during saturation; disk: "
           "allocated bytes of the data dir, as du)\n");
    printf("disk per event %.0f B vs signed event %.0f B: ratio %.2f\n", r->disk_per_event,
           r->signed_per_event, r->disk_ratio);
    printf("load generator CPU: %.2f s in all", r->lg_cpu_s);
    if (sat) printf(", %.2f s during saturation", sat->lg_cpu_s + (sat2 ? sat2->lg_cpu_s : 0));
    printf("\n");

    if (r->verify_runs) {
        printf("verify of the %zu-event chain:", r->chain_events);
        for (size_t i = 0; i < r->verify_runs; i++) printf(" %.1f ms", r->verify_s[i] * 1000);
        printf(" (median %.1f ms, exit status %d)\n", r->verify_median_s * 1000,
               r->verify_status);
    }
    if (r->checked) {
        const struct lg_check_res *c = &r->check;
        printf("checks: %s: heights %llu..%llu on %zu nodes (%llu blocks fetched, %llu differing "
               "hashes); %llu acknowledged events, %llu missing, %llu unexpected, %llu "
               "duplicated; %zu item histories compared, %zu differ (%.1f s)\n",
               c->ok ? "ok" : "FAILED", (unsigned long long)c->from,
               (unsigned long long)c->height, r->nodes,
               (unsigned long long)c->blocks_fetched, (unsigned long long)c->hash_mismatch,
               (unsigned long long)c->acked, (unsigned long long)c->missing,
               (unsigned long long)c->unexpected, (unsigned long long)c->duplicates,
               c->history_items, c->history_bad, c->seconds);
        if (!c->ok) printf("checks: %s\n", c->msg);
    }

    struct lg_target t[LG_TARGETS_MAX];
    size_t n = targets_of(r, t);
    printf("\n== targets (4 validators, %ld cores) ==\n", r->nproc);
    printf("%-40s %-12s %-12s %s\n", "target", "limit", "measured", "result");
    for (size_t i = 0; i < n; i++)
        printf("%-40s %-12s %-12s %s\n", t[i].what, t[i].limit, t[i].measured ? t[i].value : "-",
               !t[i].measured ? "not measured" : t[i].met ? "met" : "MISSED");
    printf("signature ceiling: %.0f verifies/s per core x %ld cores / %zu nodes = %.0f "
           "events/s\n",
           r->verify_per_s, r->nproc, r->nodes, r->ceiling_per_s);
    if (r->failed) printf("\nFAILED: %s\n", r->fail_msg);

    const struct lg_phase_res *half = phase_at(r, r->half);
    double s = sat_rate(r);
    printf("waybill events_per_s=%.0f p50_ms=%.2f p99_ms=%.2f ceiling_ratio=%.2f\n", s,
           half ? half->lat_p50_ms : 0, half ? half->lat_p99_ms : 0,
           r->ceiling_per_s > 0 ? s / r->ceiling_per_s : 0);
    fflush(stdout);
}

static uint64_t lowest_committed(const struct lg_report *r)
{
    uint64_t m = UINT64_MAX;
    for (size_t i = 0; i < r->nodes; i++)
        if (r->committed[i] < m) m = r->committed[i];
    return r->nodes ? m : 0;
}

void lg_report_print_load(const struct lg_report *r, const struct lg *lg)
{
    const struct lg_phase_res *p = phase_at(r, r->sat);
    printf("\n== load: items from %zu, on a ledger of %llu events ==\n", r->load_item_base,
           (unsigned long long)r->load_committed_before);
    if (p) {
        double nodes = 0;
        for (size_t k = 0; k < r->nodes; k++) nodes += p->cpu_s[k];
        printf("saturation (closed loop, %zu in flight): %zu events, %zu committed in %.2f s = "
               "%.0f events/s; heights %llu..%llu (%llu blocks, %.1f events each); latency "
               "p50 %.2f p90 %.2f p99 %.2f max %.2f ms; node CPU %.1f us/event; %zu rejected\n",
               p->window, p->events, p->acked, p->elapsed_s, p->committed_per_s,
               (unsigned long long)p->first_height, (unsigned long long)p->last_height,
               (unsigned long long)p->blocks, p->events_per_block, p->lat_p50_ms,
               p->lat_p90_ms, p->lat_p99_ms, p->lat_max_ms,
               p->events && r->nodes ? nodes / (double)p->events / (double)r->nodes * 1e6 : 0,
               p->rejected);
    }
    printf("%-6s %10s %10s %12s %10s %11s\n", "node", "cpu s sat", "VmHWM MiB", "RssAnon MiB",
           "disk MiB", "committed");
    for (size_t i = 0; i < r->nodes; i++)
        printf("%-6s %10.2f %10.1f %12.1f %10.1f %11llu\n", lg->node[i].name,
               p ? p->cpu_s[i] : 0, (double)r->hwm_kb[i] / 1024.0,
               (double)r->anon_sat_kb[i] / 1024.0, (double)r->du_bytes[i] / 1048576.0,
               (unsigned long long)r->committed[i]);
    printf("disk per event %.0f B (allocated bytes of the data dirs over their events, the "
           "mean of the nodes) vs signed event %.0f B\n",
           r->disk_per_event, r->signed_per_event);
    if (r->checked) {
        const struct lg_check_res *c = &r->check;
        printf("checks of this load only (the %llu events before it are not checked again): "
               "%s: heights %llu..%llu on %zu nodes (%llu blocks fetched, %llu differing "
               "hashes); %llu acknowledged events, %llu missing, %llu unexpected, %llu "
               "duplicated; %zu item histories compared, %zu differ (%.1f s)\n",
               (unsigned long long)r->load_committed_before, c->ok ? "ok" : "FAILED",
               (unsigned long long)c->from, (unsigned long long)c->height, r->nodes,
               (unsigned long long)c->blocks_fetched, (unsigned long long)c->hash_mismatch,
               (unsigned long long)c->acked, (unsigned long long)c->missing,
               (unsigned long long)c->unexpected, (unsigned long long)c->duplicates,
               c->history_items, c->history_bad, c->seconds);
        if (!c->ok) printf("checks: %s\n", c->msg);
    }
    printf("signature ceiling: %.0f verifies/s per core x %ld cores / %zu nodes = %.0f "
           "events/s\n",
           r->verify_per_s, r->nproc, r->nodes, r->ceiling_per_s);
    if (r->failed) printf("\nFAILED: %s\n", r->fail_msg);
    double s = p ? p->committed_per_s : 0;
    double node_us = 0;
    if (p && p->events && r->nodes) {
        for (size_t k = 0; k < r->nodes; k++) node_us += p->cpu_s[k];
        node_us = node_us / (double)p->events / (double)r->nodes * 1e6;
    }
    printf("waybill load events=%zu events_total=%llu events_per_s=%.0f p50_ms=%.2f "
           "p99_ms=%.2f disk_bytes_per_event=%.0f ceiling_ratio=%.2f node_us_per_event=%.1f "
           "others_cpu_s=%.1f checked=%s\n",
           p ? p->acked : 0, (unsigned long long)lowest_committed(r), s, p ? p->lat_p50_ms : 0,
           p ? p->lat_p99_ms : 0, r->disk_per_event,
           r->ceiling_per_s > 0 ? s / r->ceiling_per_s : 0, node_us, p ? p->other_cpu_s : 0,
           r->checked && r->check.ok && !r->failed ? "ok" : "FAILED");
    fflush(stdout);
}

static json_t *phase_json(const struct lg_phase_res *p, const struct lg *lg)
{
    json_t *cpu = json_object(), *wait = json_object();
    for (size_t i = 0; i < lg->nodes; i++) {
        json_object_set_new(cpu, lg->node[i].name, json_real(p->cpu_s[i]));
        json_object_set_new(wait, lg->node[i].name, json_real(p->wait_s[i]));
    }
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(p->name));
    json_object_set_new(o, "mode", json_string(mode_name(p->mode)));
    json_object_set_new(o, "rate_per_s", json_real(p->rate));
    json_object_set_new(o, "window", json_integer((json_int_t)p->window));
    json_object_set_new(o, "events", json_integer((json_int_t)p->events));
    json_object_set_new(o, "acked", json_integer((json_int_t)p->acked));
    json_object_set_new(o, "rejected", json_integer((json_int_t)p->rejected));
    json_object_set_new(o, "elapsed_s", json_real(p->elapsed_s));
    json_object_set_new(o, "committed_per_s", json_real(p->committed_per_s));
    json_object_set_new(o, "first_height", json_integer((json_int_t)p->first_height));
    json_object_set_new(o, "last_height", json_integer((json_int_t)p->last_height));
    json_object_set_new(o, "blocks", json_integer((json_int_t)p->blocks));
    json_object_set_new(o, "blocks_per_s", json_real(p->blocks_per_s));
    json_object_set_new(o, "events_per_block", json_real(p->events_per_block));
    json_object_set_new(o, "latency_ms",
                        json_pack("{s:f, s:f, s:f, s:f, s:f}", "p50", p->lat_p50_ms, "p90",
                                  p->lat_p90_ms, "p99", p->lat_p99_ms, "max", p->lat_max_ms,
                                  "mean", p->lat_mean_ms));
    json_object_set_new(o, "inflight_max", json_integer((json_int_t)p->inflight_max));
    json_object_set_new(o, "node_cpu_s", cpu);
    json_object_set_new(o, "loadgen_cpu_s", json_real(p->lg_cpu_s));
    json_object_set_new(o, "node_runqueue_wait_s", wait);
    json_object_set_new(o, "machine",
                        json_pack("{s:f, s:f, s:f, s:f, s:f, s:f}", "busy_s",
                                  p->machine_busy_s, "idle_s", p->machine_idle_s, "steal_s",
                                  p->machine_steal_s, "other_processes_s", p->other_cpu_s,
                                  "fsync_ms_before", p->fsync_ms_before, "fsync_ms_after",
                                  p->fsync_ms_after));
    if (p->first_reject[0]) json_object_set_new(o, "first_reject", json_string(p->first_reject));
    return o;
}

int lg_report_json(const struct lg_report *r, const struct lg *lg, const char *path)
{
    json_t *root = json_object();
    json_object_set_new(root, "machine",
                        json_pack("{s:i, s:s, s:I, s:s}", "nproc", (int)r->nproc, "cpu_model",
                                  r->cpu_model, "mem_total_kb", (json_int_t)r->mem_total_kb,
                                  "kernel", r->kernel));
    json_object_set_new(root, "quick", json_boolean(r->quick));
    json_object_set_new(root, "nodes", json_integer((json_int_t)r->nodes));
    json_object_set_new(root, "run_s", json_real(r->run_s));
    json_object_set_new(root, "saturation_events_per_s", json_real(sat_rate(r)));
    json_object_set_new(root, "ceiling",
                        json_pack("{s:f, s:f}", "verifies_per_s_per_core", r->verify_per_s,
                                  "events_per_s", r->ceiling_per_s));
    json_object_set_new(root, "signing",
                        json_pack("{s:I, s:i, s:f, s:f, s:f, s:f}", "events",
                                  (json_int_t)r->sign_events, "threads", (int)r->sign_threads,
                                  "seconds", r->sign_s, "events_per_s", r->sign_per_s,
                                  "body_bytes_mean", r->body_mean, "signed_bytes_mean",
                                  r->signed_mean));
    json_t *phases = json_array();
    for (size_t i = 0; i < r->phase_count; i++)
        json_array_append_new(phases, phase_json(&r->phase[i], lg));
    json_object_set_new(root, "phases", phases);

    json_t *nodes = json_array();
    for (size_t i = 0; i < r->nodes; i++)
        json_array_append_new(
            nodes, json_pack("{s:s, s:f, s:I, s:I, s:I, s:I, s:I, s:I}", "name",
                             lg->node[i].name, "cpu_total_s", r->cpu_total_s[i], "vm_hwm_kb",
                             (json_int_t)r->hwm_kb[i], "rss_anon_max_saturation_kb",
                             (json_int_t)r->anon_sat_kb[i], "rss_max_saturation_kb",
                             (json_int_t)r->rss_sat_kb[i], "disk_bytes",
                             (json_int_t)r->du_bytes[i], "disk_apparent_bytes",
                             (json_int_t)r->apparent_bytes[i], "events_committed",
                             (json_int_t)r->committed[i]));
    json_object_set_new(root, "nodes_detail", nodes);
    json_object_set_new(root, "disk",
                        json_pack("{s:f, s:f, s:f}", "bytes_per_event", r->disk_per_event,
                                  "signed_bytes_per_event", r->signed_per_event, "ratio",
                                  r->disk_ratio));
    json_t *vs = json_array();
    for (size_t i = 0; i < r->verify_runs; i++) json_array_append_new(vs, json_real(r->verify_s[i]));
    json_object_set_new(root, "verify",
                        json_pack("{s:I, s:o, s:f, s:i}", "chain_events",
                                  (json_int_t)r->chain_events, "runs_s", vs, "median_s",
                                  r->verify_median_s, "exit_status", r->verify_status));
    json_object_set_new(root, "loadgen_cpu_s", json_real(r->lg_cpu_s));
    if (r->checked) {
        const struct lg_check_res *c = &r->check;
        json_object_set_new(
            root, "checks",
            json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:i, s:s}", "ok", c->ok,
                      "height", (json_int_t)c->height, "blocks_fetched",
                      (json_int_t)c->blocks_fetched, "hash_mismatch",
                      (json_int_t)c->hash_mismatch, "acked", (json_int_t)c->acked, "missing",
                      (json_int_t)c->missing, "unexpected", (json_int_t)c->unexpected,
                      "duplicates", (json_int_t)c->duplicates, "history_items",
                      (int)c->history_items, "history_bad", (int)c->history_bad, "message",
                      c->msg));
    }
    if (r->load_mode) {
        json_object_set_new(root, "load",
                            json_pack("{s:I, s:I, s:I}", "item_base",
                                      (json_int_t)r->load_item_base, "events_before",
                                      (json_int_t)r->load_committed_before, "events_after",
                                      (json_int_t)lowest_committed(r)));
        if (r->checked)
            json_object_set_new(json_object_get(root, "checks"), "from_height",
                                json_integer((json_int_t)r->check.from));
        if (r->failed) json_object_set_new(root, "failed", json_string(r->fail_msg));
        int rc = json_dump_file(root, path, JSON_INDENT(2) | JSON_SORT_KEYS);
        json_decref(root);
        return rc == 0 ? WB_OK : WB_ERR_IO;
    }
    struct lg_target t[LG_TARGETS_MAX];
    size_t n = targets_of(r, t);
    json_t *ta = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(ta, json_pack("{s:s, s:s, s:s, s:s}", "target", t[i].what, "limit",
                                            t[i].limit, "measured", t[i].value, "result",
                                            !t[i].measured ? "not measured"
                                            : t[i].met     ? "met"
                                                           : "missed"));
    json_object_set_new(root, "targets", ta);
    if (r->failed) json_object_set_new(root, "failed", json_string(r->fail_msg));
    int rc = json_dump_file(root, path, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(root);
    return rc == 0 ? WB_OK : WB_ERR_IO;
}
