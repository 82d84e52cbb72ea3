#!/usr/bin/env bash
# A node whose writes fail (no root needed): node3's file size limit is
# lowered to 4 KiB while it runs (prlimit), so neither its block appends nor
# the second slot of its safety record can be written (EFBIG). node3 holds:
# one ERROR line, `storage: full` in status, no height advanced, while the
# others commit. With the limit lifted it resumes by itself (same process),
# catches up with the same block hashes and commits again.
cd "$(dirname "$0")/../.." || exit 2
. tests/cluster/lib.sh

if ! command -v prlimit >/dev/null; then
    t_log "SKIPPED: prlimit (util-linux) is not installed (not counted)"
    finish
fi

testnet_create 4 || { T_FAIL=1; finish; }
for i in 0 1 2 3; do node_start "$i"; done
check "four nodes answer status" wait_for 60 nodes_up
NODE3_PID=${NODE_PIDS[3]}

storage_of() {
    wb "$1" status --json 2>/dev/null | grep -o '"storage": *"[^"]*"' | sed 's/.*: *"//; s/"$//'
}
storage_is() { [ "$(storage_of "$1")" = "$2" ]; }
K=0
# submit_via I: one new item commissioned through node I by node0's shipper.
submit_via() {
    K=$((K + 1))
    "$WAYBILL" submit --node "$(api_addr "$1")" --key "$(client_key 0)" \
        --item "urn:waybill:limit:$1:$K" --action commission --at NLRTM >/dev/null 2>&1
}

check "events commit through node3 before the fault" submit_via 3
check "node3 has committed height 1 or more" wait_for 60 all_at_least 1
check "node3's file size limit lowered to 4 KiB" \
    prlimit --pid "$NODE3_PID" --fsize=4096:unlimited
fault_seen() {
    local i=$((K % 3))
    submit_via "$i" || return 1
    storage_is 3 full
}
check "node3 reports storage: full (file too large) while the others commit" \
    wait_for 120 fault_seen
check "node3 logs an ERROR line naming its data folder and the error" \
    grep -q "ERROR.*storage.*data folder .*/node3/data is full (.*File too large)" \
    "$T_DIR/node3.log"
ok=0
for ((j = 0; j < 6; j++)); do submit_via $((j % 3)) && ok=$((ok + 1)); done
check "the other three commit every event submitted through them ($ok of 6)" [ "$ok" -eq 6 ]
h0=$(node_height 0)
h3=$(node_height 3)
check "node3 stays behind (node0 $h0, node3 $h3)" [ "$h0" -gt "$h3" ]
check "node3 still reports storage: full" storage_is 3 full
n_err=$(grep -c "ERROR.*storage.*data folder" "$T_DIR/node3.log")
check "node3 logged the fault once, not per retry ($n_err lines)" [ "$n_err" -eq 1 ]

check "node3's file size limit lifted" prlimit --pid "$NODE3_PID" --fsize=unlimited:unlimited
top=$(node_height 0)
check "node3 catches up to height $top by itself" wait_for 120 all_at_least "$top"
check "storage: ok on node3 again" wait_for 60 storage_is 3 ok
check "node3 logged its recovery" grep -q "INFO.*storage.*data folder .* writes again" \
    "$T_DIR/node3.log"
check "node3 was not restarted (same process $NODE3_PID)" \
    [ "${NODE_PIDS[3]}" = "$NODE3_PID" ] && node_alive 3
check "events commit through node3 again" submit_via 3
top=$(node_height 3)
check "all four at height $top" wait_for 60 all_at_least "$top"
check "same block hash at every height 1..$top on all nodes" same_hashes_upto "$top"
finish
