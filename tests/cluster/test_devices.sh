#!/usr/bin/env bash
# Devices and route plans end to end (docs/devices.md): a member registers
# an e-seal and a tracker, the custodian attaches them, gateways submit what
# they report, and every refusal the ledger makes of a device or a plan
# reaches the CLI with its reason and rule: a report on an item the device
# is not attached to, of a retired device, signed by a key nobody
# registered, a movement and a customs action signed by a device key, a
# replayed report, a detached device's report, and a plan set by a party
# that is neither shipper nor custodian. Then the registry, the attachments
# and the plan travel in the item's proof bundle: it verifies offline
# against genesis alone, and fails when any of them is altered or dropped.
cd "$(dirname "$0")/../.." || exit 2
. tests/cluster/lib.sh

testnet_create 4 || { T_FAIL=1; finish; }
for i in 0 1 2 3; do node_start "$i"; done
check "four nodes answer status" wait_for 60 nodes_up

ITEM=CSQU3054383
OTHER=MSCU1234566
SEAL="$T_DIR/seal.key"
TRACK="$T_DIR/tracker.key"
STRAY="$T_DIR/stray.key"
for k in "$SEAL" "$TRACK" "$STRAY"; do "$WAYBILL" keygen --out "$k" >/dev/null; done
err="$T_DIR/err"

# ok NAME CMD...: the command exits 0
ok() {
    local name=$1
    shift
    "$@" >"$T_DIR/out" 2>"$err"
    local rc=$?
    [ $rc -eq 0 ] || t_log "  $name -> exit $rc: $(tr '\n' ' ' <"$err" | head -c 400)"
    check "$name" test $rc -eq 0
}
# refused NAME RULE PATTERN CMD...: exit 1, "rejected: ... (rule RULE)" (the
# node's answer) or "refused: ... (rule RULE)" (a governance event checked
# before it is signed) on stderr, and PATTERN in the reason.
refused() {
    local name=$1 rule=$2 pat=$3
    shift 3
    "$@" >"$T_DIR/out" 2>"$err"
    local rc=$?
    t_log "  $name -> exit $rc: $(head -1 "$err" | head -c 300)"
    check "$name: exit 1" test $rc -eq 1
    check "$name: rule $rule" grep -Eq "(rejected|refused): .*\(rule $rule\)" "$err"
    check "$name: says why" grep -Eq "$pat" "$err"
}

ok "acme registers an e-seal" wb 0 device register --device "$SEAL" --kind eseal --serial ES-0001 --seal CSQU-S-0042
check "register names kind, serial, seal and owner" \
    grep -q "(eseal ES-0001, seal CSQU-S-0042) of 'acme-shipping' registered at height" "$T_DIR/out"
ok "acme registers a tracker" wb 0 device register --device "$TRACK" --kind tracker --serial TR-77
ok "device list" wb 2 device list
check "device list shows both, active" test "$(grep -c ' active$' "$T_DIR/out")" -eq 2
ok "device list --json" wb 2 device list --json --org acme-shipping
check "device list --json holds the e-seal's seal number" grep -q '"seal": "CSQU-S-0042"' "$T_DIR/out"
refused "a second registration of the same key" gov_device_new "a device key is registered once" \
    wb 1 device register --device "$SEAL" --kind eseal --serial ES-0002 --seal X1

ok "commission" wb 0 submit --item $ITEM --action commission --at CNSHA
ok "commission another item" wb 0 submit --item $OTHER --action commission --at CNSHA

refused "a report on an item the device is not attached to" device_attached "not attached" \
    wb 1 device submit $ITEM --device-key "$SEAL" --seal-state intact
refused "a report signed by a key nobody registered" device_registered "is not registered on this chain" \
    wb 1 device submit $ITEM --device-key "$STRAY" --seal-state intact
refused "an attachment by a party that is not the custodian" device_link_by_custodian "custodian" \
    wb 1 device attach $ITEM --device "$SEAL"

ok "the custodian attaches the e-seal" wb 0 device attach $ITEM --device "$SEAL"
ok "the custodian attaches the tracker" wb 0 device attach $ITEM --device "$TRACK"
ok "the e-seal reports armed (through the shipper's gateway)" \
    wb 0 device submit $ITEM --device-key "$SEAL" --seal-state armed --seal CSQU-S-0042
check "the result names report 1" grep -q "seal_status report 1 of device" "$T_DIR/out"
ok "the tracker reports a position (through the carrier's gateway)" \
    wb 1 device submit $ITEM --device-key "$TRACK" --lat 31.230416 --lon 121.473701 --accuracy 15 --locode CNSHA
ok "the tracker reports a temperature" wb 1 device submit $ITEM --device-key "$TRACK" --measure temperature --value 4.25
refused "an e-seal reporting a temperature" device_kind_allows "eseal" \
    wb 1 device submit $ITEM --device-key "$SEAL" --measure temperature --value 4
refused "an observation dated before the attachment" device_obs_in_window "before device" \
    wb 1 device submit $ITEM --device-key "$SEAL" --seal-state intact --at 2020-01-01T00:00:00Z

# a replay: the same report, device signature and all, in a new event
at=$(date -u +%FT%T.%3NZ)
ok "an intact report with seq 2" wb 1 device submit $ITEM --device-key "$SEAL" --seal-state intact --at "$at" --seq 2
refused "the same report replayed" device_seq_fresh "not newer than its last one" \
    wb 1 device submit $ITEM --device-key "$SEAL" --seal-state intact --at "$at" --seq 2 --new
ok "the same observation again without --seq: nothing sent, exit 0" \
    wb 1 device submit $ITEM --device-key "$SEAL" --seal-state intact --at "$at"
check "... and it says so" grep -q "on item $ITEM's chain already; nothing sent" "$err"

refused "a movement signed by a device key" device_key_reports_only "is the key of device ES-0001" \
    "$WAYBILL" submit --item $ITEM --action load --at CNSHA --node "$(api_addr 0)" --key "$SEAL"
refused "a customs action signed by a device key" device_key_reports_only "signs only its own reports" \
    "$WAYBILL" submit --item $ITEM --action hold --node "$(api_addr 2)" --key "$TRACK"
"$WAYBILL" history $ITEM --node "$(api_addr 0)" --key "$SEAL" >"$T_DIR/out" 2>"$err"
rc=$?
check "a device key reads no history: exit 1" test $rc -eq 1
check "... and is told it may only submit" grep -q "device's key, which may only submit" "$err"

refused "a plan set by neither shipper nor custodian" plan_by_shipper_or_custodian \
    "'blue-ocean-lines' is neither the shipper" \
    wb 1 plan set $ITEM --corridor-km 300 \
    --stop "CNSHA 2026-12-01T00:00:00Z 2026-12-02T00:00:00Z sea" --stop "NLRTM 2027-01-05T00:00:00Z 2027-01-06T00:00:00Z"
ok "the shipper sets a plan" wb 0 plan set $ITEM --corridor-km 300 \
    --stop "CNSHA 2026-12-01T00:00:00Z 2026-12-02T00:00:00Z sea" --stop "NLRTM 2027-01-05T00:00:00Z 2027-01-06T00:00:00Z"
ok "handover to the carrier" wb 0 submit --item $ITEM --action handover --to blue-ocean-lines
ok "receive" wb 1 submit --item $ITEM --action receive
ok "the custodian amends the plan (a stop at Singapore)" wb 1 plan set $ITEM --corridor-km 250 \
    --stop "CNSHA 2026-12-01T00:00:00Z 2026-12-02T00:00:00Z sea" \
    --stop "SGSIN 2026-12-08T00:00:00Z 2026-12-09T00:00:00Z sea" \
    --stop "NLRTM 2027-01-05T00:00:00Z 2027-01-06T00:00:00Z"
ok "plan show" wb 3 plan show $ITEM
check "plan show: the amended plan is in effect, version 2 of 2" grep -q "corridor 250 km, set by 'blue-ocean-lines'.*version 2 of 2" "$T_DIR/out"
check "plan show: Singapore by name" grep -Eq "^2 +SGSIN +Singapore" "$T_DIR/out"
check "plan show: the first version listed" grep -q "1. height [0-9]*, .*by 'acme-shipping': 2 stops CNSHA -> NLRTM, corridor 300 km" "$T_DIR/out"
ok "plan show --json" wb 3 plan show $ITEM --json
check "plan show --json: two versions" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["versions"]) == 2, d
assert d["current"]["corridor_km"] == 250 and d["current"]["set_by"] == "blue-ocean-lines"
assert [s["locode"] for s in d["current"]["stops"]] == ["CNSHA", "SGSIN", "NLRTM"]
assert d["current"]["stops"][-1]["leg_mode"] is None' "$T_DIR/out"

ok "the custodian detaches the tracker" wb 1 device detach $ITEM --device "$TRACK"
refused "a detached device's report" device_attached "not attached" \
    wb 1 device submit $ITEM --device-key "$TRACK" --measure temperature --value 5
ok "acme retires the e-seal" wb 0 device retire "$SEAL"
check "retire says retired at height" grep -q "retired at height [0-9]*: retired at height" "$T_DIR/out"
refused "a retired device's report" device_active "retired" \
    wb 1 device submit $ITEM --device-key "$SEAL" --seal-state intact

# ---- the bundle: registry, attachments and plans, offline -------------------------
B="$T_DIR/bundle.pb"
ok "proof writes the bundle" wb 2 proof $ITEM --out "$B"
offline() { "$WAYBILL" verify --bundle "$1" --genesis "$WAYBILL_GENESIS"; }
ok "the bundle verifies offline against genesis alone" offline "$B"
check "... with the governance chain in it" grep -q "^governance: [0-9]* events from genesis" "$T_DIR/out"

# the events of the item, in bundle order, and of the governance section
json=$("$WAYBILL" verify --bundle "$B" --genesis "$WAYBILL_GENESIS" --json 2>/dev/null)
idx() { python3 -c '
import json, sys
d = json.loads(sys.argv[1])
print([i for i, e in enumerate(d["events"]) if e["action"] == sys.argv[2]][int(sys.argv[3])])' "$json" "$1" "$2"; }
ATTACH=$(idx device_attach 0)
PLAN=$(idx plan_set 1)
REPORT=$(idx seal_status 0)
t_log "  bundle: attach is event $ATTACH, the amended plan $PLAN, the first seal report $REPORT"

# altered NAME MODE PATTERN: the mutated bundle fails offline (exit 1), saying PATTERN
altered() {
    local out rc
    "$PROBE" mutate "$2" "$B" "$T_DIR/$2.pb" 2>"$err" || { check "$1: probe mutate $2" false; return; }
    out=$(offline "$T_DIR/$2.pb" 2>&1)
    rc=$?
    t_log "  $1 -> exit $rc: $(grep -m1 FAILED <<<"$out" | head -c 300)"
    check "$1: fails (exit 1)" test $rc -eq 1
    check "$1: says '$3'" grep -Eq "$3" <<<"$out"
}
altered "an attachment altered" "alter-event-$ATTACH" "FAILED: event $ATTACH .*(signature|decode)"
altered "an attachment dropped" "remove-event-$ATTACH" "FAILED: event $ATTACH .*prev"
altered "the amended plan altered" "alter-event-$PLAN" "FAILED: event $PLAN .*(signature|decode)"
altered "a device report altered" "alter-event-$REPORT" "FAILED: event $REPORT .*(signature|decode)"
# governance event 0 is the e-seal's device_register (the first governance event)
altered "the registry's e-seal registration altered" gov-alter-event-0 "FAILED.*governance"
altered "the registry's e-seal registration dropped" gov-remove-event-0 "FAILED.*governance"
altered "the registry left out" gov-strip "FAILED: event $ATTACH .*(rule device_registered)"
finish
