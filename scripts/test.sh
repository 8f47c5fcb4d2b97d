#!/usr/bin/env bash
# Installs what the tests need, builds, and runs every test (unit and integration).
# Ends with one line "N passed, N failed, N skipped"; exits non-zero if anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v dotnet >/dev/null 2>&1; then
  echo "scripts/test.sh: the .NET 10 SDK is required (https://dot.net); 'dotnet' is not on PATH" >&2
  exit 1
fi
./scripts/install-test-deps.sh

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test --solution Portico.slnx 2>&1 | tee "$log" || status=$?

# Once more with the fast path off (src/Portico/FastPath): every integration test must pass on
# the full pipeline alone too. FastPathTests are about the fast path itself, so they sit this out.
echo "=== integration tests again with PORTICO_FASTPATH=off ==="
PORTICO_FASTPATH=off dotnet test --project tests/Portico.IntegrationTests --no-build --filter-not-class "*FastPathTests" 2>&1 | tee -a "$log" || status=$?

# And once more on Kestrel's own socket transport (PORTICO_TRANSPORT=sockets), the one Portico
# uses where its event-loop transport (src/Portico/Transport, Linux x86-64) does not run.
echo "=== integration tests again with PORTICO_TRANSPORT=sockets ==="
PORTICO_TRANSPORT=sockets dotnet test --project tests/Portico.IntegrationTests --no-build 2>&1 | tee -a "$log" || status=$?

# dotnet test (Microsoft Testing Platform) prints "total/failed/succeeded/skipped" per run;
# sum them into the plain closing line CI reads.
awk '
  /^[[:space:]]*failed: [0-9]+$/    { f += $2 }
  /^[[:space:]]*succeeded: [0-9]+$/ { p += $2 }
  /^[[:space:]]*skipped: [0-9]+$/   { s += $2 }
  END { printf "%d passed, %d failed, %d skipped\n", p, f, s }
' "$log"
exit "$status"
