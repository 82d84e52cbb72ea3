#!/usr/bin/env bash
# No double records on retry: a submit that gets no answer keeps its signed
# bytes, and the same submit run again resends them.
#   1. lost with its node: the event never left node0 (alone, no quorum),
#      the CLI times out, node0 is killed; after restart the retry commits it.
#   2. cut after sending: the event reached node1, node0 is killed -9 before
#      it answers (CLI exit 3); after restart the retry answers "already
#      committed"; the same bytes sent to every other node answer the same.
#   3. pending duplicate: while no quorum exists, the same bytes submitted to
#      node0 and node1 wait, and all of them answer with the one commit.
# Every node's history then holds each event exactly once.
cd "$(dirname "$0")/../.." || exit 2
. tests/cluster/lib.sh

testnet_create 4 || { T_FAIL=1; finish; }
for i in 0 1 2 3; do node_start "$i"; done
check "four nodes answer status" wait_for 60 nodes_up || finish

PENDING_DIR="$T_DIR/net/node0/pending"
pending_count() { find "$PENDING_DIR" -name '*.event' 2>/dev/null | wc -l; }
pending_file() { find "$PENDING_DIR" -name '*.event' 2>/dev/null | head -1; }

mempool_of() { wb "$1" status --json 2>/dev/null | grep -o '"mempool_events": *[0-9]*' | grep -o '[0-9]*$'; }
has_pending() { local m; m=$(mempool_of "$1"); [ -n "$m" ] && [ "$m" -ge 1 ]; }
count_is() { [ "$(item_count "$1" "$2")" = "$3" ]; }
file_has() { grep -q "$2" "$1" 2>/dev/null; }

# answer_is FILE TEXT: FILE holds exactly the line TEXT (else it is logged).
answer_is() {
    [ "$(cat "$1")" = "$2" ] && return 0
    t_log "$1 holds: $(tr '\n' '|' <"$1")"
    return 1
}

# id_in FILE: the event id a submit named in FILE ("event <64 hex> ...").
id_in() { grep -o 'event [0-9a-f]\{64\}' "$1" | head -1 | cut -d' ' -f2; }
# where_in FILE: "H:I" from "... committed at height H, index I".
where_in() { sed -n 's/.*committed at height \([0-9]*\), index \([0-9]*\).*/\1:\2/p' "$1" | head -1; }

# once_everywhere ITEM ID COUNT: on every running node ITEM has COUNT events,
# ID is among them exactly once and no id appears twice.
once_everywhere() {
    local item=$1 id=$2 count=$3 i n c dup
    for ((i = 0; i < T_N; i++)); do
        node_alive "$i" || continue
        wb "$i" history "$item" --json >"$T_DIR/once.json" 2>/dev/null || { t_log "node$i: no history of $item"; return 1; }
        c=$(grep -o '"count": *[0-9]*' "$T_DIR/once.json" | head -1 | grep -o '[0-9]*$')
        n=$(grep -o '"id": *"[0-9a-f]*"' "$T_DIR/once.json" | grep -c "$id")
        dup=$(grep -o '"id": *"[0-9a-f]*"' "$T_DIR/once.json" | sort | uniq -d)
        if [ "$c" != "$count" ] || [ "$n" != 1 ] || [ -n "$dup" ]; then
            t_log "node$i: $item has $c events (want $count), $id appears $n times, repeated ids: ${dup:-none}"
            return 1
        fi
    done
}

# seal I ITEM [ARGS...]: the one submit this test repeats for ITEM (org 0's key), through node I.
seal() {
    local i=$1 item=$2
    shift 2
    "$WAYBILL" submit --node "$(api_addr "$i")" --key "$(client_key 0)" \
        --item "$item" --action seal --attr "seal=S-${item##*:}" "$@"
}

A=urn:waybill:retry:a
B=urn:waybill:retry:b
C=urn:waybill:retry:c
for item in $A $B $C; do
    check "commission $item" submit 0 "$item" commission --at NLRTM
done
top=$(node_height 0)
check "all four at height $top" wait_for 60 all_at_least "$top"

# ---- 1. the event was lost with its node ------------------------------------
t_log "scenario 1: node0 alone, its event lost when it is killed"
for i in 1 2 3; do node_kill "$i"; done
seal 0 $A --timeout 3 >"$T_DIR/a1.out" 2>"$T_DIR/a1.err"
rc=$?
check "1: no quorum: the submit exits 3 (no answer)" test "$rc" -eq 3
check "1: the message says it is kept for a resend" file_has "$T_DIR/a1.err" "run the same submit again to resend it"
check "1: one pending file is kept" test "$(pending_count)" -eq 1
id_a=$(id_in "$T_DIR/a1.err")
node_kill 0
for i in 0 1 2 3; do node_start "$i"; done
check "1: four nodes back" wait_for 60 nodes_up
seal 0 $A --timeout 60 >"$T_DIR/a2.out" 2>"$T_DIR/a2.err"
rc=$?
check "1: the retry exits 0" test "$rc" -eq 0
check "1: the retry resent the kept event" file_has "$T_DIR/a2.err" "resending the event signed at .* (id $id_a)"
check "1: ... and it was committed now, by this submit" \
    bash -c "grep -q 'event $id_a committed at height' '$T_DIR/a2.out' && ! grep -q already '$T_DIR/a2.out'"
check "1: the pending file is gone" test "$(pending_count)" -eq 0
top=$(node_height 0)
check "1: all four at height $top" wait_for 60 all_at_least "$top"
check "1: every node holds the seal of $A once" once_everywhere $A "$id_a" 2

# ---- 2. the connection was cut after the event reached the network ------------
t_log "scenario 2: node0 killed -9 after the event reached node1, before it answered"
node_kill 2
node_kill 3
seal 0 $B --timeout 120 >"$T_DIR/b1.out" 2>"$T_DIR/b1.err" &
cli=$!
check "2: the event reached node1's mempool" wait_for 60 has_pending 1
node_kill 0
wait $cli
rc=$?
check "2: the cut submit exits 3" test "$rc" -eq 3
check "2: it says the node closed the connection" file_has "$T_DIR/b1.err" "closed the connection"
check "2: one pending file is kept" test "$(pending_count)" -eq 1
id_b=$(id_in "$T_DIR/b1.err")
cp "$(pending_file)" "$T_DIR/b.event"
node_start 2
node_start 3
check "2: nodes 1, 2, 3 commit the event without node0" wait_for 120 count_is 1 $B 2
node_start 0
check "2: four nodes back" wait_for 60 nodes_up
top=$(node_height 1)
check "2: node0 caught up to height $top" wait_for 90 all_at_least "$top"
seal 0 $B --timeout 60 >"$T_DIR/b2.out" 2>"$T_DIR/b2.err"
rc=$?
check "2: the retry after restart exits 0" test "$rc" -eq 0
check "2: the retry resent the kept event" file_has "$T_DIR/b2.err" "resending the event signed at .* (id $id_b)"
check "2: the answer is \"already committed\"" file_has "$T_DIR/b2.out" "event $id_b already committed at height"
where_b=$(where_in "$T_DIR/b2.out")
check "2: the pending file is gone" test "$(pending_count)" -eq 0
check "2: every node holds the seal of $B once" once_everywhere $B "$id_b" 2
for i in 1 2 3; do
    "$PROBE" resubmit "$(api_addr "$i")" "$WAYBILL_GENESIS" "$(client_key 0)" "$T_DIR/b.event" >"$T_DIR/b.probe.$i" 2>>"$T_DIR/probe.err"
    check "2: the same bytes sent to node$i answer already committed at $where_b" \
        answer_is "$T_DIR/b.probe.$i" "committed $where_b already"
done
check "2: still once everywhere after the resubmissions" once_everywhere $B "$id_b" 2

# ---- 3. duplicates of a pending event wait for its commit ----------------------
t_log "scenario 3: resubmissions of a pending event wait and answer on its commit"
node_kill 2
node_kill 3
seal 0 $C --timeout 3 >"$T_DIR/c1.out" 2>"$T_DIR/c1.err"
rc=$?
check "3: no quorum: the submit exits 3" test "$rc" -eq 3
id_c=$(id_in "$T_DIR/c1.err")
check "3: the event is pending on node1 too" wait_for 60 has_pending 1
cp "$(pending_file)" "$T_DIR/c.event"
"$PROBE" resubmit "$(api_addr 0)" "$WAYBILL_GENESIS" "$(client_key 0)" "$T_DIR/c.event" >"$T_DIR/c.probe.0" 2>>"$T_DIR/probe.err" &
p0=$!
"$PROBE" resubmit "$(api_addr 1)" "$WAYBILL_GENESIS" "$(client_key 0)" "$T_DIR/c.event" >"$T_DIR/c.probe.1" 2>>"$T_DIR/probe.err" &
p1=$!
seal 0 $C --timeout 120 >"$T_DIR/c2.out" 2>"$T_DIR/c2.err" &
cli=$!
check "3: the resubmission to node0 waits" wait_for 30 file_has "$T_DIR/c.probe.0" '^waiting$'
check "3: the resubmission to node1 waits" wait_for 30 file_has "$T_DIR/c.probe.1" '^waiting$'
check "3: the CLI retry resends the kept event" wait_for 30 file_has "$T_DIR/c2.err" "resending the event signed at .* (id $id_c)"
node_start 2
node_start 3
wait $p0
rc0=$?
wait $p1
rc1=$?
wait $cli
rc=$?
check "3: both waiting resubmissions are answered with a commit" test "$rc0" -eq 0 -a "$rc1" -eq 0
w0=$(sed -n 's/^committed \([0-9]*:[0-9]*\)$/\1/p' "$T_DIR/c.probe.0")
w1=$(sed -n 's/^committed \([0-9]*:[0-9]*\)$/\1/p' "$T_DIR/c.probe.1")
check "3: ... at the same place, not as already committed ($w0, $w1)" test -n "$w0" -a "$w0" = "$w1"
check "3: the CLI retry exits 0" test "$rc" -eq 0
check "3: the CLI retry names the same commit ($w0)" test "$(where_in "$T_DIR/c2.out")" = "$w0"
check "3: the pending file is gone" test "$(pending_count)" -eq 0
top=$(node_height 0)
check "3: all four at height $top" wait_for 90 all_at_least "$top"
check "3: every node holds the seal of $C once" once_everywhere $C "$id_c" 2
check "same block hash at every height 1..$top on all nodes" same_hashes_upto "$top"
finish
