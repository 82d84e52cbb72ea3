#!/usr/bin/env bash
# More than one node's word: `waybill verify ITEM --quorum-read` asks f+1 = 2
# of 4 nodes. With node3 stopped before the newest event, asking node3 and
# node0 reports node3 unreachable and asks a further node from genesis
# (node1); with node3 started again (behind, until it catches up), the
# verdict is the bundle certified at the highest height, naming the nodes.
cd "$(dirname "$0")/../.." || exit 2
. tests/cluster/lib.sh

testnet_create 4 || { T_FAIL=1; finish; }
for i in 0 1 2 3; do node_start "$i"; done
check "four nodes answer status" wait_for 60 nodes_up
check "genesis names every node's client API address" python3 -c '
import json,sys; g=json.load(open(sys.argv[1]))
assert [v["api"] for v in g["validators"]] == sys.argv[2:], g["validators"]
' "$WAYBILL_GENESIS" "$(api_addr 0)" "$(api_addr 1)" "$(api_addr 2)" "$(api_addr 3)"

ITEM=MSCU1234566
ok=1
wb 0 submit --item $ITEM --action commission --at CNSHA >/dev/null || ok=0
wb 0 submit --item $ITEM --action seal --attr seal=SL-77 >/dev/null || ok=0
wb 0 submit --item $ITEM --action load --at CNSHA --attr vessel=EVER-ACE >/dev/null || ok=0
check "a 3-event chain is committed" test $ok = 1
has_events() { [ "$(item_count "$1" $ITEM)" = "$2" ]; }
check "node3 has the 3 events" wait_for 30 has_events 3 3

# qread ARGS...: verify --quorum-read with node0's org key, no --node of wb.
qread() { "$WAYBILL" verify $ITEM --quorum-read --key "$(client_key 0)" "$@"; }

# Node3 stops; the newest event is committed by the other three.
node_kill 3 TERM
check "the depart event commits without node3" submit 0 $ITEM depart --at CNSHA
check "node1 has the 4 events" wait_for 30 has_events 1 4

out=$(qread --node "$(api_addr 3)" --node "$(api_addr 0)" --timeout 5 2>&1)
rc=$?
t_log "  node3 down: exit $rc: $(grep -E 'skipped|complete as of' <<<"$out" | tr '\n' ' ')"
check "node3 down: the quorum read passes (exit 0)" test $rc -eq 0
check "node3 down: it is reported, one line" \
    test "$(grep -c "quorum read: node node3: skipped: cannot reach node $(api_addr 3)" <<<"$out")" = 1
check "node3 down: all 4 events verified" grep -q "^VERIFIED: 4 events" <<<"$out"
check "node3 down: node0 and a further node from genesis (node1) answered" \
    grep -Eq "^complete as of height [0-9]+ \(time .*, [0-9]+ seconds old\); quorum read of 2 nodes: node[01] at [0-9]+, node[01] at [0-9]+$" <<<"$out"
check "node3 down: node1 was asked" grep -q "node1 at" <<<"$out"

# The highest height of the quorum line is the verdict's height.
highest_is_verdict() {
    python3 -c '
import re,sys; out=sys.argv[1]
m=re.search(r"^complete as of height (\d+) .*; quorum read of (\d+) nodes: (.*)$", out, re.M)
assert m, out
hs=[int(h) for h in re.findall(r" at (\d+)", m.group(3))]
assert len(hs)==int(m.group(2))==2 and int(m.group(1))==max(hs)==hs[0], (m.group(0), hs)
' "$1"
}
check "node3 down: the verdict is at the highest height" highest_is_verdict "$out"

# Node3 starts again, behind the others until it catches up. Asked first,
# with node0: the verdict is still the newest state, at the highest height.
node_start 3
node3_answers() { [ -n "$(node_height 3)" ]; }
check "node3 answers again" wait_for 60 node3_answers
out=$(qread --node "$(api_addr 3)" --node "$(api_addr 0)" 2>&1)
rc=$?
t_log "  node3 restarted: exit $rc: $(grep -E 'skipped|complete as of' <<<"$out" | tr '\n' ' ')"
check "node3 restarted: the quorum read passes (exit 0)" test $rc -eq 0
check "node3 restarted: all 4 events verified" grep -q "^VERIFIED: 4 events" <<<"$out"
check "node3 restarted: the verdict is at the highest height" highest_is_verdict "$out"
check "node3 restarted: it names node3 and node0" \
    grep -Eq "quorum read of 2 nodes: (node3 at [0-9]+, node0|node0 at [0-9]+, node3) at [0-9]+$" <<<"$out"

# Once node3 caught up: the same heights, and --json names them too.
check "node3 catches up" wait_for 60 has_events 3 4
json=$(qread --node "$(api_addr 3)" --node "$(api_addr 0)" --json --require-complete --max-age 1h)
rc=$?
check "--json --require-complete --max-age 1h passes (exit 0)" test $rc -eq 0
check "--json lists both nodes and the chosen one's height" python3 -c '
import json,sys; d=json.loads(sys.argv[1])
assert d["verified"] and d["complete"] and d["events_checked"] == 4, d
q=d["quorum_read"]; nodes=q["nodes"]
assert q["needed"] == 2 and [n["validator"] for n in nodes] == ["node3", "node0"], q
assert all(n["verified"] and n["error"] is None for n in nodes), q
chosen=[n for n in nodes if n["chosen"]]
assert len(chosen) == 1 and chosen[0]["height"] == max(n["height"] for n in nodes), q
assert d["complete_as_of"]["height"] == chosen[0]["height"], d
' "$json"

# No --node: the genesis api addresses, in order.
out=$(qread 2>&1)
check "no --node: the genesis addresses are asked (exit 0)" test $? -eq 0
check "no --node: node0 and node1 answered" \
    grep -Eq "quorum read of 2 nodes: node[01] at [0-9]+, node[01] at [0-9]+$" <<<"$out"
out=$(qread --max-age 0s 2>&1)
check "--max-age 0s applies to the chosen bundle (exit 1)" test $? -eq 1
check "... saying why" grep -Eq "^FAILED: complete as of height [0-9]+ only, .*more than --max-age 0s" <<<"$out"
finish
