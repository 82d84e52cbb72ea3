/* Block sync (DESIGN.md section 6): a node that is behind asks one peer at
 * a time for the blocks it misses, checks each reply's certificate and the
 * block (node/chain/check.h) and commits it (node/chain/commit.h); and it
 * serves the blocks and certificates it stores to peers that ask, as the
 * stored bytes. Written only by sync.c; node/p2p/p2p.c owns one and hands
 * it the table of connected peers. */
#ifndef NODE_P2P_SYNC_H
#define NODE_P2P_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "node/chain/commit.h"
#include "node/chain/hold.h"
#include "node/driver/driver.h"
#include "node/env.h"
#include "node/net/net.h"
#include "proto/waybill.pb-c.h"

#define NODE_SYNC_TIMEOUT_MS 5000     /* an unanswered block request is retried */
#define NODE_SYNC_BATCH 64            /* blocks asked for per request */
/* A synced block of at least this many events has its signatures checked
 * on every CPU before its rules check. */
#define NODE_SYNC_PARALLEL_MIN 64
#define NODE_SYNC_REPLY_BYTES (8u << 20)

#define NODE_PEERS_LINKS_MAX 64 /* validator links kept at most */

/* A connected peer: its link and its last committed height. */
struct node_peer {
    struct net_link *link;
    uint32_t validator;               /* its index in the registry when the link came
                                         up (for logs), UINT32_MAX for a node it did
                                         not list (a follower's link) */
    uint64_t height;                  /* from its PeerStatus */
};

struct node_sync {
    const struct node_env *env;
    struct net *net;
    struct node_commit *commit;
    struct node_hold *hold;
    struct node_driver *driver;       /* told of each synced height */
    bool inflight;
    uint64_t until;                   /* last height of the request in flight */
    struct net_link *link;            /* the link it went out on */
    size_t rr;                        /* peer index asked last (requests rotate) */
    int64_t deadline_ms;
    /* The keys of a synced block's height, to check its certificate. */
    uint8_t set_keys[WB_VALIDATORS_MAX][WB_PUBKEY_LEN];
};

void node_sync_init(struct node_sync *s, const struct node_env *env, struct net *net,
                    struct node_commit *commit, struct node_hold *hold,
                    struct node_driver *driver);

/* Asks a peer for blocks when this node is behind what at least f+1 of the
 * count peers claim (and no request is in flight or the last timed out). */
void node_sync_check(struct node_sync *s, const struct node_peer *peers, size_t count);

/* Answers a peer's request with stored blocks and certificates. */
void node_sync_serve(struct node_sync *s, struct net_link *link, const Waybill__BlockRequest *rq);

/* A reply came: the next block, if it is that, is verified and committed. */
void node_sync_on_reply(struct node_sync *s, const Waybill__BlockReply *rep);

/* A link went down: a request in flight on it is asked again elsewhere. */
void node_sync_on_link_down(struct node_sync *s, struct net_link *link,
                            const struct node_peer *peers, size_t count);

/* Whether a block request is in flight (and not yet past its deadline). */
bool node_sync_busy(const struct node_sync *s);

/* The height at least f+1 of the count peers claim to have reached (of
 * validator_count): at least one of them is honest, so one lying validator
 * cannot make the node chase a height that does not exist. 0 when fewer
 * peers are connected. */
uint64_t node_sync_target(size_t validator_count, const struct node_peer *peers, size_t count);

#endif
