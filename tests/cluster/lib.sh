# Shared helpers for the cluster tests: a real testnet of `waybill node`
# processes on 127.0.0.1, free ports, bounded waits, and cleanup that kills
# only the processes this test started (by PID). Sourced, not run.
set -u

. scripts/testnet_lib.sh
T_PASS=0
T_FAIL=0

# check NAME COMMAND...: runs COMMAND, counts a pass or a failure.
check() {
    local name=$1
    shift
    if "$@"; then
        T_PASS=$((T_PASS + 1))
        t_log "ok   $name"
    else
        T_FAIL=$((T_FAIL + 1))
        t_log "FAIL $name"
    fi
}

PROBE=${PROBE:-$(dirname "$WAYBILL")/tests/cluster/probe}

# node_hashes I FROM TO: "HEIGHT HASH" lines of node I's blocks FROM..TO.
node_hashes() {
    "$PROBE" hashes "$(api_addr "$1")" "$WAYBILL_GENESIS" "$(client_key "$1")" "$2" "$3"
}

# same_hashes_upto H: every running node has the same block hash at every
# height 1..H (each block fetched from each node, not inferred from the chain).
same_hashes_upto() {
    local top=$1 i
    node_hashes 0 1 "$top" >"$T_DIR/hashes.0" || { t_log "node0 lacks blocks up to $top"; return 1; }
    for ((i = 1; i < T_N; i++)); do
        node_alive "$i" || continue
        node_hashes "$i" 1 "$top" >"$T_DIR/hashes.$i" || { t_log "node$i lacks blocks up to $top"; return 1; }
        if ! cmp -s "$T_DIR/hashes.0" "$T_DIR/hashes.$i"; then
            t_log "node$i differs from node0: $(diff "$T_DIR/hashes.0" "$T_DIR/hashes.$i" | head -3 | tr '\n' ' ')"
            return 1
        fi
    done
}

cluster_cleanup() {
    local i
    for i in "${!NODE_PIDS[@]}"; do
        [ -n "${NODE_PIDS[$i]}" ] && kill -TERM "${NODE_PIDS[$i]}" 2>/dev/null
    done
    for i in "${!NODE_PIDS[@]}"; do
        [ -n "${NODE_PIDS[$i]}" ] || continue
        local n=0
        while kill -0 "${NODE_PIDS[$i]}" 2>/dev/null && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
        kill -KILL "${NODE_PIDS[$i]}" 2>/dev/null
        wait "${NODE_PIDS[$i]}" 2>/dev/null
    done
    if [ "$T_FAIL" -ne 0 ] && [ -n "$T_DIR" ]; then
        for f in "$T_DIR"/node*.log; do
            [ -f "$f" ] || continue
            echo "---- $f (last 30 lines)"
            tail -30 "$f"
        done
    fi
    [ -n "$T_DIR" ] && rm -rf "$T_DIR"
}

# finish: prints the summary line the test runner reads, and exits.
finish() {
    echo "$T_PASS passed, $T_FAIL failed"
    [ "$T_FAIL" -eq 0 ]
    exit $?
}

trap cluster_cleanup EXIT

# submit I ITEM ACTION [ARGS...]: submits through node I with org I's key
# and waits for the commit. Returns the CLI's exit code.
submit() {
    local i=$1 item=$2 action=$3
    shift 3
    wb "$i" submit --item "$item" --action "$action" "$@" >/dev/null 2>&1
}

# events_committed I: events node I committed since it started.
events_committed() {
    wb "$1" status --json 2>/dev/null | grep -o '"events_committed": *[0-9]*' | grep -o '[0-9]*$'
}

# item_count I ITEM: the number of events of ITEM on node I.
item_count() {
    wb "$1" history "$2" --json 2>/dev/null | grep -o '"count": *[0-9]*' | head -1 | grep -o '[0-9]*$'
}
