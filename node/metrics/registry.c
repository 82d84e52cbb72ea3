/* The node's metrics: one table, each row a family with its name, type,
 * help and how to read it from a snapshot (registry.h). Names follow the
 * Prometheus conventions: the waybill_ prefix, base units (_seconds,
 * _bytes) and _total on counters. */
#include "node/metrics/registry.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/wb_assert.h"

enum metric_kind {
    KIND_U64,                    /* a uint64_t field */
    KIND_U32,                    /* a uint32_t field */
    KIND_BOOL,                   /* a bool field: 1 or 0 */
    KIND_MS_AS_SECONDS,          /* an int64_t field of milliseconds (since the epoch or a
                                    duration), written in seconds */
    KIND_U32_MS_AS_SECONDS,      /* a uint32_t field of milliseconds, in seconds */
    KIND_HIST,                   /* a struct metrics_hist field */
    KIND_CUSTOM,                 /* the row's write function */
};

struct metric_def;
typedef void (*metric_write_fn)(struct expo_buf *b, const struct metric_def *d,
                                const struct metrics_snapshot *s);

struct metric_def {
    const char *name;
    enum expo_type type;
    const char *help;
    enum metric_kind kind;
    size_t off;                  /* the field's offset in the snapshot */
    size_t known;                /* 1 + offset of a bool that says the value is known; 0 */
    metric_write_fn write;       /* KIND_CUSTOM */
};

#define OFF(field) offsetof(struct metrics_snapshot, field)
#define KNOWN(field) (1 + offsetof(struct metrics_snapshot, field))

static const char *const port_names[METRICS_PORT_COUNT] = {"p2p", "api"};

/* ---- rows with labels -------------------------------------------------------- */

/* A code's name in lower case ("not_found"): the label value. */
static void code_label(int err, char *out, size_t cap)
{
    const char *name = wb_errname(err);
    WB_ASSERT(name);
    size_t i = 0;
    for (; name[i] && i + 1 < cap; i++) out[i] = (char)tolower((unsigned char)name[i]);
    out[i] = '\0';
}

/* The codes mempool_add refuses with (node/mempool/mempool.h), always
 * listed; any other code only once it was counted. */
static const int refusal_codes[] = {WB_ERR_BUSY,        WB_ERR_TOO_LARGE, WB_ERR_DECODE,
                                    WB_ERR_INVALID,     WB_ERR_CHECK_DIGIT, WB_ERR_SIGNATURE,
                                    WB_ERR_STALE,       WB_ERR_RULE,      WB_ERR_NOMEM,
                                    WB_ERR_STORE};

static void write_refusal(struct expo_buf *b, const struct metric_def *d, int err, uint64_t v)
{
    char reason[32];
    code_label(err, reason, sizeof reason);
    struct expo_label l = {"reason", reason};
    expo_sample_u64(b, d->name, &l, 1, v);
}

static void write_events_refused(struct expo_buf *b, const struct metric_def *d,
                                 const struct metrics_snapshot *s)
{
    size_t listed = sizeof refusal_codes / sizeof refusal_codes[0];
    for (size_t i = 0; i < listed; i++)
        write_refusal(b, d, refusal_codes[i], s->events_refused[-refusal_codes[i] - 1]);
    for (int code = 1; code <= WB_ERR_CODE_COUNT; code++) {
        bool known = false;
        for (size_t i = 0; i < listed && !known; i++) known = refusal_codes[i] == -code;
        if (!known && s->events_refused[code - 1] > 0)
            write_refusal(b, d, -code, s->events_refused[code - 1]);
    }
}

static void write_peer_bytes(struct expo_buf *b, const struct metric_def *d,
                             const struct metrics_snapshot *s, bool received)
{
    for (size_t i = 0; i < s->peer_count; i++) {
        struct expo_label l = {"peer", s->peers[i].name};
        expo_sample_u64(b, d->name, &l, 1,
                        received ? s->peers[i].received_bytes : s->peers[i].sent_bytes);
    }
}

static void write_peer_received(struct expo_buf *b, const struct metric_def *d,
                                const struct metrics_snapshot *s)
{
    write_peer_bytes(b, d, s, true);
}

static void write_peer_sent(struct expo_buf *b, const struct metric_def *d,
                            const struct metrics_snapshot *s)
{
    write_peer_bytes(b, d, s, false);
}

static void write_peer_up(struct expo_buf *b, const struct metric_def *d,
                          const struct metrics_snapshot *s)
{
    for (size_t i = 0; i < s->peer_count; i++) {
        struct expo_label l = {"peer", s->peers[i].name};
        expo_sample_u64(b, d->name, &l, 1, s->peers[i].up ? 1 : 0);
    }
}

static void write_accepted(struct expo_buf *b, const struct metric_def *d,
                           const struct metrics_snapshot *s)
{
    for (int p = 0; p < METRICS_PORT_COUNT; p++) {
        struct expo_label l = {"port", port_names[p]};
        expo_sample_u64(b, d->name, &l, 1, s->admission[p].accepted);
    }
}

static void write_refused(struct expo_buf *b, const struct metric_def *d,
                          const struct metrics_snapshot *s)
{
    for (int p = 0; p < METRICS_PORT_COUNT; p++) {
        const struct metrics_admission *a = &s->admission[p];
        const struct {
            const char *reason;
            uint64_t v;
        } rows[] = {{"evicted", a->evicted},
                    {"timed_out", a->timed_out},
                    {"handshake_failed", a->failed},
                    {"not_accepted", a->refused}};
        for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
            struct expo_label l[2] = {{"port", port_names[p]}, {"reason", rows[i].reason}};
            expo_sample_u64(b, d->name, l, 2, rows[i].v);
        }
    }
}

static void write_port_gauge(struct expo_buf *b, const struct metric_def *d,
                             const struct metrics_snapshot *s, bool pending)
{
    for (int p = 0; p < METRICS_PORT_COUNT; p++) {
        struct expo_label l = {"port", port_names[p]};
        expo_sample_u64(b, d->name, &l, 1,
                        pending ? s->admission[p].pending : s->admission[p].links_up);
    }
}

static void write_handshakes(struct expo_buf *b, const struct metric_def *d,
                             const struct metrics_snapshot *s)
{
    write_port_gauge(b, d, s, true);
}

static void write_links(struct expo_buf *b, const struct metric_def *d,
                        const struct metrics_snapshot *s)
{
    write_port_gauge(b, d, s, false);
}

/* ---- the table ------------------------------------------------------------------ */

static const struct metric_def metric_table[] = {
    /* chain and consensus */
    {"waybill_height", EXPO_GAUGE, "Height of the last block this node stored (0: none).",
     KIND_U64, OFF(height), 0, NULL},
    {"waybill_round", EXPO_GAUGE, "Consensus round this node is in at the next height.",
     KIND_U32, OFF(round), 0, NULL},
    {"waybill_last_block_time_seconds", EXPO_GAUGE,
     "Block time of the last block stored, as a Unix time (the genesis time at height 0).",
     KIND_MS_AS_SECONDS, OFF(head_time_ms), 0, NULL},
    {"waybill_heartbeat_seconds", EXPO_GAUGE,
     "The chain's heartbeat: with nothing to commit, a block is made this long after the last.",
     KIND_U32_MS_AS_SECONDS, OFF(heartbeat_ms), 0, NULL},
    {"waybill_blocks_committed_total", EXPO_COUNTER,
     "Blocks stored since the node started, decided here or fetched by block sync.", KIND_U64,
     OFF(blocks_committed), 0, NULL},
    {"waybill_events_committed_total", EXPO_COUNTER,
     "Events in the blocks stored since the node started.", KIND_U64, OFF(events_committed), 0,
     NULL},
    {"waybill_commit_latency_seconds", EXPO_HISTOGRAM,
     "Per height: from the first proposal this node held (its own block built, or another "
     "validator's taken up for checking) to the block stored.",
     KIND_HIST, OFF(commit_latency), 0, NULL},
    {"waybill_block_check_seconds", EXPO_HISTOGRAM,
     "Time of each block check (structure, signatures not verified before, ledger rules, "
     "state root).",
     KIND_HIST, OFF(block_check), 0, NULL},
    {"waybill_sync_target_height", EXPO_GAUGE,
     "Height at least f+1 connected validators claim to have reached (0: too few connected).",
     KIND_U64, OFF(sync_target), 0, NULL},
    {"waybill_syncing", EXPO_GAUGE,
     "1 while block sync fetches blocks or the sync target is 2 or more heights ahead.",
     KIND_BOOL, OFF(syncing), 0, NULL},
    /* mempool */
    {"waybill_mempool_events", EXPO_GAUGE, "Events waiting in the mempool.", KIND_U64,
     OFF(mempool_events), 0, NULL},
    {"waybill_mempool_bytes", EXPO_GAUGE, "Signed bytes of the events waiting in the mempool.",
     KIND_U64, OFF(mempool_bytes), 0, NULL},
    {"waybill_events_refused_total", EXPO_COUNTER,
     "Events the mempool refused to admit (from clients or gossip), by error code; "
     "duplicates are not counted.",
     KIND_CUSTOM, 0, 0, write_events_refused},
    /* validators and links */
    {"waybill_validators", EXPO_GAUGE, "Validators in the set that signs the next height.",
     KIND_U32, OFF(validators), 0, NULL},
    {"waybill_quorum", EXPO_GAUGE, "Validators of that set needed to decide a block.", KIND_U32,
     OFF(quorum), 0, NULL},
    {"waybill_validators_connected", EXPO_GAUGE,
     "Validators of that set with a link up to this node, this node included when it is one.",
     KIND_U32, OFF(validators_connected), 0, NULL},
    {"waybill_peers_connected", EXPO_GAUGE,
     "Validator links up (as waybill status counts peers; followers included).", KIND_U32,
     OFF(peers_connected), 0, NULL},
    {"waybill_peer_up", EXPO_GAUGE, "1 while a link to the peer is up.", KIND_CUSTOM, 0, 0,
     write_peer_up},
    {"waybill_peer_received_bytes_total", EXPO_COUNTER,
     "Bytes received on the links of a peer since the node started, handshakes included.",
     KIND_CUSTOM, 0, 0, write_peer_received},
    {"waybill_peer_sent_bytes_total", EXPO_COUNTER,
     "Bytes sent on the links of a peer since the node started, handshakes included.",
     KIND_CUSTOM, 0, 0, write_peer_sent},
    {"waybill_connections_accepted_total", EXPO_COUNTER,
     "Inbound connections accepted on a port (p2p or api).", KIND_CUSTOM, 0, 0, write_accepted},
    {"waybill_connections_refused_total", EXPO_COUNTER,
     "Connections that did not become links, by port and reason: evicted from the full "
     "handshake pool, timed_out, handshake_failed (other failures, dials included) or "
     "not_accepted (key not accepted or over the link limit).",
     KIND_CUSTOM, 0, 0, write_refused},
    {"waybill_handshakes_pending", EXPO_GAUGE, "Inbound connections in their handshake now.",
     KIND_CUSTOM, 0, 0, write_handshakes},
    {"waybill_links_up", EXPO_GAUGE, "Authenticated links up on a port (api: clients).",
     KIND_CUSTOM, 0, 0, write_links},
    /* storage */
    {"waybill_storage_held", EXPO_GAUGE,
     "1 while a failed write (full disk, I/O error) holds consensus; the node retries.",
     KIND_BOOL, OFF(storage_held), 0, NULL},
    {"waybill_store_map_bytes", EXPO_GAUGE, "Size of the LMDB map now (it grows by doubling).",
     KIND_U64, OFF(store_map_bytes), KNOWN(store_known), NULL},
    {"waybill_store_map_max_bytes", EXPO_GAUGE, "Size the LMDB map may grow to.", KIND_U64,
     OFF(store_map_max_bytes), KNOWN(store_known), NULL},
    {"waybill_store_used_bytes", EXPO_GAUGE,
     "Bytes of data.mdb in use: its pages up to the last one used (freed pages LMDB reuses "
     "included).",
     KIND_U64, OFF(store_used_bytes), KNOWN(store_known), NULL},
    {"waybill_storage_fs_avail_bytes", EXPO_GAUGE,
     "Bytes free for the node on the data folder's file system (statvfs f_bavail).", KIND_U64,
     OFF(fs_avail_bytes), KNOWN(fs_known), NULL},
    {"waybill_storage_fs_size_bytes", EXPO_GAUGE, "Size of the data folder's file system.",
     KIND_U64, OFF(fs_size_bytes), KNOWN(fs_known), NULL},
    {"waybill_safety_record_writes_total", EXPO_COUNTER,
     "Consensus safety records written and flushed since the node started.", KIND_U64,
     OFF(safety_writes), 0, NULL},
    {"waybill_evidence_records", EXPO_GAUGE,
     "Evidence of equivocation kept (above 0: a validator signed two conflicting votes).",
     KIND_U64, OFF(evidence), 0, NULL},
    /* process */
    {"waybill_process_resident_memory_bytes", EXPO_GAUGE,
     "Resident memory of the node process (/proc/self/statm).", KIND_U64, OFF(resident_bytes),
     KNOWN(rss_known), NULL},
    {"waybill_process_start_time_seconds", EXPO_GAUGE,
     "When the node process started, as a Unix time.", KIND_MS_AS_SECONDS, OFF(start_ms), 0,
     NULL},
};

#define METRIC_COUNT (sizeof metric_table / sizeof metric_table[0])

static const void *field(const struct metrics_snapshot *s, size_t off)
{
    return (const char *)s + off;
}

int metrics_registry_write(const struct metrics_snapshot *s, struct expo_buf *b)
{
    for (size_t i = 0; i < METRIC_COUNT; i++) {
        const struct metric_def *d = &metric_table[i];
        if (d->known && !*(const bool *)field(s, d->known - 1)) continue;
        expo_family(b, d->name, d->type, d->help);
        const void *v = field(s, d->off);
        switch (d->kind) {
        case KIND_U64:
            expo_sample_u64(b, d->name, NULL, 0, *(const uint64_t *)v);
            break;
        case KIND_U32:
            expo_sample_u64(b, d->name, NULL, 0, *(const uint32_t *)v);
            break;
        case KIND_BOOL:
            expo_sample_u64(b, d->name, NULL, 0, *(const bool *)v ? 1 : 0);
            break;
        case KIND_MS_AS_SECONDS:
            expo_sample_fixed(b, d->name, NULL, 0, *(const int64_t *)v, 3);
            break;
        case KIND_U32_MS_AS_SECONDS:
            expo_sample_fixed(b, d->name, NULL, 0, *(const uint32_t *)v, 3);
            break;
        case KIND_HIST:
            expo_histogram(b, d->name, (const struct metrics_hist *)v);
            break;
        case KIND_CUSTOM:
            d->write(b, d, s);
            break;
        }
    }
    return expo_buf_err(b);
}

size_t metrics_registry_count(void)
{
    return METRIC_COUNT;
}

const char *metrics_registry_name(size_t i)
{
    return i < METRIC_COUNT ? metric_table[i].name : NULL;
}
