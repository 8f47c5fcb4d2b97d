#!/usr/bin/env bash
# Warm-up: how soon a freshly started Portico serves at full speed. Each variant is started on
# the server core and loaded at once with keep-alive GETs of 1 KiB, one wrk run per second; its
# CPU time per request in each second (utime+stime from /proc ÷ requests) is set against its
# steady state (the median of the last WARMUP_STEADY seconds). nginx (the origin) shares the core,
# as in bench/run.sh. JIT tiering shows as seconds of higher CPU per request after start.
#
#   bench/warmup.sh                    the framework-dependent build ("jit") against the release
#                                      build (scripts/publish.sh: ReadyToRun, "published")
#   BENCH_VARIANTS="name|exe|VAR=v ..." other builds or runtime settings (bench/lib/solo.sh)
#   WARMUP_SECONDS=40 WARMUP_STEADY=5 WARMUP_CONNECTIONS=50
#
# Prints one table per variant and a summary (start-up time, the first second that starts three
# seconds within 10 % of the steady state, the first 5 and 10 s against it, the first 10 s's CPU
# per request itself, and what the JIT compiled by the end of second 10 and of the run, from the
# runtime's counters on the admin listener's /metrics, read between two wrk runs so that its CPU
# is not counted);
# raw lines go to bench/results/warmup-*/ (NAME-RUN.tsv: a variant listed twice runs twice).
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
SECONDS_TOTAL=${WARMUP_SECONDS:-40}
STEADY=${WARMUP_STEADY:-5}
CONNECTIONS=${WARMUP_CONNECTIONS:-50}
# shellcheck source=lib/solo.sh
. "$BENCH_DIR/lib/solo.sh"
solo_init warmup
solo_builds
CLK_TCK=$(getconf CLK_TCK)

# The runtime's JIT counters: "methods seconds" (methods compiled, seconds spent compiling).
jit_counters() {
  curl -s --max-time 5 "http://127.0.0.1:$SOLO_ADMIN_PORT/metrics" | awk '
    /^dotnet_jit_compiled_methods_total/ { m = $NF }
    /^dotnet_jit_compilation_time_seconds_total/ { t = $NF }
    END { printf "%s %s\n", (m == "" ? "-" : m), (t == "" ? "-" : t) }'
}

summary=()
run=0
while IFS='|' read -r name exe env; do
  [ -n "$name" ] || continue
  run=$((run + 1))
  solo_start "$exe" "$env"
  solo_log "$name: answering ${SOLO_START_MS} ms after exec; $SECONDS_TOTAL s of load, one wrk run a second"
  out="$SOLO_DIR/$name-$run.tsv"
  jit10="- -"
  printf 'second\trequests\tcpu_ticks\n' > "$out"
  for s in $(seq 1 "$SECONDS_TOTAL"); do
    c0=$(solo_cpu_ticks "$SOLO_PID")
    timeout -k 5 10 taskset -c "$SOLO_LOAD_CPU" wrk -t 1 -c "$CONNECTIONS" -d 1s --timeout 5s \
      -s "$BENCH_DIR/lib/summary.lua" "http://127.0.0.1:$SOLO_PORT/1k" > "$SOLO_DIR/wrk.txt" 2>&1 || true
    c1=$(solo_cpu_ticks "$SOLO_PID")
    req=$(awk '/^BENCH/ { for (i = 2; i <= NF; i++) if ($i ~ /^requests=/) { sub("requests=", "", $i); print $i } }' "$SOLO_DIR/wrk.txt")
    printf '%s\t%s\t%s\n' "$s" "${req:-0}" $((c1 - c0)) >> "$out"
    [ "$s" != 10 ] || jit10=$(jit_counters)
  done
  jitend=$(jit_counters)
  solo_stop
  summary+=("$(python3 - "$out" "$name" "$SOLO_START_MS" "$STEADY" "$CLK_TCK" $jit10 $jitend <<'PY'
import statistics, sys
path, name, start_ms, steady_n, clk = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
jit10, jitend = sys.argv[6:8], sys.argv[8:10]
def jit(m, t):
    return "-" if m == "-" else f"{int(float(m))} ({float(t):.1f} s)"
rows = [l.split("\t") for l in open(path).read().split("\n")[1:] if l]
us = [int(t) * 1e6 / clk / int(r) if int(r) > 0 else float("inf") for _, r, t in rows]
steady = statistics.median(us[-steady_n:])
print(f"### {name}\n\n| second | req/s | CPU µs/request | × steady |\n|---|---|---|---|", file=sys.stderr)
for (s, r, _), u in zip(rows, us):
    print(f"| {s} | {r} | {u:.1f} | {u / steady:.2f} |", file=sys.stderr)
print("", file=sys.stderr)
# Full speed from the first second that starts three seconds whose CPU per request, together, is
# within 10 % of the steady state. Not "no second above it from then on": on a shared machine
# single seconds of the steady state itself move by more than that, so that rule named a second
# near the end of the run for every build, warm from its start or not.
def window(i, n=3):
    rs = rows[i:i + n]
    return sum(int(t) for _, _, t in rs) * 1e6 / clk / max(1, sum(int(r) for _, r, _ in rs))
full = next((i + 1 for i in range(len(rows) - 2) if window(i) <= 1.1 * steady), None)
first5 = sum(int(t) for _, _, t in rows[:5]) * 1e6 / clk / max(1, sum(int(r) for _, r, _ in rows[:5]))
first10 = sum(int(t) for _, _, t in rows[:10]) * 1e6 / clk / max(1, sum(int(r) for _, r, _ in rows[:10]))
print(f"| {name} | {start_ms} | {steady:.1f} | {first5 / steady:.2f} | {first10 / steady:.2f} | {full if full else '-'} "
      f"| {first10:.1f} | {jit(*jit10)} | {jit(*jitend)} |")
PY
)")
done <<< "$SOLO_VARIANTS"
{
  echo "| variant | answering after start (ms) | steady CPU µs/request | first 5 s × steady | first 10 s × steady | full speed (3 s within 10 %) from second | first 10 s CPU µs/request | JIT by second 10: methods (time) | JIT by the end |"
  echo "|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${summary[@]}"
} | tee "$SOLO_DIR/summary.md"
