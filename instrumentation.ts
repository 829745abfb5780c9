// Next.js calls register() once when the server starts: open the store and start the embedded
// agent then, not on the first request, so that a fresh server is already sampling.
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { getRuntime } = await import('./lib/server/runtime');
  const { RUNTIME_READY_KEY } = await import('./lib/server/front-door');
  // Not awaited: scripts/start.mjs listens already and answers 503 "starting" until the store is
  // open (a big data dir takes seconds); it waits for this promise before handing requests on.
  const ready = getRuntime();
  ready.catch(() => {}); // start.mjs reports it; `next dev` retries on the next request
  Reflect.set(globalThis, RUNTIME_READY_KEY, ready);
  // An analyze worker started once the store is open: the first paste does not wait for one.
  const { analyzePool } = await import('./lib/server/api/analyze');
  ready.then(() => analyzePool().warm()).catch(() => {});
  // The Node paths of scripts/start.mjs for ingest and the event stream (the Next routes answer
  // when they are not there, as under `next dev`).
  const { publishIngestHandler } = await import('./lib/server/api/ingest-node');
  publishIngestHandler();
  const { publishStreamHandler } = await import('./lib/server/api/stream-node');
  publishStreamHandler();
}
