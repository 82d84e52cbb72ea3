/* The daemon's lifecycle: load genesis and key, open the store, create the
 * mempool, consensus core and both network endpoints, run the loop until a
 * signal, then close everything in reverse order. */
#include "node/node.h"

#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/file.h"
#include "common/hex.h"
#include "common/log.h"
#include "common/wb_error.h"
#include "ledger/genesis.h"
#include "node/keyfile.h"
#include "node/node_internal.h"

#define GENESIS_FILE_MAX (1u << 20)

int64_t node_now_ms(const struct node *n)
{
    (void)n;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The mempool's clock: the node's. */
static int64_t node_clock_ms(void *ctx) { return node_now_ms(ctx); }

static int load_genesis(struct node *n)
{
    uint8_t *buf;
    size_t len;
    int rc = wb_read_file(n->cfg->genesis, GENESIS_FILE_MAX, &buf, &len);
    if (rc) {
        WB_ERROR("node", "cannot read genesis %s: %s", n->cfg->genesis, wb_strerror(rc));
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
    if (rc) WB_ERROR("node", "genesis %s: %s", n->cfg->genesis, msg);
    return rc;
}

static int load_identity(struct node *n)
{
    char msg[512];
    int rc = keyfile_load(n->cfg->key_file, n->pk, n->sk, msg, sizeof msg);
    if (rc) {
        WB_ERROR("node", "%s", msg);
        return rc;
    }
    int v = ledger_genesis_validator_of_key(n->genesis, n->pk);
    if (v < 0) {
        char hex[65];
        WB_ERROR("node", "key %s (%s) is not a validator in genesis",
                 wb_hex_encode(n->pk, 32, hex, sizeof hex), n->cfg->key_file);
        return WB_ERR_CONFIG;
    }
    n->self = (uint32_t)v;
    if (strcmp(n->genesis->validators[v].name, n->cfg->name) != 0)
        WB_WARN("node", "config name '%s' differs from genesis validator name '%s'",
                n->cfg->name, n->genesis->validators[v].name);
    return WB_OK;
}

static int open_store(struct node *n)
{
    struct store_options opt;
    store_options_init(&opt);
    opt.no_sync = !n->cfg->sync;
    int rc = store_open(n->cfg->data_dir, &opt, &n->store);
    if (rc) {
        WB_ERROR("node", "cannot open store %s: %s", n->cfg->data_dir, wb_strerror(rc));
        return rc;
    }
    rc = store_bind_genesis(n->store, n->genesis->hash);
    if (rc) {
        WB_ERROR("node", "data dir %s belongs to another chain", n->cfg->data_dir);
        return rc;
    }
    rc = store_last(n->store, &n->last_height, n->last_hash, &n->last_time_ms);
    if (rc) return rc;
    if (n->last_height == 0) n->last_time_ms = n->genesis->genesis_time_ms;
    return WB_OK;
}

int node_net_open(struct node *n, struct net_config *nc, const struct wb_addr *listen,
                  struct net **out)
{
    memcpy(nc->chain_id, n->genesis->chain_id, WB_CHAIN_ID_LEN);
    memcpy(nc->identity_pk, n->pk, WB_PUBKEY_LEN);
    memcpy(nc->identity_sk, n->sk, WB_SECKEY_LEN);
    nc->frame_max = n->cfg->limits.frame_bytes_max;
    nc->send_queue_max = (size_t)n->cfg->limits.frame_bytes_max * 4;
    nc->handshake_timeout_ms = n->cfg->limits.handshake_timeout_ms;
    nc->pending_max = n->cfg->limits.handshakes_max;
    nc->pending_per_source_max = n->cfg->limits.handshakes_per_source_max;
    int rc = net_create(n->loop, nc, out);
    sodium_memzero(nc->identity_sk, sizeof nc->identity_sk);
    if (rc) return rc;
    char addr[WB_ADDR_STR_MAX];
    wb_addr_format(listen, addr, sizeof addr);
    rc = net_listen(*out, addr);
    if (rc == WB_ERR_NOT_FOUND) /* the net layer logged the resolver's answer */
        WB_ERROR(nc->name, "cannot listen on %s: cannot resolve '%s'", addr, listen->host);
    else if (rc) WB_ERROR(nc->name, "cannot listen on %s: %s", addr, wb_strerror(rc));
    else WB_INFO(nc->name, "listening on %s", addr);
    return rc;
}

static void on_handle_closed(uv_handle_t *h)
{
    struct node *n = h->data;
    n->handles_open--;
}

static void on_net_closed(void *ctx)
{
    struct node *n = ctx;
    n->handles_open--;
}

void node_stop(struct node *n)
{
    if (n->stopping) return;
    n->stopping = true;
    WB_INFO("node", "h=%llu shutting down", (unsigned long long)n->last_height);
    node_cons_stop(n);
    /* Only the handles init_handles got to (in its order) are closed. */
    uv_handle_t *handles[] = {(uv_handle_t *)&n->sigint, (uv_handle_t *)&n->sigterm,
                              (uv_handle_t *)&n->tick, (uv_handle_t *)&n->gossip_timer,
                              (uv_handle_t *)&n->build_timer};
    for (int i = 0; i < n->handles_inited; i++) uv_close(handles[i], on_handle_closed);
    if (n->p2p) net_close(n->p2p, on_net_closed);
    else n->handles_open--;
    if (n->api) net_close(n->api, on_net_closed);
    else n->handles_open--;
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
    size_t peers_max = n->genesis->validator_count ? n->genesis->validator_count - 1 : 0;
    char last[48];
    if (n->last_height)
        snprintf(last, sizeof last, "last block %lld s ago",
                 (long long)((now - n->last_time_ms) / 1000));
    else
        snprintf(last, sizeof last, "no block yet");
    WB_INFO("node", "h=%llu summary: %llu blocks, %llu events in %lld s; peers %zu of %zu; "
            "mempool %zu events, %llu bytes; %s",
            (unsigned long long)n->last_height, (unsigned long long)n->summary_blocks,
            (unsigned long long)n->summary_events, (long long)((now - n->last_summary_ms) / 1000),
            n->peer_count, peers_max, mempool_count(n->mempool),
            (unsigned long long)mempool_bytes(n->mempool), last);
    n->last_summary_ms = now;
    n->summary_blocks = 0;
    n->summary_events = 0;
}

static void on_tick(uv_timer_t *t)
{
    struct node *n = t->data;
    int64_t now = node_now_ms(n);
    node_cons_check_idle(n);
    if (now - n->last_summary_ms >= NODE_SUMMARY_EVERY_MS) log_summary(n, now);
    if (now - n->last_status_ms >= NODE_STATUS_EVERY_MS) node_p2p_broadcast_status(n);
    if (now - n->last_progress_ms >= NODE_RESEND_AFTER_MS &&
        now - n->last_resend_ms >= NODE_RESEND_AFTER_MS) {
        node_p2p_send_own(n, NULL);
        n->last_resend_ms = now;
    }
    node_p2p_sync_check(n);
    node_api_watch_pump(n);
}

static int init_handles(struct node *n)
{
    uv_signal_t *sigs[2] = {&n->sigint, &n->sigterm};
    int nums[2] = {SIGINT, SIGTERM};
    for (int i = 0; i < 2; i++) {
        if (uv_signal_init(n->loop, sigs[i]) != 0) return WB_ERR_IO;
        sigs[i]->data = n;
        n->handles_open++;
        n->handles_inited++;
        if (uv_signal_start(sigs[i], on_signal, nums[i]) != 0) return WB_ERR_IO;
    }
    uv_timer_t *timers[3] = {&n->tick, &n->gossip_timer, &n->build_timer};
    for (int i = 0; i < 3; i++) {
        if (uv_timer_init(n->loop, timers[i]) != 0) return WB_ERR_IO;
        timers[i]->data = n;
        n->handles_open++;
        n->handles_inited++;
    }
    if (uv_timer_start(&n->tick, on_tick, NODE_TICK_MS, NODE_TICK_MS) != 0) return WB_ERR_IO;
    return WB_OK;
}

static void free_node(struct node *n)
{
    node_api_free(n);
    free(n->clients);
    for (size_t i = 0; i < n->gossip_count; i++) free(n->gossip[i]);
    free(n->gossip);
    free(n->gossip_lens);
    for (size_t i = 0; i < NODE_VCACHE; i++) free(n->vcache[i].states);
    if (n->cons_inited) cons_free(&n->cons);
    mempool_destroy(n->mempool);
    store_close(n->store);
    free(n->genesis);
    sodium_memzero(n->sk, sizeof n->sk);
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
    n->loop = &loop;
    n->cfg = cfg;
    n->handles_open = 2; /* the two nets, released by on_net_closed */
    int rc;
    if ((rc = load_genesis(n)) || (rc = load_identity(n)) || (rc = open_store(n))) goto err_free;

    struct mempool_config mc = {
        .genesis = n->genesis,
        .events_max = cfg->limits.mempool_events_max,
        .bytes_max = cfg->limits.mempool_bytes_max,
        .lookup = store_state_lookup,
        .lookup_ctx = n->store,
        .clock = node_clock_ms,
        .clock_ctx = n,
    };
    if ((rc = mempool_create(&mc, &n->mempool))) goto err_free;
    if ((rc = idmap_create(1024, &n->waiters))) goto err_free;
    n->gossip = calloc(NODE_GOSSIP_BATCH_EVENTS, sizeof *n->gossip);
    n->gossip_lens = calloc(NODE_GOSSIP_BATCH_EVENTS, sizeof *n->gossip_lens);
    n->clients = calloc(cfg->limits.api_clients_max, sizeof *n->clients);
    if (!n->gossip || !n->gossip_lens || !n->clients) {
        rc = WB_ERR_NOMEM;
        goto err_free;
    }
    n->last_progress_ms = node_now_ms(n);
    n->last_summary_ms = n->last_progress_ms;

    if ((rc = init_handles(n))) goto err_stop;
    if ((rc = node_p2p_start(n))) goto err_stop;
    if ((rc = node_api_start(n))) goto err_stop;
    if ((rc = node_cons_start(n))) goto err_stop;

    char hex[65];
    WB_INFO("node", "h=%llu started %s (validator %u of %zu, chain %s, head %.16s)",
            (unsigned long long)n->last_height, cfg->name, n->self,
            n->genesis->validator_count, n->genesis->chain_name,
            wb_hex_encode(n->last_hash, 32, hex, sizeof hex));
    uv_run(&loop, UV_RUN_DEFAULT);
    rc = WB_OK;
    goto out;

err_stop:
    WB_ERROR("node", "start-up failed: %s", wb_strerror(rc));
    node_stop(n);
out:
    while (n->handles_open > 0 && uv_run(&loop, UV_RUN_ONCE)) {}
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
