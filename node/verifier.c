/* The signature-check worker: one pthread checks queued events in FIFO order
 * and hands each back to the loop through a uv_async_t. */
#include "node/verifier.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/log.h"
#include "common/wb_assert.h"
#include "common/wb_error.h"
#include "ledger/block.h"
#include "ledger/event.h"

/* Room for any message of ledger_signed_event_open (an item id of
 * WB_ITEM_MAX bytes plus a sentence), as the mempool allows. */
#define VERIFIER_REASON_MAX 512

struct verifier_list {
    struct verifier_job *head, *tail;
};

struct verifier {
    uv_loop_t *loop;
    uv_async_t async;
    struct verifier_config cfg;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;

    /* Shared, under lock. */
    struct verifier_list todo;        /* waiting for the worker */
    struct verifier_list checked;     /* checked, waiting for the loop */
    bool stop;

    /* Loop thread only. */
    struct verifier_list ready;       /* taken from `checked`, not yet delivered */
    size_t jobs;                      /* submitted, not yet delivered */
    size_t bytes;
    struct verifier_stats stats;
    verifier_closed_fn closed;
    void *closed_ctx;

    /* Worker thread only: decode space, kept off the stack. */
    struct ledger_event scratch;
};

static void list_push(struct verifier_list *l, struct verifier_job *j)
{
    j->next = NULL;
    if (l->tail) l->tail->next = j;
    else l->head = j;
    l->tail = j;
}

static struct verifier_job *list_pop(struct verifier_list *l)
{
    struct verifier_job *j = l->head;
    if (!j) return NULL;
    l->head = j->next;
    if (!l->head) l->tail = NULL;
    j->next = NULL;
    return j;
}

/* Appends all of `from` to `to` and empties `from`. */
static void list_splice(struct verifier_list *to, struct verifier_list *from)
{
    if (!from->head) return;
    if (to->tail) to->tail->next = from->head;
    else to->head = from->head;
    to->tail = from->tail;
    from->head = from->tail = NULL;
}

static void job_free(struct verifier_job *j)
{
    free(j->reason);
    free(j);
}

static void list_free(struct verifier_list *l)
{
    struct verifier_job *j;
    while ((j = list_pop(l))) job_free(j);
}

/* ---- worker thread ------------------------------------------------------------ */

static void worker_lower_priority(const struct verifier *v)
{
    if (v->cfg.nice == 0) return;
    pid_t tid = gettid();
    errno = 0;
    int now = getpriority(PRIO_PROCESS, (id_t)tid);
    if (now == -1 && errno != 0) {
        WB_WARN("verify", "cannot read the worker thread's priority (%s); it runs at the "
                "event loop's priority", strerror(errno));
        return;
    }
    if (setpriority(PRIO_PROCESS, (id_t)tid, now + v->cfg.nice) != 0)
        WB_WARN("verify", "cannot lower the worker thread's priority by %d (%s); it runs at "
                "the event loop's priority", v->cfg.nice, strerror(errno));
}

/* Whether cfg.skip spares this job its check. */
static bool worker_skips(struct verifier *v, const struct verifier_job *j)
{
    if (!v->cfg.skip) return false;
    const uint8_t *body;
    size_t body_len;
    uint8_t sig[WB_SIG_LEN];
    if (ledger_signed_event_split(j->bytes, j->len, &body, &body_len, sig) != WB_OK) return false;
    uint8_t id[WB_HASH_LEN];
    ledger_sha256(body, body_len, id);
    return v->cfg.skip(v->cfg.ctx, &j->ticket, id);
}

static void worker_check(struct verifier *v, struct verifier_job *j)
{
    if (worker_skips(v, j)) {
        j->rc = WB_ERR_EXISTS;
        return;
    }
    char msg[VERIFIER_REASON_MAX];
    msg[0] = '\0';
    j->rc = ledger_signed_event_open(v->cfg.chain_id, j->bytes, j->len, true, &v->scratch, msg,
                                     sizeof msg);
    /* Out of memory leaves reason NULL: the loop then names the error alone. */
    if (j->rc != 0 && msg[0]) j->reason = strdup(msg);
}

static void *worker_main(void *arg)
{
    struct verifier *v = arg;
    worker_lower_priority(v);
    int rc = pthread_mutex_lock(&v->lock);
    WB_ASSERT(rc == 0);
    for (;;) {
        while (!v->stop && !v->todo.head) {
            rc = pthread_cond_wait(&v->wake, &v->lock);
            WB_ASSERT(rc == 0);
        }
        if (v->stop) break;
        struct verifier_job *j = list_pop(&v->todo);
        rc = pthread_mutex_unlock(&v->lock);
        WB_ASSERT(rc == 0);

        worker_check(v, j);

        rc = pthread_mutex_lock(&v->lock);
        WB_ASSERT(rc == 0);
        /* The loop is woken only when the list turns non-empty: while it is
         * not, a wake-up is already on its way (the loop re-arms itself when
         * it leaves jobs for a later turn). */
        bool wake_loop = v->checked.head == NULL;
        list_push(&v->checked, j);
        if (wake_loop) {
            rc = uv_async_send(&v->async);
            WB_ASSERT(rc == 0);
        }
    }
    rc = pthread_mutex_unlock(&v->lock);
    WB_ASSERT(rc == 0);
    return NULL;
}

/* Tells the worker to stop after the check in progress and joins it. */
static void worker_stop(struct verifier *v)
{
    int rc = pthread_mutex_lock(&v->lock);
    WB_ASSERT(rc == 0);
    v->stop = true;
    rc = pthread_cond_signal(&v->wake);
    WB_ASSERT(rc == 0);
    rc = pthread_mutex_unlock(&v->lock);
    WB_ASSERT(rc == 0);
    rc = pthread_join(v->thread, NULL);
    WB_ASSERT(rc == 0);
}

/* ---- loop thread ---------------------------------------------------------------- */

static void verifier_on_async(uv_async_t *h)
{
    struct verifier *v = h->data;
    int rc = pthread_mutex_lock(&v->lock);
    WB_ASSERT(rc == 0);
    list_splice(&v->ready, &v->checked);
    rc = pthread_mutex_unlock(&v->lock);
    WB_ASSERT(rc == 0);

    size_t delivered = 0;
    struct verifier_job *j;
    while (delivered < v->cfg.batch_max && (j = list_pop(&v->ready))) {
        WB_ASSERT(v->jobs > 0 && v->bytes >= j->len);
        v->jobs--;
        v->bytes -= j->len;
        v->stats.delivered++;
        if (j->rc == WB_ERR_EXISTS) v->stats.skipped++;
        delivered++;
        v->cfg.done(v->cfg.ctx, j);
        job_free(j);
    }
    /* The rest waits for the next loop turn, so that the I/O in between
     * (consensus messages) is not held up behind a long run of admissions. */
    if (v->ready.head) {
        rc = uv_async_send(&v->async);
        WB_ASSERT(rc == 0);
    }
    if (delivered && v->cfg.batch_done) v->cfg.batch_done(v->cfg.ctx);
}

static int fail(char *reason, size_t reason_len, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(char *reason, size_t reason_len, int err, const char *fmt, ...)
{
    if (reason && reason_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(reason, reason_len, fmt, ap);
        va_end(ap);
    }
    return err;
}

int verifier_create(uv_loop_t *loop, const struct verifier_config *cfg, struct verifier **out)
{
    if (!out) return WB_ERR_INVALID;
    *out = NULL;
    if (!loop || !cfg || !cfg->done || cfg->jobs_max == 0 || cfg->batch_max == 0 ||
        cfg->bytes_max < WB_SIGNED_EVENT_MAX)
        return WB_ERR_INVALID;
    struct verifier *v = calloc(1, sizeof *v);
    if (!v) return WB_ERR_NOMEM;
    v->loop = loop;
    v->cfg = *cfg;
    int rc = WB_ERR_IO;
    if (pthread_mutex_init(&v->lock, NULL) != 0) goto err_free_verifier;
    if (pthread_cond_init(&v->wake, NULL) != 0) goto err_destroy_lock;

    /* The worker signals the uv_async_t only after checking a job, and no
     * job exists before this function returns: the thread may start first. */
    sigset_t all, old;
    sigfillset(&all);
    if (pthread_sigmask(SIG_SETMASK, &all, &old) != 0) goto err_destroy_cond;
    int started = pthread_create(&v->thread, NULL, worker_main, v);
    int restored = pthread_sigmask(SIG_SETMASK, &old, NULL);
    WB_ASSERT(restored == 0);
    if (started != 0) goto err_destroy_cond;
    if (uv_async_init(loop, &v->async, verifier_on_async) != 0) goto err_join_worker;
    v->async.data = v;
    *out = v;
    return WB_OK;

err_join_worker:
    worker_stop(v);
err_destroy_cond:
    pthread_cond_destroy(&v->wake);
err_destroy_lock:
    pthread_mutex_destroy(&v->lock);
err_free_verifier:
    free(v);
    return rc;
}

int verifier_submit(struct verifier *v, const struct verifier_ticket *ticket,
                    const uint8_t *signed_event, size_t len, char *reason, size_t reason_len)
{
    if (len == 0)
        return fail(reason, reason_len, WB_ERR_INVALID, "the signed event is empty");
    if (len > WB_SIGNED_EVENT_MAX)
        return fail(reason, reason_len, WB_ERR_TOO_LARGE,
                    "event is %zu bytes; the limit is %d bytes", len, WB_SIGNED_EVENT_MAX);
    if (v->jobs >= v->cfg.jobs_max || len > v->cfg.bytes_max - v->bytes) {
        v->stats.refused++;
        return fail(reason, reason_len, WB_ERR_BUSY,
                    "node busy: %zu events / %zu bytes wait for their signature check "
                    "(limits %zu events / %zu bytes); try again later",
                    v->jobs, v->bytes, v->cfg.jobs_max, v->cfg.bytes_max);
    }
    struct verifier_job *j = malloc(sizeof *j + len);
    if (!j) return fail(reason, reason_len, WB_ERR_NOMEM, "verifier: out of memory");
    j->ticket = *ticket;
    j->rc = WB_ERR_INTERNAL;
    j->reason = NULL;
    j->len = len;
    memcpy(j->bytes, signed_event, len);

    int rc = pthread_mutex_lock(&v->lock);
    WB_ASSERT(rc == 0);
    list_push(&v->todo, j);
    rc = pthread_cond_signal(&v->wake);
    WB_ASSERT(rc == 0);
    rc = pthread_mutex_unlock(&v->lock);
    WB_ASSERT(rc == 0);

    v->jobs++;
    v->bytes += len;
    v->stats.submitted++;
    if (v->jobs > v->stats.jobs_peak) v->stats.jobs_peak = v->jobs;
    return WB_OK;
}

size_t verifier_jobs(const struct verifier *v) { return v->jobs; }
size_t verifier_bytes(const struct verifier *v) { return v->bytes; }

void verifier_get_stats(const struct verifier *v, struct verifier_stats *st) { *st = v->stats; }

static void verifier_on_closed(uv_handle_t *h)
{
    struct verifier *v = h->data;
    verifier_closed_fn closed = v->closed;
    void *ctx = v->closed_ctx;
    pthread_cond_destroy(&v->wake);
    pthread_mutex_destroy(&v->lock);
    free(v);
    if (closed) closed(ctx);
}

void verifier_close(struct verifier *v, verifier_closed_fn closed, void *ctx)
{
    if (!v) return;
    worker_stop(v);
    /* The worker is gone: every list is the loop's now. */
    list_free(&v->todo);
    list_free(&v->checked);
    list_free(&v->ready);
    v->jobs = 0;
    v->bytes = 0;
    v->closed = closed;
    v->closed_ctx = ctx;
    uv_close((uv_handle_t *)&v->async, verifier_on_closed);
}
