/* Fuzz target: one line of a readings file (ledger/readings.h) through
 * ledger_reading_parse. A refused line answers WB_ERR_INVALID with a
 * printable message and a zeroed reading; an accepted one is an
 * observation of a report kind that ledger_device_obs_check accepts, a
 * report of it encodes and decodes back to the same observation, and its
 * item, when named, is a valid item id. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wb_error.h"
#include "ledger/device.h"
#include "ledger/ids.h"
#include "ledger/readings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "readings target: %s (%s)\n", what, detail);
    abort();
}

static bool zeroed(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i]) return false;
    return true;
}

static void check_accepted(const struct ledger_reading *r)
{
    char msg[256];
    if (!ledger_action_is_report(r->kind)) fail("kind", "not a report kind");
    if (ledger_device_obs_check(r->kind, &r->obs, msg, sizeof msg) != WB_OK)
        fail("observation refused by the report's check", msg);
    if (r->item[0] && ledger_item_id_check(r->item, NULL, msg, sizeof msg) != WB_OK)
        fail("item", msg);
    static struct ledger_device_report rep, back;
    memset(&rep, 0, sizeof rep);
    memset(rep.device, 7, sizeof rep.device);
    snprintf(rep.item, sizeof rep.item, "%s", r->item[0] ? r->item : "CSQU3054383");
    rep.kind = r->kind;
    rep.seq = 1;
    rep.obs_count = 1;
    rep.obs[0] = r->obs;
    static uint8_t buf[WB_DEVICE_REPORT_MAX];
    size_t len;
    if (ledger_device_report_encode(&rep, buf, sizeof buf, &len, msg, sizeof msg) != WB_OK)
        fail("encode", msg);
    if (ledger_device_report_decode(buf, len, &back, msg, sizeof msg) != WB_OK)
        fail("decode of the encoding", msg);
    const struct ledger_device_obs *a = &r->obs, *b = &back.obs[0];
    if (a->time_ms != b->time_ms || a->seal_state != b->seal_state || strcmp(a->seal, b->seal) ||
        a->lat_e6 != b->lat_e6 || a->lon_e6 != b->lon_e6 || a->accuracy_m != b->accuracy_m ||
        strcmp(a->locode, b->locode) || a->measure != b->measure ||
        a->value_milli != b->value_milli)
        fail("round trip", "the decoded observation differs");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ledger_reading r;
    char msg[256];
    memset(msg, 'x', sizeof msg);
    int rc = ledger_reading_parse((const char *)data, size, &r, msg, sizeof msg);
    if (rc == WB_OK) {
        check_accepted(&r);
        return 0;
    }
    if (rc != WB_ERR_INVALID) fail("return code", wb_strerror(rc));
    if (!memchr(msg, '\0', sizeof msg) || msg[0] == '\0') fail("message", "empty or unterminated");
    if (!zeroed(&r, sizeof r)) fail("refused reading", "not zeroed");
    return 0;
}
