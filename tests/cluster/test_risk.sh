#!/usr/bin/env bash
# Risk flags end to end (docs/risk.md): `waybill risk` on every node and
# offline from a saved bundle gives the same flags and score, except the
# ledger-wide flags, which offline are listed as not evaluable; the same
# policy hash everywhere, and another policy file gives another hash and
# score. The demo journey raises no flag but NEW_PARTY (every party of a
# new testnet is new); two items sealed with one seal number raise
# SEAL_REUSE online; `waybill verify` carries the same risk section.
cd "$(dirname "$0")/../.." || exit 2
. tests/cluster/lib.sh

testnet_create 4 || { T_FAIL=1; finish; }
for i in 0 1 2 3; do node_start "$i"; done
check "four nodes answer status" wait_for 60 nodes_up

# journey ITEM SEAL: Rotterdam to Hamburg over the last day, paced as a
# feeder sails (410 km in 18 h) and recorded within a day of each event, so
# that nothing but the parties' newness and the shared seal is to flag.
journey() { # ITEM SEAL
    local item=$1 seal=$2 s now ago
    now=$(date -u +%s)
    for s in "1380 0 --action commission --at NLRTM --attr goods=bicycle-parts" \
        "1370 0 --action seal --attr seal=$seal" \
        "1360 0 --action handover --to blue-ocean-lines" \
        "1350 1 --action receive" \
        "1300 1 --action load --at NLRTM --attr vessel=EVER-ACE" \
        "1200 1 --action depart --at NLRTM" \
        "120 1 --action arrive --at DEHAM" \
        "110 1 --action unload --at DEHAM" \
        "100 2 --action inspect --attr result=ok" \
        "90 2 --action clear --attr declaration=DE-2026-1" \
        "80 1 --action handover --to nordic-retail" \
        "70 3 --action receive" \
        "60 3 --action deliver --at DEHAM"; do
        ago=${s%% *}
        s=${s#* }
        wb ${s%% *} submit --item "$item" ${s#* } --time "$(date -u -d "@$((now - ago * 60))" +%FT%TZ)" \
            >/dev/null 2>"$T_DIR/err" ||
            { t_log "  $item: ${s#* } failed: $(head -1 "$T_DIR/err")"; return 1; }
    done
}
A=MSCU1234566
B=CSQU3054383
check "the demo journey" journey $A SL-2026-0042
check "another item sealed with the same seal number" journey $B SL-2026-0042

# codes ITEM NODE [ARGS]: the flag codes of `waybill risk --json`, sorted, one line
codes() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(" ".join(sorted(f["code"] for f in d["flags"])))'; }
field() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(d[sys.argv[1]])' "$1"; }

for i in 0 1 2 3; do
    wb $i risk $A --json >"$T_DIR/risk.$i.json" 2>"$T_DIR/err" || t_log "  node$i: $(head -1 "$T_DIR/err")"
done
check "risk --json answers on every node" bash -c 'for i in 0 1 2 3; do [ -s "$1/risk.$i.json" ] || exit 1; done' _ "$T_DIR"
online=$(codes <"$T_DIR/risk.0.json")
t_log "  online flags of $A: $online"
check "the demo journey raises NEW_PARTY for the shipper, the carrier and the consignee (customs never completes chains), and SEAL_REUSE: $B shares its seal" \
    test "$online" = "NEW_PARTY NEW_PARTY NEW_PARTY SEAL_REUSE"
check "every node gives the same report" bash -c '
    for i in 1 2 3; do
        python3 - "$1/risk.0.json" "$1/risk.$i.json" <<"EOF" || exit 1
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for d in (a, b):
    d.pop("as_of", None)
assert a == b, (a, b)
EOF
    done' _ "$T_DIR"
hash=$(field policy_hash <"$T_DIR/risk.0.json")
check "the report names the default policy's hash" test ${#hash} -eq 64

wb 2 proof $A --out "$T_DIR/a.pb" >/dev/null
"$WAYBILL" risk --bundle "$T_DIR/a.pb" --genesis "$WAYBILL_GENESIS" --json >"$T_DIR/off.json" 2>"$T_DIR/err"
check "offline from the bundle: exit 0" test $? -eq 0
check "offline and online agree except the ledger-wide flags" python3 - "$T_DIR/risk.0.json" "$T_DIR/off.json" <<'EOF'
import json, sys
on, off = (json.load(open(p)) for p in sys.argv[1:3])
wide = {"CLONED_ID", "SEAL_REUSE", "NEW_PARTY"}
assert on["policy_hash"] == off["policy_hash"]
assert on["ledger_wide"] is True and off["ledger_wide"] is False
strip = lambda d: sorted(json.dumps(f, sort_keys=True) for f in d["flags"] if f["code"] not in wide)
assert strip(on) == strip(off), (strip(on), strip(off))
assert not any(f["code"] in wide for f in off["flags"])
ne = {n["code"] for n in off["not_evaluable"]}
assert wide <= ne, ne
assert all(n["why"] for n in off["not_evaluable"])
EOF

out=$(wb 1 risk $B 2>&1)
check "SEAL_REUSE names the other item" grep -q "^SEAL_REUSE (high): .*$A" <<<"$out"
check "the text report names the policy's hash" grep -q "; policy $hash$" <<<"$out"

# another policy: every flag weighs 7
python3 - >"$T_DIR/policy.json" <<'EOF'
import json
codes = ["SEAL_MISMATCH", "SEAL_TAMPER", "UNSEALED_MOVE", "CUSTODY_GAP", "SILENT_PERIOD",
         "IMPOSSIBLE_TRAVEL", "ROUTE_DEVIATION", "EXCESS_TRANSSHIPMENT", "ABNORMAL_DWELL",
         "LATE_OR_BACKDATED", "CUSTOMS_BYPASS", "SENSOR_EXCURSION", "HIGH_RISK_ROUTING",
         "CLONED_ID", "SEAL_REUSE", "NEW_PARTY"]
print(json.dumps({"version": 1, "weights": {c: 7 for c in codes}}))
EOF
wb 0 risk $A --json --policy "$T_DIR/policy.json" >"$T_DIR/p7.json" 2>"$T_DIR/err"
check "another policy: another hash, each flag weighs 7" python3 - "$T_DIR/risk.0.json" "$T_DIR/p7.json" <<'EOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a["policy_hash"] != b["policy_hash"]
assert b["score"] == 7 * (len(b["flags"]) + b["flags_dropped"]), b
EOF
echo '{"weights": {"NO_SUCH_FLAG": 1}}' >"$T_DIR/bad.json"
wb 0 risk $A --policy "$T_DIR/bad.json" >/dev/null 2>"$T_DIR/err"
check "a bad policy file: exit 1, naming the member" bash -c '[ $1 -eq 1 ] && grep -q "NO_SUCH_FLAG" "$2"' _ $? "$T_DIR/err"

out=$(wb 3 verify $A 2>&1)
check "verify: VERIFIED with a risk section" bash -c 'grep -q "^VERIFIED: " <<<"$1" && grep -q "^Risk: score " <<<"$1"' _ "$out"
json=$(wb 3 verify $A --json 2>/dev/null)
check "verify --json: the same flags as risk --json" python3 - "$T_DIR/risk.0.json" "$json" <<'EOF'
import json, sys
a = json.load(open(sys.argv[1]))
v = json.loads(sys.argv[2])
assert v["verified"] is True
assert sorted(f["code"] for f in v["risk"]["flags"]) == sorted(f["code"] for f in a["flags"])
assert v["risk"]["policy_hash"] == a["policy_hash"]
EOF
finish
