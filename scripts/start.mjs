#!/usr/bin/env node
// `npm start`: builds when needed, then serves on PORT (default 3000) with the embedded agent.
// One Node HTTP server: POST /api/v1/ingest goes straight to lib/server/api/ingest-node.ts
// (published by instrumentation.ts), every other request to Next's request handler. Next's
// per-request work capped ingest near 800 requests/s on two cores; the direct path answers the
// same (same code, same checks) at several times that (npm run bench:ingest).
// Options: -p PORT (else $PORT, else 3000), -H HOST (default: all interfaces), --no-build (serve
// the existing build: the test set-up builds once, before starting many servers).
import http from 'node:http';
import path from 'node:path';
import { buildIfNeeded } from './build-if-needed.mjs';

const root = path.resolve(import.meta.dirname, '..');
process.env.NEXT_TELEMETRY_DISABLED = '1';
process.env.NODE_ENV ??= 'production'; // as `next start`: React and Next in production mode

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

if (!process.argv.includes('--no-build')) buildIfNeeded();
const { default: next } = await import('next');
const app = next({ dev: false, dir: root, hostname: hostname ?? 'localhost', port });
const handle = app.getRequestHandler();
await app.prepare(); // runs instrumentation.ts: store open, embedded agent started, fast path published

const INGEST_PATH = '/api/v1/ingest';
const ingestKey = Symbol.for('vcpumap.ingest-node');

const server = http.createServer((req, res) => {
  const fast = globalThis[ingestKey];
  const url = req.url ?? '/';
  const pathname = url.split('?', 1)[0];
  if (req.method === 'POST' && pathname === INGEST_PATH && typeof fast === 'function') {
    fast(req, res).catch((err) => {
      console.error('vcpumap: ingest failed:', err);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json', connection: 'close' });
      res.end('{"error":"internal error; see the server log"}');
    });
    return;
  }
  handle(req, res).catch((err) => {
    console.error('vcpumap: request failed:', err);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
});
// Agents keep their connection between pushes (one a second): longer than Node's 5 s default.
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;
server.listen(port, hostname, () => {
  const addr = server.address();
  const shown = addr && typeof addr === 'object' ? `${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}` : String(addr);
  console.log(`vcpumap: listening on http://${shown}`);
});
server.on('error', (err) => {
  console.error(`vcpumap: cannot listen on port ${port}: ${err.message}`);
  process.exit(1);
});
// Acknowledged frames are already durable: nothing to flush on the way out.
for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]]) process.on(sig, () => process.exit(code));
