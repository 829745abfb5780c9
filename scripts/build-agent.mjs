#!/usr/bin/env node
// Bundles the agent CLI into dist/vcpumap-agent.mjs (run by `npm install` through "prepare"), so
// `npx vcpumap-agent` runs plain JavaScript: no TypeScript loader thread beside the sampler.
import { build } from 'esbuild';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
await build({
  entryPoints: [path.join(root, 'lib/agent/cli.ts')],
  outfile: path.join(root, 'dist/vcpumap-agent.mjs'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external', // zod, yaml, fast-xml-parser load from node_modules
  sourcemap: 'linked',
  logLevel: 'warning',
});
