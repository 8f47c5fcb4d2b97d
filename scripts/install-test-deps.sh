#!/usr/bin/env bash
# System packages the test suite needs, installed from Debian when missing:
#   procps    kill(1), to signal the portico process in the CLI tests
#   util-linux  prlimit(1), to lower a running portico's descriptor limit (Transport/AcceptLimitTests)
#   chromium  the dashboard test drives Debian's Chromium through Playwright
#             (Playwright's own browser download cannot work here)
#   libmodsecurity3, modsecurity-crs  the WAF tests run the real ModSecurity engine with
#             Debian's OWASP Core Rule Set (checked by file, as neither has a command)
#   pebble    Let's Encrypt's small RFC 8555 test CA (with pebble-challtestsrv as its DNS),
#             run on loopback by the ACME tests
#   openssl   its s_client is the TLS client that reports session resumption (Reused/New) and
#             saves and offers sessions, for the TLS session resumption tests
#   npm       installs axe-core (below) and the User-Agent corpora the device classifier is measured against
#             (crawler-user-agents: bots; user-agents: real browsers labelled desktop, mobile,
#             tablet) into $PORTICO_UA_CORPORA (default /opt/portico-test-deps/ua-corpora),
#             which tests/Portico.Tests/Routing/DeviceClassifierTests reads
#   redis-server  a private Redis per test class (RedisServer) for the shared-state tests
#   haproxy   the L4 (TCP mode) front of the several-instance fault tests (HaproxyFront,
#             Hosting/ClusterFaultTests) and of bench/soak.sh (checked by file: /usr/sbin is
#             not on every user's PATH)
# Later suites add their needs here, so `scripts/test.sh` stays
# the one command.
set -euo pipefail
needed=()
for tool in kill:procps prlimit:util-linux chromium:chromium pebble:pebble npm:npm redis-server:redis-server openssl:openssl; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || needed+=("${tool##*:}")
done
for file in /usr/lib/x86_64-linux-gnu/libmodsecurity.so.3:libmodsecurity3 /usr/share/modsecurity-crs/rules/REQUEST-901-INITIALIZATION.conf:modsecurity-crs /usr/sbin/haproxy:haproxy; do
  dpkg -S "${file%%:*}" >/dev/null 2>&1 || needed+=("${file##*:}")
done
if ((${#needed[@]})); then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${needed[@]}"
fi

corpora="${PORTICO_UA_CORPORA:-/opt/portico-test-deps/ua-corpora}"
if [ ! -f "$corpora/node_modules/crawler-user-agents/crawler-user-agents.json" ] || [ ! -f "$corpora/node_modules/user-agents/dist/user-agents.json" ]; then
  mkdir -p "$corpora"
  npm install --silent --no-audit --no-fund --prefix "$corpora" crawler-user-agents@1.60.0 user-agents@2.1.198 >/dev/null
fi

# axe-core, the accessibility engine the dashboard tests inject into the page (with Playwright)
# to find serious or critical violations in both themes, into $PORTICO_AXE (default
# /opt/portico-test-deps/axe-core); tests/Portico.IntegrationTests/Admin/ConsoleTests reads axe.min.js there.
axe="${PORTICO_AXE:-/opt/portico-test-deps/axe-core}"
if [ ! -f "$axe/node_modules/axe-core/axe.min.js" ]; then
  mkdir -p "$axe"
  npm install --silent --no-audit --no-fund --prefix "$axe" axe-core@4.14.1 >/dev/null
fi
