#!/usr/bin/env bash
# All four original validators replaced one by one, by governance: for each,
# a new validator is proposed and approved, its node started with the
# original genesis (it syncs and joins), then the old one is removed and
# stopped. Proof bundles saved before and after verify offline against the
# original genesis file alone, and fail against a genesis of the same chain
# name with other keys.
cd "$(dirname "$0")/../.." || exit 2
. tests/cluster/lib.sh

testnet_create 8 --genesis-nodes 4 --heartbeat-ms 500 || { T_FAIL=1; finish; }
GENESIS=$WAYBILL_GENESIS
ORGS=(acme-shipping blue-ocean-lines rotterdam-customs nordic-retail)
# The new validators node4..node7 belong to the organisations of node0..3:
# node I's client is organisation I mod 4's.
client_key() { echo "$T_DIR/net/node$(($1 % 4))/client.key"; }
# Nodes not running are skipped by all_at_least.
T_N=8
for i in 0 1 2 3; do node_start "$i"; done
first_four_up() { local i; for i in 0 1 2 3; do [ -n "$(node_height "$i")" ] || return 1; done; }
check "four nodes answer status" wait_for 60 first_four_up

# as ORG_INDEX NODE ARGS...: the CLI through NODE's API with organisation
# ORG_INDEX's client key.
as() { local o=$1 n=$2; shift 2; "$WAYBILL" "$@" --node "$(api_addr "$n")" --key "$(client_key "$o")"; }
json_get() { python3 -c '
import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1:]: v=v[k]
print(v)' "$@"; }

ITEM1=MSCU1234566
check "item 1 commissioned under the original validators" \
    as 0 0 submit --item $ITEM1 --action commission --at CNSHA
check "item 1 sealed" as 0 0 submit --item $ITEM1 --action seal --attr seal=SL-1
check "the bundle before is saved" as 1 1 proof $ITEM1 --out "$T_DIR/before.pb"

# pass NODE ORG ARGS...: proposes through NODE as ORG, approves as the two
# next organisations, and prints the height it executed at.
pass() {
    local n=$1 o=$2 id k
    shift 2
    id=$(as "$o" "$n" gov propose "$@" --json | json_get proposal id) || return 1
    for k in 1 2; do as $(((o + k) % 4)) "$n" gov approve "$id" >/dev/null || return 1; done
    as "$o" "$n" gov show "$id" --json | json_get executed_height
}

for k in 0 1 2 3; do
    new=$((4 + k))
    live=$(((k + 1) % 4 + (k == 3 ? 4 : 0)))   # a node that stays up this round
    key=$("$WAYBILL" keygen --out "$T_DIR/net/node$new/node.key" --force)
    h=$(pass "$live" "$k" add-validator --name "node$new" --org "${ORGS[$k]}" \
        --validator-key "$key" --p2p "$T_HOST:$((T_BASE + new))" --api "$(api_addr "$new")")
    check "round $k: node$new is added (executed at height ${h:-?})" test -n "$h"
    node_start "$new"
    check "round $k: node$new syncs past the change" wait_for 120 all_at_least $((h + 3))
    h=$(pass "$live" "$k" remove-validator --name "node$k")
    check "round $k: node$k is removed (executed at height ${h:-?})" test -n "$h"
    check "round $k: the network passes the removal" wait_for 60 all_at_least $((h + 3))
    node_kill "$k" TERM
    out=$(as 2 "$new" submit --item $ITEM1 --action inspect --attr result=ok 2>&1)
    rc=$?
    [ $rc -eq 0 ] || t_log "  exit $rc: $out"
    check "round $k: customs inspects item 1 without node$k, through node$new" test $rc -eq 0
done

# signers_of NODE: the signer names of NODE's latest block's certificate.
signers_of() { as 0 "$1" block latest --json | python3 -c '
import json,sys; b=json.load(sys.stdin); print(" ".join(sorted(s["name"] for s in b["certificate"]["signers"])))'; }
s=$(signers_of 4)
t_log "  latest certificate signed by: $s"
check "the latest certificate is signed by new validators only" \
    bash -c '[ -n "$1" ] && ! grep -Eqw "node[0-3]" <<<"$1"' _ "$s"
check "status shows the four new validators" bash -c \
    "\"$WAYBILL\" status --node $(api_addr 5) --key $(client_key 1) | grep -E '^validators +4 from height' | grep -q 'node4.*node5.*node6.*node7'"

ITEM2=MSKU1234565
check "item 2 commissioned under the new validators" \
    as 0 4 submit --item $ITEM2 --action commission --at NLRTM
check "the bundle of item 1 after is saved" as 1 5 proof $ITEM1 --out "$T_DIR/after1.pb"
check "the bundle of item 2 is saved" as 1 6 proof $ITEM2 --out "$T_DIR/after2.pb"

offline() { "$WAYBILL" verify --bundle "$1" --genesis "$2"; }
for b in before after1 after2; do
    out=$(offline "$T_DIR/$b.pb" "$GENESIS" 2>&1)
    rc=$?
    t_log "  $b: exit $rc: $(grep -E '^(VERIFIED|FAILED)|^governance' <<<"$out" | tr '\n' ' ')"
    check "the bundle $b verifies offline against the original genesis" test $rc -eq 0
done
check "after1's governance section follows every hand-off" \
    grep -q "^governance: [0-9]* events from genesis" <<<"$(offline "$T_DIR/after1.pb" "$GENESIS")"

# A genesis of the same chain name with other keys.
"$WAYBILL" testnet --nodes 4 --dir "$T_DIR/other" --chain "$(json_get chain_id <"$GENESIS")" \
    --base-port "$T_BASE" >/dev/null 2>&1 || T_FAIL=$((T_FAIL + 1))
for b in before after1 after2; do
    out=$(offline "$T_DIR/$b.pb" "$T_DIR/other/genesis.json" 2>&1)
    rc=$?
    t_log "  $b against other keys: exit $rc: $(grep -E '^(VERIFIED|FAILED)' <<<"$out" | head -1)"
    check "the bundle $b fails against a genesis with other keys" test $rc -eq 1
done
# The same members, other validator keys: the certificates are what fails.
python3 - "$GENESIS" "$T_DIR/other/genesis.json" "$T_DIR/otherval.json" <<'PY'
import json, sys
g = json.load(open(sys.argv[1])); o = json.load(open(sys.argv[2]))
for v, w in zip(g["validators"], o["validators"]): v["key"] = w["key"]
json.dump(g, open(sys.argv[3], "w"), indent=2)
PY
for b in before after1; do
    out=$(offline "$T_DIR/$b.pb" "$T_DIR/otherval.json" 2>&1)
    rc=$?
    t_log "  $b against other validator keys: exit $rc: $(grep -E '^FAILED' <<<"$out" | head -1)"
    check "the bundle $b fails against other validator keys, at a certificate" \
        bash -c '[ "$1" -eq 1 ] && grep -q "certificate" <<<"$2"' _ "$rc" "$out"
done

# new_agree H: node5..7 hold node4's block hash at every height 1..H.
new_agree() {
    local i
    node_hashes 4 1 "$1" >"$T_DIR/hashes.4" || return 1
    for i in 5 6 7; do
        node_hashes "$i" 1 "$1" >"$T_DIR/hashes.$i" && cmp -s "$T_DIR/hashes.4" "$T_DIR/hashes.$i" ||
            { t_log "node$i differs from node4"; return 1; }
    done
}
top=$(node_height 4)
check "the new validators agree on every block from height 1" new_agree "$top"
finish
