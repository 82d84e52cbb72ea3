/* The governance state in words and JSON (cli/gov_print.h). */
#include "cli/gov_print.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/gov_state.h"
#include "cli/print.h"
#include "common/hex.h"

#define SAFE_MAX (4 * WB_ATTR_VALUE_MAX + 8)

const char *gov_print_kind(enum ledger_gov_kind k)
{
    switch (k) {
    case LEDGER_GOV_ADD_MEMBER:
        return "add-member";
    case LEDGER_GOV_REMOVE_MEMBER:
        return "remove-member";
    case LEDGER_GOV_ADD_VALIDATOR:
        return "add-validator";
    case LEDGER_GOV_REMOVE_VALIDATOR:
        return "remove-validator";
    case LEDGER_GOV_SET_PARAM:
        return "set-param";
    default:
        return "unknown";
    }
}

char *gov_print_summary(const struct ledger_gov_action *a, char *out, size_t cap)
{
    char s1[SAFE_MAX], s2[SAFE_MAX], s3[SAFE_MAX], s4[SAFE_MAX], sh[PRINT_SHORT_HEX];
    switch (a->kind) {
    case LEDGER_GOV_ADD_MEMBER:
        snprintf(out, cap, "add member '%s' (%s, %zu key%s)",
                 print_safe(a->member.name, s1, sizeof s1), ledger_role_name(a->member.role),
                 a->member.key_count, a->member.key_count == 1 ? "" : "s");
        break;
    case LEDGER_GOV_REMOVE_MEMBER:
        snprintf(out, cap, "remove member '%s'", print_safe(a->member.name, s1, sizeof s1));
        break;
    case LEDGER_GOV_ADD_VALIDATOR:
        snprintf(out, cap, "add validator '%s' (org '%s', key %s..., p2p %s%s%s)",
                 print_safe(a->validator.name, s1, sizeof s1),
                 print_safe(a->validator.org, s2, sizeof s2),
                 print_short_hex(a->validator.key, sh),
                 print_safe(a->validator.p2p, s3, sizeof s3), a->validator.api[0] ? ", api " : "",
                 a->validator.api[0] ? print_safe(a->validator.api, s4, sizeof s4) : "");
        break;
    case LEDGER_GOV_REMOVE_VALIDATOR:
        snprintf(out, cap, "remove validator '%s'",
                 print_safe(a->validator.name, s1, sizeof s1));
        break;
    case LEDGER_GOV_SET_PARAM:
        snprintf(out, cap, "set %s to %" PRId64, ledger_gov_param_name(a->param), a->value);
        break;
    default:
        snprintf(out, cap, "unknown change");
        break;
    }
    return out;
}

static bool epoch_has(const struct ledger_gov_epoch *e, const uint8_t pk[WB_PUBKEY_LEN])
{
    for (size_t i = 0; i < e->count; i++)
        if (memcmp(e->validators[i].key, pk, WB_PUBKEY_LEN) == 0) return true;
    return false;
}

char *gov_print_key_status(const struct ledger_gov *gv, const struct ledger_gov_key *k,
                           char *out, size_t cap)
{
    char t[PRINT_TIME_MAX];
    if (k->org_removed) {
        snprintf(out, cap, "org removed at height %" PRIu64, k->revoked_height);
    } else if (k->revoked == LEDGER_REVOKE_COMPROMISED) {
        snprintf(out, cap, "revoked as compromised since %s at height %" PRIu64,
                 print_time(k->since_ms, t), k->revoked_height);
    } else if (k->revoked == LEDGER_REVOKE_RETIRED) {
        snprintf(out, cap, "revoked as retired at height %" PRIu64, k->revoked_height);
    } else if (k->validator && ledger_genesis_validator_of_key(&gv->view, k->pk) < 0) {
        /* The first height of an epoch without it, after one with it. */
        uint64_t gone = 0;
        for (size_t i = 1; i < gv->epoch_count; i++)
            if (epoch_has(&gv->epochs[i - 1], k->pk) && !epoch_has(&gv->epochs[i], k->pk))
                gone = gv->epochs[i].from_height;
        if (gone > gv->height + 1)
            snprintf(out, cap, "leaves the validator set at height %" PRIu64, gone);
        else
            snprintf(out, cap, "not a validator since height %" PRIu64, gone);
    } else {
        snprintf(out, cap, "active");
    }
    return out;
}

char *gov_print_approvals(const struct ledger_gov *gv, const struct ledger_gov_proposal *p,
                          char *out, size_t cap)
{
    /* An executed proposal had what it needed then; the count now would
     * compare with a threshold the change itself may have moved. */
    int n = p->status == LEDGER_PROPOSAL_EXECUTED
                ? snprintf(out, cap, "approvals %zu", p->approval_count)
                : snprintf(out, cap, "approvals %zu/%zu", gov_state_approvals(gv, p),
                           ledger_gov_threshold(gv));
    size_t o = n > 0 ? (size_t)n : 0;
    char safe[4 * WB_ORG_MAX + 8];
    for (size_t i = 0; i < p->approval_count && o < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? ", " : " (",
                              print_safe(p->approvers[i], safe, sizeof safe));
    if (p->approval_count && o < cap) snprintf(out + o, cap - o, ")");
    return out;
}

char *gov_print_proposal_line(const struct ledger_gov *gv, const struct ledger_gov_proposal *p,
                              char *out, size_t cap)
{
    char sh[PRINT_SHORT_HEX], sum[GOV_PRINT_LINE_MAX], ap[GOV_PRINT_LINE_MAX], t[PRINT_TIME_MAX];
    gov_print_summary(&p->action, sum, sizeof sum);
    gov_print_approvals(gv, p, ap, sizeof ap);
    if (p->status == LEDGER_PROPOSAL_EXECUTED)
        snprintf(out, cap, "%s %s: %s, executed at height %" PRIu64, print_short_hex(p->id, sh),
                 sum, ap, p->executed_height);
    else
        snprintf(out, cap, "%s %s: %s, %s %s", print_short_hex(p->id, sh), sum, ap,
                 p->status == LEDGER_PROPOSAL_EXPIRED ? "expired" : "expires",
                 print_time(gov_state_expires_ms(gv, p), t));
    return out;
}

static json_t *opt_text(const char *s) { return s[0] ? print_json_text(s) : json_null(); }

static json_t *validator_json(const struct ledger_validator *v)
{
    return json_pack("{s:o, s:o, s:o, s:o, s:o}", "name", print_json_text(v->name), "org",
                     print_json_text(v->org), "key", print_json_hex(v->key, WB_PUBKEY_LEN),
                     "p2p", print_json_text(v->p2p), "api", opt_text(v->api));
}

/* The change's arguments, as the attributes name them. */
static json_t *change_json(const struct ledger_gov_action *a)
{
    json_t *keys;
    switch (a->kind) {
    case LEDGER_GOV_ADD_MEMBER:
        keys = json_array();
        for (size_t i = 0; keys && i < a->member.key_count; i++)
            if (json_array_append_new(keys, print_json_hex(a->member.keys[i], WB_PUBKEY_LEN))) {
                json_decref(keys);
                keys = NULL;
            }
        return json_pack("{s:o, s:s, s:o}", "org", print_json_text(a->member.name), "role",
                         ledger_role_name(a->member.role), "keys", keys);
    case LEDGER_GOV_REMOVE_MEMBER:
        return json_pack("{s:o}", "org", print_json_text(a->member.name));
    case LEDGER_GOV_ADD_VALIDATOR:
        return validator_json(&a->validator);
    case LEDGER_GOV_REMOVE_VALIDATOR:
        return json_pack("{s:o}", "name", print_json_text(a->validator.name));
    default:
        return json_pack("{s:s, s:I}", "param", ledger_gov_param_name(a->param), "value",
                         (json_int_t)a->value);
    }
}

json_t *gov_print_proposal_json(const struct ledger_gov *gv, const struct ledger_gov_proposal *p)
{
    char sum[GOV_PRINT_LINE_MAX], t[PRINT_TIME_MAX], te[PRINT_TIME_MAX];
    json_t *approvers = json_array();
    for (size_t i = 0; approvers && i < p->approval_count; i++)
        if (json_array_append_new(approvers,
                                  json_pack("{s:o, s:I}", "org", print_json_text(p->approvers[i]),
                                            "height", (json_int_t)p->approval_heights[i]))) {
            json_decref(approvers);
            approvers = NULL;
        }
    int64_t exp = gov_state_expires_ms(gv, p);
    bool executed = p->status == LEDGER_PROPOSAL_EXECUTED;
    return json_pack(
        "{s:o, s:s, s:s, s:o, s:o, s:o, s:I, s:I, s:s, s:s, s:I, s:o, s:o, s:I, s:s, s:o}",
        "id", print_json_hex(p->id, WB_HASH_LEN), "kind", ledger_gov_kind_name(p->action.kind),
        "summary", gov_print_summary(&p->action, sum, sizeof sum), "change",
        change_json(&p->action), "note", opt_text(p->action.note), "proposer",
        print_json_text(p->proposer), "height", (json_int_t)p->height, "time_ms",
        (json_int_t)p->time_ms, "time", print_time(p->time_ms, t), "status",
        ledger_gov_status_name(p->status), "approvals",
        (json_int_t)(executed ? p->approval_count : gov_state_approvals(gv, p)), "needed",
        executed ? json_null() : json_integer((json_int_t)ledger_gov_threshold(gv)),
        "approvers", approvers, "expires_ms", (json_int_t)exp, "expires", print_time(exp, te),
        "executed_height", executed ? json_integer((json_int_t)p->executed_height) : json_null());
}

json_t *gov_print_key_json(const struct ledger_gov *gv, const struct ledger_gov_key *k)
{
    char st[GOV_PRINT_LINE_MAX], t1[PRINT_TIME_MAX], t2[PRINT_TIME_MAX];
    bool revoked = k->revoked != LEDGER_REVOKE_NONE;
    return json_pack("{s:o, s:o, s:b, s:I, s:s, s:o, s:o, s:o, s:o, s:b}", "key",
                     print_json_hex(k->pk, WB_PUBKEY_LEN), "org", print_json_text(k->org),
                     "validator", k->validator, "added_height", (json_int_t)k->added_height,
                     "status", gov_print_key_status(gv, k, st, sizeof st), "revoked",
                     revoked ? json_string(ledger_revoke_reason_name(k->revoked)) : json_null(),
                     "revoked_height",
                     revoked ? json_integer((json_int_t)k->revoked_height) : json_null(),
                     "revoked_time",
                     revoked ? json_string(print_time(k->revoked_time_ms, t1)) : json_null(),
                     "since", revoked ? json_string(print_time(k->since_ms, t2)) : json_null(),
                     "org_removed", k->org_removed);
}

json_t *gov_print_epoch_json(const struct ledger_gov_epoch *e)
{
    json_t *vs = json_array();
    for (size_t i = 0; vs && i < e->count; i++)
        if (json_array_append_new(vs, validator_json(&e->validators[i]))) {
            json_decref(vs);
            vs = NULL;
        }
    return json_pack("{s:I, s:o}", "from_height", (json_int_t)e->from_height, "validators", vs);
}
