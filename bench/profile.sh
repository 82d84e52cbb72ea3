#!/usr/bin/env bash
# Profiles one validator under the benchmark's saturation load: starts the
# same fresh 4-node testnet as bench/run.sh, runs the load generator, and
# records node0 with `perf record -g` from shortly after the load starts.
# Usage: BUILD=build SECONDS_REC=8 DELAY=4 PERF_ARGS="-g" LOADGEN_ARGS="" \
#        bash bench/profile.sh [OUT.data]
# (PERF_ARGS="--call-graph dwarf -F 499" gives stacks through libraries built
# without frame pointers, such as libsodium.)
# Then: perf report -i OUT.data --no-children --percent-limit 1
set -u

BUILD=${BUILD:-build}
SECONDS_REC=${SECONDS_REC:-8}
DELAY=${DELAY:-4}
read -r -a PERF_OPTS <<<"${PERF_ARGS:--g}"
# Extra load generator options, e.g. LOADGEN_ARGS="--sat-rate 4400" to
# profile the open-loop phases instead of saturation.
read -r -a LG_OPTS <<<"${LOADGEN_ARGS:-}"
OUT=${1:-$PWD/bench/results/node0.perf.data}
NODES=4
WAYBILL=$PWD/$BUILD/waybill
LOADGEN=$PWD/$BUILD/bench/loadgen

NODE_PIDS=()
LOADGEN_PID=""
KEEP_RUN_DIR=0
RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/waybill-profile.XXXXXX")
# stop_nodes and cleanup (NODE_PIDS, LOADGEN_PID, RUN_DIR, KEEP_RUN_DIR).
# shellcheck source=bench/bench_lib.sh
. "$PWD/bench/bench_lib.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$PWD/scripts/testnet_lib.sh"
NODE_PIDS=()
BASE=$(pick_base_port $NODES)
[ -n "$BASE" ] || { echo "profile: no free ports" >&2; exit 1; }

"$WAYBILL" testnet --nodes $NODES --dir "$RUN_DIR/net" --base-port "$BASE" >/dev/null || exit 1
for ((i = 0; i < NODES; i++)); do
    "$WAYBILL" node --config "$RUN_DIR/net/node$i/node.ini" >"$RUN_DIR/node$i.log" 2>&1 &
    NODE_PIDS+=($!)
done
for _ in $(seq 150); do
    ok=1
    for ((i = 0; i < NODES; i++)); do
        "$WAYBILL" status --json --node "127.0.0.1:$((BASE + 100 + i))" \
            --key "$RUN_DIR/net/node$i/client.key" --timeout 2 2>/dev/null |
            grep -q "\"peers_connected\": *$((NODES - 1))" || { ok=0; break; }
    done
    [ $ok = 1 ] && break
    sleep 0.2
done

mkdir -p "$(dirname "$OUT")"
( sleep "$DELAY"; perf record "${PERF_OPTS[@]}" -p "${NODE_PIDS[0]}" -o "$OUT" -- sleep "$SECONDS_REC" \
    >/dev/null 2>&1 ) &
PERF=$!
"$LOADGEN" --dir "$RUN_DIR/net" --pids "$(IFS=,; echo "${NODE_PIDS[*]}")" \
    --waybill "$WAYBILL" --out "$RUN_DIR/profile.json" "${LG_OPTS[@]+"${LG_OPTS[@]}"}" |
    grep -E '^(phase|  [0-9])'
wait "$PERF"
echo "profile of node0 written to $OUT"
