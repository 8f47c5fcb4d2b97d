#!/usr/bin/env bash
# The soak (issue 24): two Portico instances behind an HAProxy TCP front, sharing a Redis, in
# front of an nginx origin, under SOAK_SECONDS (default 600) of steady mixed load. Every
# SOAK_INTERVAL seconds (default 10) each instance's resident memory (and its anonymous, file
# and shared parts), open descriptors, threads, GC heap (the admin API's /api/status), heap left
# by the last collection and GC-committed memory (the admin /metrics) are sampled into
# samples.tsv; at the end a table over time (table.md) and a summary (summary.md: first minute
# against last minute, and the slope per minute after the first, by least squares) are written
# to bench/results/soak-*/.
# Flat is the point, not speed: the load is paced far below saturation and every part of it is
# bounded in time (and the rounds in count).
#
#   bench/soak.sh                      10 minutes
#   SOAK_SECONDS=120 bench/soak.sh     a short look
#   SOAK_BIN=DIR                       a build already made (DIR/portico.dll) instead of building
#   SOAK_CACHE_SIZE=16MiB              cache.maxSize (default 2MiB)
#
# The mix, all through the front unless said otherwise:
#   keep-alive   wrk, 8 connections, each pausing SOAK_PACE_MS (20) ms after a response:
#                cache hits (/cached/1k), a new cache key one request in five, 100 KiB uncached
#   new conns    wrk with Connection: close, 2 connections, /1k, paced the same
#   h2           h2load over the front's h2c port, 2 connections x 4 streams, 50 requests/s each, /1k
#   rate limit   wrk, 2 connections on /limited/1k, paced the same (limit 50/s shared through
#                Redis): mostly 429
#   uploads      curl POSTs of 1 MiB to /upload, one at a time
#   aborted      a download of 2 MiB the origin trickles, cut after 0.5 s, and a 1 MiB upload
#                sent at 200 KiB/s, cut after 0.3 s, one of each at a time
# Needs nginx, wrk, h2load (nghttp2-client), curl, redis-server, haproxy, python3, dotnet.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
DURATION=${SOAK_SECONDS:-600}
INTERVAL=${SOAK_INTERVAL:-10}
PACE_MS=${SOAK_PACE_MS:-20}
# Small, so that the new keys of the mix fill it within the first minutes and the rest of the
# soak sees it evicting, as a cache in service does (16MiB took all ten minutes to fill).
CACHE_SIZE=${SOAK_CACHE_SIZE:-2MiB}
BASE=${BENCH_PORT_BASE:-25000}
ORIGIN_PORT=$((BASE + 1)) REDIS_PORT=$((BASE + 2)) FRONT_PORT=$((BASE + 3)) FRONT_H2_PORT=$((BASE + 4)) ORIGIN_H2_PORT=$((BASE + 5))
declare -A PORT=([a]=$((BASE + 10)) [b]=$((BASE + 20))) H2=([a]=$((BASE + 11)) [b]=$((BASE + 21))) ADMIN=([a]=$((BASE + 12)) [b]=$((BASE + 22)))
declare -A PID=()

for tool in nginx wrk h2load curl redis-server haproxy python3 dotnet; do
  command -v "$tool" >/dev/null || { echo "bench/soak.sh: '$tool' is missing" >&2; exit 1; }
done
DIR="$BENCH_DIR/results/soak-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$DIR/www/limited"
chmod 755 "$DIR"
log() { printf '[soak %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ulimit -n 65536 2>/dev/null || true

BIN=${SOAK_BIN:-$DIR/bin}
if [ -z "${SOAK_BIN:-}" ]; then
  log "building src/Portico (Release) into $BIN"
  dotnet build "$REPO_DIR/src/Portico" -c Release -o "$BIN" --nologo -v quiet -clp:ErrorsOnly >"$DIR/build.log" 2>&1 \
    || { cat "$DIR/build.log" >&2; exit 1; }
fi

# The origin every benchmark shares (bench/lib/origin.sh: /1k, /100k, /cached/1k fresh for an
# hour) with the soak's own: /limited/1k, /upload reads and drops a body of up to 16 MiB, /big trickles.
head -c 1024 /dev/zero | tr '\0' 'a' > "$DIR/www/limited/1k"
head -c 2097152 /dev/zero | tr '\0' 'c' > "$DIR/www/big"
head -c 1048576 /dev/urandom > "$DIR/upload.bin"
# shellcheck source=lib/origin.sh
. "$BENCH_DIR/lib/origin.sh"
origin_setup "$DIR" 4196 "$ORIGIN_PORT" "$ORIGIN_H2_PORT" 102400 \
  'location = /upload { client_max_body_size 16m; return 200 "stored\n"; } location = /big { limit_rate 1m; }'
nginx -p "$DIR/origin/" -e "$DIR/origin/error.log" -c "$DIR/origin/nginx.conf" -g 'daemon off;' &
PIDS+=($!)

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
  --protected-mode no --dir "$DIR" >"$DIR/redis.log" 2>&1 &
PIDS+=($!)

for name in a b; do
  cat > "$DIR/portico-$name.yaml" <<YAML
listeners:
  http: { address: "127.0.0.1:${PORT[$name]}" }
  h2: { address: "127.0.0.1:${H2[$name]}", protocols: [h2c] }
admin: { address: "127.0.0.1:${ADMIN[$name]}" }
accessLog: { enabled: false }
proxy: { shutdownDelay: 1s }
cache: { maxSize: $CACHE_SIZE }
routes:
  cached: { match: { pathPrefix: /cached/ }, cluster: origin, cache: {} }
  limited: { match: { pathPrefix: /limited/ }, cluster: origin, rateLimit: { limit: 50, window: 1s } }
  all: { match: { pathPrefix: / }, cluster: origin }
clusters:
  origin: { destinations: ["http://127.0.0.1:$ORIGIN_PORT"] }
redis:
  endpoints: ["127.0.0.1:$REDIS_PORT"]
YAML
  dotnet "$BIN/portico.dll" run -c "$DIR/portico-$name.yaml" >"$DIR/portico-$name.log" 2>&1 &
  PID[$name]=$!
  PIDS+=("${PID[$name]}")
done

# The front as docs/operations.md has it: TCP mode, checks on each instance's /readyz.
front_backend() {
  local name=$1 ports=$2
  printf 'backend %s\n    balance roundrobin\n    option httpchk GET /readyz\n    http-check expect status 200\n' "$name"
  printf '    default-server inter 1s fall 2 rise 2\n'
  for instance in a b; do
    local -n port="$ports"
    printf '    server %s 127.0.0.1:%s check port %s\n' "$instance" "${port[$instance]}" "${ADMIN[$instance]}"
  done
}
{
  cat <<CFG
global
    maxconn 4000
defaults
    mode tcp
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    retries 3
    option redispatch 1
frontend front
    bind 127.0.0.1:$FRONT_PORT
    default_backend portico
frontend front_h2
    bind 127.0.0.1:$FRONT_H2_PORT
    default_backend portico_h2
CFG
  front_backend portico PORT
  front_backend portico_h2 H2
} > "$DIR/haproxy.cfg"
haproxy -db -f "$DIR/haproxy.cfg" >"$DIR/haproxy.log" 2>&1 &
PIDS+=($!)

for name in a b; do
  for _ in $(seq 600); do
    curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:${ADMIN[$name]}/readyz" && break
    kill -0 "${PID[$name]}" 2>/dev/null || { tail -5 "$DIR/portico-$name.log" >&2; log "instance $name exited"; exit 1; }
    sleep 0.1
  done
done
for _ in $(seq 100); do curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$FRONT_PORT/1k" && break; sleep 0.1; done
log "two instances (pids ${PID[a]} ${PID[b]}) behind the front on $FRONT_PORT; $DURATION s of load, sampled every $INTERVAL s into $DIR"

END=$(( $(date +%s) + DURATION ))
left() { echo $(( END - $(date +%s) )); }
# Each load runs in rounds of at most 30 s until the end, every tool under timeout(1).
rounds() {
  local name=$1
  while [ "$(left)" -gt 0 ]; do
    "$name" $(( $(left) < 30 ? $(left) : 30 )) >>"$DIR/load-$name.log" 2>&1 || true
  done
}
bounded() { local seconds=$1; shift; timeout -k 5 $((seconds + 10)) "$@"; }
paced() {
  local seconds=$1 connections=$2 path=$3; shift 3
  bounded "$seconds" env SOAK_PACE_MS="$PACE_MS" SOAK_PATH="$path" wrk -t 1 -c "$connections" -d "${seconds}s" \
    -s "$BENCH_DIR/lib/soak_mix.lua" "$@" "http://127.0.0.1:$FRONT_PORT"
}
keepalive() { paced "$1" 8 ""; }
newconns() { paced "$1" 2 /1k -H 'Connection: close'; }
limited() { paced "$1" 2 /limited/1k; }
h2() { bounded "$1" h2load -c 2 -m 4 --rps 50 -D "$1" "http://127.0.0.1:$FRONT_H2_PORT/1k" | grep -E '^(requests|status codes):'; }
# One curl at a time, each bounded by --max-time; counts by HTTP status (000: cut off by us).
curls() {
  local what=$1 seconds=$2; shift 2
  local until=$(( $(date +%s) + seconds ))
  while [ "$(date +%s)" -lt "$until" ]; do curl -s -o /dev/null -w '%{http_code}\n' "$@" || true; done | sort | uniq -c | sed "s/^/$what /"
}
uploads() { curls upload "$1" --max-time 10 -X POST --data-binary "@$DIR/upload.bin" "http://127.0.0.1:$FRONT_PORT/upload"; }
aborted() {
  curls aborted-download "$1" --max-time 0.5 "http://127.0.0.1:$FRONT_PORT/big" &
  curls aborted-upload "$1" --max-time 0.3 --limit-rate 200k -X POST --data-binary "@$DIR/upload.bin" "http://127.0.0.1:$FRONT_PORT/upload"
  wait
}
for load in keepalive newconns h2 limited uploads aborted; do
  rounds "$load" &
  PIDS+=($!)
done

# One line per instance per sample: elapsed seconds, instance, Rss (KiB) and its three parts
# (KiB, /proc/PID/status: anonymous, which holds the GC's heap, native allocations and stacks;
# mapped files, the assemblies and native libraries; shared memory, which with W^X (on by
# default) is where the runtime double-maps its JIT-compiled code and stubs), open descriptors,
# threads, GC heap (bytes, from the admin API's /api/status: GC.GetTotalMemory, so with the
# garbage not yet collected: a sawtooth), and from the runtime's meter on the admin /metrics
# the heap the last collection left (all generations; it still holds the garbage of the older
# generations that collection did not look at, so it climbs between gen1 and gen2 collections:
# what is live needs a full collection, which dotnet-gcdump forces) and the memory the GC has
# committed.
printf 'seconds\tinstance\trss_kib\trss_anon_kib\trss_file_kib\trss_shmem_kib\tfds\tthreads\tgc_heap_bytes\tgc_after_gc_bytes\tgc_committed_bytes\n' > "$DIR/samples.tsv"
START=$(date +%s)
tick=0
while [ "$(left)" -gt 0 ]; do
  for name in a b; do
    pid=${PID[$name]}
    kill -0 "$pid" 2>/dev/null || { log "instance $name exited during the soak"; exit 1; }
    read -r rss anon file shmem < <(awk '/^(VmRSS|RssAnon|RssFile|RssShmem):/ { kib[$1] = $2 }
      END { print kib["VmRSS:"], kib["RssAnon:"], kib["RssFile:"], kib["RssShmem:"] }' "/proc/$pid/status")
    threads=$(awk '/^Threads:/ { print $2 }' "/proc/$pid/status")
    fds=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 | wc -l)
    heap=$(curl -sSf --max-time 5 "http://127.0.0.1:${ADMIN[$name]}/api/status" 2>>"$DIR/sampler.log" \
      | grep -o '"gcHeapBytes": *[0-9]*' | grep -o '[0-9]*$' || echo NA)
    read -r after committed < <(curl -sSf --max-time 5 "http://127.0.0.1:${ADMIN[$name]}/metrics" 2>>"$DIR/sampler.log" \
      | awk '/^dotnet_gc_last_collection_heap_size_bytes[{ ]/ { after += $NF; seen = 1 }
             /^dotnet_gc_last_collection_memory_committed_size_bytes[{ ]/ { committed = $NF }
             END { print (seen ? after : "NA"), (committed == "" ? "NA" : committed) }' || echo NA NA)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(( $(date +%s) - START ))" "$name" "$rss" "$anon" "$file" "$shmem" "$fds" "$threads" "$heap" "${after:-NA}" "${committed:-NA}" >> "$DIR/samples.tsv"
  done
  # The sampling period, kept on a fixed grid however long a sample took on a loaded machine.
  tick=$((tick + 1))
  pause=$(( START + tick * INTERVAL - $(date +%s) ))
  [ "$pause" -le 0 ] || sleep "$pause"
done
wait_loads() { local pid; for pid in "${PIDS[@]: -6}"; do wait "$pid" 2>/dev/null || true; done; }
wait_loads

python3 "$BENCH_DIR/lib/soak_summary.py" "$DIR/samples.tsv" "$DIR/table.md" > "$DIR/summary.md"
{
  echo
  echo "Load (per round; bench/results/$(basename "$DIR")/load-*.log):"
  grep -h -E 'requests in|Non-2xx|Socket errors' "$DIR/load-keepalive.log" "$DIR/load-newconns.log" "$DIR/load-limited.log" | sort | uniq -c | sort -rn | head -12 | sed 's/^/    /'
  awk '/^requests:/ { done += $6; ok += $8; failed += $10; errored += $12 } END { printf "    h2: %d done, %d succeeded, %d failed, %d errored\n", done, ok, failed, errored }' "$DIR/load-h2.log"
  # By the status received before the end (000: none; an aborted download has its 200 first).
  awk '{ n[$1 " " $3] += $2 } END { for (k in n) printf "    %s: %d\n", k, n[k] }' "$DIR/load-uploads.log" "$DIR/load-aborted.log" | sort
} >> "$DIR/summary.md"
cat "$DIR/summary.md"
