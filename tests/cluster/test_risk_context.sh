#!/usr/bin/env bash
# The risk index on a real 4-node testnet: two containers sealed with the
# same seal number, a crate whose load names one of them as its container,
# a handover, deliveries, and dwells at DEHAM; then the same risk context
# request (tests/cluster/probe.c risk-context, through cli/risk_context.h's
# fetcher, which checks the answer) answered byte for byte alike by every
# node, with what the journeys say; the node refuses requests over its
# bounds; and after a restart a node's index, rebuilt from its stored
# blocks, answers the same.
# Orgs: node0 acme-shipping, node1 blue-ocean-lines, node2 rotterdam-customs,
# node3 nordic-retail.
cd "$(dirname "$0")/../.." || exit 2
. tests/cluster/lib.sh

testnet_create 4 || { T_FAIL=1; finish; }
for i in 0 1 2 3; do node_start "$i"; done
check "four nodes answer status" wait_for 60 nodes_up

A=CSQU3054383              # a container: sealed SL-SHARED-1, handed to the carrier
B=MSCU1234566              # another container, the same seal number
C=urn:example:crate:1      # packed into A: its load names container=A
DAY=86400
# at DAYS_AGO: an RFC 3339 time that many (fractional) days before now
at() { date -u -d "@$(awk -v now="$(date +%s)" -v d="$1" -v day=$DAY 'BEGIN { printf "%d", now - d * day }')" +%Y-%m-%dT%H:%M:%SZ; }

steps_ok=1
step() { # KEYNODE ITEM DAYS_AGO ARGS...
    local k=$1 item=$2 ago=$3
    shift 3
    if ! wb "$k" submit --item "$item" --time "$(at "$ago")" "$@" --timeout 60 >/dev/null 2>"$T_DIR/err"; then
        t_log "  $item $*: refused: $(cat "$T_DIR/err")"
        steps_ok=0
    fi
}
# A: NLRTM -> DEHAM by sea (3 days), 2 days at DEHAM, delivered by the carrier.
step 0 $A 10 --action commission --at NLRTM
step 0 $A 9.9 --action seal --attr seal=SL-SHARED-1
step 0 $A 9.8 --action handover --to blue-ocean-lines
step 1 $A 9.7 --action receive
step 1 $A 9.6 --action load --at NLRTM --attr mode=sea
step 1 $A 9 --action depart --at NLRTM
step 1 $A 6 --action arrive --at DEHAM
step 1 $A 5.9 --action unload --at DEHAM
step 1 $A 4 --action deliver --at DEHAM
# B: the same seal number; NLRTM -> DEHAM by sea (4 days), 3 days at DEHAM, on to BEANR.
step 3 $B 10 --action commission --at NLRTM
step 3 $B 9.9 --action seal --attr seal=SL-SHARED-1
step 3 $B 9.5 --action load --at NLRTM --attr mode=sea
step 3 $B 9 --action depart --at NLRTM
step 3 $B 5 --action arrive --at DEHAM
step 3 $B 2 --action depart --at DEHAM
step 3 $B 1 --action arrive --at BEANR
# C: packed into A at NLRTM (its load names the container), 1 day at DEHAM.
step 0 $C 9.8 --action commission --at NLRTM
step 0 $C 9.7 --action load --at NLRTM --attr container=$A
step 0 $C 9 --action depart --at NLRTM
step 0 $C 6 --action arrive --at DEHAM
step 0 $C 5.5 --action unload --at DEHAM
step 0 $C 5 --action deliver --at DEHAM
check "the journeys committed" test $steps_ok = 1

ORGS=acme-shipping,blue-ocean-lines,rotterdam-customs,nordic-retail
KEYS="transit NLRTM DEHAM sea,dwell DEHAM,transit DEHAM BEANR any,dwell NLRTM"
# ctx I: node I's answer, canonically.
ctx() {
    "$PROBE" risk-context "$(api_addr "$1")" "$WAYBILL_GENESIS" "$(client_key "$1")" \
        $A $A SL-SHARED-1,SL-NEVER "$ORGS" "$KEYS"
}

# same_answers: every running node, at one height, answers byte for byte as
# node0 (a heartbeat block between two answers means: ask again).
same_answers() {
    local i h
    ctx 0 >"$T_DIR/ctx.0" 2>"$T_DIR/ctx.err" || { t_log "  node0: $(cat "$T_DIR/ctx.err")"; return 1; }
    h=$(sed -n 's/^height //p' "$T_DIR/ctx.0")
    for ((i = 1; i < T_N; i++)); do
        node_alive "$i" || continue
        ctx "$i" >"$T_DIR/ctx.$i" 2>"$T_DIR/ctx.err" || { t_log "  node$i: $(cat "$T_DIR/ctx.err")"; return 1; }
        if ! cmp -s "$T_DIR/ctx.0" "$T_DIR/ctx.$i"; then
            [ "$(sed -n 's/^height //p' "$T_DIR/ctx.$i")" = "$h" ] &&
                t_log "  node$i differs at height $h: $(diff "$T_DIR/ctx.0" "$T_DIR/ctx.$i" | head -4 | tr '\n' ' ')"
            return 1
        fi
    done
}

top=$(node_height 0)
check "every node reached height $top" wait_for 60 all_at_least "$top"
check "every node answers the same risk context, byte for byte" wait_for 30 same_answers
out=$(cat "$T_DIR/ctx.0")
t_log "  $(grep -v '^answer' <<<"$out" | tr '\n' ';' | head -c 600)"
has() { grep -Eq "$1" <<<"$out"; }
check "the seal number is shared: B is the other item (A left out)" has "^seal SL-SHARED-1 total 1: $B$"
check "a seal number nobody used has no items" has "^seal SL-NEVER total 0:$"
# A's own located events (commission, load, depart, arrive, unload) and C's load.
check "the container has six references" has "^container $A total 6$"
check "its own latest is the unload at DEHAM" has "^ref $A DEHAM [0-9]+ [0-9a-f]{64}$"
check "C's load names it at NLRTM" has "^ref $C NLRTM [0-9]+ [0-9a-f]{64}$"
check "acme-shipping: A handed over and received, C delivered" \
    has "^party acme-shipping known first_seen_ms [0-9]+ chains_completed 2$"
check "blue-ocean-lines: A delivered" has "^party blue-ocean-lines known first_seen_ms [0-9]+ chains_completed 1$"
check "rotterdam-customs never recorded an event" has "^party rotterdam-customs unknown$"
check "nordic-retail is known from B" has "^party nordic-retail known first_seen_ms [0-9]+ chains_completed 0$"
check "two sea transits NLRTM -> DEHAM" has "^baseline transit NLRTM DEHAM sea count 2 "
check "three dwells at DEHAM (A delivered, B on, C delivered)" has "^baseline dwell DEHAM count 3 "
check "B's leg to BEANR declared no mode" has "^baseline transit DEHAM BEANR any count 1 "
check "nothing dwelt at NLRTM (no arrival there)" has "^baseline dwell NLRTM none$"

bounds=$("$PROBE" risk-bounds "$(api_addr 2)" "$WAYBILL_GENESIS" "$(client_key 2)")
check "at the bounds (32 seals, 64 orgs, 64 keys) the node answers" grep -q "^at-bounds 0$" <<<"$bounds"
check "33 seals are refused as invalid" grep -q "^seals-33 -2$" <<<"$bounds"
check "65 organisations are refused" grep -q "^orgs-65 -2$" <<<"$bounds"
check "65 baseline keys are refused" grep -q "^keys-65 -2$" <<<"$bounds"
check "a seal number longer than an attribute is refused" grep -q "^seal-too-long -2$" <<<"$bounds"

# Restart node3: its index is rebuilt from its stored blocks at start-up.
node_kill 3 TERM
check "node3 logged the index's cost at shutdown" grep -q "risk index: .* us per event" "$T_DIR/node3.log"
node_start 3
check "node3 answers again" wait_for 60 nodes_up
check "node3 rebuilt the risk index from its blocks" \
    grep -Eq "risk index rebuilt from [0-9]+ blocks \([0-9]+ events\) in [0-9]+ ms" "$T_DIR/node3.log"
t_log "  $(grep 'risk index rebuilt' "$T_DIR/node3.log" | tail -1 | sed 's/^.*risk: //')"
top=$(node_height 0)
check "every node reached height $top" wait_for 60 all_at_least "$top"
check "after the restart every node answers the same, byte for byte" wait_for 30 same_answers
check "and the same as before the restart (but for the height)" \
    bash -c 'diff <(grep -v "^answer\|^height" <<<"$1") <(grep -v "^answer\|^height" "$2") >/dev/null' _ "$out" "$T_DIR/ctx.3"
finish
