#!/usr/bin/env bash
# What the risk index costs on the commit path (docs/performance.md, "Risk
# index cost"): `make bench` (QUICK=1 by default) of this tree and of a tree
# without the index, alternately, ROUNDS times each, ABBA order (on, off,
# off, on, ...) so that a machine slowing down or speeding up during the
# sitting weighs on both alike; per run the saturation and the nodes' CPU
# per committed event; at the end the ratio on / off of the medians and the
# worst pair's, against issue 16's target (saturation with the index at
# least 0.95 x without).
#
# Usage: BASE=DIR [BUILD=build] [ROUNDS=3] [QUICK=1] bash bench/risk_cost.sh
#   DIR: the source tree without the index (e.g. `git archive <commit> | tar
#   -x -C DIR`), built with `make -C DIR all build/bench/loadgen`.
# Last line:
#   risk-cost rounds=N sat_on=A sat_off=B ratio_median=R ratio_worst=W cpu_us_on=C
#       cpu_us_off=D index_us=I index_share=S target=0.95 result=met|MISSED
# (I: the index's own time per event per node, from the nodes' logs; S = I / C.
# The target is judged on the median ratio; on a shared machine a single
# pair can differ by much more than the index costs.)
set -u
BASE=${BASE:?BASE: the tree without the risk index, built}
BUILD=${BUILD:-build}
ROUNDS=${ROUNDS:-3}
QUICK=${QUICK:-1}
ON=$PWD
suffix=$([ "$QUICK" = 1 ] && echo -quick)

# run DIR LABEL: one `make bench` in DIR; prints "LABEL SAT CPU_US_PER_EVENT
# INDEX_US_PER_EVENT", the last from the nodes' own account of the index's
# time at shutdown ("risk index: ... in T ms"; 0 for the tree without it).
run() {
    local dir=$1 label=$2 out tmp
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/risk-cost.XXXXXX")
    out=$(cd "$dir" && TMPDIR=$tmp KEEP_RUN_DIR=1 BUILD=$BUILD QUICK=$QUICK timeout 600 \
        bash bench/run.sh 2>&1) || {
        echo "risk-cost: the $label run failed (logs in $tmp):" >&2
        tail -20 <<<"$out" >&2
        return 1
    }
    python3 - "$dir/bench/results/latest$suffix.json" "$label" "$tmp" <<'EOF'
import glob, json, re, sys
d = json.load(open(sys.argv[1]))
cpu = sum(n["cpu_total_s"] for n in d["nodes_detail"])
ev = sum(n["events_committed"] for n in d["nodes_detail"])
ms = events = 0.0
for log in glob.glob(sys.argv[3] + "/waybill-bench.*/node*.log"):
    for line in open(log, errors="replace"):
        m = re.search(r"risk index: \d+ blocks, (\d+) events \(\d+ decoded\) in ([0-9.]+) ms", line)
        if m:
            events += float(m.group(1))
            ms += float(m.group(2))
idx = ms * 1000 / events if events else 0.0
print(sys.argv[2], round(d["saturation_events_per_s"]), round(cpu / ev * 1e6, 2), f"{idx:.3f}")
EOF
    rm -rf "$tmp"
}

results=()
for ((r = 0; r < ROUNDS; r++)); do
    if ((r % 2 == 0)); then order="on off"; else order="off on"; fi
    for which in $order; do
        dir=$([ "$which" = on ] && echo "$ON" || echo "$BASE")
        line=$(run "$dir" "$which") || exit 1
        echo "round $((r + 1)): $line"
        results+=("$((r + 1)) $line")
    done
done
printf '%s\n' "${results[@]}" | python3 -c '
import sys, statistics
rows = [l.split() for l in sys.stdin if l.strip()]
on = {int(r[0]): (float(r[2]), float(r[3]), float(r[4])) for r in rows if r[1] == "on"}
off = {int(r[0]): (float(r[2]), float(r[3])) for r in rows if r[1] == "off"}
ratios = [on[k][0] / off[k][0] for k in sorted(on)]
for k, x in zip(sorted(on), ratios):
    print(f"round {k}: saturation on/off {on[k][0]:.0f}/{off[k][0]:.0f} = {x:.3f}; "
          f"node CPU per event {on[k][1]:.1f}/{off[k][1]:.1f} us, of which the index "
          f"{on[k][2]:.2f} us ({on[k][2] / on[k][1] * 100:.1f}%)")
son = statistics.median(v[0] for v in on.values()); soff = statistics.median(v[0] for v in off.values())
con = statistics.median(v[1] for v in on.values()); coff = statistics.median(v[1] for v in off.values())
idx = statistics.median(v[2] for v in on.values())
rm = son / soff
verdict = "met" if rm >= 0.95 else "MISSED"
print(f"risk-cost rounds={len(ratios)} sat_on={son:.0f} sat_off={soff:.0f} ratio_median={rm:.3f} "
      f"ratio_worst={min(ratios):.3f} cpu_us_on={con:.1f} cpu_us_off={coff:.1f} "
      f"index_us={idx:.2f} index_share={idx / con:.4f} target=0.95 "
      f"result={verdict}")
'
