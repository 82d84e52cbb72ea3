#!/usr/bin/env bash
# Whole journeys through the CLI against a real 4-node testnet, each
# verified by `waybill verify ITEM` through another node: the demo's, a
# transshipment over a hub, and a customs hold (hold, inspect, release,
# clear). A late report is accepted and shown as out of order by history
# and verify, human and --json. And docs/rules.md lists every rule of the
# ledger's table with its unit test.
# Orgs: node0 acme-shipping (shipper), node1 blue-ocean-lines (carrier),
# node2 rotterdam-customs (customs), node3 nordic-retail (shipper).
cd "$(dirname "$0")/../.." || exit 2
. tests/cluster/lib.sh

# Every rule of the table has a row in docs/rules.md and a unit test of its name.
while IFS=$'\t' read -r rule _; do
    check "docs/rules.md has a row for rule $rule" grep -q "^| \`$rule\` |" docs/rules.md
    check "unit test $rule exists" grep -q "T($rule)," tests/unit/ledger_rules.c
done < <("$PROBE" rules)

testnet_create 4 || { T_FAIL=1; finish; }
for i in 0 1 2 3; do node_start "$i"; done
check "four nodes answer status" wait_for 60 nodes_up

ago() { date -u -d "$1 ago" +%Y-%m-%dT%H:%M:%SZ; }

# journey NAME ITEM STEPS...: each step "KEYNODE ARGS..." must commit.
journey() {
    local name=$1 item=$2 step ok=1
    shift 2
    for step in "$@"; do
        # shellcheck disable=SC2086
        if ! wb ${step%% *} submit --item "$item" ${step#* } --timeout 30 >/dev/null 2>"$T_DIR/err"; then
            t_log "  $name: '$step' refused: $(cat "$T_DIR/err")"
            ok=0
        fi
    done
    check "$name: every step committed" test $ok = 1
}

# verified NAME NODE ITEM EVENTS: `waybill verify ITEM` through NODE passes.
verified() {
    local out rc
    out=$(wb "$2" verify "$3" 2>&1)
    rc=$?
    check "$1: verify through node$2 exits 0" test $rc -eq 0
    check "$1: verify says VERIFIED: $4 events" grep -q "^VERIFIED: $4 events" <<<"$out"
}

# state_has NAME ITEM TEXT...: node0's history --json of ITEM holds each TEXT.
state_has() {
    local name=$1 item=$2 json t
    shift 2
    json=$(wb 0 history "$item" --json 2>&1)
    for t in "$@"; do check "$name: history shows $t" grep -qF -- "$t" <<<"$json"; done
}

DEMO=MSCU1234566
journey "demo journey" $DEMO \
    "0 --action commission --at CNSHA --attr goods=bicycle-parts --attr hs=871493" \
    "0 --action seal --attr seal=SL-2026-0042" \
    "0 --action handover --to blue-ocean-lines" \
    "1 --action receive" \
    "1 --action load --at CNSHA --attr vessel=EVER-ACE --attr voyage=0421W" \
    "1 --action depart --at CNSHA" \
    "1 --action arrive --at NLRTM" \
    "1 --action unload --at NLRTM" \
    "2 --action inspect --attr result=ok" \
    "2 --action clear --attr declaration=NL-2026-000123" \
    "1 --action handover --to nordic-retail" \
    "3 --action receive" \
    "3 --action deliver --at NLRTM"
verified "demo journey" 2 $DEMO 13
state_has "demo journey" $DEMO '"custodian": "nordic-retail"' '"status": "delivered"' \
    '"customs": "cleared"' '"location": "NLRTM"' '"movement": "at_rest"' \
    '"seal": "SL-2026-0042"'

TRANS=urn:waybill:journey:transshipment
journey "transshipment" $TRANS \
    "0 --action commission --at CNSHA" \
    "0 --action seal --attr seal=SL-7" \
    "0 --action handover --to blue-ocean-lines" \
    "1 --action receive" \
    "1 --action load --at CNSHA --attr vessel=FEEDER-ONE --attr seal=SL-7" \
    "1 --action depart --at CNSHA" \
    "1 --action arrive --at SGSIN" \
    "1 --action unload --at SGSIN" \
    "1 --action load --at SGSIN --attr vessel=MOTHER-TWO" \
    "1 --action depart --at SGSIN --attr seal=SL-7" \
    "1 --action arrive --at NLRTM" \
    "1 --action unload --at NLRTM"
verified "transshipment" 1 $TRANS 12
state_has "transshipment" $TRANS '"custodian": "blue-ocean-lines"' '"location": "NLRTM"' \
    '"movement": "at_rest"' '"customs": "none"'

HOLD=urn:waybill:journey:customs-hold
journey "customs hold" $HOLD \
    "3 --action commission --at NLRTM" \
    "2 --action hold" \
    "2 --action inspect --attr result=discrepancy" \
    "2 --action release" \
    "2 --action clear --attr declaration=NL-2026-7"
verified "customs hold" 0 $HOLD 5
state_has "customs hold" $HOLD '"customs": "cleared"' '"held": false' \
    '"custodian": "nordic-retail"'

# A late report: an inspection dated before the load that was recorded first.
LATE=urn:waybill:journey:late-report
journey "late report" $LATE \
    "0 --action commission --at NLRTM --time $(ago '3 hours')" \
    "0 --action load --at NLRTM --time $(ago '1 hour')" \
    "2 --action inspect --attr result=ok --time $(ago '2 hours')" \
    "0 --action depart --at NLRTM"
out=$(wb 3 history $LATE 2>&1)
check "late report: history marks the inspection out of order" \
    grep -Eq "^2 .*\(out of order\) +inspect" <<<"$out"
check "late report: history marks nothing else" test "$(grep -c "out of order" <<<"$out")" -eq 2
check "late report: history counts it" grep -q "^events .*, 1 out of order" <<<"$out"
json=$(wb 3 history $LATE --json 2>&1)
check "late report: history --json marks one event" \
    test "$(grep -c '"out_of_order": true' <<<"$json")" -eq 1
check "late report: history --json counts it" grep -q '"events_out_of_order": 1' <<<"$json"
out=$(wb 1 verify $LATE 2>&1)
check "late report: verify passes" grep -q "^VERIFIED: 4 events, .*; 1 reported out of order" <<<"$out"
check "late report: verify marks the inspection" grep -Eq "^2 .*inspect .*ok, out of order" <<<"$out"
json=$(wb 1 verify $LATE --json 2>&1)
check "late report: verify --json marks one event" \
    test "$(grep -c '"out_of_order": true' <<<"$json")" -eq 1
check "late report: verify --json counts it" grep -q '"events_out_of_order": 1' <<<"$json"
finish
