/* Unit tests of ledger/locode.c: the generated UN/LOCODE place table
 * (size, order, known places and their functions), look-ups of unknown and
 * malformed codes, great-circle and point-to-segment distances. Expected
 * distances were computed independently (python3, math module, haversine
 * and the spherical cross-track formula on R = 6,371,008.8 m). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <math.h>

#include "ledger/locode.h"

static void assert_near(double got, double want, double tol, const char *what)
{
    if (fabs(got - want) > tol)
        fail_msg("%s: got %.3f, want %.3f (tolerance %.3f)", what, got, want, tol);
}

static void table_is_big_sorted_and_unique(void **state)
{
    (void)state;
    size_t n = ledger_locode_count();
    assert_true(n >= 1000);
    /* UN/LOCODE's own coordinates give 6,377 places; the supplements
     * (docs/locodes.md) fill 5,752 more that it lists without them */
    assert_true(n > 10000);
    assert_null(ledger_locode_at(n));
    size_t port = 0, rail = 0, road = 0, air = 0, border = 0;
    for (size_t i = 0; i < n; i++) {
        const struct ledger_locode *l = ledger_locode_at(i);
        assert_non_null(l);
        assert_int_equal(strlen(l->code), 5);
        if (i > 0 && strcmp(ledger_locode_at(i - 1)->code, l->code) >= 0)
            fail_msg("%s is not after %s", l->code, ledger_locode_at(i - 1)->code);
        assert_true(l->lat_e6 >= -90000000 && l->lat_e6 <= 90000000);
        assert_true(l->lon_e6 >= -180000000 && l->lon_e6 <= 180000000);
        assert_true(l->name && l->name[0]);
        assert_true(l->functions & (LEDGER_LOCODE_PORT | LEDGER_LOCODE_RAIL |
                                    LEDGER_LOCODE_AIRPORT | LEDGER_LOCODE_BORDER));
        /* every entry is found again at its own slot */
        assert_ptr_equal(ledger_locode_find(l->code), l);
        port += (l->functions & LEDGER_LOCODE_PORT) != 0;
        rail += (l->functions & LEDGER_LOCODE_RAIL) != 0;
        road += (l->functions & LEDGER_LOCODE_ROAD) != 0;
        air += (l->functions & LEDGER_LOCODE_AIRPORT) != 0;
        border += (l->functions & LEDGER_LOCODE_BORDER) != 0;
    }
    print_message("locodes: %zu places: port %zu, rail %zu, road %zu, airport %zu, border %zu\n",
                  n, port, rail, road, air, border);
    assert_true(port > 1000);
    assert_true(air > 500);
    assert_true(rail > 100);
    assert_true(border > 10);
}

struct known {
    const char *code, *name;
    double lat, lon;
    uint8_t functions;
};

static void known_places(void **state)
{
    (void)state;
    /* Coordinates as the code list gives them (ddmm), with what the places
     * are known to be within 0.02 degrees. */
    static const struct known k[] = {
        {"NLRTM", "Rotterdam", 51.916667, 4.5, LEDGER_LOCODE_PORT | LEDGER_LOCODE_RAIL |
                                                   LEDGER_LOCODE_ROAD | LEDGER_LOCODE_AIRPORT},
        {"SGSIN", "Singapore", 1.283333, 103.85, LEDGER_LOCODE_PORT | LEDGER_LOCODE_AIRPORT},
        {"USLAX", "Los Angeles", 34.05, -118.25, LEDGER_LOCODE_PORT | LEDGER_LOCODE_AIRPORT},
        {"BEANR", "Antwerpen", 51.216667, 4.416667, LEDGER_LOCODE_PORT | LEDGER_LOCODE_RAIL |
                                                        LEDGER_LOCODE_ROAD | LEDGER_LOCODE_AIRPORT},
        {"DEFRA", "Frankfurt am Main", 50.116667, 8.683333,
         LEDGER_LOCODE_PORT | LEDGER_LOCODE_RAIL | LEDGER_LOCODE_ROAD | LEDGER_LOCODE_AIRPORT},
        {"SEGOT", "G\xc3\xb6teborg", 57.716667, 11.966667,
         LEDGER_LOCODE_PORT | LEDGER_LOCODE_RAIL | LEDGER_LOCODE_ROAD | LEDGER_LOCODE_AIRPORT},
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        const struct ledger_locode *l = ledger_locode_find(k[i].code);
        if (!l) fail_msg("%s not found", k[i].code);
        assert_string_equal(l->code, k[i].code);
        assert_string_equal(l->name, k[i].name);
        assert_near(l->lat_e6 / 1e6, k[i].lat, 0.02, k[i].code);
        assert_near(l->lon_e6 / 1e6, k[i].lon, 0.02, k[i].code);
        assert_int_equal(l->functions, k[i].functions);
    }
    /* ddmm to millionths, rounded to nearest: 51°55'N = 51.916666.. -> 51916667 */
    assert_int_equal(ledger_locode_find("NLRTM")->lat_e6, 51916667);
    assert_int_equal(ledger_locode_find("USLAX")->lon_e6, -118250000);
}

/* Places UN/LOCODE lists without coordinates, filled from a supplement
 * (ledger/data/unlocode-coords.tsv, column SOURCE). Expected: the value the
 * source gives, and within a few km of an independent reference point, each
 * OpenStreetMap's as Nominatim returned it in
 * github.com/cristan/improved-un-locodes commit 8e7e2a7a83dd, data/nominatim/
 * (used here only as a reference, not in the table). */
static void supplemented_places(void **state)
{
    (void)state;
    static const struct {
        struct known k;
        double ref_lat, ref_lon, within_m;
    } s[] = {
        /* OPTD optd_por_best_known_so_far.csv, SHA-A-6301388 (the airport);
         * OSM way 428121878, the aerodrome: 0.18 km */
        {{"CNSHA", "Shanghai Hongqiao International Apt", 31.197875, 121.336319,
          LEDGER_LOCODE_AIRPORT},
         31.1976777, 121.3344831, 500},
        /* World Port Index 30780, Hamburg: 53.55N 9.933333E; OSM relation
         * 28971, Hamburg-Mitte (the borough of the port): 4.2 km */
        {{"DEHAM", "Hamburg", 53.55, 9.933333,
          LEDGER_LOCODE_PORT | LEDGER_LOCODE_RAIL | LEDGER_LOCODE_ROAD | LEDGER_LOCODE_AIRPORT},
         53.5293836, 9.9868308, 5000},
        /* World Port Index 31560, Felixstowe: 51.95N 1.316667E; OSM way
         * 163709586, the town: 1.8 km */
        {{"GBFXT", "Felixstowe", 51.95, 1.316667, LEDGER_LOCODE_PORT}, 51.9642959, 1.3289938, 3000},
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        const struct known *k = &s[i].k;
        const struct ledger_locode *l = ledger_locode_find(k->code);
        if (!l) fail_msg("%s not found", k->code);
        assert_string_equal(l->name, k->name);
        assert_int_equal(l->functions, k->functions);
        assert_near(l->lat_e6 / 1e6, k->lat, 0.000001, k->code);
        assert_near(l->lon_e6 / 1e6, k->lon, 0.000001, k->code);
        double d = ledger_geo_distance_m(l->lat_e6, l->lon_e6, (int32_t)lround(s[i].ref_lat * 1e6),
                                         (int32_t)lround(s[i].ref_lon * 1e6));
        if (d > s[i].within_m)
            fail_msg("%s is %.0f m from its reference, more than %.0f m", k->code, d,
                     s[i].within_m);
    }
    /* Shanghai's port is CNSGH in UN/LOCODE, with its own coordinates */
    const struct ledger_locode *sgh = ledger_locode_find("CNSGH");
    assert_non_null(sgh);
    assert_true(ledger_geo_distance_m(sgh->lat_e6, sgh->lon_e6, ledger_locode_find("CNSHA")->lat_e6,
                                      ledger_locode_find("CNSHA")->lon_e6) < 20000);
}

static void unknown_and_malformed_codes(void **state)
{
    (void)state;
    static const char *const bad[] = {"", "nlrtm", "NLRT", "NLRTMX", "NL1TM", "ZZZZZ",
                                      "NLRT0", "1LRTM", "NL TM"};
    assert_null(ledger_locode_find(NULL));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (ledger_locode_find(bad[i])) fail_msg("'%s' was found", bad[i]);
    /* first and last entries are reachable by the binary search */
    size_t n = ledger_locode_count();
    assert_ptr_equal(ledger_locode_find(ledger_locode_at(0)->code), ledger_locode_at(0));
    assert_ptr_equal(ledger_locode_find(ledger_locode_at(n - 1)->code), ledger_locode_at(n - 1));
}

static void great_circle_distance(void **state)
{
    (void)state;
    const struct ledger_locode *r = ledger_locode_find("NLRTM");
    const struct ledger_locode *s = ledger_locode_find("SGSIN");
    double d = ledger_geo_distance_m(r->lat_e6, r->lon_e6, s->lat_e6, s->lon_e6);
    assert_near(d, 10534119.942, 10534119.942 * 0.001, "Rotterdam-Singapore");
    assert_near(ledger_geo_distance_m(s->lat_e6, s->lon_e6, r->lat_e6, r->lon_e6), d, 1e-6,
                "symmetric");
    assert_near(ledger_geo_distance_m(r->lat_e6, r->lon_e6, r->lat_e6, r->lon_e6), 0.0, 0.0,
                "same point");
    assert_near(ledger_geo_distance_m(10000000, 20000000, 11000000, 20000000), 111195.080,
                0.01, "one degree of latitude");
    /* antipodes: half the circumference, finite */
    assert_near(ledger_geo_distance_m(0, 0, 0, 180000000), 6371008.8 * M_PI, 0.01,
                "antipodes");
    assert_near(ledger_geo_distance_m(90000000, 0, -90000000, 0), 6371008.8 * M_PI, 0.01,
                "pole to pole");
    /* across the date line: 179E to 179W is two degrees on the equator */
    assert_near(ledger_geo_distance_m(0, 179000000, 0, -179000000), 2 * 111195.080234, 0.01,
                "date line");
}

static void segment_distance(void **state)
{
    (void)state;
    /* on the segment (equator, 0E-10E) */
    assert_near(ledger_geo_segment_distance_m(0, 5000000, 0, 0, 0, 10000000), 0.0, 0.01,
                "on segment");
    /* off the middle by one degree: the cross-track distance */
    assert_near(ledger_geo_segment_distance_m(1000000, 5000000, 0, 0, 0, 10000000),
                111195.080234, 0.01, "off the middle");
    /* beyond an end: the distance to that end */
    double to_b = ledger_geo_distance_m(1000000, 12000000, 0, 10000000);
    assert_near(ledger_geo_segment_distance_m(1000000, 12000000, 0, 0, 0, 10000000), to_b, 1e-6,
                "beyond B");
    double to_a = ledger_geo_distance_m(-2000000, -3000000, 0, 0);
    assert_near(ledger_geo_segment_distance_m(-2000000, -3000000, 0, 0, 0, 10000000), to_a,
                1e-6, "beyond A");
    /* a general segment: (10N 0E)-(20N 30E), P at 20N 10E; cross-track
     * 637,666.957 m by the spherical formula */
    assert_near(ledger_geo_segment_distance_m(20000000, 10000000, 10000000, 0, 20000000,
                                              30000000),
                637666.957, 637666.957 * 0.001, "general cross-track");
    /* the segment's direction does not matter */
    assert_near(ledger_geo_segment_distance_m(20000000, 10000000, 20000000, 30000000, 10000000,
                                              0),
                637666.957, 637666.957 * 0.001, "reversed segment");
    /* degenerate A == B: the point distance */
    double pt = ledger_geo_distance_m(51916667, 4500000, 1283333, 103850000);
    assert_near(ledger_geo_segment_distance_m(51916667, 4500000, 1283333, 103850000, 1283333,
                                              103850000),
                pt, 1e-6, "A == B");
    /* antipodal ends, and P at the pole of the circle: finite, the nearer end */
    double s = ledger_geo_segment_distance_m(10000000, 10000000, 0, 0, 0, 180000000);
    assert_false(isnan(s));
    assert_near(s, ledger_geo_distance_m(10000000, 10000000, 0, 0), 1e-6, "antipodal ends");
    s = ledger_geo_segment_distance_m(90000000, 0, 0, 0, 0, 10000000);
    assert_false(isnan(s));
    assert_near(s, 6371008.8 * M_PI / 2, 0.01, "pole of the circle");
    /* the point on the far side of the globe from the segment's middle */
    s = ledger_geo_segment_distance_m(0, -175000000, 0, 0, 0, 10000000);
    assert_near(s, ledger_geo_distance_m(0, -175000000, 0, 0), 1e-6, "far side");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table_is_big_sorted_and_unique),
        cmocka_unit_test(known_places),
        cmocka_unit_test(supplemented_places),
        cmocka_unit_test(unknown_and_malformed_codes),
        cmocka_unit_test(great_circle_distance),
        cmocka_unit_test(segment_distance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
