#!/usr/bin/env node
// Sums the JSON reports of vitest and Playwright into the plain closing line CI reads:
// "Tests: N passed, N failed", after a line per failed test (its file, its name, the first line of
// its error): the end of a long run's output is what is kept of it.
import { existsSync, readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
const layers = [];
const failures = [];
const COLOURS = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'); // terminal colour codes
const firstLine = (text) => String(text ?? '').replace(COLOURS, '').split('\n').find((l) => l.trim() !== '')?.trim().slice(0, 300) ?? '';
/** Playwright's specs, whatever the nesting of describe blocks. */
function* specs(suite) {
  for (const s of suite.specs ?? []) yield s;
  for (const child of suite.suites ?? []) yield* specs(child);
}
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
    for (const suite of r.suites ?? []) {
      for (const spec of specs(suite)) {
        if (spec.ok) continue;
        const error = spec.tests?.flatMap((t) => t.results ?? []).find((x) => x.error)?.error?.message;
        failures.push(`${spec.file}:${spec.line} › ${spec.title}: ${firstLine(error)}`);
      }
    }
  } else {
    p = r.numPassedTests;
    f = r.numFailedTests;
    s = r.numPendingTests + r.numTodoTests;
    for (const file of r.testResults ?? []) {
      const name = String(file.name ?? '').replace(`${process.cwd()}/`, '');
      for (const a of file.assertionResults ?? []) {
        if (a.status === 'failed') failures.push(`${name} › ${a.fullName}: ${firstLine(a.failureMessages?.[0])}`);
      }
      // A file that failed before its tests ran (an error in a hook or at import) has none failed.
      if (file.status === 'failed' && !(file.assertionResults ?? []).some((a) => a.status === 'failed')) failures.push(`${name}: ${firstLine(file.message)}`);
    }
  }
  passed += p;
  failed += f;
  skipped += s;
  layers.push(`${p} ${file.replace(/^.*\/|\.json$/g, '')}`);
}
if (failures.length > 0) console.log(`Failed:\n${failures.map((f) => `  ${f}`).join('\n')}`);
console.log(`Tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''} (${layers.join(', ')})`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
