#!/usr/bin/env bash
# Cache hits against the shared caches operators use (issue 23): CPU per request and req/s of a
# hit from Portico's memory tier, from its disk tier, from nginx's proxy_cache and from Varnish,
# for the same bodies (1 KiB and 64 KiB, Cache-Control: max-age=3600 from one nginx origin).
#
#   bench/cache_bench.sh                                    3 interleaved rounds x 10 s per server and body
#   CACHE_BENCH_ROUNDS=1 CACHE_BENCH_SECONDS=3 bench/cache_bench.sh   a smoke check
#   CACHE_BENCH_BIN=DIR                                     a build already made (DIR/portico.dll) instead of building
#   CACHE_BENCH_SERVERS="portico-mem nginx"                 only these servers (of the four below)
#   CACHE_BENCH_PORTICO_WARMUP=60                           seconds of unrecorded hits on each Portico server before
#                                                           the rounds (0: none, as before 2026-12-07)
#
# Servers, each started by this script with a config it writes under a temp folder:
#   portico-mem   `cache: {}`: hits from the memory tier, answered on the fast path
#   portico-disk  `cache: { maxObjectSize: 1, disk: {...} }`: nothing fits the memory tier, so every
#                 hit is read from the disk tier's file (the full pipeline serves those)
#   nginx         proxy_cache (its only store: files, read through the page cache), proxy_cache_lock
#   varnish       its defaults (-s malloc,256m), the origin as its one backend
# Every measured request is a hit: each server is sent each body once before the rounds and the
# script checks the next answer is a hit (Cache-Status, X-Cache-Status, Varnish's X-Varnish pair).
# The disk tier's and nginx's files sit in the temp folder, so in the page cache: this measures
# each cache's own work, not the device.
#
# Rounds are interleaved (for each round, each body, each server in turn) so a drift of the
# machine hits every server alike; each server gets one unrecorded warm-up run per body first.
# Portico reaches its steady speed only once .NET's tiered JIT has recompiled the hot code with
# profile data, 30-60 s of load on a saturated core (bench/RESULTS.md, "Warm-up"); bench/run.sh
# gives it 60 s alone for that, and so does this script (CACHE_BENCH_PORTICO_WARMUP), so the
# rounds compare steady states. Without it (0) the first rounds carry the JIT's work, as the
# figures of 2026-12-06 did.
# As bench/run.sh does, the load generator runs on core CACHE_BENCH_LOAD_CPU (0) and the servers
# and the origin on CACHE_BENCH_SERVER_CPU (1). CPU per request is utime+stime (/proc/PID/stat)
# of the server's whole process tree over a run divided by the requests wrk completed; the
# report gives the median over the rounds. Installs what is missing from Debian (nginx, varnish
# and gcc for its VCL, wrk, curl). Everything it starts is stopped on exit; only 127.0.0.1 is used.
set -euo pipefail

ROUNDS=${CACHE_BENCH_ROUNDS:-3}
DURATION=${CACHE_BENCH_SECONDS:-10}
PORTICO_WARMUP=${CACHE_BENCH_PORTICO_WARMUP:-60}
CONNECTIONS=${CACHE_BENCH_CONNECTIONS:-50}
BASE=${CACHE_BENCH_PORT_BASE:-${BENCH_PORT_BASE:-26400}}
LOAD_CPU=${CACHE_BENCH_LOAD_CPU:-0}
SERVER_CPU=${CACHE_BENCH_SERVER_CPU:-1}
SIZES=(1k 64k)
read -r -a SERVERS <<<"${CACHE_BENCH_SERVERS:-portico-mem portico-disk nginx varnish}"
declare -A PORT=([origin]=$((BASE + 80)) [origin-h2]=$((BASE + 81)) [portico-mem]=$((BASE + 1)) [portico-disk]=$((BASE + 2)) [nginx]=$((BASE + 3)) [varnish]=$((BASE + 4)))
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
declare -A PID=()

die() { echo "cache_bench: $*" >&2; exit 1; }

cleanup() {
  local pid
  for pid in "${PID[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PID[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Debian packages for the commands that are missing (command:package).
need=()
for pair in nginx:nginx varnishd:varnish gcc:gcc wrk:wrk curl:curl python3:python3 taskset:util-linux pgrep:procps ss:iproute2; do
  PATH="$PATH:/usr/sbin:/sbin" command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair##*:}")
done
if ((${#need[@]})); then
  echo "cache_bench: installing from Debian: ${need[*]}" >&2
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  # The packages' own services are not wanted (this script runs its own instances); without systemd they do not start.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >&2
fi
export PATH="$PATH:/usr/sbin:/sbin"
command -v dotnet >/dev/null || die "the .NET 10 SDK ('dotnet') is required to build Portico"
for name in "${!PORT[@]}"; do
  ! ss -Hltn "sport = :${PORT[$name]}" | grep -q . || die "port ${PORT[$name]} ($name) on 127.0.0.1 is in use; set CACHE_BENCH_PORT_BASE"
done

DIR=$(mktemp -d /tmp/portico-cache-bench.XXXXXX)
chmod 755 "$DIR"
mkdir -p "$DIR/www/c" "$DIR/nginx" "$DIR/varnish" "$DIR/portico-mem" "$DIR/portico-disk"
head -c 1024 /dev/zero | tr '\0' 'a' > "$DIR/www/c/1k"
head -c 65536 /dev/zero | tr '\0' 'b' > "$DIR/www/c/64k"

BIN=${CACHE_BENCH_BIN:-$DIR/bin}
if [ -z "${CACHE_BENCH_BIN:-}" ]; then
  (cd "$REPO_DIR" && dotnet build src/Portico -c Release -o "$BIN" --nologo -v quiet -clp:ErrorsOnly) >"$DIR/build.log" 2>&1 \
    || { cat "$DIR/build.log" >&2; exit 1; }
fi

# The origin every benchmark shares (bench/lib/origin.sh), one worker; /c/'s bodies fresh for an hour.
# shellcheck source=lib/origin.sh
. "$BENCH_DIR/lib/origin.sh"
origin_setup "$DIR" 1124 "${PORT[origin]}" "${PORT[origin-h2]}" 102400 'location /c/ { expires 1h; }'

# nginx as the caching proxy: proxy_cache with request collapsing, as Portico and Varnish do;
# X-Cache-Status only so this script can check its answers are hits.
cat > "$DIR/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $DIR/nginx/nginx.pid;
error_log $DIR/nginx/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    proxy_cache_path $DIR/nginx/cache levels=1:2 keys_zone=bench:10m max_size=256m inactive=1h use_temp_path=off;
    upstream origin { server 127.0.0.1:${PORT[origin]}; keepalive 64; }
    server {
        listen 127.0.0.1:${PORT[nginx]};
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_cache bench;
            proxy_cache_lock on;
            add_header X-Cache-Status \$upstream_cache_status;
        }
    }
}
EOF

cat > "$DIR/varnish/default.vcl" <<EOF
vcl 4.1;
backend origin { .host = "127.0.0.1"; .port = "${PORT[origin]}"; }
EOF

portico_yaml() { # PORT CACHE-SECTION
  cat <<EOF
listeners:
  http: { address: "127.0.0.1:$1" }
admin: { enabled: false }
accessLog: { enabled: false }
$2
routes:
  c: { match: { pathPrefix: /c/ }, cluster: origin, cache: {} }
clusters:
  origin: { destinations: [http://127.0.0.1:${PORT[origin]}] }
EOF
}
portico_yaml "${PORT[portico-mem]}" "cache: {}" > "$DIR/portico-mem/portico.yaml"
portico_yaml "${PORT[portico-disk]}" "cache: { maxObjectSize: 1, disk: { dir: \"$DIR/portico-disk/cache\" } }" > "$DIR/portico-disk/portico.yaml"

start() { # NAME COMMAND...
  local name=$1; shift
  taskset -c "$SERVER_CPU" "$@" >"$DIR/$name.log" 2>&1 &
  PID[$name]=$!
  for _ in $(seq 1 150); do
    curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:${PORT[$name]}/c/1k" && return 0
    kill -0 "${PID[$name]}" 2>/dev/null || break
    sleep 0.2
  done
  die "$name did not answer on port ${PORT[$name]}; see $DIR/$name.log"
}

start origin nginx -p "$DIR/origin/" -e "$DIR/origin/error.log" -c "$DIR/origin/nginx.conf" -g 'daemon off;'
measured() { [[ " ${SERVERS[*]} " == *" $1 "* ]]; }
measured portico-mem && start portico-mem dotnet "$BIN/portico.dll" run -c "$DIR/portico-mem/portico.yaml"
measured portico-disk && start portico-disk dotnet "$BIN/portico.dll" run -c "$DIR/portico-disk/portico.yaml"
measured nginx && start nginx nginx -p "$DIR/nginx/" -e "$DIR/nginx/error.log" -c "$DIR/nginx/nginx.conf" -g 'daemon off;'
measured varnish && start varnish varnishd -F -a "127.0.0.1:${PORT[varnish]}" -f "$DIR/varnish/default.vcl" -n "$DIR/varnish/work" -s malloc,256m

# Whether the server's answer to a GET of the body was a hit, from its own field.
is_hit() { # SERVER SIZE
  local head
  head=$(curl -sf -D - -o /dev/null --max-time 5 "http://127.0.0.1:${PORT[$1]}/c/$2") || return 1
  case $1 in
    portico-*) grep -qi '^Cache-Status: Portico; hit' <<<"$head" ;;
    nginx) grep -qi '^X-Cache-Status: HIT' <<<"$head" ;;
    # A hit's X-Varnish names two transactions: this one and the one that stored the object.
    varnish) grep -qiE '^X-Varnish: [0-9]+ [0-9]+' <<<"$head" ;;
  esac
}
for server in "${SERVERS[@]}"; do
  for size in "${SIZES[@]}"; do
    for _ in $(seq 1 50); do is_hit "$server" "$size" && continue 2; sleep 0.1; done
    die "$server does not answer /c/$size from its cache"
  done
done
! measured portico-disk || [ -n "$(find "$DIR/portico-disk/cache" -name '*.entry' 2>/dev/null)" ] || die "portico-disk holds no file"

tree_pids() { # PID: it and its descendants
  local p
  echo "$1"
  for p in $(pgrep -P "$1" || true); do tree_pids "$p"; done
}
ticks() { # SERVER: "utime stime" of its process tree
  local user=0 system=0 p u s
  for p in $(tree_pids "${PID[$1]}"); do
    [ -r "/proc/$p/stat" ] && read -r u s < <(awk '{print $14, $15}' "/proc/$p/stat" 2>/dev/null || echo 0 0) && user=$((user + u)) && system=$((system + s))
  done
  echo "$user $system"
}
# lib/summary.lua prints wrk's exact counts and percentiles on one line (errors: socket errors and non-2xx/3xx).
run() { # SERVER SIZE SECONDS -> "requests req/s p99-ms errors"
  timeout -k 5 $(($3 + 30)) taskset -c "$LOAD_CPU" wrk -t 1 -c "$CONNECTIONS" -d "${3}s" -s "$BENCH_DIR/lib/summary.lua" "http://127.0.0.1:${PORT[$1]}/c/$2" \
    | awk '/^BENCH / { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                       printf "%d %.0f %.2f %d\n", v["requests"], v["requests"] * 1e6 / v["duration_us"], v["p99_us"] / 1000, v["errors"] }'
}

CLK=$(getconf CLK_TCK)
RAW="$DIR/rounds.txt"
: > "$RAW"
echo "cache_bench: warm-up, then $ROUNDS round(s) of ${DURATION}s per server and body, $CONNECTIONS connections (results in $DIR)" >&2
if [ "$PORTICO_WARMUP" -gt 0 ]; then
  echo "cache_bench: warming each Portico server up for ${PORTICO_WARMUP}s (both bodies in turn, 5 s pieces), not recorded" >&2
  for server in portico-mem portico-disk; do
    measured "$server" || continue
    left=$PORTICO_WARMUP
    while [ "$left" -gt 0 ]; do
      for size in "${SIZES[@]}"; do
        [ "$left" -gt 0 ] || break
        piece=$((left < 5 ? left : 5))
        run "$server" "$size" "$piece" >/dev/null
        left=$((left - piece))
      done
    done
  done
fi
for size in "${SIZES[@]}"; do for server in "${SERVERS[@]}"; do run "$server" "$size" 2 >/dev/null; done; done
for round in $(seq 1 "$ROUNDS"); do
  for size in "${SIZES[@]}"; do
    for server in "${SERVERS[@]}"; do
      read -r u0 s0 < <(ticks "$server"); read -r n rps p99 errors < <(run "$server" "$size" "$DURATION"); read -r u1 s1 < <(ticks "$server")
      # CPU µs per request: in all, then in user space and in the kernel.
      us=$(awk -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v n="$n" -v hz="$CLK" 'BEGIN { f = n ? 1e6 / hz / n : 0; printf "%.1f %.1f %.1f", (u + s) * f, u * f, s * f }')
      echo "$size $server $round $rps ${us%% *} $p99 $errors ${us#* }" | tee -a "$RAW" >&2
      sleep 1
    done
  done
done

# One table per body: medians over the rounds, and CPU per request against nginx's.
python3 - "$RAW" "$ROUNDS" "$DURATION" "$CONNECTIONS" "$PORTICO_WARMUP" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
print(f"Cache hits, {sys.argv[2]} interleaved round(s) of {sys.argv[3]} s, wrk -t1 -c {sys.argv[4]}, Portico warmed up {sys.argv[5]} s first; medians over the rounds\n")
for size in dict.fromkeys(r[0] for r in rows):
    by = {}
    for s, server, _, rps, us, p99, err, user, kernel in (r for r in rows if r[0] == size):
        by.setdefault(server, []).append((float(rps), float(us), float(p99), int(err), float(user), float(kernel)))
    med = {k: [statistics.median(x[i] for x in v) for i in range(3)] + [sum(x[3] for x in v)] + [statistics.median(x[i] for x in v) for i in (4, 5)] for k, v in by.items()}
    ref = med.get("nginx", [0, 0])[1]
    print(f"### /c/{size}\n\n| server | req/s | CPU µs/req | user + kernel µs | p99 ms | CPU vs nginx | errors |\n|---|---|---|---|---|---|---|")
    for server, (rps, us, p99, err, user, kernel) in med.items():
        print(f"| {server} | {rps:.0f} | {us:.1f} | {user:.1f} + {kernel:.1f} | {p99:.2f} | {f'{us / ref:.2f}' if ref else ''} | {err} |")
    # Each round's own ratio (the servers of one round ran within seconds of each other).
    nginx = {r[2]: float(r[4]) for r in rows if r[0] == size and r[1] == "nginx"}
    for server in (k for k in by if k != "nginx"):
        ratios = [f"{float(r[4]) / nginx[r[2]]:.3f}" for r in rows if r[0] == size and r[1] == server and nginx.get(r[2])]
        print(f"\n{server} against nginx, round by round: {', '.join(ratios)}", end="")
    print("\n")
EOF
