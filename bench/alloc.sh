#!/usr/bin/env bash
# Bytes the .NET runtime allocates per proxied request, read from Portico's own Prometheus
# endpoint (the runtime meter's dotnet_gc_heap_total_allocated_bytes) before and after a fixed
# number of requests. Unlike requests/s this figure does not depend on what else the machine is
# doing, so it can be compared across commits on a busy machine.
#
#   bench/alloc.sh                 # HTTP/1.1 keep-alive GET of 1 KiB, a cache hit, then h2c
#   ALLOC_REQUESTS=200000 bench/alloc.sh
#
# Needs nginx (the origin) and h2load (nghttp2-client); bench/run.sh installs both.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO_DIR=$PWD
REQUESTS=${ALLOC_REQUESTS:-100000}
WARMUP=${ALLOC_WARMUP:-30000}
B=${ALLOC_PORT_BASE:-${BENCH_PORT_BASE:-25000}}
ORIGIN=$((B + 80)); H1=$((B + 100)); H2=$((B + 101)); ADMIN=$((B + 109))
export PATH="$PATH:/usr/sbin:/sbin"
for tool in nginx h2load curl; do
  command -v "$tool" >/dev/null || { echo "bench/alloc.sh: $tool is missing (bench/run.sh installs it)" >&2; exit 1; }
done

RUN=$(mktemp -d /tmp/portico-alloc.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$RUN"; }
trap cleanup EXIT INT TERM

dotnet build src/Portico -c Release --nologo -v quiet -clp:ErrorsOnly >"$RUN/build.log" 2>&1 || { cat "$RUN/build.log"; exit 1; }
cp -a src/Portico/bin/Release/net10.0 "$RUN/bin"

mkdir -p "$RUN/www/cached"; head -c 1024 /dev/zero | tr '\0' a > "$RUN/www/1k"; cp "$RUN/www/1k" "$RUN/www/cached/1k"; chmod -R a+rX "$RUN"
cat > "$RUN/origin.conf" <<EOF
worker_processes 1; pid $RUN/origin.pid; error_log $RUN/origin.err warn; daemon off;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000; server { listen 127.0.0.1:$ORIGIN; root $RUN/www; location /cached/ { expires 1h; } } }
EOF
cat > "$RUN/portico.yaml" <<EOF
listeners:
  http: { address: "127.0.0.1:$H1" }
  h2c:  { address: "127.0.0.1:$H2", protocols: [h2c] }
routes:
  all: { match: { pathPrefix: / }, cluster: origin }
  cached: { match: { pathPrefix: /cached }, cluster: origin, cache: {} }
clusters:
  origin: { destinations: [http://127.0.0.1:$ORIGIN] }
accessLog: { enabled: false }
admin: { address: "127.0.0.1:$ADMIN" }
EOF
nginx -c "$RUN/origin.conf" -p "$RUN" >"$RUN/origin.log" 2>&1 & PIDS+=($!)
dotnet "$RUN/bin/portico.dll" run -c "$RUN/portico.yaml" >"$RUN/portico.log" 2>&1 & PIDS+=($!)
for _ in $(seq 150); do curl -sf -o /dev/null "http://127.0.0.1:$H1/1k" && break; sleep 0.2; done
curl -sf -o /dev/null "http://127.0.0.1:$H1/1k" || { cat "$RUN/portico.log"; exit 1; }

metric() { curl -sf "http://127.0.0.1:$ADMIN/metrics" | awk -v m="$1" '$1 == m || index($1, m "{") == 1 { s += $2 } END { printf "%.0f\n", s }'; }
allocated() { metric dotnet_gc_heap_total_allocated_bytes_total; }
gen0() { curl -sf "http://127.0.0.1:$ADMIN/metrics" | awk '/^dotnet_gc_collections_total\{.*gc_heap_generation="gen0"/ { s += $2 } END { printf "%.0f\n", s }'; }

measure() {
  local name=$1 port=$2 path=$3; shift 3
  # The first request stores /cached/1k, so every measured request to it is a hit.
  curl -sf -o /dev/null "http://127.0.0.1:$H1$path"
  timeout 300 h2load "$@" -n "$WARMUP" -c 50 "http://127.0.0.1:$port$path" >/dev/null 2>&1 || true
  local a0 g0 a1 g1
  a0=$(allocated); g0=$(gen0)
  timeout 600 h2load "$@" -n "$REQUESTS" -c 50 "http://127.0.0.1:$port$path" >"$RUN/run.out" 2>&1
  a1=$(allocated); g1=$(gen0)
  grep -q "succeeded, 0 failed" "$RUN/run.out" || grep "requests:" "$RUN/run.out"
  printf "| %s | %d | %.0f | %.1f |\n" "$name" "$REQUESTS" "$(echo "($a1 - $a0) / $REQUESTS" | bc -l)" "$(echo "($g1 - $g0) * 1000 / $REQUESTS" | bc -l)"
}
echo "| load | requests | bytes allocated per request | gen0 GCs per 1000 requests |"
echo "|---|---|---|---|"
measure "http/1.1 keep-alive GET 1 KiB" "$H1" /1k --h1 -m 1
measure "http/1.1 keep-alive cache hit, 1 KiB" "$H1" /cached/1k --h1 -m 1
measure "h2c GET 1 KiB (4 streams/conn)" "$H2" /1k -m 4
