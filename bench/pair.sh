#!/usr/bin/env bash
# Two Portico builds side by side under the same load at the same time, for measuring one
# change: each gets its own wrk (keep-alive GET of 1 KiB), both run on the same core with one
# shared nginx origin, and each round reports each build's CPU time per request (utime+stime
# from /proc ÷ requests completed) and their ratio. Because the two are measured in the same
# seconds, whatever else the machine does weighs on both alike: on this 2-core VM the ratio
# stayed within ±2 % from round to round, where bench/run.sh's interleaved rounds of one
# server move by 10-40 %.
#
#   bench/pair.sh REV_A [REV_B]     builds each (a commit, branch or tag; REV_B defaults to the
#                                   working tree) in Release and compares B with A
#   bench/pair.sh exe:PATH_A exe:PATH_B   two builds made already, e.g. two release binaries
#                                   (scripts/publish.sh OUT_DIR: its OUT_DIR/portico), no build
#                                   here: what a publish setting costs in the steady state
#   bench/pair.sh haproxy [REV_B]   HAProxy (bench/run.sh's config, bench/lib/haproxy.sh) as A:
#                                   Portico against HAProxy in the same seconds
#   bench/pair.sh nginx [REV_B]     nginx as a proxy (bench/run.sh's config, bench/lib/nginx.sh,
#                                   its master and workers counted together) as A
#   PAIR_ROUNDS=6 PAIR_DURATION=8 PAIR_WARMUP=30 PAIR_CONNECTIONS=25 PAIR_PATH=/1k
#   PAIR_ENV_A="VAR=value ..." PAIR_ENV_B="..."   extra environment for one build, e.g.
#                                   bench/pair.sh HEAD HEAD with PAIR_ENV_B=PORTICO_TRANSPORT=sockets
#   PAIR_ROUTE=", rateLimit: {...}" more keys for the measured route `all` (YAML flow mapping
#                                   entries), e.g. a rate limit and header rules: a feature route
#   PAIR_ROUTE_A=... PAIR_ROUTE_B=...  the same for one build only (in place of PAIR_ROUTE): with
#                                   one revision twice (bench/pair.sh HEAD HEAD, built once), what
#                                   one route costs against another in the same seconds
#   PAIR_HEADER="Accept-Encoding: gzip"   a request field wrk sends (HTTP/1.1 loads), e.g. with
#                                   PAIR_PATH=/nostore/16k (bench/feature_cost.sh's text, no-store)
#   PAIR_TLS=1                      both builds listen with TLS (an ECDSA P-256 certificate made
#                                   here with openssl; h2 and http/1.1 offered, wrk speaks
#                                   HTTP/1.1 over TLS 1.3 on kept-alive connections)
#   PAIR_CLOSE=1                    a new connection per request: wrk sends "Connection: close",
#                                   so each request pays accept, connection setup and teardown
#                                   (with PAIR_TLS=1, a TLS handshake each, resumed: wrk's
#                                   SSL_clear keeps the session for the next connection)
#   PAIR_S_TIME=reuse|new           a new TLS connection per request from `openssl s_time`
#                                   (PAIR_S_TIME_CLIENTS, default 2, per build; implies PAIR_TLS=1)
#                                   in place of wrk: `reuse` resumes one session on every
#                                   connection (TLS 1.3 tickets), `new` makes a full handshake
#                                   each; "B/A" is then CPU per connection (GET /1k over HTTP/1.0)
#   PAIR_TLS_CLOSE=reuse|new        the same with HTTP/1.1 requests (`Connection: close`, which
#                                   the fast path takes; s_time's HTTP/1.0 goes to the full
#                                   pipeline): bench/lib/tls_close_client.py, PAIR_S_TIME_CLIENTS
#                                   of it per build; `reuse` offers the ticket of the connection
#                                   before, as a browser does
#   PAIR_H2=1                       HTTP/2 instead: h2load -c PAIR_CONNECTIONS (default 50 here)
#                                   -m PAIR_STREAMS (default 4) in place of wrk; h2c with prior
#                                   knowledge (a listener with `protocols: [h2c]`; HAProxy's h2c
#                                   port as A), or with PAIR_TLS=1 h2 chosen by ALPN
#   PAIR_PACED=1                    scenario (p) of bench/run.sh: each of PAIR_CONNECTIONS (default
#                                   50 here) pauses PAIR_PACE_MS (5) after every response
#                                   (bench/lib/paced.lua), so both serve the same moderate load
#                                   (at most 10,000 req/s each) rather than all they can; each
#                                   round also gives each one's p50 and p99 (wrk's), and the
#                                   median of the rounds' p99 ratios
#   PAIR_SYSCALLS=1                 also count, for each build in each round, its context switches
#                                   and system calls per request (perf stat on the whole process:
#                                   sends and receives, futex for thread hand-offs, epoll_wait for
#                                   the loop's wake-ups, accept4 and setsockopt for a connection's
#                                   start), in the same seconds as the CPU figures;
#                                   the tracing costs each process CPU in proportion to its system
#                                   calls, so take B/A from a run without it
#
# Needs what bench/run.sh installs (nginx, wrk); run that once first on a fresh machine. Only
# 127.0.0.1 is loaded; every wrk stops after its duration (and `timeout` backs it up); every
# process started is stopped on exit.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
REV_A=${1:?usage: bench/pair.sh REV_A [REV_B]}
REV_B=${2:-worktree}
ROUNDS=${PAIR_ROUNDS:-6}
DURATION=${PAIR_DURATION:-8}
WARMUP=${PAIR_WARMUP:-30}
H2=${PAIR_H2:-0}
PACED=${PAIR_PACED:-0}
PACE_MS=${PAIR_PACE_MS:-5}
CONNECTIONS=${PAIR_CONNECTIONS:-$([ "$H2" = 1 ] || [ "$PACED" = 1 ] && echo 50 || echo 25)}
STREAMS=${PAIR_STREAMS:-4}
URL_PATH=${PAIR_PATH:-/1k}
S_TIME=${PAIR_S_TIME:-}
TLS_CLOSE=${PAIR_TLS_CLOSE:-}
S_TIME_CLIENTS=${PAIR_S_TIME_CLIENTS:-2}
TLS=${PAIR_TLS:-$([ -n "$S_TIME$TLS_CLOSE" ] && echo 1 || echo 0)}
case "$S_TIME:$TLS_CLOSE" in :|reuse:|new:|:reuse|:new) ;; *) echo "bench/pair.sh: PAIR_S_TIME or PAIR_TLS_CLOSE, reuse or new" >&2; exit 1 ;; esac
[ -n "$S_TIME$TLS_CLOSE" ] && [ "$TLS" != 1 ] && { echo "bench/pair.sh: PAIR_S_TIME and PAIR_TLS_CLOSE need TLS" >&2; exit 1; }
CLOSE_HEADER=()
[ "${PAIR_CLOSE:-0}" = 1 ] && CLOSE_HEADER=(-H "Connection: close")
[ -n "${PAIR_HEADER:-}" ] && CLOSE_HEADER+=(-H "$PAIR_HEADER")
SCHEME=$([ "$TLS" = 1 ] && echo https || echo http)
LOAD_CPU=${BENCH_LOAD_CPU:-0}
SERVER_CPU=${BENCH_SERVER_CPU:-1}
B=${BENCH_PORT_BASE:-24000}
ORIGIN_PORT=$((B + 580)); PORT_A=$((B + 600)); PORT_B=$((B + 700))

PEER=$([[ $REV_A == haproxy || $REV_A == nginx ]] && echo "$REV_A" || true)
[ "$TLS" = 1 ] && [ "$PEER" = haproxy ] && { echo "bench/pair.sh: PAIR_TLS=1 compares Portico with nginx or Portico" >&2; exit 1; }
[ "$PACED" = 1 ] && [ "$H2$S_TIME$TLS_CLOSE" != 0 ] && { echo "bench/pair.sh: PAIR_PACED=1 is an HTTP/1.1 wrk load" >&2; exit 1; }
SYSCALLS=${PAIR_SYSCALLS:-0}
for tool in nginx curl dotnet git taskset $([ "$H2" = 1 ] && echo h2load || echo wrk) $([ "$SYSCALLS" = 1 ] && echo perf) $PEER $([ "$TLS" = 1 ] && echo openssl); do
  command -v "$tool" >/dev/null || { echo "bench/pair.sh: '$tool' is missing (bench/run.sh installs nginx, wrk and h2load)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/portico-pair.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { printf '[pair %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# A build of one revision (or of the working tree) into $WORK/<name>/out.
build() {
  local name=$1 rev=$2 dir="$WORK/$1"
  mkdir -p "$dir"
  if [[ $rev == exe:* ]]; then
    [ -x "${rev#exe:}" ] || { log "${rev#exe:} is not an executable"; exit 1; }
    mkdir -p "$dir/out" && ln -s "$(realpath "${rev#exe:}")" "$dir/out/portico"
    log "$name: $(realpath "${rev#exe:}") (built already)"
    return
  fi
  if [ "$rev" = worktree ]; then
    dotnet build -c Release "$REPO_DIR/src/Portico" -o "$dir/out" >"$dir/build.log" 2>&1
  else
    git -C "$REPO_DIR" archive "$rev" | tar -x -C "$dir"
    dotnet build -c Release "$dir/src/Portico" -o "$dir/out" >"$dir/build.log" 2>&1
  fi || { cat "$dir/build.log" >&2; log "build of $rev failed"; exit 1; }
  log "built $name: $rev ($(git -C "$REPO_DIR" rev-parse --short "${rev/worktree/HEAD}")$([ "$rev" = worktree ] && echo ' + working tree'))"
}
[ -n "$PEER" ] || build a "$REV_A"
if [ "$REV_B" = "$REV_A" ] && [ "$REV_A" != worktree ]; then
  # One revision twice (two routes or two settings compared): one build serves both.
  mkdir -p "$WORK/b" && cp -r "$WORK/a/out" "$WORK/b/out"
else
  build b "$REV_B"
fi

# The origin bench/run.sh uses (bench/lib/origin.sh). mktemp makes WORK private; nginx's
# workers (user "nobody" under root) must reach the files.
chmod 755 "$WORK"
# shellcheck source=lib/origin.sh
. "$BENCH_DIR/lib/origin.sh"
origin_setup "$WORK" "$(ulimit -n)" "$ORIGIN_PORT" "$((ORIGIN_PORT + 1))" 102400
taskset -c "$SERVER_CPU" nginx -p "$WORK/origin/" -e "$WORK/origin/error.log" -c "$WORK/origin/nginx.conf" -g 'daemon off;' &
PIDS+=($!)

TLS_YAML=""
if [ "$TLS" = 1 ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
  TLS_YAML=", tls: { certificates: [{ cert: $WORK/cert.pem, key: $WORK/key.pem }] }"
elif [ "$H2" = 1 ]; then
  TLS_YAML=", protocols: [h2c]"
fi

# Each build with bench/run.sh's Portico settings: the plain route and (g)'s cached one
# (PAIR_PATH=/cached/1k measures cache hits), access log off, its own admin port.
start() {
  local name=$1 port=$2 env=$3 route=$4
  cat > "$WORK/$name/portico.yaml" <<EOF
listeners:
  http: { address: "127.0.0.1:$port"$TLS_YAML }
routes:
  all: { match: { pathPrefix: / }, cluster: origin${route} }
  cached: { match: { pathPrefix: /cached }, cluster: origin, cache: {} }
clusters:
  origin:
    destinations: [http://127.0.0.1:$ORIGIN_PORT]
accessLog: { enabled: false }
admin: { address: "127.0.0.1:$((port + 9))" }
EOF
  local cmd=(dotnet "$WORK/$name/out/portico.dll")
  [ -e "$WORK/$name/out/portico.dll" ] || cmd=("$WORK/$name/out/portico")
  # shellcheck disable=SC2086 # env holds VAR=value words
  env $env taskset -c "$SERVER_CPU" "${cmd[@]}" run -c "$WORK/$name/portico.yaml" \
    >"$WORK/$name/stdout.log" 2>&1 &
  PIDS+=($!)
  eval "PID_${name^^}=$!"
}
if [ "$REV_A" = haproxy ]; then
  # shellcheck source=lib/haproxy.sh
  . "$BENCH_DIR/lib/haproxy.sh"
  mkdir -p "$WORK/a"
  haproxy_config "$PORT_A" "$((PORT_A + 1))" "$ORIGIN_PORT" 2000 "$(ulimit -n)" > "$WORK/a/haproxy.cfg"
  taskset -c "$SERVER_CPU" haproxy -db -f "$WORK/a/haproxy.cfg" >"$WORK/a/stdout.log" 2>&1 &
  PIDS+=($!)
  PID_A=$!
  # HAProxy's h2c listener is the port after its HTTP/1.1 one.
  [ "$H2" = 1 ] && PORT_A=$((PORT_A + 1))
elif [ "$REV_A" = nginx ]; then
  # shellcheck source=lib/nginx.sh
  . "$BENCH_DIR/lib/nginx.sh"
  mkdir -p "$WORK/a"
  nginx_proxy_config "$WORK/a" "$PORT_A" "$((PORT_A + 1))" "$ORIGIN_PORT" "$(ulimit -n)" > "$WORK/a/nginx.conf"
  if [ "$TLS" = 1 ]; then
    # With PAIR_TLS=1 a third server, on the port after the h2c one: the same certificate as the
    # Portico builds, TLS 1.2 and 1.3, a session cache and tickets, as bench/tls_cost.sh's nginx;
    # h2 by ALPN.
    { sed '$d' "$WORK/a/nginx.conf"
      printf '    server {\n        listen 127.0.0.1:%s ssl http2;\n        server_name localhost;\n' "$((PORT_A + 2))"
      printf '        ssl_certificate %s;\n        ssl_certificate_key %s;\n' "$WORK/cert.pem" "$WORK/key.pem"
      printf '        ssl_protocols TLSv1.2 TLSv1.3;\n        ssl_session_cache shared:TLS:10m;\n        ssl_session_tickets on;\n'
      nginx_forward_location | sed 's/^/        /'
      printf '    }\n}\n'
    } > "$WORK/a/nginx-tls.conf"
    mv "$WORK/a/nginx-tls.conf" "$WORK/a/nginx.conf"
  fi
  taskset -c "$SERVER_CPU" nginx -p "$WORK/a/" -e "$WORK/a/error.log" -c "$WORK/a/nginx.conf" -g 'daemon off;' \
    >"$WORK/a/stdout.log" 2>&1 &
  PIDS+=($!)
  PID_A=$!
  # nginx's h2c listener is the port after its HTTP/1.1 one, its TLS one the port after that.
  if [ "$TLS" = 1 ]; then PORT_A=$((PORT_A + 2)); elif [ "$H2" = 1 ]; then PORT_A=$((PORT_A + 1)); fi
else
  start a "$PORT_A" "${PAIR_ENV_A:-}" "${PAIR_ROUTE_A-${PAIR_ROUTE:-}}"
fi
start b "$PORT_B" "${PAIR_ENV_B:-}" "${PAIR_ROUTE_B-${PAIR_ROUTE:-}}"
# Each must answer 200 before anything is measured (an error page would be measured instead).
for port in $ORIGIN_PORT $PORT_A $PORT_B; do
  for try in $(seq 1 600); do
    scheme=$([ "$port" = "$ORIGIN_PORT" ] && echo http || echo "$SCHEME")
    h2=$([ "$H2" = 1 ] && [ "$port" != "$ORIGIN_PORT" ] && { [ "$TLS" = 1 ] && echo --http2 || echo --http2-prior-knowledge; } || true)
    # shellcheck disable=SC2086 # h2 is one option or none
    curl -kfsS $h2 -o /dev/null "$scheme://127.0.0.1:$port$URL_PATH" 2>/dev/null && break
    [ "$try" -lt 600 ] || { log "127.0.0.1:$port$URL_PATH does not answer 200"; exit 1; }
    sleep 0.1
  done
done

# The pid and its descendants (nginx: the master and its workers), comma-separated.
tree() { local c; printf '%s' "$1"; for c in $(pgrep -P "$1" || true); do printf ',%s' "$(tree "$c")"; done; }
# CPU time in clock ticks of the process tree of $1 (a process's own figure sums its threads):
# utime+stime, and cutime+cstime for children that ended and were waited for (nginx's cache
# loader exits a minute after start), so a process that ends between two readings loses nothing.
cpu() {
  local p s t=0
  for p in $(tree "$1" | tr , ' '); do
    s=$(cut -d')' -f2 "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13 + $14 + $15}') || true
    t=$((t + ${s:-0}))
  done
  echo "$t"
}
# With PAIR_SYSCALLS=1: what perf counts on process $1 for $2 seconds, into $3 (CSV).
EVENTS=context-switches,syscalls:sys_enter_sendto,syscalls:sys_enter_sendmsg,syscalls:sys_enter_recvfrom,syscalls:sys_enter_futex,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_accept4,syscalls:sys_enter_setsockopt,syscalls:sys_enter_shutdown,syscalls:sys_enter_close
count() { timeout -k 5 $(($2 + 30)) perf stat -x, -e "$EVENTS" -p "$(tree "$1")" -o "$3" -- sleep "$2" >/dev/null 2>&1 || true; }
# One build's counts per request ($1: the CSV, $2: requests), as "name=N.NN ...".
per_request() {
  awk -F, -v n="$2" '$3 ~ /context-switches|syscalls/ { name = $3; sub(/syscalls:sys_enter_/, "", name); printf "%s=%.2f ", name, (n > 0 ? $1 / n : 0) }' "$1"
}
# One load of $1 seconds on port $2, its report in $3: wrk, or h2load with PAIR_H2=1.
load() {
  if [ -n "$S_TIME" ]; then
    local i clients=()
    for i in $(seq 1 "$S_TIME_CLIENTS"); do
      timeout -k 5 $(($1 + 30)) taskset -c "$LOAD_CPU" openssl s_time -connect "127.0.0.1:$2" "-$S_TIME" \
        -time "$1" -www "$URL_PATH" >"$3.$i" 2>&1 &
      clients+=($!)
    done
    wait "${clients[@]}" || true
    cat "$3".* > "$3"
  elif [ -n "$TLS_CLOSE" ]; then
    local i clients=()
    for i in $(seq 1 "$S_TIME_CLIENTS"); do
      # shellcheck disable=SC2046 # --reuse or nothing
      timeout -k 5 $(($1 + 30)) taskset -c "$LOAD_CPU" python3 "$BENCH_DIR/lib/tls_close_client.py" 127.0.0.1 "$2" "$URL_PATH" "$1" \
        $([ "$TLS_CLOSE" = reuse ] && echo --reuse) >"$3.$i" 2>&1 &
      clients+=($!)
    done
    wait "${clients[@]}" || true
    cat "$3".* > "$3"
  elif [ "$H2" = 1 ]; then
    timeout -k 5 $(($1 + 30)) taskset -c "$LOAD_CPU" h2load -c "$CONNECTIONS" -m "$STREAMS" -D "$1" "$SCHEME://127.0.0.1:$2$URL_PATH" >"$3" 2>&1
  elif [ "$PACED" = 1 ]; then
    timeout -k 5 $(($1 + 30)) env BENCH_LIB="$BENCH_DIR/lib" BENCH_PACE_MS="$PACE_MS" taskset -c "$LOAD_CPU" \
      wrk -t 1 -c "$CONNECTIONS" -d "${1}s" --timeout 5s --latency -s "$BENCH_DIR/lib/paced.lua" \
      "${CLOSE_HEADER[@]}" "$SCHEME://127.0.0.1:$2$URL_PATH" >"$3" 2>&1
  else
    timeout -k 5 $(($1 + 30)) taskset -c "$LOAD_CPU" wrk -t 1 -c "$CONNECTIONS" -d "${1}s" "${CLOSE_HEADER[@]}" "$SCHEME://127.0.0.1:$2$URL_PATH" >"$3" 2>&1
  fi
}
# The requests a report says completed (h2load: those that succeeded).
# s_time, tls_close_client.py: the connections their clients completed (with -reuse, after its one full handshake).
completed() { awk '/requests in/ {print $1} /^requests:/ {print $8} /connections in [0-9.]+ ?s;/ {n += $1} END {if (n) print n}' "$1"; }
# Both loads at once; prints "requests_a requests_b".
both() {
  load "$1" "$PORT_A" "$WORK/load-a.txt" &
  local wa=$!
  load "$1" "$PORT_B" "$WORK/load-b.txt" &
  local wb=$!
  wait "$wa" "$wb"
  echo "$(completed "$WORK/load-a.txt") $(completed "$WORK/load-b.txt")"
}

log "warming both up for ${WARMUP}s (.NET's tiered JIT), not recorded"
both "$WARMUP" >/dev/null
ticks=$(getconf CLK_TCK)
# wrk's p50 and p99 of one report (bench/lib/summary.lua's line), in ms: "p50 p99".
latency() { awk '/^BENCH / { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } printf "%.2f %.2f", v["p50_us"] / 1000, v["p99_us"] / 1000 }' "$1"; }
if [ "$PACED" = 1 ]; then
  echo "| round | A req/s | A µs/req | B req/s | B µs/req | B/A | A p50 ms | A p99 ms | B p50 ms | B p99 ms | p99 B/A |"
  echo "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
else
  echo "| round | A req/s | A µs/req | B req/s | B µs/req | B/A |"
  echo "|--:|--:|--:|--:|--:|--:|"
fi
ratios=()
p99_ratios=()
for round in $(seq 1 "$ROUNDS"); do
  a0=$(cpu "$PID_A"); b0=$(cpu "$PID_B")
  if [ "$SYSCALLS" = 1 ]; then
    count "$PID_A" "$DURATION" "$WORK/count-a.csv" &
    ca=$!
    count "$PID_B" "$DURATION" "$WORK/count-b.csv" &
    cb=$!
  fi
  read -r na nb < <(both "$DURATION")
  a1=$(cpu "$PID_A"); b1=$(cpu "$PID_B")
  if [ "$SYSCALLS" = 1 ]; then
    wait "$ca" "$cb"
    log "round $round per request: A $(per_request "$WORK/count-a.csv" "$na")"
    log "round $round per request: B $(per_request "$WORK/count-b.csv" "$nb")"
  fi
  line=$(awk -v a="$((a1 - a0))" -v b="$((b1 - b0))" -v na="$na" -v nb="$nb" -v t="$ticks" -v d="$DURATION" -v r="$round" \
    'BEGIN { ua = a / t / na * 1e6; ub = b / t / nb * 1e6; printf "| %d | %.0f | %.1f | %.0f | %.1f | %.3f |", r, na / d, ua, nb / d, ub, ub / ua }')
  ratios+=("$(echo "$line" | awk -F'|' '{print $7}')")
  if [ "$PACED" = 1 ]; then
    read -r pa50 pa99 <<<"$(latency "$WORK/load-a.txt")"
    read -r pb50 pb99 <<<"$(latency "$WORK/load-b.txt")"
    p99_ratios+=("$(awk -v a="$pa99" -v b="$pb99" 'BEGIN { printf "%.3f", b / a }')")
    line="$line $pa50 | $pa99 | $pb50 | $pb99 | ${p99_ratios[-1]} |"
  fi
  echo "$line"
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '{ r[NR] = $1 } END { printf "median B/A CPU per request: %.3f (A %s, B %s)\n", r[int((NR + 1) / 2)], "'"$REV_A"'", "'"$REV_B"'" }'
if [ "$PACED" = 1 ]; then
  printf '%s\n' "${p99_ratios[@]}" | sort -n | awk '{ r[NR] = $1 } END { printf "median B/A p99: %.3f\n", r[int((NR + 1) / 2)] }'
fi
