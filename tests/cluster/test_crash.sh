#!/usr/bin/env bash
# SIGKILL of one node under load, the current proposer first and then another
# node: the others keep committing; once restarted the node catches up to the
# same block hashes; no event a client saw acknowledged is missing anywhere.
cd "$(dirname "$0")/../.." || exit 2
. tests/cluster/lib.sh

testnet_create 4 || { T_FAIL=1; finish; }
for i in 0 1 2 3; do node_start "$i"; done
check "four nodes answer status" wait_for 60 nodes_up

# load CLIENT: journeys of new items until $T_DIR/stop exists, each event
# through the next node in turn (dead ones fail and are retried on the
# next). Every acknowledged event is recorded as "ITEM ID".
load() {
    local c=$1 k=0 n=0 out id item
    local actions=("--action load --at NLRTM" "--action depart --at NLRTM"
        "--action arrive --at DEHAM" "--action unload --at DEHAM")
    while [ ! -e "$T_DIR/stop" ]; do
        k=$((k + 1))
        item="urn:waybill:crash:$c:$k"
        for a in "--action commission --at NLRTM" "${actions[@]}"; do
            [ -e "$T_DIR/stop" ] && break
            n=$(((n + 1) % 4))
            # shellcheck disable=SC2086
            if out=$("$WAYBILL" submit --node "$(api_addr "$n")" --key "$(client_key 0)" \
                --timeout 10 --item "$item" $a --json 2>/dev/null); then
                id=$(grep -o '"event_id": *"[0-9a-f]*"' <<<"$out" | grep -o '[0-9a-f]\{64\}')
                echo "$item $id" >>"$T_DIR/acked.$c"
            fi
        done
    done
}

load 1 &
l1=$!
load 2 &
l2=$!

acked_count() { cat "$T_DIR"/acked.* 2>/dev/null | wc -l; }
height_of_live() { # a live node's height
    local i
    for i in 0 1 2 3; do node_alive "$i" && node_height "$i" && return; done
}
advanced_by() { # advanced_by FROM N: live nodes passed FROM + N
    local h
    h=$(height_of_live)
    [ -n "$h" ] && [ "$h" -ge $(($1 + $2)) ]
}
acked_more_than() { [ "$(acked_count)" -gt "$1" ]; }

check "load is being committed" wait_for 60 acked_more_than 20

crash_and_recover() { # crash_and_recover VICTIM LABEL
    local v=$1 label=$2 h0 a0 top
    h0=$(height_of_live)
    a0=$(acked_count)
    t_log "SIGKILL node$v ($label) at height $h0"
    node_kill "$v" KILL
    check "$label down: the other three keep committing blocks" wait_for 60 advanced_by "$h0" 5
    check "$label down: clients keep getting acknowledgements" wait_for 60 acked_more_than $((a0 + 10))
    node_start "$v"
    top=$(height_of_live)
    check "$label restarted: catches up to height $top" wait_for 90 all_at_least "$top"
}

# The proposer of the next height is (height + 1 + round) mod 4.
s=$(wb 0 status --json 2>/dev/null)
h=$(grep -o '"height": *[0-9]*' <<<"$s" | grep -o '[0-9]*$')
r=$(grep -o '"round": *[0-9]*' <<<"$s" | grep -o '[0-9]*$')
proposer=$(((h + 1 + r) % 4))
crash_and_recover "$proposer" "the current proposer (node$proposer)"
other=$(((proposer + 2) % 4))
crash_and_recover "$other" "another node (node$other)"

touch "$T_DIR/stop"
wait $l1 $l2
top=$(node_height 0)
check "all four at the same height $top after the load" wait_for 90 all_at_least "$top"
check "same block hash at every height 1..$top on all nodes" same_hashes_upto "$top"

missing=0
total=0
for i in 0 1 2 3; do
    for item in $(cut -d' ' -f1 "$T_DIR"/acked.* | sort -u); do
        wb "$i" history "$item" --json >"$T_DIR/h.json" 2>/dev/null
        for id in $(grep -h "^$item " "$T_DIR"/acked.* | cut -d' ' -f2); do
            total=$((total + 1))
            grep -q "$id" "$T_DIR/h.json" || { missing=$((missing + 1)); t_log "node$i lacks $item $id"; }
        done
    done
done
t_log "checked $total acknowledged (node, event) pairs"
check "no acknowledged event is missing on any node" test "$missing" -eq 0 -a "$total" -gt 0
finish
