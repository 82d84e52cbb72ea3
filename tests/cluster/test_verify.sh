#!/usr/bin/env bash
# The customs view: `waybill verify` passes on an honest chain fetched from a
# node and offline from a saved bundle, and fails, naming the event and the
# check, on a bundle with one altered byte in an event, a removed middle
# event, a certificate with too few signatures, and a signature by a key that
# is not a validator's.
cd "$(dirname "$0")/../.." || exit 2
. tests/cluster/lib.sh

testnet_create 4 || { T_FAIL=1; finish; }
for i in 0 1 2 3; do node_start "$i"; done
check "four nodes answer status" wait_for 60 nodes_up

ITEM=MSCU1234566
ok=1
wb 0 submit --item $ITEM --action commission --at CNSHA >/dev/null || ok=0
wb 0 submit --item $ITEM --action seal --attr seal=SL-77 >/dev/null || ok=0
wb 0 submit --item $ITEM --action load --at CNSHA --attr vessel=EVER-ACE >/dev/null || ok=0
wb 0 submit --item $ITEM --action depart --at CNSHA >/dev/null || ok=0
wb 0 submit --item $ITEM --action arrive --at NLRTM >/dev/null || ok=0
wb 2 submit --item $ITEM --action inspect --attr result=ok >/dev/null || ok=0
wb 2 submit --item $ITEM --action clear --attr declaration=NL-2026-1 >/dev/null || ok=0
check "a 7-event chain is committed" test $ok = 1

out=$(wb 3 verify $ITEM 2>&1)
rc=$?
check "verify through node3 passes (exit 0)" test $rc -eq 0
check "verify prints the verdict" grep -q "VERIFIED: 7 events" <<<"$out"

B="$T_DIR/bundle.pb"
check "proof writes a bundle" wb 1 proof $ITEM --out "$B"
offline() { "$WAYBILL" verify --bundle "$1" --genesis "$WAYBILL_GENESIS"; }
check "the saved bundle verifies offline" offline "$B"

# tampered NAME MODE PATTERN: the mutated bundle fails (exit 1) and the
# failure line matches PATTERN (event index and check).
tampered() {
    local name=$1 mode=$2 pattern=$3 out rc
    "$PROBE" mutate "$mode" "$B" "$T_DIR/$mode.pb" || { t_log "probe mutate $mode failed"; return 1; }
    out=$(offline "$T_DIR/$mode.pb" 2>&1)
    rc=$?
    t_log "  $name -> exit $rc: $(grep FAILED <<<"$out")"
    check "$name: verify exits 1" test $rc -eq 1
    check "$name: names '$pattern'" grep -Eq "$pattern" <<<"$out"
}
tampered "one altered byte in an event" alter-event "FAILED: event 3 .*(signature|decode)"
tampered "a removed middle event" remove-middle "FAILED: event 3 .*prev-link"
tampered "a certificate with too few signatures" few-sigs "FAILED: event 0 .*certificate"
tampered "a signature by a key that is not a validator's" foreign-sig \
    "FAILED: event 0 .*certificate.*signature"
finish
