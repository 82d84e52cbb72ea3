#!/usr/bin/env bash
# A node whose data folder fills up: node3's data folder is a small tmpfs the
# test fills with a filler file. node3 logs one clear ERROR line naming its
# data folder, reports `storage: full`, keeps answering status and reads but
# stops appending, while the other three keep committing what clients submit
# through them. Once the filler is deleted node3 writes again by itself (no
# restart: same process), catches up, holds the same block hash as every
# other node at every height and commits events submitted through it.
# Mounting needs root: otherwise the test says why it skips and counts
# nothing.
cd "$(dirname "$0")/../.." || exit 2
. tests/cluster/lib.sh

if [ "$(id -u)" -ne 0 ]; then
    t_log "SKIPPED: mounting a small tmpfs for node3's data folder needs root (not counted)"
    finish
fi

testnet_create 4 || { T_FAIL=1; finish; }
MNT="$T_DIR/net/node3/data"
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=24m,mode=0700 tmpfs "$MNT" 2>"$T_DIR/mount.err"; then
    t_log "SKIPPED: cannot mount a tmpfs on $MNT: $(cat "$T_DIR/mount.err") (not counted)"
    finish
fi
MOUNTED=1

# Stops node3 before the file system under it goes, then the usual cleanup.
disk_cleanup() {
    local pid=${NODE_PIDS[3]:-} n=0
    if [ -n "$pid" ]; then
        kill -TERM "$pid" 2>/dev/null
        while kill -0 "$pid" 2>/dev/null && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        NODE_PIDS[3]=""
    fi
    if [ "${MOUNTED:-0}" = 1 ]; then
        umount "$MNT" 2>/dev/null || umount -l "$MNT"
    fi
    cluster_cleanup
}
trap disk_cleanup EXIT

for i in 0 1 2 3; do node_start "$i"; done
check "four nodes answer status" wait_for 60 nodes_up
NODE3_PID=${NODE_PIDS[3]}

# storage_of I: the "storage" field of node I's status.
storage_of() {
    wb "$1" status --json 2>/dev/null | grep -o '"storage": *"[^"]*"' | sed 's/.*: *"//; s/"$//'
}
storage_is() { [ "$(storage_of "$1")" = "$2" ]; }

K=0
# submit_via I: one new item commissioned through node I by acme-shipping
# (node0's org, a shipper); waits for the commit.
submit_via() {
    K=$((K + 1))
    "$WAYBILL" submit --node "$(api_addr "$1")" --key "$(client_key 0)" \
        --item "urn:waybill:diskfull:$1:$K" --action commission --at NLRTM >/dev/null 2>&1
}

check "storage: ok on node3 at start" storage_is 3 ok
check "events commit through node3 before the fault" submit_via 3
check "node3 has committed height 1 or more" wait_for 60 all_at_least 1

t_log "filling node3's data folder $MNT"
dd if=/dev/zero of="$MNT/filler" bs=64k >/dev/null 2>&1
t_log "free on $MNT: $(df -k --output=avail "$MNT" | tail -1) KiB"

# Until node3 fails an append: events submitted through the other nodes.
fill_until_full() {
    local i=$((K % 3))
    submit_via "$i" || return 1
    storage_is 3 full
}
check "node3 reports storage: full while the others commit" wait_for 120 fill_until_full
check "node3 logs one ERROR line naming its data folder" \
    grep -q "ERROR.*storage.*data folder $MNT is full" "$T_DIR/node3.log"
h3=$(node_height 3)
h0=$(node_height 0)
t_log "node3 held at height $h3, node0 at $h0"

# The others keep committing; node3 stays behind, at what its store holds.
# (A write may still fit in pages LMDB freed earlier, so node3 may get one
# more block in before it holds again: each such fault logs its own line.)
ok=0
for ((j = 0; j < 9; j++)); do submit_via $((j % 3)) && ok=$((ok + 1)); done
check "the other three commit every event submitted through them ($ok of 9)" [ "$ok" -eq 9 ]
h0b=$(node_height 0)
h3b=$(node_height 3)
check "the others advanced past node3 (node0 $h0b, node3 $h3b)" [ "$h0b" -gt "$h3b" ]
check "node3 still answers status: storage: full" wait_for 30 storage_is 3 full
check "node3 still serves reads (history of an item)" \
    wb 3 history "urn:waybill:diskfull:3:1" --json
n_err=$(grep -c "ERROR.*storage.*data folder" "$T_DIR/node3.log")
n_rec=$(grep -c "INFO.*storage.*data folder .* writes again" "$T_DIR/node3.log")
check "node3 logs one line per fault, not per retry ($n_err ERROR, $n_rec recovered)" \
    [ "$n_err" -eq $((n_rec + 1)) ]

t_log "deleting the filler"
rm -f "$MNT/filler"
top=$(node_height 0)
check "node3 catches up to height $top by itself" wait_for 120 all_at_least "$top"
check "storage: ok on node3 again" wait_for 60 storage_is 3 ok
check "node3 logged its recovery" grep -q "INFO.*storage.*data folder $MNT writes again" \
    "$T_DIR/node3.log"
check "node3 was not restarted (same process $NODE3_PID)" \
    [ "${NODE_PIDS[3]}" = "$NODE3_PID" ] && node_alive 3
check "events commit through node3 again" submit_via 3
top=$(node_height 3)
check "all four at height $top" wait_for 60 all_at_least "$top"
check "same block hash at every height 1..$top on all nodes" same_hashes_upto "$top"
finish
