/* The deterministic simulator: n copies of the real consensus core in one
 * process over a seeded fake network and clock, with real ledger blocks.
 * Everything random comes from one seeded generator; nothing from the OS. */
#ifndef TESTS_SIM_SIM_H
#define TESTS_SIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "consensus/cons.h"
#include "consensus/seam.h"
#include "ledger/state_tree.h"
#include "ledger/genesis.h"
#include "ledger/types.h"

#ifndef CONS_SEAMS
#error "the simulator injects bugs through the test seams: build it with CONS_SEAMS"
#endif

/* Node processes: up to 7 initial validators and, in runs with
 * validator-set changes, as many more that join later. */
#define SIM_N_MAX 14
#define SIM_CHANGES_MAX 16
#define SIM_ORGS 3                 /* shipper, carrier, customs */
#define SIM_ITEMS 10
#define SIM_EVENTS_PER_ITEM 12
#define SIM_BLOCK_EVENTS_MAX 8
#define SIM_DRIFT_MS 1000
#define SIM_RESEND_MS 700
#define SIM_SKEW_MAX_MS 20         /* node clocks run 0..this far ahead */
/* Quiet when idle: the heartbeat of the sim's genesis (a block at least this
 * often), and how long the idle runs stay idle before one burst of events. */
#define SIM_HEARTBEAT_MS 1500
#define SIM_HEARTBEAT_SLACK_MS 1000 /* heartbeat block gaps stay below hb + this */
#define SIM_IDLE_MS 30000
#define SIM_IDLE_BURST 8           /* events of the burst, one per item */
#define SIM_IDLE_LATENCY_MS 1000   /* the burst commits on every node within this */
#define SIM_REPLAY_RING 48

/* ---- util.c: generator, shared buffers, event queue, trace ------------- */

struct sim_rng {
    uint64_t s[4];
};

void rng_seed(struct sim_rng *r, uint64_t seed);
uint64_t rng_next(struct sim_rng *r);
uint64_t rng_below(struct sim_rng *r, uint64_t n);      /* [0, n) */
int64_t rng_range(struct sim_rng *r, int64_t lo, int64_t hi); /* [lo, hi] */
bool rng_pm(struct sim_rng *r, uint32_t per_mille);

/* Reference-counted bytes shared by the copies of one message in flight. */
struct sim_buf {
    uint32_t refs;
    size_t len;
    uint8_t data[];
};
struct sim_buf *buf_new(const void *data, size_t len);
struct sim_buf *buf_ref(struct sim_buf *b);
void buf_unref(struct sim_buf *b);

enum sim_ev_kind {
    SIM_EV_DELIVER = 1,   /* a network message arrives */
    SIM_EV_TIMER,         /* a consensus timer fires */
    SIM_EV_BUILD,         /* the driver finished building a block */
    SIM_EV_VALIDATE,      /* the driver finished validating a block */
    SIM_EV_RESEND,        /* periodic re-send of own messages */
    SIM_EV_CRASH,
    SIM_EV_RESTART,
    SIM_EV_PARTITION,
    SIM_EV_HEAL,
    SIM_EV_FAULTS_END,
    SIM_EV_BYZ_REPLAY,    /* a byzantine node replays an old message */
    SIM_EV_WORK,          /* a waiting core may have work (mempool, heartbeat) */
};

enum sim_msg_kind {
    SIM_MSG_CONS = 1,     /* encoded PeerMessage (proposal or vote) */
    SIM_MSG_SYNC_REQ,     /* aux = first height wanted */
    SIM_MSG_SYNC_BLOCK,   /* aux = height, buf = block, buf2 = certificate */
};

struct sim_ev {
    int64_t at;
    uint64_t seq;
    uint8_t kind;         /* enum sim_ev_kind */
    uint8_t msg;          /* enum sim_msg_kind for DELIVER */
    uint8_t step;
    uint32_t node, from;
    uint64_t epoch;       /* the node incarnation it is for */
    uint64_t h;
    uint32_t r;
    uint64_t aux;
    uint8_t hash[WB_HASH_LEN];
    struct sim_buf *buf, *buf2;
};

struct sim_queue {
    struct sim_ev *a;
    size_t n, cap;
    uint64_t seq;
};
int queue_push(struct sim_queue *q, struct sim_ev *ev); /* sets seq */
bool queue_pop(struct sim_queue *q, struct sim_ev *out);
void queue_free(struct sim_queue *q);

/* FNV-1a, the trace hash. */
uint64_t fnv1a(uint64_t h, const void *data, size_t len);

/* ---- chain.c: genesis, workload, per-node ledger --------------------------- */

struct sim_event {
    uint8_t *bytes;       /* SignedEvent */
    size_t len;
    uint8_t id[WB_HASH_LEN];
};

/* Validator-set changes: a deterministic schedule every node knows (the
 * simulated chain has no governance events). A change in block h (when
 * decided) applies from height h + 2. */
enum sim_valset {
    SIM_VS_NONE = 0,          /* the genesis set for ever */
    SIM_VS_ADD = 1,           /* new validators join */
    SIM_VS_REMOVE = 2,        /* validators leave (and keep following) */
    SIM_VS_REPLACE = 3,       /* every initial validator replaced, one by one */
    SIM_VS_KINDS = 4,
};
struct sim_change {
    uint64_t h;               /* the block it is executed in */
    bool add;                 /* add node `id`, or remove it */
    uint32_t id;
};

struct sim_env {
    struct ledger_genesis *g;
    size_t n;                 /* initial validators: nodes 0..n-1 */
    size_t nodes;             /* node processes (>= n): keys for all of them */
    struct sim_change changes[SIM_CHANGES_MAX];
    size_t change_count;
    uint8_t val_pk[SIM_N_MAX][WB_PUBKEY_LEN];
    uint8_t val_sk[SIM_N_MAX][WB_SECKEY_LEN];
    uint8_t org_pk[SIM_ORGS][WB_PUBKEY_LEN];
    uint8_t org_sk[SIM_ORGS][WB_SECKEY_LEN];
    char items[SIM_ITEMS][48];
    struct sim_event events[SIM_ITEMS][SIM_EVENTS_PER_ITEM];
};

int env_init(struct sim_env *e, struct sim_rng *rng, size_t n, size_t nodes);
void env_free(struct sim_env *e);
/* The validators of height h as node ids, in index order (additions go to
 * the end, a removal closes the gap): the genesis set with every change
 * of the blocks <= h - 2 applied. Returns their number. */
size_t env_set(const struct sim_env *e, uint64_t h, uint32_t ids[SIM_N_MAX]);
/* Validator index of node id at height h, or CONS_NOT_VALIDATOR. */
uint32_t env_index(const struct sim_env *e, uint64_t h, uint32_t id);
/* Node id of validator index idx at height h, or UINT32_MAX. */
uint32_t env_member(const struct sim_env *e, uint64_t h, uint32_t idx);
/* The keys of height h's set into keys; returns their number. */
size_t env_keys(const struct sim_env *e, uint64_t h, uint8_t keys[SIM_N_MAX][WB_PUBKEY_LEN]);

struct sim_block {
    uint8_t hash[WB_HASH_LEN];
    uint8_t *bytes;
    size_t len;
    uint8_t *cert;
    size_t cert_len;
    int64_t time_ms;
    size_t event_count;
};

/* A node's durable ledger: blocks 1..len and the item states they leave. */
struct sim_chain {
    struct sim_block *blocks;
    size_t len, cap;
    struct ledger_item_state states[SIM_ITEMS];
    struct ledger_state_tree tree;        /* the item-state tree after block len */
};

void chain_init(struct sim_chain *c);
void chain_free(struct sim_chain *c);
void chain_tip(const struct sim_chain *c, const struct sim_env *e, uint8_t prev[WB_HASH_LEN],
               int64_t *prev_time);
/* known[item][k]: when event k of item reaches one node's mempool. */
typedef int64_t sim_known_row[SIM_EVENTS_PER_ITEM];

/* Builds block len+1 from the workload events not yet in the chain that
 * are in the builder's mempool: known[item][k] <= known_by (known NULL: all
 * of them). skip: leave out that many leading candidate events (0 = honest
 * choice). */
int chain_build(const struct sim_chain *c, const struct sim_env *e, const sim_known_row *known,
                int64_t known_by,
                uint32_t proposer, int64_t time_ms, size_t skip, uint8_t **out,
                size_t *out_len, uint8_t hash[WB_HASH_LEN]);
/* Builds a block from given events and header fields (for invalid blocks). */
int chain_build_raw(const struct sim_env *e, uint64_t height, const uint8_t prev[WB_HASH_LEN],
                    int64_t time_ms, uint32_t proposer, const uint8_t *const *events,
                    const size_t *lens, size_t count, uint8_t **out, size_t *out_len,
                    uint8_t hash[WB_HASH_LEN]);
/* chain_build_raw with the header's item-state fields (version 2 chains):
 * chain_build_raw gives a zero root and count, which no check accepts. */
int chain_build_state(const struct sim_env *e, uint64_t height, const uint8_t prev[WB_HASH_LEN],
                      int64_t time_ms, uint32_t proposer, const uint8_t *const *events,
                      const size_t *lens, size_t count, const uint8_t state_root[WB_HASH_LEN],
                      uint64_t item_count, uint8_t **out, size_t *out_len,
                      uint8_t hash[WB_HASH_LEN]);
/* Validity of bytes proposed under `hash` as block len+1, with the local
 * clock at now_ms. msg gets the reason when not valid. */
enum cons_validity chain_validate(const struct sim_chain *c, const struct sim_env *e,
                                  const uint8_t *bytes, size_t len,
                                  const uint8_t hash[WB_HASH_LEN], int64_t now_ms, char *msg,
                                  size_t msg_len);
/* Appends block len+1 after checking it (without the clock check) and its
 * certificate; returns 0 or -1 with the reason in msg. */
int chain_append(struct sim_chain *c, const struct sim_env *e, const uint8_t *bytes, size_t len,
                 const uint8_t hash[WB_HASH_LEN], const uint8_t *cert, size_t cert_len,
                 char *msg, size_t msg_len);

/* ---- world.c: the simulation ----------------------------------------------- */

struct sim_mix {
    const char *name;
    uint32_t drop_pm, dup_pm, spike_pm; /* per mille, during the fault phase */
    bool partitions, crashes, byz;
    int64_t fault_ms;
};

extern const struct sim_mix sim_mixes[];
extern const size_t sim_mix_count;
const struct sim_mix *sim_mix_find(const char *name);

struct sim_config {
    uint64_t seed;
    size_t n;                     /* 4 or 7 */
    const struct sim_mix *mix;
    enum cons_seam bug;           /* injected into honest nodes */
    bool no_record_check;         /* turn off the durable-record check (teeth test) */
    bool no_lock_check;           /* turn off the lock check (teeth test) */
    FILE *trace;                  /* trace lines go here when set */
    uint32_t quiet_heights;       /* heights to decide after faults stop */
    int64_t liveness_ms;          /* simulated time allowed for that */
    /* An idle run: no events for SIM_IDLE_MS, then SIM_IDLE_BURST at once;
     * it ends when every honest node committed them. Otherwise events come
     * in bursts with idle gaps of up to three heartbeats. */
    bool idle_run;
    /* Validator-set changes mixed into the faults (SIM_VS_NONE: none):
     * n more node processes follow from the start and join as the
     * schedule adds them (world.c, plan_valset). */
    uint8_t valset;               /* enum sim_valset */
};

struct sim_result {
    bool ok;
    char check[32];               /* which check failed */
    char failure[768];
    uint64_t trace_hash;
    uint64_t heights;             /* highest honest height */
    uint64_t deliveries;
    uint64_t evidence;            /* against byzantine validators */
    uint64_t syncs;               /* blocks appended by block sync */
    uint64_t restarts;
    int64_t sim_ms;
    uint64_t empty_blocks;        /* on the longest honest chain */
    uint64_t set_changes;         /* validator-set changes of the schedule */
    uint64_t changes_under_faults;/* ... in blocks decided while faults were on */
    uint64_t sig_checks;          /* signatures the honest cores checked */
    uint64_t decisions;           /* heights the honest cores decided */
    uint64_t forged;              /* votes byzantine validators forged */
    uint64_t rejected_signature;  /* votes and proposals the honest cores refused so */
    uint64_t idle_blocks;         /* idle run: blocks made while idle */
    uint64_t idle_bound;          /* ... at most this many allowed */
    int64_t idle_gap_ms;          /* ... longest gap between them */
    int64_t idle_latency_ms;      /* ... burst released -> on every honest node */
};

void sim_run(const struct sim_config *cfg, struct sim_result *res);

/* ---- internals shared by world.c, byz.c and check.c -------------------------- */

struct byz_state;

struct sim_node {
    uint32_t id;
    bool byz;
    bool up;
    uint64_t epoch;
    struct cons core;
    bool core_live;
    uint64_t sig_checks, decisions, rejected_sig; /* of its cores before the current one */
    bool has_record;
    struct cons_safety durable;   /* what it handed to persist: all a restart gets */
    struct sim_chain chain;
    int64_t skew_ms;
    int64_t answered_ms[SIM_N_MAX]; /* last old-height answer to each peer */
    /* Its lock as its own precommits show it: the latest non-nil one. */
    uint64_t lock_h;
    uint32_t lock_r;
    uint8_t lock_hash[WB_HASH_LEN];
    struct byz_state *bz;
    /* Validator-set changes: the core's per-height set source. */
    const struct sim_env *env;
    uint8_t vs_keys[SIM_N_MAX][WB_PUBKEY_LEN];
};

struct sim_world;

/* Signed-message bookkeeping for the equivocation check. */
struct sign_entry {
    uint64_t key;                 /* 0 = empty */
    uint64_t digest;
};

/* Who prevoted what, as sent by anyone: the ground truth for polkas. */
struct polka_entry {
    bool used;
    uint64_t h;
    uint32_t r;
    uint8_t hash[WB_HASH_LEN];
    uint32_t mask;                /* validators that sent this prevote */
};

struct sim_world {
    struct sim_config cfg;
    struct sim_rng rng;
    struct sim_queue q;
    int64_t now;
    size_t n, f;                  /* node processes; f of the initial validators */
    size_t n_init;                /* initial validators (nodes 0..n_init-1) */
    struct sim_env env;
    struct sim_node nodes[SIM_N_MAX];
    uint8_t group[SIM_N_MAX];
    bool partitioned;
    bool faults_on;
    uint32_t drop_pm, dup_pm, spike_pm;
    uint32_t crash_mid_pm;
    uint64_t target_height;
    int64_t deadline;
    int64_t faults_end_at;
    /* The workload: when each event is submitted (at its origin node) and
     * when it reaches each node's mempool (INT64_MAX: never released). */
    int64_t release_at[SIM_ITEMS][SIM_EVENTS_PER_ITEM];
    int64_t known_at[SIM_N_MAX][SIM_ITEMS][SIM_EVENTS_PER_ITEM];
    int64_t idle_end;             /* idle run: when the burst is released */
    /* checks */
    uint8_t (*decided)[WB_HASH_LEN];
    size_t decided_cap;
    struct sign_entry *signs;
    size_t sign_cap, sign_count;
    struct polka_entry *polkas;
    size_t polka_cap, polka_count;
    uint64_t *certs_ok;           /* hashes of certificates verified already */
    size_t certs_cap, certs_count;
    bool failed;
    struct sim_result *res;
    uint64_t trace_hash;
};

void trace(struct sim_world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fail(struct sim_world *w, const char *check, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sends bytes over the fake network (drop, delay, duplicate, partition). */
void net_send(struct sim_world *w, uint32_t from, uint32_t to, uint8_t kind,
              struct sim_buf *buf, struct sim_buf *buf2, uint64_t aux);
void net_send_msg(struct sim_world *w, uint32_t from, uint32_t to, const struct cons_msg *m);
bool is_honest(const struct sim_world *w, uint32_t id);
/* The node's row of the workload's known_at (its mempool), for chain_build. */
const sim_known_row *node_known(struct sim_world *w, const struct sim_node *nd);

/* ---- check.c ------------------------------------------------------------------ */
int checks_init(struct sim_world *w);
void checks_free(struct sim_world *w);
/* An honest node is about to send m: its durable record covers it, it
 * never signed anything else at that (h, r, step), and it respects its lock. */
void check_send(struct sim_world *w, struct sim_node *nd, const struct cons_msg *m);
/* Any signed message put on the network (prevotes feed the polka record). */
void check_note_sent(struct sim_world *w, const struct cons_msg *m);
/* An honest node appended block `height`: same as every other honest node's. */
void check_agreement(struct sim_world *w, const struct sim_node *nd, uint64_t height,
                     const uint8_t hash[WB_HASH_LEN]);
/* A decided block's certificate verifies on its own against genesis. */
void check_cert(struct sim_world *w, const struct sim_node *nd, uint64_t height,
                const uint8_t hash[WB_HASH_LEN], const uint8_t *cert, size_t cert_len);
void check_evidence(struct sim_world *w, const struct sim_node *nd,
                    const struct cons_evidence *e);
/* An honest node appended its block len: an empty block comes at least a
 * heartbeat (less the clock skew) after the one before it, unless some
 * event submitted by its time was still to be committed. */
void check_quiet(struct sim_world *w, const struct sim_node *nd);

/* ---- byz.c --------------------------------------------------------------------- */
int byz_init(struct sim_world *w, struct sim_node *nd);
void byz_free(struct sim_node *nd);
/* The byzantine node's core produced m: send something of its choosing. */
void byz_outgoing(struct sim_world *w, struct sim_node *nd, const struct cons_msg *m);
/* The byzantine node received message bytes (kept for replays) and, for a
 * proposal, may vote for it whatever the rules say. */
void byz_incoming(struct sim_world *w, struct sim_node *nd, struct sim_buf *buf,
                  const struct cons_msg *m);
void byz_replay(struct sim_world *w, struct sim_node *nd);

#endif
