// The agent for this host, in a child process of the server (dist/embedded-agent.mjs, built from
// embedded-agent-child.ts). Its frames take the remote agents' way (pusher.ts, a spool under the
// data dir) into the same validation and store: the child sends each ingest body over the IPC
// channel and this side answers it with storeBody, as POST /api/v1/ingest would. A slow or absent
// store (PostgreSQL restarting) keeps frames in the spool instead of losing them, and a server
// restart sends what was spooled before.
//
// A child process rather than a worker thread: sampling never runs on the server's event loop,
// a crash (even a native one, or a heap out of memory) loses only the child, and the kernel
// closes a dead child's files, so exact mode's tracefs instance of a crashed agent is removed by
// the next one like any dead agent's (in a worker thread it would carry the server's own pid and
// be kept as "still running"). The child is restarted with a back-off; it is stopped with the
// server (SIGTERM on exit, and it stops by itself when the IPC channel closes).
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { errorText } from '../agent/log';
import { storeBody } from './api/ingest';
import type { EmbeddedAgentOptions, FromChild, ToChild } from './embedded-agent-protocol';
import { HttpError } from './http-errors';
import { UnknownStructureError } from './resolve-frames';
import type { Runtime } from './runtime';
import { traceHub } from './trace-hub';
import type { TraceAnswer } from '../agent/trace-export';

const SPOOL_MAX_BYTES = 256 * 1024 * 1024;
/** Restart back-off: doubles from the first to the last; back to the first after a stable run (ms). */
const RESTART_FIRST_MS = 1000;
const RESTART_MAX_MS = 60_000;
const STABLE_MS = 60_000;

/** The project root: scripts/start.mjs says where it is; `next dev` and tests run in it. */
const ROOT_KEY = Symbol.for('vcpumap.root');

export async function startEmbeddedAgent(rt: Runtime): Promise<void> {
  const root = (globalThis as { [ROOT_KEY]?: string })[ROOT_KEY] ?? process.cwd();
  const script = path.join(root, 'dist', 'embedded-agent.mjs');
  if (!existsSync(script)) throw new Error(`${script} is missing: run \`npm run build:agent\` (npm install and npm start build it)`);
  const host = hostname();
  const options: EmbeddedAgentOptions = {
    host,
    intervalMs: rt.config.agentIntervalMs,
    pinsFile: rt.config.pinsFile ?? null,
    // Compact ticks carry exact figures and the store keeps them: auto (the agent's default) unless VCPUMAP_AGENT_EXACT says otherwise.
    exact: rt.config.agentExact,
    spoolDir: path.join(rt.config.dataDir, 'spool'),
    spoolMaxBytes: SPOOL_MAX_BYTES,
  };
  let child: ChildProcess | null = null;
  let stopping = false;
  let delay = RESTART_FIRST_MS;

  const spawnChild = (): void => {
    const startedAt = Date.now();
    // Found at run time (not a module of the server bundle: Turbopack must not resolve it).
    const c = fork(/*turbopackIgnore: true*/ script, [], {
      execArgv: [], // not the server's (--inspect under `next dev`, loaders)
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced', // bodies go as strings, not re-escaped into JSON
    });
    child = c;
    c.on('message', (msg: FromChild) => {
      if (msg.type === 'trace') {
        traces.get(msg.id)?.(msg.answer);
        return;
      }
      if (msg.type !== 'ingest') return;
      void storeLocally(rt, host, msg.body).then((answer) => {
        const reply: ToChild = { type: 'stored', id: msg.id, ...answer };
        // A child that died meanwhile resends from its spool once restarted.
        if (c.connected) c.send(reply, undefined, undefined, () => {});
      });
    });
    let gone = false;
    const onGone = (why: string): void => {
      if (gone) return;
      gone = true;
      if (child === c) child = null;
      if (stopping) return;
      if (Date.now() - startedAt >= STABLE_MS) delay = RESTART_FIRST_MS;
      console.error(`vcpumap: the embedded agent (pid ${c.pid ?? '?'}) ${why}; restarting it in ${delay / 1000} s`);
      setTimeout(() => {
        if (!stopping) spawnChild();
      }, delay).unref();
      delay = Math.min(RESTART_MAX_MS, delay * 2);
    };
    c.once('exit', (code, signal) => onGone(signal !== null ? `was killed by ${signal}` : `exited with code ${code}`));
    c.once('error', (err) => {
      onGone(`failed: ${errorText(err)}`);
      c.kill('SIGKILL');
    });
    c.send({ type: 'start', options } satisfies ToChild, undefined, undefined, () => {});
    // Neither the child nor its channel keeps the server running.
    c.unref();
    c.channel?.unref();
  };

  // scripts/start.mjs exits on SIGTERM and SIGINT: the child stops with it (and removes its
  // tracefs instance). A server killed outright closes the channel, which stops the child too.
  process.once('exit', () => {
    stopping = true;
    child?.kill('SIGTERM');
  });
  // GET /api/v1/hosts/{host}/trace of this host is answered from the child's kept pages.
  const traces = new Map<number, (answer: TraceAnswer) => void>();
  let traceIds = 0;
  traceHub().serveLocal(
    host,
    (from, to) =>
      new Promise<TraceAnswer>((resolve) => {
        const c = child;
        const fail = (error: string): void => resolve({ ok: false, status: 409, error, keptFromMs: null });
        if (c === null || !c.connected) return fail('the embedded agent is restarting: try again in a few seconds');
        const id = ++traceIds;
        const timer = setTimeout(() => {
          traces.delete(id);
          fail('the embedded agent did not answer within 30 s');
        }, 30_000);
        timer.unref();
        traces.set(id, (answer) => {
          clearTimeout(timer);
          traces.delete(id);
          resolve(answer);
        });
        c.send({ type: 'trace', id, from, to } satisfies ToChild, undefined, undefined, (err) => {
          if (err) traces.get(id)?.({ ok: false, status: 409, error: `the embedded agent is away: ${errorText(err)}`, keptFromMs: null });
        });
      }),
  );
  spawnChild();
}

interface StoreAnswer {
  readonly status: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** The ingest answer the pusher understands, for a body stored in process. */
async function storeLocally(rt: Runtime, host: string, body: string): Promise<StoreAnswer> {
  const answer = (status: number, reply: unknown, headers: Readonly<Record<string, string>> = {}): StoreAnswer => ({ status, body: JSON.stringify(reply), headers });
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    return answer(400, { error: `body is not JSON: ${errorText(err)}` });
  }
  try {
    const stored = await storeBody(rt, json, (h) => h === host);
    rt.metrics.framesIngested += stored;
    return answer(202, { stored });
  } catch (err) {
    if (err instanceof UnknownStructureError) return answer(409, { error: err.message });
    if (err instanceof HttpError) return answer(err.status, { error: err.message }, err.headers);
    // The store failed (a database away): the frames stay spooled and go again after a back-off.
    return answer(503, { error: `store failed: ${errorText(err)}` });
  }
}
