// Issue 11 against the built server (scripts/start.mjs) and the real agent: hostile pastes that
// cannot stall the server, malformed URLs, stalled uploads, the agent's disk spool through
// SIGKILLs and outages, load shedding, slow event-stream clients, start-up and the small ones.
import { connect, type Socket } from 'node:net';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Agent as HttpAgent, request } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { hostFrames } from '../../test/support/snapshot-factory';
import { startAgentProcess, waitFor, type AgentProcess } from './helpers/agent-process';
import { startServer, type TestServer } from './helpers/server';

const TOKEN = 'hard-to-break-token-0123456789';
const FIX = path.resolve(import.meta.dirname, '../fixtures/libvirt-9.0-qemu-7.2');
const servers: TestServer[] = [];
const agents: AgentProcess[] = [];
afterAll(async () => {
  await Promise.all(agents.map((a) => a.kill()));
  await Promise.all(servers.map((s) => s.stop('SIGKILL')));
});

async function server(env: Record<string, string> = {}): Promise<TestServer> {
  const s = await startServer({ VCPUMAP_AGENT_TOKEN: TOKEN, ...env });
  servers.push(s);
  return s;
}

function agent(args: readonly string[]): AgentProcess {
  const a = startAgentProcess(args);
  agents.push(a);
  return a;
}

const post = (s: TestServer, route: string, body: string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${s.url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers }, body });

async function ticks(s: TestServer, host: string, from: number): Promise<number[]> {
  const res = await fetch(`${s.url}/api/v1/hosts/${host}/history?from=${from}&to=${Date.now() + 60_000}`);
  if (res.status === 404) return [];
  if (!res.ok) throw new Error(`history: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { ticks: number[] }).ticks;
}

/** Polls GET /api/v1/hosts every 50 ms while `work` runs; returns the slowest answer (ms). */
async function slowestReadWhile(s: TestServer, work: Promise<unknown>): Promise<number> {
  let done = false;
  let slowest = 0;
  const poll = (async () => {
    while (!done) {
      const t = performance.now();
      const res = await fetch(`${s.url}/api/v1/hosts`);
      await res.arrayBuffer();
      expect(res.status).toBe(200);
      slowest = Math.max(slowest, performance.now() - t);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  try {
    await work;
  } finally {
    done = true;
    await poll;
  }
  return slowest;
}

describe('hostile pastes', () => {
  it('answers every slow paste and the alias bomb within 2 s while another client reads the API under 0.5 s', { timeout: 120_000 }, async () => {
    const s = await server();
    const psOf = (threads: number): string => {
      const lines = ['  PID   LWP PSR STAT COMMAND'];
      for (let i = 0; i < threads; i++) lines.push(`  500 ${1000 + i}   ${i % 64} Sl   CPU ${i}/KVM`);
      return lines.join('\n');
    };
    const minimal = '  PID   LWP PSR STAT COMMAND\n  500   500   0 Sl   qemu-system-x86\n  500   501   3 Rl   CPU 0/KVM\n';
    const pastes: { name: string; body: object; status: number[] }[] = [
      { name: '40,000 threads of one process', body: { ps: psOf(40_000) }, status: [200, 400] },
      { name: '60,000 threads of one process', body: { ps: psOf(60_000) }, status: [200, 400] },
      { name: 'YAML alias bomb', body: { ps: minimal, pins: `a: &a [1]\nb: [${Array(50_000).fill('*a').join(',')}]\n` }, status: [400] },
      { name: '5,000 vcpupin of 0-8191', body: { ps: minimal, pins: `vms:\n  pid-500:\n    vcpupin: { ${Array.from({ length: 5000 }, (_, i) => `"${i}": "0-8191"`).join(', ')} }\n` }, status: [400] },
      {
        name: 'server= in a command line',
        body: { ps: '  PID   LWP PSR STAT COMMAND         COMMAND\n  500   500   0 Sl   qemu-system-x86 qemu-system-x86_64 -chardev socket,id=c,path=/y,server=\n' },
        status: [400],
      },
      { name: 'broken query-cpus-fast', body: { ps: readFileSync(path.join(FIX, 'probe1.ps.txt'), 'utf8'), queryCpusFast: '{"return": [' }, status: [400] },
    ];
    const answers: { name: string; status: number; ms: number; error: string }[] = [];
    const slowest = await slowestReadWhile(
      s,
      (async () => {
        for (const p of pastes) {
          const t = performance.now();
          const res = await post(s, '/api/v1/analyze', JSON.stringify(p.body));
          const text = await res.text();
          answers.push({ name: p.name, status: res.status, ms: performance.now() - t, error: res.ok ? '' : text.slice(0, 200) });
        }
      })(),
    );
    for (const [i, a] of answers.entries()) {
      expect(pastes[i]?.status, `${a.name}: ${a.status} ${a.error}`).toContain(a.status);
      // A bad paste is refused within 2 s (the worker's budget is 1.5 s); a big valid one is
      // analysed in a worker, however long the machine takes, while the API stays fast (below).
      expect(a.ms, a.name).toBeLessThan(a.status === 400 ? 2000 : 10_000);
      if (a.status === 400) expect(JSON.parse(a.error.length < 200 ? a.error : '{"error":"x"}')).toHaveProperty('error');
    }
    expect(slowest, JSON.stringify(answers.map((a) => [a.name, a.status, Math.round(a.ms)]))).toBeLessThan(500);
    expect(s.log()).not.toMatch(/Maximum call stack|internal error/);
  });
});

describe('malformed URLs', () => {
  it('answers 400 with a message for bad percent-encoding on pages and API routes', async () => {
    const s = await server();
    for (const p of ['/hosts/%ff', '/hosts/%', '/api/v1/hosts/%ff/snapshot', '/hosts/x/vms/%E0%A4%A', '/api/v1/hosts/x/vms/%E0%A4%A', '/api/v1/hosts/%/history']) {
      const api = await fetch(s.url + p);
      expect(api.status, p).toBe(400);
      expect(((await api.json()) as { error: string }).error, p).toMatch(/not valid percent-encoding/);
      if (p.startsWith('/api/')) continue;
      const page = await fetch(s.url + p, { headers: { accept: 'text/html' } });
      expect(page.status, p).toBe(400);
      expect(await page.text(), p).toMatch(/<h1>Bad request<\/h1>.*not valid percent-encoding/s);
    }
    // Query strings are decoded leniently: a bad one is a bad value (400 where it is parsed), never a 500.
    expect((await fetch(`${s.url}/api/v1/hosts/x/history?from=%ff`)).status).toBe(400);
    expect((await fetch(`${s.url}/wall?x=%`)).status).toBe(200);
  });
});

/** Opens a connection that sends the headers and the first bytes of a 1,000-byte body, then stops. */
function stalledUpload(s: TestServer): Promise<{ socket: Socket; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(s.port, '127.0.0.1', () => {
      socket.write(
        `POST /api/v1/ingest HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"frames":`,
      );
      const t0 = performance.now();
      const closed = new Promise<number>((r) => socket.once('close', () => r(performance.now() - t0)));
      socket.on('data', () => {});
      resolve({ socket, closed });
    });
    socket.once('error', reject);
  });
}

describe('stalled uploads', () => {
  it('16 stalled uploads lose their slots within seconds while an agent keeps pushing without a gap', { timeout: 90_000 }, async () => {
    const s = await server();
    const host = `stall-${process.pid}`;
    const a = agent(['--server', s.url, '--token', TOKEN, '--host', host, '--interval', '500ms']);
    await waitFor('the agent’s first frame', async () => ((await ticks(s, host, Date.now() - 60_000)).length > 0 ? true : null));
    const t0 = Date.now();
    const stalls = await Promise.all(Array.from({ length: 16 }, () => stalledUpload(s)));
    // A push of our own gets through within a few seconds (the slots came back).
    const okAfter = await waitFor('an ingest answered 202 beside the stalled uploads', async () => {
      const res = await post(s, '/api/v1/ingest', JSON.stringify(hostFrames({ host: `${host}-probe`, seed: 1 }, 1)[0]));
      return res.status === 202 ? Date.now() - t0 : null;
    }, 10_000);
    expect(okAfter).toBeLessThan(5000);
    const closedAfter = await Promise.all(stalls.map((x) => x.closed));
    expect(Math.max(...closedAfter)).toBeLessThan(5000);
    // The agent's history across the stall has every tick (its backlog went out after). A push
    // refused while the slots were held comes back after its Retry-After (1 to 3 s), and the
    // backlog goes oldest first: once a tick taken after the window is stored, all of the window is.
    // The window runs to 2 s after the stalls closed.
    const until = Date.now() + 2000;
    await waitFor('a tick taken after the window', async () => ((await ticks(s, host, until + 1)).length > 0 ? true : null), 12_000);
    const t = (await ticks(s, host, t0 - 3000)).filter((x) => x <= until);
    const gaps = t.slice(1).map((x, i) => x - (t[i] ?? x));
    const why = (): string => JSON.stringify({ ticks: t.map((x) => x - t0), agent: a.stderr().slice(-2000), server: s.log().slice(-2000) });
    expect(t.length, why()).toBeGreaterThan(8);
    expect(Math.max(...gaps), JSON.stringify(gaps)).toBeLessThan(1500);
    for (const x of stalls) x.socket.destroy();
  });
});

describe('refused uploads that stall', () => {
  it('an upload refused with 503 before its body was read still loses its connection once it stalls', { timeout: 30_000 }, async () => {
    // One slot: the first stalled upload takes it, the second is refused with 503 at once and its
    // body is drained; a body that stops coming must not keep its socket for the drain's 5 s.
    const s = await server({ VCPUMAP_MAX_INGEST_IN_FLIGHT: '1' });
    const first = await stalledUpload(s);
    await new Promise((r) => setTimeout(r, 200));
    const second = await stalledUpload(s);
    const answered = new Promise<string>((r) => second.socket.once('data', (b: Buffer) => r(b.toString('latin1'))));
    expect((await answered).split('\r\n')[0]).toMatch(/^HTTP\/1\.1 503/);
    const [a, b] = await Promise.all([first.closed, second.closed]);
    expect(a).toBeLessThan(3500); // 408 after 2 s without a byte
    expect(b).toBeLessThan(3500); // the drain gives up after 2 s without a byte, too
    first.socket.destroy();
    second.socket.destroy();
  });
});

describe('the agent spool', () => {
  it('loses no frame when the agent is SIGKILLed and restarted during a server outage', { timeout: 120_000 }, async () => {
    const s = await server();
    const host = `spool-${process.pid}`;
    const spool = mkdtempSync(path.join(tmpdir(), 'vcpumap-spool-'));
    const args = ['--print', '--server', s.url, '--token', TOKEN, '--host', host, '--interval', '500ms', '--spool', spool];
    const first = agent(args);
    await waitFor('first frame stored', async () => ((await ticks(s, host, Date.now() - 60_000)).length > 0 ? true : null));
    await s.stop();
    await new Promise((r) => setTimeout(r, 4000));
    await first.kill(); // SIGKILL: no flush, no close
    const killedAt = Date.now();
    const second = agent(args);
    await new Promise((r) => setTimeout(r, 3000));
    await s.restart();
    const printed = [...first.printed, ...second.printed].map((p) => p.at);
    const last = printed[printed.length - 1] ?? 0;
    const stored = await waitFor('every printed frame stored', async () => {
      const t = await ticks(s, host, (printed[0] ?? 0) - 1);
      return printed.every((at) => t.includes(at)) ? t : null;
    }, 30_000);
    // The only hole is the agent's own restart (it samples nothing while it is not running).
    const window = stored.filter((t) => t <= last);
    const gaps = window.slice(1).map((t, i) => t - (window[i] ?? t));
    const restartGap = Math.min(...(second.printed.length > 0 ? [second.printed[0]?.at ?? 0] : [Date.now()])) - killedAt;
    expect(Math.max(...gaps), JSON.stringify({ gaps, restartGap })).toBeLessThan(restartGap + 1500);
    expect(second.stderr()).toMatch(/frames from an earlier run, sent first/);
  });

  it('keeps every spooled frame through repeated SIGKILLs while it writes, and the spool stays readable', { timeout: 120_000 }, async () => {
    const s = await server();
    const host = `kill-${process.pid}`;
    const spool = mkdtempSync(path.join(tmpdir(), 'vcpumap-spool-'));
    // Nothing listens on this port: every frame stays in the spool, written 50 times a second.
    const nowhere = `http://127.0.0.1:${s.port === 1 ? 2 : 1}`;
    const printed: number[] = [];
    for (let round = 0; round < 5; round++) {
      const a = agent(['--print', '--server', nowhere, '--token', TOKEN, '--host', host, '--interval', '20ms', '--spool', spool]);
      await waitFor('frames printed', () => (a.printed.length >= 10 ? true : null), 20_000);
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 400));
      await a.kill();
      expect(a.stderr()).not.toMatch(/--spool .*:|error/i);
      printed.push(...a.printed.map((p) => p.at));
    }
    // Deliver: one more run against the real server.
    const last = agent(['--server', s.url, '--token', TOKEN, '--host', host, '--interval', '1s', '--spool', spool]);
    const stored = await waitFor('every frame printed before a kill is stored', async () => {
      const t = new Set(await ticks(s, host, (printed[0] ?? 0) - 1));
      return printed.every((at) => t.has(at)) ? t : null;
    }, 60_000);
    expect(stored.size).toBeGreaterThanOrEqual(printed.length);
    await last.stop();
  });
});

describe('load shedding', () => {
  it('answers 503 with Retry-After under overload and keeps the read API answering', { timeout: 90_000 }, async () => {
    const s = await server({ VCPUMAP_MAX_INGEST_IN_FLIGHT: '64', VCPUMAP_SHED_LAG_MS: '50', VCPUMAP_SHED_QUEUE_MS: '250' });
    const frames = hostFrames({ host: 'shed-0', seed: 3 }, 1)[0];
    if (!frames) throw new Error('no frame');
    const idleReads: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      await (await fetch(`${s.url}/api/v1/hosts`)).arrayBuffer();
      idleReads.push(performance.now() - t);
    }
    const idle = idleReads.sort((a, b) => a - b)[5] ?? 0;
    const keepAlive = new HttpAgent({ keepAlive: true, maxSockets: 200 });
    const statuses = new Map<number, number>();
    const retryAfter = new Set<string>();
    const until = performance.now() + 6000;
    let n = 0;
    const poster = async (i: number): Promise<void> => {
      while (performance.now() < until) {
        const body = JSON.stringify({ ...frames, host: `shed-${i}`, at: Date.now() * 1000 + n++ });
        const r = await rawPost(s, body, keepAlive);
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status === 503 && r.retryAfter !== null) retryAfter.add(r.retryAfter);
        // As the agent does: wait what the server asked for.
        if (r.status === 503) await new Promise((res) => setTimeout(res, Math.min(until - performance.now(), Number(r.retryAfter ?? 1) * 1000)));
      }
    };
    const reads: number[] = [];
    const reader = (async () => {
      while (performance.now() < until) {
        const t = performance.now();
        const res = await fetch(`${s.url}/api/v1/hosts`, { signal: AbortSignal.timeout(15_000) });
        await res.arrayBuffer();
        expect(res.status).toBe(200);
        reads.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await Promise.all([...Array.from({ length: 200 }, (_, i) => poster(i)), reader]);
    keepAlive.destroy();
    const summary = JSON.stringify({ statuses: [...statuses], retryAfter: [...retryAfter], idle, reads: reads.map(Math.round) });
    expect(statuses.get(202) ?? 0, summary).toBeGreaterThan(0);
    expect(statuses.get(503) ?? 0, summary).toBeGreaterThan(0);
    expect([...statuses.keys()].every((c) => c === 202 || c === 503), summary).toBe(true);
    expect([...retryAfter].every((r) => /^[1-3]$/.test(r)), summary).toBe(true);
    // The read API keeps answering. Its figures under this load (p99 under 250 ms) are the
    // bench's (npm run bench:ingest, posters and readers apart from the server): here the same
    // process posts and reads, so the test only holds the API to answering, never hanging.
    expect(reads.length, summary).toBeGreaterThan(0);
    expect(Math.max(...reads), summary).toBeLessThan(15_000);
    expect(idle).toBeGreaterThan(0);
    expect(await (await fetch(`${s.url}/metrics`)).text()).toMatch(/vcpumap_ingest_shed_total [1-9]/);
  });
});

function rawPost(s: TestServer, body: string, agent: HttpAgent): Promise<{ status: number; retryAfter: string | null }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: s.port, path: '/api/v1/ingest', method: 'POST', agent, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: typeof res.headers['retry-after'] === 'string' ? res.headers['retry-after'] : null }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A GET of the host's event stream on a raw socket: the test decides whether it reads. */
function rawStream(s: TestServer, host: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(s.port, '127.0.0.1', () => {
      socket.write(`GET /api/v1/stream?host=${host} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n`);
      resolve(socket);
    });
    socket.on('error', () => {}); // a dropped stream may end in a reset
    socket.once('error', reject);
  });
}

describe('event streams', () => {
  it('drops a client that stops reading, keeps serving one that reads, and bounds streams per client', { timeout: 90_000 }, async () => {
    const s = await server({ VCPUMAP_MAX_STREAMS_PER_CLIENT: '4' });
    const host = `sse-${process.pid}`;
    // Big frames: a 256-pCPU host with many VMs, so that the backlog grows fast.
    const vms = Array.from({ length: 32 }, (_, i) => ({ name: `big-${i}`, vcpus: 8, pinBase: i * 8, load: 0.5 }));
    const frames = hostFrames({ host, seed: 5, sockets: 2, coresPerSocket: 64, vms }, 200);
    expect((await post(s, '/api/v1/ingest', JSON.stringify({ frames: frames.slice(0, 1) }))).status).toBe(202);
    const streamsOpen = async (): Promise<number> => Number(/vcpumap_sse_clients (\d+)/.exec(await (await fetch(`${s.url}/metrics`)).text())?.[1]);
    // A client that reads nothing after its request, and one that reads everything.
    const stuck = await rawStream(s, host);
    stuck.pause();
    const reading = await rawStream(s, host);
    let received = 0;
    reading.on('data', (c: Buffer) => (received += c.byteLength));
    await waitFor('both streams open', async () => ((await streamsOpen()) === 2 ? true : null));
    const bytesPerFrame = JSON.stringify(frames[1]).length;
    for (const f of frames.slice(1)) await post(s, '/api/v1/ingest', JSON.stringify({ frames: [f] }));
    // The one that stopped reading is dropped (its backlog passed the bound); the reader is not.
    await waitFor('the non-reading stream dropped', async () => ((await streamsOpen()) === 1 ? true : null), 20_000);
    expect(await (await fetch(`${s.url}/metrics`)).text()).toMatch(/vcpumap_sse_dropped_total 1\b/);
    await waitFor('the reader received every frame', () => (received > bytesPerFrame * 190 ? true : null), 20_000);
    expect(reading.destroyed).toBe(false);
    // Per-client bound: this address has one stream open; three more fit, the fifth is refused.
    const more = await Promise.all(Array.from({ length: 3 }, () => fetch(`${s.url}/api/v1/stream`)));
    expect(more.map((r) => r.status)).toEqual([200, 200, 200]);
    const refused = await fetch(`${s.url}/api/v1/stream`);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBeTruthy();
    for (const r of more) await r.body?.cancel();
    stuck.destroy();
    reading.destroy();
  });
});

describe('start-up and the small ones', () => {
  it('answers at once with 503 + Retry-After while starting, never a hanging request', { timeout: 60_000 }, async () => {
    const s = await server();
    await s.stop();
    const restarting = s.restart();
    const seen: { status: number; ms: number; retryAfter: string | null }[] = [];
    const t0 = Date.now();
    while (Date.now() - t0 < 20_000) {
      const t = performance.now();
      try {
        const res = await fetch(`${s.url}/api/v1/hosts`, { signal: AbortSignal.timeout(3000) });
        await res.arrayBuffer();
        seen.push({ status: res.status, ms: performance.now() - t, retryAfter: res.headers.get('retry-after') });
        if (res.status === 200) break;
      } catch (err) {
        if (err instanceof Error && err.name === 'TimeoutError') throw new Error('a request hung while the server started');
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await restarting;
    expect(seen.at(-1)?.status).toBe(200);
    expect(seen.filter((x) => x.status !== 200).every((x) => x.status === 503 && x.retryAfter === '1')).toBe(true);
    // Loading Next.js itself holds the event loop for moments; never for the time the store takes.
    expect(Math.max(...seen.filter((x) => x.status === 503).map((x) => x.ms), 0)).toBeLessThan(2500);
  });

  it('keeps /metrics behind the viewer token, and lets the client read a 413 before the connection closes', async () => {
    const s = await server({ VCPUMAP_VIEWER_TOKEN: 'viewer-secret-0123456789', VCPUMAP_MAX_BODY_BYTES: '100000' });
    expect((await fetch(`${s.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${s.url}/metrics`, { headers: { authorization: 'Bearer viewer-secret-0123456789' } })).status).toBe(200);
    for (let i = 0; i < 5; i++) {
      const res = await post(s, '/api/v1/ingest', 'x'.repeat(3_000_000));
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: string }).error).toMatch(/over the limit/);
    }
  });
});
