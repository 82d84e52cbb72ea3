/* The governance history of a proof bundle: snapshots of the governance
 * state per block (verified into by ledger/verify.c's governance mode). */
#include "ledger/gov_history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


int ledger_gov_history_init(struct ledger_gov_history *h, const struct ledger_genesis *g)
{
    memset(h, 0, sizeof *h);
    h->snaps = malloc(4 * sizeof *h->snaps);
    if (!h->snaps) return WB_ERR_NOMEM;
    h->snap_cap = 4;
    if (ledger_gov_init(&h->snaps[0].gov, g)) {
        free(h->snaps);
        h->snaps = NULL;
        return WB_ERR_NOMEM;
    }
    h->snaps[0].height = 0;
    h->snap_count = 1;
    snprintf(h->completeness, sizeof h->completeness, "no governance events");
    return WB_OK;
}

void ledger_gov_history_free(struct ledger_gov_history *h)
{
    for (size_t i = 0; i < h->snap_count; i++) ledger_gov_free(&h->snaps[i].gov);
    free(h->snaps);
    memset(h, 0, sizeof *h);
}

int ledger_gov_history_push(struct ledger_gov_history *h, uint64_t height,
                            const struct ledger_gov *gv)
{
    struct ledger_gov copy;
    if (ledger_gov_clone(&copy, gv)) return WB_ERR_NOMEM;
    if (h->snap_count && h->snaps[h->snap_count - 1].height == height) {
        ledger_gov_free(&h->snaps[h->snap_count - 1].gov);
        h->snaps[h->snap_count - 1].gov = copy;
        return WB_OK;
    }
    if (h->snap_count == h->snap_cap) {
        size_t cap = h->snap_cap ? 2 * h->snap_cap : 4;
        struct ledger_gov_snapshot *s = realloc(h->snaps, cap * sizeof *s);
        if (!s) {
            ledger_gov_free(&copy);
            return WB_ERR_NOMEM;
        }
        h->snaps = s;
        h->snap_cap = cap;
    }
    h->snaps[h->snap_count].height = height;
    h->snaps[h->snap_count].gov = copy;
    h->snap_count++;
    return WB_OK;
}

const struct ledger_gov *ledger_gov_history_last(const struct ledger_gov_history *h)
{
    return &h->snaps[h->snap_count - 1].gov;
}

const struct ledger_gov *ledger_gov_history_at(const struct ledger_gov_history *h,
                                               uint64_t height)
{
    size_t lo = 0, hi = h->snap_count; /* the last snapshot below height */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (h->snaps[mid].height < height) lo = mid;
        else hi = mid;
    }
    return &h->snaps[lo].gov;
}
