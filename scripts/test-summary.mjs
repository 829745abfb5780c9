#!/usr/bin/env node
// Sums the JSON reports of vitest and Playwright into the plain closing line CI reads:
// "Tests: N passed, N failed".
import { existsSync, readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
const layers = [];
for (const file of process.argv.slice(2)) {
  if (!existsSync(file)) {
    console.error(`test summary: ${file} is missing: that layer did not run`);
    failed += 1;
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  let p, f, s;
  if (r.stats !== undefined) {
    // Playwright: expected = passed, unexpected = failed, flaky = passed on retry (counted failed: no retries here)
    p = r.stats.expected;
    f = r.stats.unexpected + r.stats.flaky;
    s = r.stats.skipped;
  } else {
    p = r.numPassedTests;
    f = r.numFailedTests;
    s = r.numPendingTests + r.numTodoTests;
  }
  passed += p;
  failed += f;
  skipped += s;
  layers.push(`${p} ${file.replace(/^.*\/|\.json$/g, '')}`);
}
console.log(`Tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''} (${layers.join(', ')})`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
