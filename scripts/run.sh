#!/usr/bin/env bash
# Builds Portico (Release) and runs it. With no arguments: the built-in demo on
# http://127.0.0.1:8080. Any arguments are passed to `portico run`, e.g. -c portico.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v dotnet >/dev/null 2>&1; then
  echo "scripts/run.sh: the .NET 10 SDK is required (https://dot.net); 'dotnet' is not on PATH" >&2
  exit 1
fi
dotnet build src/Portico -c Release --nologo -v quiet -clp:ErrorsOnly
exec dotnet src/Portico/bin/Release/net10.0/portico.dll run "$@"
