#!/usr/bin/env bash
# An e-seal's journey end to end: the shipper registers its e-seal and arms
# it at stuffing, the carrier takes the container over, the seal reports
# intact en route, and after the unload it reports opened with no unseal in
# the chain. The ledger takes the report (evidence, never a gate), and
# `waybill verify` (online and offline from the bundle) shows the TAMPER
# finding with the custodian at that time (the carrier) and the device's
# owner (the shipper), exit 0: the chain verified, the evidence is what it
# shows. The same journey with customs' unseal before the opening shows no
# finding. `history` shows the same evidence as the node's word.
cd "$(dirname "$0")/../.." || exit 2
. tests/cluster/lib.sh

testnet_create 4 || { T_FAIL=1; finish; }
for i in 0 1 2 3; do node_start "$i"; done
check "four nodes answer status" wait_for 60 nodes_up

SEAL="$T_DIR/seal.key"
SEAL2="$T_DIR/seal2.key"
"$WAYBILL" keygen --out "$SEAL" >/dev/null
"$WAYBILL" keygen --out "$SEAL2" >/dev/null
err="$T_DIR/err"
step() { # NAME CMD...
    local name=$1
    shift
    if ! "$@" >"$T_DIR/out" 2>"$err"; then
        t_log "  $name failed: $(tr '\n' ' ' <"$err" | head -c 300)"
        check "$name" false
        return 1
    fi
}
obs() { # NODE ITEM KEY STATE [SEAL]: one seal_status report, observed now
    local extra=()
    [ $# -ge 5 ] && extra=(--seal "$5")
    step "seal $4 on $2" wb "$1" device submit "$2" --device-key "$3" --seal-state "$4" "${extra[@]}"
}

journey() { # ITEM SEALKEY SEALNO UNSEAL(yes|no)
    local item=$1 key=$2 no=$3 unseal=$4
    step "$item: commission" wb 0 submit --item "$item" --action commission --at CNSHA || return 1
    step "$item: attach the e-seal" wb 0 device attach "$item" --device "$key" || return 1
    step "$item: seal" wb 0 submit --item "$item" --action seal --attr seal="$no" || return 1
    obs 0 "$item" "$key" armed "$no" || return 1
    step "$item: handover" wb 0 submit --item "$item" --action handover --to blue-ocean-lines || return 1
    step "$item: receive" wb 1 submit --item "$item" --action receive || return 1
    step "$item: load" wb 1 submit --item "$item" --action load --at CNSHA --attr vessel=EVER-ACE || return 1
    step "$item: depart" wb 1 submit --item "$item" --action depart --at CNSHA || return 1
    obs 1 "$item" "$key" intact || return 1
    obs 3 "$item" "$key" intact || return 1
    step "$item: arrive" wb 1 submit --item "$item" --action arrive --at NLRTM || return 1
    step "$item: unload" wb 1 submit --item "$item" --action unload --at NLRTM || return 1
    if [ "$unseal" = yes ]; then
        step "$item: customs unseals" wb 2 submit --item "$item" --action unseal --attr seal="$no" || return 1
    fi
    obs 1 "$item" "$key" opened
}

ITEM=CSQU3054383
step "acme registers the e-seal" wb 0 device register --device "$SEAL" --kind eseal --serial ES-0001 --seal CSQU-S-0042
journey $ITEM "$SEAL" CSQU-S-0042 no
check "the journey with the opened seal is on the ledger" test "$(item_count 0 $ITEM)" -ge 13

tamper_line() { grep -Eq "^TAMPER: seal CSQU-S-0042 reported opened at .* while in the custody of 'blue-ocean-lines' .*device ES-0001 \(eseal\) owned by 'acme-shipping'" <<<"$1"; }
out=$(wb 2 verify $ITEM 2>&1)
rc=$?
check "verify: exit 0 (the chain is sound; the finding is evidence)" test $rc -eq 0
check "verify: VERIFIED" grep -q "^VERIFIED: " <<<"$out"
check "verify: one finding" grep -q "^Findings: 1$" <<<"$out"
check "verify: TAMPER names the seal, the custodian then and the owner" tamper_line "$out"
t_log "  $(grep -m1 '^TAMPER' <<<"$out")"
check "verify: the seal's observations, with the custodian of each" \
    bash -c 'grep -Eq "ES-0001 +CSQU-S-0042 +armed +acme-shipping +acme-shipping" <<<"$1" &&
             grep -Eq "ES-0001 +- +intact +blue-ocean-lines +acme-shipping" <<<"$1"' _ "$out"

json=$(wb 3 verify $ITEM --json 2>/dev/null)
check "verify --json: the finding with its parts" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["verified"] is True, d.get("failure")
f = d["evidence"]["findings"]
assert len(f) == 1, f
f = f[0]
flat = json.dumps(f)
for want in ("TAMPER", "opened", "blue-ocean-lines", "acme-shipping", "CSQU-S-0042"):
    assert want in flat, (want, f)
obs = [o for o in d["evidence"]["observations"] if o.get("kind") == "seal_status" or "seal" in json.dumps(o)]
assert len(obs) >= 4, d["evidence"]["observations"]' "$json"

B="$T_DIR/tamper.pb"
check "proof saves the bundle" wb 1 proof $ITEM --out "$B"
out=$("$WAYBILL" verify --bundle "$B" --genesis "$WAYBILL_GENESIS" 2>&1)
check "offline, from genesis alone: exit 0 and the same TAMPER" \
    bash -c '[ $1 -eq 0 ] && grep -Eq "^TAMPER: seal CSQU-S-0042 .*blue-ocean-lines.*owned by '"'"'acme-shipping'"'"'" <<<"$2"' _ $? "$out"

out=$(wb 0 history $ITEM 2>&1)
check "history shows the finding too" tamper_line "$out"

# The same journey, with customs' unseal before the opening: no finding.
OK_ITEM=MSCU1234566
step "acme registers a second e-seal" wb 0 device register --device "$SEAL2" --kind eseal --serial ES-0002 --seal MSCU-S-0007
journey $OK_ITEM "$SEAL2" MSCU-S-0007 yes
out=$(wb 2 verify $OK_ITEM 2>&1)
rc=$?
check "with the unseal: verify exit 0" test $rc -eq 0
check "with the unseal: Findings: none" grep -q "^Findings: none" <<<"$out"
check "with the unseal: no TAMPER line" bash -c '! grep -q "^TAMPER" <<<"$1"' _ "$out"
finish
