#!/usr/bin/env python3
"""Writes ledger/data/unlocode-coords.tsv from UNECE UN/LOCODE code lists.

Rerun (needs git, bzip2 and network for the two repositories):
  git clone https://github.com/opentraveldata/opentraveldata /tmp/otd
  git -C /tmp/otd show 87497705d8af9b148b63b352a2869fd1fcb08452:data/unlocode/unlocode-code-list-2018-1.csv.bz2 | bunzip2 > u2018.csv
  git clone https://github.com/Open-Earth-Foundation/data-research /tmp/oef
  C=7b06aecbfba777bec2cd03bb38255ae20c0f763b; S=reviews/uncece-unlocode/releases/2024/sample
  git -C /tmp/oef show "$C:$S/2024-2 UNLOCODE CodeListPart2.csv" > p2.csv
  git -C /tmp/oef show "$C:$S/2024-2 UNLOCODE CodeListPart3.csv" > p3.csv
  python3 ledger/data/make_unlocode_coords.py u2018.csv p2.csv p3.csv DATE > ledger/data/unlocode-coords.tsv
Countries AA..FZ come from the 2018-1 list, GA..ZZ from 2024-2 (its Part 1,
A..E and F, was not available).
"""
import csv, io, re, sys

STATUS = {"AA", "AC", "AF", "AI", "AS", "AM", "AQ", "RN"}
COORD = re.compile(r"^(\d\d)(\d\d)([NS]) (\d\d\d)(\d\d)([EW])$")
BITS = (("1", 0x01), ("2", 0x02), ("3", 0x04), ("4", 0x08), ("B", 0x10))


def decode(raw):
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def e6(deg, minutes):
    # degrees + minutes/60 in millionths, rounded to nearest (half up)
    return deg * 1000000 + (minutes * 1000000 + 30) // 60


def rows(path):
    with open(path, "rb") as f:
        text = "\n".join(decode(l.rstrip(b"\r\n")) for l in f)
    return csv.reader(io.StringIO(text))


def main():
    p2018, parts2024, date = sys.argv[1], sys.argv[2:-1], sys.argv[-1]
    places = {}
    counts = {}

    def take(path, keep):
        for r in rows(path):
            if len(r) < 11:
                continue
            change, cc, loc, name, name_wo = r[0], r[1], r[2], r[3], r[4]
            func, status, coord = r[6], r[7], r[10].strip()
            if not loc or not keep(cc) or change.strip() == "X":
                continue
            if status not in STATUS:
                continue
            m = COORD.match(coord)
            if not m:
                continue
            fb = 0
            for ch, bit in BITS:
                if ch in func:
                    fb |= bit
            if not fb & (0x01 | 0x02 | 0x08 | 0x10):
                continue
            lat = e6(int(m[1]), int(m[2]))
            lon = e6(int(m[4]), int(m[5]))
            if int(m[2]) > 59 or int(m[5]) > 59 or lat > 90000000 or lon > 180000000:
                continue
            if m[3] == "S":
                lat = -lat
            if m[6] == "W":
                lon = -lon
            nm = name.strip()
            if not nm or re.search(r'[\x00-\x1f\x7f-\x9f]', nm):
                nm = name_wo.strip()
            if not nm or re.search(r'[\x00-\x1f\x7f-\x9f]', nm):
                continue
            code = cc + loc
            if not re.match(r"^[A-Z]{2}[A-Z2-9]{3}$", code):
                continue
            places[code] = (lat, lon, fb, nm)

    take(p2018, lambda cc: cc < "GA")
    for p in parts2024:
        take(p, lambda cc: cc >= "GA")
    n = {k: 0 for k in ("port", "rail", "road", "airport", "border")}
    for lat, lon, fb, nm in places.values():
        for k, bit in (("port", 1), ("rail", 2), ("road", 4), ("airport", 8), ("border", 16)):
            if fb & bit:
                n[k] += 1
    out = sys.stdout
    out.write(
        "# UN/LOCODE places with coordinates: seaports, rail terminals, airports, border crossings.\n"
        "# CODE<TAB>LAT_E6<TAB>LON_E6<TAB>FUNCTIONS<TAB>NAME, sorted by code; LAT/LON in millionths\n"
        "#   of a degree (north/east positive), FUNCTIONS bits: 1 port, 2 rail, 4 road, 8 airport,\n"
        "#   16 border crossing (ledger/locode.h).\n"
        "# Source: UNECE UN/LOCODE code list (https://unece.org/trade/uncefact/unlocode).\n"
        "#   Countries AD..FR (codes before GA): release 2018-1, as republished in\n"
        "#   https://github.com/opentraveldata/opentraveldata commit 87497705d8af9b148b63b352a2869fd1fcb08452,\n"
        "#   data/unlocode/unlocode-code-list-2018-1.csv.bz2.\n"
        "#   Countries GA..ZW: release 2024-2, Parts 2 and 3, as republished in\n"
        "#   https://github.com/Open-Earth-Foundation/data-research commit 7b06aecbfba777bec2cd03bb38255ae20c0f763b,\n"
        "#   reviews/uncece-unlocode/releases/2024/sample/ (Latin-1, converted to UTF-8).\n"
        "# Licence/terms: UN/LOCODE is published by UNECE free of charge for use. Neither republishing\n"
        "#   repository carries a LICENSE file for this data; the data is UNECE's.\n"
        "# Selection: status AA, AC, AF, AI, AS, AM, AQ or RN; coordinates given; function holds 1, 2, 4\n"
        "#   or B; entries marked X (to be removed) dropped. Coordinates ddmm converted as\n"
        "#   degrees + minutes/60, rounded to the nearest millionth.\n"
        "# Produced by ledger/data/make_unlocode_coords.py on %s.\n"
        "# Count: %d places (port %d, rail %d, road %d, airport %d, border %d).\n"
        % (date, len(places), n["port"], n["rail"], n["road"], n["airport"], n["border"]))
    for code in sorted(places):
        lat, lon, fb, nm = places[code]
        out.write("%s\t%d\t%d\t%d\t%s\n" % (code, lat, lon, fb, nm))


main()
