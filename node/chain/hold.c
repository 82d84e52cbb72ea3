/* Storage faults on the commit path (hold.h). */
#include "node/chain/hold.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "common/log.h"
#include "storage/store.h"

/* Below this much free space a failed write counts as "full" whatever errno
 * it carried: LMDB reports a short write on a full disk as EIO. */
#define NODE_STORE_FULL_FREE_BYTES ((uint64_t)1 << 20)

static uint64_t head(const struct node_hold *h) { return node_chain_height(h->commit->chain); }

void node_hold_init(struct node_hold *h, const struct node_env *env, struct node_commit *commit,
                    const struct node_hold_listener *listener)
{
    memset(h, 0, sizeof *h);
    h->env = env;
    h->commit = commit;
    h->listener = *listener;
}

bool node_hold_classify_full(int write_err, uint64_t free_bytes)
{
    if (write_err == ENOSPC || write_err == EDQUOT || write_err == EFBIG) return true;
    return free_bytes < NODE_STORE_FULL_FREE_BYTES;
}

bool node_hold_is_fault(int rc)
{
    return rc == WB_ERR_STORE || rc == WB_ERR_IO || rc == WB_ERR_TOO_LARGE;
}

const char *node_hold_state(const struct node_hold *h, char *buf, size_t len)
{
    if (!h->held) snprintf(buf, len, "ok");
    else if (h->full) snprintf(buf, len, "full");
    else snprintf(buf, len, "error: %s", h->error);
    return buf;
}

static uint64_t free_bytes_of(const char *dir)
{
    struct statvfs v;
    if (statvfs(dir, &v) != 0) return UINT64_MAX;
    return (uint64_t)v.f_bavail * (uint64_t)v.f_frsize;
}

/* Fills error and full from the store's last failed write. */
static void classify(struct node_hold *h, int rc)
{
    char text[sizeof h->error];
    int werr = store_write_error(h->env->store, text, sizeof text);
    if (!text[0]) snprintf(text, sizeof text, "%s", wb_strerror(rc));
    memcpy(h->error, text, sizeof h->error);
    h->full = node_hold_classify_full(werr, free_bytes_of(h->env->cfg->data_dir));
}

static void on_retry(uv_timer_t *t);

static void schedule_retry(struct node_hold *h, uint32_t delay_ms)
{
    if (!h->retry_inited) {
        int irc = uv_timer_init(h->env->loop, &h->retry_timer);
        if (irc) {
            WB_ERROR("storage", "cannot arm the storage retry timer: %s; stopping",
                     uv_strerror(irc));
            h->listener.on_fatal(h->listener.ctx);
            return;
        }
        h->retry_timer.data = h;
        h->retry_inited = true;
    }
    int rc = uv_timer_start(&h->retry_timer, on_retry, delay_ms, 0);
    if (rc) {
        /* Without a retry the hold would never end. */
        WB_ERROR("storage", "cannot start the storage retry timer: %s; stopping",
                 uv_strerror(rc));
        h->listener.on_fatal(h->listener.ctx);
    }
}

/* Enters the fault (once: a fault already entered only refreshes its text). */
static void hold(struct node_hold *h, int rc, const char *doing)
{
    if (h->stopping) return;
    if (h->held) {
        classify(h, rc);
        return;
    }
    h->held = true;
    h->held_height = head(h) + 1;
    h->backoff_ms = NODE_STORE_RETRY_FIRST_MS;
    h->retries = 0;
    classify(h, rc);
    h->listener.on_hold(h->listener.ctx);
    WB_ERROR("storage",
             "h=%llu data folder %s %s (%s) while %s; holding consensus at height %llu "
             "(no votes, no appends), still serving reads and status; retrying the write "
             "every %.1f s up to every %u s, then catching up by block sync",
             (unsigned long long)head(h), h->env->cfg->data_dir,
             h->full ? "is full" : "failed a write", h->error, doing,
             (unsigned long long)h->held_height, NODE_STORE_RETRY_FIRST_MS / 1000.0,
             NODE_STORE_RETRY_MAX_MS / 1000);
    schedule_retry(h, h->backoff_ms);
}

static void drop_held_block(struct node_hold *h)
{
    free(h->block);
    free(h->cert);
    h->block = h->cert = NULL;
    h->block_len = h->cert_len = 0;
    h->block_height = 0;
}

static void drop_held_safety(struct node_hold *h)
{
    free(h->safety);
    h->safety = NULL;
    h->safety_len = 0;
}

void node_hold_append_failed(struct node_hold *h, int rc, uint64_t height, const uint8_t *block,
                             size_t block_len, const uint8_t *cert, size_t cert_len)
{
    if (cert && !h->block && height == head(h) + 1) {
        h->block = malloc(block_len ? block_len : 1);
        h->cert = malloc(cert_len ? cert_len : 1);
        if (h->block && h->cert) {
            memcpy(h->block, block, block_len);
            memcpy(h->cert, cert, cert_len);
            h->block_len = block_len;
            h->cert_len = cert_len;
            h->block_height = height;
        } else {
            drop_held_block(h); /* block sync brings it instead */
        }
    }
    char doing[64];
    snprintf(doing, sizeof doing, "appending %s block %llu", cert ? "decided" : "synced",
             (unsigned long long)height);
    hold(h, rc, doing);
}

void node_hold_safety_failed(struct node_hold *h, int rc, const uint8_t *rec, size_t len)
{
    /* The newest record wins: it is the one the core acts on. */
    drop_held_safety(h);
    h->safety = malloc(len ? len : 1);
    if (h->safety) {
        memcpy(h->safety, rec, len);
        h->safety_len = len;
    }
    hold(h, rc, "writing the consensus safety record (the message it covers was not sent)");
}

void node_hold_on_appended(struct node_hold *h)
{
    if (h->held && !h->stopping) schedule_retry(h, 0);
}

/* Appends the held decided block, checked now: the check of its validation
 * (if any) was dropped with everything queued when the fault began. */
static int append_held(struct node_hold *h)
{
    struct node_checked cb;
    char msg[256];
    int rc = node_check_block(h->env, h->commit->chain, h->block, h->block_len, NULL, false,
                              &cb, msg, sizeof msg);
    if (rc == WB_OK) {
        rc = node_commit_block(h->commit, &cb, h->block, h->block_len, h->cert, h->cert_len);
        node_checked_free(&cb);
    } else {
        WB_ERROR("storage", "h=%llu held block fails local checks: %s; waiting for block sync",
                 (unsigned long long)head(h), msg);
    }
    return rc;
}

static void on_retry(uv_timer_t *t)
{
    struct node_hold *h = t->data;
    if (!h->held || h->stopping) return;
    int rc = WB_OK;
    bool wrote = false;
    if (h->safety) {
        rc = store_safety_put(h->env->store, h->safety, h->safety_len);
        if (rc == WB_OK) drop_held_safety(h);
        wrote = true;
    }
    if (rc == WB_OK && h->block && h->block_height != head(h) + 1)
        drop_held_block(h); /* block sync stored it */
    if (rc == WB_OK && h->block) {
        rc = append_held(h);
        if (rc == WB_OK || !node_hold_is_fault(rc)) drop_held_block(h);
        if (!node_hold_is_fault(rc)) rc = WB_OK; /* block sync brings it */
        wrote = wrote || rc == WB_OK;
    }
    if (rc == WB_OK && !wrote) {
        /* Nothing of its own to write: a transaction that rewrites the last
         * height record unchanged tells whether the disk writes again. */
        rc = store_release_pages(h->env->store);
        if (rc == WB_ERR_NOT_FOUND) rc = WB_OK;
    }
    if (rc != WB_OK) {
        h->retries++;
        classify(h, rc);
        h->backoff_ms *= 2;
        if (h->backoff_ms > NODE_STORE_RETRY_MAX_MS) h->backoff_ms = NODE_STORE_RETRY_MAX_MS;
        schedule_retry(h, h->backoff_ms);
        return;
    }
    uv_timer_stop(&h->retry_timer);
    h->held = false;
    h->full = false;
    h->error[0] = '\0';
    WB_INFO("storage",
            "h=%llu data folder %s writes again (after %u failed retries); consensus "
            "resumes at height %llu",
            (unsigned long long)head(h), h->env->cfg->data_dir, h->retries,
            (unsigned long long)head(h) + 1);
    rc = h->listener.on_resume(h->listener.ctx);
    if (rc) hold(h, rc, "restarting consensus from storage");
}

void node_hold_stop(struct node_hold *h)
{
    h->stopping = true;
    drop_held_block(h);
    drop_held_safety(h);
    if (h->retry_inited) {
        uv_timer_stop(&h->retry_timer);
        uv_close((uv_handle_t *)&h->retry_timer, NULL);
        h->retry_inited = false;
    }
}
