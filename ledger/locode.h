/* Coordinates of UN/LOCODE places: the world's main seaports, airports,
 * rail terminals and border crossings, compiled in from ledger/data/
 * (unlocode-coords.tsv, its sources, licences and date in its header) at
 * build time, and great-circle distance. A place that is not in the table
 * is "not evaluable" for distance checks, never an error. Pure. */
#ifndef LEDGER_LOCODE_H
#define LEDGER_LOCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a place is, as UN/LOCODE's function classifier gives it (a place
 * may be several). */
#define LEDGER_LOCODE_PORT 0x01      /* function 1: seaport or inland port */
#define LEDGER_LOCODE_RAIL 0x02      /* function 2: rail terminal */
#define LEDGER_LOCODE_ROAD 0x04      /* function 3: road terminal */
#define LEDGER_LOCODE_AIRPORT 0x08   /* function 4 */
#define LEDGER_LOCODE_BORDER 0x10    /* function B: border crossing */

/* One place. Entries live in a constant table: pointers stay valid for the
 * life of the program. */
struct ledger_locode {
    char code[6];                    /* "NLRTM" */
    const char *name;                /* UTF-8, as the data file gives it */
    int32_t lat_e6, lon_e6;          /* millionths of a degree, north / east positive */
    uint8_t functions;               /* LEDGER_LOCODE_* bits */
};

/* Number of places in the table (at least 1,000). */
size_t ledger_locode_count(void);
/* The i-th place, in code order; NULL past the end. */
const struct ledger_locode *ledger_locode_at(size_t i);
/* The place with this code (exactly 5 characters, capitals and digits 2-9
 * as UN/LOCODE writes them), or NULL when the table does not hold it or
 * code is NULL or malformed. O(log n). */
const struct ledger_locode *ledger_locode_find(const char *code);

/* Great-circle distance in metres between two points given in millionths
 * of a degree (haversine on a sphere of radius 6,371,008.8 m, the IUGG
 * mean; error under 0.5 % against the ellipsoid). */
double ledger_geo_distance_m(int32_t lat1_e6, int32_t lon1_e6, int32_t lat2_e6,
                             int32_t lon2_e6);

/* Distance in metres from point P to the great-circle segment A-B (the
 * nearest point of the segment, ends included). */
double ledger_geo_segment_distance_m(int32_t p_lat_e6, int32_t p_lon_e6, int32_t a_lat_e6,
                                     int32_t a_lon_e6, int32_t b_lat_e6, int32_t b_lon_e6);

#endif
