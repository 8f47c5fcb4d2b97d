#!/usr/bin/env bash
# A typical feature route (issue 25) through Portico, nginx and HAProxy configured alike: CPU per
# request of each proxy from interleaved rounds in one run, and the ratios to nginx side by side.
#
#   bench/feature_cost.sh                                        3 interleaved rounds x 10 s per proxy
#   FEATURE_COST_ROUNDS=1 FEATURE_COST_SECONDS=3 bench/feature_cost.sh   a smoke check
#   FEATURE_COST_CACHE=0 bench/feature_cost.sh                  the route without its cache in all
#                                                                three (compression, rate limit, rules)
#
# The route, the same in all three (each config is written below, in full):
#   - compression: the origin's 16 KiB of text (text/plain, lib/make_text.py) gzipped for a client
#     that sends `Accept-Encoding: gzip`; gzip level 1 in Portico (`level: fastest`) and nginx
#     (`gzip_comp_level 1`), HAProxy's libslz (it has no level; it is about as fast as level 1),
#     1 KiB minimum size in all three, `Vary: Accept-Encoding` added;
#   - a rate limit per client address that never refuses (a limit far above the load): Portico
#     `rateLimit`, nginx `limit_req`, HAProxy a stick table with `sc_http_req_rate`;
#   - three header rules: set a request field (X-Feature: on), set a response field
#     (X-Frame-Options: DENY), remove a response field the origin sends (X-Backend-Version);
#   - a cache miss: the route caches (Portico `cache: {}`, nginx `proxy_cache`, HAProxy's `cache`),
#     and the origin answers `Cache-Control: no-store`. Each request is looked up, found missing,
#     forwarded, and its response judged not storable (RFC 9111 §5.2.2.5), so every request is a
#     miss in all three without a growing store: a unique query per request would also miss, but
#     then each cache would store every response (nginx writes a file per request, Portico and
#     HAProxy evict from memory), which measures the stores' churn, not a miss. The origin's CPU
#     per request in the table shows one origin request per client request.
#     Portico collapses concurrent misses by default (`cache.collapse`); nginx's `proxy_cache_lock`
#     is left at its default (off), HAProxy's cache has no collapsing.
# Every proxy keeps pooled keep-alive connections to the one origin (lib/origin.sh, /nostore/16k)
# and adds X-Forwarded-For. The load is `wrk -t1 -c FEATURE_COST_CONNECTIONS` with
# `Accept-Encoding: gzip` on kept-alive connections. Before the rounds each proxy's answer is
# checked: gzip, the body decodes to the origin's bytes, X-Frame-Options set, X-Backend-Version
# gone, Vary names Accept-Encoding.
#
# Pinning as bench/run.sh: the load on core FEATURE_COST_LOAD_CPU (0), origin and proxies on
# FEATURE_COST_SERVER_CPU (1). CPU of a proxy = utime+stime of its process tree over a run ÷ the
# requests wrk completed; the report gives medians over the rounds. Portico is first loaded,
# unrecorded, in 5 s pieces until its CPU per request settles (tiered JIT): at least
# FEATURE_COST_PORTICO_WARMUP (60) seconds, then until a piece is within 10 % of the one before,
# at most FEATURE_COST_PORTICO_WARMUP_MAX (180) seconds (fixed 20 s and 40 s left the first
# round still warming on a loaded machine, where the tiered JIT holds a plateau before the drop);
# then every proxy gets one 2 s warm-up. Portico is the `dotnet build -c Release` of the working
# tree. Installs what is missing from Debian (nginx, haproxy, wrk, curl). Every process it starts is stopped on exit;
# every load is bounded by its duration and `timeout`; only 127.0.0.1 is used.
set -euo pipefail

ROUNDS=${FEATURE_COST_ROUNDS:-3}
CACHE=${FEATURE_COST_CACHE:-1}
DURATION=${FEATURE_COST_SECONDS:-10}
CONNECTIONS=${FEATURE_COST_CONNECTIONS:-50}
PORTICO_WARMUP=${FEATURE_COST_PORTICO_WARMUP:-60}
PORTICO_WARMUP_MAX=${FEATURE_COST_PORTICO_WARMUP_MAX:-180}
BASE=${FEATURE_COST_PORT_BASE:-${BENCH_PORT_BASE:-27800}}
LOAD_CPU=${FEATURE_COST_LOAD_CPU:-0}
SERVER_CPU=${FEATURE_COST_SERVER_CPU:-1}
URL_PATH=/nostore/16k
PROXIES=(portico nginx haproxy)
declare -A PORT=([origin]=$((BASE + 80)) [portico]=$((BASE + 1)) [nginx]=$((BASE + 2)) [haproxy]=$((BASE + 3)))
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
declare -A PID=()

die() { echo "feature_cost: $*" >&2; exit 1; }
cleanup() {
  local pid
  for pid in "${PID[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PID[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export PATH="$PATH:/usr/sbin:/sbin"
need=()
for pair in nginx:nginx haproxy:haproxy wrk:wrk curl:curl python3:python3 taskset:util-linux pgrep:procps ss:iproute2; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair##*:}")
done
if ((${#need[@]})); then
  echo "feature_cost: installing from Debian: ${need[*]}" >&2
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >&2
fi
command -v dotnet >/dev/null || die "the .NET 10 SDK ('dotnet') is required to build Portico"
for name in "${!PORT[@]}"; do
  ! ss -Hltn "sport = :${PORT[$name]}" | grep -q . || die "port ${PORT[$name]} ($name) on 127.0.0.1 is in use; set FEATURE_COST_PORT_BASE"
done

DIR=$(mktemp -d /tmp/portico-feature-cost.XXXXXX)
chmod 755 "$DIR"
mkdir -p "$DIR/nginx" "$DIR/haproxy" "$DIR/portico"
(cd "$REPO_DIR" && dotnet build src/Portico -c Release -o "$DIR/bin" --nologo -v quiet -clp:ErrorsOnly) >"$DIR/build.log" 2>&1 \
  || { cat "$DIR/build.log" >&2; exit 1; }

# shellcheck source=lib/origin.sh
. "$BENCH_DIR/lib/origin.sh"
origin_setup "$DIR" 4096 "${PORT[origin]}" "$((BASE + 81))" 1024

# The cache part of each config, or nothing with FEATURE_COST_CACHE=0.
PORTICO_CACHE=""; NGINX_CACHE=""; HAPROXY_CACHE_USE=""; HAPROXY_CACHE_STORE=""
if [ "$CACHE" = 1 ]; then
  PORTICO_CACHE="cache: {}"; NGINX_CACHE="proxy_cache feature;"
  HAPROXY_CACHE_USE="http-request cache-use feature"; HAPROXY_CACHE_STORE="http-response cache-store feature"
fi

cat > "$DIR/portico/portico.yaml" <<EOF
listeners:
  http: { address: "127.0.0.1:${PORT[portico]}" }
admin: { enabled: false }
accessLog: { enabled: false }
routes:
  feature:
    match: { pathPrefix: / }
    cluster: origin
    compression: { level: fastest }
    rateLimit: { limit: 100000000, window: 1s }
    headers:
      request: { set: { X-Feature: "on" } }
      response: { set: { X-Frame-Options: DENY }, remove: [X-Backend-Version] }
    $PORTICO_CACHE
clusters:
  origin: { destinations: [http://127.0.0.1:${PORT[origin]}] }
EOF

cat > "$DIR/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $DIR/nginx/nginx.pid;
error_log $DIR/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    proxy_cache_path $DIR/nginx/cache levels=1:2 keys_zone=feature:10m max_size=256m inactive=1h use_temp_path=off;
    limit_req_zone \$binary_remote_addr zone=perclient:10m rate=100000000r/s;
    upstream origin { server 127.0.0.1:${PORT[origin]}; keepalive 64; }
    server {
        listen 127.0.0.1:${PORT[nginx]};
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
            proxy_set_header X-Feature on;
            add_header X-Frame-Options DENY always;
            proxy_hide_header X-Backend-Version;
            limit_req zone=perclient burst=1000 nodelay;
            $NGINX_CACHE
            gzip on;
            gzip_comp_level 1;
            gzip_min_length 1024;
            gzip_proxied any;
            gzip_types text/plain;
            gzip_vary on;
        }
    }
}
EOF

# shellcheck source=lib/haproxy.sh
. "$BENCH_DIR/lib/haproxy.sh"
cat > "$DIR/haproxy/haproxy.cfg" <<EOF
global
    maxconn 4096
$(haproxy_defaults)
cache feature
    total-max-size 64
    max-age 3600
frontend fe_http
    bind 127.0.0.1:${PORT[haproxy]}
    stick-table type ip size 100k expire 30s store http_req_rate(1s)
    http-request track-sc0 src
    http-request deny deny_status 429 if { sc_http_req_rate(0) gt 100000000 }
    default_backend origin
backend origin
    http-request set-header X-Feature on
    http-response set-header X-Frame-Options DENY
    http-response del-header X-Backend-Version
    # The cache filter runs before the compression filter (implicit order), as Portico's cache
    # stage sits outside its compression stage: both would store the encoded variant.
    $HAPROXY_CACHE_USE
    $HAPROXY_CACHE_STORE
    compression algo gzip
    compression type text/plain
    server origin 127.0.0.1:${PORT[origin]}
EOF
haproxy -c -q -f "$DIR/haproxy/haproxy.cfg" || die "haproxy refuses its config ($DIR/haproxy/haproxy.cfg)"

start() { # NAME COMMAND...
  local name=$1; shift
  taskset -c "$SERVER_CPU" "$@" >"$DIR/$name.log" 2>&1 &
  PID[$name]=$!
  for _ in $(seq 1 150); do
    curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:${PORT[$name]}$URL_PATH" && return 0
    kill -0 "${PID[$name]}" 2>/dev/null || break
    sleep 0.2
  done
  die "$name did not answer on port ${PORT[$name]}; see $DIR/$name.log"
}
start origin nginx -p "$DIR/origin/" -e "$DIR/origin/error.log" -c "$DIR/origin/nginx.conf" -g 'daemon off;'
start portico dotnet "$DIR/bin/portico.dll" run -c "$DIR/portico/portico.yaml"
start nginx nginx -p "$DIR/nginx/" -e "$DIR/nginx/error.log" -c "$DIR/nginx/nginx.conf" -g 'daemon off;'
start haproxy haproxy -db -f "$DIR/haproxy/haproxy.cfg"

# Each proxy does the route's work: gzip that decodes to the origin's bytes, the response rules,
# Vary; and (Portico says so) a miss.
for proxy in "${PROXIES[@]}"; do
  for _ in 1 2; do   # the second request too: nothing may have been stored by the first
    head=$(curl -sf -D - -o "$DIR/$proxy.gz" -H 'Accept-Encoding: gzip' "http://127.0.0.1:${PORT[$proxy]}$URL_PATH") || die "$proxy: no answer"
    grep -qi '^Content-Encoding: gzip' <<<"$head" || die "$proxy does not gzip: $head"
    gzip -dc < "$DIR/$proxy.gz" | cmp -s - "$DIR/www$URL_PATH" || die "$proxy: the decoded body differs from the origin's"
    grep -qi '^X-Frame-Options: DENY' <<<"$head" || die "$proxy does not set X-Frame-Options"
    ! grep -qi '^X-Backend-Version' <<<"$head" || die "$proxy does not remove X-Backend-Version"
    grep -qi '^Vary:.*Accept-Encoding' <<<"$head" || die "$proxy sends no Vary: Accept-Encoding"
    [ "$proxy" != portico ] || [ "$CACHE" != 1 ] || grep -qi '^Cache-Status: Portico; fwd=uri-miss' <<<"$head" || die "portico: not a miss: $head"
  done
done

tree_pids() { # PID: it and its descendants
  local p
  echo "$1"
  for p in $(pgrep -P "$1" || true); do tree_pids "$p"; done
}
ticks() { # SERVER: utime+stime of its process tree
  local total=0 p
  for p in $(tree_pids "${PID[$1]}"); do
    [ -r "/proc/$p/stat" ] && total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
# lib/summary.lua prints wrk's exact counts and percentiles on one line (errors: socket errors and non-2xx/3xx).
run() { # PROXY SECONDS -> "requests req/s p99-ms errors"
  timeout -k 5 $(($2 + 30)) taskset -c "$LOAD_CPU" wrk -t 1 -c "$CONNECTIONS" -d "${2}s" -H 'Accept-Encoding: gzip' -s "$BENCH_DIR/lib/summary.lua" "http://127.0.0.1:${PORT[$1]}$URL_PATH" \
    | awk '/^BENCH / { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                       printf "%d %.0f %.2f %d\n", v["requests"], v["requests"] * 1e6 / v["duration_us"], v["p99_us"] / 1000, v["errors"] }'
}

CLK=$(getconf CLK_TCK)
RAW="$DIR/rounds.txt"
: > "$RAW"
# Portico's warm-up: 5 s pieces until its CPU per request settles (see the top of this file).
spent=0; previous=0
while [ "$spent" -lt "$PORTICO_WARMUP_MAX" ]; do
  t0=$(ticks portico); read -r n _ < <(run portico 5); t1=$(ticks portico)
  spent=$((spent + 5))
  now=$(awk -v t=$((t1 - t0)) -v n="$n" -v hz="$CLK" 'BEGIN { printf "%.1f", n ? t * 1e6 / hz / n : 0 }')
  if [ "$spent" -ge "$PORTICO_WARMUP" ] && awk -v a="$now" -v b="$previous" 'BEGIN { exit !(b > 0 && a >= b * 0.9 && a <= b * 1.1) }'; then
    break
  fi
  previous=$now
done
echo "feature_cost: Portico warmed up for ${spent}s (last 5 s: $now µs/req), then $ROUNDS round(s) of ${DURATION}s per proxy, $CONNECTIONS connections (results in $DIR)" >&2
for proxy in "${PROXIES[@]}"; do run "$proxy" 2 >/dev/null; done
for round in $(seq 1 "$ROUNDS"); do
  for proxy in "${PROXIES[@]}"; do
    t0=$(ticks "$proxy"); o0=$(ticks origin)
    read -r n rps p99 errors < <(run "$proxy" "$DURATION")
    t1=$(ticks "$proxy"); o1=$(ticks origin)
    read -r us ous < <(awk -v t=$((t1 - t0)) -v o=$((o1 - o0)) -v n="$n" -v hz="$CLK" 'BEGIN { printf "%.1f %.1f\n", n ? t * 1e6 / hz / n : 0, n ? o * 1e6 / hz / n : 0 }')
    echo "$proxy $round $rps $us $ous $p99 $errors" | tee -a "$RAW" >&2
    sleep 1
  done
done

python3 - "$RAW" "$ROUNDS" "$DURATION" "$CONNECTIONS" "$CACHE" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
cache = "cache miss" if sys.argv[5] == "1" else "no cache"
print(f"Feature route (gzip of 16 KiB text, rate limit, 3 header rules, {cache}), {sys.argv[2]} interleaved round(s) of {sys.argv[3]} s, "
      f"wrk -t1 -c {sys.argv[4]}; medians over the rounds\n")
by = {}
for proxy, _, rps, us, ous, p99, err in rows:
    by.setdefault(proxy, []).append((float(rps), float(us), float(ous), float(p99), int(err)))
med = {k: [statistics.median(x[i] for x in v) for i in range(4)] + [sum(x[4] for x in v)] for k, v in by.items()}
# Each round's ratio compares runs a few seconds apart, so a load that drifts between rounds
# cancels out; the ratio column is their median (the µs columns are medians of their own).
ratios = {k: [a[1] / b[1] for a, b in zip(v, by["nginx"])] for k, v in by.items()}
print("| proxy | req/s | proxy CPU µs/req | origin CPU µs/req | p99 ms | CPU vs nginx (median of the rounds' ratios) | errors |\n|---|--:|--:|--:|--:|--:|--:|")
for proxy, (rps, us, ous, p99, err) in med.items():
    print(f"| {proxy} | {rps:.0f} | {us:.1f} | {ous:.1f} | {p99:.2f} | {statistics.median(ratios[proxy]):.2f} | {err} |")
print("\nCPU vs nginx per round: " + ", ".join(f"{k} " + " / ".join(f"{r:.2f}" for r in v) for k, v in ratios.items() if k != "nginx"))
EOF
