# Shared helpers for the cluster tests: a real testnet of `waybill node`
# processes on 127.0.0.1, free ports, bounded waits, and cleanup that kills
# only the processes this test started (by PID). Sourced, not run.
set -u

WAYBILL=${WAYBILL:-$PWD/build/waybill}
T_PASS=0
T_FAIL=0
NODE_PIDS=()
T_DIR=""

t_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }

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

# wait_for SECONDS COMMAND...: polls COMMAND every 0.2 s until it succeeds or
# the bound passes. Returns its last status.
wait_for() {
    local limit=$1
    shift
    local deadline=$((SECONDS + limit))
    while ! "$@"; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.2
    done
    return 0
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pick_base_port N: a base port P with P..P+N-1 and P+100..P+100+N-1 free.
pick_base_port() {
    local n=$1 tries=0 p ok i
    while [ $tries -lt 50 ]; do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 30000))
        ok=1
        for ((i = 0; i < n; i++)); do
            port_free $((p + i)) && port_free $((p + 100 + i)) || { ok=0; break; }
        done
        [ $ok = 1 ] && { echo "$p"; return 0; }
        tries=$((tries + 1))
    done
    return 1
}

# testnet_create N: writes a testnet into a fresh temp dir ($T_DIR).
testnet_create() {
    local n=$1
    T_DIR=$(mktemp -d /tmp/waybill-cluster.XXXXXX)
    T_N=$n
    T_BASE=$(pick_base_port "$n") || { t_log "no free ports"; return 1; }
    "$WAYBILL" testnet --nodes "$n" --dir "$T_DIR/net" --base-port "$T_BASE" >"$T_DIR/testnet.out" 2>&1 ||
        { cat "$T_DIR/testnet.out"; return 1; }
    export WAYBILL_GENESIS="$T_DIR/net/genesis.json"
}

api_addr() { echo "127.0.0.1:$((T_BASE + 100 + $1))"; }
client_key() { echo "$T_DIR/net/node$1/client.key"; }

# node_start I: starts node I in the background, logging to $T_DIR/nodeI.log.
node_start() {
    local i=$1
    "$WAYBILL" node --config "$T_DIR/net/node$i/node.ini" >>"$T_DIR/node$i.log" 2>&1 &
    NODE_PIDS[$i]=$!
}

node_alive() { [ -n "${NODE_PIDS[$1]:-}" ] && kill -0 "${NODE_PIDS[$1]}" 2>/dev/null; }

# node_kill I [SIGNAL]: signals node I (default KILL) and reaps it.
node_kill() {
    local i=$1 sig=${2:-KILL}
    [ -n "${NODE_PIDS[$i]:-}" ] || return 0
    kill "-$sig" "${NODE_PIDS[$i]}" 2>/dev/null
    wait "${NODE_PIDS[$i]}" 2>/dev/null
    NODE_PIDS[$i]=""
}

# wb I ARGS...: runs the CLI against node I with its org's client key.
wb() {
    local i=$1
    shift
    "$WAYBILL" "$@" --node "$(api_addr "$i")" --key "$(client_key "$i")"
}

# node_height I: the node's committed height (empty if unreachable).
node_height() {
    wb "$1" status --json 2>/dev/null | grep -o '"height": *[0-9]*' | head -1 | grep -o '[0-9]*$'
}

# all_at_least H: every running node has committed height >= H.
all_at_least() {
    local h=$1 i x
    for ((i = 0; i < T_N; i++)); do
        node_alive "$i" || continue
        x=$(node_height "$i")
        [ -n "$x" ] && [ "$x" -ge "$h" ] || return 1
    done
}

nodes_up() {
    local i
    for ((i = 0; i < T_N; i++)); do
        [ -n "$(node_height "$i")" ] || return 1
    done
}

# block_hash I H: the hash of block H on node I.
block_hash() {
    wb "$1" block "$2" --json 2>/dev/null | grep -o '"hash": *"[0-9a-f]*"' | head -1 | grep -o '[0-9a-f]\{64\}'
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
