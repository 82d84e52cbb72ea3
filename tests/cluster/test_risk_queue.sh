#!/usr/bin/env bash
# The officer's queue and organisation scores (docs/risk.md, "Scores"): on
# every node `waybill items --flagged` lists the flagged items highest
# score first, the same list everywhere; --min-score filters; `waybill risk
# --org blue-ocean-lines` gives numbers consistent with `waybill risk ITEM`
# of its items; after a restart a node gives the same answers once its
# rebuild of the score table finishes.
cd "$(dirname "$0")/../.." || exit 2
. tests/cluster/lib.sh

testnet_create 4 || { T_FAIL=1; finish; }
for i in 0 1 2 3; do node_start "$i"; done
check "four nodes answer status" wait_for 60 nodes_up

# steps ITEM "ORG ARGS"...: submits each step, stops at the first failure
steps() {
    local item=$1 s
    shift
    for s in "$@"; do
        wb ${s%% *} submit --item "$item" ${s#* } >/dev/null 2>"$T_DIR/err" ||
            { t_log "  $item: ${s#* } failed: $(head -1 "$T_DIR/err")"; return 1; }
    done
}
iso() { python3 -c 'import sys,datetime; print((datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=float(sys.argv[1]))).strftime("%Y-%m-%dT%H:%M:%SZ"))' "$1"; }

A=MSCU1234566 # the demo journey, sealed SL-Q-1
B=CSQU3054383 # sealed SL-Q-1 as well: SEAL_REUSE on both
C=urn:waybill:items:gap  # received 3 days after its handover: CUSTODY_GAP
D=urn:waybill:items:clean
check "a journey sealed SL-Q-1" steps $A "0 --action commission --at NLRTM" "0 --action seal --attr seal=SL-Q-1" \
    "0 --action handover --to blue-ocean-lines" "1 --action receive" "1 --action load --at NLRTM --attr vessel=EVER-ACE" \
    "1 --action depart --at NLRTM" "1 --action arrive --at DEHAM" "1 --action unload --at DEHAM" \
    "2 --action clear --attr declaration=DE-2026-1" "1 --action handover --to nordic-retail" "3 --action receive" \
    "3 --action deliver --at DEHAM"
check "another item sealed SL-Q-1" steps $B "0 --action commission --at NLRTM" "0 --action seal --attr seal=SL-Q-1" \
    "0 --action handover --to blue-ocean-lines" "1 --action receive"
check "an item received long after its handover (backdated)" steps $C \
    "0 --action commission --at NLRTM --time $(iso 80)" "0 --action seal --attr seal=SL-Q-2 --time $(iso 79)" \
    "0 --action handover --to blue-ocean-lines --time $(iso 78)" "1 --action receive"
check "a clean item" steps $D "0 --action commission --at NLRTM" "0 --action seal --attr seal=SL-Q-3" \
    "0 --action handover --to blue-ocean-lines" "1 --action receive"

# settled I: node I has judged every item as of its head
settled() {
    local h
    h=$(node_height "$1")
    [ -n "$h" ] || return 1
    wb "$1" items --flagged --json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if d["scores_pending"] == 0 and d["scores_height"] >= int(sys.argv[1]) else 1)' "$h"
}
all_settled() { local i; for i in 0 1 2 3; do settled $i || return 1; done; }
check "every node judges every item" wait_for 60 all_settled

queue() { wb "$1" items --flagged --json 2>"$T_DIR/err" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join("%s=%d" % (x["item"], x["score"]) for x in d["items"]))'; }
q0=$(queue 0)
t_log "  queue on node0: $q0"
same_queue() { local i; for i in 1 2 3; do [ "$(queue $i)" = "$1" ] || { t_log "  node$i: $(queue $i)"; return 1; }; done; }
check "the queue is the same on every node" same_queue "$q0"
check "the queue is highest first, then by item id, and holds the four items" python3 - "$q0" $A $B $C $D <<'EOF'
import sys
q = [(x.split("=")[0], int(x.split("=")[1])) for x in sys.argv[1].split()]
assert q == sorted(q, key=lambda p: (-p[1], p[0])), q
assert {p[0] for p in q} == set(sys.argv[2:]), q
EOF
risk_json() { wb "$1" risk "$2" --json; }
for it in $A $B $C $D; do risk_json 2 $it >"$T_DIR/r.$(echo $it | tr ':/' '__').json" 2>>"$T_DIR/err"; done
rf() { echo "$T_DIR/r.$(echo "$1" | tr ':/' '__').json"; }
check "each item's queue score is what waybill risk ITEM says" python3 - "$q0" "$(rf $A)" "$(rf $B)" "$(rf $C)" "$(rf $D)" <<'EOF'
import json, sys
q = dict((x.split("=")[0], int(x.split("=")[1])) for x in sys.argv[1].split())
for p in sys.argv[2:]:
    r = json.load(open(p))
    assert q[r["item"]] == r["score"], (r["item"], q[r["item"]], r["score"])
EOF
check "SEAL_REUSE on the two items sealed SL-Q-1, CUSTODY_GAP on the late receive, neither on the clean one" python3 - "$(rf $A)" "$(rf $B)" "$(rf $C)" "$(rf $D)" <<'EOF'
import json, sys
a, b, c, d = (set(f["code"] for f in json.load(open(p))["flags"]) for p in sys.argv[1:])
assert "SEAL_REUSE" in a and "SEAL_REUSE" in b, (a, b)
assert "CUSTODY_GAP" in c, c
assert not ({"SEAL_REUSE", "CUSTODY_GAP"} & d), d
EOF

min=$(wb 0 risk $D --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["score"] + 1)')
min_filters() {
    local out
    out=$(wb 1 items --min-score "$1" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert all(x["score"] >= int(sys.argv[1]) for x in d["items"]), d
print(" ".join(sorted(x["item"] for x in d["items"])))' "$1") || return 1
    [ "$out" = "$2" ] || { t_log "  got: $out"; return 1; }
}
check "--min-score $min leaves out the clean item and keeps the rest" min_filters "$min" \
    "$(printf '%s\n' $A $B $C | sort | tr '\n' ' ' | sed 's/ $//')"
out=$(wb 3 items --flagged)
check "items --flagged prints SCORE and FLAGS columns and the height the scores are as of" \
    bash -c 'grep -q "^SCORE  *ITEM  *FLAGS" <<<"$1" && grep -q "as of height [0-9]*, 0 items pending" <<<"$1"' _ "$out"

wb 0 risk --org blue-ocean-lines --json >"$T_DIR/org.json" 2>"$T_DIR/err"
check "risk --org answers" test -s "$T_DIR/org.json"
check "risk --org blue-ocean-lines agrees with waybill risk ITEM of its items" python3 - "$T_DIR/org.json" "$(rf $A)" "$(rf $B)" "$(rf $C)" "$(rf $D)" <<'EOF'
import json, sys
o = json.load(open(sys.argv[1]))
weight = {"low": 1, "medium": 3, "high": 5, "critical": 10}
rs = [json.load(open(p)) for p in sys.argv[2:]]
want_sum, counts = 0, {}
for r in rs:
    for f in r["flags"]:
        if f["custodian"] == "blue-ocean-lines":
            want_sum += weight[f["severity"]]
            counts[f["code"]] = counts.get(f["code"], 0) + 1
assert o["known"] is True and o["items_held"] == 4, o
assert o["flags"] == counts, (o["flags"], counts)
assert o["score"]["weight_sum"] == want_sum, (o["score"], want_sum)
assert o["score"]["value_x100"] == want_sum * 100 // 4, o["score"]
top = {x["item"]: x["score"] for x in o["items"]}
assert top == {r["item"]: r["score"] for r in rs}, (top, [(r["item"], r["score"]) for r in rs])
h = o["handovers"]
assert h["received"] == 4 and h["given"] == 1 and h["given_received"] == 1, h
assert h["received_worst_ms"] >= 77 * 3600 * 1000, h
assert o["chains_completed"] >= 1 and o["pending"] == 0, o
EOF
out=$(wb 1 risk --org blue-ocean-lines 2>&1)
check "risk --org text names the formula and the node's computation" bash -c '
    grep -q "as the node computed it as of height" <<<"$1" && grep -q "^score [0-9]*\.[0-9][0-9] = weight of the flags raised while it held an item [0-9]* / items held 4$" <<<"$1" &&
    grep -q "^handovers received: 4 (handover to receive: median .*, worst 3 d" <<<"$1"' _ "$out"

# restart node 2: the same answers once its rebuild finishes
org_of() { wb "$1" risk --org blue-ocean-lines --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
for k in ("as_of", "age_ms", "height", "pending"): d.pop(k)
print(json.dumps(d, sort_keys=True))'; }
before=$(org_of 2)
node_kill 2 TERM
node_start 2
check "node 2 is back" wait_for 60 nodes_up
check "node 2 rebuilds its scores" wait_for 60 settled 2
check "after the restart: the same queue" test "$(queue 2)" = "$q0"
check "after the restart: the same organisation risk" test "$(org_of 2)" = "$before"
check "the rebuild is logged with its time" grep -q "scores rebuilt: [0-9]* items in [0-9.]* ms" "$T_DIR/node2.log"
# the queue names the policy it was judged with: the node's defaults, the
# same hash `waybill risk` names with the built-in defaults
qh=$(wb 2 items --flagged --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["policy_hash"])')
rh=$(wb 2 risk $D --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["policy_hash"])')
check "the queue names the node's policy hash, the one risk ITEM judged with" \
    bash -c '[ ${#1} -eq 64 ] && [ "$1" = "$2" ]' _ "$qh" "$rh"
qtext=$(wb 2 items --flagged 2>/dev/null)
check "the text queue names it too" grep -q "; policy $qh$" <<<"$qtext"

finish
