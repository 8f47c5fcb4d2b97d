#!/usr/bin/env bash
# The release build: self-contained, ReadyToRun (one composite image of the framework and the
# app), single-file, partially trimmed portico for linux-x64, as the publish profile
# src/Portico/Properties/PublishProfiles/linux-x64.pubxml describes it.
#
#   scripts/publish.sh [OUT_DIR]           builds into OUT_DIR (default artifacts/publish/linux-x64)
#   scripts/publish.sh --smoke [OUT_DIR]   then runs the CLI tests (a real process each: signals,
#                                          reload, the demo, the dashboard's embedded files, the
#                                          WAF through libmodsecurity) against the published binary
#
# The binary needs no .NET on the host; libmodsecurity3 (for waf) and libssl come from the OS.
set -euo pipefail
REPO_DIR=$(cd "$(dirname "$0")/.." && pwd)
SMOKE=0
if [ "${1:-}" = --smoke ]; then SMOKE=1; shift; fi
OUT=$(realpath -m "${1:-$REPO_DIR/artifacts/publish/linux-x64}")

if ! command -v dotnet >/dev/null 2>&1; then
  echo "scripts/publish.sh: the .NET 10 SDK is required (https://dot.net); 'dotnet' is not on PATH" >&2
  exit 1
fi
rm -rf "$OUT"
dotnet publish "$REPO_DIR/src/Portico" -c Release -p:PublishProfile=linux-x64 -o "$OUT" --nologo -v quiet -clp:ErrorsOnly
# The Web SDK writes a static web assets manifest; Portico serves none from disk.
rm -f "$OUT/portico.staticwebassets.endpoints.json"
"$OUT/portico" version
echo "published: $OUT/portico ($(du -m "$OUT/portico" | cut -f1) MiB)"

if [ "$SMOKE" = 1 ]; then
  PORTICO_EXECUTABLE="$OUT/portico" dotnet test --project "$REPO_DIR/tests/Portico.IntegrationTests" \
    --filter-class "*Cli.CliTests" --filter-class "*Cli.ShutdownTests"
fi
