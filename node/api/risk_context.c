/* The API's risk context request (risk_context.h). */
#include "node/api/risk_context.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wb_error.h"
#include "node/api/respond.h"
#include "node/risk/index.h"

static size_t len_of(const char *s) { return s ? strlen(s) : 0; }

/* Why q cannot be answered, or NULL. */
static const char *refusal(const Waybill__RiskContextRequest *q, char *why, size_t why_len)
{
    if (q->n_seals > NODE_RISK_REQ_SEALS_MAX || q->n_orgs > NODE_RISK_REQ_ORGS_MAX ||
        q->n_baseline_keys > NODE_RISK_REQ_KEYS_MAX) {
        snprintf(why, why_len,
                 "a risk context request names at most %d seal numbers, %d organisations and "
                 "%d baseline keys (this one %zu, %zu and %zu)",
                 NODE_RISK_REQ_SEALS_MAX, NODE_RISK_REQ_ORGS_MAX, NODE_RISK_REQ_KEYS_MAX,
                 q->n_seals, q->n_orgs, q->n_baseline_keys);
        return why;
    }
    if (len_of(q->item) > WB_ITEM_MAX || len_of(q->container) > WB_ITEM_MAX)
        return "an item id or container number longer than an item id can be";
    for (size_t i = 0; i < q->n_seals; i++)
        if (len_of(q->seals[i]) > WB_ATTR_VALUE_MAX)
            return "a seal number longer than an attribute value can be";
    for (size_t i = 0; i < q->n_orgs; i++)
        if (len_of(q->orgs[i]) > WB_ORG_MAX)
            return "an organisation name longer than one can be";
    for (size_t i = 0; i < q->n_baseline_keys; i++)
        if (len_of(q->baseline_keys[i]) >= RISK_KEY_MAX)
            return "a baseline key longer than one can be";
    return NULL;
}

/* What the answer points to besides the index: freed in one place. */
struct answer {
    Waybill__RiskContext__SealUse *seals, **seal_ptrs;
    const char *(*seal_items)[NODE_RISK_SEAL_ITEMS_MAX];
    Waybill__RiskContext__ContainerUse cont, *cont_ptr;
    Waybill__RiskContext__ContainerRef refs[NODE_RISK_CONTAINER_REFS_MAX],
        *ref_ptrs[NODE_RISK_CONTAINER_REFS_MAX];
    Waybill__RiskContext__Party *parties, **party_ptrs;
    Waybill__RiskContext__Baseline *baselines, **baseline_ptrs;
    uint8_t (*dists)[RISK_DIST_ENC_MAX];
};

static void answer_free(struct answer *a)
{
    free(a->seals);
    free(a->seal_ptrs);
    free(a->seal_items);
    free(a->parties);
    free(a->party_ptrs);
    free(a->baselines);
    free(a->baseline_ptrs);
    free(a->dists);
}

static void *array(size_t n, size_t size) { return calloc(n ? n : 1, size); }

void node_read_risk_context(const struct node_reads *rd, struct net_link *link, uint64_t req_id,
                            const Waybill__RiskContextRequest *q)
{
    char why[256];
    const char *no = refusal(q, why, sizeof why);
    if (no) {
        node_respond_error(link, req_id, WB_ERR_INVALID, no);
        return;
    }
    const struct node_risk *r = rd->risk;
    uint64_t failed_at;
    int failed = node_risk_failed(r, &failed_at);
    if (failed) {
        snprintf(why, sizeof why,
                 "this node's risk index is incomplete since height %llu (%s); a restart "
                 "rebuilds it",
                 (unsigned long long)failed_at, wb_strerror(failed));
        node_respond_error(link, req_id, WB_ERR_INTERNAL, why);
        return;
    }
    struct answer a = {0};
    a.seals = array(q->n_seals, sizeof *a.seals);
    a.seal_ptrs = array(q->n_seals, sizeof *a.seal_ptrs);
    a.seal_items = array(q->n_seals, sizeof *a.seal_items);
    a.parties = array(q->n_orgs, sizeof *a.parties);
    a.party_ptrs = array(q->n_orgs, sizeof *a.party_ptrs);
    a.baselines = array(q->n_baseline_keys, sizeof *a.baselines);
    a.baseline_ptrs = array(q->n_baseline_keys, sizeof *a.baseline_ptrs);
    a.dists = array(q->n_baseline_keys, sizeof *a.dists);
    if (!a.seals || !a.seal_ptrs || !a.seal_items || !a.parties || !a.party_ptrs ||
        !a.baselines || !a.baseline_ptrs || !a.dists) {
        answer_free(&a);
        node_respond_error(link, req_id, WB_ERR_NOMEM, NULL);
        return;
    }
    Waybill__RiskContext rc = WAYBILL__RISK_CONTEXT__INIT;
    rc.height = node_risk_height(r);
    const char *item = q->item ? q->item : "";
    for (size_t i = 0; i < q->n_seals; i++) {
        Waybill__RiskContext__SealUse *s = &a.seals[i];
        waybill__risk_context__seal_use__init(s);
        s->seal = q->seals[i];
        s->n_items = node_risk_seal_items(r, q->seals[i], item, a.seal_items[i],
                                          NODE_RISK_SEAL_ITEMS_MAX, &s->total);
        s->items = (char **)a.seal_items[i];
        a.seal_ptrs[i] = s;
    }
    rc.n_seals = q->n_seals;
    rc.seals = a.seal_ptrs;
    if (q->container && q->container[0]) {
        struct node_risk_ref refs[NODE_RISK_CONTAINER_REFS_MAX];
        uint64_t total;
        size_t n = node_risk_container_refs(r, q->container, refs, NODE_RISK_CONTAINER_REFS_MAX,
                                            &total);
        waybill__risk_context__container_use__init(&a.cont);
        a.cont.container = q->container;
        a.cont.total = total;
        for (size_t k = 0; k < n; k++) {
            Waybill__RiskContext__ContainerRef *x = &a.refs[k];
            waybill__risk_context__container_ref__init(x);
            x->item = (char *)refs[k].item;
            x->location = (char *)refs[k].location;
            x->time_ms = refs[k].time_ms;
            x->event.data = (uint8_t *)refs[k].event;
            x->event.len = WB_HASH_LEN;
            a.ref_ptrs[k] = x;
        }
        a.cont.n_refs = n;
        a.cont.refs = a.ref_ptrs;
        a.cont_ptr = &a.cont;
        rc.n_containers = 1;
        rc.containers = &a.cont_ptr;
    }
    for (size_t i = 0; i < q->n_orgs; i++) {
        Waybill__RiskContext__Party *p = &a.parties[i];
        waybill__risk_context__party__init(p);
        p->org = q->orgs[i];
        struct risk_party rp;
        p->known = node_risk_party(r, q->orgs[i], &rp);
        p->first_seen_ms = rp.first_seen_ms;
        p->chains_completed = rp.chains_completed;
        a.party_ptrs[i] = p;
    }
    rc.n_parties = q->n_orgs;
    rc.parties = a.party_ptrs;
    for (size_t i = 0; i < q->n_baseline_keys; i++) {
        Waybill__RiskContext__Baseline *b = &a.baselines[i];
        waybill__risk_context__baseline__init(b);
        b->key = q->baseline_keys[i];
        const struct risk_dist *d = node_risk_baseline(r, q->baseline_keys[i]);
        if (d) {
            b->dist.data = a.dists[i];
            b->dist.len = risk_dist_encode(d, a.dists[i]);
        }
        a.baseline_ptrs[i] = b;
    }
    rc.n_baselines = q->n_baseline_keys;
    rc.baselines = a.baseline_ptrs;
    Waybill__ClientResponse resp = WAYBILL__CLIENT_RESPONSE__INIT;
    resp.id = req_id;
    resp.resp_case = WAYBILL__CLIENT_RESPONSE__RESP_RISK_CONTEXT;
    resp.risk_context = &rc;
    node_respond(link, &resp);
    answer_free(&a);
}
