#!/usr/bin/env bash
# Governance on a running network (docs/operating.md, section 5): a fifth
# organisation is proposed and approved by a quorum of members (a proposal
# short of its approvals does not execute, a second approval by one
# organisation does not count), its node is started with the original
# genesis, syncs, votes (certificates carry its signature) and its members
# submit; then its validator is removed and the network keeps committing
# with four; its organisation is removed and its keys are refused. A stolen
# client key is revoked as compromised since T: what it signs later is
# refused with the reason, `verify` marks its events dated after T and
# passes those before T plainly. An expired proposal cannot be approved.
cd "$(dirname "$0")/../.." || exit 2
. tests/cluster/lib.sh

TTL_MS=20000
testnet_create 5 --genesis-nodes 4 --heartbeat-ms 500 --proposal-ttl-ms $TTL_MS ||
    { T_FAIL=1; finish; }
T_N=4 # node4 runs later
C4KEY=$T_DIR/net/node4/client.key
# Reads of node4 (status, history) use acme's key: node4 accepts the
# newcomer's own key only once it has synced the change that added it.
client_key() { echo "$T_DIR/net/node$(($1 == 4 ? 0 : $1))/client.key"; }
for i in 0 1 2 3; do node_start "$i"; done
check "four nodes answer status" wait_for 60 nodes_up

# The fifth organisation's keys: written by testnet, written again here to
# learn their public keys (keygen prints them).
C4=$("$WAYBILL" keygen --out "$C4KEY" --force) || T_FAIL=$((T_FAIL + 1))
N4=$("$WAYBILL" keygen --out "$T_DIR/net/node4/node.key" --force) || T_FAIL=$((T_FAIL + 1))

# gov I ARGS...: `waybill gov ARGS` through node I with org I's key.
gov() { wb "$1" gov "${@:2}"; }
# json_get FIELD...: the value at FIELD (then its FIELD...) of the JSON on stdin.
json_get() { python3 -c '
import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1:]: v=v[k]
print(v)' "$@"; }
# propose I ARGS...: proposes through node I; prints the proposal id.
propose() { gov "$1" propose "${@:2}" --json | json_get proposal id; }
# proposal_status I ID: status of proposal ID as node I's ledger says.
proposal_status() { gov "$1" show "$2" --json 2>/dev/null | json_get status; }
status_is() { [ "$(proposal_status "$1" "$2")" = "$3" ]; }

# An expiring proposal first: it is approved only after its lifetime.
EXP=$(propose 0 set-param --param heartbeat_ms --value 1000)
check "a parameter change is proposed" test -n "$EXP"

# ---- a fifth organisation -----------------------------------------------
ADD=$(propose 0 add-member --org rhine-barge --role carrier --member-key "$C4" \
    --note "onboarding the barge operator")
check "add-member is proposed" test -n "$ADD"
check "it is pending with 1 approval" status_is 0 "$ADD" pending
out=$(gov 1 approve "${ADD:0:12}" 2>&1)
check "a second organisation approves (by id prefix)" test $? -eq 0
check "2 of 3 approvals: still pending" status_is 2 "$ADD" pending
out=$(gov 1 approve "$ADD" 2>&1)
rc=$?
t_log "  second approval by blue-ocean-lines: exit $rc: $(tail -1 <<<"$out")"
check "a second approval by the same organisation is refused" test $rc -ne 0
check "... saying it approved already" grep -q "already approved" <<<"$out"
check "... and the proposal is still pending" status_is 0 "$ADD" pending
out=$("$WAYBILL" submit --item MSCU1234566 --action commission --at CNSHA \
    --node "$(api_addr 0)" --key "$C4KEY" 2>&1)
check "before execution the newcomer's key is not a member's" test $? -ne 0
check "the third approval executes it" gov 2 approve "$ADD"
check "it is executed" status_is 3 "$ADD" executed

VAL=$(propose 0 add-validator --name node4 --org rhine-barge --validator-key "$N4" \
    --p2p "$T_HOST:$((T_BASE + 4))" --api "$(api_addr 4)")
check "add-validator is proposed" test -n "$VAL"
# Five voting organisations now: 4 approvals (2/3 of 5 rounded up).
check "approval 2 of 4" gov 1 approve "$VAL"
check "approval 3 of 4" gov 2 approve "$VAL"
check "3 of 4: pending" status_is 0 "$VAL" pending
# as_newcomer ARGS...: the CLI through node0 with the newcomer's client key.
as_newcomer() { "$WAYBILL" "$@" --node "$(api_addr 0)" --key "$C4KEY"; }
check "approval 4 of 4 by the newcomer itself" as_newcomer gov approve "$VAL"
check "it is executed" status_is 0 "$VAL" executed
EXEC_H=$(gov 0 show "$VAL" --json | json_get executed_height)
t_log "  add-validator executed at height $EXEC_H: node4 signs from $((EXEC_H + 2))"

node_start 4
T_N=5
check "node4 starts and answers" wait_for 60 nodes_up
check "node4 logged that it follows until it is in the set" \
    wait_for 30 grep -q "not a validator of this chain as of height" "$T_DIR/node4.log"
check "node4 syncs past the change" wait_for 120 all_at_least $((EXEC_H + 3))
# signers H: the validator indices whose precommits certify block H (node0).
signers() { wb 0 block "$1" --json 2>/dev/null | python3 -c '
import json,sys; b=json.load(sys.stdin); print(" ".join(str(v["validator"]) for v in b["certificate"]["signers"]))'; }
# signed_by_node4_after H: a certificate of a block above H carries index 4.
signed_by_node4_after() {
    local top h
    top=$(node_height 0)
    for ((h = $1 + 1; h <= top; h++)); do
        grep -qw 4 <<<"$(signers "$h")" && return 0
    done
    return 1
}
check "certificates carry node4's signature" wait_for 120 signed_by_node4_after $((EXEC_H + 2))
check "status shows five validators" wait_for 30 bash -c \
    "\"$WAYBILL\" status --node $(api_addr 0) --key $(client_key 0) | grep -Eq '^validators +5 from height'"

ITEM=MSCU1234566
check "acme commissions" submit 0 $ITEM commission --at CNSHA
check "acme hands over to the newcomer" submit 0 $ITEM handover --to rhine-barge
check "the newcomer's member receives, through its own node" \
    "$WAYBILL" submit --item $ITEM --action receive --node "$(api_addr 4)" --key "$C4KEY"
check "every node has the 3 events" wait_for 60 bash -c \
    "for i in 0 1 2 3 4; do [ \"\$(\"$WAYBILL\" history $ITEM --json --node 127.0.0.1:\$(( $T_BASE + 100 + i )) --key $(client_key 0) | grep -o '\"count\": *[0-9]*' | head -1 | grep -o '[0-9]*\$')\" = 3 ] || exit 1; done"

# ---- the validator removed: four go on --------------------------------------
RM=$(propose 0 remove-validator --name node4)
for i in 1 2 3; do gov "$i" approve "$RM" >/dev/null; done
check "remove-validator is executed" status_is 0 "$RM" executed
RM_H=$(gov 0 show "$RM" --json | json_get executed_height)
check "the network passes the removal height" wait_for 60 all_at_least $((RM_H + 3))
node_kill 4 TERM
T_N=4
check "with node4 stopped, an event commits" \
    as_newcomer submit --item $ITEM --action handover --to acme-shipping
not_signed_by_4() { local s; s=$(signers "$1") && [ -n "$s" ] && ! grep -qw 4 <<<"$s"; }
H=$(node_height 0)
check "the newest certificate is signed by the four" not_signed_by_4 "$H"

RMO=$(propose 0 remove-member --org rhine-barge)
for i in 1 2 3; do gov "$i" approve "$RMO" >/dev/null; done
check "remove-member is executed" status_is 0 "$RMO" executed
out=$(as_newcomer submit --item $ITEM --action unseal --attr seal=none 2>&1)
rc=$?
t_log "  removed organisation's key: exit $rc: $(tail -1 <<<"$out")"
check "a removed organisation's key is refused" test $rc -ne 0
check "... naming the removal" grep -q "removed" <<<"$out"

# ---- a stolen client key ----------------------------------------------------
SPARE=$T_DIR/spare.key
SPARE_PK=$("$WAYBILL" keygen --out "$SPARE") || T_FAIL=$((T_FAIL + 1))
check "acme adds a spare key (no vote)" wb 0 key add --new-key "$SPARE"
STOLEN_PK=$(python3 -c 'import json,sys; g=json.load(open(sys.argv[1])); print(g["members"][0]["keys"][0])' "$WAYBILL_GENESIS")
ITEM2=MSKU1234565
check "event 1 signed before T" submit 0 $ITEM2 commission --at NLRTM
T=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
# Event times are the signer's clock: wait until it is past T.
sleep_past_t() { [ "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" \> "$T" ]; }
wait_for 5 sleep_past_t
check "event 2 signed after T" submit 0 $ITEM2 seal --attr seal=SL-9
check "event 3 signed after T" submit 0 $ITEM2 load --at NLRTM
check "the stolen key is revoked as compromised since T, with the spare key" \
    "$WAYBILL" key revoke "$STOLEN_PK" --reason compromised --since "$T" \
    --node "$(api_addr 0)" --key "$SPARE"
out=$(wb 0 submit --item $ITEM2 --action depart --at NLRTM 2>&1)
rc=$?
t_log "  stolen key after revocation: exit $rc: $(tail -1 <<<"$out")"
check "its later event is refused" test $rc -ne 0
check "... with the reason" grep -q "revoked as compromised" <<<"$out"
out=$("$WAYBILL" verify $ITEM2 --node "$(api_addr 1)" --key "$(client_key 1)" 2>&1)
rc=$?
t_log "  verify: exit $rc:"
sed 's/^/      /' <<<"$out"
check "the chain still verifies" test $rc -eq 0
check "events after T are marked (2 of them)" \
    test "$(grep -c "MARKED: signed .* since when its key is not trusted (revoked as compromised" <<<"$out")" = 2
check "the verdict counts them" grep -q "^VERIFIED: 3 events.*2 marked" <<<"$out"
# first_row: the first event's row of the table (index 0: the commission).
first_row() { grep -E '^ *0 +[0-9]+:[0-9]+ ' <<<"$out"; }
check "the event before T verifies plainly (ok, no mark)" \
    bash -c '[[ "$1" =~ " ok"$ ]]' _ "$(first_row)"
check "key list shows the revocation" bash -c \
    "\"$WAYBILL\" key list --node $(api_addr 0) --key $SPARE | grep '${STOLEN_PK:0:16}' | grep -q compromised"

# ---- the expired proposal ---------------------------------------------------------
# (org 0's genesis key is revoked by now: ask as org 1)
past_ttl() { local h; h=$(gov 1 show "$EXP" --json | json_get status) && [ "$h" = expired ]; }
check "the parameter proposal expires after ${TTL_MS} ms" wait_for 60 past_ttl
out=$(gov 1 approve "$EXP" 2>&1)
rc=$?
check "an expired proposal cannot be approved" test $rc -ne 0
check "... saying it expired" grep -q "expired" <<<"$out"

H=$(node_height 0)
check "every running node agrees on every block" same_hashes_upto "$H"
finish
