/* Unit tests of node/metrics: the text format writer (exact output of a
 * fixed snapshot, escaping of label values and help text, exact decimals,
 * the size bound), the histogram's buckets, and the health and readiness
 * verdicts with their one-line reasons. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/wb_error.h"
#include "node/metrics/expo.h"
#include "node/metrics/health.h"
#include "node/metrics/hist.h"
#include "node/metrics/record.h"
#include "node/metrics/registry.h"
#include "node/metrics/snapshot.h"

#define MS 1000000ull

/* Compares line by line, so a failure names the first line that differs. */
static void expect_text(const char *got, const char *want)
{
    size_t line = 1;
    const char *g = got, *w = want;
    while (*g && *w) {
        size_t gl = strcspn(g, "\n"), wl = strcspn(w, "\n");
        if (gl != wl || memcmp(g, w, gl) != 0)
            fail_msg("line %zu differs\n got: %.*s\nwant: %.*s", line, (int)gl, g, (int)wl, w);
        g += gl + (g[gl] == '\n');
        w += wl + (w[wl] == '\n');
        line++;
    }
    if (*g || *w)
        fail_msg("output %s at line %zu:\n%s", *g ? "goes on" : "ends early", line, *g ? g : w);
}

static char *write_snapshot(const struct metrics_snapshot *s)
{
    struct expo_buf b;
    expo_buf_init(&b);
    assert_int_equal(metrics_registry_write(s, &b), WB_OK);
    size_t len;
    char *text = expo_buf_take(&b, &len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    return text;
}

/* A snapshot with every kind of value set. */
static struct metrics_snapshot *fixed_snapshot(void)
{
    struct metrics_snapshot *s = calloc(1, sizeof *s);
    assert_non_null(s);
    s->published_ms = 1796400000500;
    s->start_ms = 1796399000250;
    s->height = 42;
    s->round = 1;
    s->head_time_ms = 1796400000123;
    s->heartbeat_ms = 60000;
    s->blocks_committed = 40;
    s->events_committed = 1234;
    struct node_metrics_record r;
    node_metrics_record_init(&r);
    node_metrics_record_commit(&r, 3 * MS);
    node_metrics_record_commit(&r, 40 * MS);
    node_metrics_record_commit(&r, 2000 * MS);
    node_metrics_record_commit(&r, 70000 * MS); /* above the last bound */
    node_metrics_record_check(&r, 50000);
    node_metrics_record_check(&r, 3 * MS + 1);
    s->commit_latency = r.commit_latency;
    s->block_check = r.block_check;
    s->sync_target = 43;
    s->syncing = false;
    s->mempool_events = 5;
    s->mempool_bytes = 2048;
    s->events_refused[-WB_ERR_RULE - 1] = 3;
    s->events_refused[-WB_ERR_STALE - 1] = 1;
    s->events_refused[-WB_ERR_PERMISSION - 1] = 2; /* not listed unless counted */
    s->validators = 4;
    s->quorum = 3;
    s->validators_connected = 3;
    s->peers_connected = 2;
    s->quorum_seen_ms = s->published_ms;
    s->peer_count = 3;
    s->peers[0] = (struct metrics_peer){"node1", true, 1000, 2000};
    s->peers[1] = (struct metrics_peer){"node-0123456789abcdef", false, 7, 8};
    s->peers[2] = (struct metrics_peer){"we\"ird\\na\nme", true, 1, 2};
    s->admission[METRICS_PORT_P2P] = (struct metrics_admission){3, 1, 2, 4, 5, 0, 2};
    s->admission[METRICS_PORT_API] = (struct metrics_admission){10, 0, 0, 0, 1, 1, 4};
    s->storage_held = false;
    snprintf(s->storage, sizeof s->storage, "ok");
    s->store_known = true;
    s->store_map_bytes = 67108864;
    s->store_map_max_bytes = 1099511627776;
    s->store_used_bytes = 28672;
    s->fs_known = true;
    s->fs_avail_bytes = 1000000000;
    s->fs_size_bytes = 4000000000;
    s->safety_writes = 41;
    s->evidence = 0;
    s->rss_known = true;
    s->resident_bytes = 10964992;
    s->health_window_ms = 10000;
    s->ready_heartbeats = 3;
    return s;
}

static const char fixed_text[] =
    "# HELP waybill_height Height of the last block this node stored (0: none).\n"
    "# TYPE waybill_height gauge\n"
    "waybill_height 42\n"
    "# HELP waybill_round Consensus round this node is in at the next height.\n"
    "# TYPE waybill_round gauge\n"
    "waybill_round 1\n"
    "# HELP waybill_last_block_time_seconds Block time of the last block stored, as a Unix time (the genesis time at height 0).\n"
    "# TYPE waybill_last_block_time_seconds gauge\n"
    "waybill_last_block_time_seconds 1796400000.123\n"
    "# HELP waybill_heartbeat_seconds The chain's heartbeat: with nothing to commit, a block is made this long after the last.\n"
    "# TYPE waybill_heartbeat_seconds gauge\n"
    "waybill_heartbeat_seconds 60\n"
    "# HELP waybill_blocks_committed_total Blocks stored since the node started, decided here or fetched by block sync.\n"
    "# TYPE waybill_blocks_committed_total counter\n"
    "waybill_blocks_committed_total 40\n"
    "# HELP waybill_events_committed_total Events in the blocks stored since the node started.\n"
    "# TYPE waybill_events_committed_total counter\n"
    "waybill_events_committed_total 1234\n"
    "# HELP waybill_commit_latency_seconds Per height: from the first proposal this node held (its own block built, or another validator's taken up for checking) to the block stored.\n"
    "# TYPE waybill_commit_latency_seconds histogram\n"
    "waybill_commit_latency_seconds_bucket{le=\"0.005\"} 1\n"
    "waybill_commit_latency_seconds_bucket{le=\"0.01\"} 1\n"
    "waybill_commit_latency_seconds_bucket{le=\"0.025\"} 1\n"
    "waybill_commit_latency_seconds_bucket{le=\"0.05\"} 2\n"
    "waybill_commit_latency_seconds_bucket{le=\"0.1\"} 2\n"
    "waybill_commit_latency_seconds_bucket{le=\"0.25\"} 2\n"
    "waybill_commit_latency_seconds_bucket{le=\"0.5\"} 2\n"
    "waybill_commit_latency_seconds_bucket{le=\"1\"} 2\n"
    "waybill_commit_latency_seconds_bucket{le=\"2.5\"} 3\n"
    "waybill_commit_latency_seconds_bucket{le=\"5\"} 3\n"
    "waybill_commit_latency_seconds_bucket{le=\"10\"} 3\n"
    "waybill_commit_latency_seconds_bucket{le=\"30\"} 3\n"
    "waybill_commit_latency_seconds_bucket{le=\"60\"} 3\n"
    "waybill_commit_latency_seconds_bucket{le=\"+Inf\"} 4\n"
    "waybill_commit_latency_seconds_sum 72.043\n"
    "waybill_commit_latency_seconds_count 4\n"
    "# HELP waybill_block_check_seconds Time of each block check (structure, signatures not verified before, ledger rules, state root).\n"
    "# TYPE waybill_block_check_seconds histogram\n"
    "waybill_block_check_seconds_bucket{le=\"0.0001\"} 1\n"
    "waybill_block_check_seconds_bucket{le=\"0.0005\"} 1\n"
    "waybill_block_check_seconds_bucket{le=\"0.001\"} 1\n"
    "waybill_block_check_seconds_bucket{le=\"0.0025\"} 1\n"
    "waybill_block_check_seconds_bucket{le=\"0.005\"} 2\n"
    "waybill_block_check_seconds_bucket{le=\"0.01\"} 2\n"
    "waybill_block_check_seconds_bucket{le=\"0.025\"} 2\n"
    "waybill_block_check_seconds_bucket{le=\"0.05\"} 2\n"
    "waybill_block_check_seconds_bucket{le=\"0.1\"} 2\n"
    "waybill_block_check_seconds_bucket{le=\"0.25\"} 2\n"
    "waybill_block_check_seconds_bucket{le=\"0.5\"} 2\n"
    "waybill_block_check_seconds_bucket{le=\"1\"} 2\n"
    "waybill_block_check_seconds_bucket{le=\"2.5\"} 2\n"
    "waybill_block_check_seconds_bucket{le=\"5\"} 2\n"
    "waybill_block_check_seconds_bucket{le=\"+Inf\"} 2\n"
    "waybill_block_check_seconds_sum 0.003050001\n"
    "waybill_block_check_seconds_count 2\n"
    "# HELP waybill_sync_target_height Height at least f+1 connected validators claim to have reached (0: too few connected).\n"
    "# TYPE waybill_sync_target_height gauge\n"
    "waybill_sync_target_height 43\n"
    "# HELP waybill_syncing 1 while block sync fetches blocks or the sync target is 2 or more heights ahead.\n"
    "# TYPE waybill_syncing gauge\n"
    "waybill_syncing 0\n"
    "# HELP waybill_mempool_events Events waiting in the mempool.\n"
    "# TYPE waybill_mempool_events gauge\n"
    "waybill_mempool_events 5\n"
    "# HELP waybill_mempool_bytes Signed bytes of the events waiting in the mempool.\n"
    "# TYPE waybill_mempool_bytes gauge\n"
    "waybill_mempool_bytes 2048\n"
    "# HELP waybill_events_refused_total Events the mempool refused to admit (from clients or gossip), by error code; duplicates are not counted.\n"
    "# TYPE waybill_events_refused_total counter\n"
    "waybill_events_refused_total{reason=\"busy\"} 0\n"
    "waybill_events_refused_total{reason=\"too_large\"} 0\n"
    "waybill_events_refused_total{reason=\"decode\"} 0\n"
    "waybill_events_refused_total{reason=\"invalid\"} 0\n"
    "waybill_events_refused_total{reason=\"check_digit\"} 0\n"
    "waybill_events_refused_total{reason=\"signature\"} 0\n"
    "waybill_events_refused_total{reason=\"stale\"} 1\n"
    "waybill_events_refused_total{reason=\"rule\"} 3\n"
    "waybill_events_refused_total{reason=\"nomem\"} 0\n"
    "waybill_events_refused_total{reason=\"store\"} 0\n"
    "waybill_events_refused_total{reason=\"permission\"} 2\n"
    "# HELP waybill_validators Validators in the set that signs the next height.\n"
    "# TYPE waybill_validators gauge\n"
    "waybill_validators 4\n"
    "# HELP waybill_quorum Validators of that set needed to decide a block.\n"
    "# TYPE waybill_quorum gauge\n"
    "waybill_quorum 3\n"
    "# HELP waybill_validators_connected Validators of that set with a link up to this node, this node included when it is one.\n"
    "# TYPE waybill_validators_connected gauge\n"
    "waybill_validators_connected 3\n"
    "# HELP waybill_peers_connected Validator links up (as waybill status counts peers; followers included).\n"
    "# TYPE waybill_peers_connected gauge\n"
    "waybill_peers_connected 2\n"
    "# HELP waybill_peer_up 1 while a link to the peer is up.\n"
    "# TYPE waybill_peer_up gauge\n"
    "waybill_peer_up{peer=\"node1\"} 1\n"
    "waybill_peer_up{peer=\"node-0123456789abcdef\"} 0\n"
    "waybill_peer_up{peer=\"we\\\"ird\\\\na\\nme\"} 1\n"
    "# HELP waybill_peer_received_bytes_total Bytes received on the links of a peer since the node started, handshakes included.\n"
    "# TYPE waybill_peer_received_bytes_total counter\n"
    "waybill_peer_received_bytes_total{peer=\"node1\"} 1000\n"
    "waybill_peer_received_bytes_total{peer=\"node-0123456789abcdef\"} 7\n"
    "waybill_peer_received_bytes_total{peer=\"we\\\"ird\\\\na\\nme\"} 1\n"
    "# HELP waybill_peer_sent_bytes_total Bytes sent on the links of a peer since the node started, handshakes included.\n"
    "# TYPE waybill_peer_sent_bytes_total counter\n"
    "waybill_peer_sent_bytes_total{peer=\"node1\"} 2000\n"
    "waybill_peer_sent_bytes_total{peer=\"node-0123456789abcdef\"} 8\n"
    "waybill_peer_sent_bytes_total{peer=\"we\\\"ird\\\\na\\nme\"} 2\n"
    "# HELP waybill_connections_accepted_total Inbound connections accepted on a port (p2p or api).\n"
    "# TYPE waybill_connections_accepted_total counter\n"
    "waybill_connections_accepted_total{port=\"p2p\"} 3\n"
    "waybill_connections_accepted_total{port=\"api\"} 10\n"
    "# HELP waybill_connections_refused_total Connections that did not become links, by port and reason: evicted from the full handshake pool, timed_out, handshake_failed (other failures, dials included) or not_accepted (key not accepted or over the link limit).\n"
    "# TYPE waybill_connections_refused_total counter\n"
    "waybill_connections_refused_total{port=\"p2p\",reason=\"evicted\"} 1\n"
    "waybill_connections_refused_total{port=\"p2p\",reason=\"timed_out\"} 2\n"
    "waybill_connections_refused_total{port=\"p2p\",reason=\"handshake_failed\"} 4\n"
    "waybill_connections_refused_total{port=\"p2p\",reason=\"not_accepted\"} 5\n"
    "waybill_connections_refused_total{port=\"api\",reason=\"evicted\"} 0\n"
    "waybill_connections_refused_total{port=\"api\",reason=\"timed_out\"} 0\n"
    "waybill_connections_refused_total{port=\"api\",reason=\"handshake_failed\"} 0\n"
    "waybill_connections_refused_total{port=\"api\",reason=\"not_accepted\"} 1\n"
    "# HELP waybill_handshakes_pending Inbound connections in their handshake now.\n"
    "# TYPE waybill_handshakes_pending gauge\n"
    "waybill_handshakes_pending{port=\"p2p\"} 0\n"
    "waybill_handshakes_pending{port=\"api\"} 1\n"
    "# HELP waybill_links_up Authenticated links up on a port (api: clients).\n"
    "# TYPE waybill_links_up gauge\n"
    "waybill_links_up{port=\"p2p\"} 2\n"
    "waybill_links_up{port=\"api\"} 4\n"
    "# HELP waybill_storage_held 1 while a failed write (full disk, I/O error) holds consensus; the node retries.\n"
    "# TYPE waybill_storage_held gauge\n"
    "waybill_storage_held 0\n"
    "# HELP waybill_store_map_bytes Size of the LMDB map now (it grows by doubling).\n"
    "# TYPE waybill_store_map_bytes gauge\n"
    "waybill_store_map_bytes 67108864\n"
    "# HELP waybill_store_map_max_bytes Size the LMDB map may grow to.\n"
    "# TYPE waybill_store_map_max_bytes gauge\n"
    "waybill_store_map_max_bytes 1099511627776\n"
    "# HELP waybill_store_used_bytes Bytes of data.mdb in use: its pages up to the last one used (freed pages LMDB reuses included).\n"
    "# TYPE waybill_store_used_bytes gauge\n"
    "waybill_store_used_bytes 28672\n"
    "# HELP waybill_storage_fs_avail_bytes Bytes free for the node on the data folder's file system (statvfs f_bavail).\n"
    "# TYPE waybill_storage_fs_avail_bytes gauge\n"
    "waybill_storage_fs_avail_bytes 1000000000\n"
    "# HELP waybill_storage_fs_size_bytes Size of the data folder's file system.\n"
    "# TYPE waybill_storage_fs_size_bytes gauge\n"
    "waybill_storage_fs_size_bytes 4000000000\n"
    "# HELP waybill_safety_record_writes_total Consensus safety records written and flushed since the node started.\n"
    "# TYPE waybill_safety_record_writes_total counter\n"
    "waybill_safety_record_writes_total 41\n"
    "# HELP waybill_evidence_records Evidence of equivocation kept (above 0: a validator signed two conflicting votes).\n"
    "# TYPE waybill_evidence_records gauge\n"
    "waybill_evidence_records 0\n"
    "# HELP waybill_process_resident_memory_bytes Resident memory of the node process (/proc/self/statm).\n"
    "# TYPE waybill_process_resident_memory_bytes gauge\n"
    "waybill_process_resident_memory_bytes 10964992\n"
    "# HELP waybill_process_start_time_seconds When the node process started, as a Unix time.\n"
    "# TYPE waybill_process_start_time_seconds gauge\n"
    "waybill_process_start_time_seconds 1796399000.25\n";

static void registry_writes_a_fixed_snapshot_exactly(void **state)
{
    (void)state;
    struct metrics_snapshot *s = fixed_snapshot();
    char *text = write_snapshot(s);
    if (getenv("METRICS_PRINT")) fputs(text, stdout);
    expect_text(text, fixed_text);
    free(text);
    free(s);
}

/* Values the node could not read are left out, family and all. */
static void unknown_values_are_left_out(void **state)
{
    (void)state;
    struct metrics_snapshot *s = fixed_snapshot();
    s->store_known = false;
    s->fs_known = false;
    s->rss_known = false;
    s->peer_count = 0;
    char *text = write_snapshot(s);
    assert_null(strstr(text, "waybill_store_map_bytes"));
    assert_null(strstr(text, "waybill_storage_fs_avail_bytes"));
    assert_null(strstr(text, "waybill_process_resident_memory_bytes"));
    /* A family without peers keeps its HELP and TYPE, and no sample. */
    assert_non_null(strstr(text, "# TYPE waybill_peer_up gauge\n# HELP"));
    assert_non_null(strstr(text, "waybill_safety_record_writes_total 41\n"));
    free(text);
    free(s);
}

static void label_values_and_help_are_escaped(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(expo_escape_label("a\\b\"c\nd", out, sizeof out), 10);
    assert_string_equal(out, "a\\\\b\\\"c\\nd");
    /* Cut to fit, NUL-terminated, the length it needed returned. */
    assert_int_equal(expo_escape_label("\"\"\"", out, 4), 6);
    assert_string_equal(out, "\\\"\\");
    assert_int_equal(expo_escape_label("plain UTF-8 \xc3\xa9", out, sizeof out), 14);
    assert_string_equal(out, "plain UTF-8 \xc3\xa9");

    struct expo_buf b;
    expo_buf_init(&b);
    expo_family(&b, "x_total", EXPO_COUNTER, "back\\slash \"quoted\"\nsecond line");
    struct expo_label l[2] = {{"peer", "a\"b"}, {"why", "x\\y\nz"}};
    expo_sample_u64(&b, "x_total", l, 2, 7);
    assert_int_equal(expo_buf_err(&b), WB_OK);
    expect_text(b.data, "# HELP x_total back\\\\slash \"quoted\"\\nsecond line\n"
                        "# TYPE x_total counter\n"
                        "x_total{peer=\"a\\\"b\",why=\"x\\\\y\\nz\"} 7\n");
    expo_buf_free(&b);
}

static void fixed_point_values_are_exact(void **state)
{
    (void)state;
    static const struct {
        int64_t v;
        unsigned digits;
        const char *want;
    } cases[] = {
        {0, 9, "t 0\n"},           {5000000, 9, "t 0.005\n"},  {1500, 3, "t 1.5\n"},
        {60000, 3, "t 60\n"},       {-250, 3, "t -0.25\n"},     {1, 9, "t 0.000000001\n"},
        {INT64_MAX, 9, "t 9223372036.854775807\n"}, {42, 0, "t 42\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct expo_buf b;
        expo_buf_init(&b);
        expo_sample_fixed(&b, "t", NULL, 0, cases[i].v, cases[i].digits);
        assert_int_equal(expo_buf_err(&b), WB_OK);
        expect_text(b.data, cases[i].want);
        expo_buf_free(&b);
    }
}

/* The buffer stops at EXPO_TEXT_MAX and says so; nothing past it is kept. */
static void text_over_the_bound_fails(void **state)
{
    (void)state;
    struct expo_buf b;
    expo_buf_init(&b);
    size_t lines = 0;
    while (expo_buf_err(&b) == WB_OK && lines < 2 * EXPO_TEXT_MAX) {
        expo_sample_u64(&b, "a_fairly_long_metric_name_for_the_test", NULL, 0, UINT64_MAX);
        lines++;
    }
    assert_int_equal(expo_buf_err(&b), WB_ERR_TOO_LARGE);
    assert_true(b.len <= EXPO_TEXT_MAX);
    expo_buf_free(&b);
}

/* An observation equal to a bound counts in that bound's bucket (le). */
static void histogram_buckets_are_upper_inclusive(void **state)
{
    (void)state;
    static const uint64_t bounds[] = {10, 20};
    struct metrics_hist h;
    metrics_hist_init(&h, bounds, 2);
    metrics_hist_observe(&h, 10);
    metrics_hist_observe(&h, 11);
    metrics_hist_observe(&h, 20);
    metrics_hist_observe(&h, 21);
    metrics_hist_observe(&h, 0);
    assert_int_equal(h.counts[0], 2);
    assert_int_equal(h.counts[1], 2);
    assert_int_equal(h.counts[2], 1);
    assert_int_equal(h.count, 5);
    assert_int_equal(h.sum_ns, 62);
    struct expo_buf b;
    expo_buf_init(&b);
    expo_histogram(&b, "h_seconds", &h);
    expect_text(b.data, "h_seconds_bucket{le=\"0.00000001\"} 2\n"
                        "h_seconds_bucket{le=\"0.00000002\"} 4\n"
                        "h_seconds_bucket{le=\"+Inf\"} 5\n"
                        "h_seconds_sum 0.000000062\n"
                        "h_seconds_count 5\n");
    expo_buf_free(&b);
}

static void expect_verdict(bool (*fn)(const struct metrics_snapshot *, int64_t, char *, size_t),
                           const struct metrics_snapshot *s, int64_t now, bool ok,
                           const char *want)
{
    char reason[METRICS_REASON_MAX];
    bool got = fn(s, now, reason, sizeof reason);
    if (got != ok || strcmp(reason, want) != 0)
        fail_msg("got %s \"%s\", want %s \"%s\"", got ? "ok" : "not ok", reason,
                 ok ? "ok" : "not ok", want);
}

static bool healthy(const struct metrics_snapshot *s, int64_t now, char *r, size_t n)
{
    return metrics_healthy(s, now, r, n);
}

static bool ready(const struct metrics_snapshot *s, int64_t now, char *r, size_t n)
{
    return metrics_ready(s, now, r, n);
}

static void health_needs_a_recent_quorum_and_a_running_loop(void **state)
{
    (void)state;
    struct metrics_snapshot *s = fixed_snapshot();
    int64_t now = s->published_ms + 200;
    expect_verdict(healthy, s, now, true, "ok");
    /* Quorum lost 4 s ago: still within the 10 s window. */
    s->validators_connected = 2;
    s->quorum_seen_ms = now - 4000;
    s->published_ms = now - 100;
    expect_verdict(healthy, s, now, true, "ok");
    s->quorum_seen_ms = now - 12500;
    expect_verdict(healthy, s, now, false,
                   "no quorum: 2 of 4 validators connected, 3 needed (last quorum 12 s ago)");
    s->quorum_seen_ms = 0;
    s->validators_connected = 1;
    expect_verdict(healthy, s, now, false,
                   "no quorum: 1 of 4 validators connected, 3 needed (none since start-up)");
    /* A loop that stopped publishing is not healthy, whatever it last said. */
    s->quorum_seen_ms = now - 11000;
    s->published_ms = now - 11000;
    expect_verdict(healthy, s, now, false,
                   "event loop stalled: its last snapshot is 11 s old (limit 10 s)");
    s->published_ms = 0;
    expect_verdict(healthy, s, now, false, "starting: no snapshot published yet");
    free(s);
}

static void readiness_needs_storage_caught_up_and_a_recent_block(void **state)
{
    (void)state;
    struct metrics_snapshot *s = fixed_snapshot();
    int64_t now = s->published_ms + 200;
    expect_verdict(ready, s, now, true, "ok");
    /* Not healthy: not ready, for the same reason. */
    s->quorum_seen_ms = 0;
    expect_verdict(ready, s, now, false,
                   "no quorum: 3 of 4 validators connected, 3 needed (none since start-up)");
    s->quorum_seen_ms = now;
    s->storage_held = true;
    snprintf(s->storage, sizeof s->storage, "full");
    expect_verdict(ready, s, now, false, "storage: full; consensus held at height 43");
    s->storage_held = false;
    s->syncing = true;
    s->sync_target = 97;
    expect_verdict(ready, s, now, false, "syncing: at height 42, validators reached 97");
    s->syncing = false;
    /* Three heartbeats of 60 s: 180 s is still recent, 181 s is not. */
    s->head_time_ms = now - 180000;
    expect_verdict(ready, s, now, true, "ok");
    s->head_time_ms = now - 181000;
    expect_verdict(ready, s, now, false,
                   "no recent block: the last (height 42) is 181 s old, more than 3 heartbeats "
                   "(180 s)");
    free(s);
}

/* The board hands out exactly what was published. */
static void board_copies_in_and_out(void **state)
{
    (void)state;
    struct metrics_board *b = malloc(sizeof *b);
    assert_non_null(b);
    assert_int_equal(metrics_board_init(b), WB_OK);
    struct metrics_snapshot *s = fixed_snapshot(), *got = calloc(1, sizeof *got);
    assert_non_null(got);
    metrics_board_read(b, got);
    assert_int_equal(got->published_ms, 0);
    metrics_board_publish(b, s);
    metrics_board_read(b, got);
    assert_memory_equal(got, s, sizeof *s);
    metrics_board_destroy(b);
    free(b);
    free(s);
    free(got);
}

/* Every name follows the conventions: the prefix, counters in _total. */
static void names_follow_prometheus_conventions(void **state)
{
    (void)state;
    assert_true(metrics_registry_count() > 20);
    for (size_t i = 0; i < metrics_registry_count(); i++) {
        const char *n = metrics_registry_name(i);
        assert_non_null(n);
        if (strncmp(n, "waybill_", 8) != 0) fail_msg("%s lacks the waybill_ prefix", n);
        for (size_t k = 0; k < i; k++)
            if (strcmp(n, metrics_registry_name(k)) == 0) fail_msg("%s is listed twice", n);
    }
    assert_null(metrics_registry_name(metrics_registry_count()));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(registry_writes_a_fixed_snapshot_exactly),
        cmocka_unit_test(unknown_values_are_left_out),
        cmocka_unit_test(label_values_and_help_are_escaped),
        cmocka_unit_test(fixed_point_values_are_exact),
        cmocka_unit_test(text_over_the_bound_fails),
        cmocka_unit_test(histogram_buckets_are_upper_inclusive),
        cmocka_unit_test(health_needs_a_recent_quorum_and_a_running_loop),
        cmocka_unit_test(readiness_needs_storage_caught_up_and_a_recent_block),
        cmocka_unit_test(board_copies_in_and_out),
        cmocka_unit_test(names_follow_prometheus_conventions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
