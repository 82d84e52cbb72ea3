/* The timers the consensus core asked for, as libuv timers. A timer that
 * fires is removed and handed to on_fire (the driver steps the core with a
 * timeout). Written only by timers.c; the driver owns one set. */
#ifndef NODE_DRIVER_TIMERS_H
#define NODE_DRIVER_TIMERS_H

#include <stdint.h>
#include <uv.h>

#include "common/wb_error.h"
#include "consensus/cons.h"

struct node_cons_timer;

typedef void (*node_timer_fire_fn)(void *ctx, uint64_t height, uint32_t round, uint8_t step);

struct node_cons_timers {
    uv_loop_t *loop;
    node_timer_fire_fn on_fire;
    void *ctx;
    struct node_cons_timer *list;
};

void node_timers_init(struct node_cons_timers *ts, uv_loop_t *loop, node_timer_fire_fn on_fire,
                      void *ctx);

/* Arms ct. Returns 0, WB_ERR_NOMEM or WB_ERR_IO (libuv refused; logged):
 * a round whose timeout never fires can stall its height, so the caller
 * stops the node. */
WB_MUST_USE int node_timers_arm(struct node_cons_timers *ts, const struct cons_timer *ct);

/* Cancels the timers of heights below `height` (decided already). */
void node_timers_drop_below(struct node_cons_timers *ts, uint64_t height);

/* Cancels every timer. */
void node_timers_drop_all(struct node_cons_timers *ts);

#endif
