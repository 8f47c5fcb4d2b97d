#!/usr/bin/env bash
# What a cache hit costs from the disk tier against the memory tier, measured inside one Portico
# process with the method of bench/lib/route_cost.sh. Three cached routes to the same origin:
# `memory` (a 1900-byte body, held in memory, answered on the fast path), `memfull` (the same
# kept on the full pipeline: preserveHost: false, which the fast path does not do) and `disk`
# (a 2200-byte body, over the memory tier's maxObjectSize of 2KiB, so held only on disk and
# streamed from its file by the full pipeline). disk - memfull is what reading the file costs;
# disk - memory what a disk hit costs against the fastest memory hit.
#
#   bench/cache_tier_cost.sh                              3 rounds x 5 s per route, after a 5 s warm-up each
#   CACHE_TIER_ROUNDS=1 CACHE_TIER_SECONDS=3 bench/cache_tier_cost.sh
#
# The disk tier's files are in the temp folder, so in the page cache after the first hit: this
# measures the tier's own work (open, read, checksum, copy), not the device. Needs wrk, python3,
# curl and the .NET SDK. Everything it starts is stopped on exit; only 127.0.0.1 is used.
set -euo pipefail

NAME=cache-tier-cost
ROUNDS=${CACHE_TIER_ROUNDS:-3}
DURATION=${CACHE_TIER_SECONDS:-5}
CONNECTIONS=${CACHE_TIER_CONNECTIONS:-8}
BASE=${CACHE_TIER_PORT_BASE:-${BENCH_PORT_BASE:-24900}}
ROUTES=(memory memfull disk)
WRK_HEADERS=()
declare -A BODY_BYTES=([memory]=1900 [memfull]=1900 [disk]=2200)
# shellcheck source=lib/route_cost.sh
. "$(dirname "$0")/lib/route_cost.sh"

portico_routes() {
  cat <<YAML
cache: { maxObjectSize: 2KiB, disk: { dir: "$DIR/cache" } }
routes:
  memory: { match: { pathPrefix: /memory }, cluster: origin, cache: {} }
  memfull: { match: { pathPrefix: /memfull }, cluster: origin, cache: {}, preserveHost: false }
  disk: { match: { pathPrefix: /disk }, cluster: origin, cache: {}, preserveHost: false }
clusters:
  origin: { destinations: [http://127.0.0.1:$((BASE + 80))] }
YAML
}

cost_start
for route in "${ROUTES[@]}"; do curl -sf -o /dev/null "http://127.0.0.1:$((BASE + 1))/$route/1k"; done
for _ in $(seq 1 50); do
  [ -n "$(find "$DIR/cache" -name '*.entry' 2>/dev/null)" ] && break
  sleep 0.1
done
for route in "${ROUTES[@]}"; do
  curl -sf -D - -o /dev/null "http://127.0.0.1:$((BASE + 1))/$route/1k" | grep -qi '^Cache-Status: Portico; hit' \
    || { echo "cache_tier_cost: /$route/1k is not a cache hit" >&2; exit 1; }
done
[ "$(find "$DIR/cache" -name '*.entry' | wc -l)" -ge 3 ] || { echo "cache_tier_cost: the disk tier holds fewer than the three bodies" >&2; exit 1; }
cost_measure
awk -v m="$(per_request memory)" -v f="$(per_request memfull)" -v d="$(per_request disk)" \
  'BEGIN { printf "memory %.1f µs (fast path), memfull %.1f µs (full pipeline), disk %.1f µs of Portico CPU per hit: the file read adds %.1f µs to a full-pipeline memory hit; against the fast-path memory hit +%.1f µs (%.2fx)\n", m, f, d, d - f, d - m, d / m }'
