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
# Other items registered before and after it, so that the item's leaf sits
# inside a tree of several (registration index 3 of 5 or more).
for k in 1 2 3; do wb 0 submit --item "urn:waybill:test:before:$k" --action commission --at CNSHA >/dev/null || ok=0; done
wb 0 submit --item $ITEM --action commission --at CNSHA >/dev/null || ok=0
for k in 1 2; do wb 3 submit --item "urn:waybill:test:after:$k" --action commission --at CNSHA >/dev/null || ok=0; done
wb 0 submit --item $ITEM --action seal --attr seal=SL-77 >/dev/null || ok=0
wb 0 submit --item $ITEM --action load --at CNSHA --attr vessel=EVER-ACE >/dev/null || ok=0
wb 0 submit --item $ITEM --action depart --at CNSHA >/dev/null || ok=0
wb 0 submit --item $ITEM --action arrive --at NLRTM >/dev/null || ok=0
# A proof of the item as of now, five events: older than the final one.
wb 1 proof $ITEM --out "$T_DIR/old.pb" >/dev/null || ok=0
wb 2 submit --item $ITEM --action inspect --attr result=ok >/dev/null || ok=0
wb 2 submit --item $ITEM --action clear --attr declaration=NL-2026-1 >/dev/null || ok=0
check "a 7-event chain is committed" test $ok = 1

out=$(wb 3 verify $ITEM 2>&1)
rc=$?
check "verify through node3 passes (exit 0)" test $rc -eq 0
check "verify prints the verdict" grep -q "VERIFIED: 7 events" <<<"$out"
check "verify proves the 7 events are all of them" \
    grep -Eq "^complete as of height [0-9]+ \(time .*, [0-9]+ seconds old\)$" <<<"$out"
check "verify --require-complete --max-age 1h passes" wb 3 verify $ITEM --require-complete --max-age 1h
out=$(wb 3 verify $ITEM --max-age 0s 2>&1)
rc=$?
check "verify --max-age 0s fails (exit 1)" test $rc -eq 1
check "verify --max-age 0s says why" grep -Eq "^FAILED: complete as of height [0-9]+ only, .*more than --max-age 0s" <<<"$out"
out=$(wb 3 verify $ITEM --max-age 15x 2>&1)
check "verify --max-age 15x is a usage error (exit 2)" test $? -eq 2
check "verify --max-age 15x names the option" grep -q "max-age: expected a duration" <<<"$out"
json=$(wb 3 verify $ITEM --json)
check "verify --json says complete as of a height" python3 -c '
import json,sys; d=json.loads(sys.argv[1])
assert d["verified"] and d["complete"] and d["complete_as_of"]["height"] >= 1 and d["completeness"] is None, d
' "$json"

# waybill state: the item's state as of the latest certified height, proved.
out=$(wb 2 state $ITEM 2>&1)
check "state proves the item's state (exit 0)" test $? -eq 0
check "... as of a certified height" grep -Eq "^as of +height [0-9]+ \(time .*\), certified$" <<<"$out"
check "... custodian and customs status" grep -Eq "^customs +cleared$" <<<"$out"
check "... seven events" grep -Eq "^events +7$" <<<"$out"
json=$(wb 2 state $ITEM --json)
check "state --json" python3 -c '
import json,sys; d=json.loads(sys.argv[1])
assert d["proved"] and d["count"] == 7 and d["customs"] == "cleared" and d["custodian"] == "acme-shipping" and d["location"] == "NLRTM" and d["height"] >= 1, d
' "$json"
wb 2 state urn:waybill:test:nothing:here >/dev/null 2>&1
check "state of an unknown item exits 1" test $? -eq 1

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

# Completeness: whoever hands customs a bundle cannot leave out the newest
# event (the clearance here) and still have it prove complete.
tampered "the newest event left out, the freshness proof kept" drop-newest \
    "FAILED: bundle: freshness: the item has 7 events as of block [0-9]+, the bundle holds 6"
# The documents suffice: a verifier written from docs/formats.md alone
# (tests/cluster/indep_freshness.py) reaches the same verdict on the
# item-state commitment.
c_height=$(offline "$B" | sed -n 's/^complete as of height \([0-9]*\) .*/\1/p')
indep=$(python3 tests/cluster/indep_freshness.py "$B")
check "an independent verifier finds the bundle complete as of the same height ($c_height)" \
    test "$indep" = "complete as of height $c_height"
"$PROBE" mutate drop-newest "$B" "$T_DIR/short.pb"
check "... and the bundle short of its newest event not complete" \
    grep -q "^NOT COMPLETE: the leaf counts 7 events, the bundle holds 6" \
    <<<"$(python3 tests/cluster/indep_freshness.py "$T_DIR/short.pb")"
# Every way of lying about how fresh a bundle is fails, naming the check.
for k in 1 2 3 4 5 6; do
    "$PROBE" mutate "drop-newest-$k" "$B" "$T_DIR/short-$k.pb"
    out=$(offline "$T_DIR/short-$k.pb" 2>&1)
    check "the newest $k events left out: fails freshness" \
        grep -q "^FAILED: bundle: freshness: the item has 7 events as of block [0-9]*, the bundle holds $((7 - k))" <<<"$out"
done
wb 1 proof urn:waybill:test:before:1 --out "$T_DIR/other.pb" >/dev/null
# spliced NAME MODE OTHER PATTERN: the bundle with a part of OTHER's proof fails.
spliced() {
    "$PROBE" mutate "$2" "$B" "$T_DIR/$2.pb" "$3" || { check "$1: probe mutate $2" false; return; }
    local out
    out=$(offline "$T_DIR/$2.pb" 2>&1)
    t_log "  $1 -> $(grep FAILED <<<"$out")"
    check "$1: fails '$4'" grep -Eq "^FAILED: bundle: freshness: $4" <<<"$out"
}
spliced "a freshness proof from an older height" freshness-from "$T_DIR/old.pb" \
    "block [0-9]+ is below the item's last event"
spliced "a leaf from an older height" leaf-from "$T_DIR/old.pb" "leaf: "
spliced "a leaf of another item" leaf-from "$T_DIR/other.pb" "leaf: it is not the leaf of item $ITEM"
spliced "a certificate for a different header" cert-from "$T_DIR/old.pb" "block [0-9]+: "
"$PROBE" mutate flip-state-path "$B" "$T_DIR/flipped.pb"
check "a forged audit path: fails freshness" \
    grep -q "^FAILED: bundle: freshness: leaf: its audit path does not lead to the state root" \
    <<<"$(offline "$T_DIR/flipped.pb" 2>&1)"
"$PROBE" mutate hide-newest "$B" "$T_DIR/hidden.pb"
out=$(offline "$T_DIR/hidden.pb" 2>&1)
check "the newest event and the proof left out: the 6 events verify" test $? -eq 0
check "... but completeness is not proven" \
    grep -q "^completeness not proven: the bundle carries no freshness proof" <<<"$out"
out=$("$WAYBILL" verify --bundle "$T_DIR/hidden.pb" --genesis "$WAYBILL_GENESIS" --require-complete 2>&1)
check "... and --require-complete refuses it (exit 1)" test $? -eq 1
check "... naming why" grep -q "^FAILED: completeness not proven (--require-complete)" <<<"$out"
finish
