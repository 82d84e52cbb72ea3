/* `waybill status`: what a node reports about itself: name, validator index,
 * height, round, last block hash and time (with its age by this machine's
 * clock), peers, mempool, evidence, events; and from its governance chain
 * (cli/gov_state.h) the member organisations, the validator set now and any
 * announced next one, and the pending proposals. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/client_cmds.h"
#include "cli/gov_print.h"
#include "cli/gov_state.h"
#include "cli/print.h"
#include "common/hex.h"
#include "common/wb_error.h"

enum {
    STATUS_OPT_NODE,
    STATUS_OPT_KEY,
    STATUS_OPT_GENESIS,
    STATUS_OPT_TIMEOUT,
    STATUS_OPT_JSON,
};

static const struct cli_opt status_opts[] = {
    [STATUS_OPT_NODE] = CLIENT_OPT_NODE,
    [STATUS_OPT_KEY] = CLIENT_OPT_KEY,
    [STATUS_OPT_GENESIS] = CLIENT_OPT_GENESIS,
    [STATUS_OPT_TIMEOUT] = CLIENT_OPT_TIMEOUT,
    [STATUS_OPT_JSON] = CLIENT_OPT_JSON,
};

static const struct cli_usage status_usage = {
    .cmd = "status",
    .synopsis = "[--node ADDR] [--key FILE] [--genesis FILE] [--timeout SECONDS] [--json]",
    .description =
        "Asks the node how it is doing: its name and validator index (with the\n"
        "validator's organisation from genesis), the last committed height, its block\n"
        "hash and block time (RFC 3339 UTC, with its age by this machine's clock), the\n"
        "consensus round, connected peers, events and bytes waiting in its mempool,\n"
        "pieces of equivocation evidence it holds, events committed so far, and its\n"
        "storage: ok, full (its data folder has no space left) or error: TEXT (another\n"
        "write failure); while not ok the node holds consensus at the next height and\n"
        "resumes by itself once writes succeed again. An idle network makes a block only\n"
        "every heartbeat (genesis heartbeat_ms, default 60 s), so a block age up to about\n"
        "that long is normal.\n"
        "Then, from the node's governance chain replayed here from the genesis file: the\n"
        "member organisations (name, role, active client keys), the validator set that\n"
        "signs the next height and any next set a governance change announced (a change\n"
        "executed in block H applies from height H + 2), and the pending proposals, one\n"
        "line each (waybill gov list shows them in full). When the governance chain cannot\n"
        "be read, that is said on stderr and the rest is shown from the genesis file.\n",
    .opts = status_opts,
    .opt_count = sizeof status_opts / sizeof status_opts[0],
};


/* The counters of one port's admission (Waybill__AdmissionStats) as JSON. */
static json_t *admission_json(const Waybill__AdmissionStats *a)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "links_up", (json_int_t)a->links_up,
                     "pending", (json_int_t)a->pending, "accepted", (json_int_t)a->accepted,
                     "evicted", (json_int_t)a->evicted, "timed_out", (json_int_t)a->timed_out,
                     "failed", (json_int_t)a->failed, "refused", (json_int_t)a->refused);
}

/* The governance part of --json: members, validator sets, pending
 * proposals. Returns 0 or WB_ERR_NOMEM. */
static int status_gov_json(json_t *o, const struct ledger_gov *gv, uint64_t height)
{
    json_t *members = json_array(), *next = json_array(), *props = json_array();
    bool ok = members && next && props;
    for (size_t i = 0; ok && i < gv->view.org_count; i++) {
        const struct ledger_org *org = &gv->view.orgs[i];
        ok = json_array_append_new(members,
                                   json_pack("{s:o, s:s, s:I}", "org", print_json_text(org->name),
                                             "role", ledger_role_name(org->role), "active_keys",
                                             (json_int_t)org->key_count)) == 0;
    }
    const struct ledger_gov_epoch *now;
    WB_IGNORE_RESULT(ledger_gov_validators_at(gv, height + 1, &now));
    for (size_t i = 0; ok && i < gv->epoch_count; i++)
        if (gv->epochs[i].from_height > height + 1)
            ok = json_array_append_new(next, gov_print_epoch_json(&gv->epochs[i])) == 0;
    for (size_t i = 0; ok && i < gv->proposal_count; i++)
        if (gv->proposals[i].status == LEDGER_PROPOSAL_PENDING)
            ok = json_array_append_new(props, gov_print_proposal_json(gv, &gv->proposals[i])) == 0;
    if (ok) {
        ok = json_object_set_new(o, "members", members) == 0;
        members = NULL;
    }
    if (ok) ok = json_object_set_new(o, "validator_set", gov_print_epoch_json(now)) == 0;
    if (ok) {
        ok = json_object_set_new(o, "next_validator_sets", next) == 0;
        next = NULL;
    }
    if (ok) {
        ok = json_object_set_new(o, "pending_proposals", props) == 0;
        props = NULL;
    }
    if (ok) ok = json_object_set_new(o, "governance_events", json_integer(gv->event_count)) == 0;
    json_decref(members);
    json_decref(next);
    json_decref(props);
    return ok ? WB_OK : WB_ERR_NOMEM;
}

/* "node0 (acme), node1 (oceanic)" */
static void status_set_names(const struct ledger_gov_epoch *e, char *out, size_t cap)
{
    size_t o = 0;
    char a[4 * WB_NODE_NAME_MAX + 8], b[4 * WB_ORG_MAX + 8];
    out[0] = '\0';
    for (size_t i = 0; i < e->count && o < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s%s (%s)", i ? ", " : "",
                              print_safe(e->validators[i].name, a, sizeof a),
                              print_safe(e->validators[i].org, b, sizeof b));
}

/* The governance part of the text output. */
static void status_gov_fields(struct print_table *t, const struct ledger_gov *gv, uint64_t height)
{
    char safe[4 * WB_ORG_MAX + 8], line[PRINT_CELL_MAX];
    print_field(t, "members", "%zu organisations", gv->view.org_count);
    for (size_t i = 0; i < gv->view.org_count; i++) {
        const struct ledger_org *org = &gv->view.orgs[i];
        print_field(t, "", "%s (%s, %zu active key%s)", print_safe(org->name, safe, sizeof safe),
                    ledger_role_name(org->role), org->key_count, org->key_count == 1 ? "" : "s");
    }
    const struct ledger_gov_epoch *now;
    WB_IGNORE_RESULT(ledger_gov_validators_at(gv, height + 1, &now));
    status_set_names(now, line, sizeof line);
    print_field(t, "validators", "%zu from height %llu: %s", now->count,
                (unsigned long long)now->from_height, line);
    for (size_t i = 0; i < gv->epoch_count; i++) {
        const struct ledger_gov_epoch *e = &gv->epochs[i];
        if (e->from_height <= height + 1) continue;
        status_set_names(e, line, sizeof line);
        print_field(t, "next set", "%zu from height %llu: %s", e->count,
                    (unsigned long long)e->from_height, line);
    }
    const struct ledger_gov_proposal *p[WB_GOV_PENDING_MAX];
    size_t n = gov_state_pending(gv, p, WB_GOV_PENDING_MAX);
    print_field(t, "proposals", "%zu pending", n);
    for (size_t i = 0; i < n; i++)
        print_field(t, "", "%s", gov_print_proposal_line(gv, p[i], line, sizeof line));
}

static int status_show(const struct client_opts *co, const struct ledger_genesis *g,
                       const Waybill__NodeStatus *st, const struct ledger_gov *gv)
{
    if (!st || (st->last_hash.len != 0 && st->last_hash.len != WB_HASH_LEN) ||
        (st->chain_id.len != 0 && st->chain_id.len != WB_CHAIN_ID_LEN)) {
        cli_error(co->cmd, "the node answered with a malformed status");
        return CLI_EXIT_FAILED;
    }
    if (st->chain_id.len && memcmp(st->chain_id.data, g->chain_id, WB_CHAIN_ID_LEN) != 0) {
        cli_error(co->cmd, "the node runs another chain than genesis %s (%s)", co->genesis,
                  g->chain_name);
        return CLI_EXIT_FAILED;
    }
    char name[WB_NODE_NAME_MAX * 4 + 8], hash[PRINT_HEX32];
    print_safe(st->name, name, sizeof name);
    /* The validator index is into the set that signs the next height: the
     * genesis set until governance changed it. */
    struct ledger_gov_epoch *set = malloc(sizeof *set);
    if (!set) goto err_nomem;
    if (gv) {
        const struct ledger_gov_epoch *e;
        WB_IGNORE_RESULT(ledger_gov_validators_at(gv, st->height + 1, &e));
        *set = *e;
    } else {
        set->from_height = 1;
        set->count = g->validator_count;
        memcpy(set->validators, g->validators, g->validator_count * sizeof g->validators[0]);
    }
    bool known = st->validator < set->count;
    const char *org = known ? set->validators[st->validator].org : NULL;
    size_t peers_max = set->count ? set->count - 1 : 0;
    if (st->last_hash.len)
        wb_hex_encode(st->last_hash.data, WB_HASH_LEN, hash, sizeof hash);
    else
        snprintf(hash, sizeof hash, "-");
    /* The last block's time; none before the first block. */
    bool has_time = st->height > 0 && st->last_block_time_ms > 0;
    char when[PRINT_TIME_MAX], age[PRINT_AGE_MAX];
    int64_t age_ms = 0;
    if (has_time) {
        print_time(st->last_block_time_ms, when);
        age_ms = cli_now_ms() - st->last_block_time_ms;
        if (age_ms < 0) age_ms = 0; /* the node's clock is ahead of ours */
        print_age(age_ms, age);
    }

    /* A node from before the field sends none: shown as unknown. */
    char storage[256];
    if (st->storage && st->storage[0]) print_safe(st->storage, storage, sizeof storage);
    else storage[0] = '\0';

    if (co->json) {
        json_t *o = json_pack(
            "{s:s, s:s, s:I, s:o, s:I, s:I, s:o, s:I, s:I, s:I, s:I, s:I, s:o}", "name", name,
            "chain", g->chain_name, "validator", (json_int_t)st->validator, "org",
            org ? json_string(org) : json_null(), "height", (json_int_t)st->height, "round",
            (json_int_t)st->round, "last_hash",
            st->last_hash.len ? json_string(hash) : json_null(), "peers_connected",
            (json_int_t)st->peers_connected, "mempool_events", (json_int_t)st->mempool_events,
            "mempool_bytes", (json_int_t)st->mempool_bytes, "evidence",
            (json_int_t)st->evidence_count, "events_committed",
            (json_int_t)st->events_committed, "storage",
            storage[0] ? json_string(storage) : json_null());
        const Waybill__AdmissionStats *adm[2] = {st->api_admission, st->p2p_admission};
        json_t *ao = json_object();
        bool ok = o && ao;
        for (int i = 0; ok && i < 2; i++)
            if (adm[i]) ok = json_object_set_new(ao, i ? "p2p" : "api", admission_json(adm[i])) == 0;
        if (ok) ok = json_object_set_new(o, "admission", ao) == 0;
        else json_decref(ao);
        if (ok && gv) ok = status_gov_json(o, gv, st->height) == WB_OK;
        if (ok)
            ok = json_object_set_new(o, "last_block_time",
                                     has_time ? json_string(when) : json_null()) == 0 &&
                 json_object_set_new(o, "last_block_age_ms",
                                     has_time ? json_integer(age_ms) : json_null()) == 0;
        if (!ok) {
            json_decref(o);
            free(set);
            goto err_nomem;
        }
        int prc = print_json_out(o);
        free(set);
        if (prc == WB_ERR_IO) return CLI_EXIT_FAILED; /* cli_output_finish says so */
        if (prc != WB_OK) goto err_nomem;
        return CLI_EXIT_OK;
    }
    struct print_table t;
    print_fields_init(&t);
    print_field(&t, "node", "%s", name);
    if (known)
        print_field(&t, "validator", "%u (%s, org %s; %zu validators, quorum %zu)",
                    (unsigned)st->validator, set->validators[st->validator].name, org,
                    set->count, set->count * 2 / 3 + 1);
    else if (gv && st->validator == UINT32_MAX)
        print_field(&t, "validator", "none (not in the validator set of height %llu: it follows "
                                     "the chain)",
                    (unsigned long long)st->height + 1);
    else if (gv)
        print_field(&t, "validator", "%u (not in the validator set of height %llu: it lists %zu)",
                    (unsigned)st->validator, (unsigned long long)st->height + 1, set->count);
    else
        print_field(&t, "validator", "%u (not in genesis: it lists %zu validators)",
                    (unsigned)st->validator, g->validator_count);
    free(set);
    print_field(&t, "chain", "%s", g->chain_name);
    print_field(&t, "height", "%llu", (unsigned long long)st->height);
    print_field(&t, "round", "%u", (unsigned)st->round);
    print_field(&t, "last hash", "%s", hash);
    if (has_time)
        print_field(&t, "last block", "%s (%s ago)", when, age);
    else
        print_field(&t, "last block", "none yet");
    print_field(&t, "peers", "%u of %zu connected", (unsigned)st->peers_connected, peers_max);
    print_field(&t, "mempool", "%u events, %llu bytes", (unsigned)st->mempool_events,
                (unsigned long long)st->mempool_bytes);
    print_field(&t, "evidence", "%llu", (unsigned long long)st->evidence_count);
    print_field(&t, "events", "%llu committed", (unsigned long long)st->events_committed);
    print_field(&t, "storage", "%s", storage[0] ? storage : "unknown (the node does not say)");
    const Waybill__AdmissionStats *adm[2] = {st->api_admission, st->p2p_admission};
    for (int i = 0; i < 2; i++) {
        const Waybill__AdmissionStats *a = adm[i];
        if (!a) continue;
        print_field(&t, i ? "p2p port" : "api port",
                    "%u up, %u in handshake; since start %llu accepted, %llu evicted, "
                    "%llu timed out, %llu failed, %llu refused",
                    (unsigned)a->links_up, (unsigned)a->pending, (unsigned long long)a->accepted,
                    (unsigned long long)a->evicted, (unsigned long long)a->timed_out,
                    (unsigned long long)a->failed, (unsigned long long)a->refused);
    }
    if (gv) status_gov_fields(&t, gv, st->height);
    int rc = print_table_out(&t, stdout);
    print_table_free(&t);
    if (rc != WB_OK) goto err_nomem;
    return CLI_EXIT_OK;
err_nomem:
    cli_error(co->cmd, "out of memory");
    return CLI_EXIT_FAILED;
}

int cmd_status_via(const struct client_connector *conn, int argc, char **argv)
{
    struct client_opts co;
    struct cli_args args;
    client_opts_init(&co, "status");
    int ex = client_args_parse(&args, &status_usage, argc, argv, &co, NULL, NULL);
    if (ex == CLIENT_HELP_SHOWN) return CLI_EXIT_OK;
    if (ex != CLI_EXIT_OK) return ex;
    if (args.pos_count)
        return cli_usage_error(&status_usage, "unexpected argument '%s'", args.pos[0]);
    ex = client_opts_finish(&co, &status_usage, true);
    if (ex != CLI_EXIT_OK) return ex;

    struct client_session s;
    ex = client_session_open(&s, &co, conn);
    if (ex != CLI_EXIT_OK) goto close_session;
    Waybill__StatusRequest sr = WAYBILL__STATUS_REQUEST__INIT;
    Waybill__ClientRequest req = WAYBILL__CLIENT_REQUEST__INIT;
    Waybill__ClientResponse *resp;
    req.req_case = WAYBILL__CLIENT_REQUEST__REQ_STATUS;
    req.status = &sr;
    int rc = client_call(&s.c, &req, WAYBILL__CLIENT_RESPONSE__RESP_STATUS, &resp);
    if (rc != WB_OK) {
        ex = client_fail(&s.c, rc, NULL);
        goto close_session;
    }
    /* The governance part is extra: without it the status is still shown. */
    struct ledger_gov gv;
    bool have_gov = gov_state_load(&s, &gv) == CLI_EXIT_OK;
    if (have_gov && resp->status) ledger_gov_advance(&gv, resp->status->height,
                                                     resp->status->last_block_time_ms);
    if (!have_gov)
        cli_error(co.cmd, "the governance chain could not be read: members and validators are "
                          "shown from the genesis file");
    ex = status_show(&co, s.genesis, resp->status, have_gov ? &gv : NULL);
    if (have_gov) ledger_gov_free(&gv);
    waybill__client_response__free_unpacked(resp, NULL);
close_session:
    client_session_close(&s);
    return ex;
}

int cmd_status(int argc, char **argv) { return cmd_status_via(client_net_connector(), argc, argv); }
