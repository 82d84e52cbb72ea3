/* Fuzz target: Block bytes through ledger_block_decode (accepted bytes
 * and their header decode and re-encode to themselves), then
 * ledger_block_check as block 1 of the fixed chain over an empty state
 * (every item new), with and without the resulting item states. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wb_error.h"
#include "fuzz_fixture.h"
#include "ledger/block.h"
#include "ledger/validate.h"
#include "proto/waybill.pb-c.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fx fixture;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fx_init(&fixture);
    return 0;
}

static void fail(const char *what, const char *msg)
{
    fprintf(stderr, "block target: %s (%s)\n", what, msg);
    abort();
}

static int empty_state(void *ctx, const char *item, struct ledger_item_state *st)
{
    (void)ctx;
    (void)st;
    if (strlen(item) > WB_ITEM_MAX) fail("lookup of an item id over the limit", item);
    return WB_ERR_NOT_FOUND;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ledger_block b;
    int rc = ledger_block_decode(data, size, &b);
    if (rc) {
        if (rc != WB_ERR_DECODE && rc != WB_ERR_NOMEM) fail("decode: unexpected code", "");
        return 0;
    }
    if (b.event_count != b.header.event_count) fail("event count differs from header", "");
    fx_assert_canonical(&waybill__block__descriptor, data, size, "block");
    fx_assert_canonical(&waybill__block_header__descriptor, b.header_bytes, b.header_len,
                        "block header");
    uint8_t hash[WB_HASH_LEN];
    ledger_sha256(b.header_bytes, b.header_len, hash);
    if (memcmp(hash, b.hash, WB_HASH_LEN) != 0) fail("block hash is not the header hash", "");
    for (size_t i = 0; i < b.event_count; i++)
        if (!b.events[i] && b.lens[i]) fail("event without bytes", "");

    struct ledger_block_ctx bc = {
        .genesis = fixture.g,
        .height = FX_BLOCK_HEIGHT,
        .prev_time_ms = FX_GENESIS_MS,
        .now_ms = FX_NOW_MS,
        .drift_max_ms = FX_DRIFT_MS,
        .events_max = FX_EVENTS_MAX,
        .lookup = empty_state,
    };
    char msg[512] = "";
    struct ledger_item_state *states = NULL;
    size_t n_states = 0;
    rc = ledger_block_check(&bc, &b, &states, &n_states, msg, sizeof msg);
    if (rc == WB_OK) {
        if (n_states > b.event_count) fail("more item states than events", "");
        for (size_t i = 0; i < n_states; i++) {
            if (strlen(states[i].item) == 0 || strlen(states[i].item) > WB_ITEM_MAX)
                fail("item state without a valid item", "");
            if (states[i].count == 0 || states[i].last_height != FX_BLOCK_HEIGHT)
                fail("item state not advanced by the block", states[i].item);
        }
    } else if (rc == WB_ERR_INVALID) {
        if (!msg[0]) fail("invalid block without a reason", "");
        if (states || n_states) fail("states handed out for an invalid block", msg);
    } else if (rc != WB_ERR_NOMEM) {
        fail("check: unexpected code", wb_strerror(rc));
    }
    free(states);

    /* The same check without states_out must agree. */
    char msg2[512] = "";
    int rc2 = ledger_block_check(&bc, &b, NULL, NULL, msg2, sizeof msg2);
    if (rc2 != rc || strcmp(msg, msg2) != 0) fail("check differs without states_out", msg2);
    ledger_block_free(&b);
    return 0;
}
