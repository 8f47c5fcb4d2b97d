#!/usr/bin/env bash
# What an idle keep-alive connection holds on the GC heap, by type: each variant (as in
# bench/memory.sh: BENCH_VARIANTS="name|exe|VAR=v ...", default the framework-dependent build) is
# started, given a little traffic and left to settle; a heap dump (dotnet-gcdump) is taken at rest
# and again while bench/lib/idle_conns.py holds HEAP_CONNS idle connections (one GET each). The
# report lists the types whose live bytes grew, per connection, largest first.
#
#   HEAP_CONNS=2000 HEAP_SETTLE=8 BENCH_VARIANTS=$'before|A/portico.dll|\nafter|B/portico.dll|' bench/idle_heap.sh
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
SETTLE=${HEAP_SETTLE:-8}
CONNS=${HEAP_CONNS:-2000}
GCDUMP=${GCDUMP:-$(command -v dotnet-gcdump || echo "$HOME/.dotnet/tools/dotnet-gcdump")}
[ -x "$GCDUMP" ] || { echo "bench/idle_heap.sh: dotnet-gcdump is missing (dotnet tool install -g dotnet-gcdump)" >&2; exit 1; }
# shellcheck source=lib/solo.sh
. "$BENCH_DIR/lib/solo.sh"
solo_init idle_heap
if [ -z "${BENCH_VARIANTS:-}" ]; then
  dotnet build "$REPO_DIR/src/Portico" -c Release -o "$SOLO_DIR/jit" --nologo -v quiet -clp:ErrorsOnly >"$SOLO_DIR/build.log" 2>&1 \
    || { cat "$SOLO_DIR/build.log" >&2; exit 1; }
  BENCH_VARIANTS="jit|$SOLO_DIR/jit/portico.dll|"
fi
solo_builds
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

while IFS='|' read -r name exe env; do
  [ -n "$name" ] || continue
  solo_start "$exe" "$env"
  timeout -k 5 10 taskset -c "$SOLO_LOAD_CPU" wrk -t 1 -c 10 -d 2s "http://127.0.0.1:$SOLO_PORT/1k" >/dev/null 2>&1 || true
  sleep "$SETTLE"
  timeout -k 5 120 "$GCDUMP" collect -p "$SOLO_PID" -o "$SOLO_DIR/$name.rest.gcdump" >/dev/null
  timeout -k 5 300 taskset -c "$SOLO_LOAD_CPU" python3 "$BENCH_DIR/lib/idle_conns.py" --port "$SOLO_PORT" --path /1k \
    --count "$CONNS" --hold 60 --pids "$SOLO_PID" --deadline 120 > "$SOLO_DIR/$name.idle.txt" 2>&1 &
  holder=$!
  for _ in $(seq 1 240); do
    held=$(ss -Htn state established "( sport = :$SOLO_PORT )" | wc -l)
    [ "$held" -ge "$CONNS" ] && break
    sleep 0.5
  done
  sleep 2
  timeout -k 5 120 "$GCDUMP" collect -p "$SOLO_PID" -o "$SOLO_DIR/$name.held.gcdump" >/dev/null
  held=$(ss -Htn state established "( sport = :$SOLO_PORT )" | wc -l)
  kill "$holder" 2>/dev/null || true
  wait "$holder" 2>/dev/null || true
  solo_stop
  "$GCDUMP" report "$SOLO_DIR/$name.rest.gcdump" > "$SOLO_DIR/$name.rest.txt"
  "$GCDUMP" report "$SOLO_DIR/$name.held.gcdump" > "$SOLO_DIR/$name.held.txt"
  python3 - "$SOLO_DIR/$name.rest.txt" "$SOLO_DIR/$name.held.txt" "$name" "$held" <<'PY' | tee "$SOLO_DIR/$name.types.txt"
import re, sys
rest, held, name, conns = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def parse(path):
    # dotnet-gcdump report: "<size of one object> <count> <type>" per type (the first column
    # is the size of one object, so a type's bytes are size x count).
    types = {}
    for line in open(path):
        m = re.match(r"\s*([\d,]+)\s+([\d,]+)\s+(.+?)\s*$", line)
        if m:
            size, count = int(m[1].replace(",", "")), int(m[2].replace(",", ""))
            types[m[3]] = (size, count)
    return types
a, b = parse(rest), parse(held)
rows = []
for t, (size, count) in b.items():
    c0 = a.get(t, (0, 0))[1]
    grew = count - c0
    if grew > 0:
        rows.append((size * grew / conns, count / conns if c0 == 0 else grew / conns, size, t))
rows.sort(reverse=True)
total = sum(r[0] for r in rows)
print(f"{name}: {conns} idle connections held; live bytes per connection of types that grew: {total:,.0f} B")
for per, n, size, t in rows:
    if per < 4:
        break
    print(f"  {per:7.1f} B  {n:5.2f} x {size:5d} B  {t}")
PY
done <<< "$SOLO_VARIANTS"
