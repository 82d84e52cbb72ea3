/* The API's score requests (scores.h). */
#include "node/api/scores.h"

#include <stdlib.h>
#include <string.h>

#include "common/wb_error.h"
#include "ledger/rules.h"
#include "node/api/respond.h"
#include "risk/flags.h"
#include "storage/store.h"

#define ORG_TOP_DEFAULT 10u

/* The codes raised in counts, in code order, into fc/ptrs (RISK_FLAG_COUNT
 * each); returns how many. */
static size_t counts_of(const uint16_t *counts, Waybill__FlagCount *fc, Waybill__FlagCount **ptrs)
{
    size_t n = 0;
    for (unsigned c = 0; c < RISK_FLAG_COUNT; c++) {
        if (!counts[c]) continue;
        waybill__flag_count__init(&fc[n]);
        fc[n].code = (char *)risk_flag_name((enum risk_flag_code)c);
        fc[n].count = counts[c];
        ptrs[n] = &fc[n];
        n++;
    }
    return n;
}

/* What one listed item's answer holds. */
struct scored {
    Waybill__ItemScore score;
    Waybill__FlagCount fc[RISK_FLAG_COUNT], *fcp[RISK_FLAG_COUNT];
};

void node_read_scored_items(const struct node_reads *rd, struct net_link *link, uint64_t req_id,
                            const Waybill__ItemsRequest *q)
{
    size_t limit = q->limit ? q->limit : STORE_ITEMS_LIMIT_DEFAULT;
    if (limit > STORE_ITEMS_LIMIT_MAX) limit = STORE_ITEMS_LIMIT_MAX;
    if (q->after && strlen(q->after) > WB_ITEM_MAX) {
        node_respond_error(link, req_id, WB_ERR_INVALID, "the cursor is not an item id");
        return;
    }
    struct node_scores_entry *es = calloc(limit, sizeof *es);
    struct scored *sc = calloc(limit, sizeof *sc);
    Waybill__ItemScore **scp = calloc(limit, sizeof *scp);
    Waybill__ItemState **pbs = calloc(limit, sizeof *pbs);
    size_t n = 0, packed = 0;
    bool more = false;
    int rc = es && sc && scp && pbs ? WB_OK : WB_ERR_NOMEM;
    if (rc == WB_OK)
        rc = node_scores_list(rd->scores, q->flagged, q->min_score, q->after_score,
                              q->after ? q->after : "", es, limit, &n, &more);
    for (; rc == WB_OK && packed < n; packed++) {
        struct ledger_item_state st;
        uint8_t buf[1024];
        size_t len;
        rc = store_item_state(rd->env->store, es[packed].item, &st);
        if (rc == WB_OK && (ledger_item_state_encode(&st, buf, sizeof buf, &len) != WB_OK ||
                            !(pbs[packed] = waybill__item_state__unpack(NULL, len, buf))))
            rc = WB_ERR_INTERNAL;
        if (rc) break;
        struct scored *x = &sc[packed];
        waybill__item_score__init(&x->score);
        x->score.score = es[packed].score;
        x->score.flags = es[packed].flag_total;
        x->score.n_counts = counts_of(es[packed].counts, x->fc, x->fcp);
        x->score.counts = x->fcp;
        scp[packed] = &x->score;
    }
    if (rc) {
        node_respond_error(link, req_id, rc, "cannot list the scored items");
    } else {
        Waybill__ItemsResult ir = WAYBILL__ITEMS_RESULT__INIT;
        ir.n_items = n;
        ir.items = pbs;
        ir.n_scores = n;
        ir.scores = scp;
        ir.more = more;
        ir.next_after = (char *)(n ? es[n - 1].item : "");
        ir.next_after_score = n ? es[n - 1].score : 0;
        ir.scores_height = node_scores_height(rd->scores);
        ir.scores_pending = node_scores_pending(rd->scores);
        ir.policy_hash.data = (uint8_t *)rd->scores->policy_hash;
        ir.policy_hash.len = RISK_POLICY_HASH_LEN;
        Waybill__ClientResponse r = WAYBILL__CLIENT_RESPONSE__INIT;
        r.id = req_id;
        r.resp_case = WAYBILL__CLIENT_RESPONSE__RESP_ITEMS;
        r.items = &ir;
        node_respond(link, &r);
    }
    for (size_t i = 0; pbs && i < n; i++)
        if (pbs[i]) waybill__item_state__free_unpacked(pbs[i], NULL);
    free(pbs);
    free(scp);
    free(sc);
    free(es);
}

/* What the org answer holds besides the table. */
struct org_answer {
    struct node_scores_org agg;
    Waybill__FlagCount fc[RISK_FLAG_COUNT], *fcp[RISK_FLAG_COUNT];
    Waybill__RiskOrg__Item items[NODE_SCORES_TOP_MAX], *item_ptrs[NODE_SCORES_TOP_MAX];
    Waybill__FlagCount ifc[NODE_SCORES_TOP_MAX][RISK_FLAG_COUNT];
    Waybill__FlagCount *ifcp[NODE_SCORES_TOP_MAX][RISK_FLAG_COUNT];
};

void node_read_risk_org(const struct node_reads *rd, struct net_link *link, uint64_t req_id,
                        const Waybill__RiskOrgRequest *q)
{
    if (!q->org || !q->org[0] || strlen(q->org) > WB_ORG_MAX) {
        node_respond_error(link, req_id, WB_ERR_INVALID,
                           "name an organisation of at most 64 characters");
        return;
    }
    size_t top = q->top ? q->top : ORG_TOP_DEFAULT;
    if (top > NODE_SCORES_TOP_MAX) top = NODE_SCORES_TOP_MAX;
    struct org_answer *a = calloc(1, sizeof *a);
    if (!a || node_scores_org(rd->scores, q->org, top, &a->agg) != WB_OK) {
        free(a);
        node_respond_error(link, req_id, WB_ERR_NOMEM, NULL);
        return;
    }
    const struct node_scores_org *g = &a->agg;
    Waybill__RiskOrg m = WAYBILL__RISK_ORG__INIT;
    m.org = q->org;
    m.known = g->known;
    m.first_seen_ms = g->party.first_seen_ms;
    m.chains_completed = g->party.chains_completed;
    m.items_held = g->items_held;
    uint16_t fl[RISK_FLAG_COUNT];
    for (unsigned c = 0; c < RISK_FLAG_COUNT; c++)
        fl[c] = g->flags[c] > UINT16_MAX ? UINT16_MAX : (uint16_t)g->flags[c];
    m.n_flags = counts_of(fl, a->fc, a->fcp);
    m.flags = a->fcp;
    m.weight_sum = g->weight_sum;
    m.score_x100 = g->score_x100;
    m.handovers_given = g->given;
    m.given_received = g->given_received;
    m.given_median_ms = g->given_median_ms;
    m.given_worst_ms = g->given_worst_ms;
    m.handovers_received = g->received;
    m.received_median_ms = g->received_median_ms;
    m.received_worst_ms = g->received_worst_ms;
    for (size_t i = 0; i < g->top_count; i++) {
        Waybill__RiskOrg__Item *it = &a->items[i];
        waybill__risk_org__item__init(it);
        it->item = (char *)g->top[i].item;
        it->score = g->top[i].score;
        it->org_weight = g->top[i].weight;
        it->n_counts = counts_of(g->top[i].counts, a->ifc[i], a->ifcp[i]);
        it->counts = a->ifcp[i];
        a->item_ptrs[i] = it;
    }
    m.n_items = g->top_count;
    m.items = a->item_ptrs;
    m.height = node_scores_height(rd->scores);
    m.pending = node_scores_pending(rd->scores);
    m.as_of_ms = rd->scores->head_time_ms;
    m.policy_hash.data = (uint8_t *)rd->scores->policy_hash;
    m.policy_hash.len = RISK_POLICY_HASH_LEN;
    Waybill__ClientResponse r = WAYBILL__CLIENT_RESPONSE__INIT;
    r.id = req_id;
    r.resp_case = WAYBILL__CLIENT_RESPONSE__RESP_RISK_ORG;
    r.risk_org = &m;
    node_respond(link, &r);
    free(a);
}
