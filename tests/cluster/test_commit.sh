#!/usr/bin/env bash
# Four nodes on 127.0.0.1 commit 1,000 events submitted by several concurrent
# clients through different nodes; afterwards every node has committed every
# event and holds the same block hash at every height.
cd "$(dirname "$0")/../.." || exit 2
. tests/cluster/lib.sh

testnet_create 4 || { T_FAIL=1; finish; }
for i in 0 1 2 3; do node_start "$i"; done
check "four nodes answer status" wait_for 60 nodes_up

# Each client writes "<ok> <failed>" to its own file.
# client_journeys NODE KEYNODE PREFIX COUNT ACTIONS...: for each of COUNT
# items, submits commission then ACTIONS through NODE with KEYNODE's key.
client_journeys() {
    local node=$1 keynode=$2 prefix=$3 count=$4 ok=0 bad=0 k a
    shift 4
    for ((k = 1; k <= count; k++)); do
        local item="urn:waybill:test:$prefix:$k"
        if "$WAYBILL" submit --node "$(api_addr "$node")" --key "$(client_key "$keynode")" \
            --item "$item" --action commission --at NLRTM >/dev/null 2>&1; then
            ok=$((ok + 1))
        else
            bad=$((bad + 1))
        fi
        for a in "$@"; do
            # shellcheck disable=SC2086
            if "$WAYBILL" submit --node "$(api_addr "$node")" --key "$(client_key "$keynode")" \
                --item "$item" ${a//_/ } >/dev/null 2>&1; then
                ok=$((ok + 1))
            else
                bad=$((bad + 1))
            fi
        done
    done
    echo "$ok $bad" >"$T_DIR/client-$prefix"
}

# client_customs NODE PREFIX COUNT: customs controls on items PREFIX:1..COUNT.
client_customs() {
    local node=$1 prefix=$2 count=$3 ok=0 bad=0 k a
    for ((k = 1; k <= count; k++)); do
        for a in "--action_inspect_--attr_result=ok" "--action_hold" "--action_release" \
            "--action_clear_--attr_declaration=DEC$k"; do
            if "$WAYBILL" submit --node "$(api_addr "$node")" --key "$(client_key 2)" \
                --item "urn:waybill:test:$prefix:$k" ${a//_/ } >/dev/null 2>&1; then
                ok=$((ok + 1))
            else
                bad=$((bad + 1))
            fi
        done
    done
    echo "$ok $bad" >"$T_DIR/client-$prefix-customs"
}

start=$SECONDS
# 50 items commissioned first, for customs to control concurrently below.
client_journeys 0 0 x 50
# 950 more events from four concurrent clients, through all four nodes:
#   acme-shipping via node0: 50 journeys of 5 events       = 250
#   nordic-retail via node3: 50 journeys of 5 events       = 250
#   acme-shipping via node1: 50 journeys of 5 events       = 250
#   rotterdam-customs via node2: 4 controls on 50 items    = 200
client_journeys 0 0 a 50 "--action_load_--at_NLRTM" "--action_depart_--at_NLRTM" \
    "--action_arrive_--at_DEHAM" "--action_unload_--at_DEHAM" &
c1=$!
client_journeys 3 3 b 50 "--action_seal_--attr_seal=S1" "--action_unseal_--attr_seal=S1" \
    "--action_load_--at_NLRTM" "--action_depart_--at_NLRTM" &
c2=$!
client_journeys 1 0 y 50 "--action_load_--at_NLRTM" "--action_depart_--at_NLRTM" \
    "--action_arrive_--at_USNYC" "--action_unload_--at_USNYC" &
c3=$!
client_customs 2 x 50 &
c4=$!
wait $c1 $c2 $c3 $c4
t_log "1,000 submissions took $((SECONDS - start)) s"

acked=0
failed=0
for f in "$T_DIR"/client-*; do
    read -r ok bad <"$f"
    acked=$((acked + ok))
    failed=$((failed + bad))
done
t_log "acknowledged $acked, rejected $failed"
check "all 1,000 submissions acknowledged as committed" test "$acked" -eq 1000 -a "$failed" -eq 0

all_committed() {
    local i x
    for i in 0 1 2 3; do
        x=$(events_committed "$i")
        [ "${x:-0}" -ge 1000 ] || return 1
    done
}
check "every node committed 1,000 events" wait_for 60 all_committed
top=$(node_height 0)
check "every node reached height $top" wait_for 60 all_at_least "$top"
check "same block hash at every height 1..$top on all nodes" same_hashes_upto "$top"
check "item histories agree (x:7 has 5 events on node3)" test "$(item_count 3 urn:waybill:test:x:7)" = 5
check "item histories agree (y:50 has 5 events on node2)" test "$(item_count 2 urn:waybill:test:y:50)" = 5

# header_item_count NODE: item_count of the latest block's (version 2) header.
header_item_count() {
    "$WAYBILL" block latest --json --node "$(api_addr "$1")" --key "$(client_key "$1")" \
        --genesis "$T_DIR/net/genesis.json" 2>/dev/null |
        python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["header_version"], d["item_count"], len(d["state_root"]))'
}
check "the head's version 2 header commits to the 200 items' states" \
    test "$(header_item_count 1)" = "2 200 64"
finish
