#!/usr/bin/env bash
# verify with governance (docs/formats.md, "Governance section"): once the
# governance chain has events, the node's proof bundle carries the
# governance chain's own bundle and its freshness proof; `waybill verify`,
# through a node and offline from the original genesis file, replays it
# ("governance: N events from genesis, complete as of height H"), marks an
# event signed after a compromised key's `since` and before its revocation,
# and the governance chain verifies as an item of its own.
cd "$(dirname "$0")/../.." || exit 2
. tests/cluster/lib.sh
testnet_create 4 --heartbeat-ms 500 || { T_FAIL=1; finish; }
for i in 0 1 2 3; do node_start "$i"; done
check "four nodes answer status" wait_for 60 nodes_up
ITEM=MSCU1234566
check "commission before T" submit 0 $ITEM commission --at CNSHA
SPARE=$T_DIR/spare.key
"$WAYBILL" keygen --out "$SPARE" >/dev/null
check "key add" wb 0 key add --new-key "$SPARE"
STOLEN_PK=$(python3 -c 'import json,sys; g=json.load(open(sys.argv[1])); print(g["members"][0]["keys"][0])' "$WAYBILL_GENESIS")
T=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
# Event times are the signer's clock: wait until it is past T.
sleep_past_t() { [ "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" \> "$T" ]; }
wait_for 5 sleep_past_t
check "seal after T" submit 0 $ITEM seal --attr seal=SL-9
check "revoke compromised" "$WAYBILL" key revoke "$STOLEN_PK" --reason compromised --since "$T" --node "$(api_addr 0)" --key "$SPARE"
out=$(wb 1 verify $ITEM 2>&1); rc=$?
t_log "$out"
check "verify passes" test $rc -eq 0
check "governance line complete" grep -Eq "^governance: 2 events from genesis, complete as of height" <<<"$out"
check "one marked" grep -q "1 marked" <<<"$out"
check "the seal's row is marked" bash -c "grep -E '^1 ' <<<\"\$1\" | grep -q 'MARKED: signed .* since when its key is not trusted (revoked as compromised'" _ "$out"
check "the commission's row is plain" bash -c "grep -E '^0 ' <<<\"\$1\" | grep -vq MARKED" _ "$out"
out=$(wb 1 verify $ITEM --json 2>&1)
check "--json counts the mark and the governance events" python3 -c '
import json,sys; r=json.loads(sys.argv[1]); g=r["governance"]
assert r["events_marked"] == 1 and g["present"] and g["events"] == 2 and g["complete"], r
assert r["events"][0]["mark"] is None and "compromised" in r["events"][1]["mark"]' "$out"
out=$(wb 0 submit --item $ITEM --action load --at CNSHA 2>&1)
check "the revoked key is refused" test $? -ne 0
wb 1 proof $ITEM --out "$T_DIR/p.pb" >/dev/null
out=$("$WAYBILL" verify --bundle "$T_DIR/p.pb" --genesis "$WAYBILL_GENESIS" 2>&1); rc=$?
t_log "$out"
check "offline verify passes" test $rc -eq 0
check "offline one marked" grep -q "1 marked" <<<"$out"
out=$(wb 1 verify urn:waybill:governance 2>&1); rc=$?
t_log "$out"
check "the governance chain verifies as an item" test $rc -eq 0
check "... and its verdict names it" grep -Eq "^VERIFIED: [0-9]+ events, [0-9]+ blocks, the governance chain" <<<"$out"
finish
