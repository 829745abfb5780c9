#!/usr/bin/env bash
# `npm test`: installs what the tests need when it is missing, then runs every test layer. Every
# layer runs even when an earlier one fails, so one run shows everything that is broken.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1

bash scripts/setup-os.sh
rm -rf .tmp test-results

failed=()
layer() {
  local name=$1
  shift
  echo "== $name"
  "$@" || failed+=("$name")
}

layer typecheck npx tsc --noEmit
layer lint npx eslint .
layer unit npx vitest run --project unit --reporter=default --reporter=json --outputFile.json=.tmp/unit.json
echo "== build"
node scripts/build-if-needed.mjs
layer "integration (real QEMU, libvirtd, PostgreSQL, the built server)" \
  npx vitest run --project integration --reporter=default --reporter=json --outputFile.json=.tmp/integration.json
layer "end-to-end (Playwright, Debian's Chromium, the built server, real QEMU)" npx playwright test

summary=0
node scripts/test-summary.mjs .tmp/unit.json .tmp/integration.json .tmp/e2e.json || summary=1
if ((${#failed[@]} > 0)); then
  printf 'FAILED: %s\n' "${failed[@]}"
  exit 1
fi
exit "$summary"
