#!/usr/bin/env python3
"""Writes a tracker's readings file for `waybill device import` (docs/devices.md,
"Readings files"): a position every INTERVAL minutes for DAYS days from START
(RFC 3339 UTC), moving from Shanghai towards Rotterdam, and a temperature
every hour. Usage: gen_readings.py START DAYS INTERVAL_MIN OUT [ITEM]"""
import datetime
import json
import sys


def main():
    start = datetime.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)
    days, interval, out = float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    item = sys.argv[5] if len(sys.argv) > 5 else None
    n = int(days * 24 * 60 / interval)
    a, b = (31.230416, 121.473701), (51.9225, 4.47917)
    with open(out, "w") as f:
        for i in range(n):
            t = start + datetime.timedelta(minutes=interval * i)
            ts = t.strftime("%Y-%m-%dT%H:%M:%SZ")
            x = i / max(n - 1, 1)
            pos = {"time": ts, "kind": "position",
                   "lat": round(a[0] + (b[0] - a[0]) * x, 6),
                   "lon": round(a[1] + (b[1] - a[1]) * x, 6), "accuracy_m": 10 + i % 40}
            if i == 0:
                pos["locode"] = "CNSHA"
            if item:
                pos["item"] = item
            f.write(json.dumps(pos, separators=(",", ":")) + "\n")
            if (interval * i) % 60 == 0:
                r = {"time": ts, "kind": "reading", "measure": "temperature",
                     "value": round(4 + (i % 97) / 100.0, 2), "unit": "C"}
                if item:
                    r["item"] = item
                f.write(json.dumps(r, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
