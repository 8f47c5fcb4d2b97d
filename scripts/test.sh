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

# dotnet test (Microsoft Testing Platform) prints "total/failed/succeeded/skipped" per run;
# sum them into the plain closing line CI reads.
awk '
  /^[[:space:]]*failed: [0-9]+$/    { f += $2 }
  /^[[:space:]]*succeeded: [0-9]+$/ { p += $2 }
  /^[[:space:]]*skipped: [0-9]+$/   { s += $2 }
  END { printf "%d passed, %d failed, %d skipped\n", p, f, s }
' "$log"
exit "$status"
