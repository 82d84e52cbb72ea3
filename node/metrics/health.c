/* The health and readiness verdicts (health.h). */
#include "node/metrics/health.h"

#include <stdio.h>

/* Whole seconds of a duration in ms, for reasons. */
static long long secs(int64_t ms)
{
    return (long long)(ms / 1000);
}

bool metrics_healthy(const struct metrics_snapshot *s, int64_t now_ms, char *reason, size_t len)
{
    int64_t window = s->health_window_ms;
    if (s->published_ms == 0) {
        snprintf(reason, len, "starting: no snapshot published yet");
        return false;
    }
    if (now_ms - s->published_ms > window) {
        snprintf(reason, len,
                 "event loop stalled: its last snapshot is %lld s old (limit %lld s)",
                 secs(now_ms - s->published_ms), secs(window));
        return false;
    }
    bool recent = s->quorum_seen_ms != 0 && now_ms - s->quorum_seen_ms <= window;
    if (!recent) {
        char when[64];
        if (s->quorum_seen_ms == 0)
            snprintf(when, sizeof when, "none since start-up");
        else
            snprintf(when, sizeof when, "last quorum %lld s ago",
                     secs(now_ms - s->quorum_seen_ms));
        snprintf(reason, len, "no quorum: %u of %u validators connected, %u needed (%s)",
                 s->validators_connected, s->validators, s->quorum, when);
        return false;
    }
    snprintf(reason, len, "ok");
    return true;
}

bool metrics_ready(const struct metrics_snapshot *s, int64_t now_ms, char *reason, size_t len)
{
    if (!metrics_healthy(s, now_ms, reason, len)) return false;
    if (s->storage_held) {
        snprintf(reason, len, "storage: %s; consensus held at height %llu", s->storage,
                 (unsigned long long)s->height + 1);
        return false;
    }
    if (s->syncing) {
        snprintf(reason, len, "syncing: at height %llu, validators reached %llu",
                 (unsigned long long)s->height, (unsigned long long)s->sync_target);
        return false;
    }
    int64_t limit = (int64_t)s->ready_heartbeats * s->heartbeat_ms;
    int64_t age = now_ms - s->head_time_ms;
    if (age > limit) {
        snprintf(reason, len,
                 "no recent block: the last (height %llu) is %lld s old, more than %u "
                 "heartbeats (%lld s)",
                 (unsigned long long)s->height, secs(age), s->ready_heartbeats, secs(limit));
        return false;
    }
    snprintf(reason, len, "ok");
    return true;
}
