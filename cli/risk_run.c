/* Judging a verified item from the CLI; see risk_run.h. */
#include "cli/risk_run.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/print.h"
#include "cli/risk_context.h"
#include "common/file.h"
#include "common/hex.h"
#include "ledger/block.h"
#include "ledger/ids.h"
#include "proto/waybill.pb-c.h"

void risk_run_init(struct risk_run *r) { memset(r, 0, sizeof *r); }

void risk_run_free(struct risk_run *r)
{
    free(r->copies);
    free(r->events);
    free(r->orgs);
    memset(r, 0, sizeof *r);
}

void risk_run_add(struct risk_run *r, const struct ledger_event *ev, const char *org,
                  uint64_t height)
{
    if (r->failed) return;
    if (r->count == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 32;
        struct ledger_event *c = realloc(r->copies, cap * sizeof *c);
        if (c) r->copies = c;
        struct risk_event *e = c ? realloc(r->events, cap * sizeof *e) : NULL;
        if (e) r->events = e;
        char(*o)[WB_ORG_MAX + 1] = e ? realloc(r->orgs, cap * sizeof *o) : NULL;
        if (o) r->orgs = o;
        if (!o) {
            r->failed = true;
            return;
        }
        r->cap = cap;
    }
    size_t i = r->count++;
    r->copies[i] = *ev;
    snprintf(r->orgs[i], sizeof r->orgs[i], "%s", org ? org : "");
    r->events[i] = (struct risk_event){.height = height, .org = org ? "" : NULL};
}

/* The pointers of events[] into copies[] and orgs[], set once the arrays
 * stop moving. */
static void risk_run_link(const struct risk_run *r)
{
    for (size_t i = 0; i < r->count; i++) {
        r->events[i].ev = &r->copies[i];
        if (r->events[i].org) r->events[i].org = r->orgs[i];
    }
}

int risk_run_times(struct risk_run *r, const uint8_t *bundle, size_t len)
{
    Waybill__ProofBundle *b = waybill__proof_bundle__unpack(NULL, len, bundle);
    if (!b) return WB_ERR_DECODE;
    int rc = WB_OK;
    for (size_t i = 0; i < r->count && rc == WB_OK; i++) {
        bool found = false;
        for (size_t k = 0; k < b->n_blocks && !found; k++) {
            if (b->blocks[k]->height != r->events[i].height) continue;
            struct ledger_block_header h;
            if (ledger_header_decode(b->blocks[k]->header.data, b->blocks[k]->header.len, &h) !=
                WB_OK) {
                rc = WB_ERR_DECODE;
                break;
            }
            r->events[i].block_time_ms = h.time_ms;
            found = true;
        }
        if (!found && rc == WB_OK) rc = WB_ERR_DECODE;
    }
    waybill__proof_bundle__free_unpacked(b, NULL);
    return rc;
}

/* Adds s to list (n of cap) unless there or empty. */
static void query_add(char *list, size_t width, size_t *n, size_t cap, const char *s)
{
    if (!s || !s[0] || strlen(s) >= width) return;
    for (size_t i = 0; i < *n; i++)
        if (strcmp(list + i * width, s) == 0) return;
    if (*n == cap) return;
    snprintf(list + (*n)++ * width, width, "%s", s);
}

void risk_run_query_of(const struct risk_run *r, const struct ledger_evidence *e,
                       struct risk_run_query *q)
{
    memset(q, 0, sizeof *q);
    risk_run_link(r);
    enum ledger_id_kind kind;
    char msg[8];
    if (r->count && ledger_item_id_check(r->copies[0].item, &kind, msg, sizeof msg) == WB_OK &&
        kind == LEDGER_ID_CONTAINER)
        snprintf(q->container, sizeof q->container, "%s", r->copies[0].item);
    const struct ledger_event **evs = malloc((r->count ? r->count : 1) * sizeof *evs);
    for (size_t i = 0; i < r->count; i++) {
        const struct ledger_event *ev = &r->copies[i];
        if (evs) evs[i] = ev;
        query_add(&q->seals[0][0], sizeof q->seals[0], &q->seal_count, RISK_RUN_QUERY_MAX,
                  ledger_event_attr(ev, "seal"));
        query_add(&q->orgs[0][0], sizeof q->orgs[0], &q->org_count, RISK_RUN_QUERY_MAX,
                  r->events[i].org);
        query_add(&q->orgs[0][0], sizeof q->orgs[0], &q->org_count, RISK_RUN_QUERY_MAX,
                  ev->to_org);
    }
    for (size_t i = 0; e && i < e->device_count; i++)
        query_add(&q->seals[0][0], sizeof q->seals[0], &q->seal_count, RISK_RUN_QUERY_MAX,
                  e->devices[i].seal);
    struct risk_sample s[RISK_RUN_QUERY_MAX];
    size_t n = evs ? risk_samples_of_chain(evs, r->count, s, RISK_RUN_QUERY_MAX) : 0;
    for (size_t i = 0; i < n && i < RISK_RUN_QUERY_MAX; i++)
        query_add(&q->keys[0][0], sizeof q->keys[0], &q->key_count, RISK_RUN_QUERY_MAX, s[i].key);
    free(evs);
}

int risk_run_fetch(struct client *c, const char *item, const struct risk_run_query *q,
                   struct risk_context_data *out)
{
    const char *seals[RISK_RUN_QUERY_MAX], *orgs[RISK_RUN_QUERY_MAX], *keys[RISK_RUN_QUERY_MAX];
    for (size_t i = 0; i < q->seal_count; i++) seals[i] = q->seals[i];
    for (size_t i = 0; i < q->org_count; i++) orgs[i] = q->orgs[i];
    for (size_t i = 0; i < q->key_count; i++) keys[i] = q->keys[i];
    return risk_context_fetch(c, item, seals, q->seal_count, q->container[0] ? q->container : NULL,
                              orgs, q->org_count, keys, q->key_count, out);
}

int risk_run_assess(const struct risk_run *r, const struct ledger_genesis *g,
                    const struct ledger_evidence *e, int64_t as_of_ms, const struct risk_policy *p,
                    const struct risk_context *ctx, struct risk_report *out, char *msg,
                    size_t msg_len)
{
    memset(out, 0, sizeof *out);
    if (r->failed) return wb_failf(WB_ERR_NOMEM, msg, msg_len, "out of memory");
    risk_run_link(r);
    struct risk_input in = {.events = r->events, .count = r->count, .g = g, .evidence = e,
                            .as_of_ms = as_of_ms};
    return risk_assess(&in, p, ctx, out, msg, msg_len);
}

/* ---- printing ----------------------------------------------------------------------- */

int risk_run_print_text(const struct risk_report *rep, int64_t as_of_ms, bool online, FILE *out)
{
    char hash[2 * RISK_POLICY_HASH_LEN + 1], when[PRINT_TIME_MAX], safe[2 * RISK_TEXT_MAX];
    wb_hex_encode(rep->policy_hash, RISK_POLICY_HASH_LEN, hash, sizeof hash);
    fprintf(out, "Risk: score %" PRIu32 ", %zu flag%s, as of %s (%s); policy %s\n", rep->score,
            rep->flag_count + rep->flags_dropped,
            rep->flag_count + rep->flags_dropped == 1 ? "" : "s", print_time(as_of_ms, when),
            online ? "with the node's ledger-wide context" : "offline: this bundle alone", hash);
    for (size_t i = 0; i < rep->flag_count; i++) {
        const struct risk_flag *f = &rep->flags[i];
        fprintf(out, "%s (%s): %s\n", risk_flag_name(f->code), risk_severity_name(f->severity),
                print_safe(f->text, safe, sizeof safe));
        fprintf(out, "  at %s", print_time(f->time_ms, when));
        if (f->custodian[0]) fprintf(out, ", custodian '%s'", print_safe(f->custodian, safe, sizeof safe));
        for (size_t k = 0; k < f->event_count; k++) {
            char id[PRINT_SHORT_HEX];
            fprintf(out, "%s#%" PRIu32 " %s", k ? ", " : "; events ", f->event_index[k],
                    print_short_hex(f->events[k], id));
        }
        if (f->basis_text[0]) fprintf(out, "; %s", print_safe(f->basis_text, safe, sizeof safe));
        fputc('\n', out);
    }
    if (rep->flags_dropped)
        fprintf(out, "... and %zu more flags (counted in the score)\n", rep->flags_dropped);
    if (rep->flag_count + rep->flags_dropped == 0) fprintf(out, "no flags\n");
    for (unsigned c = 0; c < RISK_FLAG_COUNT; c++)
        if (rep->not_evaluable[c])
            fprintf(out, "not evaluable: %s: %s\n", risk_flag_name(c),
                    print_safe(rep->not_evaluable_why[c], safe, sizeof safe));
    return ferror(out) ? WB_ERR_IO : WB_OK;
}

static const char *basis_name(enum risk_basis b)
{
    switch (b) {
    case RISK_BASIS_POLICY: return "policy";
    case RISK_BASIS_DEFAULT: return "default";
    case RISK_BASIS_BASELINE: return "baseline";
    }
    return "policy";
}

json_t *risk_run_json(const struct risk_report *rep, int64_t as_of_ms, bool online)
{
    char when[PRINT_TIME_MAX];
    json_t *flags = json_array(), *ne = json_array(), *counts = json_object();
    for (size_t i = 0; flags && i < rep->flag_count; i++) {
        const struct risk_flag *f = &rep->flags[i];
        json_t *ids = json_array();
        for (size_t k = 0; ids && k < f->event_count; k++)
            if (json_array_append_new(ids, json_pack("{s:I, s:o}", "seq",
                                                     (json_int_t)f->event_index[k], "event_id",
                                                     print_json_hex(f->events[k], WB_HASH_LEN)))) {
                json_decref(ids);
                ids = NULL;
            }
        json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:s, s:o, s:s, s:o}", "code",
                              risk_flag_name(f->code), "severity", risk_severity_name(f->severity),
                              "text", print_json_text(f->text), "custodian",
                              f->custodian[0] ? print_json_text(f->custodian) : json_null(), "time",
                              print_time(f->time_ms, when), "events", ids, "basis",
                              basis_name(f->basis), "basis_text",
                              f->basis_text[0] ? print_json_text(f->basis_text) : json_null());
        if (json_array_append_new(flags, o)) {
            json_decref(flags);
            flags = NULL;
        }
    }
    for (unsigned c = 0; c < RISK_FLAG_COUNT; c++) {
        if (counts && rep->counts[c] &&
            json_object_set_new(counts, risk_flag_name(c), json_integer(rep->counts[c]))) {
            json_decref(counts);
            counts = NULL;
        }
        if (ne && rep->not_evaluable[c] &&
            json_array_append_new(ne, json_pack("{s:s, s:o}", "code", risk_flag_name(c), "why",
                                                print_json_text(rep->not_evaluable_why[c])))) {
            json_decref(ne);
            ne = NULL;
        }
    }
    return json_pack("{s:I, s:o, s:s, s:b, s:o, s:I, s:o, s:o}", "score", (json_int_t)rep->score,
                     "policy_hash", print_json_hex(rep->policy_hash, RISK_POLICY_HASH_LEN),
                     "as_of", print_time(as_of_ms, when), "ledger_wide", online, "flags", flags,
                     "flags_dropped", (json_int_t)rep->flags_dropped, "counts", counts,
                     "not_evaluable", ne);
}

int risk_run_policy(const char *cmd, const char *path, struct risk_policy *p)
{
    risk_policy_defaults(p);
    if (!path) path = cli_env_default(NULL, RISK_RUN_ENV_POLICY);
    if (!path) return CLI_EXIT_OK;
    uint8_t *buf;
    size_t len;
    int rc = wb_read_file(path, RISK_POLICY_FILE_MAX, &buf, &len);
    if (rc != WB_OK) {
        cli_error(cmd, "cannot read the risk policy %s: %s", path,
                  rc == WB_ERR_TOO_LARGE ? "over 64 KiB" : wb_strerror(rc));
        return CLI_EXIT_FAILED;
    }
    char msg[256];
    rc = risk_policy_parse((const char *)buf, len, p, msg, sizeof msg);
    free(buf);
    if (rc != WB_OK) {
        cli_error(cmd, "risk policy %s: %s", path, msg);
        return CLI_EXIT_FAILED;
    }
    return CLI_EXIT_OK;
}
