#!/usr/bin/env bash
# Starts the whole system (see scripts/up.ts); installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
for a in "$@"; do case "$a" in -h|--help) exec node --import tsx scripts/up.ts --help 2>/dev/null || { sed -n '2,3p' "$0"; exit 0; } ;; esac; done
bash scripts/ensure.sh system-for-start
exec node --import tsx scripts/up.ts "$@"
