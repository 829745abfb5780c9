// The worker thread of analyze-pool.ts: one paste in, the snapshot's JSON (or what is wrong with
// the paste) out. Built into dist/analyze-worker.mjs (scripts/build-agent.mjs).
import { parentPort } from 'node:worker_threads';
import { analyze, AnalyzeInputError } from './analyze';
import type { WorkerReply, WorkerRequest } from './analyze-protocol';

const port = parentPort;
if (port === null) throw new Error('analyze-worker must run in a worker thread');
port.on('message', (req: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    // Serialised here, not on the server's event loop: a big host's snapshot is megabytes.
    reply = { id: req.id, ok: true, json: JSON.stringify(analyze(req.input, req.now)) };
  } catch (err) {
    reply =
      err instanceof AnalyzeInputError
        ? { id: req.id, ok: false, bad: true, error: err.message, fields: err.fields }
        : { id: req.id, ok: false, bad: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  port.postMessage(reply);
});
