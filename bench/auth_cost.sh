#!/usr/bin/env bash
# JWT authentication's CPU cost per request, measured inside one Portico process: three routes to
# the same origin. `open` takes the fast path; `full` is the same route kept on the full pipeline
# (preserveHost: false, which the fast path does not do); `jwt` is `full` plus `auth.jwt` (an
# RS256 token checked against a PEM public key, identity headers to the origin). So jwt - full is
# the auth stage's own cost and jwt - open what a protected route costs against an open one.
# Short bounded wrk runs alternate between the routes; Portico's utime+stime (/proc/PID/stat)
# over each run divided by the requests it completed gives CPU µs per request.
#
#   bench/auth_cost.sh                       3 rounds x 5 s per route, after a 5 s warm-up each
#   AUTH_COST_ROUNDS=5 AUTH_COST_SECONDS=10 bench/auth_cost.sh
#
# Needs wrk, python3, openssl, curl and the .NET SDK. Everything it starts is stopped on exit;
# only 127.0.0.1 is used.
set -euo pipefail

ROUNDS=${AUTH_COST_ROUNDS:-3}
DURATION=${AUTH_COST_SECONDS:-5}
CONNECTIONS=${AUTH_COST_CONNECTIONS:-8}
BASE=${AUTH_COST_PORT_BASE:-24600}
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
DIR=$(mktemp -d /tmp/portico-auth-cost.XXXXXX)

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

for tool in wrk python3 openssl curl dotnet; do command -v "$tool" >/dev/null || { echo "auth_cost: $tool is required" >&2; exit 1; }; done

(cd "$REPO_DIR" && dotnet build src/Portico -c Release -o "$DIR/bin" --nologo -v quiet -clp:ErrorsOnly) >"$DIR/build.log" 2>&1 \
  || { cat "$DIR/build.log" >&2; exit 1; }

for route in open full jwt; do mkdir -p "$DIR/www/$route"; head -c 1024 /dev/zero | tr '\0' 'a' > "$DIR/www/$route/1k"; done
python3 -m http.server "$((BASE + 80))" --bind 127.0.0.1 --directory "$DIR/www" >"$DIR/origin.log" 2>&1 &
PIDS+=($!)

# An RS256 token (RFC 7515 compact form) valid for a day, signed with a fresh key.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$DIR/signer.key" 2>/dev/null
openssl pkey -in "$DIR/signer.key" -pubout -out "$DIR/signer.pem"
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
now=$(date +%s)
header=$(printf '{"alg":"RS256","typ":"JWT","kid":"signer"}' | b64url)
payload=$(printf '{"iss":"https://issuer.bench","aud":"bench","sub":"bench-user","nbf":%d,"exp":%d}' "$((now - 60))" "$((now + 86400))" | b64url)
signature=$(printf '%s.%s' "$header" "$payload" | openssl dgst -sha256 -sign "$DIR/signer.key" -binary | b64url)
TOKEN="$header.$payload.$signature"

cat > "$DIR/portico.yaml" <<YAML
listeners:
  http: { address: "127.0.0.1:$((BASE + 1))" }
admin: { enabled: false }
accessLog: { enabled: false }
routes:
  open: { match: { pathPrefix: /open }, cluster: origin }
  full: { match: { pathPrefix: /full }, cluster: origin, preserveHost: false }
  jwt:
    match: { pathPrefix: /jwt }
    cluster: origin
    preserveHost: false
    auth: { jwt: { issuer: "https://issuer.bench", audience: bench, publicKeys: [$DIR/signer.pem], algorithms: [RS256] } }
clusters:
  origin: { destinations: [http://127.0.0.1:$((BASE + 80))] }
YAML
dotnet "$DIR/bin/portico.dll" run -c "$DIR/portico.yaml" >"$DIR/portico.log" 2>&1 &
PORTICO=$!
PIDS+=($PORTICO)
for _ in $(seq 1 150); do
  curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$((BASE + 1))/jwt/1k" && break
  sleep 0.2
done
curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$((BASE + 1))/jwt/1k" \
  || { echo "auth_cost: the jwt route does not accept the token" >&2; cat "$DIR/portico.log" >&2; exit 1; }

ticks() { awk '{print $14 + $15}' "/proc/$PORTICO/stat"; }
CLK_TCK=$(getconf CLK_TCK)

# Every route gets the same request, token included, so only the route's stages differ.
run() {
  local route=$1 seconds=$2
  timeout -k 5 $((seconds + 30)) wrk -t 1 -c "$CONNECTIONS" -d "${seconds}s" \
    -H "Authorization: Bearer $TOKEN" -H 'Accept: application/json' \
    "http://127.0.0.1:$((BASE + 1))/$route/1k" | awk '/requests in/{print $1} /Non-2xx/{print "non-2xx " $NF > "/dev/stderr"}'
}

for route in open full jwt; do run "$route" "$DURATION" >/dev/null; done
declare -A total_ticks=([open]=0 [full]=0 [jwt]=0) total_requests=([open]=0 [full]=0 [jwt]=0)
for round in $(seq 1 "$ROUNDS"); do
  for route in open full jwt; do
    t0=$(ticks); n=$(run "$route" "$DURATION"); t1=$(ticks)
    total_ticks[$route]=$((total_ticks[$route] + t1 - t0)); total_requests[$route]=$((total_requests[$route] + n))
    awk -v r="$route" -v i="$round" -v t=$((t1 - t0)) -v n="$n" -v hz="$CLK_TCK" \
      'BEGIN { printf "round %d %-4s %7d requests  %8.1f µs CPU/request\n", i, r, n, t * 1e6 / hz / n }'
  done
done
awk -v ot="${total_ticks[open]}" -v on="${total_requests[open]}" -v ft="${total_ticks[full]}" -v fn="${total_requests[full]}" \
    -v jt="${total_ticks[jwt]}" -v jn="${total_requests[jwt]}" -v hz="$CLK_TCK" \
  'BEGIN { o = ot * 1e6 / hz / on; f = ft * 1e6 / hz / fn; j = jt * 1e6 / hz / jn;
           printf "open (fast path) %.1f µs, full pipeline %.1f µs, jwt %.1f µs of Portico CPU per request\n", o, f, j;
           printf "JWT validation adds %.1f µs on the full pipeline (%.2fx); a JWT route costs %.2fx an open one\n", j - f, j / f, j / o }'
