#!/usr/bin/env python3
"""Writes ledger/data/unlocode-coords.tsv from UNECE UN/LOCODE code lists, and
fills places UN/LOCODE lists without coordinates from two public supplements.

Rerun (needs git and bzip2, and a copy of each repository below):
  git clone https://github.com/opentraveldata/opentraveldata /tmp/otd
  git -C /tmp/otd show 87497705d8af9b148b63b352a2869fd1fcb08452:data/unlocode/unlocode-code-list-2018-1.csv.bz2 | bunzip2 > u2018.csv
  git -C /tmp/otd show d55b3029fd51ecfd7178268d24821d005593f2ef:opentraveldata/optd_por_best_known_so_far.csv > optd.csv
  git clone https://github.com/Open-Earth-Foundation/data-research /tmp/oef
  C=7b06aecbfba777bec2cd03bb38255ae20c0f763b; S=reviews/uncece-unlocode/releases/2024/sample
  git -C /tmp/oef show "$C:$S/2024-2 UNLOCODE CodeListPart2.csv" > p2.csv
  git -C /tmp/oef show "$C:$S/2024-2 UNLOCODE CodeListPart3.csv" > p3.csv
  git clone https://github.com/JamesRexMiller4/shapely_tut /tmp/wpi
  git -C /tmp/wpi show a61f5a185bf2e9f44912c452b43454f5c32d45f8:WPI.csv > wpi.csv
  python3 ledger/data/make_unlocode_coords.py --wpi wpi.csv --optd optd.csv \\
      u2018.csv p2.csv p3.csv DATE > ledger/data/unlocode-coords.tsv
Countries AA..FZ come from the 2018-1 list, GA..ZZ from 2024-2 (its Part 1,
A..E and F, was not available). Without --wpi and --optd only UN/LOCODE's own
coordinates are written.

Which place gets which coordinates (docs/locodes.md says why):
- a place is selected by UN/LOCODE alone: status, function, not marked X;
- UN/LOCODE's coordinates when it gives them (source "unlocode");
- else, for a port (function 1), the World Port Index entry with the same
  UN/LOCODE (source "wpi");
- else, for an airport (function 4), the OPTD airport whose IATA code is the
  place's (UN/LOCODE's IATA column, or the code's last three letters) (source
  "optd");
- a supplement's candidates for one place that lie more than AMBIGUOUS_KM
  apart make it ambiguous: dropped;
- a supplementary point must lie in the place's country, as far as the points
  UN/LOCODE gives (any status or function) can tell: one of that country's
  points within NEAR_KM, or no other country's point nearer than that
  country's nearest one (the point is in the Voronoi region of the country's
  points); else it is dropped, and so is one for a country UN/LOCODE gives
  no point for.
Every drop is counted in the header; the candidates dropped as outside their
country are listed on standard error.
"""
import argparse, csv, io, math, re, sys
from decimal import Decimal, ROUND_HALF_UP

STATUS = {"AA", "AC", "AF", "AI", "AS", "AM", "AQ", "RN"}
COORD = re.compile(r"^(\d\d)(\d\d)([NS]) (\d\d\d)(\d\d)([EW])$")
BITS = (("1", 0x01), ("2", 0x02), ("3", 0x04), ("4", 0x08), ("B", 0x10))
PORT, AIRPORT = 0x01, 0x08
NEAR_KM = 150.0
AMBIGUOUS_KM = 10.0
R_KM = 6371.0088


def decode(raw):
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def e6(deg, minutes):
    # degrees + minutes/60 in millionths, rounded to nearest (half up)
    return deg * 1000000 + (minutes * 1000000 + 30) // 60


def dec_e6(text):
    # a decimal degree string to millionths, rounded half away from zero
    q = Decimal(text.strip()).scaleb(6).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(q)


def km(a, b):
    la1, lo1, la2, lo2 = (math.radians(v / 1e6) for v in (a[0], a[1], b[0], b[1]))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * R_KM * math.asin(min(1.0, math.sqrt(h)))


def rows(path):
    with open(path, "rb") as f:
        text = "\n".join(decode(l.rstrip(b"\r\n")) for l in f)
    return csv.reader(io.StringIO(text))


def clean_name(name, name_wo):
    nm = name.strip()
    if not nm or re.search(r'[\x00-\x1f\x7f-\x9f]', nm):
        nm = name_wo.strip()
    if not nm or re.search(r'[\x00-\x1f\x7f-\x9f]', nm):
        return None
    return nm


def read_unlocode(p2018, parts2024):
    """places: code -> (lat, lon, fb, name) with UN/LOCODE coordinates;
    gaps: code -> (fb, name, iata) selected but without usable coordinates;
    points: country -> [(lat, lon)] of every entry UN/LOCODE gives
    coordinates for (any status or function; X dropped)."""
    places, gaps, points = {}, {}, {}

    def take(path, keep):
        for r in rows(path):
            if len(r) < 11:
                continue
            change, cc, loc, name, name_wo = r[0], r[1], r[2], r[3], r[4]
            func, status, iata, coord = r[6], r[7], r[9].strip(), r[10].strip()
            if not loc or not keep(cc) or change.strip() == "X":
                continue
            m = COORD.match(coord)
            ll = None
            if m and int(m[2]) <= 59 and int(m[5]) <= 59:
                lat, lon = e6(int(m[1]), int(m[2])), e6(int(m[4]), int(m[5]))
                if lat <= 90000000 and lon <= 180000000:
                    ll = (-lat if m[3] == "S" else lat, -lon if m[6] == "W" else lon)
                    points.setdefault(cc, []).append(ll)
            if status not in STATUS:
                continue
            fb = 0
            for ch, bit in BITS:
                if ch in func:
                    fb |= bit
            if not fb & (0x01 | 0x02 | 0x08 | 0x10):
                continue
            nm = clean_name(name, name_wo)
            if nm is None:
                continue
            code = cc + loc
            if not re.match(r"^[A-Z]{2}[A-Z2-9]{3}$", code):
                continue
            if ll is None:
                gaps[code] = (fb, nm, iata)
            else:
                places[code] = (ll[0], ll[1], fb, nm)

    take(p2018, lambda cc: cc < "GA")
    for p in parts2024:
        take(p, lambda cc: cc >= "GA")
    for code in places:
        gaps.pop(code, None)
    return places, gaps, points


def read_wpi(path):
    """UN/LOCODE -> [(lat, lon, key)] from the World Port Index CSV."""
    out = {}
    with open(path, encoding="utf-8-sig", newline="") as f:
        for r in csv.DictReader(f):
            code = (r.get("UN/LOCODE") or "").replace(" ", "")
            if not re.match(r"^[A-Z]{2}[A-Z2-9]{3}$", code):
                continue
            try:
                lat, lon = dec_e6(r["Latitude"]), dec_e6(r["Longitude"])
            except Exception:
                continue
            if abs(lat) > 90000000 or abs(lon) > 180000000:
                continue
            key = int(Decimal(r["World Port Index Number"]))
            out.setdefault(code, []).append((lat, lon, key))
    return out


def read_optd(path):
    """IATA code -> [(lat, lon, key)] of OPTD's airports (location type A or CA)."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            p = line.rstrip("\n").split("^")
            if len(p) < 4 or p[0] == "pk":
                continue
            k = p[0].split("-")
            if len(k) != 3 or k[1] not in ("A", "CA") or not re.match(r"^[A-Z]{3}$", k[0]):
                continue
            try:
                lat, lon = dec_e6(p[2]), dec_e6(p[3])
            except Exception:
                continue
            if abs(lat) > 90000000 or abs(lon) > 180000000:
                continue
            out.setdefault(k[0], []).append((lat, lon, p[0]))
    return out


def pick(cands):
    """The candidate with the smallest key, or None when two lie more than
    AMBIGUOUS_KM apart."""
    for a in cands:
        for b in cands:
            if km(a, b) > AMBIGUOUS_KM:
                return None
    return min(cands, key=lambda c: c[2])


class Places:
    """Every point UN/LOCODE gives, by one-degree cell, for the country check."""

    def __init__(self, points):
        self.cells = {}
        for cc, pts in points.items():
            for p in pts:
                self.cells.setdefault((p[0] // 1000000, p[1] // 1000000), []).append((p, cc))

    def within(self, pt, r_km):
        """(distance, country) of the points within r_km of pt."""
        lat, lon = pt[0] / 1e6, pt[1] / 1e6
        dlat = r_km / 111.0 + 1
        c = math.cos(math.radians(min(89.9, abs(lat) + dlat)))
        dlon = 360.0 if c < 1e-3 else r_km / (111.0 * c) + 1
        if dlon >= 180:
            lons = range(-180, 180)
        else:
            lons = sorted({(j + 180) % 360 - 180
                           for j in range(math.floor(lon - dlon), math.floor(lon + dlon) + 1)})
        out = []
        for i in range(math.floor(lat - dlat), math.floor(lat + dlat) + 1):
            for j in lons:
                for q, cc in self.cells.get((i, j), ()):
                    d = km(pt, q)
                    if d <= r_km:
                        out.append((d, cc))
        return out

    def in_country(self, pt, cc):
        """True when a point of country cc lies within NEAR_KM of pt, or when
        no other country's point is nearer than cc's nearest one (pt is in
        the Voronoi region of cc's points); False otherwise; None when
        UN/LOCODE gives no point for cc."""
        r = NEAR_KM
        while True:
            w = self.within(pt, r)
            own = [d for d, c in w if c == cc]
            if own:
                d = min(own)
                return d <= NEAR_KM or not any(c != cc and e < d for e, c in w)
            if r > 2 * math.pi * R_KM:
                return None
            r *= 2


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wpi", help="World Port Index (Pub 150) CSV")
    ap.add_argument("--optd", help="OPTD optd_por_best_known_so_far.csv")
    ap.add_argument("u2018")
    ap.add_argument("parts2024", nargs="+")
    a = ap.parse_args()
    if len(a.parts2024) < 2:
        ap.error("give the 2024 parts and then DATE")
    date, parts2024 = a.parts2024[-1], a.parts2024[:-1]

    places, gaps, points = read_unlocode(a.u2018, parts2024)
    out = {c: (lat, lon, fb, nm, "unlocode") for c, (lat, lon, fb, nm) in places.items()}
    wpi = read_wpi(a.wpi) if a.wpi else {}
    optd = read_optd(a.optd) if a.optd else {}
    index = Places(points)
    drop = {"ambiguous": 0, "outside": 0, "unchecked": 0}
    far = []
    for code in sorted(gaps):
        fb, nm, iata = gaps[code]
        cands = []
        if fb & PORT and code in wpi:
            cands.append(("wpi", wpi[code]))
        ia = iata if re.match(r"^[A-Z]{3}$", iata) else code[2:]
        if fb & AIRPORT and re.match(r"^[A-Z]{3}$", ia) and ia in optd:
            cands.append(("optd", optd[ia]))
        why = None
        for src, cs in cands:
            c = pick(cs)
            inside = None if c is None else index.in_country(c, code[:2])
            if c is None:
                why = why or "ambiguous"
            elif inside is None:
                why = why or "unchecked"
            elif not inside:
                why = why or "outside"
                far.append("%s(%s)" % (code, src))
            else:
                out[code] = (c[0], c[1], fb, nm, src)
                break
        if code not in out and why:
            drop[why] += 1

    n = {k: 0 for k in ("port", "rail", "road", "airport", "border")}
    per = {"unlocode": 0, "wpi": 0, "optd": 0}
    for lat, lon, fb, nm, src in out.values():
        per[src] += 1
        for k, bit in (("port", 1), ("rail", 2), ("road", 4), ("airport", 8), ("border", 16)):
            if fb & bit:
                n[k] += 1
    filled = per["wpi"] + per["optd"]
    w = sys.stdout.write
    w("# UN/LOCODE places with coordinates: seaports, rail terminals, airports, border crossings.\n"
      "# CODE<TAB>LAT_E6<TAB>LON_E6<TAB>FUNCTIONS<TAB>NAME<TAB>SOURCE, sorted by code; LAT/LON in\n"
      "#   millionths of a degree (north/east positive), FUNCTIONS bits: 1 port, 2 rail, 4 road,\n"
      "#   8 airport, 16 border crossing (ledger/locode.h); SOURCE names where the row's\n"
      "#   coordinates come from: unlocode, wpi or optd (below). Codes, names and functions are\n"
      "#   always UN/LOCODE's.\n"
      "# Places, names, functions and the 'unlocode' coordinates: UNECE UN/LOCODE code list\n"
      "#   (https://unece.org/trade/uncefact/unlocode).\n"
      "#   Countries AD..FR (codes before GA): release 2018-1, as republished in\n"
      "#   https://github.com/opentraveldata/opentraveldata commit 87497705d8af9b148b63b352a2869fd1fcb08452,\n"
      "#   data/unlocode/unlocode-code-list-2018-1.csv.bz2.\n"
      "#   Countries GA..ZW: release 2024-2, Parts 2 and 3, as republished in\n"
      "#   https://github.com/Open-Earth-Foundation/data-research commit 7b06aecbfba777bec2cd03bb38255ae20c0f763b,\n"
      "#   reviews/uncece-unlocode/releases/2024/sample/ (Latin-1, converted to UTF-8).\n"
      "#   Terms: published by UNECE free of charge for use. Neither republishing repository\n"
      "#   carries a LICENSE file for this data; the data is UNECE's.\n"
      "# 'wpi' coordinates: World Port Index (Pub 150), U.S. National Geospatial-Intelligence\n"
      "#   Agency (https://msi.nga.mil/Publications/WPI), the entry whose UN/LOCODE column is the\n"
      "#   place's code, as republished in https://github.com/JamesRexMiller4/shapely_tut commit\n"
      "#   a61f5a185bf2e9f44912c452b43454f5c32d45f8, WPI.csv (3,803 rows).\n"
      "#   Terms: a work of the U.S. Government, not subject to copyright in the U.S.\n"
      "#   (17 U.S.C. 105); no licence file. Decimal degrees rounded to the nearest millionth.\n"
      "# 'optd' coordinates: Open Travel Data, opentraveldata/optd_por_best_known_so_far.csv,\n"
      "#   https://github.com/opentraveldata/opentraveldata commit d55b3029fd51ecfd7178268d24821d005593f2ef,\n"
      "#   the airport (location type A or CA) whose IATA code is the place's (UN/LOCODE's IATA\n"
      "#   column, else the code's last three letters): the airport's position, not the town's.\n"
      "#   Licence: CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/), (c) the OPTD\n"
      "#   contributors. Changed: selected by IATA code, rounded to the nearest millionth.\n"
      "# Selection: status AA, AC, AF, AI, AS, AM, AQ or RN; function holds 1, 2, 4 or B; entries\n"
      "#   marked X (to be removed) dropped. UN/LOCODE's coordinates (ddmm, converted as\n"
      "#   degrees + minutes/60, rounded to the nearest millionth) when given; else 'wpi' for a\n"
      "#   port, else 'optd' for an airport.\n"
      "# Checks on 'wpi' and 'optd' rows: a place whose candidates in one source lie more than\n"
      "#   %g km apart is dropped (ambiguous). The point must lie in the place's country as the\n"
      "#   points UN/LOCODE gives (any status or function) tell: one of that country's points\n"
      "#   within %g km, or no other country's point nearer than that country's nearest one;\n"
      "#   else it is dropped (outside), and so is one for a country UN/LOCODE gives no point\n"
      "#   for (unchecked).\n"
      "# Produced by ledger/data/make_unlocode_coords.py on %s.\n"
      "# Count: %d places (port %d, rail %d, road %d, airport %d, border %d).\n"
      "# Per source: unlocode %d, wpi %d, optd %d. Selected without UN/LOCODE coordinates: %d;\n"
      "#   filled %d; dropped: ambiguous %d, outside %d, unchecked %d; no supplement: %d.\n"
      % (AMBIGUOUS_KM, NEAR_KM, date, len(out), n["port"], n["rail"], n["road"], n["airport"],
         n["border"], per["unlocode"], per["wpi"], per["optd"], len(gaps), filled,
         drop["ambiguous"], drop["outside"], drop["unchecked"],
         len(gaps) - filled - drop["ambiguous"] - drop["outside"] - drop["unchecked"]))
    if far:
        sys.stderr.write("candidates dropped as outside their country: %s\n" % " ".join(far))
    for code in sorted(out):
        lat, lon, fb, nm, src = out[code]
        w("%s\t%d\t%d\t%d\t%s\t%s\n" % (code, lat, lon, fb, nm, src))


main()
