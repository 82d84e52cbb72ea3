#!/usr/bin/env bash
# `make bench-risk`: issue 16's two risk timings (docs/performance.md,
# "Risk scores"):
#  - `waybill risk --org ORG` over ITEMS items (default 100,000; target
#    under 2 s), answered from the node's score table;
#  - `waybill risk ITEM` of one 1,000-event chain (target under 50 ms),
#    fetch, verify and judge, whole process.
# A 4-validator testnet on 127.0.0.1 is filled by build/bench/loadgen
# (saturation phase only): ITEMS items of PER_ITEM events each (a trade
# journey: commission, seal, one leg through the carrier), then one item
# of CHAIN events. The script waits until node 0 has judged every item
# (no item pending, as of its head), then times each command RUNS times
# (median and worst), restarts node 0 and times the rebuild of its score
# table (from its log). The nodes are this script's, stopped by PID on
# every exit; every wait is bounded.
# Usage: BUILD=build [ITEMS=100000] [PER_ITEM=15] [CHAIN=1000] [RUNS=5] [ORG=blue-ocean-lines]
#        bash bench/risk_org.sh
# Last line:
#   risk-org items=N org_ms=M org_worst_ms=W item_events=E item_ms=I item_worst_ms=J
#       rebuild_ms=R target_org=2000 target_item=50 result=met|MISSED
set -u
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
ITEMS=${ITEMS:-100000}
PER_ITEM=${PER_ITEM:-15}
CHAIN=${CHAIN:-1000}
RUNS=${RUNS:-5}
WAYBILL=${WAYBILL:-$PWD/$BUILD/waybill}
LOADGEN=$PWD/$BUILD/bench/loadgen
case "$ITEMS$PER_ITEM$CHAIN$RUNS" in *[!0-9]* | '') echo "risk-org: ITEMS, PER_ITEM, CHAIN and RUNS must be numbers" >&2; exit 2 ;; esac
for f in "$WAYBILL" "$LOADGEN"; do
    [ -x "$f" ] || { echo "risk-org: missing $f (make bench-risk builds it)" >&2; exit 1; }
done
. scripts/testnet_lib.sh

declare -a NODE_PIDS=()
bench_cleanup() {
    local i
    for i in "${!NODE_PIDS[@]}"; do [ -n "${NODE_PIDS[$i]}" ] && kill -TERM "${NODE_PIDS[$i]}" 2>/dev/null; done
    for i in "${!NODE_PIDS[@]}"; do [ -n "${NODE_PIDS[$i]}" ] && wait "${NODE_PIDS[$i]}" 2>/dev/null; done
    [ -n "${T_DIR:-}" ] && [ "${KEEP:-0}" != 1 ] && rm -rf "$T_DIR"
}
trap bench_cleanup EXIT
say() { printf 'risk-org: %s\n' "$*"; }
fail() { say "FAILED: $*"; KEEP=1; say "logs kept in $T_DIR"; exit 1; }
ms() { date +%s%3N; }

testnet_create 4 || exit 1
# No fsync per commit: the figures are of the scores, not the disk.
for i in 0 1 2 3; do sed -i 's/^sync = true/sync = false/' "$T_DIR/net/node$i/node.ini"; done
for i in 0 1 2 3; do node_start "$i"; done
wait_for 60 nodes_up || fail "the testnet did not start"
pids=$(IFS=,; echo "${NODE_PIDS[*]}")

load() { # EVENTS ITEMS BASE TAG
    "$LOADGEN" --dir "$T_DIR/net" --pids "$pids" --waybill "$WAYBILL" --out "$T_DIR/$4.json" \
        --logs "$T_DIR" --phases sat --events "$1" --items "$2" --item-base "$3" \
        >"$T_DIR/$4.out" 2>&1 || fail "loadgen ($4): $(tail -2 "$T_DIR/$4.out" | tr '\n' ' ')"
    grep '^waybill load ' "$T_DIR/$4.out" | tail -1
}
t0=$(ms)
say "loading $ITEMS items of $PER_ITEM events"
say "$(load $((ITEMS * PER_ITEM)) "$ITEMS" 0 items)"
say "loading one item of $CHAIN events"
say "$(load "$CHAIN" 1 "$ITEMS" chain)"
say "loaded in $(( ($(ms) - t0) / 1000 )) s"

# The chain's item: container WBLU<number><check digit> (bench/lg_load.c).
ITEM=$(python3 - "$ITEMS" <<'PY'
import sys
first = "WBLU%06d" % int(sys.argv[1])
val = {}
v = 10
for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
    if v % 11 == 0:
        v += 1
    val[c] = v
    v += 1
s = sum((val[c] if c.isalpha() else int(c)) * (2 ** i) for i, c in enumerate(first))
print(first + str(s % 11 % 10))
PY
)
# settled I: node I has judged every item as of its head.
settled() {
    local h
    h=$(node_height "$1")
    [ -n "$h" ] || return 1
    wb "$1" items --flagged --limit 1 --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if d["scores_pending"] == 0 and d["scores_height"] >= int(sys.argv[1]) else 1)' "$h"
}
t0=$(ms)
wait_for 1800 settled 0 || fail "node 0 did not judge every item within 30 min"
say "node 0 judged every item $(( ($(ms) - t0) / 1000 )) s after the load ended"

events=$(wb 0 history "$ITEM" --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"]["count"])')
[ "$events" = "$CHAIN" ] || fail "$ITEM has ${events:-no} events, expected $CHAIN"
# the carrier of the testnet: it held every item on its one leg
CARRIER=${ORG:-blue-ocean-lines}
time_runs() { # OUT_VAR_PREFIX CMD...: median and worst wall ms of RUNS runs
    local prefix=$1 k t
    shift
    local -a all=()
    for ((k = 0; k < RUNS; k++)); do
        t=$(ms)
        "$@" >"$T_DIR/out.$prefix" 2>"$T_DIR/err.$prefix" || fail "$*: $(head -1 "$T_DIR/err.$prefix")"
        all+=($(( $(ms) - t )))
    done
    read -r med worst < <(printf '%s\n' "${all[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)], v[NR] }')
    eval "${prefix}_med=$med ${prefix}_worst=$worst"
}
time_runs org wb 0 risk --org "$CARRIER"
held=$(wb 0 risk --org "$CARRIER" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["items_held"])')
say "waybill risk --org $CARRIER over $held items held ($((ITEMS + 1)) on the ledger): median $org_med ms, worst $org_worst ms of $RUNS"
time_runs item wb 0 risk "$ITEM"
say "waybill risk $ITEM ($CHAIN events): median $item_med ms, worst $item_worst ms of $RUNS"

# the rebuild at start-up, as node 0 logs it
kill -TERM "${NODE_PIDS[0]}" && wait "${NODE_PIDS[0]}" 2>/dev/null
NODE_PIDS[0]=""
: >"$T_DIR/node0.log"
node_start 0
wait_for 60 nodes_up || fail "node 0 did not come back"
wait_for 1800 grep -q "scores rebuilt" "$T_DIR/node0.log" || fail "node 0 did not rebuild its scores within 30 min"
rebuild=$(sed -n 's/.*scores rebuilt: [0-9]* items in \([0-9.]*\) ms.*/\1/p' "$T_DIR/node0.log" | tail -1)
say "node 0 rebuilt its score table at start-up in $rebuild ms ($(grep -o 'scores rebuilt: .*' "$T_DIR/node0.log" | tail -1))"

result=met
[ "$org_med" -lt 2000 ] && [ "$item_med" -lt 50 ] || result=MISSED
echo "risk-org items=$((ITEMS + 1)) org_ms=$org_med org_worst_ms=$org_worst item_events=$CHAIN item_ms=$item_med item_worst_ms=$item_worst rebuild_ms=$rebuild target_org=2000 target_item=50 result=$result"
