#!/usr/bin/env bash
# System packages the test suite needs, installed from Debian when missing.
# The core suite uses only the .NET SDK and the OS's own tools (kill, /proc); later suites
# add their needs here (Redis, ModSecurity, Chromium, pebble), so `scripts/test.sh` stays
# the one command.
set -euo pipefail
needed=()
for tool in kill:procps; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || needed+=("${tool##*:}")
done
if ((${#needed[@]})); then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${needed[@]}"
fi
