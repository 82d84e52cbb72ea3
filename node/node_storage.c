/* Storage faults: a write the node needs (a decided block, the safety
 * record) failed. The node holds consensus at the first height not stored,
 * keeps serving reads and status, retries the write with backoff and, once
 * the disk writes again, restarts the core from what is stored. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "common/log.h"
#include "common/wb_error.h"
#include "ledger/block.h"
#include "node/node_internal.h"

/* Below this much free space a failed write counts as "full" whatever errno
 * it carried: LMDB reports a short write on a full disk as EIO. */
#define NODE_STORE_FULL_FREE_BYTES ((uint64_t)1 << 20)

bool node_storage_classify_full(int write_err, uint64_t free_bytes)
{
    if (write_err == ENOSPC || write_err == EDQUOT || write_err == EFBIG) return true;
    return free_bytes < NODE_STORE_FULL_FREE_BYTES;
}

bool node_storage_is_fault(int rc)
{
    return rc == WB_ERR_STORE || rc == WB_ERR_IO || rc == WB_ERR_TOO_LARGE;
}

const char *node_storage_state(const struct node *n, char *buf, size_t len)
{
    if (!n->store_held) snprintf(buf, len, "ok");
    else if (n->store_full) snprintf(buf, len, "full");
    else snprintf(buf, len, "error: %s", n->store_error);
    return buf;
}

static uint64_t free_bytes_of(const char *dir)
{
    struct statvfs v;
    if (statvfs(dir, &v) != 0) return UINT64_MAX;
    return (uint64_t)v.f_bavail * (uint64_t)v.f_frsize;
}

/* Fills store_error and store_full from the store's last failed write. */
static void classify(struct node *n, int rc)
{
    char text[sizeof n->store_error];
    int werr = store_write_error(n->store, text, sizeof text);
    if (!text[0]) snprintf(text, sizeof text, "%s", wb_strerror(rc));
    memcpy(n->store_error, text, sizeof n->store_error);
    n->store_full = node_storage_classify_full(werr, free_bytes_of(n->cfg->data_dir));
}

static void retry_closed(uv_handle_t *h)
{
    struct node *n = h->data;
    n->handles_open--;
}

static void on_retry(uv_timer_t *t);

static void schedule_retry(struct node *n, uint32_t delay_ms)
{
    if (!n->store_retry_inited) {
        if (uv_timer_init(n->loop, &n->store_retry_timer) != 0) {
            WB_ERROR("storage", "cannot arm the storage retry timer; stopping");
            node_stop(n);
            return;
        }
        n->store_retry_timer.data = n;
        n->store_retry_inited = true;
        n->handles_open++;
    }
    int rc = uv_timer_start(&n->store_retry_timer, on_retry, delay_ms, 0);
    if (rc) {
        /* Without a retry the hold would never end. */
        WB_ERROR("storage", "cannot start the storage retry timer: %s; stopping",
                 uv_strerror(rc));
        node_stop(n);
    }
}

/* Enters the fault (once: a fault already entered only refreshes its text). */
static void hold(struct node *n, int rc, const char *doing)
{
    if (n->stopping) return;
    if (n->store_held) {
        classify(n, rc);
        return;
    }
    n->store_held = true;
    n->store_held_height = n->last_height + 1;
    n->store_backoff_ms = NODE_STORE_RETRY_FIRST_MS;
    n->store_retries = 0;
    classify(n, rc);
    node_cons_drop_pending(n);
    WB_ERROR("storage",
             "h=%llu data folder %s %s (%s) while %s; holding consensus at height %llu "
             "(no votes, no appends), still serving reads and status; retrying the write "
             "every %.1f s up to every %u s, then catching up by block sync",
             (unsigned long long)n->last_height, n->cfg->data_dir,
             n->store_full ? "is full" : "failed a write", n->store_error, doing,
             (unsigned long long)n->store_held_height, NODE_STORE_RETRY_FIRST_MS / 1000.0,
             NODE_STORE_RETRY_MAX_MS / 1000);
    schedule_retry(n, n->store_backoff_ms);
}

static void drop_held_block(struct node *n)
{
    free(n->held_block);
    free(n->held_cert);
    n->held_block = n->held_cert = NULL;
    n->held_block_len = n->held_cert_len = 0;
    n->held_block_height = 0;
}

static void drop_held_safety(struct node *n)
{
    free(n->held_safety);
    n->held_safety = NULL;
    n->held_safety_len = 0;
}

void node_storage_append_failed(struct node *n, int rc, uint64_t height, const uint8_t *block,
                                size_t block_len, const uint8_t *cert, size_t cert_len)
{
    if (cert && !n->held_block && height == n->last_height + 1) {
        n->held_block = malloc(block_len);
        n->held_cert = malloc(cert_len ? cert_len : 1);
        if (n->held_block && n->held_cert) {
            memcpy(n->held_block, block, block_len);
            memcpy(n->held_cert, cert, cert_len);
            n->held_block_len = block_len;
            n->held_cert_len = cert_len;
            n->held_block_height = height;
        } else {
            drop_held_block(n); /* block sync brings it instead */
        }
    }
    char doing[64];
    snprintf(doing, sizeof doing, "appending %s block %llu", cert ? "decided" : "synced",
             (unsigned long long)height);
    hold(n, rc, doing);
}

void node_storage_safety_failed(struct node *n, int rc, const uint8_t *rec, size_t len)
{
    /* The newest record wins: it is the one the core acts on. */
    drop_held_safety(n);
    n->held_safety = malloc(len);
    if (n->held_safety) {
        memcpy(n->held_safety, rec, len);
        n->held_safety_len = len;
    }
    hold(n, rc, "writing the consensus safety record (the message it covers was not sent)");
}

void node_storage_on_appended(struct node *n)
{
    if (n->store_held && !n->stopping) schedule_retry(n, 0);
}

/* Appends the held decided block: decoded and checked again, as a decision
 * of a block not validated since a restart is. */
static int append_held(struct node *n)
{
    struct ledger_block b;
    if (ledger_block_decode(n->held_block, n->held_block_len, &b) != 0) return WB_ERR_DECODE;
    struct ledger_block_result r;
    char msg[256];
    int rc = node_check_block_full(n, &b, false, &r, msg, sizeof msg);
    if (rc == WB_OK) {
        rc = node_commit_checked(n, &b, n->held_block, n->held_block_len, n->held_cert,
                                 n->held_cert_len, &r);
        ledger_block_result_free(&r);
    } else {
        WB_ERROR("storage", "h=%llu held block fails local checks: %s; waiting for block sync",
                 (unsigned long long)n->last_height, msg);
    }
    ledger_block_free(&b);
    return rc;
}

static void on_retry(uv_timer_t *t)
{
    struct node *n = t->data;
    if (!n->store_held || n->stopping) return;
    int rc = WB_OK;
    bool wrote = false;
    if (n->held_safety) {
        rc = store_safety_put(n->store, n->held_safety, n->held_safety_len);
        if (rc == WB_OK) drop_held_safety(n);
        wrote = true;
    }
    if (rc == WB_OK && n->held_block && n->held_block_height != n->last_height + 1)
        drop_held_block(n); /* block sync stored it */
    if (rc == WB_OK && n->held_block) {
        rc = append_held(n);
        if (rc == WB_OK || !node_storage_is_fault(rc)) drop_held_block(n);
        if (!node_storage_is_fault(rc)) rc = WB_OK; /* block sync brings it */
        wrote = wrote || rc == WB_OK;
    }
    if (rc == WB_OK && !wrote) {
        /* Nothing of its own to write: a transaction that rewrites the last
         * height record unchanged tells whether the disk writes again. */
        rc = store_release_pages(n->store);
        if (rc == WB_ERR_NOT_FOUND) rc = WB_OK;
    }
    if (rc != WB_OK) {
        n->store_retries++;
        classify(n, rc);
        n->store_backoff_ms *= 2;
        if (n->store_backoff_ms > NODE_STORE_RETRY_MAX_MS)
            n->store_backoff_ms = NODE_STORE_RETRY_MAX_MS;
        schedule_retry(n, n->store_backoff_ms);
        return;
    }
    uv_timer_stop(&n->store_retry_timer);
    n->store_held = false;
    n->store_full = false;
    n->store_error[0] = '\0';
    WB_INFO("storage",
            "h=%llu data folder %s writes again (after %u failed retries); consensus "
            "resumes at height %llu",
            (unsigned long long)n->last_height, n->cfg->data_dir, n->store_retries,
            (unsigned long long)n->last_height + 1);
    rc = node_cons_restart(n);
    if (rc) hold(n, rc, "restarting consensus from storage");
}

void node_storage_stop(struct node *n)
{
    drop_held_block(n);
    drop_held_safety(n);
    if (n->store_retry_inited) {
        uv_timer_stop(&n->store_retry_timer);
        uv_close((uv_handle_t *)&n->store_retry_timer, retry_closed);
        n->store_retry_inited = false;
    }
}
