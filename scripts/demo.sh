#!/usr/bin/env bash
# `make demo`: a 4-node Waybill network on this machine, one container's
# journey from the shipper's yard to the consignee, a node killed and
# restarted midway, customs verification of the whole chain, and forgeries
# being turned away. Every node it starts it stops again (by PID).
set -u
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
export WAYBILL="$PWD/$BUILD/waybill"
PROBE="$PWD/$BUILD/tests/cluster/probe"
. scripts/testnet_lib.sh

if [ -t 1 ]; then BOLD=$'\033[1m' PLAIN=$'\033[0m'; else BOLD="" PLAIN=""; fi
say() { printf '\n%s== %s%s\n' "$BOLD" "$*" "$PLAIN"; }
die() { echo "demo: $*" >&2; exit 1; }
cleanup() {
    local i
    for i in "${!NODE_PIDS[@]}"; do node_kill "$i" TERM; done
    [ -n "$T_DIR" ] && rm -rf "$T_DIR"
}
trap cleanup EXIT
start=$SECONDS

say "A 4-node testnet: one node per organisation"
testnet_create 4 || die "cannot create the testnet"
sed -n '1,12p' "$T_DIR/testnet.out"
for i in 0 1 2 3; do node_start "$i"; done
wait_for 60 nodes_up || die "nodes did not come up (logs in $T_DIR)"
echo "all four nodes are up; logs in $T_DIR/node*.log"

ITEM=MSCU1234566
# step ORG_NODE ARGS...: one event, submitted by that org through its own node.
step() {
    local k=$1
    shift
    printf '  %-18s %-46s ' "$(org_of "$k")" "$*"
    wb "$k" submit --item "$ITEM" "$@" || die "submit failed"
}
org_of() { case $1 in 0) echo acme-shipping ;; 1) echo blue-ocean-lines ;; 2) echo rotterdam-customs ;; 3) echo nordic-retail ;; esac; }

say "Container $ITEM: shipper to carrier"
step 0 --action commission --at CNSHA --attr "goods=bicycle parts" --attr hs=871493
step 0 --action seal --attr seal=SL-2026-0042
step 0 --action handover --to blue-ocean-lines
step 1 --action receive
step 1 --action load --at CNSHA --attr vessel=EVER-ACE --attr voyage=0421W
step 1 --action depart --at CNSHA

say "Midway: node3 (nordic-retail) is killed with SIGKILL"
node_kill 3 KILL
h_at_kill=$(node_height 0)
echo "  node3 down at height $h_at_kill; the other three keep going"

step 1 --action arrive --at NLRTM
echo "  the carrier's system retries the arrival after a timeout; the ledger refuses the second:"
wb 1 submit --item "$ITEM" --action arrive --at NLRTM 2>&1 | sed 's/^/    /'
step 1 --action unload --at NLRTM
step 2 --action inspect --attr result=ok --attr note="seal intact"
step 2 --action clear --attr declaration=NL-2026-000123

say "node3 restarts and catches up"
node_start 3
top=$(node_height 0)
wait_for 60 all_at_least "$top" || die "node3 did not catch up"
echo "  node3 was down from height $h_at_kill; it is back at height $(node_height 3) (the others: $top)"

say "Carrier to consignee"
step 1 --action handover --to nordic-retail
step 3 --action receive
step 3 --action deliver --at NLRTM

say "Customs verify the whole chain against nothing but the genesis file"
echo "  (its risk section judges the journey as customs would: this demo sails"
echo "  Shanghai to Rotterdam in a second, so IMPOSSIBLE_TRAVEL is flagged, and"
echo "  every party of a new network is a NEW_PARTY; docs/risk.md)"
wb 2 verify "$ITEM"
verdict=$?
[ $verdict -eq 0 ] || die "verification failed"

say "Forgeries are turned away"
"$WAYBILL" keygen --out "$T_DIR/outsider.key" >/dev/null
echo "  an outsider's key (not in genesis) tries to add an event:"
"$WAYBILL" submit --node "$(api_addr 0)" --key "$T_DIR/outsider.key" --item "$ITEM" \
    --action receive 2>&1 | sed 's/^/    /'
echo "  the carrier tries to unload a container it no longer holds:"
wb 1 submit --item "$ITEM" --action unload --at NLRTM 2>&1 | sed 's/^/    /'
echo "  a proof bundle with one byte of an event altered, checked offline:"
wb 2 proof "$ITEM" --out "$T_DIR/bundle.pb" >/dev/null || die "proof failed"
"$PROBE" mutate alter-event "$T_DIR/bundle.pb" "$T_DIR/forged.pb" || die "mutate failed"
"$WAYBILL" verify --bundle "$T_DIR/forged.pb" --genesis "$WAYBILL_GENESIS" | grep -E "FAILED" | sed 's/^/    /'
echo "  the same bundle with its newest event (the delivery) left out:"
"$PROBE" mutate drop-newest "$T_DIR/bundle.pb" "$T_DIR/short.pb" || die "mutate failed"
"$WAYBILL" verify --bundle "$T_DIR/short.pb" --genesis "$WAYBILL_GENESIS" | grep -E "FAILED" | sed 's/^/    /'
echo "  ... and with the freshness proof removed too: genuine events, completeness not proven:"
"$PROBE" mutate hide-newest "$T_DIR/bundle.pb" "$T_DIR/hidden.pb" || die "mutate failed"
"$WAYBILL" verify --bundle "$T_DIR/hidden.pb" --genesis "$WAYBILL_GENESIS" --require-complete |
    grep -E "^(completeness|FAILED)" | sed 's/^/    /'

say "Done in $((SECONDS - start)) s; stopping every node this demo started"
