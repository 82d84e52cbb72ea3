/* The risk engine's ledger-wide context, fetched from a node: one
 * RiskContextRequest (docs/formats.md, "Risk context") answered from the
 * node's risk index (node/risk/index.h), checked, and kept in an owned
 * struct from which the callbacks of struct risk_context (risk/risk.h)
 * answer. The engine stays pure: the caller fetches first, then hands the
 * engine a context that answers from memory.
 *
 *     struct risk_context_data d;
 *     int rc = risk_context_fetch(&c, item, seals, n_seals, container, orgs,
 *                                 n_orgs, keys, n_keys, &d);
 *     if (rc) ... c.reason says why (as client_call) ...
 *     struct risk_context ctx;
 *     risk_context_of(&d, &ctx);
 *     rc = risk_assess(&in, &policy, &ctx, &report, msg, sizeof msg);
 *     ...
 *     risk_context_data_free(&d);      (after the last use of ctx)
 *
 * What to ask for: every seal number, container number, organisation and
 * baseline key the engine may ask about for this item (the chain's seal=
 * attributes and e-seal numbers, its container number, its submitters'
 * and receivers' organisations, the keys of risk_samples_of_chain). The
 * callbacks answer only from what was fetched: a name not asked for is
 * answered as one the ledger never saw (no items, no references, party
 * unknown, no baseline).
 *
 * One context is one snapshot: everything in it is as of one committed
 * height of one node (d.height), so two nodes at the same height give the
 * same answer byte for byte. */
#ifndef CLI_RISK_CONTEXT_H
#define CLI_RISK_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/client.h"
#include "common/wb_error.h"
#include "ledger/types.h"
#include "node/risk/index.h"
#include "risk/baseline.h"
#include "risk/risk.h"

/* What one request may name, and what one answer holds at most per name:
 * the node's bounds. A callback never writes more than these, so a cap
 * above them gains nothing. */
#define RISK_CONTEXT_SEALS_MAX NODE_RISK_REQ_SEALS_MAX          /* 32 */
#define RISK_CONTEXT_ORGS_MAX NODE_RISK_REQ_ORGS_MAX            /* 64 */
#define RISK_CONTEXT_KEYS_MAX NODE_RISK_REQ_KEYS_MAX            /* 64 */
#define RISK_CONTEXT_SEAL_ITEMS_MAX NODE_RISK_SEAL_ITEMS_MAX    /* 8 */
#define RISK_CONTEXT_REFS_MAX NODE_RISK_CONTAINER_REFS_MAX      /* 16 */
#define RISK_CONTEXT_SEAL_MAX WB_ATTR_VALUE_MAX                 /* bytes of a seal number */

/* One seal number: the other items whose chains name it. */
struct risk_context_seal {
    char seal[RISK_CONTEXT_SEAL_MAX + 1];
    uint64_t total;                      /* how many such items there are */
    size_t item_count;                   /* the first of them, in block order */
    char items[RISK_CONTEXT_SEAL_ITEMS_MAX][WB_ITEM_MAX + 1];
};

struct risk_context_party {
    char org[WB_ORG_MAX + 1];
    bool known;                          /* false: the ledger saw no event of it */
    struct risk_party party;             /* zero when not known */
};

struct risk_context_baseline {
    char key[RISK_KEY_MAX];
    bool known;                          /* false: the node has no such baseline */
    struct risk_dist dist;
};

/* An answer, owned by whoever holds it: the arrays are heap; free with
 * risk_context_data_free. Entries are in the order asked. */
struct risk_context_data {
    uint64_t height;                     /* the node's committed height it is as of */
    char item[WB_ITEM_MAX + 1];          /* the item it was fetched for ("" if none) */
    size_t seal_count;
    struct risk_context_seal *seals;
    bool has_container;
    char container[WB_ITEM_MAX + 1];
    uint64_t container_total;            /* references recorded in all */
    /* The container item's own latest event first (ref.item is then the
     * container number itself), then the latest of other items', the
     * oldest first. */
    size_t ref_count;
    struct risk_container_ref refs[RISK_CONTEXT_REFS_MAX];
    size_t party_count;
    struct risk_context_party *parties;
    size_t baseline_count;
    struct risk_context_baseline *baselines;
};

/* Asks the node c is connected to for the context of item (NULL: none; it
 * is left out of the seals' items): seal numbers seals[0..n_seals),
 * container number container (NULL or "": none), organisations
 * orgs[0..n_orgs) and baseline keys keys[0..n_keys). *out is initialised
 * here in every case (free it with risk_context_data_free even on error).
 * Returns 0; WB_ERR_INVALID, nothing sent, when the request is over a
 * bound above (RISK_CONTEXT_*_MAX) or a name is longer than its kind can
 * be (c->reason says which); WB_ERR_PROTOCOL when the answer is malformed:
 * not one entry per name in the order asked, a name other than the one
 * asked, more items or references than a node keeps, fewer in all than it
 * lists, an item id, location or event id that is not one, a party not
 * known with a history, a baseline that does not decode
 * (risk_dist_decode), the item itself among a seal's items (c->reason
 * says what); otherwise what client_call returns (the node's error code
 * with c->node_error, or a transport error). */
WB_MUST_USE int risk_context_fetch(struct client *c, const char *item, const char *const *seals,
                                   size_t n_seals, const char *container,
                                   const char *const *orgs, size_t n_orgs,
                                   const char *const *keys, size_t n_keys,
                                   struct risk_context_data *out);

/* Sets every callback of *ctx to answer from d (borrowed: it must outlive
 * every use of ctx; ctx->ctx is d):
 *   baseline(key)      the fetched distribution, or NULL when the node has
 *                      none or the key was not asked;
 *   seal_items(seal, item, out, cap)
 *                      the seal's items other than `item`, up to cap into
 *                      out (at most RISK_CONTEXT_SEAL_ITEMS_MAX are known;
 *                      entries of out up to the returned count that it
 *                      could not fill are set to ""), and returns how many
 *                      such items there are in all (the node's total, less
 *                      one when `item` is among those listed);
 *   container_refs(container, out, cap)
 *                      the references, up to cap into out (at most
 *                      RISK_CONTEXT_REFS_MAX are known; entries up to the
 *                      returned count it could not fill are zeroed), and
 *                      returns how many there were in all;
 *   party(org)         true with its history when the ledger saw it.
 * An engine that reads only min(returned, cap, the *_MAX above) entries
 * reads only what the node said. */
void risk_context_of(const struct risk_context_data *d, struct risk_context *ctx);

/* Frees what d holds and zeroes it; a zeroed struct is a no-op. */
void risk_context_data_free(struct risk_context_data *d);

#endif
