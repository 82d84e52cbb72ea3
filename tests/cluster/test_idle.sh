#!/usr/bin/env bash
# Quiet when idle: four nodes with the default heartbeat (60 s) left idle for
# 60 s make at most 2 blocks and log no per-block line at INFO; then a submit
# commits within the usual latency (bounded at 5 s on this busy machine),
# and `waybill status` shows the last block's time and age.
cd "$(dirname "$0")/../.." || exit 2
. tests/cluster/lib.sh

IDLE_S=60

testnet_create 4 || { T_FAIL=1; finish; }
grep -q '"heartbeat_ms": 60000' "$WAYBILL_GENESIS"
check "testnet writes the default heartbeat (60000 ms) into genesis" test $? -eq 0
for i in 0 1 2 3; do node_start "$i"; done
check "four nodes answer status" wait_for 60 nodes_up

top_height() { # the highest height any node reports
    local i x top=0
    for i in 0 1 2 3; do
        x=$(node_height "$i")
        [ -n "$x" ] && [ "$x" -gt "$top" ] && top=$x
    done
    echo "$top"
}

h0=$(top_height)
t_log "idle for $IDLE_S s from height $h0"
# Poll while idle, so that a network making blocks fails at once.
end=$((SECONDS + IDLE_S))
busy=0
while [ "$SECONDS" -lt "$end" ]; do
    h=$(top_height)
    if [ "$h" -gt $((h0 + 2)) ]; then
        busy=1
        t_log "height $h after $((IDLE_S - (end - SECONDS))) s of idle"
        break
    fi
    sleep 2
done
h1=$(top_height)
t_log "after $IDLE_S s idle: height $h1"
check "idle for $IDLE_S s: at most 2 new blocks (height $h0 -> $h1)" \
    test "$busy" -eq 0 -a "$h1" -le $((h0 + 2))

per_block=$(cat "$T_DIR"/node*.log | grep -c "committed block")
check "no per-block log line at INFO ($per_block found)" test "$per_block" -eq 0

# The submit: through node3 (nordic-retail, a shipper), timed.
t_start=${EPOCHREALTIME/[.,]/}
out=$(wb 3 submit --item urn:waybill:idle:1 --action commission --at NLRTM --json 2>&1)
rc=$?
t_end=${EPOCHREALTIME/[.,]/}
ms=$(((t_end - t_start) / 1000))
t_log "submit while idle: exit $rc after $ms ms: $(tr -d '\n' <<<"$out" | head -c 200)"
check "a submit while idle commits" test "$rc" -eq 0
check "... within 5 s ($ms ms)" test "$ms" -lt 5000

h2=$(grep -o '"height": *[0-9]*' <<<"$out" | grep -o '[0-9]*$')
check "every node reaches the submit's height ${h2:-?}" wait_for 30 all_at_least "${h2:-999999999}"

s=$(wb 0 status 2>&1)
t_log "status of node0:"
printf '%s\n' "$s" | sed 's/^/    /'
check "status shows the last block's RFC 3339 UTC time and age" \
    grep -Eq '^last block +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z \([0-9]+ (ms|s) ago\)$' <<<"$s"
j=$(wb 0 status --json 2>&1)
age=$(grep -o '"last_block_age_ms": *[0-9]*' <<<"$j" | grep -o '[0-9]*$')
check "status --json has last_block_time and an age under 30 s (${age:-none} ms)" \
    test -n "$(grep -o '"last_block_time": *"[0-9T:.Z-]*"' <<<"$j")" -a "${age:-999999}" -lt 30000

summary() { grep -Eq "INFO +node: h=[0-9]+ summary: .* blocks, .* events in .* s; peers 3 of 3" "$T_DIR/node0.log"; }
check "node0 logs its summary line once a minute" wait_for 20 summary
grep "summary:" "$T_DIR/node0.log" | tail -1 | sed 's/^/    /'
check "same block hash at every height 1..$h2 on all nodes" same_hashes_upto "${h2:-1}"
finish
