#!/usr/bin/env node
// `npm start`: builds when needed, then serves on PORT (default 3000) with the embedded agent.
// One Node HTTP server whose requests meet lib/server/front-door.ts first (bundled into
// dist/front-door.mjs): it listens before Next.js is prepared and the store is open, answering
// 503 + Retry-After (pages: "starting") meanwhile, never a hanging request; a path that is not
// valid percent-encoding gets a 400; POST /api/v1/ingest and GET /api/v1/stream go to their Node
// handlers (published by instrumentation.ts), every other request to Next's request handler.
// Next's per-request work capped ingest near 800 requests/s on two cores; the direct path answers
// the same (same code, same checks) at several times that (npm run bench:ingest).
// Options: -p PORT (else $PORT, else 3000), -H HOST (default: all interfaces), --no-build (serve
// the existing build: the test set-up builds once, before starting many servers).
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { buildBundlesIfNeeded, buildIfNeeded } from './build-if-needed.mjs';

const root = path.resolve(import.meta.dirname, '..');
process.env.NEXT_TELEMETRY_DISABLED = '1';
process.env.NODE_ENV ??= 'production'; // as `next start`: React and Next in production mode
// Where lib/ finds dist/ (the analyze worker) whatever the working directory.
globalThis[Symbol.for('vcpumap.root')] = root;

function option(flag, fallback) {
  const i = process.argv.indexOf(flag);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const port = Number(option('-p', process.env.PORT ?? '3000'));
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`vcpumap: PORT must be a port number, got "${option('-p', process.env.PORT)}"`);
  process.exit(2);
}
const hostname = option('-H', undefined);

if (process.argv.includes('--no-build')) buildBundlesIfNeeded();
else buildIfNeeded();
const { createFrontDoor, runtimeReady } = await import(pathToFileURL(path.join(root, 'dist/front-door.mjs')).href);
const door = createFrontDoor();
const server = http.createServer(door.listener);
// Agents keep their connection between pushes (one a second): longer than Node's 5 s default.
server.keepAliveTimeout = 65_000;
// A client that has not sent its headers (or its whole request) by then loses the connection:
// stalled uploads must not hold sockets. Ingest bodies have a tighter idle bound of their own.
server.headersTimeout = 10_000;
server.requestTimeout = 30_000;
server.listen(port, hostname, () => {
  const addr = server.address();
  const shown = addr && typeof addr === 'object' ? `${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}` : String(addr);
  console.log(`vcpumap: listening on http://${shown} (starting)`);
});
server.on('error', (err) => {
  console.error(`vcpumap: cannot listen on port ${port}: ${err.message}`);
  process.exit(1);
});
// Acknowledged frames are already durable: nothing to flush on the way out.
for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]]) process.on(sig, () => process.exit(code));

const t0 = performance.now();
const { default: next } = await import('next');
const app = next({ dev: false, dir: root, hostname: hostname ?? 'localhost', port });
const handle = app.getRequestHandler();
try {
  await app.prepare(); // runs instrumentation.ts: Node handlers published, the store opening
  await runtimeReady(); // the store is open (the embedded agent starts on its own)
} catch (err) {
  console.error('vcpumap: could not start:', err);
  process.exit(1);
}
door.ready(handle);
console.log(`vcpumap: ready in ${Math.round(performance.now() - t0)} ms`);
