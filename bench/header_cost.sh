#!/usr/bin/env bash
# What header rules cost per request, measured inside one Portico process with the method of
# bench/lib/route_cost.sh: three routes to the same origin. `open` takes the fast path; `full`
# is the same route kept on the full pipeline (preserveHost: false, which the fast path does not
# do); `rules` is `full` plus five header rules (on the request: a removal, the client address,
# the time; on the response: a constant and the route). So rules - full is the rules' own cost,
# and rules - open what a route with rules costs against a plain one. `rewrite` is `rules` plus a
# path rewrite (`/rewrite/...` sent to the backend as `/rules/...`, with Location and Set-Cookie
# turned back): the route issue 22 asks to measure, five header rules and a rewrite.
#
#   bench/header_cost.sh                         3 rounds x 5 s per route, after a 5 s warm-up each
#   HEADER_COST_ROUNDS=2 HEADER_COST_SECONDS=3 bench/header_cost.sh
#
# Needs wrk, python3, curl and the .NET SDK. Everything it starts is stopped on exit; only
# 127.0.0.1 is used.
set -euo pipefail

NAME=header-cost
ROUNDS=${HEADER_COST_ROUNDS:-3}
DURATION=${HEADER_COST_SECONDS:-5}
CONNECTIONS=${HEADER_COST_CONNECTIONS:-8}
BASE=${HEADER_COST_PORT_BASE:-${BENCH_PORT_BASE:-24700}}
ROUTES=(open full rules rewrite)
WRK_HEADERS=(-H 'Cookie: session=4f9c2a7e1b3d5f60')
# shellcheck source=lib/route_cost.sh
. "$(dirname "$0")/lib/route_cost.sh"

portico_routes() {
  cat <<YAML
routes:
  open: { match: { pathPrefix: /open }, cluster: origin }
  full: { match: { pathPrefix: /full }, cluster: origin, preserveHost: false }
  rules:
    match: { pathPrefix: /rules }
    cluster: origin
    preserveHost: false
    headers:
      request:
        remove: [Cookie]
        set: { X-Client-IP: "{client_ip}", X-Request-Start: "t={time_unix}" }
      response:
        set: { X-Content-Type-Options: nosniff, X-Route: "{route}" }
  rewrite:
    match: { pathPrefix: /rewrite }
    cluster: origin
    preserveHost: false
    rewrite: { pathPrefix: /rules }
    headers:
      request:
        remove: [Cookie]
        set: { X-Client-IP: "{client_ip}", X-Request-Start: "t={time_unix}" }
      response:
        set: { X-Content-Type-Options: nosniff, X-Route: "{route}" }
clusters:
  origin: { destinations: [http://127.0.0.1:$((BASE + 80))] }
YAML
}

cost_start
curl -sf -D - -o /dev/null "http://127.0.0.1:$((BASE + 1))/rules/1k" | grep -qi '^X-Route: rules' \
  || { echo "header_cost: the rules route did not apply its rules" >&2; exit 1; }
rm -r "$DIR/www/rewrite"   # so only the rewritten target (/rules/1k) can answer
curl -sf -o /dev/null "http://127.0.0.1:$((BASE + 1))/rewrite/1k" \
  || { echo "header_cost: the rewrite route did not reach /rules/1k" >&2; exit 1; }
cost_measure
awk -v o="$(per_request open)" -v f="$(per_request full)" -v r="$(per_request rules)" -v w="$(per_request rewrite)" \
  'BEGIN { printf "open %.1f µs (fast path), full %.1f µs (full pipeline), rules %.1f µs, rules+rewrite %.1f µs of Portico CPU per request: the five rules add %.1f µs to the full pipeline, the rewrite %.1f µs more; against the open route +%.1f µs (%.2fx) and +%.1f µs (%.2fx)\n", o, f, r, w, r - f, w - r, r - o, r / o, w - o, w / o }'
