#!/usr/bin/env bash
# The metrics endpoint of a 4-node testnet on 127.0.0.1 ([metrics] listen
# appended to each node.ini): /metrics parses with promtool and names only
# documented metrics, its height and event counters follow the commits, a
# real Prometheus scraping node0 every second reads back the node's height,
# the alerting rules of config/prometheus/ load (promtool check rules, and
# in that Prometheus), and once two nodes are killed /healthz and /readyz of
# the others turn 503 naming the lost quorum.
# Needs curl (else python3) and Debian's prometheus package (promtool and
# prometheus; `make deps` installs it).
cd "$(dirname "$0")/../.." || exit 2
. tests/cluster/lib.sh

ALERTS=config/prometheus/waybill-alerts.yml
PROM_PID=""

for tool in promtool prometheus; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "test_metrics: $tool not found: install Debian's prometheus package" \
            "(sh scripts/deps.sh install, or make deps, does)" >&2
        T_FAIL=1
        finish
    fi
done
if ! command -v curl >/dev/null 2>&1 && ! command -v python3 >/dev/null 2>&1; then
    echo "test_metrics: neither curl nor python3 found to make HTTP requests" >&2
    T_FAIL=1
    finish
fi

# Stops the Prometheus this test started (by its PID), then the nodes.
metrics_cleanup() {
    if [ -n "$PROM_PID" ]; then
        kill -TERM "$PROM_PID" 2>/dev/null
        local n=0
        while kill -0 "$PROM_PID" 2>/dev/null && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
        kill -KILL "$PROM_PID" 2>/dev/null
        wait "$PROM_PID" 2>/dev/null
        if [ "$T_FAIL" -ne 0 ] && [ -f "$T_DIR/prometheus.log" ]; then
            echo "---- prometheus.log (last 20 lines)"
            tail -20 "$T_DIR/prometheus.log"
        fi
    fi
    cluster_cleanup
}
trap metrics_cleanup EXIT

# http_get URL OUT [METHOD]: the body into OUT, the headers into OUT.h;
# prints the status code (000 when nothing answered). Bounded by 5 s.
http_get() {
    local url=$1 out=$2 method=${3:-GET}
    if command -v curl >/dev/null 2>&1; then
        curl -s -m 5 -X "$method" -D "$out.h" -o "$out" -w '%{http_code}' "$url" 2>/dev/null ||
            true
        return
    fi
    python3 - "$url" "$out" "$method" <<'EOF'
import sys, urllib.request, urllib.error
url, out, method = sys.argv[1:4]
try:
    r = urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=5)
    code, body, headers = r.status, r.read(), r.headers
except urllib.error.HTTPError as e:
    code, body, headers = e.code, e.read(), e.headers
except Exception:
    code, body, headers = 0, b"", {}
open(out, "wb").write(body)
open(out + ".h", "w").write("".join("%s: %s\r\n" % kv for kv in headers.items()))
print("%03d" % code, end="")
EOF
}

metrics_url() { echo "http://127.0.0.1:$((M_BASE + $1))$2"; }

# metric I NAME: the value of sample NAME (no labels) on node I's /metrics.
metric() {
    http_get "$(metrics_url "$1" /metrics)" "$T_DIR/scrape.$1" >/dev/null
    sed -n "s/^$2 //p" "$T_DIR/scrape.$1"
}

# health_is I PATH CODE: node I answers PATH with status CODE.
health_is() {
    [ "$(http_get "$(metrics_url "$1" "$2")" "$T_DIR/health.$1")" = "$3" ]
}

testnet_create 4 || { T_FAIL=1; finish; }

# Free ports for the four endpoints and Prometheus, apart from the
# testnet's (which are not bound yet, so pick_base_port cannot see them).
M_BASE=""
for ((try = 0; try < 20; try++)); do
    p=$(pick_base_port 5) || break
    if [ $((p + 5)) -le "$T_BASE" ] || [ "$p" -ge $((T_BASE + 104)) ] ||
        { [ "$p" -ge $((T_BASE + 4)) ] && [ $((p + 5)) -le $((T_BASE + 100)) ]; }; then
        M_BASE=$p
        break
    fi
done
[ -n "$M_BASE" ] || { t_log "no free ports for the metrics endpoints"; T_FAIL=1; finish; }
PROM_PORT=$((M_BASE + 4))
for i in 0 1 2 3; do
    printf '\n[metrics]\nlisten = 127.0.0.1:%d\nhealth_window_ms = 3000\n' $((M_BASE + i)) \
        >>"$T_DIR/net/node$i/node.ini"
done
for i in 0 1 2 3; do node_start "$i"; done
check "four nodes answer status" wait_for 60 nodes_up
all_healthy() { local i; for i in 0 1 2 3; do health_is "$i" /healthz 200 || return 1; done; }
check "every node's /healthz answers 200 once its peers are linked" wait_for 30 all_healthy
check "a node's /readyz answers 200" wait_for 30 health_is 0 /readyz 200
check "the log says where metrics are served" \
    grep -q "serving /metrics, /healthz and /readyz on http://127.0.0.1:$M_BASE" "$T_DIR/node0.log"

# ---- the exposition --------------------------------------------------------------
code=$(http_get "$(metrics_url 0 /metrics)" "$T_DIR/m0")
check "/metrics answers 200" [ "$code" = 200 ]
check "/metrics is the text format 0.0.4" \
    grep -qi '^content-type: text/plain; version=0.0.4' "$T_DIR/m0.h"
promtool_ok() {
    promtool check metrics <"$T_DIR/m0" >"$T_DIR/promtool.out" 2>&1 && return 0
    t_log "promtool check metrics:"
    cat "$T_DIR/promtool.out"
    return 1
}
check "promtool check metrics passes" promtool_ok
documented() {
    local n missing=0
    for n in $(sed -n 's/^# TYPE \([a-z_]*\) .*/\1/p' "$T_DIR/m0"); do
        grep -q "\`$n\`" docs/operating.md || { t_log "$n is not in docs/operating.md"; missing=1; }
    done
    [ "$missing" = 0 ] && [ -n "$n" ]
}
check "every metric is documented in docs/operating.md" documented
check "a path that is not served is 404" \
    [ "$(http_get "$(metrics_url 0 /nope)" "$T_DIR/nope")" = 404 ]
check "a POST is 405" [ "$(http_get "$(metrics_url 0 /metrics)" "$T_DIR/post" POST)" = 405 ]

# ---- counters follow the commits --------------------------------------------------
h0=$(metric 0 waybill_height)
e0=$(metric 0 waybill_events_committed_total)
check "the metrics height is the status height" [ "$h0" = "$(node_height 0)" ]
for k in 1 2 3; do
    check "event $k commits" submit 0 "urn:waybill:test:metrics:$k" commission --at NLRTM
done
rose() {
    local h e
    h=$(metric 0 waybill_height)
    e=$(metric 0 waybill_events_committed_total)
    [ -n "$h" ] && [ "$h" -gt "$h0" ] && [ "$e" -ge $((e0 + 3)) ]
}
check "waybill_height rises and events_committed_total counts the 3 events" wait_for 20 rose
same_events() { [ "$(metric 0 waybill_events_committed_total)" = "$(events_committed 0)" ]; }
check "events_committed_total is the status counter" wait_for 10 same_events
latency_counted() {
    local n
    n=$(sed -n 's/^waybill_commit_latency_seconds_count //p' "$T_DIR/scrape.0")
    [ -n "$n" ] && [ "$n" -ge 1 ]
}
check "the commit latency histogram counted heights" latency_counted
peer_bytes() {
    local p
    for p in node1 node2 node3; do
        grep -qE "^waybill_peer_received_bytes_total\{peer=\"$p\"\} [1-9]" "$T_DIR/scrape.0" ||
            { t_log "no bytes received from $p"; return 1; }
    done
}
check "bytes are counted per peer by validator name" peer_bytes
check "safety-record writes are counted" \
    grep -qE '^waybill_safety_record_writes_total [1-9]' "$T_DIR/scrape.0"
check "four validators, three of them a quorum, all connected" \
    grep -qzE 'waybill_validators 4.*waybill_quorum 3.*waybill_validators_connected 4' \
    "$T_DIR/scrape.0"

# ---- the alerting rules and a real Prometheus ---------------------------------------
rules_ok() {
    promtool check rules "$ALERTS" >"$T_DIR/rules.out" 2>&1 && return 0
    cat "$T_DIR/rules.out"
    return 1
}
check "promtool check rules passes on $ALERTS" rules_ok
docs_rules() {
    # The rules docs/operating.md shows are the file's, line for line.
    sed -n '/^    groups:$/,/^$/p' docs/operating.md | sed -e 's/^    //' -e '/^$/d' >"$T_DIR/docs-rules.yml"
    grep -v '^#' "$ALERTS" | diff - "$T_DIR/docs-rules.yml" >"$T_DIR/rules.diff" && return 0
    head -20 "$T_DIR/rules.diff"
    return 1
}
check "docs/operating.md shows the rules of $ALERTS" docs_rules
cp "$ALERTS" "$T_DIR/alerts.yml"
cat >"$T_DIR/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - alerts.yml
scrape_configs:
  - job_name: waybill
    static_configs:
      - targets: ["127.0.0.1:$M_BASE"]
EOF
config_ok() {
    promtool check config "$T_DIR/prometheus.yml" >"$T_DIR/config.out" 2>&1 && return 0
    cat "$T_DIR/config.out"
    return 1
}
check "promtool check config passes on the test's config" config_ok
prometheus --config.file="$T_DIR/prometheus.yml" --storage.tsdb.path="$T_DIR/prom" \
    --web.listen-address="127.0.0.1:$PROM_PORT" >"$T_DIR/prometheus.log" 2>&1 &
PROM_PID=$!
PROM="http://127.0.0.1:$PROM_PORT"
prom_ready() {
    kill -0 "$PROM_PID" 2>/dev/null || return 99
    [ "$(http_get "$PROM/-/ready" "$T_DIR/prom-ready")" = 200 ]
}
check "prometheus starts" wait_for 60 prom_ready
# prom_value QUERY: the value of the query's first sample, or nothing.
prom_value() {
    http_get "$PROM/api/v1/query?query=$1" "$T_DIR/prom-q" >/dev/null
    grep -o '"value":\[[^]]*\]' "$T_DIR/prom-q" | head -1 | sed -E 's/.*,"([^"]*)"\]$/\1/'
}
prom_height_matches() {
    local v h
    v=$(prom_value waybill_height)
    h=$(node_height 0)
    [ -n "$v" ] && [ "$v" = "$h" ] && t_log "prometheus: waybill_height $v, node0 at $h"
}
check "prometheus scraped waybill_height and it is node0's height" \
    wait_for 30 prom_height_matches
rules_loaded() {
    http_get "$PROM/api/v1/rules" "$T_DIR/prom-rules" >/dev/null
    grep -q '"name":"WaybillPeersBelowQuorum"' "$T_DIR/prom-rules" &&
        grep -q '"health":"ok"' "$T_DIR/prom-rules" && ! grep -q '"health":"err' "$T_DIR/prom-rules"
}
check "prometheus loaded and evaluates the alerting rules" wait_for 20 rules_loaded

# ---- health when the quorum goes --------------------------------------------------
node_kill 2
node_kill 3
no_quorum() {
    health_is "$1" /healthz 503 && grep -q "^no quorum: 2 of 4 validators connected, 3 needed" \
        "$T_DIR/health.$1"
}
check "node0's /healthz turns 503 naming the lost quorum" wait_for 30 no_quorum 0
t_log "node0 /healthz: $(cat "$T_DIR/health.0")"
check "node1's /healthz too" wait_for 30 no_quorum 1
check "and /readyz is 503 for the same reason" \
    eval 'health_is 0 /readyz 503 && grep -q "^no quorum" "$T_DIR/health.0"'
check "the metrics say 2 of 4 connected" \
    eval '[ "$(metric 0 waybill_validators_connected)" = 2 ]'
prom_sees_loss() { [ "$(prom_value waybill_validators_connected)" = 2 ]; }
check "prometheus sees the loss too" wait_for 20 prom_sees_loss

finish
