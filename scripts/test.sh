#!/usr/bin/env bash
# `npm test`: installs what the tests need when it is missing, then runs every test layer. Every
# layer runs even when an earlier one fails, so one run shows everything that is broken. Each
# layer prints how long it took; the type check and the lint run side by side (each is one
# thread and the machine has two cores), and the Next build skips its own copy of the type check
# when the type-check layer has just passed on the same sources.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1

bash scripts/setup-os.sh
rm -rf .tmp test-results
mkdir -p .tmp

failed=()
timings=()
started=$SECONDS
layer() {
  local name=$1
  shift
  local t0=$SECONDS
  echo "== $name"
  "$@" || failed+=("$name")
  timings+=("$(printf '%5ds  %s' $((SECONDS - t0)) "$name")")
}

# Type check and lint at once; their outputs are printed one after the other.
t0=$SECONDS
npx tsc --noEmit >.tmp/typecheck.log 2>&1 &
tsc_pid=$!
npx eslint . >.tmp/lint.log 2>&1 &
lint_pid=$!
typecheck_ok=1
wait "$tsc_pid" || { failed+=(typecheck); typecheck_ok=0; }
wait "$lint_pid" || failed+=(lint)
echo "== typecheck"
cat .tmp/typecheck.log
echo "== lint"
cat .tmp/lint.log
timings+=("$(printf '%5ds  %s' $((SECONDS - t0)) 'typecheck and lint (side by side)')")

layer unit npx vitest run --project unit --reporter=default --reporter=json --outputFile.json=.tmp/unit.json
if ((typecheck_ok)); then export VCPUMAP_BUILD_TYPECHECKED=1; fi
layer build node scripts/build-if-needed.mjs
layer "integration (real QEMU, libvirtd, PostgreSQL, the built server)" \
  npx vitest run --project integration --reporter=default --reporter=json --outputFile.json=.tmp/integration.json
layer "end-to-end (Playwright, Debian's Chromium, the built server, real QEMU)" npx playwright test

echo "== time per layer"
printf '%s\n' "${timings[@]}"
printf '%5ds  all\n' $((SECONDS - started))
summary=0
node scripts/test-summary.mjs .tmp/unit.json .tmp/integration.json .tmp/e2e.json || summary=1
if ((${#failed[@]} > 0)); then
  printf 'FAILED: %s\n' "${failed[@]}"
  exit 1
fi
exit "$summary"
