#!/usr/bin/env bash
# TLS: Portico vs nginx vs HAProxy over HTTPS (issue 25), CPU per request of each proxy, from
# interleaved rounds in one run, with ECDSA P-256 and RSA-2048 certificates.
#
#   bench/tls_cost.sh                                   4 scenarios x 2 certificates x 3 rounds x 10 s
#   BENCH_ROUNDS=1 BENCH_DURATION=3 bench/tls_cost.sh   smoke check (about 3 minutes)
#   BENCH_TLS_SCENARIOS="n r" BENCH_TLS_CERTS=rsa bench/tls_cost.sh
#
# Scenarios (GET /1k through each proxy to one shared nginx origin, plain HTTP/1.1 behind):
#   k  HTTP/1.1 keep-alive over TLS     wrk -t1 -c 50
#   h  HTTP/2 over TLS (ALPN h2)        h2load -t1 -c 50 -m 4
#   n  a new TLS connection per request, full handshake    openssl s_time -new (4 clients)
#   r  a new TLS connection per request, resumed session   openssl s_time -reuse (4 clients)
# Every proxy serves the same certificate files with the same protocols (TLS 1.2 and 1.3) and
# suites (TLS 1.3's defaults; for TLS 1.2 ECDHE with AES-GCM or ChaCha20-Poly1305); the clients
# negotiate TLS 1.3, and the run records what each proxy negotiated. nginx keeps sessions in a
# shared cache with tickets on; HAProxy and Portico with their defaults (both: tickets and a
# session cache).
#
# Pinning as bench/run.sh: the load on core BENCH_LOAD_CPU (0), origin and proxies on
# BENCH_SERVER_CPU (1). CPU of a proxy = utime+stime of its process tree over the run; divided
# by the requests (k, h) or connections (n, r) completed. Every process it starts is stopped on
# exit; every load is bounded by its duration and by `timeout`.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
DURATION=${BENCH_DURATION:-10}
ROUNDS=${BENCH_ROUNDS:-3}
WARMUP=${BENCH_WARMUP:-2}
PORTICO_WARMUP=${BENCH_PORTICO_WARMUP:-20}     # seconds of unrecorded load on Portico alone first (tiered JIT)
CONNECTIONS=${BENCH_CONNECTIONS:-50}
H2_STREAMS=${BENCH_H2_STREAMS:-4}
HANDSHAKERS=${BENCH_TLS_CLIENTS:-4}            # parallel s_time clients in (n) and (r)
SCENARIOS=${BENCH_TLS_SCENARIOS:-k h n r}
CERTS=${BENCH_TLS_CERTS:-ecdsa rsa}
LOAD_CPU=${BENCH_LOAD_CPU:-0}
SERVER_CPU=${BENCH_SERVER_CPU:-1}
PROXIES=(portico nginx haproxy)
B=${BENCH_PORT_BASE:-27400}
ORIGIN_PORT=$((B + 80))
declare -A PORT=([portico-ecdsa]=$((B + 100)) [portico-rsa]=$((B + 101)) [nginx-ecdsa]=$((B + 200)) [nginx-rsa]=$((B + 201))
                 [haproxy-ecdsa]=$((B + 300)) [haproxy-rsa]=$((B + 301)))
TLS12_CIPHERS="ECDHE+AESGCM:ECDHE+CHACHA20"

RUN_DIR="$BENCH_DIR/results/tls-$(date +%Y%m%d-%H%M%S)"
TMP="$RUN_DIR/tmp"; RAW="$RUN_DIR/raw"
mkdir -p "$TMP"/{certs,portico,nginx,haproxy} "$RAW"
REPORT="$RUN_DIR/RESULTS-tls.md"
PIDS=()
declare -A MAIN_PID=()

log() { printf '[tls %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

export PATH="$PATH:/usr/sbin:/sbin"
need=()
for pair in nginx:nginx haproxy:haproxy wrk:wrk h2load:nghttp2-client openssl:openssl curl:curl taskset:util-linux pgrep:procps ss:iproute2 python3:python3; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair##*:}")
done
if ((${#need[@]})); then
  log "installing from Debian: ${need[*]}"
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
fi
command -v dotnet >/dev/null 2>&1 || die "the .NET 10 SDK ('dotnet') is required to build Portico"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
FD_LIMIT=$(ulimit -n)

log "building Portico (Release) from the working tree"
(cd "$REPO_DIR" && dotnet build src/Portico -c Release -o "$TMP/portico/bin" --nologo -v quiet -clp:ErrorsOnly) >"$TMP/portico/build.log" 2>&1 \
  || { cat "$TMP/portico/build.log" >&2; die "Portico build failed"; }

# The same key and certificate files for all three (HAProxy wants them in one file).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost -keyout "$TMP/certs/ecdsa.key" -out "$TMP/certs/ecdsa.pem" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost -keyout "$TMP/certs/rsa.key" -out "$TMP/certs/rsa.pem" 2>/dev/null
for c in ecdsa rsa; do cat "$TMP/certs/$c.pem" "$TMP/certs/$c.key" > "$TMP/certs/$c.both.pem"; done
chmod 755 "$RUN_DIR" "$TMP" "$TMP/certs"; chmod 644 "$TMP"/certs/*

# shellcheck source=lib/origin.sh
. "$BENCH_DIR/lib/origin.sh"
# shellcheck source=lib/haproxy.sh
. "$BENCH_DIR/lib/haproxy.sh"
origin_setup "$TMP" "$FD_LIMIT" "$ORIGIN_PORT" $((B + 81)) 102400

cat > "$TMP/portico/portico.yaml" <<EOF
listeners:
  ecdsa: { address: "127.0.0.1:${PORT[portico-ecdsa]}", tls: { certificates: [{ cert: $TMP/certs/ecdsa.pem, key: $TMP/certs/ecdsa.key }] } }
  rsa:   { address: "127.0.0.1:${PORT[portico-rsa]}", tls: { certificates: [{ cert: $TMP/certs/rsa.pem, key: $TMP/certs/rsa.key }] } }
routes:
  all: { match: { pathPrefix: / }, cluster: origin }
clusters:
  origin: { destinations: [http://127.0.0.1:$ORIGIN_PORT] }
accessLog: { enabled: false }
admin: { address: "127.0.0.1:$((B + 109))" }
EOF

cat > "$TMP/nginx/nginx.conf" <<EOF
worker_processes auto;
worker_rlimit_nofile $FD_LIMIT;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections $((FD_LIMIT - 100)); }
http {
    access_log off;
    keepalive_timeout 120s;
    keepalive_requests 1000000;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers $TLS12_CIPHERS;
    ssl_prefer_server_ciphers on;
    # nginx's default is no server-side cache (ssl_session_cache none); tickets are on by default.
    ssl_session_cache shared:TLS:10m;
    ssl_session_timeout 2h;
    ssl_session_tickets on;
    upstream origin {
        server 127.0.0.1:$ORIGIN_PORT;
        keepalive 64;
        keepalive_requests 1000000;
        keepalive_timeout 120s;
    }
    server {
        listen 127.0.0.1:${PORT[nginx-ecdsa]} ssl http2;
        server_name localhost;   # \$host when the request has none (s_time's HTTP/1.0 GET): the origin refuses an empty Host
        ssl_certificate $TMP/certs/ecdsa.pem;
        ssl_certificate_key $TMP/certs/ecdsa.key;
        include $TMP/nginx/location.conf;
    }
    server {
        listen 127.0.0.1:${PORT[nginx-rsa]} ssl http2;
        server_name localhost;
        ssl_certificate $TMP/certs/rsa.pem;
        ssl_certificate_key $TMP/certs/rsa.key;
        include $TMP/nginx/location.conf;
    }
}
EOF
# shellcheck source=lib/nginx.sh
. "$BENCH_DIR/lib/nginx.sh"
nginx_forward_location > "$TMP/nginx/location.conf"

cat > "$TMP/haproxy/haproxy.cfg" <<EOF
global
    maxconn $(( (FD_LIMIT - 100) / 2 ))   # HAProxy wants 2 descriptors per connection within the open-files limit
    ssl-default-bind-options ssl-min-ver TLSv1.2
    ssl-default-bind-ciphers $TLS12_CIPHERS
$(haproxy_defaults)
frontend fe_ecdsa
    bind 127.0.0.1:${PORT[haproxy-ecdsa]} ssl crt $TMP/certs/ecdsa.both.pem alpn h2,http/1.1
    default_backend origin
frontend fe_rsa
    bind 127.0.0.1:${PORT[haproxy-rsa]} ssl crt $TMP/certs/rsa.both.pem alpn h2,http/1.1
    default_backend origin
backend origin
    server origin 127.0.0.1:$ORIGIN_PORT
EOF

tree_pids() { local c; echo "$1"; for c in $(pgrep -P "$1" || true); do tree_pids "$c"; done; }
cpu_ticks() {
  local total=0 pid stat rest fields
  for pid in $(tree_pids "$1"); do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    rest=${stat##*) }; read -r -a fields <<< "$rest"
    total=$((total + fields[11] + fields[12]))
  done
  echo "$total"
}

start_server() {
  local name=$1; shift
  taskset -c "$SERVER_CPU" "$@" >>"$TMP/$name.log" 2>&1 &
  MAIN_PID[$name]=$!; PIDS+=($!)
}
wait_https() {
  local name=$1 port=$2 deadline=$((SECONDS + 180))   # a loaded machine takes long to start .NET
  until curl -skf -o /dev/null --max-time 2 "https://127.0.0.1:$port/1k"; do
    kill -0 "${MAIN_PID[$name]}" 2>/dev/null || die "$name exited; see $TMP/$name.log"
    [ $SECONDS -lt $deadline ] || die "$name did not answer on $port; see $TMP/$name.log"
    sleep 0.2
  done
}

for port in "$ORIGIN_PORT" $((B + 81)) $((B + 109)) "${PORT[@]}"; do
  [ -z "$(ss -Hltn "sport = :$port" 2>/dev/null)" ] || die "port $port is taken; choose other ports with BENCH_PORT_BASE"
done
start_server origin nginx -p "$TMP/origin/" -e "$TMP/origin/error.log" -c "$TMP/origin/nginx.conf" -g 'daemon off;'
start_server portico dotnet "$TMP/portico/bin/portico.dll" run -c "$TMP/portico/portico.yaml"
start_server nginx nginx -p "$TMP/nginx/" -e "$TMP/nginx/error.log" -c "$TMP/nginx/nginx.conf" -g 'daemon off;'
start_server haproxy haproxy -db -f "$TMP/haproxy/haproxy.cfg"
for p in "${PROXIES[@]}"; do for c in ecdsa rsa; do wait_https "$p" "${PORT[$p-$c]}"; done; done
log "all servers up"

# One load run against PROXY-CERT; prints the requests (k, h) or connections (n, r) completed.
load() {
  local scenario=$1 key=$2 dur=$3 out=$4 url="https://127.0.0.1:${PORT[$2]}/1k" i clients=()
  case $scenario in
    k) timeout -k 5 $((dur + 30)) taskset -c "$LOAD_CPU" wrk -t 1 -c "$CONNECTIONS" -d "${dur}s" "$url" >"$out" 2>&1 || true
       awk '/requests in/{print $1}' "$out" ;;
    h) timeout -k 5 $((dur + 30)) taskset -c "$LOAD_CPU" h2load -t 1 -c "$CONNECTIONS" -m "$H2_STREAMS" -D "$dur" "$url" >"$out" 2>&1 || true
       awk '/^requests:/{print $8}' "$out" ;;
    n|r)
       for i in $(seq 1 "$HANDSHAKERS"); do
         timeout -k 5 $((dur + 30)) taskset -c "$LOAD_CPU" openssl s_time -connect "127.0.0.1:${PORT[$key]}" \
           "$([ "$scenario" = n ] && echo -new || echo -reuse)" -time "$dur" -www /1k >"$out.$i" 2>&1 &
         clients+=($!)
       done
       wait "${clients[@]}" || true   # these only: a bare wait would wait for the servers too
       # s_time -reuse makes one full handshake, then reuses that session for every connection.
       cat "$out".* > "$out"
       awk '/connections in [0-9.]+s;/{n += $1} END {print n + 0}' "$out" ;;
  esac
}

# The suite and protocol each proxy negotiates, and whether it resumes, for the record.
{
  echo "# TLS cost run $(date -u +%Y-%m-%dT%H:%MZ), $(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo
  echo "Rounds $ROUNDS x ${DURATION}s, $CONNECTIONS connections (k, h; h2: $H2_STREAMS streams each), $HANDSHAKERS s_time clients (n, r); load on core $LOAD_CPU, servers on core $SERVER_CPU. $(nproc) CPUs, load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "nginx $(nginx -v 2>&1 | cut -d/ -f2), $(haproxy -v | head -1 | cut -d' ' -f1-3), $(openssl version), wrk, $(h2load --version | head -1)."
  echo
  echo "| proxy | certificate | negotiated | second connection |"
  echo "|---|---|---|---|"
  for p in "${PROXIES[@]}"; do for c in $CERTS; do
    s="$TMP/session-$p-$c.pem"
    neg=$(printf 'GET /1k HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' \
          | timeout 10 openssl s_client -connect "127.0.0.1:${PORT[$p-$c]}" -ign_eof -sess_out "$s" 2>/dev/null | awk '/^(New|Reused),/{print $2, $5; exit}' || true)
    again=$(printf 'GET /1k HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' \
          | timeout 10 openssl s_client -connect "127.0.0.1:${PORT[$p-$c]}" -ign_eof -sess_in "$s" 2>/dev/null | awk '/^(New|Reused),/{print $1; exit}' || true)
    echo "| $p | $c | $neg | ${again%,} |"
  done; done
  echo
} > "$REPORT"

declare -A TICKS=() COUNT=()
if [ "$PORTICO_WARMUP" -gt 0 ]; then
  log "warming Portico up: ${PORTICO_WARMUP}s"
  for c in $CERTS; do load k "portico-$c" "$PORTICO_WARMUP" "$RAW/warmup-portico-$c" >/dev/null; done
fi
clk=$(getconf CLK_TCK)
for scenario in $SCENARIOS; do
  for c in $CERTS; do
    for p in "${PROXIES[@]}"; do
      load "$scenario" "$p-$c" "$WARMUP" "$RAW/$scenario-$p-$c-warmup" >/dev/null
      TICKS[$scenario-$p-$c]=0; COUNT[$scenario-$p-$c]=0
    done
    for round in $(seq 1 "$ROUNDS"); do
      for p in "${PROXIES[@]}"; do
        t0=$(cpu_ticks "${MAIN_PID[$p]}")
        n=$(load "$scenario" "$p-$c" "$DURATION" "$RAW/$scenario-$p-$c-$round")
        t1=$(cpu_ticks "${MAIN_PID[$p]}")
        TICKS[$scenario-$p-$c]=$((TICKS[$scenario-$p-$c] + t1 - t0)); COUNT[$scenario-$p-$c]=$((COUNT[$scenario-$p-$c] + ${n:-0}))
        log "$scenario $c round $round $p: ${n:-0} in ${DURATION}s, $(awk -v t=$((t1 - t0)) -v n="${n:-0}" -v hz="$clk" 'BEGIN { printf "%.1f", n ? t * 1e6 / hz / n : 0 }') µs CPU each"
      done
    done
  done
done

declare -A TITLE=([k]="(k) HTTP/1.1 keep-alive over TLS, GET /1k" [h]="(h) HTTP/2 over TLS, GET /1k"
                  [n]="(n) a new TLS connection per request, full handshake" [r]="(r) a new TLS connection per request, resumed session")
for scenario in $SCENARIOS; do
  {
    echo "## ${TITLE[$scenario]}"
    echo
    echo "| proxy | certificate | completed | per second | proxy CPU µs each | vs nginx |"
    echo "|---|---|---:|---:|---:|---:|"
    for c in $CERTS; do
      base=$(awk -v t="${TICKS[$scenario-nginx-$c]}" -v n="${COUNT[$scenario-nginx-$c]}" -v hz="$clk" 'BEGIN { print n ? t * 1e6 / hz / n : 0 }')
      for p in "${PROXIES[@]}"; do
        awk -v p="$p" -v c="$c" -v t="${TICKS[$scenario-$p-$c]}" -v n="${COUNT[$scenario-$p-$c]}" -v hz="$clk" -v s=$((ROUNDS * DURATION)) -v b="$base" \
          'BEGIN { us = n ? t * 1e6 / hz / n : 0; ratio = b > 0 ? sprintf("%.2f×", us / b) : "–"; printf "| %s | %s | %d | %.0f | %.1f | %s |\n", p, c, n, n / s, us, ratio }'
      done
    done
    echo
  } >> "$REPORT"
done
cat "$REPORT"
log "report: $REPORT (raw outputs in $RAW)"
