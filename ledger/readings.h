/* One line of a gateway's readings file (docs/devices.md, "Readings
 * files"), the input of `waybill device import`: a JSON object holding one
 * observation of one device, e.g.
 *   {"time":"2026-03-01T00:05:00Z","kind":"position","lat":51.95,"lon":4.05,
 *    "accuracy_m":25,"locode":"NLRTM","item":"CSQU3054383"}
 *   {"time":"2026-03-01T00:05:00Z","kind":"reading","measure":"temperature",
 *    "value":4.5,"unit":"C"}
 *   {"time":"2026-03-01T00:05:00Z","kind":"seal_status","state":"armed",
 *    "seal":"ABC-1234567"}
 * Fields: "time" (RFC 3339 UTC, required), "kind" (seal_status, position or
 * reading, required), "item" (optional: an item id as ledger/ids.h takes
 * it); seal_status: "state" (armed, intact, opened, tampered; required),
 * "seal" (an ISO 17712 number; required when armed); position: "lat" and
 * "lon" (degrees, required; 6 decimals are kept), "accuracy_m" (integer
 * metres, 0 .. 1,000,000), "locode" (a UN/LOCODE); reading: "measure"
 * (temperature, humidity, shock, light; required), "value" (a number in
 * the measure's unit; 3 decimals are kept), "unit" (optional; must be the
 * measure's unit, ledger_measure_unit). Nothing else: an unknown field is
 * refused, so that a misspelt one is never dropped silently.
 * Pure: no I/O (jansson parses from memory). */
#ifndef LEDGER_READINGS_H
#define LEDGER_READINGS_H

#include <stddef.h>

#include "common/wb_error.h"
#include "ledger/device.h"
#include "ledger/types.h"

/* The longest line a readings file may have, in bytes. */
#define WB_READING_LINE_MAX 1024

struct ledger_reading {
    char item[WB_ITEM_MAX + 1];          /* "" when the line names none */
    enum ledger_action kind;             /* LEDGER_SEAL_STATUS, _POSITION or _READING */
    struct ledger_device_obs obs;        /* only the fields of kind set; the rest zero */
};

/* Parses one line (len bytes, without its newline) into *r. Returns 0, or
 * WB_ERR_INVALID with a sentence in msg naming the field ("lat: 91.5 is
 * out of range -90 .. 90"). The observation it gives passes what
 * ledger_device_report_decode checks of one observation. */
WB_MUST_USE int ledger_reading_parse(const char *line, size_t len, struct ledger_reading *r,
                                     char *msg, size_t msg_len);

#endif
