/* Rebuilding the risk index from the store (replay.h). */
#include "node/risk/replay.h"

#include <stdlib.h>
#include <time.h>

#include "common/log.h"
#include "common/wb_assert.h"
#include "ledger/block.h"

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int node_risk_replay(struct node_risk *r, struct store *s, uint64_t head,
                     const struct ledger_gov *gov)
{
    WB_ASSERT(node_risk_height(r) == 0);
    int64_t t0 = mono_ms();
    int rc = WB_OK;
    uint64_t events = 0;
    for (uint64_t h = 1; h <= head && rc == WB_OK; h++) {
        uint8_t *bytes;
        size_t len;
        rc = store_get_block(s, h, &bytes, &len);
        if (rc) {
            WB_ERROR("risk", "h=%llu cannot read block %llu to rebuild the risk index: %s",
                     (unsigned long long)head, (unsigned long long)h, wb_strerror(rc));
            break;
        }
        struct ledger_block b;
        rc = ledger_block_decode(bytes, len, &b);
        free(bytes);
        if (rc) {
            WB_ERROR("risk", "h=%llu stored block %llu does not decode: %s",
                     (unsigned long long)head, (unsigned long long)h, wb_strerror(rc));
            rc = rc == WB_ERR_NOMEM ? rc : WB_ERR_STORE;
            break;
        }
        if (b.header.height != h) {
            WB_ERROR("risk", "h=%llu the block stored at height %llu says height %llu",
                     (unsigned long long)head, (unsigned long long)h,
                     (unsigned long long)b.header.height);
            rc = WB_ERR_STORE;
        } else {
            events += b.event_count;
            rc = node_risk_on_block(r, &b, gov);
        }
        ledger_block_free(&b);
    }
    if (rc) return rc;
    struct node_risk_stats st;
    node_risk_stats(r, &st);
    WB_INFO("risk", "h=%llu risk index rebuilt from %llu blocks (%llu events) in %lld ms: "
            "%zu seals, %zu containers, %zu parties, %zu open items, %zu baselines, %zu KiB",
            (unsigned long long)head, (unsigned long long)head, (unsigned long long)events,
            (long long)(mono_ms() - t0), st.seals, st.containers, st.parties, st.open,
            st.baselines, st.bytes / 1024);
    return WB_OK;
}
