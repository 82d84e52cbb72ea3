/* The pending files of `waybill submit`; see submit_pending.h. */
#include "cli/submit_pending.h"

#include <errno.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bytes.h"
#include "common/file.h"
#include "common/hex.h"
#include "common/wb_error.h"
#include "ledger/event.h"

#define SUBMIT_PENDING_TAG "waybill/submit-pending/v1"

static void pending__put(crypto_hash_sha256_state *h, const void *data, size_t len)
{
    uint8_t n[4];
    wb_put_u32be(n, (uint32_t)len);
    crypto_hash_sha256_update(h, n, sizeof n);
    if (len) crypto_hash_sha256_update(h, data, len);
}

static void pending__put_str(crypto_hash_sha256_state *h, const char *s)
{
    pending__put(h, s, strlen(s));
}

void submit_pending_key(const uint8_t chain_id[WB_CHAIN_ID_LEN], const uint8_t pk[WB_PUBKEY_LEN],
                        const struct ledger_event *ev, bool has_prev, bool has_time,
                        uint8_t key[WB_HASH_LEN])
{
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    pending__put_str(&h, SUBMIT_PENDING_TAG);
    pending__put(&h, chain_id, WB_CHAIN_ID_LEN);
    pending__put(&h, pk, WB_PUBKEY_LEN);
    pending__put_str(&h, ev->item);
    uint8_t action[4];
    wb_put_u32be(action, (uint32_t)ev->action);
    pending__put(&h, action, sizeof action);
    pending__put_str(&h, ev->location);
    pending__put_str(&h, ev->to_org);
    /* Attributes in key order (keys are unique within an event). */
    size_t order[WB_ATTRS_MAX];
    size_t n = ev->attr_count < WB_ATTRS_MAX ? ev->attr_count : WB_ATTRS_MAX;
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        while (j > 0 && strcmp(ev->attrs[order[j - 1]].key, ev->attrs[i].key) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    uint8_t count[4];
    wb_put_u32be(count, (uint32_t)n);
    pending__put(&h, count, sizeof count);
    for (size_t i = 0; i < n; i++) {
        pending__put_str(&h, ev->attrs[order[i]].key);
        pending__put_str(&h, ev->attrs[order[i]].value);
    }
    uint8_t flag = has_prev && ev->has_prev;
    pending__put(&h, &flag, 1);
    if (flag) pending__put(&h, ev->prev, WB_HASH_LEN);
    flag = has_time;
    pending__put(&h, &flag, 1);
    if (has_time) {
        uint8_t t[8];
        wb_put_u64be(t, (uint64_t)ev->time_ms);
        pending__put(&h, t, sizeof t);
    }
    /* A device report (ledger/device.h) is part of what was asked: two
     * reports of one device differ in their bytes only. Hashed only when
     * present, so the keys of other submits are what they were. */
    if (ev->device_report_len) {
        size_t rlen = ev->device_report_len < WB_DEVICE_REPORT_MAX ? ev->device_report_len
                                                                    : WB_DEVICE_REPORT_MAX;
        pending__put_str(&h, "device_report");
        pending__put(&h, ev->device_report, rlen);
        pending__put(&h, ev->device_sig, WB_SIG_LEN);
    }
    crypto_hash_sha256_final(&h, key);
}

int submit_pending_init(struct submit_pending *p, const char *key_path,
                        const uint8_t chain_id[WB_CHAIN_ID_LEN], const uint8_t pk[WB_PUBKEY_LEN],
                        const struct ledger_event *ev, bool has_prev, bool has_time)
{
    memset(p, 0, sizeof *p);
    p->has_prev = has_prev;
    p->has_time = has_time;
    submit_pending_key(chain_id, pk, ev, has_prev, has_time, p->key);
    const char *state = getenv(SUBMIT_PENDING_ENV_STATE);
    int n;
    if (state && state[0]) {
        n = snprintf(p->state_dir, sizeof p->state_dir, "%s", state);
    } else {
        char copy[CLIENT_PATH_MAX];
        if (!key_path || strlen(key_path) >= sizeof copy) return WB_ERR_TOO_LARGE;
        memcpy(copy, key_path, strlen(key_path) + 1);
        n = snprintf(p->state_dir, sizeof p->state_dir, "%s", dirname(copy));
    }
    if (n < 0 || (size_t)n >= sizeof p->state_dir) return WB_ERR_TOO_LARGE;
    n = snprintf(p->dir, sizeof p->dir, "%s/" SUBMIT_PENDING_SUBDIR, p->state_dir);
    if (n < 0 || (size_t)n >= sizeof p->dir) return WB_ERR_TOO_LARGE;
    char hex[2 * WB_HASH_LEN + 1];
    wb_hex_encode(p->key, WB_HASH_LEN, hex, sizeof hex);
    n = snprintf(p->path, sizeof p->path, "%s/%s" SUBMIT_PENDING_SUFFIX, p->dir, hex);
    /* Room for wb_write_file's ".tmp.<pid>" too. */
    if (n < 0 || (size_t)n + 32 >= sizeof p->path) return WB_ERR_TOO_LARGE;
    return WB_OK;
}

int submit_pending_load(const struct submit_pending *p, const uint8_t chain_id[WB_CHAIN_ID_LEN],
                        const uint8_t pk[WB_PUBKEY_LEN], uint8_t *bytes, size_t cap, size_t *len,
                        struct ledger_event *ev, int64_t *signed_at_ms, char *msg,
                        size_t msg_len)
{
    uint8_t *buf = NULL;
    size_t n = 0;
    msg[0] = '\0';
    int rc = wb_read_file(p->path, WB_SIGNED_EVENT_MAX, &buf, &n);
    /* A folder on the way that is a file: no pending file can be there. */
    if (rc == WB_ERR_NOT_FOUND || (rc == WB_ERR_IO && errno == ENOTDIR)) return WB_ERR_NOT_FOUND;
    if (rc == WB_ERR_TOO_LARGE) {
        snprintf(msg, msg_len, "it is larger than any signed event");
        return WB_ERR_INVALID;
    }
    if (rc != WB_OK) {
        snprintf(msg, msg_len, "cannot read it: %s", strerror(errno));
        return WB_ERR_IO;
    }
    struct stat st;
    if (stat(p->path, &st) != 0) {
        free(buf);
        snprintf(msg, msg_len, "cannot read it: %s", strerror(errno));
        return WB_ERR_IO;
    }
    char why[256] = "";
    rc = n <= cap ? ledger_signed_event_open(chain_id, buf, n, true, ev, why, sizeof why)
                  : WB_ERR_TOO_LARGE;
    if (rc != WB_OK) {
        snprintf(msg, msg_len, "it is not a signed event of this chain (%s)",
                 why[0] ? why : wb_strerror(rc));
        rc = WB_ERR_INVALID;
        goto free_buf;
    }
    if (memcmp(ev->submitter, pk, WB_PUBKEY_LEN) != 0) {
        snprintf(msg, msg_len, "it holds an event signed by another key");
        rc = WB_ERR_INVALID;
        goto free_buf;
    }
    uint8_t key[WB_HASH_LEN];
    submit_pending_key(chain_id, pk, ev, p->has_prev, p->has_time, key);
    if (memcmp(key, p->key, WB_HASH_LEN) != 0) {
        snprintf(msg, msg_len, "it holds an event of another submit (%s %s)",
                 ledger_action_name(ev->action), ev->item);
        rc = WB_ERR_INVALID;
        goto free_buf;
    }
    memcpy(bytes, buf, n);
    *len = n;
    *signed_at_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
    rc = WB_OK;
free_buf:
    if (rc != WB_OK) memset(ev, 0, sizeof *ev);
    free(buf);
    return rc;
}

static int pending__mkdir(const char *dir, char *msg, size_t msg_len)
{
    if (mkdir(dir, 0700) == 0 || errno == EEXIST) return WB_OK;
    snprintf(msg, msg_len, "cannot create folder %s: %s", dir, strerror(errno));
    return WB_ERR_IO;
}

int submit_pending_save(const struct submit_pending *p, const uint8_t *bytes, size_t len,
                        char *msg, size_t msg_len)
{
    msg[0] = '\0';
    int rc = pending__mkdir(p->state_dir, msg, msg_len);
    if (rc == WB_OK) rc = pending__mkdir(p->dir, msg, msg_len);
    if (rc != WB_OK) return rc;
    rc = wb_write_file(p->path, bytes, len, 0600);
    if (rc != WB_OK) {
        snprintf(msg, msg_len, "cannot write %s: %s", p->path, strerror(errno));
        return WB_ERR_IO;
    }
    return WB_OK;
}

int submit_pending_remove(const struct submit_pending *p)
{
    if (unlink(p->path) == 0 || errno == ENOENT) return WB_OK;
    return WB_ERR_IO;
}
