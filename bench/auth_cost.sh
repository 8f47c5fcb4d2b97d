#!/usr/bin/env bash
# JWT authentication's CPU cost per request, measured inside one Portico process with the method
# of bench/lib/route_cost.sh: three routes to the same origin. `open` takes the fast path; `full`
# is the same route kept on the full pipeline (preserveHost: false, which the fast path does not
# do); `jwt` is `full` plus `auth.jwt` (an RS256 token checked against a PEM public key). So
# jwt - full is the auth stage's own cost and jwt - open what a protected route costs against an
# open one. Every route gets the same request, token included, so only the route's stages differ.
#
#   bench/auth_cost.sh                       3 rounds x 5 s per route, after a 5 s warm-up each
#   AUTH_COST_ROUNDS=5 AUTH_COST_SECONDS=10 bench/auth_cost.sh
#
# Needs wrk, python3, openssl, curl and the .NET SDK. Everything it starts is stopped on exit;
# only 127.0.0.1 is used.
set -euo pipefail

NAME=auth-cost
ROUNDS=${AUTH_COST_ROUNDS:-3}
DURATION=${AUTH_COST_SECONDS:-5}
CONNECTIONS=${AUTH_COST_CONNECTIONS:-8}
BASE=${AUTH_COST_PORT_BASE:-${BENCH_PORT_BASE:-24600}}
ROUTES=(open full jwt)
command -v openssl >/dev/null || { echo "$NAME: openssl is required" >&2; exit 1; }

# An RS256 token (RFC 7515 compact form) valid for a day, signed with a fresh key.
KEYS=$(mktemp -d "/tmp/portico-$NAME-keys.XXXXXX")
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$KEYS/signer.key" 2>/dev/null
openssl pkey -in "$KEYS/signer.key" -pubout -out "$KEYS/signer.pem"
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
now=$(date +%s)
header=$(printf '{"alg":"RS256","typ":"JWT","kid":"signer"}' | b64url)
payload=$(printf '{"iss":"https://issuer.bench","aud":"bench","sub":"bench-user","nbf":%d,"exp":%d}' "$((now - 60))" "$((now + 86400))" | b64url)
signature=$(printf '%s.%s' "$header" "$payload" | openssl dgst -sha256 -sign "$KEYS/signer.key" -binary | b64url)
TOKEN="$header.$payload.$signature"
WRK_HEADERS=(-H "Authorization: Bearer $TOKEN" -H 'Accept: application/json')
# shellcheck source=lib/route_cost.sh
. "$(dirname "$0")/lib/route_cost.sh"

portico_routes() {
  cat <<YAML
routes:
  open: { match: { pathPrefix: /open }, cluster: origin }
  full: { match: { pathPrefix: /full }, cluster: origin, preserveHost: false }
  jwt:
    match: { pathPrefix: /jwt }
    cluster: origin
    preserveHost: false
    auth: { jwt: { issuer: "https://issuer.bench", audience: bench, publicKeys: [$KEYS/signer.pem], algorithms: [RS256] } }
clusters:
  origin: { destinations: [http://127.0.0.1:$((BASE + 80))] }
YAML
}

cost_start
curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$((BASE + 1))/jwt/1k" \
  || { echo "$NAME: the jwt route does not accept the token" >&2; exit 1; }
rm -rf "$KEYS"   # Portico read the public key at load; the signing key is not needed again
cost_measure
awk -v o="$(per_request open)" -v f="$(per_request full)" -v j="$(per_request jwt)" \
  'BEGIN { printf "open (fast path) %.1f µs, full pipeline %.1f µs, jwt %.1f µs of Portico CPU per request\n", o, f, j;
           printf "JWT validation adds %.1f µs on the full pipeline (%.2fx); a JWT route costs %.2fx an open one\n", j - f, j / f, j / o }'
