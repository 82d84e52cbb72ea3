#!/usr/bin/env bash
# A network of one validator: the node decides a block the moment an event
# reaches its mempool, so a waiting submit must already be registered then.
# Each submit gets its commit answer (exit 0, "committed at height"), with
# --no-wait too, and the item's history holds every event once.
cd "$(dirname "$0")/../.." || exit 2
. tests/cluster/lib.sh

testnet_create 1 || { T_FAIL=1; finish; }
node_start 0
check "the single node answers status" wait_for 60 nodes_up

ITEM=MSCU1234566
# sub NAME ARGS...: the submit must exit 0 within its timeout and print its commit.
sub() {
    local name=$1 out rc
    shift
    out=$(wb 0 submit --item "$ITEM" "$@" --timeout 20 2>&1)
    rc=$?
    t_log "  $name -> exit $rc: $(head -1 <<<"$out")"
    check "$name: exit 0" test "$rc" -eq 0
    check "$name: answer names the commit" grep -q "committed at height" <<<"$out"
}
sub "commission" --action commission --at NLRTM
sub "load" --action load --at NLRTM
out=$(wb 0 submit --item "$ITEM" --action depart --at NLRTM --no-wait --timeout 20 2>&1)
check "depart --no-wait: exit 0" test $? -eq 0
check "three events on the ledger once each" wait_for 30 test "$(item_count 0 $ITEM)" = 3
finish
