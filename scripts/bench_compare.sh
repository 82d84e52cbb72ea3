#!/usr/bin/env bash
# bench_compare.sh: `make bench-compare`. Runs `make bench` (bench/run.sh) and
# the etcd peer benchmark (scripts/peers/etcd_bench.sh: 3 etcd 3.4 members on
# 127.0.0.1) alternately, ROUNDS times each (W E W E ...), and states issue
# 12's latency and throughput targets as ratios of the same round, since this
# machine's speed drifts by 20-40 % within minutes:
#   half-rate p50 <= etcd p50 at saturation, and the same for p99;
#   sequential p50 <= 1.5 x etcd's single-client p50;
#   saturation >= 0.85 of the signature ceiling and >= 1.5 x etcd's puts/s.
# Knobs: ROUNDS (2), QUICK (0: the full bench), BUILD (build). Results go to
# bench/results/compare-<UTC time>/; the last line is
#   compare rounds=N half_p50_ratio=A half_p99_ratio=B seq_ratio=C sat_ceiling=D sat_etcd=E
# with each ratio the worst over the rounds. Exit status 1 when a run failed
# (a missed target is reported, not an error).
set -Eeuo pipefail
export LC_ALL=C
ROUNDS=${ROUNDS:-2}
QUICK=${QUICK:-0}
BUILD=${BUILD:-build}
cd "$(dirname "$0")/.."
OUT="bench/results/compare-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
say() { printf '[compare %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
command -v jq >/dev/null || { say "jq is missing: make deps installs it"; exit 1; }
case "$ROUNDS" in '' | *[!0-9]*) say "ROUNDS must be a positive number"; exit 1 ;; esac
[ "$ROUNDS" -ge 1 ] || { say "ROUNDS must be at least 1"; exit 1; }

rows=()
for r in $(seq 1 "$ROUNDS"); do
    say "round $r of $ROUNDS: waybill (make bench${QUICK:+ QUICK=$QUICK})"
    wlog="$OUT/waybill-$r.log"
    if ! BUILD="$BUILD" QUICK="$QUICK" bash bench/run.sh >"$wlog" 2>&1; then
        say "waybill bench failed; see $wlog"; tail -5 "$wlog" >&2; exit 1
    fi
    wjson=$(grep -o 'bench/results/bench-[0-9TZ-]*\(-quick\)\?\.json' "$wlog" | tail -1 || true)
    [ -n "$wjson" ] && [ -f "$wjson" ] || wjson="bench/results/latest$([ "$QUICK" = 1 ] && echo -quick).json"
    cp "$wjson" "$OUT/waybill-$r.json"
    tail -1 "$wlog" >&2
    say "round $r of $ROUNDS: etcd"
    elog="$OUT/etcd-$r.log"
    if ! RESULT_JSON="$OUT/etcd-$r.json" bash scripts/peers/etcd_bench.sh >"$elog" 2>&1; then
        say "etcd bench failed; see $elog"; tail -5 "$elog" >&2; exit 1
    fi
    tail -1 "$elog" >&2
    rows+=("$(jq -rn --slurpfile w "$OUT/waybill-$r.json" --slurpfile e "$OUT/etcd-$r.json" '
        ($w[0]) as $w | ($e[0]) as $e |
        ($w.phases | map(select(.name == "open-50%"))[0].latency_ms) as $h |
        ($w.phases | map(select(.name == "sequential"))[0].latency_ms) as $s |
        [$w.saturation_events_per_s, $w.ceiling.events_per_s, $h.p50, $h.p99, $s.p50,
         $e.concurrent.puts_per_s, $e.concurrent.p50_ms, $e.concurrent.p99_ms,
         $e.single_client.p50_ms] | @tsv')")
done

printf '\n%-5s | %-22s | %-17s | %-11s | %-26s | %s\n' round "waybill sat (ceiling)" \
    "half p50 / p99" "seq p50" "etcd puts/s, p50 / p99" "etcd single p50"
worst=$(printf '%s\n' "${rows[@]}" | awk -F'\t' -v out=/dev/stdout '
    { r++
      printf "%-5d | %6.0f (%.2f of %5.0f) | %6.1f / %6.1f ms | %6.2f ms | %6.0f, %5.1f / %5.1f ms | %5.2f ms\n",
             r, $1, $1 / $2, $2, $3, $4, $5, $6, $7, $8, $9 > "/dev/stderr"
      hp50 = $3 / $7; hp99 = $4 / $8; seq = $5 / $9; sc = $1 / $2; se = $1 / $6
      if (r == 1 || hp50 > w1) w1 = hp50; if (r == 1 || hp99 > w2) w2 = hp99
      if (r == 1 || seq > w3) w3 = seq; if (r == 1 || sc < w4) w4 = sc
      if (r == 1 || se < w5) w5 = se }
    END { printf "%.2f %.2f %.2f %.2f %.2f\n", w1, w2, w3, w4, w5 }')
read -r w1 w2 w3 w4 w5 <<<"$worst"
verdict() { awk -v v="$1" -v lim="$2" -v op="$3" 'BEGIN{ok = (op == "le") ? v <= lim : v >= lim; print ok ? "met" : "MISSED"}'; }
printf '\ntargets (worst round):\n' >&2
printf '  half-rate p50 / etcd p50 at saturation: %s (<= 1.00) %s\n' "$w1" "$(verdict "$w1" 1 le)" >&2
printf '  half-rate p99 / etcd p99 at saturation: %s (<= 1.00) %s\n' "$w2" "$(verdict "$w2" 1 le)" >&2
printf '  sequential p50 / etcd single-client p50: %s (<= 1.50) %s\n' "$w3" "$(verdict "$w3" 1.5 le)" >&2
printf '  saturation / signature ceiling: %s (>= 0.85) %s\n' "$w4" "$(verdict "$w4" 0.85 ge)" >&2
printf '  saturation / etcd puts/s: %s (>= 1.50) %s\n' "$w5" "$(verdict "$w5" 1.5 ge)" >&2
say "files in $OUT"
echo "compare rounds=$ROUNDS half_p50_ratio=$w1 half_p99_ratio=$w2 seq_ratio=$w3 sat_ceiling=$w4 sat_etcd=$w5"
