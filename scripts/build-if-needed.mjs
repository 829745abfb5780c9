#!/usr/bin/env node
// Builds the Next.js app when .next/BUILD_ID is missing or older than any source file.
// Used by `npm start` and by the test set-up.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

function newestMtime(p) {
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(p)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    newest = Math.max(newest, newestMtime(path.join(p, entry)));
  }
  return newest;
}

/** dist/ (the agent CLI, the analyze worker, the embedded agent, the server's front door: scripts/build-agent.mjs) when older than lib/. */
export function buildBundlesIfNeeded() {
  const outs = ['dist/vcpumap-agent.mjs', 'dist/vcpumap-agent.sources.json', 'dist/analyze-worker.mjs', 'dist/embedded-agent.mjs', 'dist/front-door.mjs'].map((f) => path.join(root, f));
  const src = newestMtime(path.join(root, 'lib'));
  if (outs.every((f) => existsSync(f) && statSync(f).mtimeMs >= src)) return;
  const r = spawnSync(process.execPath, [path.join(root, 'scripts/build-agent.mjs')], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`scripts/build-agent.mjs failed (exit ${r.status})`);
}

export function buildIfNeeded() {
  buildBundlesIfNeeded();
  const buildId = path.join(root, '.next', 'BUILD_ID');
  const inputs = ['app', 'components', 'lib', 'public', 'instrumentation.ts', 'next.config.js', 'package.json', 'postcss.config.mjs']
    .map((f) => path.join(root, f))
    .filter(existsSync);
  const srcTime = Math.max(...inputs.map(newestMtime));
  if (existsSync(buildId) && statSync(buildId).mtimeMs >= srcTime) return;
  console.log('[vcpumap] building (sources changed since the last build)');
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules/next/dist/bin/next'), 'build'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
  });
  if (r.status !== 0) throw new Error(`next build failed (exit ${r.status})`);
}

if (import.meta.url === `file://${process.argv[1]}`) buildIfNeeded();
