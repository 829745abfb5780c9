// Next.js calls register() once when the server starts: open the store and start the embedded
// agent then, not on the first request, so that a fresh server is already sampling.
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { getRuntime } = await import('./lib/server/runtime');
  await getRuntime();
  // The ingest fast path of scripts/start.mjs (the Next route answers when it is not there).
  const { publishIngestHandler } = await import('./lib/server/api/ingest-node');
  publishIngestHandler();
}
