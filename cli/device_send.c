/* Device reports from the CLI; see device_send.h. */
#include "cli/device_send.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "ledger/event.h"
#include "node/keyfile.h"

int device_send_build(const uint8_t chain_id[WB_CHAIN_ID_LEN],
                      const struct ledger_device_report *r, const uint8_t sk[WB_SECKEY_LEN],
                      const uint8_t *prev, struct ledger_event *ev, char *msg, size_t msg_len)
{
    uint8_t bytes[WB_DEVICE_REPORT_MAX], sig[WB_SIG_LEN];
    size_t len = 0;
    int rc = ledger_device_report_encode(r, bytes, sizeof bytes, &len, msg, msg_len);
    if (rc != WB_OK) return rc;
    rc = ledger_device_report_sign(chain_id, bytes, len, sk, sig);
    if (rc != WB_OK)
        return wb_failf(rc, msg, msg_len, "cannot sign the device report: %s", wb_strerror(rc));
    memset(ev, 0, sizeof *ev);
    rc = ledger_device_report_wrap(ev, r, bytes, len, sig);
    if (rc != WB_OK)
        return wb_failf(rc, msg, msg_len, "cannot carry the device report: %s", wb_strerror(rc));
    if (prev) {
        ev->has_prev = true;
        memcpy(ev->prev, prev, WB_HASH_LEN);
    }
    return WB_OK;
}

const struct ledger_attached_device *device_send_attached(const struct ledger_item_state *st,
                                                          const uint8_t pk[WB_PUBKEY_LEN])
{
    for (size_t i = 0; i < st->device_count && i < WB_ITEM_DEVICES_MAX; i++)
        if (memcmp(st->devices[i].device, pk, WB_PUBKEY_LEN) == 0) return &st->devices[i];
    return NULL;
}

static int cmp_i64(int64_t a, int64_t b) { return (a > b) - (a < b); }

int device_send_obs_cmp(const struct ledger_reading *a, const struct ledger_reading *b)
{
    const struct ledger_device_obs *x = &a->obs, *y = &b->obs;
    int c = cmp_i64(a->kind, b->kind);
    if (!c) c = cmp_i64(x->time_ms, y->time_ms);
    if (!c) c = cmp_i64(x->seal_state, y->seal_state);
    if (!c) c = strcmp(x->seal, y->seal);
    if (!c) c = cmp_i64(x->lat_e6, y->lat_e6);
    if (!c) c = cmp_i64(x->lon_e6, y->lon_e6);
    if (!c) c = cmp_i64(x->accuracy_m, y->accuracy_m);
    if (!c) c = strcmp(x->locode, y->locode);
    if (!c) c = cmp_i64(x->measure, y->measure);
    if (!c) c = cmp_i64(x->value_milli, y->value_milli);
    return c;
}

static int seen_qsort_cmp(const void *a, const void *b) { return device_send_obs_cmp(a, b); }

static int seen_add(struct device_seen *seen, const struct ledger_device_report *r)
{
    if (seen->count + r->obs_count > seen->cap) {
        size_t cap = seen->cap ? seen->cap * 2 : 256;
        while (cap < seen->count + r->obs_count) cap *= 2;
        struct ledger_reading *n = realloc(seen->obs, cap * sizeof *n);
        if (!n) return WB_ERR_NOMEM;
        seen->obs = n;
        seen->cap = cap;
    }
    for (size_t i = 0; i < r->obs_count; i++) {
        struct ledger_reading *o = &seen->obs[seen->count++];
        memset(o, 0, sizeof *o);
        o->kind = r->kind;
        o->obs = r->obs[i];
    }
    return WB_OK;
}

/* Adds what device pk reported in the history's events to seen. */
static int seen_fill(const struct ledger_genesis *g, const Waybill__History *h,
                     const uint8_t pk[WB_PUBKEY_LEN], struct device_seen *seen, char *msg,
                     size_t msg_len)
{
    struct ledger_event *ev = malloc(sizeof *ev);
    struct ledger_device_report *r = malloc(sizeof *r);
    int rc = ev && r ? WB_OK : WB_ERR_NOMEM;
    for (size_t i = 0; rc == WB_OK && i < h->n_events; i++) {
        const ProtobufCBinaryData *b = &h->events[i]->signed_event;
        rc = ledger_signed_event_open(g->chain_id, b->data, b->len, false, ev, msg, msg_len);
        if (rc != WB_OK || !ledger_action_is_report(ev->action)) continue;
        rc = ledger_device_report_decode(ev->device_report, ev->device_report_len, r, msg,
                                         msg_len);
        if (rc == WB_OK && memcmp(r->device, pk, WB_PUBKEY_LEN) == 0) rc = seen_add(seen, r);
    }
    free(ev);
    free(r);
    if (rc == WB_OK && seen->count)
        qsort(seen->obs, seen->count, sizeof seen->obs[0], seen_qsort_cmp);
    return rc;
}

int device_send_history(struct client *c, const struct ledger_genesis *g, const char *item,
                        const uint8_t pk[WB_PUBKEY_LEN], struct ledger_item_state *st,
                        struct device_seen *seen, bool *known)
{
    Waybill__ClientResponse *resp;
    char what[WB_ITEM_MAX + 64], msg[512];
    memset(st, 0, sizeof *st);
    memset(seen, 0, sizeof *seen);
    *known = false;
    snprintf(what, sizeof what, "reading the history of item %s", item);
    int rc = client_call_item(c, WAYBILL__CLIENT_REQUEST__REQ_HISTORY, item, &resp);
    if (rc == WB_ERR_NOT_FOUND && c->node_error) return CLI_EXIT_OK;
    if (rc != WB_OK) return client_fail(c, rc, what);
    rc = resp->history ? client_item_state(resp->history->state, st) : WB_ERR_PROTOCOL;
    if (rc == WB_OK && st->count > 0 && strcmp(st->item, item) != 0) rc = WB_ERR_PROTOCOL;
    if (rc != WB_OK) {
        waybill__client_response__free_unpacked(resp, NULL);
        cli_error(c->opts->cmd, "%s: the node answered with a malformed item state", what);
        memset(st, 0, sizeof *st);
        return CLI_EXIT_FAILED;
    }
    msg[0] = '\0';
    rc = seen_fill(g, resp->history, pk, seen, msg, sizeof msg);
    waybill__client_response__free_unpacked(resp, NULL);
    if (rc != WB_OK) {
        cli_error(c->opts->cmd, "%s: %s", what, rc == WB_ERR_NOMEM ? "out of memory" : msg);
        device_seen_free(seen);
        return CLI_EXIT_FAILED;
    }
    *known = st->count > 0;
    return CLI_EXIT_OK;
}

bool device_seen_has(const struct device_seen *seen, const struct ledger_reading *r)
{
    return seen->count && bsearch(r, seen->obs, seen->count, sizeof seen->obs[0],
                                  seen_qsort_cmp) != NULL;
}

void device_seen_free(struct device_seen *seen)
{
    free(seen->obs);
    memset(seen, 0, sizeof *seen);
}

int device_send_key(const char *cmd, const char *path, uint8_t pk[WB_PUBKEY_LEN],
                    uint8_t sk[WB_SECKEY_LEN])
{
    char msg[CLIENT_PATH_MAX + 128];
    if (keyfile_load(path, pk, sk, msg, sizeof msg) == WB_OK) return CLI_EXIT_OK;
    sodium_memzero(sk, WB_SECKEY_LEN);
    memset(pk, 0, WB_PUBKEY_LEN);
    cli_error(cmd, "--device-key: %s", msg);
    return CLI_EXIT_FAILED;
}
