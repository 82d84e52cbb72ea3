/* Fuzz target: governance attributes through ledger_gov_action_decode, and
 * what decodes through ledger_gov_check / ledger_gov_apply on the fixed
 * chain's governance state (with one pending proposal, GOV_FUZZ_PROPOSAL,
 * for approvals to name).
 *
 * Input: byte 0 picks the action (bits 0-1 and 4: key_add, key_revoke,
 * gov_propose, gov_approve, device_register, device_retire, the last two
 * again for 6 and 7) and the submitter (bits 2-3: the fixture's
 * organisation); the rest is attributes, one "key=value" per line (lines
 * without '=' or over the attribute limits are skipped, at most
 * WB_ATTRS_MAX taken).
 *
 * Checks: decode returns 0 or WB_ERR_INVALID, with a message and a zeroed
 * action on error; what decodes encodes, and decodes back to the same
 * action (one meaning per action); a check refusal is WB_ERR_RULE with a
 * reason ending "(rule gov_...)"; an applied event leaves the state within
 * its bounds (epochs ascending from height 1, pending proposals at most
 * WB_GOV_PENDING_MAX, active keys per organisation at most
 * WB_ORG_KEYS_MAX, at least one validator) and a clone equal to it. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wb_error.h"
#include "fuzz_fixture.h"
#include "tests/fuzz/fuzz_attrs.h"
#include "ledger/gov.h"
#include "ledger/sha256.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define GOV_FUZZ_HEIGHT 3
#define GOV_FUZZ_BLOCK_MS (FX_GENESIS_MS + 3000)

static struct fx fixture;
static struct ledger_gov base;

static void fail(const char *what, const char *msg)
{
    fprintf(stderr, "gov target: %s (%s)\n", what, msg);
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fx_init(&fixture);
    if (ledger_gov_init(&base, fixture.g)) fx_die("ledger_gov_init failed");
    /* A pending proposal by acme at height 1 (its id: SHA-256 of "gov-fuzz"). */
    static struct ledger_event ev;
    struct ledger_gov_action a;
    memset(&a, 0, sizeof a);
    a.action = LEDGER_GOV_PROPOSE;
    a.kind = LEDGER_GOV_SET_PARAM;
    a.param = LEDGER_PARAM_HEARTBEAT_MS;
    a.value = 5000;
    char msg[256] = "";
    if (ledger_gov_action_encode(&a, &ev, msg, sizeof msg)) fx_die(msg);
    ev.time_ms = FX_GENESIS_MS + 1000;
    memcpy(ev.submitter, fixture.client_pk[0], WB_PUBKEY_LEN);
    ledger_sha256((const uint8_t *)"gov-fuzz", 8, ev.id);
    if (ledger_gov_check(&base, &ev, 1, FX_GENESIS_MS + 1000, msg, sizeof msg) ||
        ledger_gov_apply(&base, &ev, 1, FX_GENESIS_MS + 1000, NULL))
        fx_die("the fixture's proposal is refused");
    return 0;
}

static void check_bounds(const struct ledger_gov *gv)
{
    if (gv->epoch_count < 1 || gv->epochs[0].from_height != 1) fail("epoch 0 lost", "");
    for (size_t i = 1; i < gv->epoch_count; i++)
        if (gv->epochs[i].from_height <= gv->epochs[i - 1].from_height)
            fail("epochs not ascending", "");
    if (gv->view.validator_count < 1 || gv->view.validator_count > WB_VALIDATORS_MAX)
        fail("validator count out of bounds", "");
    size_t pending = 0;
    for (size_t i = 0; i < gv->proposal_count; i++)
        if (gv->proposals[i].status == LEDGER_PROPOSAL_PENDING) pending++;
    if (pending > WB_GOV_PENDING_MAX) fail("too many pending proposals", "");
    for (size_t i = 0; i < gv->view.org_count; i++)
        if (gv->view.orgs[i].key_count < 1 || gv->view.orgs[i].key_count > WB_ORG_KEYS_MAX)
            fail("an organisation's key count out of bounds", gv->view.orgs[i].name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    static struct ledger_event ev, again;
    static struct ledger_gov_action a, b;
    static const struct ledger_gov_action zero;
    memset(&ev, 0, sizeof ev);
    snprintf(ev.item, sizeof ev.item, "%s", WB_GOV_CHAIN);
    int pick = (data[0] & 3) | ((data[0] >> 2) & 4);
    if (pick >= 6) pick -= 2;
    ev.action = (enum ledger_action)(LEDGER_KEY_ADD + pick);
    int org = (data[0] >> 2) & 3;
    memcpy(ev.submitter, fixture.client_pk[org], WB_PUBKEY_LEN);
    ev.time_ms = GOV_FUZZ_BLOCK_MS;
    ledger_sha256(data, size, ev.id);
    fuzz_parse_attrs(data + 1, size - 1, &ev);

    char msg[512] = "";
    int rc = ledger_gov_action_decode(&ev, &a, msg, sizeof msg);
    if (rc) {
        if (rc != WB_ERR_INVALID) fail("unexpected return code", wb_strerror(rc));
        if (!msg[0]) fail("refused without a message", "");
        if (memcmp(&a, &zero, sizeof a) != 0) fail("action not zeroed on error", msg);
        return 0;
    }
    if (a.action != ev.action) fail("decoded another action", "");

    /* One meaning: encode and decode again give the same action. */
    memset(&again, 0, sizeof again);
    rc = ledger_gov_action_encode(&a, &again, msg, sizeof msg);
    if (rc) fail("a decoded action does not encode", msg);
    if (again.attr_count > ev.attr_count) fail("encode wrote attributes the input lacked", "");
    rc = ledger_gov_action_decode(&again, &b, msg, sizeof msg);
    if (rc) fail("an encoded action does not decode", msg);
    if (memcmp(&a, &b, sizeof a) != 0) fail("encode/decode changed the action", "");

    /* Through the state machine. */
    struct ledger_gov gv;
    if (ledger_gov_clone(&gv, &base)) fail("clone failed", "");
    char reason[512] = "";
    rc = ledger_gov_check(&gv, &ev, GOV_FUZZ_HEIGHT, GOV_FUZZ_BLOCK_MS, reason, sizeof reason);
    if (rc) {
        if (rc != WB_ERR_RULE) fail("check: unexpected return code", wb_strerror(rc));
        const char *r = strstr(reason, "(rule gov_");
        if (!r || r[strlen(r) - 1] != ')') fail("refusal without its rule", reason);
    } else {
        struct ledger_gov_effect eff;
        if (ledger_gov_apply(&gv, &ev, GOV_FUZZ_HEIGHT, GOV_FUZZ_BLOCK_MS, &eff))
            fail("apply failed", "");
        if (gv.event_count != base.event_count + 1) fail("event not counted", "");
        if (memcmp(gv.head, ev.id, WB_HASH_LEN) != 0) fail("head not the event", "");
        if (eff.validators_changed &&
            gv.epochs[gv.epoch_count - 1].from_height != GOV_FUZZ_HEIGHT + 2)
            fail("validator change not from height + 2", "");
        check_bounds(&gv);
        struct ledger_gov copy;
        if (ledger_gov_clone(&copy, &gv)) fail("clone failed", "");
        if (copy.key_count != gv.key_count ||
            memcmp(copy.keys, gv.keys, gv.key_count * sizeof *gv.keys) != 0 ||
            memcmp(&copy.view, &gv.view, sizeof gv.view) != 0)
            fail("clone differs", "");
        ledger_gov_free(&copy);
    }
    ledger_gov_free(&gv);
    return 0;
}
