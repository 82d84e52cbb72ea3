#!/usr/bin/env bash
# `make bench`: a fresh 4-validator testnet on 127.0.0.1 (real `waybill node`
# processes, default durability), driven and measured by build/bench/loadgen.
# Usage: BUILD=build QUICK=0|1 [LOADGEN_ARGS="--sat-rate N ..."] bash bench/run.sh
# (GROWTH=1 [GROWTH_EVENTS=N GROWTH_LOADS=N]: the growth run, bench/growth.sh)
# (LOADGEN_ARGS: extra load generator options, for experiments; see
# `build/bench/loadgen --help`). The nodes are killed by PID
# on every exit path. The last line of the output is the loadgen's summary.
set -u

STARTED_MS=$(date +%s%3N)
BUILD=${BUILD:-build}
QUICK=${QUICK:-0}
NODES=4
WAYBILL=$PWD/$BUILD/waybill
LOADGEN=$PWD/$BUILD/bench/loadgen
RESULTS=$PWD/bench/results

NODE_PIDS=()
LOADGEN_PID=""
RUN_DIR=""
KEEP_RUN_DIR=${KEEP_RUN_DIR:-0} # 1: keep the run folder (node logs) after a run that succeeded too

say() { printf 'bench: %s\n' "$*"; }

# stop_nodes and cleanup (NODE_PIDS, LOADGEN_PID, RUN_DIR, KEEP_RUN_DIR).
# shellcheck source=bench/bench_lib.sh
. "$PWD/bench/bench_lib.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM

# GROWTH=1: the growth run of issue 12 instead (a testnet filled to
# 1,000,000 events, catch-up and start-up times; bench/growth.sh), which
# starts and stops its own nodes.
if [ "${GROWTH:-0}" != 0 ]; then
    exec bash "$PWD/bench/growth.sh"
fi
for f in "$WAYBILL" "$LOADGEN"; do
    [ -x "$f" ] || { say "missing $f (run make bench, which builds it)"; exit 1; }
done

# pick_base_port N (free validator and client ports below the ephemeral range)
# comes from the shared testnet helpers.
# shellcheck source=scripts/testnet_lib.sh
. "$PWD/scripts/testnet_lib.sh"
NODE_PIDS=()

# Whether every node answers and sees all its peers.
all_ready() {
    local i out
    for ((i = 0; i < NODES; i++)); do
        out=$("$WAYBILL" status --json --node "127.0.0.1:$((BASE + 100 + i))" \
            --key "$RUN_DIR/net/node$i/client.key" --timeout 2 2>/dev/null) || return 1
        echo "$out" | grep -q "\"peers_connected\": *$((NODES - 1))" || return 1
    done
}

mkdir -p "$RESULTS"
RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/waybill-bench.XXXXXX")
BASE=$(pick_base_port "$NODES") || { say "no free ports"; exit 1; }
"$WAYBILL" testnet --nodes "$NODES" --dir "$RUN_DIR/net" --base-port "$BASE" \
    >"$RUN_DIR/testnet.out" 2>&1 || { cat "$RUN_DIR/testnet.out"; exit 1; }
for ((i = 0; i < NODES; i++)); do
    "$WAYBILL" node --config "$RUN_DIR/net/node$i/node.ini" >"$RUN_DIR/node$i.log" 2>&1 &
    NODE_PIDS+=($!)
done
say "testnet of $NODES validators in $RUN_DIR, ports $BASE.., node PIDs ${NODE_PIDS[*]}"

ready=0
for _ in $(seq 150); do
    all_ready && { ready=1; break; }
    for pid in "${NODE_PIDS[@]}"; do
        kill -0 "$pid" 2>/dev/null || { say "node $pid exited; logs kept in $RUN_DIR"; KEEP_RUN_DIR=1; exit 1; }
    done
    sleep 0.2
done
[ $ready = 1 ] || { say "the nodes did not connect within 30 s; logs kept in $RUN_DIR"; KEEP_RUN_DIR=1; exit 1; }

OUT="$RESULTS/bench-$(date -u +%Y%m%dT%H%M%SZ)$([ "$QUICK" = 1 ] && echo -quick).json"
ARGS=(--dir "$RUN_DIR/net" --pids "$(IFS=,; echo "${NODE_PIDS[*]}")" --waybill "$WAYBILL"
      --out "$OUT" --started-ms "$STARTED_MS" --logs "$RUN_DIR")
[ "$QUICK" = 1 ] && ARGS+=(--quick)
read -r -a EXTRA_ARGS <<<"${LOADGEN_ARGS:-}"
ARGS+=("${EXTRA_ARGS[@]+"${EXTRA_ARGS[@]}"}")
# In the background so that a signal to this script is handled at once
# (bash runs traps only between foreground commands).
"$LOADGEN" "${ARGS[@]}" &
LOADGEN_PID=$!
wait "$LOADGEN_PID"
rc=$?
LOADGEN_PID=""
if [ $rc = 0 ]; then
    cp "$OUT" "$RESULTS/latest$([ "$QUICK" = 1 ] && echo -quick).json"
else
    # The loadgen named the kept logs: its summary line stays the last one.
    KEEP_RUN_DIR=1
fi
exit $rc
