/* The governance state from the store (gov_load.h). */
#include "node/chain/gov_load.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "ledger/block.h"
#include "ledger/event.h"
#include "storage/store.h"

/* The time of stored block `height`. */
static int block_time(const struct node_env *env, uint64_t height, int64_t *time_ms)
{
    uint8_t *bytes;
    size_t len;
    int rc = store_get_block(env->store, height, &bytes, &len);
    if (rc) return rc;
    struct ledger_block b;
    rc = ledger_block_decode(bytes, len, &b);
    free(bytes);
    if (rc) {
        WB_ERROR("node", "the stored block %llu does not decode", (unsigned long long)height);
        return WB_ERR_STORE;
    }
    *time_ms = b.header.time_ms;
    ledger_block_free(&b);
    return WB_OK;
}

int node_gov_load(struct ledger_gov *gv, const struct node_env *env, uint64_t height,
                  int64_t time_ms)
{
    struct store_event_ref *refs = NULL;
    size_t n = 0;
    int rc = store_item_history(env->store, WB_GOV_CHAIN, &refs, &n);
    if (rc == WB_ERR_NOT_FOUND) rc = WB_OK, n = 0;
    if (rc) return rc;
    struct ledger_event *ev = malloc(sizeof *ev);
    if (!ev) {
        free(refs);
        return WB_ERR_NOMEM;
    }
    uint64_t time_height = 0;
    int64_t t = 0;
    for (size_t i = 0; i < n && rc == WB_OK; i++) {
        if (refs[i].height != time_height) {
            rc = block_time(env, refs[i].height, &t);
            if (rc) break;
            time_height = refs[i].height;
        }
        uint8_t *bytes;
        size_t len;
        rc = store_get_event(env->store, refs[i].id, &bytes, &len, NULL, NULL);
        if (rc) break;
        char why[256];
        rc = ledger_signed_event_open(env->genesis->chain_id, bytes, len, false, ev, why,
                                      sizeof why);
        free(bytes);
        if (rc) {
            WB_ERROR("node", "stored governance event %zu (height %llu) does not open: %s", i,
                     (unsigned long long)refs[i].height, why);
            rc = WB_ERR_STORE;
            break;
        }
        rc = ledger_gov_apply(gv, ev, refs[i].height, t, NULL);
    }
    free(ev);
    free(refs);
    if (rc) return rc;
    ledger_gov_advance(gv, height, time_ms);
    if (n)
        WB_INFO("node", "governance state rebuilt from %zu events: %zu members, %zu validators",
                n, gv->view.org_count, gv->view.validator_count);
    return WB_OK;
}
