#!/usr/bin/env bash
# Fast heal after a partition. Every p2p link of a 4-validator testnet runs
# through a TCP proxy this test owns (probe proxy), which can black-hole a
# link the way a real partition does: bytes vanish, connections stay open.
# (a) node3 is cut off from the others for 20 s while they commit; (b) the
# network splits 2 against 2 for 20 s (no quorum on either side). After each
# heal an event is submitted at once and every node must have committed it
# within 3 s of the heal (docs/operating.md, "Partitions and heal").
cd "$(dirname "$0")/../.." || exit 2
. tests/cluster/lib.sh

# HEAL_BOUND_MS: the bound asserted; HEAL_KEEP=DIR keeps the node logs there.
HEAL_BOUND_MS=${HEAL_BOUND_MS:-3000}
CUT_SECONDS=${CUT_SECONDS:-20}
PROXY_PID=""
heal_cleanup() {
    [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null && wait "$PROXY_PID" 2>/dev/null
    [ -n "${HEAL_KEEP:-}" ] && [ -n "$T_DIR" ] && mkdir -p "$HEAL_KEEP" && cp "$T_DIR"/*.log "$HEAL_KEEP"/
    cluster_cleanup
}
trap heal_cleanup EXIT

testnet_create 4 || { T_FAIL=1; finish; }
CTL="$T_DIR/cut"
: >"$CTL"
specs=()
for i in 0 1 2 3; do
    for j in 0 1 2 3; do
        [ "$i" = "$j" ] || specs+=("$i-$j=127.0.0.1:$((T_BASE + j))")
    done
done
"$PROBE" proxy "$CTL" "$T_DIR/proxy.ports" "${specs[@]}" 2>"$T_DIR/proxy.log" &
PROXY_PID=$!
proxy_ready() { [ -s "$T_DIR/proxy.ports" ] || { kill -0 "$PROXY_PID" 2>/dev/null || return 99; return 1; }; }
check "the proxy listens" wait_for 30 proxy_ready
# node i dials node j through the proxy port of tag i-j
for i in 0 1 2 3; do
    peers=""
    for j in 0 1 2 3; do
        [ "$i" = "$j" ] && continue
        p=$(awk -v t="$i-$j" '$1 == t { print $2 }' "$T_DIR/proxy.ports")
        peers="$peers${peers:+, }127.0.0.1:$p"
    done
    sed -i "s/^peers = .*/peers = $peers/" "$T_DIR/net/node$i/node.ini"
done
for i in 0 1 2 3; do node_start "$i"; done
check "four nodes answer status" wait_for 60 nodes_up
check "a first event commits through the proxies" submit 0 urn:waybill:heal:first commission --at NLRTM

now_ms() { echo $(($(date +%s%N) / 1000000)); }
lacks_item() { ! has_item "$@"; }
has_item() { # has_item I ITEM: node I committed an event of ITEM
    local c
    c=$(item_count "$1" "$2")
    [ -n "$c" ] && [ "$c" -ge 1 ]
}
all_have() {
    local i
    for i in 0 1 2 3; do has_item "$i" "$1" || return 1; done
}

# heal_and_measure LABEL VIA ITEM: ends the cut, submits ITEM through node
# VIA at once, and prints the milliseconds until all four nodes have it.
heal_and_measure() {
    local label=$1 via=$2 item=$3 t0 t1
    : >"$CTL"
    t0=$(now_ms)
    "$WAYBILL" submit --node "$(api_addr "$via")" --key "$(client_key 0)" --timeout 60 \
        --item "$item" --action commission --at NLRTM >/dev/null 2>&1 &
    local sub=$!
    if wait_for 60 all_have "$item"; then
        t1=$(now_ms)
        HEAL_MS=$((t1 - t0))
    else
        HEAL_MS=999999
    fi
    wait "$sub" 2>/dev/null
    t_log "$label: healed, all four nodes committed $item ${HEAL_MS} ms after the heal"
    echo "$label $HEAL_MS" >>"$T_DIR/heal.times"
}
within_bound() { [ "$HEAL_MS" -le "$HEAL_BOUND_MS" ]; }

# ---- (a) node3 cut off while the others commit
# cut_and_heal TAG: node3 cut off for CUT_SECONDS while node0 takes an event
# a second, then the heal measured (the same once-more rule as the split
# below: the figure includes the test's polling).
cut_and_heal() {
    local tag=$1 h3
    cut_tag=$tag
    t_log "cutting node3 off for $CUT_SECONDS s ($tag)"
    echo "0-3 1-3 2-3 3-0 3-1 3-2" >"$CTL"
    cut_start=$SECONDS
    h3=$(node_height 3)
    k=0
    while [ $((SECONDS - cut_start)) -lt "$CUT_SECONDS" ]; do
        k=$((k + 1))
        submit 0 "urn:waybill:heal:a$tag:$k" commission --at NLRTM ||
            t_log "submit $k through node0 failed"
        sleep 1
    done
    check "the other three committed events during the cut" has_item 1 "urn:waybill:heal:a$tag:1"
    # By the events, not the height: a block decided just before the cut
    # may still reach node3 after it (it was in flight), and that is no leak.
    check "node3 saw none of them (it lacks the cut's first event; height $h3 at the cut, $(node_height 3) now)" \
        lacks_item 3 "urn:waybill:heal:a$tag:1"
    heal_and_measure "cut-off node" 3 "urn:waybill:heal:a$tag:after"
}
cut_and_heal ""
if ! within_bound; then
    t_log "cut-off node: ${HEAL_MS} ms is over ${HEAL_BOUND_MS} ms; measuring once more"
    check "node3 caught up with every event of the first cut" \
        wait_for 30 has_item 3 "urn:waybill:heal:a:$k"
    cut_and_heal ":2"
fi
check "cut-off node: all commit within ${HEAL_BOUND_MS} ms of the heal" within_bound
check "node3 caught up with every event of the cut" has_item 3 "urn:waybill:heal:a$cut_tag:$k"

# ---- (b) 2 against 2: no quorum on either side
# split_and_heal TAG: one 20 s split with an event submitted into it, then
# the heal measured. A measurement over the bound is taken once more (a new
# split): the figure includes the test's own polling (up to about 0.5 s on
# a loaded machine), so one slow poll does not fail the test, while a heal
# that is really slow misses both. Both figures are logged.
split_and_heal() {
    local tag=$1
    tag_last=$tag
    t_log "splitting {0,1} from {2,3} for $CUT_SECONDS s ($tag)"
    echo "0-2 0-3 1-2 1-3 2-0 2-1 3-0 3-1" >"$CTL"
    split_start=$SECONDS
    "$WAYBILL" submit --node "$(api_addr 1)" --key "$(client_key 0)" --timeout 5 \
        --item "urn:waybill:heal:b:during$tag" --action commission --at NLRTM \
        >"$T_DIR/during.out" 2>&1
    sub_rc=$?
    t_log "submit during the split: exit $sub_rc: $(tr "\n" " " <"$T_DIR/during.out")"
    check "no side of the split commits (submit through node1 timed out)" test "$sub_rc" -ne 0
    while [ $((SECONDS - split_start)) -lt "$CUT_SECONDS" ]; do sleep 0.5; done
    heal_and_measure "2-against-2 split" 0 "urn:waybill:heal:b:after$tag"
}
split_and_heal ""
if ! within_bound; then
    t_log "2-against-2 split: ${HEAL_MS} ms is over ${HEAL_BOUND_MS} ms; measuring once more"
    check "the event held during the first split commits" \
        wait_for 30 all_have urn:waybill:heal:b:during
    split_and_heal ":2"
fi
check "2-against-2 split: all commit within ${HEAL_BOUND_MS} ms of the heal" within_bound
check "the event held during the split commits too" wait_for 30 all_have "urn:waybill:heal:b:during${tag_last:-}"
top=$(node_height 0)
check "all four at height $top" wait_for 30 all_at_least "$top"
check "same block hash at every height 1..$top on all nodes" same_hashes_upto "$top"
t_log "heal times (ms): $(tr '\n' ' ' <"$T_DIR/heal.times")"
finish
