#!/usr/bin/env bash
# Runs every test suite (lint, unit, sim, cluster) and ends with "N passed, N failed".
# Each suite's output goes to $BUILD/test-logs/<suite>.log; a failing suite's
# log is printed. Counts are of individual test cases: cmocka's summary lines
# for unit programs, the "N passed, N failed" line for the others. A program
# that dies without a summary counts as one failure.
set -u
BUILD=${BUILD:-build}
export WAYBILL="$PWD/$BUILD/waybill"
export CMOCKA_MESSAGE_OUTPUT=stdout
logs="$BUILD/test-logs"
mkdir -p "$logs"
total_pass=0
total_fail=0

run_suite() { # name, timeout seconds, command...
    local name=$1 limit=$2
    shift 2
    local log="$logs/${name////_}.log" start=$SECONDS
    timeout --kill-after=10 "$limit" "$@" >"$log" 2>&1
    local rc=$? pass=0 fail=0 line
    if line=$(grep -E '^(\w+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -1) && [ -n "$line" ]; then
        pass=$(sed -E 's/^(\w+: )?([0-9]+) passed.*/\2/' <<<"$line")
        fail=$(sed -E 's/^(\w+: )?[0-9]+ passed, ([0-9]+) failed.*/\2/' <<<"$line")
    else
        pass=$(grep -E '^\[  PASSED  \] [0-9]+ test' "$log" | tail -1 | grep -oE '[0-9]+' | head -1)
        fail=$(grep -E '^\[  FAILED  \] [0-9]+ test' "$log" | tail -1 | grep -oE '[0-9]+' | head -1)
        pass=${pass:-0}
        fail=${fail:-0}
    fi
    if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
        fail=1
        [ "$rc" -eq 124 ] && echo "  $name: timed out after ${limit}s" >&2
    fi
    total_pass=$((total_pass + pass))
    total_fail=$((total_fail + fail))
    printf '%-32s %5d passed %3d failed  (%ds)\n' "$name" "$pass" "$fail" $((SECONDS - start))
    if [ "$fail" -ne 0 ]; then
        echo "---- $log (last 60 lines) ----"
        tail -60 "$log"
        echo "----"
    fi
}

# Checks of the source tree itself (tests/lint/*.sh, each ending with its
# own "N passed, N failed" line).
for t in tests/lint/*.sh; do
    [ -f "$t" ] || continue
    run_suite "lint/$(basename "$t" .sh)" 120 bash "$t"
done
# One program per source file: a binary left in the build folder by a test
# that no longer exists is not run, and a missing one counts as a failure.
for src in tests/unit/*.c; do
    name=$(basename "$src" .c)
    t="$BUILD/tests/unit/$name"
    if [ ! -x "$t" ]; then
        echo "unit/$name: $t was not built"
        total_fail=$((total_fail + 1))
        continue
    fi
    run_suite "unit/$name" 300 "$t"
done
if [ -x "$BUILD/tests/sim/sim" ]; then
    run_suite "sim" 600 "$BUILD/tests/sim/sim"
    # Validator-set changes (additions, removals, a complete replacement,
    # cycling) in every seed, mixed into the usual faults: as many seeds as
    # the default suite's 1000 (make sim-valset SEEDS=N for more).
    run_suite "sim-valset" 600 "$BUILD/tests/sim/sim" --campaign --valset any --seeds 1000
fi
for t in tests/cluster/test_*.sh; do
    [ -f "$t" ] || continue
    run_suite "cluster/$(basename "$t" .sh)" 600 bash "$t"
done

echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ] && [ "$total_pass" -gt 0 ]
