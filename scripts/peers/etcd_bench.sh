#!/usr/bin/env bash
# Copied from the team's shared peers/ folder (the etcd peer benchmark, our own script);
# only these two lines are new, so that a clone can run `make bench-compare` without it.
# etcd_bench.sh — peer benchmark: a 3-member etcd (v3.4, Debian) Raft cluster on
# loopback, driven with PUTs of ~300-byte values (distinct keys) through etcd's
# v3 JSON gRPC-gateway (POST /v3/kv/put) by wrk + a Lua script.
#
# Prints a summary; the LAST line of stdout is always of the form
#   etcd3 puts_per_s=NNNN p50_ms=X p99_ms=Y
# (concurrent phase; 2xx responses only). Exit status is non-zero if the
# cluster could not be started or the writes could not be verified.
#
# Knobs (environment variables, all optional):
#   TARGET=leader|all   leader: all load to the leader's client URL (default)
#                       all:    one wrk thread per member (wrk -t3), connections
#                               spread evenly over the 3 client URLs
#   THREADS=2 CONNS=64 DURATION=10   concurrent phase (wrk -t -c -d, seconds)
#   WARMUP=3                          warm-up seconds (not counted, own key prefix)
#   SINGLE_DURATION=8                 single-client phase (wrk -t1 -c1), 0 = skip
#   VALUE_SIZE=300                    value bytes (raw; base64 on the wire)
#   PORT_BASE=23700                   client ports PORT_BASE+10/+20/+30,
#                                     peer ports PORT_BASE+110/+120/+130
#   BENCH_TMPDIR=/tmp                 where the mktemp data dir goes (must be a
#                                     real disk, not tmpfs, for honest fsyncs)
#   RESULT_JSON=path                  also write the figures as JSON to this file
#   KEEP_LOGS=1                       copy etcd logs to ./etcd_bench_logs.<pid>/
#
# Only the processes this script starts are stopped (by PID); it never uses
# pkill/killall. Traffic goes to 127.0.0.1 only.
set -Eeuo pipefail
export LC_ALL=C

TARGET=${TARGET:-leader}
THREADS=${THREADS:-2}
CONNS=${CONNS:-64}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
SINGLE_DURATION=${SINGLE_DURATION:-8}
VALUE_SIZE=${VALUE_SIZE:-300}
PORT_BASE=${PORT_BASE:-23700}
BENCH_TMPDIR=${BENCH_TMPDIR:-/tmp}
RESULT_JSON=${RESULT_JSON:-}
KEEP_LOGS=${KEEP_LOGS:-0}
WRK_TIMEOUT=${WRK_TIMEOUT:-10s}

log()  { printf '[etcd_bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die()  { log "ERROR: $*"; exit 1; }

case "$TARGET" in
  leader) ;;
  all) THREADS=3; CONNS=$(( (CONNS / 3) * 3 )); [ "$CONNS" -ge 3 ] || CONNS=3 ;;
  *) die "TARGET must be 'leader' or 'all' (got '$TARGET')" ;;
esac
[ "$CONNS" -ge "$THREADS" ] || die "CONNS ($CONNS) must be >= THREADS ($THREADS)"
if [ $(( CONNS % THREADS )) -ne 0 ]; then
  die "CONNS ($CONNS) must be a multiple of THREADS ($THREADS) (wrk uses CONNS/THREADS per thread)"
fi

# ---------------------------------------------------------------- install ---
POLICY_RC_CREATED=0
install_deps() {
  local need=()
  command -v etcd    >/dev/null 2>&1 || need+=(etcd-server)
  command -v etcdctl >/dev/null 2>&1 || need+=(etcd-client)
  command -v wrk     >/dev/null 2>&1 || need+=(wrk)
  command -v curl    >/dev/null 2>&1 || need+=(curl)
  command -v jq      >/dev/null 2>&1 || need+=(jq)
  command -v dd      >/dev/null 2>&1 || need+=(coreutils)
  [ "${#need[@]}" -eq 0 ] && return 0
  local SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to apt-get install ${need[*]}"
    SUDO="sudo"
  fi
  log "installing missing packages: ${need[*]}"
  # The etcd-server package enables and starts a system etcd on 2379/2380.
  # We don't want it sharing the CPU, so block service starts during the
  # install unless a policy-rc.d already exists (then it decides).
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    POLICY_RC_CREATED=1
  fi
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
  if [ "$POLICY_RC_CREATED" = 1 ]; then
    $SUDO rm -f /usr/sbin/policy-rc.d
    POLICY_RC_CREATED=0
  fi
}

# ---------------------------------------------------------------- cleanup ---
WORKDIR=""
PIDS=()          # etcd member PIDs we started
WRK_PID=""
CLEANED=0
kill_ours() {    # kill_ours PID  — only if it is still one of ours (cmdline check)
  local pid=$1 i
  [ -n "$pid" ] || return 0
  [ -d "/proc/$pid" ] || return 0
  # guard against PID reuse: our etcd cmdlines contain WORKDIR, wrk's contains
  # the lua script in WORKDIR
  if [ -n "$WORKDIR" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$WORKDIR"; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
    if [ -d "/proc/$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
    wait "$pid" 2>/dev/null || true
  fi
}
cleanup() {
  [ "$CLEANED" = 1 ] && return 0
  CLEANED=1
  set +e
  kill_ours "$WRK_PID"
  local p
  for p in "${PIDS[@]}"; do kill_ours "$p"; done
  if [ "$POLICY_RC_CREATED" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
  if [ -n "$WORKDIR" ] && [ -d "$WORKDIR" ]; then
    if [ "$KEEP_LOGS" = 1 ]; then
      local keep="./etcd_bench_logs.$$"
      mkdir -p "$keep" && cp "$WORKDIR"/*.log "$WORKDIR"/*.out "$keep"/ 2>/dev/null
      log "logs kept in $keep"
    fi
    rm -rf -- "$WORKDIR"
  fi
  set -e
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM HUP
trap 'log "ERROR: command failed (status $?) at line $LINENO: $BASH_COMMAND"' ERR

# ------------------------------------------------------------------ setup ---
install_deps

ETCD_VER_LINE=$(etcd --version 2>/dev/null | awk -F': ' '/etcd Version/{print $2}')
ETCD_GO=$(etcd --version 2>/dev/null | awk -F': ' '/Go Version/{print $2}')
ETCDCTL_VER=$(ETCDCTL_API=3 etcdctl version 2>/dev/null | awk -F': ' '/etcdctl version/{print $2}')
ETCD_PKG=$(dpkg-query -W -f='${Version}' etcd-server 2>/dev/null || echo "?")
WRK_VER=$(wrk -v 2>&1 | head -1 | awk '{print $2}' || true)

# client/peer ports in the 23xx0 range, away from etcd's defaults (2379/2380)
CPORT=( $((PORT_BASE + 10)) $((PORT_BASE + 20)) $((PORT_BASE + 30)) )
PPORT=( $((PORT_BASE + 110)) $((PORT_BASE + 120)) $((PORT_BASE + 130)) )
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "${CPORT[@]}" "${PPORT[@]}"; do
  if port_busy "$p"; then die "port 127.0.0.1:$p already in use (set PORT_BASE=...)"; fi
done
if port_busy 2379; then
  log "WARNING: something (a system etcd?) listens on 127.0.0.1:2379; it is not ours and shares the CPU"
fi

mkdir -p "$BENCH_TMPDIR"
WORKDIR=$(mktemp -d "$BENCH_TMPDIR/etcd_bench.XXXXXX")
FSTYPE=$(findmnt -n -o FSTYPE -T "$WORKDIR" 2>/dev/null || stat -f -c %T "$WORKDIR" 2>/dev/null || echo "?")
if [ "$FSTYPE" = "tmpfs" ] || [ "$FSTYPE" = "ramfs" ]; then
  log "WARNING: $WORKDIR is on $FSTYPE: fsync is free there, figures will be optimistic (set BENCH_TMPDIR to a disk path)"
fi

# Unset any ETCD_* / ETCDCTL_* from the caller's environment: etcd reads them as flags.
for v in $(env | awk -F= '/^ETCD(CTL)?_/{print $1}'); do unset "$v"; done
export ETCDCTL_API=3

NAMES=(m1 m2 m3)
CURL=(curl -sS --max-time 10 --noproxy '*')
INITIAL_CLUSTER=""
for i in 0 1 2; do
  INITIAL_CLUSTER+="${INITIAL_CLUSTER:+,}${NAMES[$i]}=http://127.0.0.1:${PPORT[$i]}"
done
CLIENT_URLS=()
for i in 0 1 2; do CLIENT_URLS+=("http://127.0.0.1:${CPORT[$i]}"); done
ALL_EPS=$(IFS=,; echo "${CLIENT_URLS[*]}")

log "workdir $WORKDIR ($FSTYPE); starting 3 members: clients ${CPORT[*]}, peers ${PPORT[*]}"
for i in 0 1 2; do
  n=${NAMES[$i]}
  # defaults everywhere else: fsync on (3.4 has no way to turn it off),
  # snapshot-count 100000, heartbeat 100 ms, election 1000 ms, gRPC gateway on.
  etcd --name "$n" \
       --data-dir "$WORKDIR/$n.etcd" \
       --listen-client-urls "http://127.0.0.1:${CPORT[$i]}" \
       --advertise-client-urls "http://127.0.0.1:${CPORT[$i]}" \
       --listen-peer-urls "http://127.0.0.1:${PPORT[$i]}" \
       --initial-advertise-peer-urls "http://127.0.0.1:${PPORT[$i]}" \
       --initial-cluster "$INITIAL_CLUSTER" \
       --initial-cluster-token "etcd-bench-$$" \
       --initial-cluster-state new \
       --logger zap --log-outputs stderr \
       >"$WORKDIR/$n.out" 2>"$WORKDIR/$n.log" </dev/null &
  PIDS+=("$!")
done

# wait until all three report healthy (and a leader exists)
deadline=$(( SECONDS + 60 ))
until etcdctl --endpoints="$ALL_EPS" --dial-timeout=2s --command-timeout=3s endpoint health >/dev/null 2>&1; do
  for i in 0 1 2; do
    [ -d "/proc/${PIDS[$i]}" ] || { tail -20 "$WORKDIR/${NAMES[$i]}.log" >&2; die "member ${NAMES[$i]} exited during start-up"; }
  done
  [ "$SECONDS" -lt "$deadline" ] || die "cluster not healthy after 60 s"
  sleep 0.5
done
log "cluster healthy"

# which member is the leader? (the gateway renders uint64 ids as strings: exact)
LEADER_IDX=""
for _ in $(seq 1 40); do
  for i in 0 1 2; do
    st=$("${CURL[@]}" -X POST "${CLIENT_URLS[$i]}/v3/maintenance/status" -d '{}' || true)
    mid=$(jq -r '.header.member_id // empty' <<<"$st" 2>/dev/null || true)
    lid=$(jq -r '.leader // empty' <<<"$st" 2>/dev/null || true)
    if [ -n "$mid" ] && [ "$mid" = "$lid" ]; then LEADER_IDX=$i; fi
  done
  [ -n "$LEADER_IDX" ] && break
  sleep 0.25
done
[ -n "$LEADER_IDX" ] || die "could not identify the leader"
LEADER_URL=${CLIENT_URLS[$LEADER_IDX]}
SERVER_VER=$("${CURL[@]}" "$LEADER_URL/version" | jq -r '"\(.etcdserver) (cluster \(.etcdcluster))"')
log "leader is ${NAMES[$LEADER_IDX]} at $LEADER_URL; server $SERVER_VER"

b64() { printf '%s' "$1" | base64 -w0; }

# sanity: one PUT through the JSON gateway must work and be readable
probe=$("${CURL[@]}" -X POST "$LEADER_URL/v3/kv/put" \
        -d "{\"key\":\"$(b64 probe/key)\",\"value\":\"$(b64 probe-value)\"}") || die "gateway PUT failed"
jq -e '.header.revision' <<<"$probe" >/dev/null 2>&1 || die "gateway PUT returned unexpected body: $probe"
[ "$(etcdctl --endpoints="$LEADER_URL" get probe/key --print-value-only)" = "probe-value" ] \
  || die "probe key not readable via etcdctl"

# ------------------------------------------------------------ wrk script ---
LUA="$WORKDIR/put.lua"
cat >"$LUA" <<'LUA_EOF'
-- wrk script: POST /v3/kv/put with distinct keys <prefix><thread>/<counter>
-- env: BENCH_PREFIX, BENCH_VALUE_SIZE, BENCH_TARGETS ("host:port,host:port,..."
--      when set, thread i connects to target i (mod n)), BENCH_OUT (result file)
local prefix     = os.getenv("BENCH_PREFIX") or "bench/"
local value_size = tonumber(os.getenv("BENCH_VALUE_SIZE") or "300")
local targets    = os.getenv("BENCH_TARGETS") or ""
local out_file   = os.getenv("BENCH_OUT")

local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local enc = {}
for i = 1, 64 do enc[i - 1] = alphabet:sub(i, i) end
local function b64(s)
  local out, n = {}, #s
  for i = 1, n, 3 do
    local a, b, c = s:byte(i, i + 2)
    local v = a * 65536 + (b or 0) * 256 + (c or 0)
    local c1 = math.floor(v / 262144) % 64
    local c2 = math.floor(v / 4096) % 64
    local c3 = math.floor(v / 64) % 64
    local c4 = v % 64
    out[#out + 1] = enc[c1] .. enc[c2] .. (b and enc[c3] or "=") .. (c and enc[c4] or "=")
  end
  return table.concat(out)
end

-- main state: number the threads, optionally pin each to one member
local thread_no = 0
local target_list = {}
for t in string.gmatch(targets, "[^,]+") do target_list[#target_list + 1] = t end
function setup(thread)
  thread_no = thread_no + 1
  thread:set("tid", thread_no)
  if #target_list > 0 then
    local t = target_list[(thread_no - 1) % #target_list + 1]
    local host, port = t:match("^(.*):(%d+)$")
    thread.addr = wrk.lookup(host, port)[1]
  end
end

-- thread states
local counter = 0
local value_b64
function init(args)
  -- deterministic printable value of exactly value_size bytes
  local chars, v = {}, (tid or 1) * 7919
  for i = 1, value_size do
    v = (v * 1103515245 + 12345) % 2147483648
    chars[i] = string.char(97 + math.floor(v / 65536) % 26)
  end
  value_b64 = b64(table.concat(chars))
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  local key = string.format("%s%02d/%012d", prefix, tid or 0, counter)
  local body = '{"key":"' .. b64(key) .. '","value":"' .. value_b64 .. '"}'
  return wrk.format("POST", "/v3/kv/put", nil, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  local line = string.format(
    "requests=%d duration_us=%d non2xx=%d connect_err=%d read_err=%d write_err=%d timeout_err=%d " ..
    "lat_min_us=%d lat_mean_us=%.1f lat_p50_us=%d lat_p90_us=%d lat_p99_us=%d lat_p999_us=%d lat_max_us=%d\n",
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency.min, latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max)
  if out_file then
    local f = assert(io.open(out_file, "w")); f:write(line); f:close()
  end
  io.write("RESULT " .. line)
end
LUA_EOF

# --------------------------------------------------------------- helpers ---
CLK_TCK=$(getconf CLK_TCK)
proc_cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
box_cpu() { awk '/^cpu /{t=0; for (i=2;i<=NF;i++) t+=$i; print t, $5 + $6}' /proc/stat; } # total idle+iowait
metric() {  # metric URL NAME  -> value (0 if absent)
  "${CURL[@]}" "$1/metrics" | awk -v n="$2" '$1 == n {print $2; f=1} END {if (!f) print 0}'
}
kv() { sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" "$1"; }   # kv FILE KEY
revision() { etcdctl --endpoints="$LEADER_URL" get probe/key -w json | jq -r '.header.revision'; }
count_prefix() {  # count_prefix ENDPOINT PREFIX  (linearizable read on that member)
  # (etcdctl 3.4 has no --count-only; RangeResponse.count is the size of the
  #  whole range regardless of --limit, so limit 1 keeps the reply small)
  etcdctl --endpoints="$1" --command-timeout=30s get --prefix "$2" --keys-only --limit=1 -w json | jq -r '.count // 0'
}

if [ "$TARGET" = all ]; then
  WRK_URL=$LEADER_URL   # Host header only; each thread's socket address is set in setup()
  TARGETS_ENV=$(for i in 0 1 2; do printf '127.0.0.1:%s,' "${CPORT[$i]}"; done); TARGETS_ENV=${TARGETS_ENV%,}
  TARGET_DESC="spread over all 3 members (wrk thread i -> member i, $((CONNS / 3)) connections each)"
else
  WRK_URL=$LEADER_URL
  TARGETS_ENV=""
  TARGET_DESC="leader ${NAMES[$LEADER_IDX]} only ($LEADER_URL)"
fi

run_wrk() {  # run_wrk PREFIX THREADS CONNS SECONDS OUTFILE
  local prefix=$1 t=$2 c=$3 d=$4 out=$5
  BENCH_PREFIX="$prefix" BENCH_VALUE_SIZE="$VALUE_SIZE" BENCH_TARGETS="$TARGETS_ENV" BENCH_OUT="$out" \
    wrk -t"$t" -c"$c" -d"${d}s" --timeout "$WRK_TIMEOUT" -s "$LUA" "$WRK_URL" >"$out.stdout" 2>&1 &
  WRK_PID=$!
  local rc=0
  wait "$WRK_PID" || rc=$?
  WRK_PID=""
  [ "$rc" -eq 0 ] || { cat "$out.stdout" >&2; die "wrk exited with status $rc"; }
  [ -s "$out" ] || { cat "$out.stdout" >&2; die "wrk produced no result (Lua error?)"; }
}

# ------------------------------------------------------------ disk probe ---
# context for the fsync cost on this disk: 200 sequential 4 KiB O_DSYNC writes
DD_OUT=$(dd if=/dev/zero of="$WORKDIR/dsync.probe" bs=4096 count=200 oflag=dsync 2>&1 | tail -1 || true)
DD_S=$(awk -F', ' '{for (i=1;i<=NF;i++) if ($i ~ / s$/) {sub(/ s$/, "", $i); print $i}}' <<<"$DD_OUT")
DD_MS=$(awk -v s="${DD_S:-0}" 'BEGIN{printf "%.3f", s * 1000 / 200}')
rm -f "$WORKDIR/dsync.probe"

# ------------------------------------------------------------------ warm-up ---
if [ "$WARMUP" -gt 0 ]; then
  log "warm-up: wrk -t$THREADS -c$CONNS -d${WARMUP}s (prefix bench/w/, not counted)"
  run_wrk "bench/w/" "$THREADS" "$CONNS" "$WARMUP" "$WORKDIR/warmup.res"
  sleep 1
fi

# ---------------------------------------------------------- concurrent run ---
C_PREFIX="bench/c/"
REV0=$(revision)
FS_SUM0=(); FS_CNT0=()
for i in 0 1 2; do
  FS_SUM0+=("$(metric "${CLIENT_URLS[$i]}" etcd_disk_wal_fsync_duration_seconds_sum)")
  FS_CNT0+=("$(metric "${CLIENT_URLS[$i]}" etcd_disk_wal_fsync_duration_seconds_count)")
done
CPU0=(); for p in "${PIDS[@]}"; do CPU0+=("$(proc_cpu_ticks "$p")"); done
read -r BOX_T0 BOX_I0 < <(box_cpu)

log "concurrent: wrk -t$THREADS -c$CONNS -d${DURATION}s, target: $TARGET_DESC"
run_wrk "$C_PREFIX" "$THREADS" "$CONNS" "$DURATION" "$WORKDIR/conc.res"

read -r BOX_T1 BOX_I1 < <(box_cpu)
CPU1=(); for p in "${PIDS[@]}"; do CPU1+=("$(proc_cpu_ticks "$p")"); done
FS_SUM1=(); FS_CNT1=()
for i in 0 1 2; do
  FS_SUM1+=("$(metric "${CLIENT_URLS[$i]}" etcd_disk_wal_fsync_duration_seconds_sum)")
  FS_CNT1+=("$(metric "${CLIENT_URLS[$i]}" etcd_disk_wal_fsync_duration_seconds_count)")
done
REV1=$(revision)

C_REQ=$(kv "$WORKDIR/conc.res" requests)
C_NON2XX=$(kv "$WORKDIR/conc.res" non2xx)
C_DUR_US=$(kv "$WORKDIR/conc.res" duration_us)
C_SOCKERR=$(( $(kv "$WORKDIR/conc.res" connect_err) + $(kv "$WORKDIR/conc.res" read_err) \
            + $(kv "$WORKDIR/conc.res" write_err) + $(kv "$WORKDIR/conc.res" timeout_err) ))
C_OK=$(( C_REQ - C_NON2XX ))   # wrk counts status >= 400 as non-2xx; the gateway never sends 1xx/3xx
C_PUTS_S=$(awk -v n="$C_OK" -v us="$C_DUR_US" 'BEGIN{printf "%.0f", n / (us / 1e6)}')
ms() { awk -v u="$1" 'BEGIN{printf "%.2f", u / 1000}'; }
lmark() { if [ "$1" = "$LEADER_IDX" ]; then echo '(L)'; fi; }
C_P50=$(ms "$(kv "$WORKDIR/conc.res" lat_p50_us)")
C_P90=$(ms "$(kv "$WORKDIR/conc.res" lat_p90_us)")
C_P99=$(ms "$(kv "$WORKDIR/conc.res" lat_p99_us)")
C_P999=$(ms "$(kv "$WORKDIR/conc.res" lat_p999_us)")
C_MAX=$(ms "$(kv "$WORKDIR/conc.res" lat_max_us)")
C_MEAN=$(ms "$(kv "$WORKDIR/conc.res" lat_mean_us)")

BOX_BUSY=$(awk -v t0="$BOX_T0" -v t1="$BOX_T1" -v i0="$BOX_I0" -v i1="$BOX_I1" \
  'BEGIN{dt=t1-t0; if (dt<=0) {print "?"; exit} printf "%.0f", 100 * (dt - (i1 - i0)) / dt}')
CPU_DESC=""
for i in 0 1 2; do
  CPU_DESC+="${NAMES[$i]}$(lmark "$i")=$(awk -v a="${CPU0[$i]}" -v b="${CPU1[$i]}" -v h="$CLK_TCK" 'BEGIN{printf "%.1f", (b - a) / h}')s "
done
FS_DESC=""; FS_LEADER_CNT=0; FS_LEADER_MS="0"
for i in 0 1 2; do
  cnt=$(awk -v a="${FS_CNT0[$i]}" -v b="${FS_CNT1[$i]}" 'BEGIN{printf "%.0f", b - a}')
  mean=$(awk -v a="${FS_SUM0[$i]}" -v b="${FS_SUM1[$i]}" -v c="$cnt" 'BEGIN{if (c > 0) printf "%.2f", 1000 * (b - a) / c; else print "n/a"}')
  FS_DESC+="${NAMES[$i]}$(lmark "$i")=${cnt}x${mean}ms "
  if [ "$i" = "$LEADER_IDX" ]; then FS_LEADER_CNT=$cnt; FS_LEADER_MS=$mean; fi
done
PUTS_PER_FSYNC=$(awk -v n="$C_OK" -v f="$FS_LEADER_CNT" 'BEGIN{if (f > 0) printf "%.1f", n / f; else print "n/a"}')

# ------------------------------------------------------ single-client run ---
S_PREFIX="bench/s/"
S_OK=0; S_PUTS_S="n/a"; S_P50="n/a"; S_P99="n/a"; S_NON2XX=0; S_SOCKERR=0
if [ "$SINGLE_DURATION" -gt 0 ]; then
  sleep 1
  SAVED_TARGETS=$TARGETS_ENV; TARGETS_ENV=""   # single client always talks to the leader
  log "single client: wrk -t1 -c1 -d${SINGLE_DURATION}s -> leader"
  run_wrk "$S_PREFIX" 1 1 "$SINGLE_DURATION" "$WORKDIR/single.res"
  TARGETS_ENV=$SAVED_TARGETS
  S_REQ=$(kv "$WORKDIR/single.res" requests)
  S_NON2XX=$(kv "$WORKDIR/single.res" non2xx)
  S_OK=$(( S_REQ - S_NON2XX ))
  S_SOCKERR=$(( $(kv "$WORKDIR/single.res" connect_err) + $(kv "$WORKDIR/single.res" read_err) \
              + $(kv "$WORKDIR/single.res" write_err) + $(kv "$WORKDIR/single.res" timeout_err) ))
  S_PUTS_S=$(awk -v n="$S_OK" -v us="$(kv "$WORKDIR/single.res" duration_us)" 'BEGIN{printf "%.0f", n / (us / 1e6)}')
  S_P50=$(ms "$(kv "$WORKDIR/single.res" lat_p50_us)")
  S_P99=$(ms "$(kv "$WORKDIR/single.res" lat_p99_us)")
fi

# ------------------------------------------------------------ verification ---
# Count the keys under each measured prefix on every member (linearizable
# reads, so a follower answers only once it has applied up to the leader's
# commit index). Each 2xx PUT created one distinct key, so count >= 2xx count;
# it may exceed it by at most the requests still in flight when wrk stopped.
VERIFY_OK=1
C_KEYS=(); S_KEYS=()
for i in 0 1 2; do
  C_KEYS+=("$(count_prefix "${CLIENT_URLS[$i]}" "$C_PREFIX")")
  S_KEYS+=("$(count_prefix "${CLIENT_URLS[$i]}" "$S_PREFIX")")
done
for i in 0 1 2; do
  if [ "${C_KEYS[$i]}" -lt "$C_OK" ] || [ "${C_KEYS[$i]}" -gt $(( C_OK + CONNS )) ]; then VERIFY_OK=0; fi
  if [ "${S_KEYS[$i]}" -lt "$S_OK" ] || [ "${S_KEYS[$i]}" -gt $(( S_OK + 1 )) ]; then VERIFY_OK=0; fi
done
REV_DELTA=$(( REV1 - REV0 ))
if [ "$REV_DELTA" -lt "$C_OK" ]; then VERIFY_OK=0; fi
# spot check: one key written in the concurrent phase reads back with the right size
# (read from a follower, via gRPC rather than the gateway the load used)
SAMPLE_LEN=$(etcdctl --endpoints="${CLIENT_URLS[$(( (LEADER_IDX + 1) % 3 ))]}" get --prefix "$C_PREFIX" --limit=1 -w json \
             | jq -r '.kvs[0].value // ""' | base64 -d | wc -c)
[ "$SAMPLE_LEN" -eq "$VALUE_SIZE" ] || VERIFY_OK=0
DB_SIZE=$("${CURL[@]}" -X POST "$LEADER_URL/v3/maintenance/status" -d '{}' | jq -r '.dbSize')
# etcd's own overload signals over the whole run (warm-up included)
SLOW_WARN=""; LEADER_CHANGES=0
for i in 0 1 2; do
  SLOW_WARN+="${NAMES[$i]}=$(grep -c 'took too long' "$WORKDIR/${NAMES[$i]}.log" || true) "
done
LEADER_CHANGES=$(grep -hc 'elected leader' "$WORKDIR"/m?.log | awk '{s+=$1} END{print s - 3}')

# stop the cluster and remove the temp dir before printing, so that the
# summary's last line really is the last line of stdout
cleanup

# ----------------------------------------------------------------- summary ---
CPU_MODEL=$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)
cat <<EOF

==================== etcd peer benchmark ====================
etcd            : server $SERVER_VER (binary $ETCD_VER_LINE), etcdctl $ETCDCTL_VER, Debian pkg etcd-server $ETCD_PKG, built with $ETCD_GO
wrk             : $WRK_VER
host            : $(. /etc/os-release; echo "$PRETTY_NAME"), kernel $(uname -r), $(nproc) cores ($CPU_MODEL)
cluster         : 3 members on 127.0.0.1, client ports ${CPORT[*]}, peer ports ${PPORT[*]}
                  data dirs on $FSTYPE ($BENCH_TMPDIR), default durability (WAL fsync on every Raft ready batch)
disk probe      : 4 KiB O_DSYNC write = $DD_MS ms/op (dd, 200 ops)
workload        : PUT via JSON gateway POST /v3/kv/put, $VALUE_SIZE-byte values, distinct keys
load target     : $TARGET_DESC

concurrent      : wrk -t$THREADS -c$CONNS -d${DURATION}s (after ${WARMUP}s warm-up)
  2xx puts      : $C_OK in $(awk -v us="$C_DUR_US" 'BEGIN{printf "%.2f", us / 1e6}') s  ->  $C_PUTS_S puts/s
  non-2xx       : $C_NON2XX    socket errors/timeouts: $C_SOCKERR
  latency ms    : p50 $C_P50  p90 $C_P90  p99 $C_P99  p99.9 $C_P999  max $C_MAX  mean $C_MEAN
  WAL fsyncs    : ${FS_DESC}(count x mean); $PUTS_PER_FSYNC puts per leader fsync
  CPU           : box ${BOX_BUSY}% busy of $(nproc) cores; etcd CPU time ${CPU_DESC}(wrk = most of the rest)
single client   : wrk -t1 -c1 -d${SINGLE_DURATION}s -> leader
  2xx puts      : $S_OK  ->  $S_PUTS_S puts/s   non-2xx: $S_NON2XX  socket errors: $S_SOCKERR
  latency ms    : p50 $S_P50  p99 $S_P99
verification    : keys under $C_PREFIX on m1/m2/m3 = ${C_KEYS[0]}/${C_KEYS[1]}/${C_KEYS[2]} (2xx: $C_OK)
                  keys under $S_PREFIX on m1/m2/m3 = ${S_KEYS[0]}/${S_KEYS[1]}/${S_KEYS[2]} (2xx: $S_OK)
                  revision advanced $REV_DELTA during the concurrent phase; sample value $SAMPLE_LEN bytes; db size $DB_SIZE B
etcd logs       : 'took too long' warnings ${SLOW_WARN% }; leader changes after start-up: $LEADER_CHANGES
                  => $([ "$VERIFY_OK" = 1 ] && echo "OK: every 2xx PUT is present on all 3 members" || echo "FAILED")
=============================================================
EOF

if [ -n "$RESULT_JSON" ]; then
  jq -n --arg ver "$SERVER_VER" --arg target "$TARGET" \
    --argjson threads "$THREADS" --argjson conns "$CONNS" --argjson duration "$DURATION" \
    --argjson value_size "$VALUE_SIZE" \
    --argjson puts_ok "$C_OK" --argjson non2xx "$C_NON2XX" --argjson sock_err "$C_SOCKERR" \
    --argjson puts_per_s "$C_PUTS_S" --argjson p50 "$C_P50" --argjson p90 "$C_P90" --argjson p99 "$C_P99" \
    --argjson p999 "$C_P999" --argjson max "$C_MAX" \
    --arg single_puts_per_s "$S_PUTS_S" --arg single_p50 "$S_P50" --arg single_p99 "$S_P99" \
    --argjson keys_verified "${C_KEYS[$LEADER_IDX]}" --argjson verified "$VERIFY_OK" \
    --arg fsync_ms "$FS_LEADER_MS" --arg puts_per_fsync "$PUTS_PER_FSYNC" --arg disk_dsync_ms "$DD_MS" \
    '{system:"etcd3", version:$ver, target:$target, threads:$threads, connections:$conns,
      duration_s:$duration, value_size:$value_size,
      concurrent:{puts_2xx:$puts_ok, non2xx:$non2xx, socket_errors:$sock_err, puts_per_s:$puts_per_s,
                  p50_ms:$p50, p90_ms:$p90, p99_ms:$p99, p999_ms:$p999, max_ms:$max},
      single_client:{puts_per_s:($single_puts_per_s|tonumber? // null), p50_ms:($single_p50|tonumber? // null),
                     p99_ms:($single_p99|tonumber? // null)},
      keys_verified:$keys_verified, verified:($verified == 1),
      leader_wal_fsync_mean_ms:($fsync_ms|tonumber? // null),
      puts_per_leader_fsync:($puts_per_fsync|tonumber? // null),
      disk_4k_dsync_ms:($disk_dsync_ms|tonumber? // null)}' >"$RESULT_JSON"
fi

if [ "$VERIFY_OK" != 1 ]; then
  log "verification FAILED (see the summary above)"
  echo "etcd3 puts_per_s=$C_PUTS_S p50_ms=$C_P50 p99_ms=$C_P99"
  exit 1
fi
echo "etcd3 puts_per_s=$C_PUTS_S p50_ms=$C_P50 p99_ms=$C_P99"
