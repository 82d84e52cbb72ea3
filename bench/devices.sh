#!/usr/bin/env bash
# `make bench-devices`: the two figures of docs/performance.md "Devices":
#  - how many device readings per second one node accepts from
#    `waybill device import` (a tracker's DAYS days of readings, a position
#    every 5 minutes and a temperature every hour, for each of ITEMS items
#    with a tracker of its own, imported one after the other; the rate is
#    readings over the wall-clock time of the command, commits waited for);
#  - how long `waybill verify` takes on one item's proof bundle with those
#    readings, offline (--bundle, whole process), VERIFY_RUNS times: median
#    and worst.
# A 4-validator testnet on 127.0.0.1 whose genesis allows 40 days of
# backdating (the readings are DAYS days old); the nodes are this script's
# and stopped on every exit.
set -u
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
WAYBILL=${WAYBILL:-$PWD/$BUILD/waybill}
DAYS=${DAYS:-30}
ITEMS=${ITEMS:-3}
VERIFY_RUNS=${VERIFY_RUNS:-9}
. scripts/testnet_lib.sh

declare -a NODE_PIDS=()
bench_cleanup() {
    local i
    for i in "${!NODE_PIDS[@]}"; do [ -n "${NODE_PIDS[$i]}" ] && kill -TERM "${NODE_PIDS[$i]}" 2>/dev/null; done
    for i in "${!NODE_PIDS[@]}"; do [ -n "${NODE_PIDS[$i]}" ] && wait "${NODE_PIDS[$i]}" 2>/dev/null; done
    [ -n "${T_DIR:-}" ] && rm -rf "$T_DIR"
}
trap bench_cleanup EXIT

ms() { date +%s%3N; }
testnet_create 4 || exit 1
python3 - "$WAYBILL_GENESIS" "$DAYS" <<'PY' || exit 1
import json, sys
g = json.load(open(sys.argv[1]))
g["backdate_max_ms"] = (int(float(sys.argv[2])) + 10) * 86400 * 1000
json.dump(g, open(sys.argv[1], "w"), indent=2)
PY
for i in 0 1 2 3; do node_start "$i"; done
wait_for 60 nodes_up || { echo "bench-devices: the testnet did not start" >&2; exit 1; }

now=$(date -u +%s)
iso() { date -u -d "@$1" +%FT%TZ; }
start=$((now - DAYS * 86400 - 600))
total_readings=0
total_ms=0
for ((k = 0; k < ITEMS; k++)); do
    item="urn:waybill:bench:tracker:$k"
    key="$T_DIR/tracker$k.key"
    "$WAYBILL" keygen --out "$key" >/dev/null || exit 1
    wb 0 device register --device "$key" --kind tracker --serial "BENCH-$k" >/dev/null || exit 1
    wb 0 submit --item "$item" --action commission --at CNSHA --time "$(iso $((start - 120)))" >/dev/null || exit 1
    wb 0 device attach "$item" --device "$key" --time "$(iso $((start - 60)))" >/dev/null || exit 1
    python3 tests/cluster/gen_readings.py "$(iso "$start")" "$DAYS" 5 "$T_DIR/r$k.jsonl" || exit 1
    n=$(wc -l <"$T_DIR/r$k.jsonl")
    t0=$(ms)
    wb $((k % 4)) device import "$T_DIR/r$k.jsonl" --device-key "$key" --item "$item" --timeout 600 \
        >"$T_DIR/import$k.out" 2>"$T_DIR/import$k.err" || { cat "$T_DIR/import$k.err" >&2; exit 1; }
    t1=$(ms)
    d=$((t1 - t0))
    echo "device-import item=$k readings=$n ms=$d readings_per_s=$((n * 1000 / (d > 0 ? d : 1))) ($(cat "$T_DIR/import$k.out"))"
    total_readings=$((total_readings + n))
    total_ms=$((total_ms + d))
done
echo "device-import total readings=$total_readings ms=$total_ms readings_per_s=$((total_readings * 1000 / (total_ms > 0 ? total_ms : 1))) (target >= 2000)"

item="urn:waybill:bench:tracker:0"
wb 1 proof "$item" --out "$T_DIR/bundle.pb" >/dev/null || exit 1
bytes=$(stat -c %s "$T_DIR/bundle.pb")
times=()
for ((r = 0; r < VERIFY_RUNS; r++)); do
    t0=$(ms)
    "$WAYBILL" verify --bundle "$T_DIR/bundle.pb" --genesis "$WAYBILL_GENESIS" >"$T_DIR/verify.out" 2>&1 ||
        { cat "$T_DIR/verify.out" >&2; exit 1; }
    t1=$(ms)
    times+=($((t1 - t0)))
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
median=$(sed -n "$(((VERIFY_RUNS + 1) / 2))p" <<<"$sorted")
worst=$(tail -1 <<<"$sorted")
events=$(grep -o '^VERIFIED: [0-9]* events' "$T_DIR/verify.out" | grep -o '[0-9]*')
echo "device-verify days=$DAYS readings=$(wc -l <"$T_DIR/r0.jsonl") events=$events bundle_bytes=$bytes runs=$VERIFY_RUNS median_ms=$median worst_ms=$worst (target < 200, whole process)"
