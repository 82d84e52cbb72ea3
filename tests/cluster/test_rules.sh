#!/usr/bin/env bash
# Every ledger rule that a client can break, broken through the CLI against a
# real 4-node testnet: exit 1, the rule's reason and name on stderr, nothing
# committed and the item's state unchanged (the whole `history --json` the
# same before and after). The checks are named after the rules of
# docs/rules.md; the rules no CLI submission can reach are listed there.
# Orgs of `waybill testnet --nodes 4`: node0 acme-shipping (shipper),
# node1 blue-ocean-lines (carrier), node2 rotterdam-customs (customs),
# node3 nordic-retail (shipper); each node's client key is its org's.
cd "$(dirname "$0")/../.." || exit 2
. tests/cluster/lib.sh

testnet_create 4 || { T_FAIL=1; finish; }
for i in 0 1 2 3; do node_start "$i"; done
check "four nodes answer status" wait_for 60 nodes_up

ITEM=CSQU3054383
ZERO=0000000000000000000000000000000000000000000000000000000000000001
# RFC 3339 times relative to now (GNU date).
ago() { date -u -d "$1 ago" +%Y-%m-%dT%H:%M:%SZ; }

# accept KEYNODE ARGS...: submits as org KEYNODE (through node KEYNODE); must commit.
accept() {
    local k=$1
    shift
    check "accepted: $*" wb "$k" submit --item "$ITEM" "$@" --timeout 30
}

# state: node0's whole answer about the item (its state and events).
state() { wb 0 history "$ITEM" --json 2>/dev/null; echo "exit $?"; }

# refused NAME PATTERN KEYNODE ARGS...: must exit 1 with PATTERN on stderr,
# and leave the item as it was. Leaves the stderr in $err.
err=""
refused() {
    local name=$1 pattern=$2 k=$3 before after rc
    shift 3
    before=$(state)
    err=$(wb "$k" submit --item "$ITEM" "$@" --timeout 30 2>&1 >/dev/null)
    rc=$?
    t_log "  $name -> exit $rc: $(head -1 <<<"$err")"
    check "$name: exit code 1" test "$rc" -eq 1
    check "$name: stderr says '$pattern'" grep -qF -- "$pattern" <<<"$err"
    after=$(state)
    check "$name: nothing committed, state unchanged" test "$before" = "$after"
}

# reject RULE TEXT KEYNODE ARGS...: refused by RULE, whose reason contains TEXT.
reject() {
    local rule=$1 text=$2
    shift 2
    refused "$rule" "(rule $rule)" "$@"
    check "$rule: the reason says '$text'" grep -qF -- "$text" <<<"$err"
}

# Before the commission.
reject first_is_commission "its first event must be commission" 0 --action load --at NLRTM
reject commission_by_shipper "only a shipper may commission" 1 --action commission --at NLRTM
reject commission_no_prev "must have no prev" 0 --action commission --at NLRTM --prev $ZERO
reject location_required "a location is required" 0 --action commission
reject time_future "event time 2099-01-01T00:00:00.000Z" 0 --action commission --at NLRTM \
    --time 2099-01-01T00:00:00Z
reject time_backdated "at most 30 days late" 0 --action commission --at NLRTM \
    --time 2020-01-01T00:00:00Z
# A commission reported an hour late is fine.
accept 0 --action commission --at NLRTM --time "$(ago '1 hour')"

# Who may act, and what needs what.
reject commission_once "already commissioned" 0 --action commission --at NLRTM
refused "prev_is_head (the node answers: stale)" "fetch the item's head and sign again" 0 \
    --action seal --attr seal=SL-1 --prev $ZERO
reject time_before_commission "was commissioned" 0 --action seal --attr seal=SL-1 \
    --time "$(ago '2 hours')"
reject custodian_acts "is not the custodian" 3 --action load --at NLRTM
reject seal_by_custodian_or_customs "nor customs" 1 --action seal --attr seal=SL-1
reject customs_acts "only customs may inspect" 0 --action inspect --attr result=ok
reject to_org_handover_only "to_org is only for handover" 0 --action load --at NLRTM \
    --to blue-ocean-lines
reject handover_to_member "is not a member organisation" 0 --action handover --to no-such-org
reject handover_to_other "is already the custodian" 0 --action handover --to acme-shipping
reject receive_pending "no handover is pending" 1 --action receive
reject seal_attr_required "attribute 'seal'" 0 --action seal
reject unseal_sealed "is not sealed" 0 --action unseal --attr seal=SL-1
reject inspect_result "must be ok or discrepancy" 2 --action inspect --attr result=fine
reject clear_declaration "attribute 'declaration'" 2 --action clear
reject release_held "is not on hold" 2 --action release

# Movement from rest, and seals.
reject arrive_underway "is not underway" 0 --action arrive --at DEHAM
reject unload_loaded "is not loaded" 0 --action unload --at NLRTM
reject depart_loaded "load it onto its conveyance first" 0 --action depart --at NLRTM
reject seal_mismatch "has no active seal" 0 --action load --at NLRTM --attr seal=SL-1
reject load_location "is at NLRTM, not at DEHAM" 0 --action load --at DEHAM
accept 0 --action seal --attr seal=SL-1
reject seal_unsealed "already sealed with 'SL-1'" 0 --action seal --attr seal=SL-2
reject unseal_names_seal "must name the seal being removed" 0 --action unseal
reject unseal_names_seal "seal mismatch" 0 --action unseal --attr seal=SL-9

# Customs holds.
accept 2 --action hold
reject hold_not_held "already on hold" 2 --action hold
reject held_customs_only "is on hold by customs" 0 --action load --at NLRTM
reject deliver_not_held "customs must release it" 0 --action deliver
reject clear_not_held "release the hold before clearing it" 2 --action clear \
    --attr declaration=NL-1
accept 2 --action release

# Loaded, at rest.
accept 0 --action load --at NLRTM --attr seal=SL-1
reject load_at_rest "already loaded" 0 --action load --at NLRTM
reject deliver_unloaded "still loaded" 0 --action deliver
reject seal_mismatch "the active seal of item $ITEM is 'SL-1'" 0 --action depart --at NLRTM \
    --attr seal=SL-2
reject depart_location "is at NLRTM, not at DEHAM" 0 --action depart --at DEHAM
reject arrive_underway "record its departure first" 0 --action arrive --at DEHAM

# Underway.
accept 0 --action depart --at NLRTM
reject depart_at_rest "already underway" 0 --action depart --at NLRTM
reject load_at_rest "record its arrival and unloading first" 0 --action load --at NLRTM
reject unload_at_rest "record its arrival first" 0 --action unload --at DEHAM
reject not_underway "is underway" 0 --action handover --to blue-ocean-lines
reject not_underway "is underway" 0 --action deliver

# Arrived, then unloaded.
accept 0 --action arrive --at DEHAM
reject arrive_underway "is not underway" 0 --action arrive --at DEHAM
reject unload_location "is at DEHAM, not at NLRTM" 0 --action unload --at NLRTM
accept 0 --action unload --at DEHAM
reject unload_loaded "there is nothing to unload" 0 --action unload --at DEHAM

# Custody changes hands, then the end.
accept 0 --action handover --to blue-ocean-lines
reject transfer_pending "must receive it first" 0 --action load --at DEHAM
reject receive_by_named "not 'nordic-retail'" 3 --action receive
accept 1 --action receive
accept 1 --action deliver
reject delivered_final "was delivered" 1 --action depart --at DEHAM

all_eleven() {
    test "$(item_count 0 $ITEM)$(item_count 1 $ITEM)$(item_count 2 $ITEM)$(item_count 3 $ITEM)" = 11111111
}
check "final history has 11 events on every node" wait_for 30 all_eleven
finish
