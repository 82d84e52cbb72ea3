#!/usr/bin/env bash
# A lying validator cannot keep a lagging node from catching up. Seven
# validators; node6's key is held by a liar that claims height 10^9 to node5
# and answers none of its requests. node5 is then frozen (SIGSTOP) until the
# others are 5 heights ahead, and thawed, three times: each time block sync
# must follow the height f+1 validators claim and fetch from honest peers.
# Heights advance without events: the genesis heartbeat is 500 ms.
cd "$(dirname "$0")/../.." || exit 2
. tests/cluster/lib.sh

testnet_create 7 --heartbeat-ms 500 || { T_FAIL=1; finish; }
for i in 0 1 2 3 4 5; do node_start "$i"; done
six_up() {
    local i
    for i in 0 1 2 3 4 5; do [ -n "$(node_height "$i")" ] || return 1; done
}
check "six of seven nodes answer status" wait_for 60 six_up
check "the six commit blocks" wait_for 60 all_at_least 2

"$PROBE" liar "127.0.0.1:$((T_BASE + 5))" "$WAYBILL_GENESIS" "$T_DIR/net/node6/node.key" 120 \
    >"$T_DIR/liar.out" 2>&1 &
liar=$!
liar_linked() { grep -q "link up with validator 6" "$T_DIR/node5.log"; }
check "the liar holds a link to node5" wait_for 30 liar_linked

# height of node0, which is never frozen
others_at() { local x; x=$(node_height 0); [ -n "$x" ] && [ "$x" -ge "$1" ]; }
for round in 1 2 3; do
    h=$(node_height 5)
    kill -STOP "${NODE_PIDS[5]}"
    others_at $((h + 5)) || wait_for 60 others_at $((h + 5))
    top=$(node_height 0)
    kill -CONT "${NODE_PIDS[5]}"
    check "round $round: node5 (frozen at $h) catches up to $top despite the liar" \
        wait_for 20 all_at_least "$top"
done
top=$(node_height 5)
check "node5 has the same blocks as node0 up to $top" same_hashes_upto "$top"
kill "$liar" 2>/dev/null
wait "$liar" 2>/dev/null
finish
