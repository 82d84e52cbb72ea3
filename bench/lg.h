/* The load generator behind `make bench` (bench/run.sh starts the testnet and
 * this program): shared types of its files. Not a public API of Waybill. */
#ifndef BENCH_LG_H
#define BENCH_LG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "ledger/genesis.h"
#include "ledger/types.h"
#include "node/net/net.h"

#define LG_NODES_MAX 16
#define LG_LOAD_LINKS_MAX 8           /* submit links per node */
#define LG_SLOT 512                   /* bytes reserved per pre-signed event */
#define LG_BODY_TARGET 300            /* encoded EventBody bytes aimed at */
#define LG_RPC_MAX 256                /* queries in flight at once */
#define LG_FRAME_MAX (16u << 20)      /* largest answer: a whole block */
#define LG_SEND_QUEUE_MAX (512u << 20)
#define LG_MSG_MAX 512
#define LG_ITEM_NUMBERS 1000000       /* six-digit serials of container numbers */

/* ---- load: journeys, pre-signed (lg_load.c) ------------------------------ */

/* One member organisation as the load uses it. */
struct lg_org {
    char name[WB_ORG_MAX + 1];
    enum ledger_role role;
    uint8_t pk[WB_PUBKEY_LEN];
    uint8_t sk[WB_SECKEY_LEN];
};

/* Who plays which part in a journey (indexes into lg_orgs). */
struct lg_cast {
    int shipper;                      /* commissions and seals */
    int carrier;                      /* carries every leg */
    int customs;                      /* inspects, unseals, seals, clears */
    int consignee;                    /* receives at the far end of a leg */
};

enum lg_journey {
    LG_JOURNEY_TRADE,                 /* commission, seal, legs, deliver */
    LG_JOURNEY_CONTROL,               /* commission, then seal/inspect/unseal */
};

/* `items` items with `per_item` events each, item-major: event e of item i
 * is index i * per_item + e. Its signed bytes are slot(e), lens[e] long.
 * Item i is numbered item_base + i (its container number's serial). */
struct lg_load {
    size_t items;
    size_t item_base;
    size_t per_item;
    size_t count;                     /* items * per_item */
    uint8_t *arena;                   /* count * LG_SLOT bytes */
    uint16_t *lens;
    uint8_t (*ids)[WB_HASH_LEN];
    char (*item_ids)[16];             /* ISO 6346 container numbers */
    uint64_t body_bytes;              /* sum of encoded EventBody bytes */
    uint64_t signed_bytes;            /* sum of SignedEvent bytes */
    double sign_s;                    /* wall time of pre-signing */
    unsigned threads;
};

/* Builds and signs the whole load before anything is sent: `journey`
 * journeys, items numbered item_base.. and named <owner>U<serial><check
 * digit> (serial: the six-digit item number, so item_base + items is at most
 * LG_ITEM_NUMBERS; loads with disjoint numbers share no item). Returns 0 or
 * a wb_err with msg. Free with lg_load_free. */
int lg_load_build(struct lg_load *ld, size_t items, size_t item_base, size_t per_item,
                  enum lg_journey journey, const char *owner, const struct lg_org *orgs,
                  const struct lg_cast *cast, const uint8_t chain_id[WB_CHAIN_ID_LEN],
                  unsigned threads, char *msg, size_t msg_len);
void lg_load_free(struct lg_load *ld);

static inline const uint8_t *lg_load_event(const struct lg_load *ld, size_t e)
{
    return ld->arena + e * LG_SLOT;
}

/* ---- the driver: links, submissions, queries (lg_drive.c) -------------------- */

enum lg_ev_state { LG_EV_NEW = 0, LG_EV_SENT, LG_EV_ACKED, LG_EV_REJECTED };

/* Per-event bookkeeping of one load while it is being submitted. */
struct lg_track {
    const struct lg_load *load;
    uint8_t *state;                   /* enum lg_ev_state */
    int64_t *sched_ns;                /* when it was due (open loop) or sent */
    int64_t *ack_ns;
    uint64_t *height;                 /* where the node said it committed */
};

struct lg_rpc {
    bool used, done;
    uint64_t id;
    void *resp;                       /* Waybill__ClientResponse *, owned */
};

struct lg_node {
    char name[WB_NODE_NAME_MAX + 1];
    char api[NET_ADDR_MAX];
    char data_dir[4096];
    char client_key[4096];
    uint8_t key[WB_PUBKEY_LEN];       /* its validator identity */
    pid_t pid;
    struct net_link *control;         /* queries */
    struct net_link *load[LG_LOAD_LINKS_MAX];
    size_t load_up;
    /* latest status */
    uint64_t height, committed;
    int64_t status_ns;
    bool status_inflight;
    uint64_t target;                  /* 0, or the committed count polls watch for */
    int64_t reached_ns;               /* first status with committed >= target */
    uint64_t reached_height;          /* its height */
};

/* What is being submitted now, and how. */
enum lg_mode { LG_MODE_IDLE, LG_MODE_WINDOW, LG_MODE_RATE, LG_MODE_SEQ };

struct lg_phase_run {
    enum lg_mode mode;
    struct lg_track *tr;
    int tag;                          /* which load: goes into request ids */
    size_t first, end;                /* positions in the load's order */
    size_t next;                      /* next position to send */
    size_t window;                    /* WINDOW: events in flight */
    double rate;                      /* RATE: events per second */
    int64_t t0_ns;
    size_t inflight, acked, rejected;
    size_t inflight_max;
    int64_t last_ack_ns;
    bool sending_done;
    bool complete;                    /* sending done and nothing in flight */
    char first_reject[LG_MSG_MAX];
};

struct lg {
    uv_loop_t loop;
    struct net *net;
    struct ledger_genesis *genesis;
    size_t nodes;
    size_t links_per_node;
    struct lg_node node[LG_NODES_MAX];
    bool loop_inited, all_up, closing;
    bool failed;
    char fail_msg[LG_MSG_MAX];

    struct lg_rpc rpc[LG_RPC_MAX];
    uint64_t rpc_seq;

    uv_timer_t tick;                  /* 1 ms: open-loop sending, polling */
    bool tick_on;
    int64_t poll_every_ns;
    int64_t last_poll_ns;
    bool sample_mem;                  /* sample node memory while polling */
    int64_t last_mem_ns;
    uint64_t rss_anon_max_kb[LG_NODES_MAX];
    uint64_t rss_max_kb[LG_NODES_MAX];

    struct lg_phase_run run;
    struct lg_track *tracks[2];       /* by tag */
};

int64_t lg_now_ns(void);

/* Creates the client endpoint (identity: `id_org`'s client key), dials
 * every node: one query link and `links_per_node` submit links each, and
 * waits until all are up. Returns 0 or a wb_err with lg->fail_msg. */
int lg_connect(struct lg *lg, const struct lg_org *id_org, size_t links_per_node,
               uint32_t timeout_ms);
/* Closes every link and runs the loop until the endpoint is gone. */
void lg_disconnect(struct lg *lg);

/* Runs the loop until *flag is true, the run failed, or deadline_ns passes
 * (WB_ERR_TIMEOUT). */
int lg_pump_until(struct lg *lg, const bool *flag, int64_t deadline_ns);

/* Queries. lg_rpc_send queues one request on node's query link and returns
 * its slot (or -1 with lg->failed set); lg_rpc_take waits for the answer and
 * hands it over (caller frees with waybill__client_response__free_unpacked).
 * lg_call does both. An answer with a non-zero code is returned as is. */
int lg_rpc_send(struct lg *lg, size_t node, void *req /* Waybill__ClientRequest * */);
int lg_rpc_take(struct lg *lg, int slot, int64_t deadline_ns, void **resp);
int lg_call(struct lg *lg, size_t node, void *req, void **resp, uint32_t timeout_ms);

/* Asks every node for its status now and waits for the answers. */
int lg_poll_status(struct lg *lg, uint32_t timeout_ms);

/* Tracks: per-event bookkeeping for a load. */
int lg_track_init(struct lg_track *tr, const struct lg_load *ld);
void lg_track_free(struct lg_track *tr);

/* The link an item's events go to: items are spread over the nodes and
 * their submit links, and every event of one item takes the same link, so
 * the node sees each chain in order. */
struct net_link *lg_item_link(struct lg *lg, size_t item);

/* Load order: position p is event (p / items) of item (p % items), so all
 * items advance together and each chain stays in order. */
size_t lg_pos_event(const struct lg_load *ld, size_t pos);

/* Starts submitting positions [first, end) of tr's load in `mode` and runs
 * until every one of them is acknowledged or rejected (or the run fails or
 * the deadline passes). For LG_MODE_RATE, t0_ns is the first due time. */
int lg_submit_run(struct lg *lg, enum lg_mode mode, struct lg_track *tr, int tag, size_t first,
                  size_t end, size_t window, double rate, int64_t deadline_ns);

/* ---- end-of-run checks (lg_check.c) ----------------------------------------- */

struct lg_check_res {
    uint64_t from;                    /* heights from..height compared on every node */
    uint64_t height;
    uint64_t blocks_fetched;          /* over all nodes */
    uint64_t hash_mismatch;           /* heights where a node's block hash differs */
    uint64_t first_mismatch;
    uint64_t events_in_blocks[LG_NODES_MAX];
    uint64_t acked;                   /* acknowledged events, expected on every node */
    uint64_t missing;                 /* (event, node) pairs acknowledged but absent */
    uint64_t unexpected;              /* events in blocks never acknowledged */
    uint64_t duplicates;              /* an event twice in one node's chain */
    size_t history_items;             /* (item, node) histories compared */
    size_t history_bad;
    double seconds;
    bool ok;
    char msg[LG_MSG_MAX];
};

/* Fetches every block from_height..H (H = the lowest height of all nodes)
 * from every node and compares the block hashes; checks that every
 * acknowledged event of the tracks is in those blocks of every node exactly
 * once and that no other event is; compares the histories of
 * `history_sample` items of tracks[0] and every item of the other tracks
 * with what was signed, on every node. from_height 1 checks the whole chain;
 * a later one checks the blocks of a load that began there (the events
 * committed before it are not looked at). */
int lg_check_all(struct lg *lg, struct lg_track *const *tracks, size_t ntracks,
                 size_t history_sample, uint64_t from_height, struct lg_check_res *out);

/* ---- results and their report (lg_report.c) --------------------------------- */

#define LG_PHASES_MAX 8
#define LG_VERIFY_RUNS 3

struct lg_phase_res {
    char name[32];
    enum lg_mode mode;
    double rate;                      /* RATE: target events/s */
    size_t window;                    /* WINDOW: events in flight */
    size_t events, acked, rejected;
    double elapsed_s;                 /* first send to every node holding all */
    double committed_per_s;           /* events / elapsed_s, counted by the nodes */
    uint64_t first_height, last_height; /* where its events were committed */
    uint64_t blocks;
    double blocks_per_s, events_per_block;
    /* submit to commit, from the due time (RATE) or the send (others), ms */
    double lat_p50_ms, lat_p90_ms, lat_p99_ms, lat_max_ms, lat_mean_ms;
    size_t inflight_max;
    double cpu_s[LG_NODES_MAX];       /* each node's CPU time during the phase */
    double lg_cpu_s;                  /* the load generator's */
    double wait_s[LG_NODES_MAX];      /* each node's time runnable but not running */
    double machine_busy_s;            /* every CPU's busy time during the phase */
    double machine_idle_s, machine_steal_s;
    double other_cpu_s;               /* busy time of every other process */
    double fsync_ms_before, fsync_ms_after; /* lg_fsync_probe around the phase */
    char first_reject[LG_MSG_MAX];
};

struct lg_report {
    long nproc;
    char cpu_model[128];
    uint64_t mem_total_kb;
    char kernel[160];
    bool quick;
    bool load_mode;                   /* --phases sat: one saturation load */
    size_t load_item_base;            /* its first item number */
    uint64_t load_committed_before;   /* events on the ledger before it (lowest node) */
    size_t nodes;
    double started_s;                 /* wall time before the load generator ran */
    double run_s;                     /* whole bench so far */

    double verify_per_s;              /* one core */
    double ceiling_per_s;             /* verify_per_s * nproc / nodes */

    size_t sign_events;
    unsigned sign_threads;
    double sign_s, sign_per_s;
    double body_mean, signed_mean;

    struct lg_phase_res phase[LG_PHASES_MAX];
    size_t phase_count;
    int sat, sat2, half, seq, chain;  /* phase indexes, -1 when absent */

    size_t chain_events;
    double verify_s[LG_VERIFY_RUNS];
    size_t verify_runs;
    double verify_median_s;
    int verify_status;                /* exit status of the last run */

    double cpu_total_s[LG_NODES_MAX];
    uint64_t hwm_kb[LG_NODES_MAX];
    uint64_t anon_sat_kb[LG_NODES_MAX];   /* max RssAnon sampled at saturation */
    uint64_t rss_sat_kb[LG_NODES_MAX];
    uint64_t du_bytes[LG_NODES_MAX], apparent_bytes[LG_NODES_MAX];
    uint64_t committed[LG_NODES_MAX];
    double disk_per_event, signed_per_event, disk_ratio;
    double lg_cpu_s;

    bool checked;
    struct lg_check_res check;
    bool failed;
    char fail_msg[LG_MSG_MAX];
};

/* Prints the figures as a table with every target met or missed, and the
 * last line "waybill events_per_s=N p50_ms=X p99_ms=Y ceiling_ratio=R". */
void lg_report_print(const struct lg_report *r, const struct lg *lg);
/* --phases sat: prints the saturation phase, the nodes, the disk figures and
 * the check of the load's blocks, and the last line "waybill load events=N
 * events_total=T events_per_s=S p50_ms=X p99_ms=Y disk_bytes_per_event=D
 * ceiling_ratio=R node_us_per_event=U others_cpu_s=O checked=ok|FAILED" (T:
 * events on the lowest node's ledger after the load; D: allocated disk bytes
 * of the data dirs over events, the mean of the nodes; U: one node's CPU time
 * per event of the phase, the mean of the nodes; O: busy core-seconds of
 * other processes on the machine during the phase). */
void lg_report_print_load(const struct lg_report *r, const struct lg *lg);
/* Writes the figures as JSON to path (in load mode without the targets of
 * `make bench`, with the load's numbers). Returns 0 or WB_ERR_IO. */
int lg_report_json(const struct lg_report *r, const struct lg *lg, const char *path);

/* ---- /proc, disk, spawned commands, crypto rate (lg_sys.c) ---------------- */

struct lg_cpu {
    double user_s, sys_s;
};
int lg_proc_cpu(pid_t pid, struct lg_cpu *out);
/* Time the process's threads spent running and waiting on a run queue
 * (/proc/PID/task/<tid>/schedstat), in seconds. */
int lg_proc_sched(pid_t pid, double *run_s, double *wait_s);
/* Machine-wide CPU time from /proc/stat, in seconds summed over all CPUs:
 * busy (user, nice, system, irq, softirq), idle (idle, iowait), steal. */
struct lg_sys_cpu {
    double busy_s, idle_s, steal_s;
};
int lg_sys_cpu(struct lg_sys_cpu *out);
/* VmHWM, VmRSS and RssAnon in KiB. */
int lg_proc_mem(pid_t pid, uint64_t *hwm_kb, uint64_t *rss_kb, uint64_t *anon_kb);
/* Median wall time in ms of `rounds` 4 KiB pwrite + fdatasync of a scratch
 * file in dir (removed afterwards): how long a durable write takes on that
 * file system right now. Negative when the probe could not run. */
double lg_fsync_probe(const char *dir, int rounds);
/* Bytes allocated on disk under path (like du) and their apparent size. */
int lg_du(const char *path, uint64_t *alloc_bytes, uint64_t *apparent_bytes);
/* Runs argv with stdout and stderr sent to /dev/null; *wall_s is its wall
 * time. Returns its exit status, or -1 if it could not run. */
int lg_spawn_timed(char *const argv[], double *wall_s);
/* Ed25519 verifications per second of one core over msg_len-byte messages:
 * the best of `windows` windows filling about `seconds` in all. */
double lg_verify_rate(size_t msg_len, double seconds, int windows);

/* ---- small helpers (lg_util.c) -------------------------------------------- */

/* p-th percentile (0..100) of n values; sorts v in place. 0 when n is 0. */
double lg_percentile(double *v, size_t n, double p);
void lg_fail(struct lg *lg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void lg_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
