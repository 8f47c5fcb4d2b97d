# One Portico at a time in front of bench/run.sh's origin (bench/lib/origin.sh), for the
# measurements of a single process over its life (sourced by bench/warmup.sh and bench/memory.sh).
#
#   solo_init NAME        work directory $SOLO_DIR, cleanup on exit, the origin on $SOLO_ORIGIN_PORT
#   solo_builds           $SOLO_VARIANTS by default: the framework-dependent build ("jit") and
#                         the release build ("published", scripts/publish.sh)
#   solo_start EXE ENV    Portico (EXE: a published binary, or a .dll run by dotnet) with
#                         $SOLO_DIR/portico.yaml on the server core; sets SOLO_PID and SOLO_START_MS
#   solo_stop             stops it
#   solo_cpu_ticks PID    utime+stime of the process (all its threads), in clock ticks
#
# A variant is one line "name|executable|VAR=value ...": bench/warmup.sh and bench/memory.sh take
# their list from BENCH_VARIANTS, e.g. a runtime setting tried on the published binary:
#   BENCH_VARIANTS=$'published|artifacts/publish/linux-x64/portico|\nwks|artifacts/publish/linux-x64/portico|DOTNET_gcServer=0'
SOLO_LOAD_CPU=${BENCH_LOAD_CPU:-0}
SOLO_SERVER_CPU=${BENCH_SERVER_CPU:-1}
SOLO_PORT_BASE=${BENCH_PORT_BASE:-24000}
SOLO_ORIGIN_PORT=$((SOLO_PORT_BASE + 880))
SOLO_PORT=$((SOLO_PORT_BASE + 890))
SOLO_ADMIN_PORT=$((SOLO_PORT_BASE + 899))
SOLO_PIDS=()

solo_log() { printf '[%s %s] %s\n' "$SOLO_NAME" "$(date +%H:%M:%S)" "$*" >&2; }

solo_init() {
  SOLO_NAME=$1
  local tool
  for tool in nginx wrk curl python3 dotnet taskset; do
    command -v "$tool" >/dev/null || { echo "bench/$SOLO_NAME.sh: '$tool' is missing (bench/run.sh installs nginx and wrk)" >&2; exit 1; }
  done
  SOLO_DIR="$BENCH_DIR/results/$SOLO_NAME-$(date +%Y%m%d-%H%M%S)"
  mkdir -p "$SOLO_DIR"
  trap solo_cleanup EXIT
  trap 'exit 130' INT TERM
  # nginx's workers (user "nobody" under root) must reach the files.
  chmod 755 "$SOLO_DIR"
  # shellcheck source=origin.sh
  . "$BENCH_DIR/lib/origin.sh"
  origin_setup "$SOLO_DIR" "$(ulimit -n)" "$SOLO_ORIGIN_PORT" "$((SOLO_ORIGIN_PORT + 1))" 102400
  taskset -c "$SOLO_SERVER_CPU" nginx -p "$SOLO_DIR/origin/" -e "$SOLO_DIR/origin/error.log" -c "$SOLO_DIR/origin/nginx.conf" -g 'daemon off;' &
  SOLO_PIDS+=($!)
  # bench/run.sh's Portico: its defaults, access log off, the admin listener (API, /metrics and
  # the dashboard) on, as in production.
  cat > "$SOLO_DIR/portico.yaml" <<YAML
listeners:
  http: { address: "127.0.0.1:$SOLO_PORT" }
admin: { address: "127.0.0.1:$SOLO_ADMIN_PORT" }
accessLog: { enabled: false }
routes:
  all: { match: { pathPrefix: / }, cluster: origin }
clusters:
  origin:
    destinations: [http://127.0.0.1:$SOLO_ORIGIN_PORT]
YAML
}

solo_cleanup() {
  local pid
  for pid in "${SOLO_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}

solo_builds() {
  if [ -n "${BENCH_VARIANTS:-}" ]; then SOLO_VARIANTS=$BENCH_VARIANTS; return; fi
  solo_log "building the framework-dependent build and the release build (scripts/publish.sh)"
  dotnet build "$REPO_DIR/src/Portico" -c Release -o "$SOLO_DIR/jit" --nologo -v quiet -clp:ErrorsOnly >"$SOLO_DIR/build.log" 2>&1 \
    || { cat "$SOLO_DIR/build.log" >&2; exit 1; }
  "$REPO_DIR/scripts/publish.sh" "$SOLO_DIR/published" >>"$SOLO_DIR/build.log" 2>&1 \
    || { cat "$SOLO_DIR/build.log" >&2; exit 1; }
  SOLO_VARIANTS="jit|$SOLO_DIR/jit/portico.dll|
published|$SOLO_DIR/published/portico|"
}

solo_start() {
  local exe=$1 env=$2 cmd
  if [[ $exe == *.dll ]]; then cmd=(dotnet "$exe"); else cmd=("$exe"); fi
  local t0; t0=$(date +%s%N)
  # shellcheck disable=SC2086 # env holds VAR=value words
  env $env taskset -c "$SOLO_SERVER_CPU" "${cmd[@]}" run -c "$SOLO_DIR/portico.yaml" >>"$SOLO_DIR/portico.log" 2>&1 &
  SOLO_PID=$!
  SOLO_PIDS+=("$SOLO_PID")
  until curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$SOLO_PORT/1k"; do
    kill -0 "$SOLO_PID" 2>/dev/null || { tail -5 "$SOLO_DIR/portico.log" >&2; solo_log "Portico exited"; exit 1; }
    [ $(( ($(date +%s%N) - t0) / 1000000000 )) -lt 60 ] || { solo_log "Portico did not answer within 60 s"; exit 1; }
    sleep 0.02
  done
  SOLO_START_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
}

solo_stop() {
  kill -TERM "$SOLO_PID" 2>/dev/null || true
  wait "$SOLO_PID" 2>/dev/null || true
}

solo_cpu_ticks() { cut -d')' -f2 "/proc/$1/stat" | awk '{print $12 + $13}'; }
