/* The consensus core's timers (timers.h). */
#include "node/driver/timers.h"

#include <stdlib.h>

#include "common/log.h"

struct node_cons_timer {
    uv_timer_t handle;
    struct node_cons_timers *set;
    struct node_cons_timer *prev, *next;
    uint64_t height;
    uint32_t round;
    uint8_t step;
};

void node_timers_init(struct node_cons_timers *ts, uv_loop_t *loop, node_timer_fire_fn on_fire,
                      void *ctx)
{
    ts->loop = loop;
    ts->on_fire = on_fire;
    ts->ctx = ctx;
    ts->list = NULL;
}

static void timer_closed(uv_handle_t *h)
{
    free(h->data);
}

static void timer_remove(struct node_cons_timers *ts, struct node_cons_timer *t)
{
    if (t->prev) t->prev->next = t->next;
    else ts->list = t->next;
    if (t->next) t->next->prev = t->prev;
    t->handle.data = t;
    uv_close((uv_handle_t *)&t->handle, timer_closed);
}

static void on_timer(uv_timer_t *h)
{
    struct node_cons_timer *t = h->data;
    struct node_cons_timers *ts = t->set;
    uint64_t height = t->height;
    uint32_t round = t->round;
    uint8_t step = t->step;
    timer_remove(ts, t);
    ts->on_fire(ts->ctx, height, round, step);
}

int node_timers_arm(struct node_cons_timers *ts, const struct cons_timer *ct)
{
    struct node_cons_timer *t = calloc(1, sizeof *t);
    if (!t) {
        WB_ERROR("cons", "out of memory arming a consensus timer");
        return WB_ERR_NOMEM;
    }
    int irc = uv_timer_init(ts->loop, &t->handle);
    if (irc) {
        WB_ERROR("cons", "cannot create a consensus timer: %s", uv_strerror(irc));
        free(t);
        return WB_ERR_IO;
    }
    t->set = ts;
    t->height = ct->height;
    t->round = ct->round;
    t->step = ct->step;
    t->handle.data = t;
    t->next = ts->list;
    if (ts->list) ts->list->prev = t;
    ts->list = t;
    int rc = uv_timer_start(&t->handle, on_timer, ct->delay_ms, 0);
    if (rc) {
        WB_ERROR("cons", "h=%llu r=%u cannot start a consensus timer: %s",
                 (unsigned long long)ct->height, ct->round, uv_strerror(rc));
        timer_remove(ts, t);
        return WB_ERR_IO;
    }
    return WB_OK;
}

void node_timers_drop_below(struct node_cons_timers *ts, uint64_t height)
{
    struct node_cons_timer *t = ts->list;
    while (t) {
        struct node_cons_timer *next = t->next;
        if (t->height < height) {
            uv_timer_stop(&t->handle);
            timer_remove(ts, t);
        }
        t = next;
    }
}

void node_timers_drop_all(struct node_cons_timers *ts)
{
    while (ts->list) {
        uv_timer_stop(&ts->list->handle);
        timer_remove(ts, ts->list);
    }
}
