#!/usr/bin/env bash
# Memory of one Portico at rest and per idle keep-alive connection, by part. Each variant is
# started with the admin listener (API, /metrics, dashboard) on, given a little traffic of each
# kind (through the proxy, the dashboard, /metrics), left alone for MEMORY_SETTLE seconds and
# then read from /proc: resident memory (Rss), what only this process holds (Private_Dirty),
# and both by part of the stack (bench/lib/rest_memory.py). Then bench/lib/idle_conns.py holds
# MEMORY_CONNS idle keep-alive connections and the growth of Rss per connection is reported.
#
#   bench/memory.sh                     the framework-dependent build ("jit") and the release build
#   BENCH_VARIANTS="name|exe|VAR=v ..." other builds or runtime settings (bench/lib/solo.sh)
#   MEMORY_SETTLE=10 MEMORY_CONNS=2000
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
SETTLE=${MEMORY_SETTLE:-10}
CONNS=${MEMORY_CONNS:-2000}
# shellcheck source=lib/solo.sh
. "$BENCH_DIR/lib/solo.sh"
solo_init memory
solo_builds
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

rows=()
while IFS='|' read -r name exe env; do
  [ -n "$name" ] || continue
  solo_start "$exe" "$env"
  timeout -k 5 10 taskset -c "$SOLO_LOAD_CPU" wrk -t 1 -c 10 -d 2s "http://127.0.0.1:$SOLO_PORT/1k" >/dev/null 2>&1 || true
  for path in / /dashboard.js /dashboard.css /metrics /api/status; do
    curl -sf -o /dev/null --max-time 5 "http://127.0.0.1:$SOLO_ADMIN_PORT$path" || solo_log "$name: admin $path did not answer 200"
  done
  sleep "$SETTLE"   # at rest: nothing is sent while the process settles (GC, tiering, timers)
  python3 "$BENCH_DIR/lib/rest_memory.py" "$SOLO_PID" > "$SOLO_DIR/$name.rest.txt"
  timeout -k 5 200 taskset -c "$SOLO_LOAD_CPU" python3 "$BENCH_DIR/lib/idle_conns.py" --port "$SOLO_PORT" --path /1k \
    --count "$CONNS" --hold 5 --pids "$SOLO_PID" --deadline 120 > "$SOLO_DIR/$name.idle.txt" 2>&1 || true
  solo_stop
  rows+=("$(python3 - "$SOLO_DIR/$name.rest.txt" "$SOLO_DIR/$name.idle.txt" "$name" "$env" <<'PY'
import sys
rest, idle, name, env = sys.argv[1:5]
kv = lambda line: dict(f.split("=", 1) for f in line.split()[1:] if "=" in f)
lines = open(rest).read().splitlines()
r = kv(lines[0])
print(f"\n{name}{' (' + env + ')' if env else ''}:", file=sys.stderr)
for line in lines[1:]:
    part, rss, dirty = line[5:].split("\t")
    print(f"  {int(rss.split('=')[1]) / 1024:6.1f} MiB Rss  {int(dirty.split('=')[1]) / 1024:6.1f} MiB private dirty  {part}", file=sys.stderr)
i = next((kv(l) for l in open(idle) if l.startswith("IDLE ")), None)
per = f"{(int(i['holding_kb']) - int(i['before_kb'])) * 1024 / max(1, int(i['opened'])):.0f} B ({i['opened']} held)" if i else "-"
mib = lambda k: f"{int(r[k]) / 1024:.1f}"
print(f"| {name} | {env or '-'} | {mib('rss_kb')} | {mib('private_dirty_kb')} | {mib('anon_kb')} | {mib('file_kb')} | {per} |")
PY
)")
done <<< "$SOLO_VARIANTS"
{
  echo "| variant | environment | Rss at rest (MiB) | private dirty (MiB) | anonymous (MiB) | file-backed (MiB) | Rss per idle connection |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} | tee "$SOLO_DIR/summary.md"
