#!/usr/bin/env bash
# The WAF's CPU cost per request, measured inside one Portico process: two routes to the same
# origin, identical but for `waf: block` (Debian's OWASP CRS 3.3, paranoia 1). Short bounded
# wrk runs alternate between the routes; Portico's utime+stime (/proc/PID/stat) over each run
# divided by the requests it completed gives CPU µs per request. One process for both routes
# means the same JIT state, heap and machine noise for both figures.
#
#   bench/waf_cost.sh                      3 rounds x 5 s per route, after a 5 s warm-up each
#   WAF_COST_ROUNDS=5 WAF_COST_SECONDS=10 bench/waf_cost.sh
#
# With perf (apt-get install linux-perf) it also prints where the WAF's added CPU goes: each
# round is sampled (perf record -F 999), samples are grouped by the library they fall in, and
# the per-request difference between the routes is split into ModSecurity (libmodsecurity and
# the pcre2/yajl/libxml2/libstdc++ it calls), libc (malloc and copies, nearly all ModSecurity's:
# the runtime has its own allocator), .NET (Portico's glue, Kestrel, the runtime and its JIT)
# and the kernel. WAF_COST_PERF=0 skips it.
#
# Needs wrk, python3, libmodsecurity3 and modsecurity-crs (bench/run.sh installs them) and the
# .NET SDK. Everything it starts is stopped on exit; only 127.0.0.1 is used.
set -euo pipefail

ROUNDS=${WAF_COST_ROUNDS:-3}
DURATION=${WAF_COST_SECONDS:-5}
CONNECTIONS=${WAF_COST_CONNECTIONS:-8}
BASE=${WAF_COST_PORT_BASE:-${BENCH_PORT_BASE:-24500}}
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
DIR=$(mktemp -d /tmp/portico-waf-cost.XXXXXX)

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

for tool in wrk python3 dotnet; do command -v "$tool" >/dev/null || { echo "waf_cost: $tool is required" >&2; exit 1; }; done

(cd "$REPO_DIR" && dotnet build src/Portico -c Release -o "$DIR/bin" --nologo -v quiet -clp:ErrorsOnly) >"$DIR/build.log" 2>&1 \
  || { cat "$DIR/build.log" >&2; exit 1; }

mkdir -p "$DIR/www/plain" "$DIR/www/waf"
head -c 1024 /dev/zero | tr '\0' 'a' | tee "$DIR/www/plain/1k" > "$DIR/www/waf/1k"
python3 -m http.server "$((BASE + 80))" --bind 127.0.0.1 --directory "$DIR/www" >"$DIR/origin.log" 2>&1 &
PIDS+=($!)

cat > "$DIR/portico.yaml" <<YAML
listeners:
  http: { address: "127.0.0.1:$((BASE + 1))" }
admin: { enabled: false }
accessLog: { enabled: false }
waf: { auditLog: $DIR/waf-audit.log }
routes:
  plain: { match: { pathPrefix: /plain }, cluster: origin }
  waf: { match: { pathPrefix: /waf }, cluster: origin, waf: block }
clusters:
  origin: { destinations: [http://127.0.0.1:$((BASE + 80))] }
YAML
dotnet "$DIR/bin/portico.dll" run -c "$DIR/portico.yaml" >"$DIR/portico.log" 2>&1 &
PORTICO=$!
PIDS+=($PORTICO)
for _ in $(seq 1 150); do
  curl -sf -o /dev/null "http://127.0.0.1:$((BASE + 1))/waf/1k" && break
  sleep 0.2
done

ticks() { awk '{print $14 + $15}' "/proc/$PORTICO/stat"; }
PERF=${WAF_COST_PERF:-1}
command -v perf >/dev/null || PERF=0

# Samples of one round by group, as "group count" lines appended to $DIR/perf-ROUTE.tsv.
sample() {
  local route=$1 seconds=$2
  perf record -q -F 999 -p "$PORTICO" -o "$DIR/perf-$route.data" -- sleep "$seconds" >/dev/null 2>&1 || return 0
  perf report -i "$DIR/perf-$route.data" --sort dso --stdio --no-children -g none -F overhead,sample,dso 2>/dev/null \
    | awk -v r="$route" '!/^#/ && NF >= 3 { dso = $3; n = $2;
        g = dso ~ /modsecurity|pcre|yajl|libxml2|libstdc|liblua|libgcc_s/ ? "modsecurity" : dso ~ /^libc\.so/ ? "libc" : dso ~ /kernel/ ? "kernel" : "dotnet";
        print g, n }' >> "$DIR/perf-$route.tsv"
}
CLK_TCK=$(getconf CLK_TCK)

# A browser's request: headers, a cookie and a query string for the rules to read.
run() {
  local route=$1 seconds=$2
  timeout -k 5 $((seconds + 30)) wrk -t 1 -c "$CONNECTIONS" -d "${seconds}s" \
    -H 'Host: shop.example.com' \
    -H 'User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36' \
    -H 'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' -H 'Accept-Language: en-GB,en;q=0.9' \
    -H 'Cookie: session=4f9c2a7e1b3d5f60; theme=dark' \
    "http://127.0.0.1:$((BASE + 1))/$route/1k?q=running+shoes&size=42&page=2" | awk '/requests in/{print $1}'
}

run plain "$DURATION" >/dev/null
run waf "$DURATION" >/dev/null
declare -A total_ticks=([plain]=0 [waf]=0) total_requests=([plain]=0 [waf]=0)
for round in $(seq 1 "$ROUNDS"); do
  for route in plain waf; do
    sampler=
    if [ "$PERF" = 1 ]; then sample "$route" "$((DURATION - 1))" & sampler=$!; fi
    t0=$(ticks); n=$(run "$route" "$DURATION"); t1=$(ticks)
    [ -z "$sampler" ] || wait "$sampler"
    total_ticks[$route]=$((total_ticks[$route] + t1 - t0)); total_requests[$route]=$((total_requests[$route] + n))
    awk -v r="$route" -v i="$round" -v t=$((t1 - t0)) -v n="$n" -v hz="$CLK_TCK" \
      'BEGIN { printf "round %d %-5s %7d requests  %8.1f µs CPU/request\n", i, r, n, t * 1e6 / hz / n }'
  done
done
[ ! -s "$DIR/waf-audit.log" ] || echo "note: the WAF logged $(wc -l < "$DIR/waf-audit.log") request(s); see $DIR/waf-audit.log"
awk -v pt="${total_ticks[plain]}" -v pn="${total_requests[plain]}" -v wt="${total_ticks[waf]}" -v wn="${total_requests[waf]}" -v hz="$CLK_TCK" \
  'BEGIN { p = pt * 1e6 / hz / pn; w = wt * 1e6 / hz / wn;
           printf "plain %.1f µs, waf %.1f µs of Portico CPU per request: the WAF adds %.1f µs (%.2fx)\n", p, w, w - p, w / p }'
# The split: CPU per request of each group on each route (samples at 999 Hz), and the difference.
if [ "$PERF" = 1 ] && [ -s "$DIR/perf-waf.tsv" ] && [ -s "$DIR/perf-plain.tsv" ]; then
  for route in plain waf; do
    awk -v r="$route" '{ s[$1] += $2 } END { for (g in s) print r, g, s[g] }' "$DIR/perf-$route.tsv"
  done | awk -v pn="${total_requests[plain]}" -v wn="${total_requests[waf]}" -v rounds="$ROUNDS" -v d="$DURATION" '
    { us = $3 * 1e6 / 999 * d / (d - 1); if ($1 == "plain") p[$2] = us / pn; else w[$2] = us / wn; groups[$2] = 1 }
    END { printf "where the added CPU goes (perf, µs per request: plain -> waf = added):\n";
          for (g in groups) { printf "  %-12s %7.1f -> %7.1f = %+7.1f\n", g, p[g], w[g], w[g] - p[g]; t += w[g] - p[g] }
          printf "  %-12s %25s %+7.1f\n", "total", "", t }'
fi
