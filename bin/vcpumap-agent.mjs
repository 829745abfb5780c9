#!/usr/bin/env node
// Entry point of `npx vcpumap-agent`. Runs the bundle that `npm install` builds
// (scripts/build-agent.mjs); when it is missing or older than the sources (while developing),
// runs the TypeScript sources through tsx instead.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(import.meta.dirname, '..');
const bundle = path.join(root, 'dist/vcpumap-agent.mjs');

function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(p) : e.name.endsWith('.ts') ? statSync(p).mtimeMs : 0);
  }
  return newest;
}

let main;
if (existsSync(bundle) && statSync(bundle).mtimeMs >= newestSource(path.join(root, 'lib'))) {
  ({ main } = await import(pathToFileURL(bundle).href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../lib/agent/cli.ts'));
}
process.exitCode = await main(process.argv.slice(2));
