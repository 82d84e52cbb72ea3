/* The risk index (docs/architecture.md, "The risk index"): the ledger-wide
 * context the risk engine asks for (risk/risk.h, struct risk_context), kept
 * in memory as blocks commit and answered to clients (node/api/risk.c):
 *
 *   seals       seal number -> the items whose chains name it (attribute
 *               seal= of any item event; an e-seal's number, from its
 *               device_register in the registry, when a device_attach
 *               attaches it): the first NODE_RISK_SEAL_ITEMS_MAX items in
 *               block order, and how many there are;
 *   containers  ISO 6346 container number -> references: the latest event
 *               with a location of the item whose id it is (commission,
 *               load, depart, arrive, unload), and the latest
 *               NODE_RISK_CONTAINER_REFS_MAX - 1 events of other items that
 *               name it in attribute container= (a packing, a load), each
 *               {item, location, time, event id}; and how many references
 *               there were in all;
 *   parties     organisation -> block time of its first event, and its
 *               completed chains: handovers it made whose receive
 *               committed, plus its deliveries;
 *   baselines   risk/baseline.h's samples of every chain (dwells at a port,
 *               transits of a lane), fed by a struct risk_sampler per item
 *               with an open arrive, depart or load, removed once closed.
 *
 * The index is a function of the blocks alone, in block order: every node
 * derives the same one from the same blocks, and a node rebuilds it at
 * start-up by replaying its stored blocks (replay.h) through the same
 * function the commit path calls (node_risk_on_block). The governance
 * state it is handed resolves submitter keys to organisations and devices
 * to seal numbers; keys and devices are never removed from it and a key is
 * never reused, so the head's state answers an old event as the state of
 * its block would.
 *
 * The state is struct node_risk, written only by index.c; everyone else
 * reads it through the functions below. Memory: a seal about 56 bytes and
 * its number once, a container 40 bytes and 64 per reference kept (at
 * most 16), an open item about 64 bytes, an item named anywhere its id
 * once (about 12 bytes of table besides). */
#ifndef NODE_RISK_INDEX_H
#define NODE_RISK_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/gov.h"
#include "ledger/types.h"
#include "node/risk/table.h"
#include "risk/baseline.h"
#include "risk/risk.h"

/* What one seal keeps and one container keeps; what one request may ask
 * (docs/formats.md, "Risk context"). */
#define NODE_RISK_SEAL_ITEMS_MAX 8
#define NODE_RISK_CONTAINER_REFS_MAX 16
#define NODE_RISK_REQ_SEALS_MAX 32
#define NODE_RISK_REQ_ORGS_MAX 64
#define NODE_RISK_REQ_KEYS_MAX 64

/* One reference to a container number as the index keeps it. */
struct node_risk__ref {
    uint32_t item;                       /* into items */
    char location[WB_LOCATION_MAX + 1];
    int64_t time_ms;
    uint8_t event[WB_HASH_LEN];
};

struct node_risk__seal {
    uint64_t total;                      /* items naming it */
    uint32_t count;                      /* kept, <= NODE_RISK_SEAL_ITEMS_MAX */
    uint32_t items[NODE_RISK_SEAL_ITEMS_MAX];
};

struct node_risk__container {
    uint64_t total;                      /* references recorded */
    struct node_risk__ref *own;          /* the container item's latest; NULL: none */
    struct node_risk__ref *ring;         /* other items', the latest, oldest at `next` when full */
    uint8_t ring_count, ring_cap, next;
};

struct node_risk__party {
    int64_t first_seen_ms;
    uint32_t chains_completed;
};

/* An item with something open: a sampler, a handover not yet received. */
struct node_risk__open {
    uint32_t item;
    uint32_t handover_from;              /* party + 1 of the handover; 0: none */
    struct risk_sampler sampler;
};

/* A submitter key's organisation, cached (the registry is searched once). */
#define NODE_RISK_KEY_CACHE 256
struct node_risk__key {
    uint8_t pk[WB_PUBKEY_LEN];
    uint32_t party;                      /* UINT32_MAX: no organisation */
    bool used;
};

/* What the index cost and holds, for the log and the tests. */
struct node_risk_stats {
    uint64_t blocks, events;             /* fed since init */
    uint64_t decoded;                    /* events the prefilter let through to decode */
    uint64_t ns;                         /* spent in node_risk_on_block */
    size_t seals, containers, parties, items, open, baselines;
    size_t bytes;                        /* held, tables included */
};

struct node_risk {
    struct node_risk_alloc alloc;
    uint64_t height;                     /* last block fed (0: none) */
    int failed;                          /* 0, or why a block could not be taken in */
    uint64_t failed_height;
    struct node_risk_strtab items, seal_names, container_names, org_names;
    struct node_risk__seal *seals;       /* by seal_names id */
    size_t seal_cap;
    struct node_risk_map seal_item;      /* (seal id + 1) << 32 | item id: already counted */
    struct node_risk__container *containers; /* by container_names id */
    size_t container_cap;
    struct node_risk__party *parties;    /* by org_names id */
    size_t party_cap;
    struct node_risk__key keys[NODE_RISK_KEY_CACHE];
    struct node_risk_map open_of;        /* item id + 1 -> index into open */
    struct node_risk__open *open;
    size_t open_count, open_cap;
    struct risk_baselines baselines;
    struct ledger_event *ev;             /* scratch for decoding (heap: 6 KiB) */
    struct node_risk_stats stats;
};

/* An empty index. alloc NULL: the C library's. Returns 0 or WB_ERR_NOMEM;
 * free it with node_risk_free in every case. */
WB_MUST_USE int node_risk_init(struct node_risk *r, const struct node_risk_alloc *alloc);
void node_risk_free(struct node_risk *r);

/* Takes in block b, the block after node_risk_height (asserted), committed,
 * with gov the governance state after it (or any later one). Each event's
 * body is split from its signature and, when the prefilter says it can
 * matter, decoded (ledger_event_decode, no signature check: the block was
 * checked). Returns 0, or WB_ERR_NOMEM / WB_ERR_DECODE (an event that is
 * not what a checked block holds) / WB_ERR_TOO_LARGE: the index is then
 * incomplete (node_risk_failed says so from then on; the height still
 * moves on) and must be rebuilt by a restart. */
WB_MUST_USE int node_risk_on_block(struct node_risk *r, const struct ledger_block *b,
                                   const struct ledger_gov *gov);

static inline uint64_t node_risk_height(const struct node_risk *r) { return r->height; }
/* 0, or the error that left the index incomplete at *height. */
static inline int node_risk_failed(const struct node_risk *r, uint64_t *height)
{
    if (height) *height = r->failed_height;
    return r->failed;
}

/* The items other than `item` (NULL or "": none left out) whose chains
 * name seal number `seal`: up to cap of the first kept into out (pointers
 * into the index, valid until the next node_risk_on_block), in block
 * order. Returns how many were written; *total is how many such items
 * there are in all (0 and 0 for a number never named). */
size_t node_risk_seal_items(const struct node_risk *r, const char *seal, const char *item,
                            const char **out, size_t cap, uint64_t *total);

/* A reference as answered; item points into the index (valid until the
 * next node_risk_on_block). */
struct node_risk_ref {
    const char *item;
    const char *location;
    int64_t time_ms;
    const uint8_t *event;                /* WB_HASH_LEN bytes */
};
/* The references kept for container number `container`: the container
 * item's own latest first (when there is one), then the other items', the
 * oldest first; up to cap into out. Returns how many were kept; *total is
 * how many there were in all (0 and 0 for a number never seen). */
size_t node_risk_container_refs(const struct node_risk *r, const char *container,
                                struct node_risk_ref *out, size_t cap, uint64_t *total);

/* The history of organisation org; false when the ledger never saw an
 * event of it. */
WB_MUST_USE bool node_risk_party(const struct node_risk *r, const char *org,
                                 struct risk_party *out);

/* The baseline of key, or NULL (valid until the next node_risk_on_block). */
const struct risk_dist *node_risk_baseline(const struct node_risk *r, const char *key);

/* Counts and the bytes the index holds. */
void node_risk_stats(const struct node_risk *r, struct node_risk_stats *out);

#endif
