/* What the metrics endpoint shows: a snapshot of the node's counters and
 * gauges, which the event loop fills (node/metrics/metrics.c) and publishes
 * on a board, and the server's thread (node/metrics/http.c) copies out. The
 * snapshot is plain data (no pointers), so a copy is the whole of it; the
 * board is the only thing both threads touch, under its mutex. */
#ifndef NODE_METRICS_SNAPSHOT_H
#define NODE_METRICS_SNAPSHOT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "ledger/genesis.h"
#include "node/metrics/hist.h"

/* Peer identities listed (node/p2p keeps the bytes of as many). */
#define METRICS_PEERS_MAX (2 * WB_VALIDATORS_MAX)
/* Room for a storage state such as "error: append block: ..." (node_hold_state). */
#define METRICS_STORAGE_TEXT_MAX 240

enum metrics_port { METRICS_PORT_P2P, METRICS_PORT_API, METRICS_PORT_COUNT };

/* One port's connection admission counters (node/net/net.h, struct net_stats). */
struct metrics_admission {
    uint64_t accepted;           /* inbound TCP connections */
    uint64_t evicted;            /* dropped from the full handshake pool */
    uint64_t timed_out;          /* handshakes past their deadline */
    uint64_t failed;             /* other handshake failures (timeouts not included) */
    uint64_t refused;            /* identity not accepted, or over the link limit */
    uint64_t pending;            /* connections in their handshake now */
    uint64_t links_up;           /* authenticated links now */
};

/* A peer identity that had a link up since start-up. */
struct metrics_peer {
    char name[WB_NODE_NAME_MAX + 1]; /* its validator name, or "node-" and 16 hex digits
                                        of its key when the registry does not list it */
    bool up;
    uint64_t received_bytes, sent_bytes;
};

struct metrics_snapshot {
    int64_t published_ms;        /* wall clock when the loop filled it; 0: never */
    int64_t start_ms;            /* when the node started */

    /* chain and consensus */
    uint64_t height;             /* last committed height */
    uint32_t round;              /* consensus round at height + 1 */
    int64_t head_time_ms;        /* the head block's time (genesis time at height 0) */
    uint32_t heartbeat_ms;       /* the registry's heartbeat */
    uint64_t blocks_committed;   /* since start-up, decided or synced */
    uint64_t events_committed;
    struct metrics_hist commit_latency;
    struct metrics_hist block_check;
    uint64_t sync_target;        /* the height f+1 connected validators claim; 0: unknown */
    bool syncing;                /* block sync is fetching, or the target is 2+ ahead */

    /* mempool */
    uint64_t mempool_events, mempool_bytes;
    uint64_t events_refused[WB_ERR_CODE_COUNT]; /* [-err - 1]: admissions refused with err */

    /* validators and links */
    uint32_t validators;         /* in the set of height + 1 */
    uint32_t quorum;             /* of them needed to decide */
    uint32_t validators_connected; /* of them linked, this node included when it is one */
    uint32_t peers_connected;    /* p2p links up, followers included */
    int64_t quorum_seen_ms;      /* last fill with validators_connected >= quorum; 0: never */
    size_t peer_count;
    struct metrics_peer peers[METRICS_PEERS_MAX];
    struct metrics_admission admission[METRICS_PORT_COUNT];

    /* storage */
    bool storage_held;           /* a failed write holds consensus (node/chain/hold.h) */
    char storage[METRICS_STORAGE_TEXT_MAX]; /* "ok", "full" or "error: TEXT" */
    bool store_known;            /* the next three were read */
    uint64_t store_map_bytes, store_map_max_bytes, store_used_bytes;
    bool fs_known;               /* the data folder's file system answered statvfs */
    uint64_t fs_avail_bytes, fs_size_bytes;
    uint64_t safety_writes;      /* safety records written durably since start-up */
    uint64_t evidence;           /* evidence records kept */

    /* process */
    bool rss_known;
    uint64_t resident_bytes;

    /* what /healthz and /readyz judge by ([metrics] in node.ini) */
    uint32_t health_window_ms;
    uint32_t ready_heartbeats;
};

/* The snapshot both threads see. */
struct metrics_board {
    pthread_mutex_t lock;
    struct metrics_snapshot snap; /* zeroed until the first publish */
};

/* Initialises the mutex, zeroes the snapshot. Returns 0 or WB_ERR_NOMEM
 * (pthread_mutex_init failed). */
WB_MUST_USE int metrics_board_init(struct metrics_board *b);
/* Replaces the board's snapshot by a copy of *s (the loop's thread). */
void metrics_board_publish(struct metrics_board *b, const struct metrics_snapshot *s);
/* Copies the board's snapshot into *out (any thread). */
void metrics_board_read(struct metrics_board *b, struct metrics_snapshot *out);
/* Destroys the mutex; nobody may use the board any more. */
void metrics_board_destroy(struct metrics_board *b);

#endif
