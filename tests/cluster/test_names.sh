#!/usr/bin/env bash
# Addresses by host name and by IPv6 literal. Four nodes whose genesis, p2p
# listen, peers and API addresses all name `localhost` (waybill testnet
# --host localhost) link up by name and commit, and the CLI reaches them with
# --node localhost:PORT. A name that does not resolve is exit 3 with
# "cannot resolve", an address the grammar refuses exit 2 with its message.
# Then, when the machine has ::1 (probed first; otherwise logged and not
# counted), two nodes on [::1] commit and answer --node [::1]:PORT.
cd "$(dirname "$0")/../.." || exit 2
. tests/cluster/lib.sh

testnet_create 4 localhost || { T_FAIL=1; finish; }
check "genesis names every validator localhost:PORT" \
    test "$(grep -c "\"p2p\": \"localhost:$T_BASE\|\"p2p\": \"localhost:$((T_BASE + 3))" \
        "$T_DIR/net/genesis.json")" = 2
check "node.ini listens, dials and serves clients at localhost" \
    grep -q "^listen = localhost:$((T_BASE + 100 + 1))$" "$T_DIR/net/node1/node.ini"
for i in 0 1 2 3; do node_start "$i"; done
check "four nodes answer status at --node localhost:PORT" wait_for 60 nodes_up

# all_linked: every running node holds a link to each of its T_N-1 peers.
all_linked() {
    local i
    for ((i = 0; i < T_N; i++)); do
        wb "$i" status --json 2>/dev/null | grep -q "\"peers_connected\": *$((T_N - 1))[,}]" ||
            return 1
    done
}
# commission_via I ITEM: acme-shipping (org 0, a shipper) commissions ITEM
# through node I and waits for the commit.
commission_via() {
    "$WAYBILL" submit --node "$(api_addr "$1")" --key "$(client_key 0)" --item "$2" \
        --action commission --at NLRTM >/dev/null 2>&1
}
check "every node linked to its 3 peers, dialed by name" wait_for 60 all_linked

check "a commission through node0 at localhost commits" commission_via 0 urn:waybill:test:names:1
check "a commission through node3 at localhost commits" commission_via 3 urn:waybill:test:names:2
top=$(node_height 0)
check "every node reached height ${top:-?}" wait_for 60 all_at_least "${top:-1}"
check "same block hash at every height 1..${top:-?} on all nodes" same_hashes_upto "${top:-1}"

# A name the resolver does not know (.invalid never resolves): exit 3.
out=$("$WAYBILL" status --node "nowhere.invalid:$((T_BASE + 100))" --key "$(client_key 0)" \
    --timeout 60 2>&1)
rc=$?
t_log "unknown name: exit $rc: $out"
check "an unknown host name exits 3" test "$rc" = 3
check "... saying it cannot resolve the name" \
    grep -q "cannot resolve 'nowhere.invalid': " <<<"$out"

# The address that genesis used to accept and no node could dial: exit 2.
out=$("$WAYBILL" status --node "node_1:$((T_BASE + 100))" --key "$(client_key 0)" 2>&1)
rc=$?
check "--node node_1:PORT exits 2" test "$rc" = 2
check "... with the address grammar's message" \
    grep -q "waybill status: --node: 'node_1:$((T_BASE + 100))' is not host:port: host 'node_1' has '_' (a host is a DNS name, an IPv4 address or a bracketed IPv6 address such as \[::1\]; port 1 to 65535)" <<<"$out"

for i in 0 1 2 3; do node_kill "$i" TERM; done
rm -rf "$T_DIR"
T_DIR=""

# IPv6: only where the machine can listen on ::1.
if ! why=$("$PROBE" ipv6 2>&1); then
    t_log "skipped (not counted): no IPv6 loopback here: $why"
    finish
fi
testnet_create 2 "[::1]" || { T_FAIL=$((T_FAIL + 1)); finish; }
check "genesis names the validators [::1]:PORT" \
    grep -q "\"p2p\": \"\[::1\]:$((T_BASE + 1))\"" "$T_DIR/net/genesis.json"
for i in 0 1; do node_start "$i"; done
check "two nodes on [::1] answer status at --node [::1]:PORT" wait_for 60 nodes_up
check "both nodes linked over [::1]" wait_for 60 all_linked
# Two validators: quorum 2, so a commit needs the IPv6 p2p link.
check "a commission through --node $(api_addr 1) commits (quorum 2 over IPv6)" \
    commission_via 1 urn:waybill:test:names:6
top=$(node_height 1)
check "both nodes reached height ${top:-?}" wait_for 60 all_at_least "${top:-1}"
check "same block hashes on both nodes" same_hashes_upto "${top:-1}"
finish
