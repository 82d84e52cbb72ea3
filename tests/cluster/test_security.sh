#!/usr/bin/env bash
# Links that must be refused or closed, without harm to the node: a peer with
# a key outside the validator set, a client with an unknown key, random bytes
# and an oversized frame on both the p2p and the client port. The genesis
# heartbeat is 1 s, so the node's heights advance throughout without events.
cd "$(dirname "$0")/../.." || exit 2
. tests/cluster/lib.sh

testnet_create 4 --heartbeat-ms 1000 || { T_FAIL=1; finish; }
for i in 0 1 2 3; do node_start "$i"; done
check "four nodes answer status" wait_for 60 nodes_up

P2P0="127.0.0.1:$T_BASE"
API0=$(api_addr 0)
G=$WAYBILL_GENESIS
"$WAYBILL" keygen --out "$T_DIR/stranger.key" >/dev/null
OVERSIZE=$((9 * 1024 * 1024)) # above the default frame_bytes_max of 8 MiB

probe_says() { # probe_says EXPECTED_EXIT ARGS...
    local want=$1 out rc
    shift
    out=$("$PROBE" "$@" 2>&1)
    rc=$?
    t_log "  probe $1 -> exit $rc: $out"
    [ "$rc" -eq "$want" ]
}

serving() { # node0 answers and its peers are all connected again
    local s
    s=$(wb 0 status --json 2>/dev/null) || return 1
    grep -q '"peers_connected": *3' <<<"$s"
}
h_before=$(node_height 0)

check "p2p: a member key that is not a validator's is refused" \
    probe_says 1 handshake "$P2P0" "$G" "$(client_key 1)"
check "p2p: an unknown key is refused" probe_says 1 handshake "$P2P0" "$G" "$T_DIR/stranger.key"
check "p2p: a validator key is accepted" probe_says 0 handshake "$P2P0" "$G" "$T_DIR/net/node1/node.key"
check "api: an unknown client key is refused" probe_says 1 handshake "$API0" "$G" "$T_DIR/stranger.key"
out=$("$WAYBILL" status --node "$API0" --key "$T_DIR/stranger.key" 2>&1)
rc=$?
t_log "  waybill status with a stranger's key -> exit $rc: $out"
check "api: waybill with a key genesis does not list fails before connecting (exit 1)" \
    test "$rc" -eq 1 -a -n "$(grep "is not a member client key in genesis" <<<"$out")"
# A genesis of the same chain that lists the stranger's key passes the
# CLI's local check, so the node's own refusal is what the CLI reports.
stranger_pk=$("$WAYBILL" keygen --out "$T_DIR/stranger2.key" | grep -oE '[0-9a-f]{64}' | head -1)
sed "0,/\"keys\": \[/s//\"keys\": [\"$stranger_pk\",/" "$G" >"$T_DIR/stranger-genesis.json"
out=$("$WAYBILL" status --node "$API0" --key "$T_DIR/stranger2.key" \
    --genesis "$T_DIR/stranger-genesis.json" 2>&1)
rc=$?
t_log "  waybill status with a key only its own genesis lists -> exit $rc: $out"
check "api: a key the node refuses: exit 1, 'key not accepted'" \
    test "$rc" -eq 1 -a -n "$(grep "key not accepted: node $API0 does not accept your key" <<<"$out")"
check "api: a member key is accepted" probe_says 0 handshake "$API0" "$G" "$(client_key 3)"

check "p2p: random bytes close the link" probe_says 0 garbage "$P2P0" 5000
check "api: random bytes close the link" probe_says 0 garbage "$API0" 5000
check "p2p: an oversized frame closes the link" \
    probe_says 0 oversize "$P2P0" "$G" "$T_DIR/net/node3/node.key" "$OVERSIZE"
check "api: an oversized frame closes the link" \
    probe_says 0 oversize "$API0" "$G" "$(client_key 0)" "$OVERSIZE"

check "node0 keeps serving, with its three peers connected" wait_for 60 serving
check "node0 keeps committing" wait_for 60 all_at_least $((h_before + 3))
check "a normal submit still commits" \
    wb 0 submit --item urn:waybill:after-attacks:1 --action commission --at NLRTM
finish
