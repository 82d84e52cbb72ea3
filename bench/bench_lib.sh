# Sourced by bench/run.sh, bench/state_cost.sh and bench/profile.sh: stopping the nodes a
# script started (NODE_PIDS) and its cleanup on every exit path (the load
# generator LOADGEN_PID, the run folder RUN_DIR unless KEEP_RUN_DIR=1).
# shellcheck shell=bash

# Asks every node to stop; one that does not within 5 s is killed.
stop_nodes() {
    local pid
    for pid in "${NODE_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for pid in "${NODE_PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    NODE_PIDS=()
}

cleanup() {
    if [ -n "$LOADGEN_PID" ]; then
        kill -TERM "$LOADGEN_PID" 2>/dev/null
        wait "$LOADGEN_PID" 2>/dev/null
    fi
    stop_nodes
    if [ -n "$RUN_DIR" ] && [ "$KEEP_RUN_DIR" = 0 ]; then rm -rf "$RUN_DIR"; fi
}
