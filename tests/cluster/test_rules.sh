#!/usr/bin/env bash
# Every custody-rule violation submitted through the CLI comes back with its
# reason and exit code 1, and nothing is committed.
# Orgs of `waybill testnet --nodes 4`: node0 acme-shipping (shipper),
# node1 blue-ocean-lines (carrier), node2 rotterdam-customs (customs),
# node3 nordic-retail (shipper); each node's client key is its org's.
cd "$(dirname "$0")/../.." || exit 2
. tests/cluster/lib.sh

testnet_create 4 || { T_FAIL=1; finish; }
for i in 0 1 2 3; do node_start "$i"; done
check "four nodes answer status" wait_for 60 nodes_up

ITEM=CSQU3054383

# accept KEYNODE ARGS...: submits as org KEYNODE (through node KEYNODE); must commit.
accept() {
    local k=$1
    shift
    check "accepted: $*" wb "$k" submit --item "$ITEM" "$@" --timeout 30
}

# reject NAME KEYNODE PATTERN ARGS...: must exit 1, print PATTERN, commit nothing.
reject() {
    local name=$1 k=$2 pattern=$3 before after out rc
    shift 3
    before=$(item_count 0 "$ITEM")
    out=$(wb "$k" submit --item "$ITEM" "$@" --timeout 30 2>&1)
    rc=$?
    t_log "  $name -> exit $rc: $(head -1 <<<"$out")"
    check "$name: exit code 1" test "$rc" -eq 1
    check "$name: reason says '$pattern'" grep -qi -- "$pattern" <<<"$out"
    after=$(item_count 0 "$ITEM")
    check "$name: nothing committed (count stays ${before:-0})" test "${after:-0}" = "${before:-0}"
}

reject "commission by a carrier (wrong role)" 1 "shipper" --action commission --at NLRTM
accept 0 --action commission --at NLRTM
reject "second commission of one item" 0 "already commissioned" --action commission --at NLRTM
reject "load by an org that is not the custodian" 3 "custodian" --action load --at NLRTM
reject "broken prev link" 0 "head" --action load --at NLRTM \
    --prev 0000000000000000000000000000000000000000000000000000000000000001
accept 2 --action hold
reject "load while the item is on hold" 0 "hold" --action load --at NLRTM
accept 2 --action release
accept 0 --action load --at NLRTM
accept 0 --action handover --to blue-ocean-lines
reject "receive by an org other than the named one" 3 "blue-ocean-lines" --action receive
accept 1 --action receive
accept 1 --action deliver
reject "movement after deliver" 1 "deliver" --action depart --at NLRTM
reject "inspect by a non-customs org" 0 "customs" --action inspect --attr result=ok
accept 2 --action inspect --attr result=ok
check "final history has 8 events on every node" \
    test "$(item_count 0 $ITEM)$(item_count 1 $ITEM)$(item_count 2 $ITEM)$(item_count 3 $ITEM)" = 8888
finish
