#!/usr/bin/env bash
# `npm test`: installs what the tests need when it is missing, then runs every test layer.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1

bash scripts/setup-os.sh
rm -rf .tmp

echo "== typecheck"
npx tsc --noEmit
echo "== lint"
npx eslint .
echo "== unit"
npx vitest run --project unit --reporter=default --reporter=json --outputFile.json=.tmp/unit.json
echo "== build"
node scripts/build-if-needed.mjs
echo "== integration (real QEMU, libvirtd, PostgreSQL, the built server)"
npx vitest run --project integration --reporter=default --reporter=json --outputFile.json=.tmp/integration.json

node scripts/test-summary.mjs .tmp/unit.json .tmp/integration.json
