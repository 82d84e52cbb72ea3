/* Fuzz target: genesis JSON through ledger_genesis_parse, checking the
 * promises of genesis.h on what a parsed genesis holds. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "common/wb_error.h"
#include "ledger/genesis.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "genesis target: %s (%s)\n", what, detail);
    abort();
}

static void check_parsed(const struct ledger_genesis *g)
{
    size_t name_len = strnlen(g->chain_name, sizeof g->chain_name);
    if (name_len == 0 || name_len > WB_CHAIN_NAME_MAX) fail("chain name length", g->chain_name);
    uint8_t id[WB_CHAIN_ID_LEN];
    ledger_chain_id(g->chain_name, id);
    if (memcmp(id, g->chain_id, WB_CHAIN_ID_LEN) != 0) fail("chain id", g->chain_name);
    if (g->org_count == 0 || g->org_count > WB_ORGS_MAX) fail("org count", "");
    if (g->validator_count == 0 || g->validator_count > WB_VALIDATORS_MAX)
        fail("validator count", "");
    size_t q = ledger_genesis_quorum(g);
    if (q == 0 || q > g->validator_count) fail("quorum", "");
    if (g->heartbeat_ms < WB_HEARTBEAT_MS_MIN || g->heartbeat_ms > WB_HEARTBEAT_MS_MAX)
        fail("heartbeat out of range", "");
    for (size_t i = 0; i < g->org_count; i++) {
        const struct ledger_org *o = &g->orgs[i];
        size_t len = strnlen(o->name, sizeof o->name);
        if (len == 0 || len > WB_ORG_MAX) fail("org name length", o->name);
        if (o->role == LEDGER_ROLE_NONE || !ledger_role_name(o->role)) fail("org role", o->name);
        if (o->key_count == 0 || o->key_count > WB_ORG_KEYS_MAX) fail("org key count", o->name);
        if (ledger_genesis_org_by_name(g, o->name) != (int)i) fail("org names unique", o->name);
        for (size_t k = 0; k < o->key_count; k++) {
            if (ledger_genesis_org_of_key(g, o->keys[k]) != (int)i)
                fail("client key in two orgs", o->name);
            if (ledger_genesis_validator_of_key(g, o->keys[k]) >= 0)
                fail("client key is also a validator key", o->name);
        }
    }
    for (size_t i = 0; i < g->validator_count; i++) {
        const struct ledger_validator *v = &g->validators[i];
        size_t len = strnlen(v->name, sizeof v->name);
        if (len == 0 || len > WB_NODE_NAME_MAX) fail("validator name length", v->name);
        if (ledger_genesis_org_by_name(g, v->org) < 0) fail("validator org not a member", v->org);
        if (ledger_genesis_validator_of_key(g, v->key) != (int)i)
            fail("validator key twice", v->name);
        struct wb_addr a, b;
        if (strnlen(v->p2p, sizeof v->p2p) > WB_ADDR_MAX ||
            wb_addr_parse(v->p2p, &a, NULL, 0) != WB_OK)
            fail("validator p2p not host:port", v->p2p);
        for (size_t j = 0; j < i; j++) {
            if (strcmp(g->validators[j].name, v->name) == 0) fail("validator name twice", v->name);
            if (wb_addr_parse(g->validators[j].p2p, &b, NULL, 0) == WB_OK &&
                wb_addr_equal(&a, &b))
                fail("p2p address twice", v->p2p);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ledger_genesis g;
    char msg[512] = "";
    int rc = ledger_genesis_parse(data, size, &g, msg, sizeof msg);
    if (rc == WB_OK) {
        check_parsed(&g);
    } else {
        if (rc != WB_ERR_CONFIG) fail("unexpected return code", wb_strerror(rc));
        if (!msg[0]) fail("failure without a message", "");
        if (!memchr(msg, '\0', sizeof msg)) fail("message not terminated", "");
    }
    return 0;
}
