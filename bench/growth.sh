#!/usr/bin/env bash
# `make bench GROWTH=1`: how the cost per event grows with the ledger. One
# fresh 4-validator testnet on 127.0.0.1 (real `waybill node` processes,
# default durability) is filled by GROWTH_LOADS saturation loads of
# GROWTH_EVENTS / GROWTH_LOADS events each (build/bench/loadgen --phases sat,
# fresh items per load, 100 events per item); after each load: events on the
# ledger, saturation, its ratio to load 1 (saturation on an empty ledger),
# p50/p99, disk bytes per event, node CPU per event and the CPU other
# processes took meanwhile. Then:
#   catch-up: the last validator is stopped, its store (data.mdb, lock.mdb)
#     moved aside (its keys, config and safety record stay), and it is
#     started empty; timed from its spawn until its committed height equals
#     the height the others had then; events synced / seconds;
#   start-up: it is stopped and started again on the full ledger; timed from
#     its spawn until it answers status with that height.
# Usage: BUILD=build [GROWTH_EVENTS=1000000] [GROWTH_LOADS=5] [BENCH_RESULTS=DIR]
#        bash bench/growth.sh        (bench/run.sh runs it when GROWTH=1)
# GROWTH_EVENTS / GROWTH_LOADS must be a multiple of 100, at least 200; e.g.
# GROWTH_EVENTS=100000 GROWTH_LOADS=2 for a quick try. GROWTH_CATCHUP_S (default
# 1200) bounds the catch-up wait. Figures go to BENCH_RESULTS (default
# bench/results)/growth-<time>.json. Exit 0 when the run completed and every
# check passed (a missed target is reported, not an error), 1 otherwise, 2
# for bad settings. Every node is started and stopped by PID; every wait is
# bounded; the nodes are stopped on every exit path.
set -u

STARTED_MS=$(date +%s%3N)
BUILD=${BUILD:-build}
NODES=4
PER_ITEM=100
EVENTS=${GROWTH_EVENTS:-1000000}
LOADS=${GROWTH_LOADS:-5}
CATCHUP_S=${GROWTH_CATCHUP_S:-1200}
WAYBILL=$PWD/$BUILD/waybill
LOADGEN=$PWD/$BUILD/bench/loadgen
RESULTS=${BENCH_RESULTS:-$PWD/bench/results}
# Targets of issue 12.
TARGET_SAT_RATIO=0.9
TARGET_CATCHUP_RATIO=3

NODE_PIDS=()
LOADGEN_PID=""
RUN_DIR=""
KEEP_RUN_DIR=0

say() { printf 'growth: %s\n' "$*"; }
now_ms() { date +%s%3N; }

# stop_node I: TERM, up to 5 s, then KILL; reaps it.
stop_node() {
    local pid=${NODE_PIDS[$1]:-}
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    NODE_PIDS[$1]=""
}

start_node() {
    "$WAYBILL" node --config "$RUN_DIR/net/node$1/node.ini" >>"$RUN_DIR/node$1.log" 2>&1 &
    NODE_PIDS[$1]=$!
}

cleanup() {
    local i
    if [ -n "$LOADGEN_PID" ]; then
        kill -TERM "$LOADGEN_PID" 2>/dev/null
        wait "$LOADGEN_PID" 2>/dev/null
    fi
    for i in "${!NODE_PIDS[@]}"; do
        [ -n "${NODE_PIDS[$i]}" ] && kill -TERM "${NODE_PIDS[$i]}" 2>/dev/null
    done
    for i in "${!NODE_PIDS[@]}"; do stop_node "$i"; done
    if [ -n "$RUN_DIR" ] && [ "$KEEP_RUN_DIR" = 0 ]; then rm -rf "$RUN_DIR"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# fail MESSAGE: keeps the logs, prints the summary line of a failed run.
fail() {
    say "FAILED: $*; node logs kept in $RUN_DIR"
    KEEP_RUN_DIR=1
    echo "waybill growth FAILED: $*"
    exit 1
}

case "$EVENTS$LOADS" in *[!0-9]*) say "GROWTH_EVENTS and GROWTH_LOADS must be numbers"; exit 2 ;; esac
[ "$LOADS" -ge 1 ] || { say "GROWTH_LOADS must be at least 1"; exit 2; }
PER_LOAD=$((EVENTS / LOADS))
if [ $((PER_LOAD * LOADS)) -ne "$EVENTS" ] || [ $((PER_LOAD % PER_ITEM)) -ne 0 ] ||
    [ "$PER_LOAD" -lt $((2 * PER_ITEM)) ]; then
    say "GROWTH_EVENTS / GROWTH_LOADS must be a whole multiple of $PER_ITEM, at least $((2 * PER_ITEM))"
    exit 2
fi
ITEMS=$((PER_LOAD / PER_ITEM))
[ $((ITEMS * LOADS)) -le 1000000 ] || { say "more than 1,000,000 items"; exit 2; }
for f in "$WAYBILL" "$LOADGEN"; do
    [ -x "$f" ] || { say "missing $f (run make bench GROWTH=1, which builds it)"; exit 1; }
done

# shellcheck source=scripts/testnet_lib.sh
. "$PWD/scripts/testnet_lib.sh"
NODE_PIDS=()

api() { echo "127.0.0.1:$((BASE + 100 + $1))"; }
# status I: node I's status as JSON (fails if it does not answer).
status() {
    "$WAYBILL" status --json --node "$(api "$1")" --key "$RUN_DIR/net/node$1/client.key" \
        --timeout 2 2>/dev/null
}
# field NAME: an integer field of the JSON on stdin (empty if absent).
field() { grep -o "\"$1\": *[0-9]*" | head -1 | grep -o '[0-9]*$'; }
# block_hash I H: the hash of node I's block H.
block_hash() {
    "$WAYBILL" block "$2" --json --node "$(api "$1")" --key "$RUN_DIR/net/node$1/client.key" \
        --timeout 10 2>/dev/null | grep -o '"hash": *"[0-9a-f]*"' | head -1 | grep -o '[0-9a-f]\{64\}'
}
all_ready() {
    local i
    for ((i = 0; i < NODES; i++)); do
        status "$i" | grep -q "\"peers_connected\": *$((NODES - 1))" || return 1
    done
}
alive() { kill -0 "${NODE_PIDS[$1]}" 2>/dev/null; }
# ratio A B: A / B with two decimals (0.00 when B is 0).
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
# at_least A B: A >= B as numbers.
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

mkdir -p "$RESULTS" || exit 1
RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/waybill-growth.XXXXXX")
BASE=$(pick_base_port "$NODES") || { say "no free ports"; exit 1; }
"$WAYBILL" testnet --nodes "$NODES" --dir "$RUN_DIR/net" --base-port "$BASE" \
    >"$RUN_DIR/testnet.out" 2>&1 || { cat "$RUN_DIR/testnet.out"; exit 1; }
for ((i = 0; i < NODES; i++)); do start_node "$i"; done
say "testnet of $NODES validators in $RUN_DIR, ports $BASE.., node PIDs ${NODE_PIDS[*]}"
say "$LOADS loads of $PER_LOAD events ($ITEMS items of $PER_ITEM events each), $EVENTS in all"

ready=0
for _ in $(seq 150); do
    all_ready && { ready=1; break; }
    for ((i = 0; i < NODES; i++)); do alive "$i" || fail "node$i exited at start"; done
    sleep 0.2
done
[ $ready = 1 ] || fail "the nodes did not connect within 30 s"

# ---- the loads ----------------------------------------------------------------
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
SAT_FIRST=0
SAT_LAST=0
CPU_FIRST=0
CPU_LAST=0
LOAD_ROWS=()
for ((k = 0; k < LOADS; k++)); do
    say "load $((k + 1)) of $LOADS: items from $((k * ITEMS)) ..."
    out="$RUN_DIR/load$((k + 1)).json"
    "$LOADGEN" --dir "$RUN_DIR/net" --pids "$(IFS=,; echo "${NODE_PIDS[*]}")" \
        --waybill "$WAYBILL" --out "$out" --logs "$RUN_DIR" --phases sat \
        --events "$PER_LOAD" --items "$ITEMS" --item-base $((k * ITEMS)) \
        >"$RUN_DIR/load$((k + 1)).out" 2>&1 &
    LOADGEN_PID=$!
    wait "$LOADGEN_PID"
    rc=$?
    LOADGEN_PID=""
    sed 's/^/  | /' "$RUN_DIR/load$((k + 1)).out"
    line=$(grep '^waybill load ' "$RUN_DIR/load$((k + 1)).out" | tail -1)
    [ $rc = 0 ] && [ -n "$line" ] && [[ "$line" == *checked=ok* ]] ||
        fail "load $((k + 1)): the load generator exited with status $rc"
    get() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$line"; }
    total=$(get events_total)
    sat=$(get events_per_s)
    [ "$total" -eq $(((k + 1) * PER_LOAD)) ] ||
        fail "load $((k + 1)): the ledger holds $total events, expected $(((k + 1) * PER_LOAD))"
    cpu=$(get node_us_per_event)
    [ $k = 0 ] && SAT_FIRST=$sat && CPU_FIRST=$cpu
    SAT_LAST=$sat
    CPU_LAST=$cpu
    r=$(ratio "$sat" "$SAT_FIRST")
    row="load $((k + 1)): $total events on the ledger, saturation $sat events/s, ratio to load 1 $r, p50 $(get p50_ms) ms, p99 $(get p99_ms) ms, disk $(get disk_bytes_per_event) B per event per node, node CPU $cpu us per event, other processes $(get others_cpu_s) core-s"
    LOAD_ROWS+=("$row")
    say "$row"
done
TOTAL=$total
SAT_RATIO=$(ratio "$SAT_LAST" "$SAT_FIRST")
CPU_RATIO=$(ratio "$CPU_LAST" "$CPU_FIRST")

# ---- catch-up of an empty node by block sync ------------------------------------
LAST=$((NODES - 1))
target=""
for ((i = 0; i < LAST; i++)); do
    h=$(status "$i" | field height)
    [ -n "$h" ] || fail "node$i does not answer status"
    if [ -z "$target" ] || [ "$h" -lt "$target" ]; then target=$h; fi
done
hash0=$(block_hash 0 "$target")
[ -n "$hash0" ] || fail "node0 gives no block $target"
say "catch-up: stopping node$LAST (PID ${NODE_PIDS[$LAST]}), moving its store aside; the others are at height $target with $TOTAL events"
stop_node "$LAST"
aside="$RUN_DIR/node$LAST-store-aside"
mkdir -p "$aside" || fail "cannot create $aside"
data="$RUN_DIR/net/node$LAST/data"
mv "$data/data.mdb" "$data/lock.mdb" "$aside/" || fail "cannot move the store of node$LAST aside"
t0=$(now_ms)
start_node "$LAST"
deadline=$((SECONDS + CATCHUP_S))
synced=""
while true; do
    alive "$LAST" || fail "node$LAST exited during catch-up"
    st=$(status "$LAST") && h=$(field height <<<"$st") && [ -n "$h" ] && [ "$h" -ge "$target" ] && {
        synced=$(field events_committed <<<"$st")
        break
    }
    [ "$SECONDS" -lt "$deadline" ] || fail "node$LAST did not reach height $target within $CATCHUP_S s"
    sleep 0.05
done
t1=$(now_ms)
CATCHUP_MS=$((t1 - t0))
[ "$synced" -ge "$TOTAL" ] || fail "node$LAST reached height $target with $synced events, expected $TOTAL"
hash3=$(block_hash "$LAST" "$target")
[ "$hash3" = "$hash0" ] || fail "node$LAST's block $target differs from node0's"
rm -rf "$aside"
CATCHUP_PER_S=$(awk -v e="$synced" -v ms="$CATCHUP_MS" 'BEGIN { printf "%.0f", (ms > 0 ? e * 1000 / ms : 0) }')
CATCHUP_RATIO=$(ratio "$CATCHUP_PER_S" "$SAT_FIRST")
say "catch-up: node$LAST synced $synced events (height $target, block hash as node0's) in $CATCHUP_MS ms from its spawn (its start-up included): $CATCHUP_PER_S events/s, $CATCHUP_RATIO x load 1's saturation"

# ---- start-up on the full ledger --------------------------------------------------
stop_node "$LAST"
t0=$(now_ms)
start_node "$LAST"
deadline=$((SECONDS + 300))
while true; do
    alive "$LAST" || fail "node$LAST exited at start-up"
    h=$(status "$LAST" | field height)
    [ -n "$h" ] && [ "$h" -ge "$target" ] && break
    [ "$SECONDS" -lt "$deadline" ] || fail "node$LAST did not answer with height $target within 300 s"
    sleep 0.02
done
STARTUP_MS=$(($(now_ms) - t0))
say "start-up: node$LAST on the full ledger ($TOTAL events) answered status with height $h $STARTUP_MS ms after its spawn (polled every 20 ms, each poll a waybill status process)"

# ---- summary ----------------------------------------------------------------------
met() { at_least "$1" "$2" && echo met || echo MISSED; }
SAT_RESULT=$(met "$SAT_RATIO" "$TARGET_SAT_RATIO")
CATCHUP_RESULT=$(met "$CATCHUP_RATIO" "$TARGET_CATCHUP_RATIO")
RUN_S=$(awk -v a="$STARTED_MS" -v b="$(now_ms)" 'BEGIN { printf "%.1f", (b - a) / 1000 }')
echo
echo "== growth: $LOADS loads of $PER_LOAD events on one $NODES-validator testnet ($RUN_S s) =="
for row in "${LOAD_ROWS[@]}"; do echo "$row"; done
printf '%-48s %-10s %-12s %s\n' "target" "limit" "measured" "result"
printf '%-48s %-10s %-12s %s\n' "saturation at $TOTAL events / on an empty ledger" ">= $TARGET_SAT_RATIO" "$SAT_RATIO" "$SAT_RESULT"
printf '%-48s %-10s %-12s %s\n' "catch-up by block sync / empty-ledger sat." ">= $TARGET_CATCHUP_RATIO" "$CATCHUP_RATIO" "$CATCHUP_RESULT"
printf '%-48s %-10s %-12s %s\n' "start-up on the full ledger" "-" "$STARTUP_MS ms" "not a target"
echo "node CPU per event (less swayed by other work on the machine than saturation): load 1 $CPU_FIRST us, load $LOADS $CPU_LAST us, ratio $CPU_RATIO"

OUT="$RESULTS/growth-$STAMP.json"
{
    printf '{\n  "events": %s, "loads": %s, "events_per_load": %s, "nodes": %s, "run_s": %s,\n' \
        "$TOTAL" "$LOADS" "$PER_LOAD" "$NODES" "$RUN_S"
    printf '  "saturation_first": %s, "saturation_last": %s, "saturation_ratio": %s,\n' \
        "$SAT_FIRST" "$SAT_LAST" "$SAT_RATIO"
    printf '  "catchup": {"events": %s, "height": %s, "ms": %s, "events_per_s": %s, "ratio": %s},\n' \
        "$synced" "$target" "$CATCHUP_MS" "$CATCHUP_PER_S" "$CATCHUP_RATIO"
    printf '  "startup_ms": %s,\n' "$STARTUP_MS"
    printf '  "node_us_per_event_first": %s, "node_us_per_event_last": %s, "node_us_per_event_ratio": %s,\n' \
        "$CPU_FIRST" "$CPU_LAST" "$CPU_RATIO"
    printf '  "targets": {"saturation_ratio": {"limit": %s, "result": "%s"}, "catchup_ratio": {"limit": %s, "result": "%s"}},\n' \
        "$TARGET_SAT_RATIO" "$SAT_RESULT" "$TARGET_CATCHUP_RATIO" "$CATCHUP_RESULT"
    printf '  "load_runs": [\n'
    for ((k = 1; k <= LOADS; k++)); do
        cat "$RUN_DIR/load$k.json"
        [ $k -lt "$LOADS" ] && printf ','
        printf '\n'
    done
    printf '  ]\n}\n'
} >"$OUT" || fail "cannot write $OUT"
cp "$OUT" "$RESULTS/latest-growth.json" || fail "cannot write $RESULTS/latest-growth.json"
echo "figures written to $OUT"
echo "waybill growth events=$TOTAL sat_first=$SAT_FIRST sat_last=$SAT_LAST sat_ratio=$SAT_RATIO catchup_events_per_s=$CATCHUP_PER_S catchup_ratio=$CATCHUP_RATIO startup_ms=$STARTUP_MS"
exit 0
