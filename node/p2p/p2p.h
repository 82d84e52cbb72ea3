/* The validator links (DESIGN.md section 6): consensus messages out and in,
 * status exchange, and the table of connected validators, on top of event
 * gossip (gossip.h) and block sync (sync.h). Incoming proposals and votes
 * go to the consensus driver; a status or a block reply may start block
 * sync. State: struct node_p2p, written only by p2p.c (its gossip and sync
 * parts by gossip.c and sync.c). */
#ifndef NODE_P2P_P2P_H
#define NODE_P2P_P2P_H

#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "node/chain/commit.h"
#include "node/chain/hold.h"
#include "node/driver/driver.h"
#include "node/env.h"
#include "node/net/net.h"
#include "node/net_open.h"
#include "node/p2p/gossip.h"
#include "node/p2p/sync.h"

#define NODE_STATUS_EVERY_MS 1000     /* status broadcast period */
/* Validator links heal fast after a partition (docs/operating.md,
 * "Partitions and heal"): a heartbeat after 1 s without sending, a link with
 * nothing received for 3 s is dead, a handshake gets 2 s, and redials back
 * off to at most 2 s (jittered to 1..2 s). */
#define NODE_P2P_KEEPALIVE_MS 1000
#define NODE_P2P_IDLE_TIMEOUT_MS 3000
#define NODE_P2P_HANDSHAKE_TIMEOUT_MS 2000
#define NODE_P2P_RECONNECT_MAX_MS 2000

/* Validators ever dialed: the registry's, and those governance adds. */
#define NODE_P2P_DIALED_MAX (2 * WB_VALIDATORS_MAX)

/* Bytes moved with one peer identity over the links of it that closed
 * (its current link's are added when it goes down). */
struct node_p2p_traffic {
    uint8_t key[WB_PUBKEY_LEN];
    uint64_t received_bytes, sent_bytes;
};
/* Peer identities whose bytes are kept; links of others are not counted. */
#define NODE_P2P_TRAFFIC_MAX NODE_P2P_DIALED_MAX

/* node_p2p_traffic's answer for one peer identity. */
struct node_p2p_traffic_row {
    uint8_t key[WB_PUBKEY_LEN];
    uint64_t received_bytes, sent_bytes; /* since start-up, every link of it */
    bool up;                             /* a link to it is up now */
};

struct node_p2p {
    const struct node_env *env;
    const struct node_chain *chain;
    struct node_driver *driver;
    struct net *net;                  /* NULL until started */
    struct node_peer peers[NODE_PEERS_LINKS_MAX];
    size_t peer_count;
    /* Validator keys dialed (from the registry), so that a governance
     * change dials only the validators it added. */
    uint8_t dialed[NODE_P2P_DIALED_MAX][WB_PUBKEY_LEN];
    size_t dialed_count;
    int64_t last_status_ms;           /* last status broadcast */
    struct node_p2p_traffic traffic[NODE_P2P_TRAFFIC_MAX]; /* in order of first link up */
    size_t traffic_count;
    struct node_gossip gossip;
    struct node_sync sync;
    void (*closed)(void *ctx);        /* node_p2p_close's callback */
    void *closed_ctx;
};

/* Opens the validator endpoint (listening on the config's p2p address with
 * identity id), dials the peers and starts gossip and sync. On a listen
 * failure the endpoint is still set (node_p2p_close closes it). */
WB_MUST_USE int node_p2p_start(struct node_p2p *p, const struct node_env *env,
                               const struct node_identity *id, const struct node_chain *chain,
                               struct node_commit *commit, struct node_hold *hold,
                               struct node_driver *driver);

/* The registry changed (a governance block committed): dials the
 * validators it lists that this node has not dialed yet (an added
 * validator), unless the config names its peers. */
void node_p2p_on_gov(struct node_p2p *p);

/* Sends a consensus message to every validator (the driver's send). */
void node_p2p_broadcast_msg(struct node_p2p *p, const struct cons_msg *m);
/* Sends this validator's latest messages again, to one link or (NULL) all. */
void node_p2p_send_own(struct node_p2p *p, struct net_link *only);
/* Sends this node's height and round to every validator. */
void node_p2p_broadcast_status(struct node_p2p *p);
/* Queues a client's admitted event for gossip. */
void node_p2p_gossip_add(struct node_p2p *p, const uint8_t *ev, size_t len);
/* The periodic work of the tick: status when due, block sync. */
void node_p2p_on_tick(struct node_p2p *p, int64_t now);
/* Closes the endpoint (done(ctx) once it is closed; at once when there is
 * none) and stops gossip. */
void node_p2p_close(struct node_p2p *p, void (*done)(void *ctx), void *ctx);

/* The bytes moved with each peer identity that had a link up since
 * start-up, at most max rows (in the order their first link came up) into
 * rows. Returns the number written. */
size_t node_p2p_traffic(const struct node_p2p *p, struct node_p2p_traffic_row *rows, size_t max);

/* The height at least f+1 connected validators claim (node_sync_target);
 * 0 when fewer are connected or before the start. */
uint64_t node_p2p_sync_target(const struct node_p2p *p);
/* Whether block sync waits for an answer to a request (node_sync_busy). */
bool node_p2p_sync_busy(const struct node_p2p *p);

static inline size_t node_p2p_peer_count(const struct node_p2p *p) { return p->peer_count; }
/* The connected peers (node_p2p_peer_count of them), valid until the loop
 * runs on. */
static inline const struct node_peer *node_p2p_peers(const struct node_p2p *p)
{
    return p->peers;
}
static inline struct net *node_p2p_net(const struct node_p2p *p) { return p->net; }

#endif
