#!/usr/bin/env bash
# Locations and item ids end to end: `waybill submit` signs a lower-case
# container number and UN/LOCODE in upper case (and says so on stderr), the
# read commands find the item under its lower-case spelling, and a LOCODE
# whose country is not an ISO 3166-1 code, or the placeholder ZZZZZ, is
# refused before anything is sent.
cd "$(dirname "$0")/../.." || exit 2
. tests/cluster/lib.sh

testnet_create 4 || { T_FAIL=1; finish; }
for i in 0 1 2 3; do node_start "$i"; done
check "four nodes answer status" wait_for 60 nodes_up

err="$T_DIR/err"
wb 0 submit --item mscu1234566 --action commission --at nlrtm >/dev/null 2>"$err"
rc=$?
t_log "  commission -> exit $rc: $(tr '\n' ' ' <"$err")"
check "a lower-case commission is committed (exit 0)" test $rc -eq 0
check "submit notes the item id it signed" grep -q "note: item 'mscu1234566' taken as 'MSCU1234566'" "$err"
check "submit notes the location it signed" grep -q "note: location 'nlrtm' taken as 'NLRTM'" "$err"

# every node commits the block; ask another node than the one submitted to
has_one_event() { [ "$(item_count "$1" MSCU1234566)" = 1 ]; }
nodes_1_2_hold_it() { has_one_event 1 && has_one_event 2; }
check "node1 and node2 hold the event" wait_for 60 nodes_1_2_hold_it
out=$(wb 1 history mscu1234566 2>"$err")
rc=$?
check "history mscu1234566 finds the item (exit 0)" test $rc -eq 0
check "history shows the upper-case id" grep -q "^item  *MSCU1234566$" <<<"$out"
check "history shows the upper-case location" grep -Eq "commission +NLRTM " <<<"$out"
check "history notes the id it asked for" grep -q "note: item 'mscu1234566' taken as 'MSCU1234566'" "$err"

# --json: stdout is one JSON document, the note is on stderr only
json=$(wb 0 history mscu1234566 --json 2>/dev/null)
check "history --json carries no note on stdout" bash -c '! grep -q "note:" <<<"$1"' _ "$json"
check "history --json names the item" grep -q '"item": *"MSCU1234566"' <<<"$json"

check "verify mscu1234566 through another node passes" wb 2 verify mscu1234566

# refused locally with exit 2; nothing reaches the ledger
refused() { # NAME LOCATION PATTERN
    local out rc
    out=$(wb 0 submit --item MSCU1234566 --action load --at "$2" 2>&1)
    rc=$?
    t_log "  --at $2 -> exit $rc: $(head -1 <<<"$out")"
    check "$1: exit 2" test $rc -eq 2
    check "$1: says why" grep -qF "$3" <<<"$out"
}
refused "a country that is not ISO 3166-1" QQRTM "location 'QQRTM': 'QQ' is not an ISO 3166-1 country code"
refused "the unknown-location placeholder" ZZZZZ "'ZZZZZ' is the placeholder for an unknown location"
check "the item still has its one event" test "$(item_count 0 MSCU1234566)" = 1
finish
