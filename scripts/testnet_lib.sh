# Helpers for running a local Waybill testnet from bash: free ports, nodes
# started and killed by PID, bounded waits, CLI calls against node I.
# Sourced by scripts/demo.sh and tests/cluster/lib.sh; uses $WAYBILL, by
# default the binary of $BUILD (build, or build/san for the sanitizer build).

WAYBILL=${WAYBILL:-$PWD/${BUILD:-build}/waybill}
NODE_PIDS=()
T_DIR=""
# The host every address of the testnet names (testnet_create's second
# argument, `waybill testnet --host`): 127.0.0.1, localhost, [::1], ...
T_HOST=127.0.0.1

t_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# wait_for SECONDS COMMAND...: polls COMMAND every 0.2 s until it succeeds
# (0), gives up (99: it never will), or the bound passes. Returns 0 or 1.
wait_for() {
    local limit=$1
    shift
    local deadline=$((SECONDS + limit))
    local rc
    while true; do
        "$@"
        rc=$?
        [ $rc -eq 0 ] && return 0
        # 99 means "will never succeed": stop waiting.
        [ $rc -eq 99 ] || [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.2
    done
}

# port_free P: nothing accepts connections on port P of 127.0.0.1, nor of
# ::1 when the testnet's host is [::1].
port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null || return 1
    [ "$T_HOST" != "[::1]" ] || ! (exec 3<>"/dev/tcp/::1/$1") 2>/dev/null
}

# pick_base_port N: a base port P with P..P+N-1 and P+100..P+100+N-1 free.
pick_base_port() {
    local n=$1 tries=0 p ok i low
    low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
    [ "$low" -gt 16000 ] || low=32768
    while [ $tries -lt 50 ]; do
        # Below the kernel's ephemeral range (ip_local_port_range, 32768 and
        # up by default), so no outgoing connection can be holding it.
        p=$((12000 + (RANDOM * 32768 + RANDOM) % (low - 12200)))
        ok=1
        for ((i = 0; i < n; i++)); do
            port_free $((p + i)) && port_free $((p + 100 + i)) || { ok=0; break; }
        done
        [ $ok = 1 ] && { echo "$p"; return 0; }
        tries=$((tries + 1))
    done
    return 1
}

# testnet_create N [HOST] [ARGS...]: writes a testnet into a fresh temp dir
# ($T_DIR), every address naming HOST (default 127.0.0.1; a loopback name or
# address); ARGS, from the first that starts with '-', go to `waybill
# testnet` (e.g. --heartbeat-ms 500 for a network whose heights advance
# without events).
testnet_create() {
    local n=$1
    shift
    T_HOST=127.0.0.1
    if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
        T_HOST=$1
        shift
    fi
    T_DIR=$(mktemp -d /tmp/waybill-cluster.XXXXXX)
    T_N=$n
    T_BASE=$(pick_base_port "$n") || { t_log "no free ports"; return 1; }
    "$WAYBILL" testnet --nodes "$n" --dir "$T_DIR/net" --base-port "$T_BASE" --host "$T_HOST" \
        "$@" >"$T_DIR/testnet.out" 2>&1 || { cat "$T_DIR/testnet.out"; return 1; }
    export WAYBILL_GENESIS="$T_DIR/net/genesis.json"
}

api_addr() { echo "$T_HOST:$((T_BASE + 100 + $1))"; }
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
        if ! node_alive "$i"; then
            t_log "node$i is not running; its log ends with:"
            tail -5 "$T_DIR/node$i.log"
            return 99
        fi
        [ -n "$(node_height "$i")" ] || return 1
    done
}
