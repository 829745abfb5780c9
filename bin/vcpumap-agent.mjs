#!/usr/bin/env node
// Entry point of `npx vcpumap-agent`. Runs the bundle that `npm install` builds
// (scripts/build-agent.mjs); when it is missing or older than the sources (while developing),
// runs the TypeScript sources through tsx instead. The bundle's sources are listed beside it, so a
// start stats those (about 90 files) instead of listing the whole of lib/.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(import.meta.dirname, '..');
const bundle = path.join(root, 'dist/vcpumap-agent.mjs');

/** True when the bundle exists and none of the sources it was built from (listed beside it) is newer. */
function bundleIsCurrent() {
  let built;
  let sources;
  try {
    built = statSync(bundle).mtimeMs;
    sources = JSON.parse(readFileSync(path.join(root, 'dist/vcpumap-agent.sources.json'), 'utf8'));
  } catch {
    return false; // not built yet
  }
  try {
    return sources.every((f) => statSync(path.join(root, f)).mtimeMs <= built);
  } catch {
    return false; // a source was removed or renamed since
  }
}

let main;
if (bundleIsCurrent()) {
  ({ main } = await import(pathToFileURL(bundle).href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../lib/agent/cli.ts'));
}
process.exitCode = await main(process.argv.slice(2));
