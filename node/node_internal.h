/* The daemon's state, shared by the node_*.c files (not a public API). */
#ifndef NODE_NODE_INTERNAL_H
#define NODE_NODE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "common/wb_error.h"
#include "consensus/cons.h"
#include "ledger/genesis.h"
#include "node/config.h"
#include "node/idmap.h"
#include "node/mempool/mempool.h"
#include "node/net/net.h"
#include "storage/store.h"

#define NODE_PEERS_LINKS_MAX 64
#define NODE_VCACHE 4                 /* validated blocks kept until decided */
#define NODE_TICK_MS 250              /* housekeeping period */
#define NODE_WATCH_WINDOW 8u          /* unacknowledged watch batches per client */
#define NODE_WATCH_BATCH_BYTES (256u << 10) /* event bytes per watch batch */
#define NODE_WATCH_QUEUE_BYTES (512u << 10) /* no batch while more is queued */
#define NODE_WATCH_BLOCKS_PER_PUMP 64u /* blocks read per client per pump */
#define NODE_RESEND_AFTER_MS 2000     /* re-send own messages while stuck this long */
#define NODE_STATUS_EVERY_MS 1000     /* status broadcast period */
/* Validator links heal fast after a partition (docs/operating.md,
 * "Partitions and heal"): a heartbeat after 1 s without sending, a link with
 * nothing received for 3 s is dead, a handshake gets 2 s, and redials back
 * off to at most 2 s (jittered to 1..2 s). */
#define NODE_P2P_KEEPALIVE_MS 1000
#define NODE_P2P_IDLE_TIMEOUT_MS 3000
#define NODE_P2P_HANDSHAKE_TIMEOUT_MS 2000
#define NODE_P2P_RECONNECT_MAX_MS 2000
#define NODE_SUMMARY_EVERY_MS 60000   /* the INFO summary line */
#define NODE_SYNC_TIMEOUT_MS 5000     /* an unanswered block request is retried */
#define NODE_SYNC_BATCH 64            /* blocks asked for per request */
#define NODE_SYNC_REPLY_BYTES (8u << 20)
#define NODE_GOSSIP_FLUSH_MS 0        /* next loop turn: batches what one read brought */
#define NODE_GOSSIP_BATCH_EVENTS 512
#define NODE_EMPTY_BLOCK_WAIT_MS 1000 /* a proposer with an empty mempool waits at most this long */
#define NODE_WAITERS_MAX 200000       /* clients waiting for their events to commit */
#define NODE_RELEASE_PAGES_EVENTS_MIN 32 /* blocks from this size on release their pages */
#define NODE_WAITERS_PER_CLIENT 16384 /* ... of them on one connection */

/* One queued input of the consensus core (the driver feeds the core from a
 * FIFO so that an update is fully acted on before the next step). */
struct node_cev {
    struct node_cev *next;
    struct cons_event ev;
    uint8_t *block;                   /* owned copy of the event's block bytes */
};

/* A timer the core asked for. */
struct node_timer {
    uv_timer_t handle;
    struct node *node;
    struct node_timer *prev, *next;
    uint64_t height;
    uint32_t round;
    uint8_t step;
};

/* A block this node validated for the next height, kept until that height is
 * decided (or the entry is reused) so that the decision neither decodes the
 * block nor opens its events again. Everything in it is owned; an unused
 * entry holds nothing (node_cons_stop empties the cache). */
struct node_vcache {
    bool used;
    uint64_t height;
    uint8_t hash[WB_HASH_LEN];
    struct ledger_item_state *states;     /* resulting item states (state_count) */
    size_t state_count;
    uint8_t (*ids)[WB_HASH_LEN];          /* per event: its id */
    uint32_t *state_of;                   /* per event: index of its item's state */
    struct ledger_block block;            /* the block, decoded */
};

/* A connected validator. */
struct node_peer {
    struct net_link *link;
    uint32_t validator;
    uint64_t height;                  /* its last committed height, from PeerStatus */
};

/* A connected client of the API. */
struct node_client {
    struct net_link *link;
    uint64_t conn_id;
    size_t waiters;                   /* its submits waiting for a commit */
    /* Its watch (node_api.c), if any: only a cursor into storage, so a slow
     * watcher costs no memory; batches go out while fewer than
     * NODE_WATCH_WINDOW are unacknowledged and the link's queue is short. */
    bool watching;
    uint64_t watch_id;                /* the WatchRequest's id */
    uint64_t watch_height;            /* next block to send from */
    uint32_t watch_index;             /* next event of that block */
    uint32_t watch_unacked;           /* batches sent, not acknowledged */
    char watch_item[WB_ITEM_MAX + 1]; /* "" = every item */
};

/* A client waiting for an event to commit. Several may wait on one event. */
struct node_waiter {
    struct node_waiter *next;         /* next waiter on the same event */
    struct node_waiter *all_prev, *all_next; /* every waiter, for shutdown */
    uint64_t conn_id;
    uint64_t req_id;
};

struct node {
    uv_loop_t *loop;
    const struct node_config *cfg;
    struct ledger_genesis *genesis;
    uint32_t self;
    uint8_t pk[WB_PUBKEY_LEN];
    uint8_t sk[WB_SECKEY_LEN];

    struct store *store;
    struct mempool *mempool;
    struct cons cons;
    bool cons_inited;                 /* cons_init succeeded: cons_free at the end */
    bool cons_ready;                  /* the core may be stepped */
    struct net *p2p;
    struct net *api;

    uv_signal_t sigint, sigterm;
    uv_timer_t tick, gossip_timer, build_timer;
    bool stopping;
    int handles_open;                 /* handles (and nets) not yet closed */
    int handles_inited;               /* of sigint, sigterm, tick, gossip, build, in order */

    /* committed chain */
    uint64_t last_height;
    uint8_t last_hash[WB_HASH_LEN];
    int64_t last_time_ms;
    int64_t last_progress_ms;         /* when last_height last changed */
    int64_t last_resend_ms;
    int64_t last_status_ms;
    uint64_t events_committed;        /* since start-up, for status */
    uint64_t evidence_count;
    int64_t last_summary_ms;          /* the INFO summary, once a minute */
    uint64_t summary_blocks;          /* committed since that summary */
    uint64_t summary_events;

    /* consensus driver */
    struct node_cev *q_head, *q_tail;
    bool q_running;
    struct node_timer *timers;
    bool build_pending;
    uint64_t build_height;
    uint32_t build_round;
    struct node_vcache vcache[NODE_VCACHE];
    size_t vcache_next;
    uint64_t idle_height;             /* the core waits for work here (0: no) */

    /* gossip: events admitted from clients, not yet sent to peers */
    uint8_t **gossip;
    size_t *gossip_lens;
    size_t gossip_count;
    size_t gossip_bytes;

    /* peers and block sync */
    struct node_peer peers[NODE_PEERS_LINKS_MAX];
    size_t peer_count;
    bool sync_inflight;
    uint64_t sync_until;              /* last height of the request in flight */
    struct net_link *sync_link;       /* the link it went out on */
    size_t sync_rr;                   /* peer index asked last (requests rotate) */
    int64_t sync_deadline_ms;
    uint64_t sync_hint;               /* the core's latest sync_from hint */

    /* storage faults (node_storage.c): while held, the core is not stepped */
    bool store_held;                  /* a write failed: no votes, no appends */
    bool store_full;                  /* ... because the data folder is full */
    char store_error[200];            /* what failed (status: "error: ...") */
    uint64_t store_held_height;       /* the first height not stored */
    uv_timer_t store_retry_timer;
    bool store_retry_inited;
    uint32_t store_backoff_ms;        /* next retry delay */
    uint32_t store_retries;           /* failed retries of this fault */
    uint8_t *held_block, *held_cert;  /* the decided block (and cert) to append */
    size_t held_block_len, held_cert_len;
    uint64_t held_block_height;
    uint8_t *held_safety;             /* the safety record to write */
    size_t held_safety_len;

    /* client API */
    struct node_client *clients;
    size_t client_count;
    uint64_t next_conn_id;
    struct idmap *waiters;            /* event id -> struct node_waiter list */
    struct node_waiter *all_waiters;
    size_t waiter_count;
};

/* node.c */
int64_t node_now_ms(const struct node *n);
/* Starts a clean shutdown (idempotent): the loop ends once every handle closed. */
void node_stop(struct node *n);
/* Completes nc with the node's chain, identity and frame limits, creates the
 * endpoint in *out and listens on `listen`. On a listen failure *out is
 * still set (node_stop closes it). */
WB_MUST_USE int node_net_open(struct node *n, struct net_config *nc, const struct wb_addr *listen,
                              struct net **out);

/* node_cons.c: the consensus driver */
WB_MUST_USE int node_cons_start(struct node *n);
void node_cons_feed(struct node *n, const struct cons_event *ev);
void node_cons_on_mempool_grew(struct node *n);
void node_cons_stop(struct node *n);
void node_cons_on_build_timer(uv_timer_t *t);
/* The heartbeat is due at now: the last block is heartbeat_ms old. */
bool node_heartbeat_due(const struct node *n, int64_t now);
/* Steps CONS_EV_WORK if the core waits for work and the mempool holds
 * events or the heartbeat is due (also called from the tick). */
void node_cons_check_idle(struct node *n);
/* Appends a block + cert (from consensus or from sync) and does everything a
 * commit implies: mempool, waiters, status, and drops validated blocks of
 * heights now committed. block is decoded in *b; states are what
 * node_check_block gave. The events are opened again to find their ids:
 * node_commit_checked avoids that. */
WB_MUST_USE int node_commit_block(struct node *n, const struct ledger_block *b,
                                  const uint8_t *block, size_t block_len, const uint8_t *cert,
                                  size_t cert_len, const struct ledger_item_state *states,
                                  size_t state_count);
/* node_commit_block for a block whose check result r (node_check_block_full
 * of b) is at hand: storage, the mempool and the waiters take the ids and
 * items from r instead of decoding and hashing the events again. */
WB_MUST_USE int node_commit_checked(struct node *n, const struct ledger_block *b,
                                    const uint8_t *block, size_t block_len, const uint8_t *cert,
                                    size_t cert_len, const struct ledger_block_result *r);
/* Validates a block for height last+1; fills states (caller frees) when asked. */
WB_MUST_USE int node_check_block(struct node *n, const struct ledger_block *b, bool check_time,
                                 struct ledger_item_state **states, size_t *state_count, char *msg,
                                 size_t msg_len);
/* node_check_block that keeps every per-event result in *r (on 0; the caller
 * frees it with ledger_block_result_free; zeroed on error). */
WB_MUST_USE int node_check_block_full(struct node *n, const struct ledger_block *b, bool check_time,
                                      struct ledger_block_result *r, char *msg, size_t msg_len);

/* Drops the core's queued inputs, its timers, the validated blocks and a
 * pending build (node_cons_stop, and a storage fault's hold). */
void node_cons_drop_pending(struct node *n);
/* Steps the core again from what is stored: drops its queue, timers,
 * validated blocks and pending build, frees it, and starts a fresh core at
 * last_height + 1 from the stored safety record (as a restart would). */
WB_MUST_USE int node_cons_restart(struct node *n);

/* node_storage.c: storage faults. A write the node needs failed: the core is
 * held at the first height not stored (no votes, no proposals, no appends;
 * its queue, timers and requests are dropped) while reads and status go on,
 * and the write is retried with backoff (0.5 s doubling to 10 s). Once it
 * succeeds (or block sync stored the height) the core restarts from storage.
 * One ERROR line names the data folder, the error and what the node does;
 * one INFO line the recovery. */
#define NODE_STORE_RETRY_FIRST_MS 500
#define NODE_STORE_RETRY_MAX_MS 10000
/* A decided block (bytes, height; cert may be NULL for one from block sync,
 * which is not kept: sync brings it again) failed to append with rc; the
 * node holds. Copies what it keeps. */
void node_storage_append_failed(struct node *n, int rc, uint64_t height, const uint8_t *block,
                                size_t block_len, const uint8_t *cert, size_t cert_len);
/* The safety record `rec` could not be written durably: nothing of the
 * update is sent, the node holds and writes rec again on retry. */
void node_storage_safety_failed(struct node *n, int rc, const uint8_t *rec, size_t len);
/* A block was appended: while held, retry at once (the disk writes again). */
void node_storage_on_appended(struct node *n);
/* "ok", "full" or "error: TEXT" into buf. */
const char *node_storage_state(const struct node *n, char *buf, size_t len);
/* Whether rc from an append is a failure of the disk rather than of the block. */
bool node_storage_is_fault(int rc);
/* Full or not, from the failed write's errno and the bytes still free on
 * the data folder's file system (UINT64_MAX when unknown). */
bool node_storage_classify_full(int write_err, uint64_t free_bytes);
/* Closes the retry timer and frees what a fault keeps (node_stop). */
void node_storage_stop(struct node *n);

/* node_p2p.c: validator links, gossip, block sync */
WB_MUST_USE int node_p2p_start(struct node *n);
void node_p2p_broadcast_msg(struct node *n, const struct cons_msg *m);
void node_p2p_send_own(struct node *n, struct net_link *only);
void node_p2p_broadcast_status(struct node *n);
void node_p2p_gossip_add(struct node *n, const uint8_t *ev, size_t len);
void node_p2p_gossip_flush(struct node *n);
void node_p2p_on_gossip_timer(uv_timer_t *t);
void node_p2p_sync_check(struct node *n);

/* node_api.c: the client API */
WB_MUST_USE int node_api_start(struct node *n);
void node_api_on_committed(struct node *n, const uint8_t id[WB_HASH_LEN], uint64_t height,
                           uint32_t index);
void node_api_on_dropped(void *ctx, const uint8_t id[WB_HASH_LEN], int err,
                         const char *reason);
void node_api_free(struct node *n);
/* Sends what watchers are owed and may take (called on the tick and after a
 * commit). */
void node_api_watch_pump(struct node *n);

#endif
