#!/usr/bin/env bash
# A CLI that explains itself, against a real one-validator network: each case
# with its exit code and message (docs/cli.md, "Messages and codes").
# --node at the node's p2p port, a key that is no member key, a bundle of
# another chain, output to a full disk, an unknown item (text and --json), a
# rule's refusal in --json with its symbolic code, and handover without --to
# refused before anything is signed.
cd "$(dirname "$0")/../.." || exit 2
. tests/cluster/lib.sh

testnet_create 1 || { T_FAIL=1; finish; }
node_start 0
check "the node answers status" wait_for 60 nodes_up

ITEM=MSCU1234566
UNKNOWN=CSQU3054383
KEY=$(client_key 0)
export WAYBILL_STATE_DIR="$T_DIR/state"
mkdir -p "$WAYBILL_STATE_DIR"

# run NAME WANT_RC PATTERN CMD...: CMD exits WANT_RC and its stderr holds
# PATTERN (fixed string); stdout is left in $out, stderr in $err.
out=""
err=""
run() {
    local name=$1 want=$2 pattern=$3 rc
    shift 3
    out=$("$@" 2>"$T_DIR/err")
    rc=$?
    err=$(cat "$T_DIR/err")
    t_log "  $name -> exit $rc: $(head -1 <<<"$err")"
    check "$name: exit $want" test "$rc" -eq "$want"
    [ -z "$pattern" ] || check "$name: stderr says '$pattern'" grep -qF -- "$pattern" <<<"$err"
}
# quiet CMD...: CMD with its output dropped.
quiet() { "$@" >/dev/null 2>&1; }

check "the item is commissioned" quiet wb 0 submit --item "$ITEM" --action commission --at NLRTM \
    --timeout 30

# usage lines list every option
check "block's usage line lists --genesis and --timeout" \
    bash -c '"$1" block --help | head -1 | grep -q -- "--genesis FILE.*--timeout SECONDS"' _ "$WAYBILL"

# --node at the p2p port
P2P="127.0.0.1:$T_BASE"
run "--node at the p2p port" 2 \
    "waybill status: $P2P is a node's p2p port (validator node0 in genesis); give its client API address (in node.ini [api] listen)" \
    "$WAYBILL" status --node "$P2P" --key "$KEY"

# a key that is no member key
"$WAYBILL" keygen --out "$T_DIR/stranger.key" >/dev/null 2>&1
run "a stranger's key" 1 "is not a member client key in genesis $WAYBILL_GENESIS" \
    "$WAYBILL" status --node "$(api_addr 0)" --key "$T_DIR/stranger.key"
run "a validator's node key" 1 "is not a member client key in genesis" \
    "$WAYBILL" history "$ITEM" --node "$(api_addr 0)" --key "$T_DIR/net/node0/node.key"

# a bundle of another chain
check "the proof bundle is saved" quiet wb 0 proof "$ITEM" --out "$T_DIR/item.bundle"
"$WAYBILL" testnet --nodes 1 --dir "$T_DIR/other" --chain other-chain --base-port 1000 \
    >/dev/null 2>&1
run "a bundle of another chain" 1 "" \
    "$WAYBILL" verify --bundle "$T_DIR/item.bundle" --genesis "$T_DIR/other/genesis.json"
check "a bundle of another chain: names both chains" \
    grep -q "^FAILED: bundle is for chain id [0-9a-f]*\.\.\., this genesis is chain other-chain (id [0-9a-f]*\.\.\.)" <<<"$out"
check "the bundle verifies with its own genesis" \
    quiet "$WAYBILL" verify --bundle "$T_DIR/item.bundle"

# output that cannot be written
if [ -w /dev/full ]; then
    rc=0
    err=$(wb 0 history "$ITEM" --json 2>&1 >/dev/full) || rc=$?
    t_log "  history --json > /dev/full -> exit $rc: $err"
    check "history --json > /dev/full: exit 1" test "$rc" -eq 1
    check "history --json > /dev/full: a write error" \
        test "$err" = "waybill history: cannot write output: No space left on device"
else
    t_log "  no writable /dev/full: write errors not checked here (tests/unit/cli_explain)"
fi

# an unknown item
run "history of an unknown item" 1 "waybill history: no such item: $UNKNOWN" \
    wb 0 history "$UNKNOWN"
run "verify of an unknown item" 1 "waybill verify: no such item: $UNKNOWN" \
    wb 0 verify "$UNKNOWN"
run "history --json of an unknown item" 1 "no such item" wb 0 history "$UNKNOWN" --json
check "history --json of an unknown item: an error object" \
    grep -q '"code": "not_found"' <<<"$out"
run "verify --json of an unknown item" 1 "no such item" wb 0 verify "$UNKNOWN" --json
check "verify --json of an unknown item: an error object" \
    grep -q '"item": "'"$UNKNOWN"'"' <<<"$out"

# a rule's refusal in --json
run "seal without a seal id" 1 "waybill submit: hint: give the seal id with --attr seal=ID" \
    wb 0 submit --item "$ITEM" --action seal --json --timeout 30
check "the refusal's code is the rule's name" grep -q '"code": "seal_attr_required"' <<<"$out"
check "the refusal names the item and the action" \
    bash -c 'grep -q "\"item\": \"$1\"" <<<"$2" && grep -q "\"action\": \"seal\"" <<<"$2"' _ \
    "$ITEM" "$out"

# handover without --to: a usage error before anything is signed
run "handover without --to" 2 \
    "waybill submit: handover needs --to ORG, the receiving member organisation" \
    wb 0 submit --item "$ITEM" --action handover
check "handover without --to: no signed event kept" \
    test -z "$(find "$WAYBILL_STATE_DIR" -type f)"
check "the item still has one event" test "$(item_count 0 "$ITEM")" = 1

finish
