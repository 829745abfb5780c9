#!/usr/bin/env node
// Bundles the agent CLI into dist/vcpumap-agent.mjs (run by `npm install` through "prepare"), so
// `npx vcpumap-agent` runs plain JavaScript: no TypeScript loader thread beside the sampler. Also
// bundles the analyze worker (dist/analyze-worker.mjs), the thread the server runs pastes in, and
// the front door of scripts/start.mjs (dist/front-door.mjs), which answers before Next is up.
import { build } from 'esbuild';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const bundles = [
  ['lib/agent/cli.ts', 'dist/vcpumap-agent.mjs'],
  ['lib/analyze/analyze-worker.ts', 'dist/analyze-worker.mjs'],
  ['lib/server/front-door.ts', 'dist/front-door.mjs'],
];
await Promise.all(
  bundles.map(([entry, out]) =>
    build({
      entryPoints: [path.join(root, entry)],
      outfile: path.join(root, out),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      packages: 'external', // zod, yaml, fast-xml-parser load from node_modules
      sourcemap: 'linked',
      logLevel: 'warning',
    }),
  ),
);
