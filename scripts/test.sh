#!/usr/bin/env bash
# The whole test suite: type check, then unit tests (pure logic) and integration tests against real
# aedes, mosquitto, influxd, socket.io and headless Chromium. Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure.sh system-for-test
echo "» type check"
npx tsc -p tsconfig.json --noEmit
echo "» tests"
exec npx vitest run "$@"
