/* The metrics part (metrics.h): fills the snapshot from the parts and
 * publishes it for the server's thread. */
#include "node/metrics/metrics.h"

#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/hex.h"
#include "common/log.h"
#include "common/quorum.h"
#include "node/mempool/mempool.h"
#include "node/net/net.h"
#include "storage/store.h"

void node_metrics_init(struct node_metrics *m, const struct node_env *env,
                       const struct node_chain *chain, const struct node_driver *driver,
                       const struct node_p2p *p2p, const struct node_hold *hold,
                       const struct node_api *api)
{
    memset(m, 0, sizeof *m);
    m->env = env;
    m->chain = chain;
    m->driver = driver;
    m->p2p = p2p;
    m->hold = hold;
    m->api = api;
    node_metrics_record_init(&m->record);
    m->snap.start_ms = node_now_ms();
}

/* ---- readings of its own ---------------------------------------------------------- */

/* Resident memory from /proc/self/statm (its second field, in pages). */
static bool read_rss(uint64_t *bytes)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return false;
    unsigned long long size, resident;
    int got = fscanf(f, "%llu %llu", &size, &resident);
    fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    if (got != 2 || page <= 0) return false;
    *bytes = resident * (uint64_t)page;
    return true;
}

static void read_io(struct node_metrics *m)
{
    struct metrics_snapshot *s = &m->snap;
    struct store_usage u;
    s->store_known = store_usage(m->env->store, &u) == WB_OK;
    if (s->store_known) {
        s->store_map_bytes = u.map_bytes;
        s->store_map_max_bytes = u.map_max_bytes;
        s->store_used_bytes = u.used_bytes;
    }
    struct statvfs v;
    s->fs_known = statvfs(m->env->cfg->data_dir, &v) == 0;
    if (s->fs_known) {
        s->fs_avail_bytes = (uint64_t)v.f_bavail * v.f_frsize;
        s->fs_size_bytes = (uint64_t)v.f_blocks * v.f_frsize;
    }
    uint64_t ev;
    /* A read failure is logged by the store; the last count stays. */
    if (store_evidence_count(m->env->store, &ev) == WB_OK) s->evidence = ev;
    s->rss_known = read_rss(&s->resident_bytes);
}

/* ---- the snapshot ------------------------------------------------------------------ */

static void fill_admission(struct metrics_admission *a, const struct net *net)
{
    memset(a, 0, sizeof *a);
    if (!net) return;
    struct net_stats ns;
    net_get_stats(net, &ns);
    a->accepted = ns.links_accepted;
    a->evicted = ns.pending_evicted;
    a->timed_out = ns.handshake_timeouts;
    /* handshake_failures counts the timeouts too */
    a->failed = ns.handshake_failures > ns.handshake_timeouts
                    ? ns.handshake_failures - ns.handshake_timeouts
                    : 0;
    a->refused = ns.links_refused;
    a->pending = net_pending(net);
    a->links_up = net_links_up(net);
}

static bool in_set(const struct ledger_gov_epoch *set, const uint8_t *key)
{
    for (size_t i = 0; i < set->count; i++)
        if (memcmp(set->validators[i].key, key, WB_PUBKEY_LEN) == 0) return true;
    return false;
}

static void fill_peers(struct node_metrics *m, int64_t now_ms)
{
    struct metrics_snapshot *s = &m->snap;
    uint64_t next = node_chain_height(m->chain) + 1;
    const struct ledger_gov_epoch *set = node_chain_validators_at(m->chain, next);
    size_t count = node_p2p_peer_count(m->p2p);
    const struct node_peer *peers = node_p2p_peers(m->p2p);
    s->peers_connected = (uint32_t)count;
    s->validators = set ? (uint32_t)set->count : 0;
    s->quorum = set ? (uint32_t)wb_quorum(set->count) : 0;
    uint32_t linked = 0;
    if (set) {
        if (in_set(set, m->env->self_key)) linked++;
        for (size_t i = 0; i < count; i++)
            if (in_set(set, net_link_peer_key(peers[i].link))) linked++;
    }
    s->validators_connected = linked;
    if (s->validators > 0 && linked >= s->quorum) s->quorum_seen_ms = now_ms;

    struct node_p2p_traffic_row rows[METRICS_PEERS_MAX];
    size_t n = node_p2p_traffic(m->p2p, rows, METRICS_PEERS_MAX);
    for (size_t i = 0; i < n; i++) {
        struct metrics_peer *p = &s->peers[i];
        int v = ledger_genesis_validator_of_key(m->env->genesis, rows[i].key);
        if (v >= 0) {
            snprintf(p->name, sizeof p->name, "%s", m->env->genesis->validators[v].name);
        } else {
            char hex[17];
            snprintf(p->name, sizeof p->name, "node-%s",
                     wb_hex_encode(rows[i].key, 8, hex, sizeof hex));
        }
        p->up = rows[i].up;
        p->received_bytes = rows[i].received_bytes;
        p->sent_bytes = rows[i].sent_bytes;
    }
    s->peer_count = n;
}

static void fill(struct node_metrics *m, int64_t now_ms)
{
    struct metrics_snapshot *s = &m->snap;
    const struct node_config *cfg = m->env->cfg;
    s->height = node_chain_height(m->chain);
    s->round = node_driver_round(m->driver);
    s->head_time_ms = node_chain_time_ms(m->chain);
    s->heartbeat_ms = m->env->genesis->heartbeat_ms;
    s->blocks_committed = node_chain_blocks_committed(m->chain);
    s->events_committed = node_chain_events_committed(m->chain);
    s->commit_latency = m->record.commit_latency;
    s->block_check = m->record.block_check;
    s->sync_target = node_p2p_sync_target(m->p2p);
    s->syncing = node_p2p_sync_busy(m->p2p) || s->sync_target >= s->height + 2;

    s->mempool_events = mempool_count(m->env->mempool);
    s->mempool_bytes = mempool_bytes(m->env->mempool);
    for (int code = 1; code <= WB_ERR_CODE_COUNT; code++)
        s->events_refused[code - 1] = mempool_refused(m->env->mempool, -code);

    fill_peers(m, now_ms);
    fill_admission(&s->admission[METRICS_PORT_P2P], node_p2p_net(m->p2p));
    fill_admission(&s->admission[METRICS_PORT_API], node_api_net(m->api));

    s->storage_held = node_hold_active(m->hold);
    node_hold_state(m->hold, s->storage, sizeof s->storage);
    s->safety_writes = store_safety_writes(m->env->store);
    if (m->io_ms == 0 || now_ms - m->io_ms >= NODE_METRICS_IO_EVERY_MS) {
        read_io(m);
        m->io_ms = now_ms;
    }
    s->health_window_ms = cfg->metrics.health_window_ms;
    s->ready_heartbeats = cfg->metrics.ready_heartbeats;
    s->published_ms = now_ms;
}

void node_metrics_publish(struct node_metrics *m, int64_t now_ms)
{
    if (!m->started) return;
    fill(m, now_ms);
    metrics_board_publish(&m->board, &m->snap);
}

/* ---- start and stop ------------------------------------------------------------------ */

int node_metrics_start(struct node_metrics *m)
{
    const struct node_metrics_config *mc = &m->env->cfg->metrics;
    if (!mc->enabled) return WB_OK;
    int rc = metrics_board_init(&m->board);
    if (rc) {
        WB_ERROR("metrics", "cannot set up the metrics board: %s", wb_strerror(rc));
        return rc;
    }
    m->started = true;
    node_metrics_publish(m, node_now_ms());
    char msg[512], addr[WB_ADDR_STR_MAX];
    rc = metrics_http_start(&mc->listen, mc->public_ok, &m->board, &m->http, msg, sizeof msg);
    if (rc) {
        WB_ERROR("metrics", "%s", msg);
        return rc;
    }
    WB_INFO("metrics", "serving /metrics, /healthz and /readyz on http://%s",
            wb_addr_format(&mc->listen, addr, sizeof addr));
    return WB_OK;
}

void node_metrics_stop(struct node_metrics *m)
{
    if (!m->started) return;
    metrics_http_stop(m->http);
    m->http = NULL;
    metrics_board_destroy(&m->board);
    m->started = false;
}
