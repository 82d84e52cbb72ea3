/* Route plans (ledger/plan.h): the strict decode and the encode of a
 * plan_set event's attributes. */
#include "ledger/plan.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/wb_error.h"
#include "ledger/ids.h"

static const char *const mode_names[] = {
    [LEDGER_MODE_NONE] = NULL,          [LEDGER_MODE_SEA] = "sea",
    [LEDGER_MODE_INLAND_WATER] = "inland_water", [LEDGER_MODE_RAIL] = "rail",
    [LEDGER_MODE_ROAD] = "road",        [LEDGER_MODE_AIR] = "air",
};
#define MODE_COUNT (sizeof mode_names / sizeof mode_names[0])

const char *ledger_mode_name(enum ledger_mode m)
{
    return (unsigned)m < MODE_COUNT ? mode_names[m] : NULL;
}

enum ledger_mode ledger_mode_parse(const char *s)
{
    if (!s) return LEDGER_MODE_NONE;
    for (unsigned i = 1; i < MODE_COUNT; i++)
        if (strcmp(s, mode_names[i]) == 0) return (enum ledger_mode)i;
    return LEDGER_MODE_NONE;
}

static int bad(char *msg, size_t msg_len, const char *key, const char *what)
{
    return wb_failf(WB_ERR_INVALID, msg, msg_len, "plan_set: %s: %s", key, what);
}

/* "LOCODE FROM TO MODE", one space apart. */
static int parse_stop(const char *key, const char *v, bool last, struct ledger_plan_stop *s,
                      char *msg, size_t msg_len)
{
    const char *f[4];
    size_t len[4], n = 0;
    const char *p = v;
    while (n < 4) {
        const char *sp = strchr(p, ' ');
        f[n] = p;
        len[n] = sp ? (size_t)(sp - p) : strlen(p);
        n++;
        if (!sp) break;
        p = sp + 1;
    }
    if (n != 4 || strchr(f[3], ' '))
        return bad(msg, msg_len, key,
                   "must be \"LOCODE FROM TO MODE\" (four fields, one space apart)");
    for (size_t i = 0; i < 4; i++)
        if (len[i] == 0) return bad(msg, msg_len, key, "has an empty field (one space apart)");
    if (!ledger_locode_ok(f[0], len[0]))
        return bad(msg, msg_len, key, "the stop is not a UN/LOCODE (such as NLRTM)");
    memcpy(s->locode, f[0], 5);
    s->locode[5] = '\0';
    if (!ledger_time_parse(f[1], len[1], &s->arrive_from_ms) ||
        !ledger_time_parse(f[2], len[2], &s->arrive_to_ms))
        return bad(msg, msg_len, key,
                   "FROM and TO must be RFC 3339 UTC times such as 2026-03-01T00:00:00Z");
    if (s->arrive_to_ms < s->arrive_from_ms)
        return bad(msg, msg_len, key, "arrival window ends before it starts");
    if (len[3] == 1 && f[3][0] == '-') {
        if (!last)
            return bad(msg, msg_len, key,
                       "'-' is the mode of the last stop only; name the mode of the leg to "
                       "the next stop");
        s->leg_mode = LEDGER_MODE_NONE;
        return WB_OK;
    }
    char mode[16];
    if (len[3] >= sizeof mode) return bad(msg, msg_len, key, "unknown transport mode");
    memcpy(mode, f[3], len[3]);
    mode[len[3]] = '\0';
    s->leg_mode = ledger_mode_parse(mode);
    if (s->leg_mode == LEDGER_MODE_NONE)
        return bad(msg, msg_len, key,
                   "the mode must be sea, inland_water, rail, road or air ('-' on the last "
                   "stop)");
    if (last) return bad(msg, msg_len, key, "the last stop has mode '-' (no leg leaves it)");
    return WB_OK;
}

int ledger_plan_decode(const struct ledger_event *ev, struct ledger_plan *p, char *msg,
                       size_t msg_len)
{
    memset(p, 0, sizeof *p);
    int rc = WB_ERR_INVALID;
    if (ev->location[0]) {
        rc = wb_failf(WB_ERR_INVALID, msg, msg_len, "plan_set: a plan has no location of its own; its stops "
                                   "are in attributes stop1..stopN");
        goto fail;
    }
    const char *corridor = ledger_event_attr(ev, "corridor_km");
    if (!corridor) {
        rc = wb_failf(WB_ERR_INVALID, msg, msg_len, "plan_set: attribute corridor_km is required (1 to %d)",
                 WB_PLAN_CORRIDOR_KM_MAX);
        goto fail;
    }
    char *end;
    long km = (corridor[0] >= '1' && corridor[0] <= '9') ? strtol(corridor, &end, 10) : 0;
    if (km < 1 || km > WB_PLAN_CORRIDOR_KM_MAX || *end) {
        rc = wb_failf(WB_ERR_INVALID, msg, msg_len, "plan_set: corridor_km must be an integer from 1 to %d",
                 WB_PLAN_CORRIDOR_KM_MAX);
        goto fail;
    }
    p->corridor_km = (uint32_t)km;
    /* Count the stops: stop1..stopN without gaps, and nothing else, once. */
    size_t stops = 0;
    char key[16];
    for (size_t i = 1; i <= WB_ATTRS_MAX; i++) {
        snprintf(key, sizeof key, "stop%zu", i);
        if (!ledger_event_attr(ev, key)) break;
        stops = i;
    }
    if (ev->attr_count != stops + 1) {
        for (size_t i = 0; i < ev->attr_count; i++) {
            const char *k = ev->attrs[i].key;
            bool known = strcmp(k, "corridor_km") == 0;
            for (size_t j = 1; j <= stops && !known; j++) {
                snprintf(key, sizeof key, "stop%zu", j);
                known = strcmp(k, key) == 0;
            }
            if (!known) {
                rc = wb_failf(WB_ERR_INVALID, msg, msg_len,
                         "plan_set: attribute '%s' is not one a plan takes (corridor_km, "
                         "stop1..stopN numbered without gaps)",
                         k);
                goto fail;
            }
            for (size_t j = 0; j < i; j++)
                if (strcmp(ev->attrs[j].key, k) == 0) {
                    rc = wb_failf(WB_ERR_INVALID, msg, msg_len,
                                  "plan_set: attribute '%s' appears twice", k);
                    goto fail;
                }
        }
    }
    if (stops < 2 || stops > WB_PLAN_STOPS_MAX) {
        rc = wb_failf(WB_ERR_INVALID, msg, msg_len, "plan_set: a plan has 2 to %d stops (stop1..stopN), not %zu",
                 WB_PLAN_STOPS_MAX, stops);
        goto fail;
    }
    for (size_t i = 0; i < stops; i++) {
        snprintf(key, sizeof key, "stop%zu", i + 1);
        rc = parse_stop(key, ledger_event_attr(ev, key), i + 1 == stops, &p->stops[i], msg,
                        msg_len);
        if (rc) goto fail;
        if (i > 0 && p->stops[i].arrive_from_ms < p->stops[i - 1].arrive_from_ms) {
            rc = bad(msg, msg_len, key, "its window starts before the previous stop's");
            goto fail;
        }
    }
    p->stop_count = stops;
    return WB_OK;
fail:
    memset(p, 0, sizeof *p);
    return WB_ERR_INVALID;
}

int ledger_plan_encode(const struct ledger_plan *p, struct ledger_event *ev, char *msg,
                       size_t msg_len)
{
    if (p->stop_count < 2 || p->stop_count > WB_PLAN_STOPS_MAX)
        return wb_failf(WB_ERR_INVALID, msg, msg_len, "plan_set: a plan has 2 to %d stops",
                        WB_PLAN_STOPS_MAX);
    ev->action = LEDGER_PLAN_SET;
    ev->location[0] = '\0';
    ev->attr_count = 0;
    snprintf(ev->attrs[0].key, sizeof ev->attrs[0].key, "corridor_km");
    snprintf(ev->attrs[0].value, sizeof ev->attrs[0].value, "%" PRIu32, p->corridor_km);
    for (size_t i = 0; i < p->stop_count; i++) {
        const struct ledger_plan_stop *s = &p->stops[i];
        char a[LEDGER_TIME_MAX], b[LEDGER_TIME_MAX];
        const char *mode = ledger_mode_name(s->leg_mode);
        snprintf(ev->attrs[i + 1].key, sizeof ev->attrs[0].key, "stop%zu", i + 1);
        snprintf(ev->attrs[i + 1].value, sizeof ev->attrs[0].value, "%s %s %s %s", s->locode,
                 ledger_time_format(s->arrive_from_ms, a), ledger_time_format(s->arrive_to_ms, b),
                 mode ? mode : "-");
    }
    ev->attr_count = p->stop_count + 1;
    struct ledger_plan check;
    if (ledger_plan_decode(ev, &check, msg, msg_len) != WB_OK) {
        ev->attr_count = 0;
        return WB_ERR_INVALID;
    }
    return WB_OK;
}
