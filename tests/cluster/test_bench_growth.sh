#!/usr/bin/env bash
# The growth run of the benchmark, tiny: `GROWTH=1 bash bench/run.sh` with
# two loads of 2,000 events (bench/growth.sh) fills a fresh testnet, syncs an
# emptied validator and restarts it; it exits 0, prints one line per load
# and ends with the summary line, every field a number, and writes its JSON.
# Settings it cannot run with exit 2 before any node starts. The run starts
# and stops its own nodes (by PID); this test stops the run if it is stopped.
cd "$(dirname "$0")/../.." || exit 2
. tests/cluster/lib.sh

BUILD=${BUILD:-build}
export BUILD
RUN_PID=""
OUT_DIR=$(mktemp -d /tmp/waybill-growth-test.XXXXXX)
growth_cleanup() {
    if [ -n "$RUN_PID" ]; then
        kill -TERM "$RUN_PID" 2>/dev/null
        wait "$RUN_PID" 2>/dev/null
    fi
    rm -rf "$OUT_DIR"
    cluster_cleanup
}
trap growth_cleanup EXIT
trap 'exit 130' INT TERM

if [ ! -x "$BUILD/bench/loadgen" ]; then
    t_log "missing $BUILD/bench/loadgen (make $BUILD/bench/loadgen)"
    T_FAIL=1
    finish
fi

# In the background so that a signal to this test reaches the run at once.
GROWTH=1 GROWTH_EVENTS=4000 GROWTH_LOADS=2 BENCH_RESULTS="$OUT_DIR/results" \
    bash bench/run.sh >"$OUT_DIR/run.out" 2>&1 &
RUN_PID=$!
wait "$RUN_PID"
rc=$?
RUN_PID=""
t_log "growth run exited with $rc; its last lines:"
tail -8 "$OUT_DIR/run.out"
check "the growth run exits 0" test "$rc" -eq 0
last=$(tail -1 "$OUT_DIR/run.out")
check "its last line is the growth summary" grep -q '^waybill growth ' <<<"$last"
for f in events sat_first sat_last sat_ratio catchup_events_per_s catchup_ratio startup_ms; do
    check "summary field $f is a number" grep -qE " $f=[0-9]+(\.[0-9]+)?( |$)" <<<"$last"
done
check "summary: events=4000" grep -q ' events=4000 ' <<<"$last"
check "one line per load" test "$(grep -c '^load [12]: ' "$OUT_DIR/run.out")" -eq 2
check "the second load finds the first one's events" \
    grep -q '^load 2: 4000 events on the ledger' "$OUT_DIR/run.out"
check "each load's blocks were checked" \
    test "$(grep -c 'checks of this load only .*: ok: ' "$OUT_DIR/run.out")" -eq 2
check "the emptied node synced every event" grep -q 'node3 synced 4000 events' "$OUT_DIR/run.out"
check "each target is stated" test "$(grep -cE ' (met|MISSED)$' "$OUT_DIR/run.out")" -eq 2
json=$(ls "$OUT_DIR"/results/growth-*.json 2>/dev/null | head -1)
check "the figures are written as JSON" test -s "$OUT_DIR/results/latest-growth.json"
if command -v jq >/dev/null; then
    check "the JSON parses and holds both loads" \
        test "$(jq '.load_runs | length' "${json:-/dev/null}" 2>/dev/null)" = 2
fi

GROWTH=1 GROWTH_EVENTS=4050 GROWTH_LOADS=2 BENCH_RESULTS="$OUT_DIR/results" \
    bash bench/run.sh >"$OUT_DIR/bad.out" 2>&1
check "loads that are not whole items exit 2" test $? -eq 2
finish
