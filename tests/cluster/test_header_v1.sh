#!/usr/bin/env bash
# A chain of header version 1 (`waybill testnet --header-version 1`): blocks
# commit to their events only, the nodes keep no item-state tree, and items
# still get their registration indexes in order across a node's restart
# (the store refuses an append that skips or repeats one). Verification
# passes with "completeness not proven".
cd "$(dirname "$0")/../.." || exit 2
. tests/cluster/lib.sh

testnet_create 4 --header-version 1 || { T_FAIL=1; out=$(wb 2 state urn:waybill:test:v1:5 2>&1)
check "state cannot prove a version 1 chain's state (exit 1)" test $? -eq 1
check "... and says why" grep -q "^NOT PROVED: completeness not proven" <<<"$out"
finish; }
for i in 0 1 2 3; do node_start "$i"; done
check "four nodes answer status" wait_for 60 nodes_up

ok=1
for k in 1 2 3; do wb 0 submit --item "urn:waybill:test:v1:$k" --action commission --at NLRTM >/dev/null || ok=0; done
check "three items registered" test $ok = 1

# node1 restarts: its item count comes from the store, not from a tree.
node_kill 1
node_start 1
check "node1 answers again" wait_for 60 nodes_up
ok=1
# Through node1 with the shipper's key (node1's own organisation is a carrier).
for k in 4 5; do
    "$WAYBILL" submit --node "$(api_addr 1)" --key "$(client_key 0)" \
        --item "urn:waybill:test:v1:$k" --action commission --at NLRTM >/dev/null || ok=0
done
wb 3 submit --item "urn:waybill:test:v1:6" --action commission --at DEHAM >/dev/null || ok=0
check "three more items registered through the restarted node and another" test $ok = 1
top=$(node_height 0)
check "every node reached height $top" wait_for 60 all_at_least "$top"
check "same block hash at every height 1..$top on all nodes" same_hashes_upto "$top"

json=$(wb 2 block latest --json)
check "a version 1 header carries no state root" python3 -c '
import json,sys; d=json.loads(sys.argv[1]); assert "state_root" not in d and "item_count" not in d, d
' "$json"
out=$(wb 2 verify urn:waybill:test:v1:5 2>&1)
check "verify passes (exit 0)" test $? -eq 0
check "... with completeness not proven for a version 1 chain" \
    grep -q "^completeness not proven: this chain's block headers (version 1) commit to no item state" <<<"$out"
out=$(wb 2 state urn:waybill:test:v1:5 2>&1)
check "state cannot prove a version 1 chain's state (exit 1)" test $? -eq 1
check "... and says why" grep -q "^NOT PROVED: completeness not proven" <<<"$out"
finish
