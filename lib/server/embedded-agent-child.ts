// The embedded agent's own process: the server (embedded-agent.ts) forks dist/embedded-agent.mjs,
// built from this file by scripts/build-agent.mjs. It samples this host (the Agent: /proc, QMP,
// inotify, exact mode's trace) and pushes its frames as a remote agent does (pusher.ts, a spool
// under the data dir); only the transport differs: each ingest body goes to the server over the
// IPC channel and the server's answer comes back as an HTTP answer would. Its own process, so a
// slow tick never delays a request and a crash never takes the server down (the server restarts
// it). SIGTERM, SIGINT or the server going away (the channel closes) stop it the CLI's way: the
// loop ends, the agent closes (exact mode removes its tracefs instance), the spool syncs.
import { Agent } from '../agent/agent';
import { createLogger, errorText } from '../agent/log';
import { Pusher } from '../agent/pusher';
import { runLoop } from '../agent/run-loop';
import { Spool } from '../agent/spool';
import type { EmbeddedAgentOptions, FromChild, ToChild } from './embedded-agent-protocol';
import type { TraceAnswer } from '../agent/trace-export';

/** Longest a stop may take (a send in flight, the spool's sync) before the process just exits (ms). */
const STOP_GRACE_MS = 3000;

if (process.send === undefined) {
  process.stderr.write('embedded-agent: must be started by the vcpumap server (it needs an IPC channel)\n');
  process.exit(2);
}
const send = process.send.bind(process);

const log = createLogger();
const stop = new AbortController();
let agent: Agent | null = null;
let looping = false;
let started = false;

/** Sends waiting for the server's answer, by id. */
const waiting = new Map<number, { resolve: (res: Response) => void; reject: (err: unknown) => void }>();
let nextId = 1;

function post(msg: FromChild): Promise<void> {
  return new Promise((resolve, reject) => {
    send(msg, undefined, undefined, (err: Error | null) => (err ? reject(err) : resolve()));
  });
}

/** The pusher's fetch: the body to the server over IPC, its answer back as a Response. */
const fetchOverIpc: typeof fetch = (_url, init) =>
  new Promise<Response>((resolve, reject) => {
    const signal = init?.signal ?? null;
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const id = nextId++;
    const onAbort = (): void => {
      waiting.delete(id);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const settle = (): void => {
      waiting.delete(id);
      signal?.removeEventListener('abort', onAbort);
    };
    waiting.set(id, {
      resolve: (res) => (settle(), resolve(res)),
      reject: (err) => (settle(), reject(err)),
    });
    const body = typeof init?.body === 'string' ? init.body : '';
    post({ type: 'ingest', id, body }).catch((err: unknown) => waiting.get(id)?.reject(err));
  });

process.on('message', (msg: ToChild) => {
  if (msg.type === 'stored') {
    waiting.get(msg.id)?.resolve(new Response(msg.body, { status: msg.status, headers: { 'content-type': 'application/json', ...msg.headers } }));
  } else if (msg.type === 'trace') {
    const answer: Promise<TraceAnswer> = agent === null ? Promise.resolve({ ok: false, status: 409, error: 'the embedded agent is starting', keptFromMs: null }) : agent.trace(msg.from, msg.to);
    answer
      .catch((err: unknown): TraceAnswer => ({ ok: false, status: 409, error: `the trace could not be made: ${errorText(err)}`, keptFromMs: null }))
      .then((a) => post({ type: 'trace', id: msg.id, answer: a }))
      .catch(() => {}); // the server went away
  } else if (msg.type === 'start' && !started) {
    started = true;
    run(msg.options).then(
      () => process.exit(0),
      (err: unknown) => {
        log('error', `embedded agent failed: ${errorText(err)}`);
        agent?.close();
        process.exit(1);
      },
    );
  }
});

function shutdown(): void {
  if (stop.signal.aborted) return;
  stop.abort();
  // The server will not answer any more: a send in flight fails now, its frames stay spooled.
  for (const w of [...waiting.values()]) w.reject(new Error('the embedded agent is stopping'));
  setTimeout(() => process.exit(0), STOP_GRACE_MS).unref();
  if (looping) return; // the loop ends, then run() closes the agent and the spool
  agent?.close();
  process.exit(0);
}
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
process.once('disconnect', shutdown);

async function run(o: EmbeddedAgentOptions): Promise<void> {
  agent = await Agent.create({
    host: o.host,
    intervalMs: o.intervalMs,
    procRoot: '/proc',
    sysRoot: '/sys',
    libvirtDir: '/run/libvirt/qemu',
    pinsFile: o.pinsFile,
    log,
    exact: { setting: o.exact, tracefs: '/sys/kernel/tracing' },
  });
  await agent.prepare();
  const spool = Spool.open({ dir: o.spoolDir, maxBytes: o.spoolMaxBytes });
  if (spool.recovered > 0) log('info', `spool ${o.spoolDir}: ${spool.recovered} frames from before the restart, stored first`);
  const pusher = new Pusher({ url: 'http://embedded.invalid', token: '', log, queue: spool, gzip: false, fetchImpl: fetchOverIpc });
  const a = agent;
  const block = testTickBlock();
  looping = true;
  await runLoop(
    o.intervalMs,
    stop.signal,
    () => {
      block?.();
      const next = a.next();
      return next instanceof Promise ? next.then((s) => pusher.enqueue(s)) : pusher.enqueue(next);
    },
    (err) => log('error', `embedded agent tick failed: ${errorText(err)}`, 'embedded-tick'),
  );
  a.close();
  await pusher.close();
}

/**
 * Tests only: VCPUMAP_TEST_AGENT_TICK_BLOCK_MS holds every tick's thread for that long (a
 * synchronous wait, as a slow /proc read would, without spinning a core), to show that a slow
 * tick does not delay the server. Unset in production.
 */
function testTickBlock(): (() => void) | null {
  const ms = Number(process.env.VCPUMAP_TEST_AGENT_TICK_BLOCK_MS ?? '0');
  if (!(ms > 0)) return null;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  return () => void Atomics.wait(cell, 0, 0, ms);
}
