/* The client API (DESIGN.md section 7): member clients connect over the
 * same authenticated transport and send ClientRequest frames; each gets one
 * ClientResponse with the same id. A submit waits for its event to commit
 * (or be dropped) unless the client asked not to wait; one of an event that
 * is committed already is answered with where it is. Reads are in reads.h,
 * watches in watch.h, waiting submits in waiters.h. State: struct node_api,
 * written only by api.c (its parts by clients.c, waiters.c, watch.c). */
#ifndef NODE_API_API_H
#define NODE_API_API_H

#include <stdint.h>

#include "common/wb_error.h"
#include "ledger/block.h"
#include "node/api/clients.h"
#include "node/api/reads.h"
#include "node/api/waiters.h"
#include "node/chain/chain.h"
#include "node/chain/hold.h"
#include "node/driver/driver.h"
#include "node/env.h"
#include "node/net_open.h"
#include "node/p2p/p2p.h"

struct node_api {
    const struct node_env *env;
    const struct node_chain *chain;
    struct node_driver *driver;       /* told when a submit grew the mempool */
    struct node_p2p *p2p;             /* gossips admitted events */
    struct net *net;                  /* NULL until started */
    struct node_clients clients;
    struct node_waiters waiters;
    struct node_reads reads;
    void (*closed)(void *ctx);
    void *closed_ctx;
};

/* Prepares the client table and waiters (before any part can call back).
 * risk: the risk index the risk context requests are answered from;
 * scores: the score table of the officer's queue and the org requests. */
WB_MUST_USE int node_api_init(struct node_api *a, const struct node_env *env,
                              const struct node_chain *chain, struct node_driver *driver,
                              struct node_p2p *p2p, const struct node_hold *hold,
                              const struct node_risk *risk, const struct node_scores *scores);

/* Opens the API endpoint on the config's api address with identity id. On
 * a listen failure the endpoint is still set (node_api_close closes it). */
WB_MUST_USE int node_api_start(struct node_api *a, const struct node_identity *id);

/* Block b is committed (ids[i]: event i's id): waiters are answered and
 * watchers get what they are owed. */
void node_api_on_block(struct node_api *a, const struct ledger_block *b,
                       const uint8_t (*ids)[WB_HASH_LEN]);

/* A pending event was dropped (mempool_dropped_fn; ctx is the API). */
void node_api_on_dropped(void *ctx, const uint8_t id[WB_HASH_LEN], int err, const char *reason);

/* Sends what watchers are owed and may take (the tick, after a commit). */
void node_api_watch_pump(struct node_api *a);

/* Closes the endpoint (done(ctx) once closed; at once when there is none). */
void node_api_close(struct node_api *a, void (*done)(void *ctx), void *ctx);

/* Frees the waiters and the client table (after the loop ended). */
void node_api_free(struct node_api *a);

/* The client endpoint, NULL until started. */
static inline struct net *node_api_net(const struct node_api *a) { return a->net; }

#endif
