/* The daemon's lifecycle and wiring: load genesis and key, open the store,
 * create the mempool and the node's parts (node/chain, node/driver,
 * node/p2p, node/api), connect them through their listeners, run the loop
 * until a signal, then close everything in reverse order. This is the only
 * file that knows every part; no part calls into it except through the
 * listeners it hands them. docs/architecture.md, "The node's parts", draws
 * who calls whom. */
#include "node/node.h"

#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/file.h"
#include "common/hex.h"
#include "common/log.h"
#include "common/wb_error.h"
#include "ledger/genesis.h"
#include "node/api/api.h"
#include "node/chain/chain.h"
#include "node/chain/commit.h"
#include "node/chain/hold.h"
#include "node/driver/driver.h"
#include "node/env.h"
#include "node/keyfile.h"
#include "node/mempool/mempool.h"
#include "node/metrics/metrics.h"
#include "node/net_open.h"
#include "node/p2p/p2p.h"
#include "node/risk/index.h"
#include "node/risk/replay.h"
#include "node/risk/scores.h"
#include "risk/policy.h"
#include "storage/store.h"

#define NODE_TICK_MS 250              /* housekeeping period */
#define NODE_RESEND_AFTER_MS 2000     /* re-send own messages while stuck this long */
#define NODE_SUMMARY_EVERY_MS 60000   /* the INFO summary line */
#define NODE_SCORES_BUDGET_NS 3000000 /* scoring per idle turn of the loop: 3 ms */

struct node {
    struct node_env env;
    struct node_identity id;
    struct ledger_genesis *genesis;   /* owned: the genesis file; env.genesis is the chain's
                                         registry view once the chain is loaded */
    struct node_chain chain;
    struct node_commit commit;
    struct node_hold hold;
    struct node_driver driver;
    struct node_p2p p2p;
    struct node_api api;
    struct node_metrics metrics;
    struct node_risk risk;            /* the risk index: fed every committed block */
    struct node_scores scores;        /* item scores, re-assessed on the loop's idle turns */
    uv_idle_t scores_idle;            /* runs while items are pending */
    bool scores_idle_on;
    uint64_t scores_rebuild_ns;       /* start of the start-up rebuild; 0 once done */
    bool driver_inited, api_inited, risk_inited, scores_inited;
    uv_signal_t sigint, sigterm;
    uv_timer_t tick;
    int handles_inited;               /* of sigint, sigterm, tick, scores_idle, in order */
    int nets_open;                    /* endpoints not yet closed */
    bool stopping;
    int64_t last_resend_ms;
};

static void node_stop(struct node *n);

#define GENESIS_FILE_MAX (1u << 20)

/* The mempool's clock: the node's. */
static int64_t node_clock_ms(void *ctx)
{
    (void)ctx;
    return node_now_ms();
}

static int load_genesis(struct node *n)
{
    uint8_t *buf;
    size_t len;
    int rc = wb_read_file(n->env.cfg->genesis, GENESIS_FILE_MAX, &buf, &len);
    if (rc) {
        WB_ERROR("node", "cannot read genesis %s: %s", n->env.cfg->genesis, wb_strerror(rc));
        return rc;
    }
    n->genesis = malloc(sizeof *n->genesis);
    if (!n->genesis) {
        free(buf);
        return WB_ERR_NOMEM;
    }
    char msg[WB_GENESIS_MSG_MAX];
    rc = ledger_genesis_parse(buf, len, n->genesis, msg, sizeof msg);
    free(buf);
    if (rc) WB_ERROR("node", "genesis %s: %s", n->env.cfg->genesis, msg);
    return rc;
}

static int load_identity(struct node *n)
{
    char msg[512];
    int rc = keyfile_load(n->env.cfg->key_file, n->id.pk, n->id.sk, msg, sizeof msg);
    if (rc) {
        WB_ERROR("node", "%s", msg);
        return rc;
    }
    n->env.self_key = n->id.pk;
    return WB_OK;
}

/* Says what this node is in the chain's registry as loaded: a validator
 * (its name should match), or not (yet): it then follows the chain and
 * votes from the height a governance change adds it. */
static void report_role(const struct node *n)
{
    const struct ledger_genesis *view = node_chain_view(&n->chain);
    int v = ledger_genesis_validator_of_key(view, n->id.pk);
    char hex[65];
    if (v < 0) {
        WB_WARN("node",
                "key %s (%s) is not a validator of this chain as of height %llu: the node "
                "follows the chain and votes once a governance change adds it (docs/operating.md)",
                wb_hex_encode(n->id.pk, 32, hex, sizeof hex), n->env.cfg->key_file,
                (unsigned long long)node_chain_height(&n->chain));
        return;
    }
    if (strcmp(view->validators[v].name, n->env.cfg->name) != 0)
        WB_WARN("node", "config name '%s' differs from the validator name '%s'",
                n->env.cfg->name, view->validators[v].name);
}

static int open_store(struct node *n)
{
    const struct node_config *cfg = n->env.cfg;
    struct store_options opt;
    store_options_init(&opt);
    opt.no_sync = !cfg->sync;
    int rc = store_open(cfg->data_dir, &opt, &n->env.store);
    if (rc) {
        WB_ERROR("node", "cannot open store %s: %s", cfg->data_dir, wb_strerror(rc));
        return rc;
    }
    rc = store_bind_genesis(n->env.store, n->genesis->hash);
    if (rc) {
        WB_ERROR("node", "data dir %s belongs to another chain", cfg->data_dir);
        return rc;
    }
    rc = node_chain_load(&n->chain, &n->env);
    if (rc) {
        WB_ERROR("node", "cannot read the chain's head from %s: %s", cfg->data_dir,
                 wb_strerror(rc));
        return rc;
    }
    /* From here on every part reads the registry in effect now: genesis
     * as governance changed it (same chain id, genesis hash and time). */
    n->env.genesis = node_chain_view(&n->chain);
    report_role(n);
    return WB_OK;
}

/* The risk index as of the stored head: every stored block replayed. */
static int load_risk(struct node *n)
{
    int rc = node_risk_init(&n->risk, NULL);
    n->risk_inited = true;
    if (rc == WB_OK)
        rc = node_risk_replay(&n->risk, n->env.store, node_chain_height(&n->chain),
                              node_chain_gov(&n->chain));
    if (rc) WB_ERROR("node", "cannot rebuild the risk index: %s", wb_strerror(rc));
    return rc;
}

/* The policy of [risk] policy, else the defaults; a bad file stops the
 * start. */
static int load_policy(const struct node_config *cfg, struct risk_policy *p)
{
    risk_policy_defaults(p);
    if (!cfg->risk_policy[0]) return WB_OK;
    uint8_t *buf;
    size_t len;
    int rc = wb_read_file(cfg->risk_policy, RISK_POLICY_FILE_MAX, &buf, &len);
    if (rc) {
        WB_ERROR("node", "[risk] policy: cannot read %s: %s", cfg->risk_policy,
                 rc == WB_ERR_TOO_LARGE ? "over 64 KiB" : wb_strerror(rc));
        return WB_ERR_CONFIG;
    }
    char msg[256];
    rc = risk_policy_parse((const char *)buf, len, p, msg, sizeof msg);
    free(buf);
    if (rc) {
        WB_ERROR("node", "[risk] policy %s: %s", cfg->risk_policy, msg);
        return WB_ERR_CONFIG;
    }
    return WB_OK;
}

/* The score table, every stored item pending: the loop's idle turns
 * judge them while the node answers. */
static int load_scores(struct node *n)
{
    struct risk_policy p;
    int rc = load_policy(n->env.cfg, &p);
    if (rc) return rc;
    struct node_scores_deps deps = {.store = n->env.store,
                                    .gov = node_chain_gov(&n->chain),
                                    .g = node_chain_view(&n->chain),
                                    .risk = &n->risk};
    rc = node_scores_init(&n->scores, NULL, &p, &deps);
    n->scores_inited = true;
    uint64_t h = node_chain_height(&n->chain);
    if (rc == WB_OK)
        rc = node_scores_mark_all(&n->scores, h, h ? node_chain_time_ms(&n->chain) : 0);
    if (rc) {
        WB_ERROR("node", "cannot list the items to score: %s", wb_strerror(rc));
        return rc;
    }
    n->scores_rebuild_ns = node_mono_ns();
    WB_INFO("risk", "h=%llu scoring %zu items (policy %s)", (unsigned long long)h,
            node_scores_pending(&n->scores), n->env.cfg->risk_policy[0] ? n->env.cfg->risk_policy
                                                                       : "built-in defaults");
    return WB_OK;
}

static void on_scores_idle(uv_idle_t *h);

/* Runs the idle turns while items are pending. */
static void scores_kick(struct node *n)
{
    if (n->scores_idle_on || n->stopping || n->handles_inited < 4 ||
        !node_scores_pending(&n->scores))
        return;
    int rc = uv_idle_start(&n->scores_idle, on_scores_idle);
    if (rc) {
        WB_ERROR("risk", "cannot schedule the scoring: %s", uv_strerror(rc));
        return;
    }
    n->scores_idle_on = true;
}

static void on_scores_idle(uv_idle_t *h)
{
    struct node *n = h->data;
    if (node_scores_work(&n->scores, NODE_SCORES_BUDGET_NS)) return;
    int rc = uv_idle_stop(&n->scores_idle);
    if (rc) WB_ERROR("risk", "cannot stop the scoring turns: %s", uv_strerror(rc));
    n->scores_idle_on = false;
    if (n->scores_rebuild_ns) {
        struct node_scores_stats st;
        node_scores_stats(&n->scores, &st);
        WB_INFO("risk", "h=%llu scores rebuilt: %zu items in %.1f ms (%llu failed), %zu KiB",
                (unsigned long long)node_scores_height(&n->scores), st.items,
                (double)(node_mono_ns() - n->scores_rebuild_ns) / 1e6,
                (unsigned long long)st.failed, st.bytes / 1024);
        n->scores_rebuild_ns = 0;
    }
}

/* ---- the parts' listeners --------------------------------------------------------- */

/* A governance block committed: the p2p part dials validators it added. */
static void on_gov_changed(void *ctx, const struct ledger_gov *gv)
{
    struct node *n = ctx;
    (void)gv;
    node_p2p_on_gov(&n->p2p);
}

static void on_block_committed(void *ctx, const struct ledger_block *b,
                               const uint8_t (*ids)[WB_HASH_LEN])
{
    struct node *n = ctx;
    node_driver_on_committed(&n->driver, b->header.height);
    node_hold_on_appended(&n->hold);
    node_api_on_block(&n->api, b, ids);
    node_p2p_broadcast_status(&n->p2p);
    /* After the answers and the status: off the commit's latency. */
    int rc = node_risk_on_block(&n->risk, b, node_chain_gov(&n->chain));
    if (rc)
        WB_ERROR("risk", "h=%llu the risk index cannot take the block in: %s; it answers no "
                 "more until a restart rebuilds it",
                 (unsigned long long)b->header.height, wb_strerror(rc));
    /* Marks only; the judging is on the idle turns. */
    rc = node_scores_on_block(&n->scores, b);
    if (rc)
        WB_ERROR("risk", "h=%llu cannot mark the block's items for scoring: %s",
                 (unsigned long long)b->header.height, wb_strerror(rc));
    scores_kick(n);
    node_metrics_publish(&n->metrics, node_now_ms());
}

static void on_event_dropped(void *ctx, const uint8_t id[WB_HASH_LEN], int err,
                             const char *reason)
{
    struct node *n = ctx;
    node_api_on_dropped(&n->api, id, err, reason);
}

static void on_hold(void *ctx)
{
    struct node *n = ctx;
    node_driver_drop_pending(&n->driver);
}

static int on_resume(void *ctx)
{
    struct node *n = ctx;
    return node_driver_restart(&n->driver, n->id.sk);
}

static void on_fatal(void *ctx)
{
    node_stop(ctx);
}

static void send_msg(void *ctx, const struct cons_msg *m)
{
    struct node *n = ctx;
    node_p2p_broadcast_msg(&n->p2p, m);
}

/* ---- lifecycle -------------------------------------------------------------------- */

static void on_net_closed(void *ctx)
{
    struct node *n = ctx;
    n->nets_open--;
}

/* What the risk index cost on the commit path since start-up (the replay
 * included) and what it holds. */
static void log_risk_cost(const struct node *n)
{
    struct node_risk_stats st;
    node_risk_stats(&n->risk, &st);
    WB_INFO("risk", "h=%llu risk index: %llu blocks, %llu events (%llu decoded) in %.1f ms, "
            "%.2f us per event; %zu seals, %zu containers, %zu parties, %zu items, %zu open, "
            "%zu baselines, %zu KiB",
            (unsigned long long)node_risk_height(&n->risk), (unsigned long long)st.blocks,
            (unsigned long long)st.events, (unsigned long long)st.decoded, (double)st.ns / 1e6,
            st.events ? (double)st.ns / 1e3 / (double)st.events : 0.0, st.seals, st.containers,
            st.parties, st.items, st.open, st.baselines, st.bytes / 1024);
}

static void node_stop(struct node *n)
{
    if (n->stopping) return;
    n->stopping = true;
    WB_INFO("node", "h=%llu shutting down", (unsigned long long)node_chain_height(&n->chain));
    if (n->risk_inited) log_risk_cost(n);
    node_metrics_stop(&n->metrics);
    if (n->driver_inited) node_driver_stop(&n->driver);
    node_hold_stop(&n->hold);
    /* Only the handles init_handles got to (in its order) are closed. */
    uv_handle_t *handles[] = {(uv_handle_t *)&n->sigint, (uv_handle_t *)&n->sigterm,
                              (uv_handle_t *)&n->tick, (uv_handle_t *)&n->scores_idle};
    for (int i = 0; i < n->handles_inited; i++) uv_close(handles[i], NULL);
    node_p2p_close(&n->p2p, on_net_closed, n);
    node_api_close(&n->api, on_net_closed, n);
}

static void on_signal(uv_signal_t *s, int signum)
{
    struct node *n = s->data;
    WB_INFO("node", "signal %d received", signum);
    node_stop(n);
}

/* Once a minute at INFO: what the node did since the last summary. Per
 * block lines are DEBUG, so a quiet network logs this and little else. */
static void log_summary(struct node *n, int64_t now)
{
    size_t vc = n->env.genesis->validator_count;
    size_t peers_max = vc ? vc - 1 : 0;
    char last[48];
    uint64_t height = node_chain_height(&n->chain);
    if (height)
        snprintf(last, sizeof last, "last block %lld s ago",
                 (long long)((now - node_chain_time_ms(&n->chain)) / 1000));
    else
        snprintf(last, sizeof last, "no block yet");
    uint64_t blocks, events;
    int64_t period_ms;
    node_chain_take_summary(&n->chain, now, &blocks, &events, &period_ms);
    WB_INFO("node", "h=%llu summary: %llu blocks, %llu events in %lld s; peers %zu of %zu; "
            "mempool %zu events, %llu bytes; %s",
            (unsigned long long)height, (unsigned long long)blocks,
            (unsigned long long)events, (long long)(period_ms / 1000),
            node_p2p_peer_count(&n->p2p), peers_max, mempool_count(n->env.mempool),
            (unsigned long long)mempool_bytes(n->env.mempool), last);
}

static void on_tick(uv_timer_t *t)
{
    struct node *n = t->data;
    int64_t now = node_now_ms();
    node_driver_check_idle(&n->driver);
    if (now - n->chain.summary_ms >= NODE_SUMMARY_EVERY_MS) log_summary(n, now);
    node_p2p_on_tick(&n->p2p, now);
    if (now - node_chain_progress_ms(&n->chain) >= NODE_RESEND_AFTER_MS &&
        now - n->last_resend_ms >= NODE_RESEND_AFTER_MS) {
        node_p2p_send_own(&n->p2p, NULL);
        n->last_resend_ms = now;
    }
    node_api_watch_pump(&n->api);
    node_metrics_publish(&n->metrics, now);
}

static int init_handles(struct node *n)
{
    uv_signal_t *sigs[2] = {&n->sigint, &n->sigterm};
    int nums[2] = {SIGINT, SIGTERM};
    for (int i = 0; i < 2; i++) {
        if (uv_signal_init(n->env.loop, sigs[i]) != 0) return WB_ERR_IO;
        sigs[i]->data = n;
        n->handles_inited++;
        if (uv_signal_start(sigs[i], on_signal, nums[i]) != 0) return WB_ERR_IO;
    }
    if (uv_timer_init(n->env.loop, &n->tick) != 0) return WB_ERR_IO;
    n->tick.data = n;
    n->handles_inited++;
    if (uv_timer_start(&n->tick, on_tick, NODE_TICK_MS, NODE_TICK_MS) != 0) return WB_ERR_IO;
    if (uv_idle_init(n->env.loop, &n->scores_idle) != 0) return WB_ERR_IO;
    n->scores_idle.data = n;
    n->handles_inited++;
    scores_kick(n);
    return WB_OK;
}

/* Creates the mempool and the parts and connects them. */
static int init_parts(struct node *n)
{
    const struct node_config *cfg = n->env.cfg;
    struct mempool_config mc = {
        .genesis = n->env.genesis,
        .gov = node_chain_gov(&n->chain),
        .events_max = cfg->limits.mempool_events_max,
        .bytes_max = cfg->limits.mempool_bytes_max,
        .lookup = store_state_lookup,
        .lookup_ctx = n->env.store,
        .clock = node_clock_ms,
        .clock_ctx = n,
    };
    int rc = mempool_create(&mc, &n->env.mempool);
    if (rc) return rc;
    n->commit = (struct node_commit){
        .env = &n->env,
        .chain = &n->chain,
        .listener = {.on_block = on_block_committed,
                     .on_dropped = on_event_dropped,
                     .on_gov = on_gov_changed,
                     .ctx = n},
    };
    struct node_hold_listener hl = {
        .on_hold = on_hold, .on_resume = on_resume, .on_fatal = on_fatal, .ctx = n};
    node_hold_init(&n->hold, &n->env, &n->commit, &hl);
    struct node_driver_listener dl = {
        .send = send_msg, .on_dropped = on_event_dropped, .on_fatal = on_fatal, .ctx = n};
    if ((rc = node_driver_init(&n->driver, &n->env, &n->chain, &n->commit, &n->hold, &dl)))
        return rc;
    n->driver_inited = true;
    if ((rc = node_api_init(&n->api, &n->env, &n->chain, &n->driver, &n->p2p, &n->hold,
                            &n->risk, &n->scores)))
        return rc;
    n->api_inited = true;
    return WB_OK;
}

static void free_node(struct node *n)
{
    node_metrics_stop(&n->metrics);
    if (n->api_inited) node_api_free(&n->api);
    if (n->driver_inited) node_driver_free(&n->driver);
    if (n->scores_inited) node_scores_free(&n->scores);
    if (n->risk_inited) node_risk_free(&n->risk);
    node_chain_free(&n->chain);
    mempool_destroy(n->env.mempool);
    store_close(n->env.store);
    free(n->genesis);
    sodium_memzero(&n->id, sizeof n->id);
}

int node_run(const struct node_config *cfg)
{
    if (sodium_init() < 0) return WB_ERR_CRYPTO;
    wb_log_set_level(cfg->log_level);
    /* A peer that dies mid-write must cost us a link, not the process. */
    signal(SIGPIPE, SIG_IGN);
    /* A write past a file size limit must fail with EFBIG (a storage
     * fault the node holds on and recovers from), not kill the process. */
    signal(SIGXFSZ, SIG_IGN);
    struct node *n = calloc(1, sizeof *n);
    uv_loop_t loop;
    if (!n) return WB_ERR_NOMEM;
    if (uv_loop_init(&loop) != 0) {
        free(n);
        return WB_ERR_IO;
    }
    n->env.loop = &loop;
    n->env.cfg = cfg;
    n->nets_open = 2; /* the two endpoints, released by on_net_closed */
    /* Before any part runs: the driver and the block check record into it. */
    node_metrics_init(&n->metrics, &n->env, &n->chain, &n->driver, &n->p2p, &n->hold, &n->api);
    n->env.metrics = &n->metrics.record;
    int rc;
    if ((rc = load_genesis(n))) goto err_free;
    n->env.genesis = n->genesis;
    if ((rc = load_identity(n)) || (rc = open_store(n)) || (rc = load_risk(n)) ||
        (rc = load_scores(n)) || (rc = init_parts(n)))
        goto err_stop;
    if ((rc = init_handles(n))) goto err_stop;
    if ((rc = node_p2p_start(&n->p2p, &n->env, &n->id, &n->chain, &n->commit, &n->hold,
                             &n->driver)))
        goto err_stop;
    if ((rc = node_api_start(&n->api, &n->id))) goto err_stop;
    if ((rc = node_driver_start(&n->driver, n->id.sk))) goto err_stop;
    if ((rc = node_metrics_start(&n->metrics))) goto err_stop;

    char hex[65];
    uint64_t next = node_chain_height(&n->chain) + 1;
    uint32_t self = node_chain_self_at(&n->chain, next, n->id.pk);
    const struct ledger_gov_epoch *set = node_chain_validators_at(&n->chain, next);
    char role[48];
    if (self == UINT32_MAX) snprintf(role, sizeof role, "not a validator");
    else snprintf(role, sizeof role, "validator %u of %zu", self, set ? set->count : 0);
    WB_INFO("node", "h=%llu started %s (%s, chain %s, head %.16s)",
            (unsigned long long)node_chain_height(&n->chain), cfg->name, role,
            n->genesis->chain_name,
            wb_hex_encode(node_chain_hash(&n->chain), 32, hex, sizeof hex));
    uv_run(&loop, UV_RUN_DEFAULT);
    rc = WB_OK;
    goto out;

err_stop:
    WB_ERROR("node", "start-up failed: %s", wb_strerror(rc));
    node_stop(n);
out:
    while (n->nets_open > 0 && uv_run(&loop, UV_RUN_ONCE)) {}
    uv_run(&loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&loop) != 0) WB_WARN("node", "event loop closed with handles open");
    free_node(n);
    free(n);
    if (rc == WB_OK) WB_INFO("node", "stopped");
    return rc;
err_free:
    free_node(n);
    uv_loop_close(&loop);
    free(n);
    return rc;
}
