/* Learned baselines (docs/risk.md, "Baselines"): how long items dwell at a
 * port and how long a lane (origin, destination, mode) takes, as
 * distributions the node keeps up to date as blocks commit and the risk
 * engine judges against: a dwell or transit above the policy's percentile
 * of its baseline is abnormal, once the baseline has the policy's minimum
 * samples; before, the default threshold judges, and the output says which.
 *
 * A distribution is a fixed histogram of log-spaced buckets (deterministic,
 * mergeable, fixed size): the same samples give the same bytes and the same
 * percentiles on every node. The samples come from an item's chain by one
 * function (risk_samples_of_chain) that the node and the engine share.
 * Pure: no I/O, no clock, no globals. */
#ifndef RISK_BASELINE_H
#define RISK_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/wb_error.h"
#include "ledger/types.h"

/* Buckets: bucket 0 holds durations under RISK_DIST_MIN_MS, bucket i
 * (1 .. RISK_DIST_BUCKETS - 2) those under RISK_DIST_MIN_MS * 2^(i/4), the
 * last everything longer. 1 minute * 2^(62/4) is about 32 days. */
#define RISK_DIST_BUCKETS 64
#define RISK_DIST_MIN_MS 60000
#define RISK_DIST_ENC_MAX (8 + RISK_DIST_BUCKETS * 10)

struct risk_dist {
    uint64_t count;
    uint32_t bucket[RISK_DIST_BUCKETS];
};

/* Adds one duration (negative ones count as 0). */
void risk_dist_add(struct risk_dist *d, int64_t ms);
/* The pct-th percentile (1 .. 100): the upper bound of the bucket that
 * holds it (RISK_DIST_MIN_MS * 2^(i/4), rounded down to a millisecond; for
 * the last bucket INT64_MAX). False for an empty distribution. */
WB_MUST_USE bool risk_dist_percentile(const struct risk_dist *d, unsigned pct, int64_t *ms);
/* Canonical bytes (varints: count, then each bucket) and back. encode
 * returns the length (at most RISK_DIST_ENC_MAX); decode 0 or
 * WB_ERR_DECODE (not canonical, the buckets do not sum to count). */
size_t risk_dist_encode(const struct risk_dist *d, uint8_t *out);
WB_MUST_USE int risk_dist_decode(const uint8_t *buf, size_t len, struct risk_dist *d);

/* The key of a baseline: "dwell LOCODE" or "transit FROM TO MODE" (MODE a
 * ledger_mode_name, or "any" when the chain does not say). */
#define RISK_KEY_MAX 48

/* One sample an item's chain gives. */
struct risk_sample {
    char key[RISK_KEY_MAX];
    int64_t ms;
    uint32_t from_event, to_event;   /* indexes into the chain: the sample's ends */
};

/* What the samples of one item's chain need to remember between events:
 * small (the node keeps one per item with an open arrive or depart). */
struct risk_sampler {
    bool arrived, departed;
    uint8_t load_mode, depart_mode;      /* enum ledger_mode; NONE: not said */
    char arrived_at[6], departed_from[6];
    int64_t arrived_ms, departed_ms;
    uint32_t arrived_event, departed_event;
};

void risk_sampler_init(struct risk_sampler *s);
/* Feeds the chain's event number `index` (chain order, accepted). Returns
 * true with *out set when the event closes a sample: a dwell for an arrive
 * at a UN/LOCODE followed by a depart from it (transship) or a deliver
 * there, the time between them; a transit for a depart from a UN/LOCODE
 * followed by an arrive at another, with the mode the load before the
 * departure declared (attribute mode=; "any" when it declared none: a
 * route plan says what was intended, not what carried the item). */
bool risk_sampler_add(struct risk_sampler *s, const struct ledger_event *ev, uint32_t index,
                      struct risk_sample *out);

/* The samples of a whole chain (risk_sampler over its events): writes at
 * most cap into out and returns how many there are in all. */
size_t risk_samples_of_chain(const struct ledger_event *const *events, size_t count,
                             struct risk_sample *out, size_t cap);

/* A set of baselines by key, sorted; what the node keeps (node/risk/) and
 * hands the engine through risk_context.baseline. */
struct risk_baselines {
    struct risk_baseline_entry {
        char key[RISK_KEY_MAX];
        struct risk_dist dist;
    } *entries;
    size_t count, cap;
};
void risk_baselines_init(struct risk_baselines *b);
void risk_baselines_free(struct risk_baselines *b);
/* Adds a sample under key (creating the baseline). Returns 0 or
 * WB_ERR_NOMEM / WB_ERR_INVALID (a key over RISK_KEY_MAX - 1). */
WB_MUST_USE int risk_baselines_add(struct risk_baselines *b, const char *key, int64_t ms);
/* The baseline of key, or NULL. O(log n). */
const struct risk_dist *risk_baselines_find(const struct risk_baselines *b, const char *key);

#endif
