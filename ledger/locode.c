/* Look-ups in the UN/LOCODE place table generated from ledger/data/, and
 * great-circle distances on a sphere. */
#include "ledger/locode.h"

#include <math.h>
#include <string.h>

#include "ledger/locode_table.h"

#define LOCODE_EARTH_R_M 6371008.8
#define LOCODE_PI 3.14159265358979323846

size_t ledger_locode_count(void) { return ledger__locode_count; }

const struct ledger_locode *ledger_locode_at(size_t i)
{
    return i < ledger__locode_count ? &ledger__locode_table[i] : NULL;
}

static bool locode_well_formed(const char *code)
{
    for (int i = 0; i < 5; i++) {
        char c = code[i];
        bool letter = c >= 'A' && c <= 'Z';
        bool digit = c >= '2' && c <= '9';
        if (!letter && !(i >= 2 && digit)) return false;
    }
    return code[5] == '\0';
}

const struct ledger_locode *ledger_locode_find(const char *code)
{
    if (!code || !locode_well_formed(code)) return NULL;
    size_t lo = 0, hi = ledger__locode_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = memcmp(code, ledger__locode_table[mid].code, 5);
        if (c == 0) return &ledger__locode_table[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static double locode_rad(int32_t e6) { return (double)e6 * 1e-6 * (LOCODE_PI / 180.0); }

double ledger_geo_distance_m(int32_t lat1_e6, int32_t lon1_e6, int32_t lat2_e6,
                             int32_t lon2_e6)
{
    double lat1 = locode_rad(lat1_e6), lat2 = locode_rad(lat2_e6);
    double s_lat = sin((lat2 - lat1) / 2.0);
    double s_lon = sin((locode_rad(lon2_e6) - locode_rad(lon1_e6)) / 2.0);
    double a = s_lat * s_lat + cos(lat1) * cos(lat2) * s_lon * s_lon;
    /* Rounding can push a a hair outside [0, 1]; atan2 of the clamped
     * halves stays finite for antipodes too. */
    if (a < 0.0) a = 0.0;
    if (a > 1.0) a = 1.0;
    return 2.0 * LOCODE_EARTH_R_M * atan2(sqrt(a), sqrt(1.0 - a));
}

struct locode_vec {
    double x, y, z;
};

static struct locode_vec locode_unit(int32_t lat_e6, int32_t lon_e6)
{
    double lat = locode_rad(lat_e6), lon = locode_rad(lon_e6);
    return (struct locode_vec){cos(lat) * cos(lon), cos(lat) * sin(lon), sin(lat)};
}

static struct locode_vec locode_cross(struct locode_vec a, struct locode_vec b)
{
    return (struct locode_vec){a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z,
                               a.x * b.y - a.y * b.x};
}

static double locode_dot(struct locode_vec a, struct locode_vec b)
{
    return a.x * b.x + a.y * b.y + a.z * b.z;
}

static double locode_norm(struct locode_vec a) { return sqrt(locode_dot(a, a)); }

double ledger_geo_segment_distance_m(int32_t p_lat_e6, int32_t p_lon_e6, int32_t a_lat_e6,
                                     int32_t a_lon_e6, int32_t b_lat_e6, int32_t b_lon_e6)
{
    double to_a = ledger_geo_distance_m(p_lat_e6, p_lon_e6, a_lat_e6, a_lon_e6);
    double to_b = ledger_geo_distance_m(p_lat_e6, p_lon_e6, b_lat_e6, b_lon_e6);
    double nearer_end = to_a < to_b ? to_a : to_b;

    struct locode_vec a = locode_unit(a_lat_e6, a_lon_e6);
    struct locode_vec b = locode_unit(b_lat_e6, b_lon_e6);
    struct locode_vec p = locode_unit(p_lat_e6, p_lon_e6);
    struct locode_vec n = locode_cross(a, b);
    double n_len = locode_norm(n);
    /* A == B (a point), or A and B antipodal (no single great circle joins
     * them): the segment's ends are all there is to measure against. 1e-12
     * rad is about 6 µm, far below a millionth of a degree (0.11 m). */
    if (n_len < 1e-12) return nearer_end;
    n = (struct locode_vec){n.x / n_len, n.y / n_len, n.z / n_len};

    /* c: P projected onto the plane of the great circle, the direction of
     * the circle's point nearest P. */
    double pn = locode_dot(p, n);
    struct locode_vec c = {p.x - pn * n.x, p.y - pn * n.y, p.z - pn * n.z};
    double c_len = locode_norm(c);
    if (c_len < 1e-12) return nearer_end; /* P is a pole of the circle: every point is 90° off */
    /* c lies within the minor arc A-B when it is turned from A towards B
     * and from itself towards B the same way as A is towards B. */
    if (locode_dot(locode_cross(a, c), n) < 0.0 || locode_dot(locode_cross(c, b), n) < 0.0)
        return nearer_end;
    double cross_track = LOCODE_EARTH_R_M * atan2(fabs(pn), c_len);
    return cross_track < nearer_end ? cross_track : nearer_end;
}
