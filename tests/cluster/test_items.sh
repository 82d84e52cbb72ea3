#!/usr/bin/env bash
# Listing and watching against a real 4-node testnet: `waybill items` with
# each filter (--custodian, --held, --status, --at) and paging with --limit
# and --after that visits every item exactly once; `waybill watch` prints
# committed events in order, a watcher stopped (SIGSTOP) while many events
# commit gets all of them in order once it runs again while the node's RSS
# stays bounded, a new watcher resumes from --from-height with the same
# events, and a watcher killed mid-stream leaves the node serving.
# Orgs: node0 acme-shipping, node1 blue-ocean-lines, node2 rotterdam-customs,
# node3 nordic-retail.
cd "$(dirname "$0")/../.." || exit 2
. tests/cluster/lib.sh

testnet_create 4 || { T_FAIL=1; finish; }
for i in 0 1 2 3; do node_start "$i"; done
check "four nodes answer status" wait_for 60 nodes_up

P=urn:waybill:items
steps_ok=1
step() { # KEYNODE ITEM ARGS...
    local k=$1 item=$2
    shift 2
    if ! wb "$k" submit --item "$item" "$@" --timeout 60 >/dev/null 2>"$T_DIR/err"; then
        t_log "  $item $*: refused: $(cat "$T_DIR/err")"
        steps_ok=0
    fi
}
step 0 $P:a --action commission --at CNSHA
step 3 $P:b --action commission --at NLRTM
step 2 $P:b --action hold
step 0 $P:c --action commission --at NLRTM
step 0 $P:c --action handover --to blue-ocean-lines
step 3 $P:d --action commission --at NLRTM
step 2 $P:d --action hold
step 2 $P:d --action release
step 0 $P:e --action commission --at SGSIN
for i in 01 02 03 04 05 06 07 08 09 10 11 12; do step 0 $P:p$i --action commission --at CNSHA; done
check "the items' events committed" test $steps_ok = 1

# ids ARGS...: the item ids `waybill items --json ARGS` lists through node1.
ids() { wb 1 items --json "$@" 2>"$T_DIR/err" | grep -o '"item": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/' | tr '\n' ' '; }
check "--held lists the held item only" test "$(ids --held)" = "$P:b "
check "--at NLRTM lists the items last at NLRTM" test "$(ids --at nlrtm)" = "$P:b $P:c $P:d "
check "--custodian nordic-retail lists its items" test "$(ids --custodian nordic-retail)" = "$P:b $P:d "
check "--status in_transfer lists the handed-over item" test "$(ids --status in_transfer)" = "$P:c "
check "filters combine (--at NLRTM --custodian acme-shipping)" \
    test "$(ids --at NLRTM --custodian acme-shipping)" = "$P:c "
check "no item matches --status delivered" test "$(ids --status delivered)" = ""
all=$(ids)
check "the full list holds all 17 items" test "$(wc -w <<<"$all")" = 17
check "the full list is in item id order" test "$(tr ' ' '\n' <<<"$all" | sed '/^$/d' | LC_ALL=C sort | tr '\n' ' ')" = "$all"
out=$(wb 0 items --held 2>&1)
check "the table shows the held item with its custodian and customs status" \
    grep -Eq "^$P:b +nordic-retail +active +held +NLRTM " <<<"$out"
check "the table's last line says there is no more" grep -q "^1 item; no more$" <<<"$out"
out=$(wb 0 items --status shipped 2>&1)
check "an unknown --status is a usage error" grep -q "expected active, in_transfer or delivered" <<<"$out"

# paging: --limit 5 and --after the cursor until no more
paged="" after="" pages=0
while [ $pages -lt 10 ]; do
    json=$(wb 2 items --json --limit 5 ${after:+--after "$after"} 2>/dev/null)
    pages=$((pages + 1))
    paged+=$(grep -o '"item": *"[^"]*"' <<<"$json" | sed 's/.*"\([^"]*\)"$/\1/' | tr '\n' ' ')
    grep -q '"more": *true' <<<"$json" || break
    after=$(grep -o '"next_after": *"[^"]*"' <<<"$json" | sed 's/.*"\([^"]*\)"$/\1/')
done
t_log "  $pages pages: $paged"
check "paging by 5 takes 4 pages" test $pages = 4
check "paging visits every item exactly once, in order" test "$paged" = "$all"
out=$(wb 0 items --limit 5 2>&1)
t_log "  items --limit 5 ends: $(tail -1 <<<"$out")"
check "a page's last line names the cursor" grep -q "^5 items; more after $P:e: --after $P:e$" <<<"$out"

# ---- watch
WATCH=("$WAYBILL" watch --node "$(api_addr 0)" --key "$(client_key 0)")
lines() { [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]; }
h0=$(node_height 0)
"${WATCH[@]}" --json --count 3 --from-height $((h0 + 1)) >"$T_DIR/w1" 2>"$T_DIR/w1.err" &
w1=$!
step 3 $P:f --action commission --at NLRTM
step 3 $P:f --action seal --attr seal=SL-9
step 3 $P:f --action handover --to blue-ocean-lines
n=0
while kill -0 $w1 2>/dev/null && [ $n -lt 300 ]; do sleep 0.2; n=$((n + 1)); done
wait $w1
rc=$?
check "a watcher with --count 3 exits 0" test $rc -eq 0
check "it printed the three events in order" \
    test "$(grep -o '"action": *"[a-z]*"' "$T_DIR/w1" | sed 's/.*"\([a-z]*\)"$/\1/' | tr '\n' ' ')" = "commission seal handover "
check "each line is one JSON object with height and index" \
    test "$(grep -c '^{.*"height": *[0-9]*.*}$' "$T_DIR/w1")" = 3

# a slow watcher: stopped while many events commit
h1=$(node_height 0)
N=120
"${WATCH[@]}" --count $N --from-height $((h1 + 1)) >"$T_DIR/w2" 2>"$T_DIR/w2.err" &
w2=$!
for i in $(seq 1 10); do step 0 $P:s0-$i --action commission --at CNSHA --no-wait; done
check "the watcher prints the first events" wait_for 60 lines "$T_DIR/w2" 10
kill -STOP $w2
rss_before=$(awk '/^VmRSS/ {print $2}' /proc/"${NODE_PIDS[0]}"/status)
subs=()
for k in 0 3; do
    (for i in $(seq 1 55); do
        wb $k submit --item $P:s$k-x$i --action commission --at NLRTM --attr note=slow-watcher-test-padding-padding-padding --no-wait >/dev/null 2>&1 \
            || echo "s$k-x$i" >>"$T_DIR/refused"
    done) &
    subs+=($!)
done
wait "${subs[@]}"
check "every submit of the burst was accepted" test ! -s "$T_DIR/refused"
# a new watcher from the same height reads them all from storage (resume)
timeout 300 "${WATCH[@]}" --count $N --from-height $((h1 + 1)) >"$T_DIR/w3" 2>"$T_DIR/w3.err"
check "a watcher resuming from --from-height gets all $N events" test "$(wc -l <"$T_DIR/w3")" = $N
rss_after=$(awk '/^VmRSS/ {print $2}' /proc/"${NODE_PIDS[0]}"/status)
t_log "  node0 VmRSS ${rss_before} kB -> ${rss_after} kB with a stopped watcher"
check "node0's RSS stays bounded while the watcher is stopped" test $((rss_after - rss_before)) -lt 65536
check "the stopped watcher has not printed more" test "$(wc -l <"$T_DIR/w2")" -lt $N
kill -CONT $w2
n=0
while kill -0 $w2 2>/dev/null && [ $n -lt 600 ]; do sleep 0.2; n=$((n + 1)); done
wait $w2
rc=$?
check "the slow watcher exits 0 once it has $N events" test $rc -eq 0
check "the slow watcher got every event, in the same order as the resumed one" \
    cmp -s "$T_DIR/w2" "$T_DIR/w3"
check "events come in ledger order" bash -c "cut -d' ' -f1 '$T_DIR/w2' | tr ':' ' ' | sort -n -k1,1 -k2,2 -c"
check "no event is printed twice" test "$(awk '{print $NF}' "$T_DIR/w2" | sort -u | wc -l)" = $N

# a watcher killed mid-stream
"${WATCH[@]}" --from-height 1 >"$T_DIR/w4" 2>/dev/null &
w4=$!
check "a watcher from height 1 streams" wait_for 60 lines "$T_DIR/w4" 5
kill -KILL $w4
wait $w4 2>/dev/null
check "node0 keeps running after a watcher was killed" node_alive 0
check "node0 still answers status" bash -c "$(printf '%q ' "$WAYBILL") status --node $(api_addr 0) --key $(client_key 0) >/dev/null"
step 0 $P:z --action commission --at CNSHA
check "node0 still commits" test "$(item_count 0 $P:z)" = 1
check "node0 still serves a watcher" bash -c "timeout 60 $(printf '%q ' "${WATCH[@]}") --count 2 --from-height 1 | wc -l | grep -qx 2"
out=$("${WATCH[@]}" --count 0 2>&1)
check "watch --count 0 is a usage error" grep -q -- "--count: expected 1 to" <<<"$out"
finish
