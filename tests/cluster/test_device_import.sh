#!/usr/bin/env bash
# `waybill device import` end to end: a tracker's 30 days of readings (a
# position every 5 minutes, a temperature every hour: 9,360 lines) imported
# in one command; the first run is killed part-way, the same command run
# again finishes it, and every reading is on the ledger exactly once (each
# counted from the item's signed events by the probe, not by the CLI). A
# third run finds nothing to send. A file with a bad line is refused with
# its line number and nothing submitted.
cd "$(dirname "$0")/../.." || exit 2
. tests/cluster/lib.sh

testnet_create 4 || { T_FAIL=1; finish; }
# 30 days of readings need the commission and the attachment dated 30 days
# back and a bit: allow 40 days of backdating on this chain.
python3 - "$WAYBILL_GENESIS" <<'EOF' || { T_FAIL=1; finish; }
import json, sys
g = json.load(open(sys.argv[1]))
g["backdate_max_ms"] = 40 * 86400 * 1000
json.dump(g, open(sys.argv[1], "w"), indent=2)
EOF
for i in 0 1 2 3; do node_start "$i"; done
check "four nodes answer status" wait_for 60 nodes_up

ITEM=MSCU1234566
TRACK="$T_DIR/tracker.key"
"$WAYBILL" keygen --out "$TRACK" >/dev/null
err="$T_DIR/err"
day=$((86400))
now=$(date -u +%s)
iso() { date -u -d "@$1" +%FT%TZ; }
check "register the tracker" wb 0 device register --device "$TRACK" --kind tracker --serial TR-30D
check "commission 31 days ago" wb 0 submit --item $ITEM --action commission --at CNSHA --time "$(iso $((now - 31 * day)))"
check "attach the tracker 31 days ago" wb 0 device attach $ITEM --device "$TRACK" --time "$(iso $((now - 31 * day + 60)))"

R="$T_DIR/readings.jsonl"
python3 tests/cluster/gen_readings.py "$(iso $((now - 30 * day - 600)))" 30 5 "$R"
lines=$(wc -l <"$R")
check "the file holds 30 days: 8640 positions and 720 temperatures" test "$lines" -eq 9360

# A bad line anywhere: refused with its number, nothing sent.
BAD="$T_DIR/bad.jsonl"
{ head -100 "$R"; echo '{"time":"2026-01-01T00:00:00Z","kind":"position","lat":95,"lon":4}'; tail -5 "$R"; } >"$BAD"
wb 1 device import "$BAD" --device-key "$TRACK" --item $ITEM >"$T_DIR/out" 2>"$err"
rc=$?
t_log "  bad file -> exit $rc: $(head -1 "$err")"
check "a bad line: exit 1" test $rc -eq 1
check "... names the line and the field" grep -q "bad.jsonl:101: lat: 95.000000 is out of range -90 .. 90" "$err"
check "... and says nothing was submitted" grep -q "nothing was submitted" "$err"
check "... and the item has its 2 events only" test "$(item_count 0 $ITEM)" = 2

# The first run, in small batches so that it is still running when killed.
# (the CLI itself in the background, not the wb function: $! must be its PID)
"$WAYBILL" device import "$R" --device-key "$TRACK" --item $ITEM --batch 8 \
    --node "$(api_addr 1)" --key "$(client_key 1)" >"$T_DIR/run1.out" 2>"$T_DIR/run1.err" &
IMPORT_PID=$!
some_in() { [ "$(item_count 0 $ITEM)" -ge 40 ] 2>/dev/null; }
check "the first run commits some reports" wait_for 120 some_in
kill -KILL $IMPORT_PID 2>/dev/null
wait $IMPORT_PID 2>/dev/null
t_log "  killed the first run at $(item_count 0 $ITEM) events"
first=$(( $(item_count 0 $ITEM) - 2 ))
check "the first run was interrupted before the end" test "$first" -lt 1170

# The same command again (the default batch): it finishes the file.
wb 1 device import "$R" --device-key "$TRACK" --item $ITEM --json >"$T_DIR/run2.out" 2>"$T_DIR/run2.err"
rc=$?
t_log "  second run -> exit $rc: $(tr '\n' ' ' <"$T_DIR/run2.out") $(tail -2 "$T_DIR/run2.err" | tr '\n' ' ')"
check "the second run: exit 0" test $rc -eq 0
check "the second run skips what is on the ledger and sends the rest" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["readings"] == 9360, d
assert d["already_on_ledger"] > 0 and d["submitted"] > 0, d
assert d["already_on_ledger"] + d["submitted"] == 9360, d
assert d["repeated_in_file"] == 0, d' "$T_DIR/run2.out"
check "the progress line went to stderr" grep -q "readings done" "$T_DIR/run2.err"

"$PROBE" reports "$(api_addr 2)" "$WAYBILL_GENESIS" "$(client_key 2)" $ITEM >"$T_DIR/obs" 2>"$err"
check "the probe reads the reports back from node2" test $? -eq 0
n=$(wc -l <"$T_DIR/obs")
u=$(cut -d' ' -f2- "$T_DIR/obs" | sort -u | wc -l)
t_log "  on the ledger: $n observations, $u distinct"
check "every reading is on the ledger" test "$n" -eq 9360
check "... once" test "$u" -eq 9360
# the observations on the ledger are the file's: same kinds and times
python3 - "$R" "$T_DIR/obs" <<'EOF' >"$T_DIR/cmp" 2>&1
import datetime, json, sys
want = set()
for line in open(sys.argv[1]):
    d = json.loads(line)
    t = datetime.datetime.strptime(d["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    want.add((d["kind"], int(t.timestamp() * 1000)))
got = set()
for line in open(sys.argv[2]):
    f = line.split()
    got.add((f[1], int(f[2])))
print("missing", len(want - got), "extra", len(got - want))
sys.exit(0 if want == got else 1)
EOF
check "the observations are the file's ($(cat "$T_DIR/cmp"))" test $? -eq 0
seqs_ok() { cut -d' ' -f1 "$T_DIR/obs" | uniq | awk 'NR > 1 && $1 <= p { exit 1 } { p = $1 }'; }
check "the reports' seq numbers increase along the chain" seqs_ok

wb 1 device import "$R" --device-key "$TRACK" --item $ITEM >"$T_DIR/run3.out" 2>"$err"
check "a third run: exit 0" test $? -eq 0
check "... sends nothing" grep -q "^9360 readings in .*: 0 submitted in 0 events, 9360 on the ledger already" "$T_DIR/run3.out"
finish
