#!/usr/bin/env bash
# `make bench-state [ROUNDS=N]`: what the item-state commitment costs. Runs
# the saturation load (build/bench/loadgen --phases sat) against a fresh
# 4-validator testnet of header version 1 (no state root) and one of header
# version 2 (the item-state root and count in every header), alternately in
# one sitting, ROUNDS times each, in the order 1 2, 2 1, 1 2, ... so that a
# machine getting slower or faster during the run weighs on both alike.
# Each run: `waybill testnet --header-version V` into a fresh folder, real
# `waybill node` processes on 127.0.0.1 (default durability), the load of
# STATE_EVENTS events over STATE_ITEMS fresh items, its blocks checked by
# the loadgen, block 1's header version checked to be V, then the nodes
# stopped and the folder removed.
# Printed per round: the saturation (events/s) of each version, the ratio
# v2 / v1, and the node CPU per event of each (less swayed by other work on
# the machine than saturation); then the worst and the median ratio against
# issue 13's target (v2 >= 0.95 x v1). The last line is
#   state-cost rounds=N sat_v1=A sat_v2=B ratio_worst=R ratio_median=M target=0.95 result=met|MISSED
# (A and B the medians). Figures also go to BENCH_RESULTS (default
# bench/results)/state-cost-<UTC time>.json.
# Usage: BUILD=build [ROUNDS=2] [STATE_EVENTS=100000] [STATE_ITEMS=1000] bash bench/state_cost.sh
# STATE_EVENTS must be a multiple of STATE_ITEMS. Exit 0 when every run
# completed and checked (a missed target is reported, not an error), 1 when
# a run failed (its logs are kept), 2 for bad settings. Every node is
# started and stopped by PID; every wait is bounded.
set -u
export LC_ALL=C

BUILD=${BUILD:-build}
ROUNDS=${ROUNDS:-2}
EVENTS=${STATE_EVENTS:-100000}
ITEMS=${STATE_ITEMS:-1000}
NODES=4
TARGET=0.95
WAYBILL=$PWD/$BUILD/waybill
LOADGEN=$PWD/$BUILD/bench/loadgen
RESULTS=${BENCH_RESULTS:-$PWD/bench/results}

NODE_PIDS=()
LOADGEN_PID=""
RUN_DIR=""
NET=""
KEEP_RUN_DIR=0

say() { printf 'state-cost: %s\n' "$*"; }

# stop_nodes and cleanup (NODE_PIDS, LOADGEN_PID, RUN_DIR, KEEP_RUN_DIR).
# shellcheck source=bench/bench_lib.sh
. "$PWD/bench/bench_lib.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    say "FAILED: $*; logs kept in $RUN_DIR"
    KEEP_RUN_DIR=1
    echo "state-cost FAILED: $*"
    exit 1
}

case "$ROUNDS$EVENTS$ITEMS" in *[!0-9]* | '') say "ROUNDS, STATE_EVENTS and STATE_ITEMS must be numbers"; exit 2 ;; esac
[ "$ROUNDS" -ge 1 ] && [ "$ITEMS" -ge 1 ] && [ "$EVENTS" -ge "$ITEMS" ] ||
    { say "ROUNDS and STATE_ITEMS must be at least 1, STATE_EVENTS at least STATE_ITEMS"; exit 2; }
[ $((EVENTS % ITEMS)) -eq 0 ] || { say "STATE_EVENTS must be a multiple of STATE_ITEMS"; exit 2; }
for f in "$WAYBILL" "$LOADGEN"; do
    [ -x "$f" ] || { say "missing $f (run make bench-state, which builds it)"; exit 1; }
done

# shellcheck source=scripts/testnet_lib.sh
. "$PWD/scripts/testnet_lib.sh"
NODE_PIDS=()

api() { echo "127.0.0.1:$((BASE + 100 + $1))"; }
status() {
    "$WAYBILL" status --json --node "$(api "$1")" --key "$NET/node$1/client.key" \
        --timeout 2 2>/dev/null
}
all_ready() {
    local i
    for ((i = 0; i < NODES; i++)); do
        status "$i" | grep -q "\"peers_connected\": *$((NODES - 1))" || return 1
    done
}
# ratio A B: A / B with three decimals (0 when B is 0).
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }
# median of the arguments.
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# run V TAG: one saturation load on a fresh testnet of header version V;
# sets SAT and CPU.
run() {
    local v=$1 tag=$2 i ready line rc hv
    NET="$RUN_DIR/$tag/net"
    mkdir -p "$RUN_DIR/$tag" || fail "cannot create $RUN_DIR/$tag"
    BASE=$(pick_base_port "$NODES") || fail "no free ports"
    "$WAYBILL" testnet --nodes "$NODES" --dir "$NET" --base-port "$BASE" --header-version "$v" \
        >"$RUN_DIR/$tag/testnet.out" 2>&1 || fail "$tag: waybill testnet failed: $(tail -1 "$RUN_DIR/$tag/testnet.out")"
    for ((i = 0; i < NODES; i++)); do
        "$WAYBILL" node --config "$NET/node$i/node.ini" >"$RUN_DIR/$tag/node$i.log" 2>&1 &
        NODE_PIDS+=($!)
    done
    ready=0
    for _ in $(seq 150); do
        all_ready && { ready=1; break; }
        for i in "${NODE_PIDS[@]}"; do kill -0 "$i" 2>/dev/null || fail "$tag: node $i exited at start"; done
        sleep 0.2
    done
    [ $ready = 1 ] || fail "$tag: the nodes did not connect within 30 s"
    "$LOADGEN" --dir "$NET" --pids "$(IFS=,; echo "${NODE_PIDS[*]}")" --waybill "$WAYBILL" \
        --out "$RUN_DIR/$tag/load.json" --logs "$RUN_DIR/$tag" --phases sat \
        --events "$EVENTS" --items "$ITEMS" >"$RUN_DIR/$tag/load.out" 2>&1 &
    LOADGEN_PID=$!
    wait "$LOADGEN_PID"
    rc=$?
    LOADGEN_PID=""
    line=$(grep '^waybill load ' "$RUN_DIR/$tag/load.out" | tail -1)
    [ $rc = 0 ] && [[ "$line" == *checked=ok* ]] ||
        fail "$tag: the load generator exited with status $rc: $(tail -2 "$RUN_DIR/$tag/load.out" | tr '\n' ' ')"
    "$WAYBILL" block 1 --json --node "$(api 0)" --key "$NET/node0/client.key" --timeout 10 \
        >"$RUN_DIR/$tag/block1.json" 2>&1
    # `waybill block --json` names the version of a header that carries the
    # item-state commitment; one without it is version 1.
    hv=$(grep -o '"header_version": *[0-9]*' "$RUN_DIR/$tag/block1.json" | head -1 | grep -o '[0-9]*$')
    if [ -z "$hv" ] && grep -q '"hash_ok": *true' "$RUN_DIR/$tag/block1.json" &&
        ! grep -q '"state_root"' "$RUN_DIR/$tag/block1.json"; then
        hv=1
    fi
    [ "$hv" = "$v" ] || fail "$tag: block 1 has header version '${hv:-none}', expected $v (see $RUN_DIR/$tag/block1.json)"
    stop_nodes
    SAT=$(sed -n 's/.* events_per_s=\([0-9.]*\).*/\1/p' <<<"$line")
    CPU=$(sed -n 's/.* node_us_per_event=\([0-9.]*\).*/\1/p' <<<"$line")
    [ -n "$SAT" ] && [ -n "$CPU" ] || fail "$tag: no figures in '$line'"
    cp "$RUN_DIR/$tag/load.json" "$RUN_DIR/$tag.json" || fail "cannot keep $tag's figures"
    rm -rf "${RUN_DIR:?}/$tag"
    say "$tag: header version $v, saturation $SAT events/s, node CPU $CPU us per event"
}

mkdir -p "$RESULTS" || exit 1
RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/waybill-state-cost.XXXXXX")
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
say "$ROUNDS rounds of two saturation loads ($EVENTS events over $ITEMS fresh items each), header versions 1 and 2 alternately, in $RUN_DIR"
say "figures of this machine as it is now: other work on it weighs on every run"
ROWS=()
RATIOS=()
SAT1=()
SAT2=()
for ((r = 1; r <= ROUNDS; r++)); do
    if [ $((r % 2)) = 1 ]; then order="1 2"; else order="2 1"; fi
    for v in $order; do
        run "$v" "r$r-v$v"
        eval "SAT_V$v=\$SAT; CPU_V$v=\$CPU"
    done
    q=$(ratio "$SAT_V2" "$SAT_V1")
    RATIOS+=("$q")
    SAT1+=("$SAT_V1")
    SAT2+=("$SAT_V2")
    ROWS+=("$(printf '%-5s %-6s %10s %10s %8s %12s %12s' "$r" "${order// /,}" "$SAT_V1" "$SAT_V2" "$q" "$CPU_V1" "$CPU_V2")")
done

WORST=$(printf '%s\n' "${RATIOS[@]}" | sort -g | head -1)
MEDIAN=$(median "${RATIOS[@]}")
MED1=$(median "${SAT1[@]}")
MED2=$(median "${SAT2[@]}")
RESULT=$(awk -v a="$WORST" -v t="$TARGET" 'BEGIN { print (a >= t ? "met" : "MISSED") }')
echo
echo "== state cost: saturation of header version 2 against version 1, $ROUNDS rounds =="
printf '%-5s %-6s %10s %10s %8s %12s %12s\n' round order "sat v1/s" "sat v2/s" "v2/v1" "cpu v1 us" "cpu v2 us"
for row in "${ROWS[@]}"; do echo "$row"; done
echo "worst ratio $WORST, median $MEDIAN; target v2 >= $TARGET x v1 (worst round): $RESULT"

OUT="$RESULTS/state-cost-$STAMP.json"
{
    printf '{\n  "rounds": %s, "events": %s, "items": %s, "nodes": %s, "target": %s,\n' \
        "$ROUNDS" "$EVENTS" "$ITEMS" "$NODES" "$TARGET"
    printf '  "ratio_worst": %s, "ratio_median": %s, "result": "%s",\n' "$WORST" "$MEDIAN" "$RESULT"
    printf '  "runs": [\n'
    first=1
    for ((r = 1; r <= ROUNDS; r++)); do
        for v in 1 2; do
            [ $first = 1 ] || printf ',\n'
            first=0
            printf '    {"round": %s, "header_version": %s, "load": ' "$r" "$v"
            cat "$RUN_DIR/r$r-v$v.json"
            printf '}'
        done
    done
    printf '\n  ]\n}\n'
} >"$OUT" || fail "cannot write $OUT"
echo "figures written to $OUT"
echo "state-cost rounds=$ROUNDS sat_v1=$MED1 sat_v2=$MED2 ratio_worst=$WORST ratio_median=$MEDIAN target=$TARGET result=$RESULT"
exit 0
