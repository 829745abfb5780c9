// The agent for this host, inside the server process. Its frames take the remote agents' way
// (pusher.ts, a spool under the data dir) into the same validation and store, in process: a
// slow or absent store (PostgreSQL restarting) keeps them in the spool instead of losing them,
// and a server restart sends what was spooled before.
import { hostname } from 'node:os';
import path from 'node:path';
import { Agent } from '../agent/agent';
import { createLogger, errorText } from '../agent/log';
import { Pusher } from '../agent/pusher';
import { runLoop } from '../agent/run-loop';
import { Spool } from '../agent/spool';
import { storeBody } from './api/ingest';
import { HttpError } from './http-errors';
import { UnknownStructureError } from './resolve-frames';
import type { Runtime } from './runtime';

const SPOOL_MAX_BYTES = 256 * 1024 * 1024;

export async function startEmbeddedAgent(rt: Runtime): Promise<void> {
  const log = createLogger();
  const host = hostname();
  const agent = await Agent.create({
    host,
    intervalMs: rt.config.agentIntervalMs,
    procRoot: '/proc',
    sysRoot: '/sys',
    libvirtDir: '/run/libvirt/qemu',
    pinsFile: rt.config.pinsFile ?? null,
    log,
    // Compact ticks carry exact figures and the store keeps them; off unless VCPUMAP_AGENT_EXACT says otherwise.
    exact: { setting: rt.config.agentExact, tracefs: '/sys/kernel/tracing' },
  });
  await agent.prepare();
  const dir = path.join(rt.config.dataDir, 'spool');
  const spool = Spool.open({ dir, maxBytes: SPOOL_MAX_BYTES });
  if (spool.recovered > 0) log('info', `spool ${dir}: ${spool.recovered} frames from before the restart, stored first`);
  const pusher = new Pusher({
    url: 'http://embedded.invalid',
    token: '',
    log,
    queue: spool,
    gzip: false,
    fetchImpl: (_url, init) => storeLocally(rt, host, typeof init?.body === 'string' ? init.body : ''),
  });
  // Runs for the life of the process; its files and sockets go with it.
  void runLoop(
    rt.config.agentIntervalMs,
    new AbortController().signal,
    () => {
      const next = agent.next();
      return next instanceof Promise ? next.then((s) => pusher.enqueue(s)) : pusher.enqueue(next);
    },
    (err) => log('error', `embedded agent tick failed: ${errorText(err)}`, 'embedded-tick'),
  );
}

/** The ingest answer the pusher understands, for a body stored in process. */
async function storeLocally(rt: Runtime, host: string, body: string): Promise<Response> {
  const answer = (status: number, json: unknown): Response => Response.json(json, { status });
  try {
    const stored = await storeBody(rt, JSON.parse(body), (h) => h === host);
    rt.metrics.framesIngested += stored;
    return answer(202, { stored });
  } catch (err) {
    if (err instanceof UnknownStructureError) return answer(409, { error: err.message });
    if (err instanceof HttpError) return answer(err.status, { error: err.message });
    // The store failed (a database away): the frames stay spooled and go again after a back-off.
    return answer(503, { error: `store failed: ${errorText(err)}` });
  }
}
