#!/usr/bin/env node
// Bundles the agent CLI into dist/vcpumap-agent.mjs (run by `npm install` through "prepare"), so
// `npx vcpumap-agent` runs plain JavaScript: no TypeScript loader thread beside the sampler. Also
// bundles the analyze worker (dist/analyze-worker.mjs), the thread the server runs pastes in, the
// embedded agent (dist/embedded-agent.mjs), the process the server forks to sample its own host,
// and the front door of scripts/start.mjs (dist/front-door.mjs), which answers before Next is up.
import { build } from 'esbuild';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
//
// The agents' bundles (the CLI, the server's embedded agent) hold their packages too (zod, yaml, fast-xml-parser): resolving and loading
// them file by file from node_modules cost more CPU than the agent's first hundred ticks (measured
// with `vcpumap-agent --help`: 0.33 s of CPU external, 0.18 s bundled, 0.14 s for `node -e 0`, on
// a loaded 2-core machine). CommonJS packages in an ES module bundle call `require` for Node's
// own modules: the banner gives them one. The other bundles load their packages from node_modules.
const AGENT_BANNER = "import { createRequire as __vcpumapCreateRequire } from 'node:module';\nconst require = __vcpumapCreateRequire(import.meta.url);";
// The CLI's bundle is split: what it loads only when asked for (the pins file's YAML parser, exact
// mode's trace reader, pushing to a server) goes into chunks under dist/agent-chunks/ that its
// dynamic imports load, so an agent that does not need them does not compile them at start-up
// (V8 parses the whole of a module it loads: the YAML parser alone was a third of the bundle).
const CHUNKS = 'dist/agent-chunks';
const bundles = [
  ['lib/agent/cli.ts', 'dist/vcpumap-agent.mjs', { banner: { js: AGENT_BANNER }, splitting: true, chunkNames: 'agent-chunks/[name]-[hash]' }],
  ['lib/analyze/analyze-worker.ts', 'dist/analyze-worker.mjs', { packages: 'external' }],
  ['lib/server/embedded-agent-child.ts', 'dist/embedded-agent.mjs', { banner: { js: AGENT_BANNER } }],
  ['lib/server/front-door.ts', 'dist/front-door.mjs', { packages: 'external' }],
];
// Beside the CLI's bundle, the list of the sources it was built from, its chunks' included
// (dist/vcpumap-agent.sources.json): bin/vcpumap-agent.mjs runs the bundle when none of them is
// newer, without listing lib/ (300 files, at every start of the agent).
const CLI_SOURCES = 'dist/vcpumap-agent.sources.json';
rmSync(path.join(root, CHUNKS), { recursive: true, force: true }); // chunks of earlier builds
const results = await Promise.all(
  bundles.map(([entry, out, { splitting, ...options }]) =>
    build({
      entryPoints: [path.join(root, entry)],
      // A split bundle is written to a directory (its entry keeps its name, from entryNames).
      ...(splitting ? { splitting, outdir: path.dirname(path.join(root, out)), entryNames: path.basename(out, '.mjs'), outExtension: { '.js': '.mjs' } } : { outfile: path.join(root, out) }),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      sourcemap: 'linked',
      logLevel: 'warning',
      metafile: out === 'dist/vcpumap-agent.mjs',
      ...options,
    }),
  ),
);
const cliInputs = [...new Set(Object.values(results[0]?.metafile?.outputs ?? {}).flatMap((o) => Object.keys(o.inputs)))].filter((f) => !f.includes('node_modules/'));
if (cliInputs.length === 0) throw new Error('build-agent: no sources listed for dist/vcpumap-agent.mjs');
writeFileSync(path.join(root, CLI_SOURCES), JSON.stringify(cliInputs) + '\n');
