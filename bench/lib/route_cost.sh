# The machinery of bench/header_cost.sh and bench/auth_cost.sh (and of any *_cost.sh that sources it): the CPU one route costs against another,
# measured inside one Portico process (same JIT state, heap and machine noise for every figure).
# Each route name R is served by the origin at /R/1k; short bounded wrk runs alternate between
# the routes; Portico's utime+stime (/proc/PID/stat) over each run divided by the requests it
# completed gives CPU µs per request.
#
# The caller sets NAME (for messages and the temp folder), ROUNDS, DURATION, CONNECTIONS, BASE
# (port base: Portico on BASE+1, the origin on BASE+80), ROUTES (route names, in the order
# measured) and WRK_HEADERS (an array of -H arguments), defines portico_routes (prints the YAML
# of `routes:` and `clusters:`, and any other top-level section; the origin is
# http://127.0.0.1:$((BASE + 80)), the temp folder $DIR), then calls cost_start, cost_measure and
# per_request ROUTE. Optionally BODY_BYTES (an associative array) sizes a route's /R/1k body
# (1024 bytes by default). The bodies' modification time is 2000-01-01, so a caching route finds
# them heuristically fresh for a day (RFC 9111 §4.2.2) and measures hits, not revalidations.
# shellcheck shell=bash

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
PIDS=()
declare -A TOTAL_TICKS=() TOTAL_REQUESTS=()
[[ -v BODY_BYTES ]] || declare -A BODY_BYTES=()

cost_cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}

# Builds Portico (Release), starts the origin and Portico with the caller's routes, waits until
# the first route answers. Extra tools the caller needs go in "$@".
cost_start() {
  DIR=$(mktemp -d "/tmp/portico-$NAME.XXXXXX")
  trap cost_cleanup EXIT
  for tool in wrk python3 curl dotnet "$@"; do command -v "$tool" >/dev/null || { echo "$NAME: $tool is required" >&2; exit 1; }; done
  (cd "$REPO_DIR" && dotnet build src/Portico -c Release -o "$DIR/bin" --nologo -v quiet -clp:ErrorsOnly) >"$DIR/build.log" 2>&1 \
    || { cat "$DIR/build.log" >&2; exit 1; }

  for route in "${ROUTES[@]}"; do
    mkdir -p "$DIR/www/$route"
    head -c "${BODY_BYTES[$route]:-1024}" /dev/zero | tr '\0' 'a' > "$DIR/www/$route/1k"
    touch -d '2000-01-01 00:00:00 UTC' "$DIR/www/$route/1k"
  done
  python3 -m http.server "$((BASE + 80))" --bind 127.0.0.1 --directory "$DIR/www" >"$DIR/origin.log" 2>&1 &
  PIDS+=($!)

  { printf 'listeners:\n  http: { address: "127.0.0.1:%d" }\nadmin: { enabled: false }\naccessLog: { enabled: false }\n' "$((BASE + 1))"
    portico_routes; } > "$DIR/portico.yaml"
  dotnet "$DIR/bin/portico.dll" run -c "$DIR/portico.yaml" >"$DIR/portico.log" 2>&1 &
  PORTICO=$!
  PIDS+=($PORTICO)
  for _ in $(seq 1 150); do
    curl -sf -o /dev/null "http://127.0.0.1:$((BASE + 1))/${ROUTES[0]}/1k" && return 0
    sleep 0.2
  done
  echo "$NAME: Portico did not answer; see $DIR/portico.log" >&2
  exit 1
}

cost_ticks() { awk '{print $14 + $15}' "/proc/$PORTICO/stat"; }

cost_run() {
  timeout -k 5 $(($2 + 30)) wrk -t 1 -c "$CONNECTIONS" -d "${2}s" "${WRK_HEADERS[@]}" \
    "http://127.0.0.1:$((BASE + 1))/$1/1k${QUERY:-}" | awk '/requests in/{print $1}'
}

# A warm-up run per route, then ROUNDS rounds of one run per route, each round's figure printed.
cost_measure() {
  local clk route round t0 t1 n
  clk=$(getconf CLK_TCK)
  for route in "${ROUTES[@]}"; do cost_run "$route" "$DURATION" >/dev/null; TOTAL_TICKS[$route]=0; TOTAL_REQUESTS[$route]=0; done
  for round in $(seq 1 "$ROUNDS"); do
    for route in "${ROUTES[@]}"; do
      t0=$(cost_ticks); n=$(cost_run "$route" "$DURATION"); t1=$(cost_ticks)
      TOTAL_TICKS[$route]=$((TOTAL_TICKS[$route] + t1 - t0)); TOTAL_REQUESTS[$route]=$((TOTAL_REQUESTS[$route] + n))
      awk -v r="$route" -v i="$round" -v t=$((t1 - t0)) -v n="$n" -v hz="$clk" \
        'BEGIN { printf "round %d %-5s %7d requests  %8.1f µs CPU/request\n", i, r, n, t * 1e6 / hz / n }'
    done
  done
}

# Portico CPU µs per request on ROUTE over every round.
per_request() {
  awk -v t="${TOTAL_TICKS[$1]}" -v n="${TOTAL_REQUESTS[$1]}" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }'
}
