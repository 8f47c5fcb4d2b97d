#!/usr/bin/env bash
# Portico benchmark harness: Portico vs nginx vs HAProxy in front of one shared nginx origin,
# plus "direct" (the origin alone, the ceiling). See bench/README.md for what it measures and why.
#
#   bench/run.sh                         full run (9 load scenarios x 3 rounds x 10 s, + idle memory)
#   BENCH_QUICK=1 bench/run.sh           smoke check: scenario (a) only, 1 round of 3 s
#   BENCH_SCENARIOS="a f" bench/run.sh   only some scenarios
#   BENCH_QUICK=1 BENCH_SCENARIOS=w bench/run.sh   smoke check of the WAF scenario
#
# Everything it starts is tracked by pid and stopped on exit, including Ctrl-C. Every load is
# bounded by its own duration and, as a safety net, by `timeout`.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)

# ---------------------------------------------------------------------------------------------
# Settings (environment variables; README lists them)
# ---------------------------------------------------------------------------------------------
QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
  DURATION=${BENCH_DURATION:-3}; ROUNDS=${BENCH_ROUNDS:-1}; SCENARIOS=${BENCH_SCENARIOS:-a}
  WARMUP=${BENCH_WARMUP:-1}
else
  DURATION=${BENCH_DURATION:-10}; ROUNDS=${BENCH_ROUNDS:-3}; SCENARIOS=${BENCH_SCENARIOS:-a p b c d e f g h i w}
  WARMUP=${BENCH_WARMUP:-2}
fi
CONNECTIONS=${BENCH_CONNECTIONS:-50}
BIG_CONNECTIONS=${BENCH_BIG_CONNECTIONS:-1000}   # scenario (e)
H2_STREAMS=${BENCH_H2_STREAMS:-4}                # concurrent streams per h2 connection, scenario (c)
IDLE_CONNS=${BENCH_IDLE_CONNS:-10000}            # scenario (f)
PACE_MS=${BENCH_PACE_MS:-5}                      # scenario (p): each connection's pause between requests
IDLE_HOLD=${BENCH_IDLE_HOLD:-10}                 # seconds the idle connections are held
IDLE_WARMUP=${BENCH_IDLE_WARMUP:-3}              # seconds of load on each freshly started server before (f)
PORTICO_WARMUP=${BENCH_PORTICO_WARMUP:-60}       # seconds of unrecorded load on Portico alone before the scenarios (quick: 0)
[ "$QUICK" = 1 ] && PORTICO_WARMUP=${BENCH_PORTICO_WARMUP:-0}
PAUSE=${BENCH_PAUSE:-1}                          # seconds between runs, so one run's tail cannot leak into the next
LOAD_CPU=${BENCH_LOAD_CPU:-0}                    # core for wrk / h2load / the idle-connection client
SERVER_CPU=${BENCH_SERVER_CPU:-1}                # core shared by the origin and every proxy
PROXIES=(portico nginx haproxy direct)           # the order of each interleaved round (g: varnish in haproxy's place)
CODING=${BENCH_COMPRESSION_CODING:-gzip}         # Accept-Encoding of scenario (h)
PORTICO_ENV=${BENCH_PORTICO_ENV:-}               # extra environment for Portico only (see start())

# Ports on 127.0.0.1. The h2c ones are separate because a plain-text port serves either
# HTTP/1.1 or HTTP/2 with prior knowledge, not both (true for Portico, nginx 1.22 and HAProxy).
# BENCH_PORT_BASE moves them all (below the ephemeral range, away from ports tests like to use).
B=${BENCH_PORT_BASE:-24000}
ORIGIN_PORT=$((B + 80)); ORIGIN_H2_PORT=$((B + 81))
declare -A H1_PORT=([portico]=$((B + 100)) [nginx]=$((B + 200)) [haproxy]=$((B + 300)) [varnish]=$((B + 400)) [direct]=$ORIGIN_PORT [portico-waf]=$((B + 102)))
declare -A H2_PORT=([portico]=$((B + 101)) [nginx]=$((B + 201)) [haproxy]=$((B + 301)) [direct]=$ORIGIN_H2_PORT [portico-waf]=$((B + 103)))
# Scenario (w) runs a second Portico, "portico-waf": the same config with `waf: block` on its
# route (admin on B+110). Only started when (w) is asked for, so the other scenarios' Portico
# carries no rule set.
WANT_WAF=0; [[ " $SCENARIOS " == *" w "* ]] && WANT_WAF=1

RUN_DIR="$BENCH_DIR/results/$(date +%Y%m%d-%H%M%S)"
TMP="$RUN_DIR/tmp"      # generated configs, pid files, server logs
RAW="$RUN_DIR/raw"      # the untouched output of every load run
mkdir -p "$TMP" "$RAW"
NOTES="$RUN_DIR/notes.md"; : > "$NOTES"

log()  { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
note() { log "NOTE: $*"; printf -- '- %s\n' "$*" >> "$NOTES"; }
die()  { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------------------------------------
# Cleanup: stop every process this script started, by pid, on any exit (normal, error, Ctrl-C).
# ---------------------------------------------------------------------------------------------
STARTED_PIDS=()   # long-running servers
LOAD_PID=""       # the load generator currently running, if any
CLEANED=0
cleanup() {
  [ "$CLEANED" = 1 ] && return
  CLEANED=1
  local pid deadline
  if [ -n "$LOAD_PID" ]; then kill -TERM "$LOAD_PID" 2>/dev/null || true; fi
  for pid in "${STARTED_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # Graceful first (nginx and HAProxy stop their workers on TERM, Portico drains); then KILL
  # whatever is still there after 10 s.
  deadline=$((SECONDS + 10))
  for pid in "${STARTED_PIDS[@]}" $LOAD_PID; do
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
# Tools: install from Debian what is missing
# ---------------------------------------------------------------------------------------------
install_missing() {
  local need=() pair
  # command:package. varnish: the peer of Portico's cache in scenario (g); gcc: varnishd
  # compiles its VCL with the system C compiler.
  for pair in nginx:nginx haproxy:haproxy varnishd:varnish wrk:wrk h2load:nghttp2-client \
              curl:curl python3:python3 taskset:util-linux ss:iproute2 pgrep:procps gcc:gcc; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "${pair%%:*}" >/dev/null 2>&1 \
      || need+=("${pair##*:}")
  done
  # Scenario (w): the ModSecurity library and the OWASP Core Rule Set (files, not commands).
  if [ "$WANT_WAF" = 1 ]; then
    for pkg in libmodsecurity3 modsecurity-crs; do
      dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
    done
  fi
  if ((${#need[@]})); then
    log "installing from Debian: ${need[*]}"
    local sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get update -qq
    # policy-rc.d or no systemd: the packages' own services may not start, which is what we want;
    # this script runs its own instances with its own configs.
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
  fi
  export PATH="$PATH:/usr/sbin:/sbin"
  command -v dotnet >/dev/null 2>&1 || die "the .NET 10 SDK ('dotnet') is required to build Portico; Debian does not package it"
}
install_missing

# Many connections at once (1,000 in (e), 10,000 idle in (f), and a proxy holds two sockets per
# proxied request): raise the open-files limit for us and everything we start.
# Raising the hard limit needs CAP_SYS_RESOURCE; in a container without it we take the hard limit.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
FD_LIMIT=$(ulimit -n)
[ "$FD_LIMIT" -ge 65536 ] || note "open-files limit could only be raised to $FD_LIMIT (the hard limit); servers are configured to fit in it"
[ "$FD_LIMIT" -ge $((IDLE_CONNS + 1000)) ] || note "open-files limit $FD_LIMIT is too low for $IDLE_CONNS idle connections in (f)"

# Two cores: the load generator gets one, the servers the other, so the client never steals CPU
# from the thing it measures and every proxy shares its core with the same origin.
NCPU=$(nproc)
if [ "$NCPU" -lt 2 ]; then
  note "only $NCPU CPU: load generator and servers share it; figures are much noisier"
  LOAD_CPU=0; SERVER_CPU=0
fi
CLK_TCK=$(getconf CLK_TCK)

# ---------------------------------------------------------------------------------------------
# Build Portico
# ---------------------------------------------------------------------------------------------
# BENCH_PORTICO_FROM=worktree (default) builds the working tree, as scripts/run.sh does.
# BENCH_PORTICO_FROM=head builds the last commit from a copy under the run directory: useful
# while someone is editing src/ (a half-edited tree may not build) and it leaves src/ untouched.
PORTICO_FROM=${BENCH_PORTICO_FROM:-worktree}
case $PORTICO_FROM in
  worktree) PORTICO_SRC=$REPO_DIR ;;
  head)     PORTICO_SRC="$RUN_DIR/portico-head"; mkdir -p "$PORTICO_SRC"
            git -C "$REPO_DIR" archive HEAD | tar -x -C "$PORTICO_SRC" ;;
  *)        die "BENCH_PORTICO_FROM must be worktree or head" ;;
esac
# BENCH_PORTICO_BUILD=published (default) measures the release build operators install
# (scripts/publish.sh: self-contained, ReadyToRun, single file); =jit the framework-dependent
# build run by `dotnet portico.dll`, which starts on the JIT alone. Built into the run
# directory: a rebuild of src/ during the benchmark (by someone else) must not swap the files
# under the running proxy or the restart in scenario (f).
PORTICO_BUILD=${BENCH_PORTICO_BUILD:-published}
[ "$PORTICO_BUILD" = jit ] || [ -x "$PORTICO_SRC/scripts/publish.sh" ] || {
  PORTICO_BUILD=jit; note "this commit has no scripts/publish.sh; its framework-dependent build was measured"; }
log "building Portico ($PORTICO_BUILD) from the $([ "$PORTICO_FROM" = head ] && echo "last commit" || echo "working tree")"
case $PORTICO_BUILD in
  published) "$PORTICO_SRC/scripts/publish.sh" "$RUN_DIR/portico-bin" ;;
  jit)       (cd "$PORTICO_SRC" && dotnet build src/Portico -c Release -o "$RUN_DIR/portico-bin" --nologo -v quiet -clp:ErrorsOnly) ;;
  *)         die "BENCH_PORTICO_BUILD must be published or jit" ;;
esac >"$TMP/build.log" 2>&1 \
  || { cat "$TMP/build.log" >&2; die "Portico build failed (BENCH_PORTICO_FROM=head builds the last commit instead)"; }
if [ "$PORTICO_BUILD" = jit ]; then PORTICO=(dotnet "$RUN_DIR/portico-bin/portico.dll"); else PORTICO=("$RUN_DIR/portico-bin/portico"); fi

# ---------------------------------------------------------------------------------------------
# Process helpers: CPU time and memory of a server = the sum over its whole process tree
# ---------------------------------------------------------------------------------------------
# The pid and all its descendants (nginx: the master and its workers).
tree_pids() {
  local child
  echo "$1"
  for child in $(pgrep -P "$1" || true); do tree_pids "$child"; done
}

# utime+stime in clock ticks, summed over the tree; with "user" as second argument, utime alone
# (user space; the rest is the kernel's). /proc/PID/stat of a process already sums all its
# threads (the .NET runtime and HAProxy are multi-threaded).
cpu_ticks() {
  local total=0 pid stat rest fields
  for pid in $(tree_pids "$1"); do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    # Field 2 is "(command)" and may contain spaces; cut it off: what follows ") " is field 3 on.
    rest=${stat##*) }
    read -r -a fields <<< "$rest"
    total=$((total + fields[11]))                                # field 14 utime
    [ "${2:-}" = user ] || total=$((total + fields[12]))         # field 15 stime
  done
  echo "$total"
}

# A /proc/PID/status value in kB (VmHWM, VmRSS), summed over the tree.
status_kb() {
  local key=$1 total=0 pid v
  for pid in $(tree_pids "$2"); do
    v=$(awk -v k="$key:" '$1 == k { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

# Reset the peak RSS (VmHWM) to the current RSS, so each run reports its own peak rather than
# the highest since start-up (writing 5 to clear_refs, Linux >= 4.0, needs the owner or root).
reset_hwm() {
  local pid
  for pid in $(tree_pids "$1"); do echo 5 > "/proc/$pid/clear_refs" 2>/dev/null || true; done
}

# Busy CPU ticks of the whole machine (user+nice+system+irq+softirq, all CPUs), from /proc/stat.
machine_busy_ticks() { awk '/^cpu /{ print $2 + $3 + $4 + $7 + $8; exit }' /proc/stat; }
machine_total_ticks() { awk '/^cpu /{ t = 0; for (i = 2; i <= NF; i++) t += $i; print t; exit }' /proc/stat; }

# CPU ticks of this script's reaped children (the load generators among them): cutime+cstime,
# fields 16 and 17 of our own /proc/PID/stat.
children_ticks() {
  local stat rest fields
  stat=$(< "/proc/$$/stat"); rest=${stat##*) }
  read -r -a fields <<< "$rest"
  echo $((fields[13] + fields[14]))
}

# Share of the machine's CPU (both cores) busy over $1 seconds, in percent.
machine_busy_pct() {
  local b0 t0 b1 t1
  b0=$(machine_busy_ticks); t0=$(machine_total_ticks)
  sleep "$1"
  b1=$(machine_busy_ticks); t1=$(machine_total_ticks)
  echo $(( (b1 - b0) * 100 / ((t1 - t0) > 0 ? (t1 - t0) : 1) ))
}

port_free() { [ -z "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }

# Wait until URL answers 200, at most 30 s; give up at once if the server PID has exited.
wait_http() {
  local pid=$1 url=$2
  local deadline=$((SECONDS + 30))
  until curl -sf -o /dev/null --max-time 2 "$url"; do
    kill -0 "$pid" 2>/dev/null || return 1
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

# Start a long-running server pinned to the server core; remember its pid for cleanup.
# Usage: start_server NAME LOGFILE command...   (sets LAST_PID)
start_server() {
  local name=$1 logfile=$2; shift 2
  taskset -c "$SERVER_CPU" "$@" >>"$logfile" 2>&1 &   # append: a restart keeps the earlier log
  LAST_PID=$!
  STARTED_PIDS+=("$LAST_PID")
  log "started $name (pid $LAST_PID)"
}

# Run a load generator in the background and wait for it, so the INT/TERM trap runs at once on
# Ctrl-C (bash defers traps while a foreground child runs). `timeout` is the safety net in case
# a tool ignores its own duration.
bounded() {
  local limit=$1 out=$2; shift 2
  timeout -k 5 "$limit" "$@" >"$out" 2>&1 &
  LOAD_PID=$!
  local rc=0
  wait "$LOAD_PID" || rc=$?
  LOAD_PID=""
  return $rc
}

# ---------------------------------------------------------------------------------------------
# The origin: one nginx serving two fixed bodies, shared by every proxy
# ---------------------------------------------------------------------------------------------
for port in $ORIGIN_PORT $ORIGIN_H2_PORT "${H1_PORT[portico]}" "${H2_PORT[portico]}" $((B + 109)) "${H1_PORT[varnish]}" \
            "${H1_PORT[portico-waf]}" "${H2_PORT[portico-waf]}" $((B + 110)) \
            "${H1_PORT[nginx]}" "${H2_PORT[nginx]}" "${H1_PORT[haproxy]}" "${H2_PORT[haproxy]}"; do
  port_free "$port" || die "port $port on 127.0.0.1 is already in use"
done

# nginx creates its cache directory itself, owned by its worker user.
mkdir -p "$TMP/nginx" "$TMP/haproxy" "$TMP/portico" "$TMP/varnish" "$TMP/portico-waf"
# The origin's bodies and config (bench/lib/origin.sh); (h) and (i) send TEXT_BYTES of text.
TEXT_BYTES=102400
# shellcheck source=lib/origin.sh
. "$BENCH_DIR/lib/origin.sh"
chmod 755 "$RUN_DIR"
origin_setup "$TMP" "$FD_LIMIT" "$ORIGIN_PORT" "$ORIGIN_H2_PORT" "$TEXT_BYTES"

# ---------------------------------------------------------------------------------------------
# The proxies. Same duties for each: forward to the origin over pooled HTTP/1.1 keep-alive
# connections, add X-Forwarded-For (Portico adds X-Forwarded-* and Forwarded by default; the
# others are given the usual production equivalent), log nothing per request.
# ---------------------------------------------------------------------------------------------
# Portico: its defaults, one route for everything. Two listeners, since one plain-text port
# cannot serve HTTP/1.1 and h2c at once.
portico_yaml() {
  cat <<EOF
listeners:
  http: { address: "127.0.0.1:${H1_PORT[portico]}" }
  h2c:  { address: "127.0.0.1:${H2_PORT[portico]}", protocols: [h2c] }
routes:
  all: { match: { pathPrefix: / }, cluster: origin }
  cached: { match: { pathPrefix: /cached }, cluster: origin, cache: {} }   # (g)
  text: { match: { pathPrefix: /text }, cluster: origin, compression: {} } # (h), (i)
clusters:
  origin:
    destinations: [http://127.0.0.1:$ORIGIN_PORT]
EOF
}
# Builds with the observability sections: no access log (the others log nothing per request
# either); the admin listener (metrics, API) stays on, as in production, on a port of ours.
# Older builds refuse these keys, so keep them only if `portico check` accepts them.
{ portico_yaml; cat <<EOF; } > "$TMP/portico/portico.yaml"
accessLog: { enabled: false }
admin: { address: "127.0.0.1:$((B + 109))" }
EOF
if ! "${PORTICO[@]}" check -c "$TMP/portico/portico.yaml" >"$TMP/portico/check.log" 2>&1; then
  portico_yaml > "$TMP/portico/portico.yaml"
  "${PORTICO[@]}" check -c "$TMP/portico/portico.yaml" >"$TMP/portico/check.log" 2>&1 \
    || { cat "$TMP/portico/check.log" >&2; die "portico check refused the benchmark config"; }
  note "this Portico build has no accessLog/admin settings; it ran with its defaults"
fi

# Portico with the WAF for (w): the same file, two differences only: `waf: block` on the route
# (OWASP CRS 3.3 from Debian, paranoia 1, threshold 5: Portico's defaults) and its own ports.
# The audit log goes to a file; nothing in the load trips the rules, so it stays empty.
if [ "$WANT_WAF" = 1 ]; then
  sed -e "s/:${H1_PORT[portico]}\"/:${H1_PORT[portico-waf]}\"/; s/:${H2_PORT[portico]}\"/:${H2_PORT[portico-waf]}\"/" \
      -e "s/:$((B + 109))\"/:$((B + 110))\"/" \
      -e "s|cluster: origin }|cluster: origin, waf: block }|" \
      "$TMP/portico/portico.yaml" > "$TMP/portico-waf/portico.yaml"
  echo "waf: { auditLog: $TMP/portico-waf/waf-audit.log }" >> "$TMP/portico-waf/portico.yaml"
  if ! "${PORTICO[@]}" check -c "$TMP/portico-waf/portico.yaml" >"$TMP/portico-waf/check.log" 2>&1; then
    note "scenario (w) skipped: portico check refused the WAF config: $(head -1 "$TMP/portico-waf/check.log" | cut -c1-200)"
    WANT_WAF=0
  fi
fi

# nginx as a reverse proxy (bench/lib/nginx.sh).
# shellcheck source=lib/nginx.sh
. "$BENCH_DIR/lib/nginx.sh"
nginx_proxy_config "$TMP/nginx" "${H1_PORT[nginx]}" "${H2_PORT[nginx]}" "$ORIGIN_PORT" "$FD_LIMIT" > "$TMP/nginx/nginx.conf"

# HAProxy (bench/lib/haproxy.sh): one process; threads default to the CPUs it may run on (one,
# under taskset).
# shellcheck source=lib/haproxy.sh
. "$BENCH_DIR/lib/haproxy.sh"
haproxy_config "${H1_PORT[haproxy]}" "${H2_PORT[haproxy]}" "$ORIGIN_PORT" $((IDLE_CONNS + 2000)) "$FD_LIMIT" > "$TMP/haproxy/haproxy.cfg"

# Varnish (scenario (g) only): its defaults, the origin as its one backend, memory storage.
cat > "$TMP/varnish/default.vcl" <<EOF
vcl 4.1;
backend origin { .host = "127.0.0.1"; .port = "$ORIGIN_PORT"; }
EOF

# ---------------------------------------------------------------------------------------------
# Starting and stopping the servers. "direct" is the origin. Scenario (f) restarts each one, so
# this is a function.
# ---------------------------------------------------------------------------------------------
declare -A MAIN_PID=()
declare -A DIR_OF=([direct]=origin [portico]=portico [nginx]=nginx [haproxy]=haproxy [varnish]=varnish [portico-waf]=portico-waf)
start() {
  local name=$1 dir="$TMP/${DIR_OF[$1]}"
  case $name in
    # nginx: -p and -e keep it away from /etc/nginx and /var/log/nginx; "daemon off" keeps the
    # master as our child, so we know its pid.
    direct)  start_server origin "$dir/stdout.log" \
               nginx -p "$dir/" -e "$dir/error.log" -c "$dir/nginx.conf" -g 'daemon off;'
             ORIGIN_PID=$LAST_PID ;;
    nginx)   start_server nginx "$dir/stdout.log" \
               nginx -p "$dir/" -e "$dir/error.log" -c "$dir/nginx.conf" -g 'daemon off;' ;;
    # BENCH_PORTICO_ENV: extra VAR=value words for Portico's environment (runtime experiments,
    # e.g. DOTNET_TC_CallCountingDelayMs=0); empty by default: Portico runs as shipped.
    portico|portico-waf)
             start_server "$name" "$dir/stdout.log" env $PORTICO_ENV "${PORTICO[@]}" run -c "$dir/portico.yaml" ;;
    haproxy) start_server haproxy "$dir/stdout.log" haproxy -db -f "$dir/haproxy.cfg" ;;
    # -F: in the foreground, as our child; -n: its working directory under ours.
    varnish) start_server varnish "$dir/stdout.log" varnishd -F -a "127.0.0.1:${H1_PORT[varnish]}" \
               -f "$dir/default.vcl" -n "$dir/work" -s malloc,256m ;;
  esac
  MAIN_PID[$name]=$LAST_PID
  wait_http "$LAST_PID" "http://127.0.0.1:${H1_PORT[$name]}/1k" \
    || die "$name did not answer on port ${H1_PORT[$name]}; see $dir/"
}

# Stop one server (TERM, then KILL after 15 s) and forget its pid.
stop() {
  local name=$1 pid=${MAIN_PID[$1]} deadline=$((SECONDS + 15)) keep=() p
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for p in "${STARTED_PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
  STARTED_PIDS=("${keep[@]}")
  log "stopped $name (pid $pid)"
}

start direct   # the origin first: the proxies' readiness checks go through it
for proxy in portico nginx haproxy; do start "$proxy"; done
[ "$WANT_WAF" = 1 ] && start portico-waf
# Varnish takes part in (g) only.
if [[ " $SCENARIOS " == *" g "* ]]; then start varnish; fi
log "all servers up"

# Which servers really speak h2c (prior knowledge) on their h2 port: ask with curl.
declare -A H2_SKIP=()
for proxy in "${PROXIES[@]}"; do
  [ -n "${H2_PORT[$proxy]:-}" ] || continue
  v=$(curl -s -o /dev/null --max-time 5 --http2-prior-knowledge -w '%{http_version}' \
        "http://127.0.0.1:${H2_PORT[$proxy]}/1k" || true)
  [ "$v" = 2 ] || H2_SKIP[$proxy]="no h2c (prior knowledge) on port ${H2_PORT[$proxy]}"
done

# What each server really runs with, for the record.
note "nginx proxy: $(($(tree_pids "${MAIN_PID[nginx]}" | wc -l) - 1)) worker process(es) (worker_processes auto); HAProxy: $(awk '/^Threads:/{print $2}' "/proc/${MAIN_PID[haproxy]}/status") thread(s) in its process (nbthread default under taskset); origin nginx: 1 worker."

# ---------------------------------------------------------------------------------------------
# Environment header of the report
# ---------------------------------------------------------------------------------------------
git_rev=$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)
git_dirty=""
[ "$PORTICO_FROM" = worktree ] && git_dirty=$(git -C "$REPO_DIR" status --porcelain -- src 2>/dev/null | head -1)
env_row=""   # a row only when set: an empty line would end the markdown table
[ -n "$PORTICO_ENV" ] && env_row=$'\n'"| Portico environment | \`$PORTICO_ENV\` (BENCH_PORTICO_ENV) |"
cat > "$RUN_DIR/env.md" <<EOF
# Portico benchmark results

Generated by \`bench/run.sh\`$([ "$QUICK" = 1 ] && echo " in quick mode (BENCH_QUICK=1)") on $(date -u '+%Y-%m-%d %H:%M UTC').

| | |
|---|---|
| machine | $NCPU CPUs (\`nproc\`), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM |
| kernel | $(uname -r) |
| OS | $(. /etc/os-release && echo "$PRETTY_NAME") |
| Portico | $("${PORTICO[@]}" version 2>/dev/null | head -1), commit $git_rev$([ -n "$git_dirty" ] && echo " + uncommitted changes in src/") |$env_row
| nginx | $(nginx -v 2>&1 | sed 's/^nginx version: //') (origin and proxy) |
| HAProxy | $(haproxy -v 2>/dev/null | head -1 | awk '{print $3}') |
| .NET | SDK $(dotnet --version), $(dotnet --list-runtimes | awk '/Microsoft.AspNetCore.App/{v=$2} END{print "ASP.NET Core " v}') |
| load generators | $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}'), $(h2load --version | head -1) |
| CPU pinning | load generator on core $LOAD_CPU (\`taskset -c $LOAD_CPU\`); origin and all proxies on core $SERVER_CPU (\`taskset -c $SERVER_CPU\`) |
| settings | $ROUNDS round(s) of ${DURATION}s per proxy and scenario, interleaved (${PROXIES[*]}), ${WARMUP}s warm-up each (Portico first ${PORTICO_WARMUP}s alone); $CONNECTIONS connections; (c) $CONNECTIONS h2 connections × $H2_STREAMS streams; (e) $BIG_CONNECTIONS connections; (f) $IDLE_CONNS idle connections held ${IDLE_HOLD}s |
EOF

# ---------------------------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------------------------
declare -A TITLE=(
  [a]="(a) HTTP/1.1 keep-alive, GET /1k, $CONNECTIONS connections (wrk)"
  [p]="(p) p99 at the same offered load: GET /1k over $CONNECTIONS keep-alive connections, each pausing ${PACE_MS} ms after every response (wrk; at most $((CONNECTIONS * 1000 / PACE_MS)) req/s, below every server's capacity, so all see nearly the same load)"
  [b]="(b) HTTP/1.1 keep-alive, GET /100k, $CONNECTIONS connections (wrk)"
  [c]="(c) HTTP/2 h2c front, GET /1k, $CONNECTIONS connections × $H2_STREAMS streams (h2load); HTTP/1.1 to the origin"
  [d]="(d) New connection per request (Connection: close), GET /1k, $CONNECTIONS connections (wrk)"
  [e]="(e) $BIG_CONNECTIONS concurrent keep-alive connections, GET /1k (wrk)"
  [w]="(w) WAF cost: Portico with and without \`waf: block\` (OWASP CRS 3.3, paranoia 1), browser-like GET /1k?q=… , $CONNECTIONS connections (wrk)"
  [f]="(f) Memory with $IDLE_CONNS idle keep-alive connections"
  [g]="(g) Cache hit: GET /cached/1k (origin: max-age=3600), HTTP/1.1 keep-alive, $CONNECTIONS connections (wrk); Portico cache vs nginx proxy_cache vs Varnish"
  [h]="(h) Compression: GET /text/100k (100 KiB of text) with Accept-Encoding: $CODING, $CONNECTIONS connections (wrk)"
  [i]="(i) The same text uncompressed (no Accept-Encoding): the baseline for compression cost per MiB"
)
printf 'id\ttitle\tcount\n' > "$RUN_DIR/scenarios.tsv"
printf 'scenario\tround\tproxy\trequests\tduration_us\tp50_us\tp99_us\terrors\tproxy_ticks\torigin_ticks\tproxy_hwm_kb\torigin_hwm_kb\tother_ticks\tproxy_user_ticks\n' > "$RUN_DIR/runs.tsv"
printf 'scenario\tproxy\treason\n' > "$RUN_DIR/skips.tsv"
printf 'proxy\topened\tfailed\tbefore_kb\tholding_kb\tafter_close_kb\topen_seconds\n' > "$RUN_DIR/idle.tsv"

# One load run of scenario $1 against $2 for $3 seconds; writes the raw output to $4 and its
# one-line summary ("BENCH requests=... p99_us=...") to $4.summary.
load() {
  local sc=$1 proxy=$2 dur=$3 out=$4
  local h1="http://127.0.0.1:${H1_PORT[$proxy]}" h2="http://127.0.0.1:${H2_PORT[$proxy]:-}"
  local wrk=(taskset -c "$LOAD_CPU" wrk -t 1 -d "${dur}s" --timeout 5s --latency -s "$BENCH_DIR/lib/summary.lua")
  local rc=0
  case $sc in
    a) bounded $((dur + 30)) "$out" "${wrk[@]}" -c "$CONNECTIONS" "$h1/1k" || rc=$? ;;
    # The same request as (a) through a script that paces each connection (bench/lib/paced.lua).
    p) bounded $((dur + 30)) "$out" env BENCH_LIB="$BENCH_DIR/lib" BENCH_PACE_MS="$PACE_MS" taskset -c "$LOAD_CPU" wrk -t 1 -d "${dur}s" \
         --timeout 5s --latency -s "$BENCH_DIR/lib/paced.lua" -c "$CONNECTIONS" "$h1/1k" || rc=$? ;;
    b) bounded $((dur + 30)) "$out" "${wrk[@]}" -c "$CONNECTIONS" "$h1/100k" || rc=$? ;;
    c) bounded $((dur + 30)) "$out" taskset -c "$LOAD_CPU" h2load -t 1 -c "$CONNECTIONS" -m "$H2_STREAMS" \
         -D "$dur" --log-file="$out.log" "$h2/1k" || rc=$?
       [ $rc -eq 0 ] && { python3 "$BENCH_DIR/lib/h2load_summary.py" "$out" "$out.log" > "$out.summary" || rc=$?; }
       rm -f "$out.log"   # hundreds of thousands of lines; the summary keeps what matters
       return $rc ;;
    d) bounded $((dur + 30)) "$out" "${wrk[@]}" -c "$CONNECTIONS" -H 'Connection: close' "$h1/1k" || rc=$? ;;
    e) bounded $((dur + 60)) "$out" "${wrk[@]}" -c "$BIG_CONNECTIONS" "$h1/1k" || rc=$? ;;
    # The headers and query string of a browser's request, so the rules have something to read;
    # the same request for portico and portico-waf.
    w) bounded $((dur + 30)) "$out" "${wrk[@]}" -c "$CONNECTIONS" -H 'Host: shop.example.com' \
         -H 'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36' \
         -H 'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' -H 'Accept-Language: en-GB,en;q=0.9' \
         -H 'Cookie: session=4f9c2a7e1b3d5f60; theme=dark' "$h1/1k?q=running+shoes&size=42&page=2" || rc=$? ;;
    g) bounded $((dur + 30)) "$out" "${wrk[@]}" -c "$CONNECTIONS" "$h1/cached/1k" || rc=$? ;;
    h) bounded $((dur + 30)) "$out" "${wrk[@]}" -c "$CONNECTIONS" -H "Accept-Encoding: $CODING" "$h1/text/100k" || rc=$? ;;
    i) bounded $((dur + 30)) "$out" "${wrk[@]}" -c "$CONNECTIONS" "$h1/text/100k" || rc=$? ;;
  esac
  grep '^BENCH ' "$out" > "$out.summary" || rc=1
  return $rc
}

# Measured run: CPU ticks of the proxy's and the origin's process trees before and after,
# peak RSS of this run, the load's own numbers; one line into runs.tsv.
measure() {
  local sc=$1 round=$2 proxy=$3
  local out="$RAW/$sc-$proxy-r$round.txt"
  local ppid=${MAIN_PID[$proxy]} p0="-" p1="-" u0=0 u1=0 o0 o1 phwm="-"
  [ "$proxy" != direct ] && { reset_hwm "$ppid"; p0=$(cpu_ticks "$ppid"); u0=$(cpu_ticks "$ppid" user); }
  reset_hwm "$ORIGIN_PID"
  o0=$(cpu_ticks "$ORIGIN_PID")
  local m0 m1 c0 c1
  c0=$(children_ticks); m0=$(machine_busy_ticks)
  if ! load "$sc" "$proxy" "$DURATION" "$out"; then
    note "scenario ($sc) $proxy round $round: the load tool failed; see ${out#"$REPO_DIR"/}"
    return 0
  fi
  m1=$(machine_busy_ticks); c1=$(children_ticks)
  o1=$(cpu_ticks "$ORIGIN_PID")
  [ "$proxy" != direct ] && { p1=$(cpu_ticks "$ppid"); u1=$(cpu_ticks "$ppid" user); phwm=$(status_kb VmHWM "$ppid"); }
  local ohwm; ohwm=$(status_kb VmHWM "$ORIGIN_PID")
  local -A r=()
  local kv
  for kv in $(cut -d' ' -f2- "$out.summary"); do r[${kv%%=*}]=${kv#*=}; done
  local pt="-" ut="-"; [ "$proxy" != direct ] && { pt=$((p1 - p0)); ut=$((u1 - u0)); }
  # CPU the machine spent on anything but the servers under test and the load generator
  # (a concurrently running test suite, say). Never below 0: accounting differs slightly.
  local other=$(( (m1 - m0) - (o1 - o0) - (c1 - c0) - (${pt/-/0}) ))
  [ "$other" -ge 0 ] || other=0
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$sc" "$round" "$proxy" "${r[requests]}" \
    "${r[duration_us]}" "${r[p50_us]}" "${r[p99_us]}" "${r[errors]}" "$pt" $((o1 - o0)) "$phwm" "$ohwm" "$other" "$ut" \
    >> "$RUN_DIR/runs.tsv"
  local rps=$(( ${r[requests]} * 1000000 / (${r[duration_us]} > 0 ? ${r[duration_us]} : 1) ))
  log "  ($sc) round $round $proxy: $rps req/s, p99 $((${r[p99_us]} / 1000)).$(printf '%03d' $((${r[p99_us]} % 1000))) ms, errors ${r[errors]}"
  [ "${r[errors]}" = 0 ] || note "scenario ($sc) $proxy round $round: ${r[errors]} error(s); see ${out#"$REPO_DIR"/}"
}

# Scenario (f): hold IDLE_CONNS idle keep-alive connections to each server, one server at a time.
idle_memory() {
  local proxy pid pids out line
  for proxy in "${PROXIES[@]}"; do
    # A fresh process, warmed up by a short load: memory left over from the earlier scenarios
    # (allocator free lists, a grown GC heap) would otherwise absorb the new connections and
    # hide their cost; a cold .NET process would count its JIT and start-up allocations instead.
    stop "$proxy"
    start "$proxy"
    load a "$proxy" "$IDLE_WARMUP" "$RAW/f-$proxy-warmup.txt" || true
    pid=${MAIN_PID[$proxy]}
    pids=$(tree_pids "$pid" | paste -sd,)
    out="$RAW/f-$proxy.txt"
    log "  (f) $proxy: opening $IDLE_CONNS connections, holding ${IDLE_HOLD}s"
    bounded $((IDLE_HOLD + 200)) "$out" taskset -c "$LOAD_CPU" python3 "$BENCH_DIR/lib/idle_conns.py" \
      --port "${H1_PORT[$proxy]}" --path /1k --count "$IDLE_CONNS" --hold "$IDLE_HOLD" \
      --pids "$pids" --deadline 150 || { note "scenario (f) $proxy: the idle-connection client failed; see ${out#"$REPO_DIR"/}"; continue; }
    line=$(grep '^IDLE ' "$out") || { note "scenario (f) $proxy: no result line"; continue; }
    local -A r=()
    local kv
    for kv in ${line#IDLE }; do r[${kv%%=*}]=${kv#*=}; done
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$proxy" "${r[opened]}" "${r[failed]}" "${r[before_kb]}" \
      "${r[holding_kb]}" "${r[after_close_kb]}" "${r[open_seconds]}" >> "$RUN_DIR/idle.tsv"
    log "  (f) $proxy: held ${r[opened]} (failed ${r[failed]}), RSS $((${r[before_kb]} / 1024)) -> $((${r[holding_kb]} / 1024)) MiB"
    [ "${r[failed]}" = 0 ] || note "scenario (f) $proxy: ${r[failed]} connection(s) could not be opened; see ${out#"$REPO_DIR"/}"
    sleep 3   # let the closed connections drain before the next server
  done
}

# Anything else running on this small machine (a test suite, a build) skews every figure. Wait a
# while for it to calm down; each run also records the CPU used outside the benchmark.
QUIET_WAIT=${BENCH_WAIT_QUIET:-120}
busy=$(machine_busy_pct 2)
if [ "$busy" -gt 10 ]; then
  log "the machine is ${busy}% busy before we start; waiting up to ${QUIET_WAIT}s for it to calm down"
  deadline=$((SECONDS + QUIET_WAIT))
  while [ "$busy" -gt 10 ] && [ $SECONDS -lt $deadline ]; do busy=$(machine_busy_pct 5); done
  [ "$busy" -le 10 ] || note "the machine was still ${busy}% busy with other work when the benchmark started; see the 'other load' column"
fi

# Portico reaches its steady speed only once .NET's tiered JIT has recompiled each path's hot
# code with profile data: 30-60 s of traffic on a saturated core (bench/README.md, "Reading the
# results"); nginx and HAProxy need no such time. So Portico alone first gets PORTICO_WARMUP
# seconds of the kinds of request the chosen scenarios will send it (the fast path, h2c through
# the full pipeline, cache hits, compression), round-robin in 5 s pieces, none of it recorded.
if [ "$PORTICO_WARMUP" -gt 0 ]; then
  kinds=()
  for sc in $SCENARIOS; do
    case $sc in a|p|b|d|e) k=a ;; c) k=c ;; g) k=g ;; h|i) k=h ;; *) continue ;; esac
    [[ " ${kinds[*]:-} " == *" $k "* ]] || kinds+=("$k")
  done
  if [ ${#kinds[@]} -gt 0 ]; then
    log "warming Portico up for ${PORTICO_WARMUP}s (${kinds[*]}), not recorded"
    left=$PORTICO_WARMUP
    while [ "$left" -gt 0 ]; do
      for k in "${kinds[@]}"; do
        [ "$left" -gt 0 ] || break
        piece=$(( left < 5 ? left : 5 ))
        load "$k" portico "$piece" "$RAW/portico-warmup-$k.txt" || true
        left=$((left - piece))
      done
    done
  fi
fi

for sc in $SCENARIOS; do
  [ -n "${TITLE[$sc]:-}" ] || die "unknown scenario '$sc' (use a p b c d e f g h i w)"
  count=""; [ "$sc" = f ] && count=$IDLE_CONNS; [[ $sc == [hi] ]] && count=$TEXT_BYTES
  printf '%s\t%s\t%s\n' "$sc" "${TITLE[$sc]}" "$count" >> "$RUN_DIR/scenarios.tsv"
  log "scenario ${TITLE[$sc]}"
  if [ "$sc" = f ]; then idle_memory; continue; fi

  active=()
  round_proxies=("${PROXIES[@]}")
  # (g): the caches, Varnish in HAProxy's place. (w): Portico against itself, the route with
  # the WAF and the same route without it.
  [ "$sc" = g ] && round_proxies=(portico nginx varnish direct)
  if [ "$sc" = w ]; then
    [ "$WANT_WAF" = 1 ] || { note "scenario (w) skipped (see above)"; continue; }
    round_proxies=(portico portico-waf)
  fi
  for proxy in "${round_proxies[@]}"; do
    if [ "$sc" = c ] && [ -n "${H2_SKIP[$proxy]:-}" ]; then
      printf 'c\t%s\t%s\n' "$proxy" "${H2_SKIP[$proxy]}" >> "$RUN_DIR/skips.tsv"
      note "scenario (c): $proxy skipped: ${H2_SKIP[$proxy]}"
      continue
    fi
    active+=("$proxy")
  done
  if [ "$sc" = g ]; then
    printf 'g\thaproxy\t%s\n' "no cache configured" >> "$RUN_DIR/skips.tsv"
    # Each cache stores the response before the measured rounds; a miss would show as origin CPU.
    for proxy in portico nginx varnish; do curl -sf -o /dev/null --max-time 5 "http://127.0.0.1:${H1_PORT[$proxy]}/cached/1k" || true; done
  fi

  # Warm-up, not recorded: JIT tiering in .NET, connection pools and caches everywhere.
  if [ "$WARMUP" -gt 0 ]; then
    for proxy in "${active[@]}"; do
      load "$sc" "$proxy" "$WARMUP" "$RAW/$sc-$proxy-warmup.txt" || true
      sleep "$PAUSE"
    done
  fi
  # Interleaved rounds (A B C D A B C D ...): slow drifts of the machine hit every proxy alike.
  for round in $(seq 1 "$ROUNDS"); do
    for proxy in "${active[@]}"; do
      measure "$sc" "$round" "$proxy"
      sleep "$PAUSE"
    done
  done
done

# Anything the servers complained about goes into the notes.
for f in "$TMP/origin/error.log" "$TMP/nginx/error.log"; do
  if [ -s "$f" ]; then note "$(basename "$(dirname "$f")") error log has $(wc -l < "$f") line(s), e.g.: $(head -1 "$f" | cut -c1-200)"; fi
done
if grep -qiE 'warn|fail|error' "$TMP/portico/stdout.log"; then
  note "Portico logged $(grep -ciE 'warn|fail|error' "$TMP/portico/stdout.log") warning/error line(s), e.g.: \`$(grep -iE 'warn|fail|error' "$TMP/portico/stdout.log" | head -1 | cut -c1-220)\`"
fi
if grep -qE '^\[(WARNING|ALERT)\]' "$TMP/haproxy/stdout.log"; then
  note "HAProxy warnings: $(grep -E '^\[(WARNING|ALERT)\]' "$TMP/haproxy/stdout.log" | head -2 | tr '\n' ' ' | cut -c1-300)"
fi

# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
python3 "$BENCH_DIR/lib/report.py" "$RUN_DIR" "$CLK_TCK" "$NCPU" > "$RUN_DIR/RESULTS.md"
cat "$RUN_DIR/RESULTS.md"
# A quick smoke run must not replace the results of a real run.
if [ "$QUICK" != 1 ] || [ "${BENCH_WRITE_RESULTS:-0}" = 1 ]; then
  # The hand-written history at the end of bench/RESULTS.md (from its "## Performance history"
  # heading on) outlives each report; the new report takes the place of the old one above it.
  if [ -f "$BENCH_DIR/RESULTS.md" ]; then
    sed -n '/^## Performance history$/,$p' "$BENCH_DIR/RESULTS.md" > "$RUN_DIR/history.md"
  fi
  cp "$RUN_DIR/RESULTS.md" "$BENCH_DIR/RESULTS.md"
  if [ -s "$RUN_DIR/history.md" ]; then
    { echo; cat "$RUN_DIR/history.md"; } >> "$BENCH_DIR/RESULTS.md"
  fi
  log "report written to bench/RESULTS.md (raw data: ${RUN_DIR#"$REPO_DIR"/})"
else
  log "quick mode: report in ${RUN_DIR#"$REPO_DIR"/}/RESULTS.md (bench/RESULTS.md left as it was)"
fi
