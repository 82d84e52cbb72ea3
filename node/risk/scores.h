/* The score table (docs/risk.md, "Scores"): every item's risk score as
 * the node computed it with the risk engine (risk/risk.h), and what the
 * organisation scores are made of, kept in memory and brought up to date
 * off the commit path.
 *
 * After each committed block (node_scores_on_block) the items it touched,
 * and the other items naming a seal number it names, are marked dirty; the
 * loop's idle turns (node_scores_work, with a time budget) re-assess dirty
 * items one at a time: the item's history from the store, its device
 * evidence (ledger/evidence.h), the ledger-wide context from the risk index
 * (node/risk/index.h) looked up in place, the node's policy, and as the
 * reference time the block time of the chain head. At start-up every item
 * is marked dirty (node_scores_mark_all), and the table answers meanwhile,
 * saying how many items are pending.
 *
 * Kept per item: its score, its flags counted per code, and per flag its
 * code, the custodian at the time and the time (16 bytes); the
 * organisations that held it; its handovers (who gave, who received, when
 * each). The organisation aggregates (node_scores_org) are added up from
 * these when asked: one pass over the table.
 *
 * What is not re-assessed: an item whose own chain did not move and that
 * shares no seal number with the block is not judged again when only the
 * reference time, a party's history or a baseline moved on; its score is
 * as of the head when it was last assessed (node_scores_entry.height).
 *
 * The state is struct node_scores, written only by scores.c. */
#ifndef NODE_RISK_SCORES_H
#define NODE_RISK_SCORES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/gov.h"
#include "node/risk/index.h"
#include "node/risk/table.h"
#include "risk/risk.h"

struct store;

#define NODE_SCORES_NONE UINT32_MAX
#define NODE_SCORES_TOP_MAX 100       /* items an organisation's answer lists */
#define NODE_SCORES_LIST_MAX 1000     /* items one listing returns */

/* One flag as kept: 16 bytes. */
struct node_scores_flag {
    int64_t time_ms;
    uint32_t org;                     /* the custodian at the time (into orgs), or NONE */
    uint8_t code;                     /* enum risk_flag_code */
};

/* One handover of an item: given by `from` to `to` at given_ms (the
 * handover event's time), received at received_ms (the receive's), or
 * not yet (received false). */
struct node_scores_handover {
    int64_t given_ms, received_ms;
    uint32_t from, to;                /* into orgs, or NONE */
    bool received;
};

struct node_scores__item {
    uint32_t score;                   /* the engine's: sum of the policy's weights */
    uint32_t flag_total;              /* raised, kept or not */
    uint16_t counts[RISK_FLAG_COUNT];
    uint32_t nflags, nheld, nhand;
    struct node_scores_flag *flags;   /* at most RISK_FLAGS_MAX */
    uint32_t *held;                   /* the organisations that held it (into orgs) */
    struct node_scores_handover *hand;
    uint64_t height;                  /* the head it was judged as of; 0: not yet */
    int err;                          /* the last assessment's error, or 0 */
    bool dirty;
};

/* The store, governance state, registry view and risk index the
 * assessments read; all owned by the node, valid for the table's life. */
struct node_scores_deps {
    struct store *store;
    const struct ledger_gov *gov;     /* the chain's, updated in place as blocks commit */
    const struct ledger_genesis *g;   /* the registry view in effect (gov's view) */
    const struct node_risk *risk;
};

struct node_scores_stats {
    uint64_t assessed, failed;        /* assessments since init, and of them failed */
    uint64_t ns;                      /* spent assessing */
    size_t items, orgs, bytes;
};

struct node_scores {
    struct node_risk_alloc alloc;
    struct risk_policy policy;
    uint8_t policy_hash[RISK_POLICY_HASH_LEN];
    struct node_scores_deps deps;
    struct node_risk_strtab items, orgs;
    struct node_scores__item *table;  /* by items id */
    size_t table_cap;
    uint32_t *queue;                  /* dirty item ids, oldest at queue_head */
    size_t queue_head, queue_count, queue_cap;
    int64_t *block_time;              /* by height; 0: not read yet */
    size_t block_time_cap;
    uint64_t head_height;
    int64_t head_time_ms;
    /* scratch of one assessment */
    struct ledger_event *evs;
    struct risk_event *revs;
    size_t evs_cap;
    struct node_scores_stats stats;
};

/* An empty table judging with policy p (copied). alloc NULL: the C
 * library's. Returns 0 or WB_ERR_NOMEM; free with node_scores_free in every
 * case. */
WB_MUST_USE int node_scores_init(struct node_scores *s, const struct node_risk_alloc *alloc,
                                 const struct risk_policy *p, const struct node_scores_deps *deps);
void node_scores_free(struct node_scores *s);

/* Start-up: the head is height (block time time_ms), and every item of the
 * store but the governance chain is marked dirty (registration order).
 * Returns 0, WB_ERR_NOMEM or a read error of the store. */
WB_MUST_USE int node_scores_mark_all(struct node_scores *s, uint64_t height, int64_t time_ms);

/* Block b committed (after the risk index took it in): the head moves to
 * it and the items it touches are marked dirty, with the other items
 * naming a seal number its events name. Returns 0 or WB_ERR_NOMEM /
 * WB_ERR_DECODE (an event that is not what a checked block holds): the
 * items of the block are then not marked. */
WB_MUST_USE int node_scores_on_block(struct node_scores *s, const struct ledger_block *b);

/* Re-assesses dirty items, the oldest first, until none is left or
 * budget_ns has passed (at least one is assessed). An item that cannot
 * be judged keeps its error (logged once per item) and no score. Returns
 * how many are still pending. */
size_t node_scores_work(struct node_scores *s, uint64_t budget_ns);

static inline size_t node_scores_pending(const struct node_scores *s) { return s->queue_count; }
static inline uint64_t node_scores_height(const struct node_scores *s) { return s->head_height; }

/* An item's score as answered; pointers into the table, valid until the
 * next node_scores_work or node_scores_on_block. */
struct node_scores_entry {
    const char *item;
    uint32_t score, flag_total;
    const uint16_t *counts;           /* RISK_FLAG_COUNT */
    uint64_t height;                  /* judged as of; 0: not yet (pending) */
};

/* The score of item; false when the table does not know it or has not
 * judged it yet. */
WB_MUST_USE bool node_scores_item(const struct node_scores *s, const char *item,
                                  struct node_scores_entry *out);

/* The officer's queue: the judged items with score >= min_score (and > 0
 * when flagged), highest score first, then item id (byte order); those
 * after the cursor (after_score, after_item) in that order ("" item: from
 * the first). Up to cap (<= NODE_SCORES_LIST_MAX) into out; *more says
 * whether more follow. Returns 0 or WB_ERR_NOMEM. */
WB_MUST_USE int node_scores_list(const struct node_scores *s, bool flagged, uint32_t min_score,
                                 uint32_t after_score, const char *after_item,
                                 struct node_scores_entry *out, size_t cap, size_t *n,
                                 bool *more);

/* One of an organisation's items as answered. */
struct node_scores_org_item {
    const char *item;                 /* into the table */
    uint32_t score;                   /* the item's */
    uint32_t weight;                  /* of the flags raised while the org held it */
    const uint16_t *counts;           /* the item's flags per code */
};

/* What an organisation's score is made of (docs/risk.md, "Scores"). */
struct node_scores_org {
    bool known;                       /* the risk index saw an event of it */
    struct risk_party party;          /* first seen, chains completed */
    uint32_t items_held;              /* judged items it held at some time */
    uint32_t flags[RISK_FLAG_COUNT];  /* flags raised while it held the item, per code */
    uint64_t weight_sum;              /* their policy weights */
    uint64_t score_x100;              /* 100 * weight_sum / items_held, rounded down; 0: none */
    uint32_t given, given_received;   /* handovers it made; of them received */
    int64_t given_median_ms, given_worst_ms;       /* handover -> receive, of those received */
    uint32_t received;                /* handovers to it that it received */
    int64_t received_median_ms, received_worst_ms;
    size_t top_count;                 /* its items, highest score first, then id */
    struct node_scores_org_item top[NODE_SCORES_TOP_MAX];
};

/* Adds up organisation org's aggregates over the judged items, with its
 * top (<= NODE_SCORES_TOP_MAX) items. Returns 0 or WB_ERR_NOMEM. */
WB_MUST_USE int node_scores_org(const struct node_scores *s, const char *org, size_t top,
                                struct node_scores_org *out);

void node_scores_stats(const struct node_scores *s, struct node_scores_stats *out);

#endif
