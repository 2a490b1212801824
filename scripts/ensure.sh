#!/usr/bin/env bash
# Installs what this project needs on a fresh Debian bookworm machine, and nothing twice:
#   system: influxdb (influxd 1.6), mosquitto + clients (interop tests), chromium (console tests),
#           postgresql (the database of record's storage suite and cluster mode),
#           redis-server (cluster tests), victoria-metrics (a real InfluxDB v2 write API for the 2.x backend test)
#   node:   the npm workspaces (npm ci), the built console and the built officer screen.
# Usage: scripts/ensure.sh [system-for-start|system-for-test] ; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-system-for-test}"

need=()
if [ -z "${INFLUX_URL:-}" ]; then command -v influxd >/dev/null || need+=(influxdb); fi
if [ "$what" = system-for-test ]; then
  command -v influxd >/dev/null || need+=(influxdb)
  [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
  command -v mosquitto_pub >/dev/null || need+=(mosquitto-clients)
  command -v chromium >/dev/null || need+=(chromium)
  command -v redis-server >/dev/null || need+=(redis-server)
  command -v victoria-metrics >/dev/null || need+=(victoria-metrics)
  # PostgreSQL: the storage suite runs on it too (scripts/lib/postgres.ts finds /usr/lib/postgresql/*/bin).
  ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
fi
if [ ${#need[@]} -gt 0 ]; then
  mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
  echo "» installing system packages: ${need[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # Debian starts system services on install; we run private instances, so stop those (no systemd here is fine).
  for s in influxdb mosquitto redis-server victoria-metrics postgresql; do ($SUDO service "$s" stop || true) >/dev/null 2>&1; done
fi

stamp=node_modules/.sk-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "» installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi

# Rebuild the console when any of its sources (or the protocol it imports) is newer than the build.
if [ ! -f console/dist/index.html ] || [ -n "$(find console/src console/index.html console/vite.config.ts protocol/src -newer console/dist/index.html -print -quit 2>/dev/null)" ]; then
  echo "» building the console"
  npm run build -w console --silent
fi

# The same for the officer screen the edge agent serves (edge-agent/ui → edge-agent/ui/dist, issue 16).
if [ ! -f edge-agent/ui/dist/index.html ] || [ -n "$(find edge-agent/ui/src edge-agent/ui/index.html edge-agent/ui/vite.config.ts -newer edge-agent/ui/dist/index.html -print -quit 2>/dev/null)" ]; then
  echo "» building the officer screen"
  npm run build:ui -w edge-agent --silent
fi
