/* net_quiet.c: the summary of inbound handshakes that failed, timed out,
 * were refused or evicted: one log line per cfg.refusal_log_ms instead of
 * one per connection, so a flood cannot flood the log. Calls no other file
 * of node/net/. */
#ifndef WB_NET_QUIET_INTERNAL_H
#define WB_NET_QUIET_INTERNAL_H

#include <stdbool.h>

#include "node/net/net_internal.h"

/* One inbound handshake of `l` failed (`evicted` false; the caller counts
 * the kind in net->quiet first) or was evicted from the pool: logged at
 * once when no summary was written for an interval, else folded into the
 * next one (own_timer writes it). */
void net__quiet_note(struct net *net, const struct net_link *l, bool evicted, const char *what,
                     int reason);

#endif
