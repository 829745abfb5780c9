// The built server with the real agent and real QEMU guests: ingest, read API, SSE, restarts,
// outages and every 4xx.
import { get as httpGet } from 'node:http';
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../lib/model/snapshot';
import { requireQemu } from './helpers/preconditions';
import { guestName, startGuest, type Guest } from './helpers/guests';
import { startServer, type TestServer } from './helpers/server';
import { startAgentProcess, waitFor } from './helpers/agent-process';
import { hostFrames } from '../support/snapshot-factory';

const TOKEN = 'integration-test-token-0123456789';
let guest: Guest;
const servers: TestServer[] = [];

beforeAll(async () => {
  requireQemu();
  guest = await startGuest({ name: guestName('srv'), smp: 2, paused: true, qmpSockets: 1 });
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop('SIGKILL')));
  await guest.stop();
});

async function server(env: Record<string, string> = {}): Promise<TestServer> {
  const s = await startServer({ VCPUMAP_AGENT_TOKEN: TOKEN, ...env });
  servers.push(s);
  return s;
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

function ingest(s: TestServer, body: string | Uint8Array<ArrayBuffer>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${s.url}/api/v1/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers },
    body,
  });
}

describe('server with the real agent', () => {
  it('serves the snapshot the agent took, streams new ones within one interval, and keeps history across a crash', async () => {
    const s = await server();
    const host = `it-${process.pid}`;
    const agent = startAgentProcess(['--print', '--server', s.url, '--token', TOKEN, '--host', host, '--interval', '500ms']);
    try {
      // Over HTTP, the latest snapshot is exactly one the agent printed.
      const served = await waitFor('a stored snapshot', async () => {
        const res = await fetch(`${s.url}/api/v1/hosts/${host}/snapshot`);
        return res.ok ? ((await res.json()) as Snapshot) : null;
      });
      const printed = await waitFor('the same snapshot printed by the agent', () => agent.printed.find((p) => p.at === served.at));
      expect(served).toEqual(printed);
      expect(served.vms.find((v) => v.name === guest.name)?.vcpus.map((v) => v.tid)).toEqual([guest.vcpuTid(0), guest.vcpuTid(1)]);

      // SSE: the next frame arrives within one interval of being taken.
      const delays = await sseDelays(`${s.url}/api/v1/stream?host=${host}`, 3);
      expect(Math.max(...delays), delays.join(',')).toBeLessThan(500);

      const hosts = await getJson<{ host: string; vms: number }[]>(`${s.url}/api/v1/hosts`);
      expect(hosts.find((h) => h.host === host)?.vms).toBeGreaterThanOrEqual(1);

      // Kill the server hard; every frame it acknowledged is still there afterwards.
      const before = await getJson<{ ticks: number[] }>(`${s.url}/api/v1/hosts/${host}/history?from=${Date.now() - 60_000}`);
      await s.stop('SIGKILL');
      await s.restart();
      const after = await getJson<{ ticks: number[] }>(`${s.url}/api/v1/hosts/${host}/history?from=${Date.now() - 60_000}`);
      expect(before.ticks.length).toBeGreaterThan(3);
      expect(after.ticks.slice(0, before.ticks.length)).toEqual(before.ticks);
    } finally {
      await agent.stop();
    }
  });

  it('loses no tick while the server is down for 15 s', { timeout: 90_000 }, async () => {
    const s = await server();
    const host = `outage-${process.pid}`;
    const agent = startAgentProcess(['--server', s.url, '--token', TOKEN, '--host', host, '--interval', '1s']);
    try {
      await waitFor('first frame', async () => (await fetch(`${s.url}/api/v1/hosts/${host}/snapshot`)).ok || null);
      const downAt = Date.now();
      await s.stop();
      await new Promise((r) => setTimeout(r, 15_000));
      await s.restart();
      const upAt = Date.now();
      // The backlog arrives; every second of the outage has its frame.
      const hist = await waitFor('the backlog', async () => {
        const h = await getJson<{ ticks: number[] }>(`${s.url}/api/v1/hosts/${host}/history?from=${downAt - 5000}&to=${upAt + 60_000}`);
        return h.ticks.some((t) => t > upAt) ? h : null;
      }, 30_000);
      const gaps = hist.ticks.slice(1).map((t, i) => t - (hist.ticks[i] ?? t));
      expect(hist.ticks.filter((t) => t > downAt && t < upAt).length).toBeGreaterThanOrEqual(14);
      expect(Math.max(...gaps), JSON.stringify(gaps)).toBeLessThan(1600);
    } finally {
      await agent.stop();
    }
  });
});

describe('the embedded agent', () => {
  it('samples this host inside the server, with no agent to run', async () => {
    const s = await server({ VCPUMAP_EMBEDDED_AGENT: '1', VCPUMAP_AGENT_INTERVAL: '500ms' });
    const snap = await waitFor('a snapshot of this host', async () => {
      const res = await fetch(`${s.url}/api/v1/hosts/${encodeURIComponent(hostname())}/snapshot`);
      return res.ok ? ((await res.json()) as Snapshot) : null;
    });
    expect(snap.vms.find((v) => v.name === guest.name)?.vcpus.map((v) => v.tid)).toEqual([guest.vcpuTid(0), guest.vcpuTid(1)]);
  });
});

describe('ingest rejects bad requests and harms nothing stored', () => {
  it('answers 401, 403, 400, 413, 415 and 503 with a message', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vcpumap-tokens-'));
    const tokensFile = path.join(dir, 'tokens.yaml');
    writeFileSync(tokensFile, 'tokens:\n  - token: only-for-host-a-000000\n    hosts: [host-a]\n');
    const s = await server({ VCPUMAP_TOKENS_FILE: tokensFile, VCPUMAP_MAX_BODY_BYTES: '200000', VCPUMAP_MAX_INGEST_IN_FLIGHT: '1' });
    const good = goodSnapshot('host-a', Date.now());
    expect((await ingest(s, JSON.stringify(good))).status).toBe(202);
    const stored = await getJson<Snapshot>(`${s.url}/api/v1/hosts/host-a/snapshot`);

    const expectError = async (res: Response, status: number, message: RegExp): Promise<void> => {
      expect(res.status).toBe(status);
      const body = (await res.json()) as { error: string };
      expect(body.error).toMatch(message);
    };
    await expectError(await ingest(s, JSON.stringify(good), { authorization: '' }), 401, /token/);
    await expectError(await ingest(s, JSON.stringify(good), { authorization: 'Bearer wrong-token-000000000000' }), 401, /token/);
    const hostB = JSON.stringify(goodSnapshot('host-b', Date.now()));
    await expectError(await ingest(s, hostB, { authorization: 'Bearer only-for-host-a-000000' }), 403, /host "host-b"/);
    await expectError(await ingest(s, '{"frames": [{"version": 1}]}'), 400, /frames\.0\.host/);
    await expectError(await ingest(s, 'not json'), 400, /not JSON/);
    const broken = { ...good, vms: [{ ...good.vms[0], pid: 'seven' }] };
    await expectError(await ingest(s, JSON.stringify(broken)), 400, /vms\.0\.pid/);
    await expectError(await ingest(s, 'x'.repeat(300_000)), 413, /over the limit/);
    // Without Content-Length (chunked) and gzipped: still stopped at the limit.
    const bomb = new Uint8Array(gzipSync(Buffer.alloc(50_000_000, 0x20)));
    await expectError(await ingest(s, bomb, { 'content-encoding': 'gzip' }), 413, /over the limit/);
    await expectError(await ingest(s, JSON.stringify(good), { 'content-encoding': 'br' }), 415, /Content-Encoding/);

    // Overload: one request holds the only slot by streaming its body slowly.
    let release: () => void = () => {};
    const slow = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"frames":['));
        release = () => {
          c.enqueue(new TextEncoder().encode(`${JSON.stringify(goodSnapshot('host-a', Date.now() + 5))}]}`));
          c.close();
        };
      },
    });
    const held = fetch(`${s.url}/api/v1/ingest`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: slow,
      duplex: 'half',
    } as RequestInit);
    await new Promise((r) => setTimeout(r, 300));
    const busy = await ingest(s, JSON.stringify(goodSnapshot('host-a', Date.now() + 6)));
    expect(busy.headers.get('retry-after')).toMatch(/^[1-3]$/);
    await expectError(busy, 503, /busy/);
    release();
    expect((await held).status).toBe(202);

    // The frame stored first is intact, and the server still works.
    expect(await getJson<Snapshot>(`${s.url}/api/v1/hosts/host-a/snapshot?at=${stored.at}`)).toEqual(stored);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/vcpumap_ingest_requests_total\{status="413"\} 2/);
    // Labels are bounded: no thread ids, pin sets or VM names.
    const labels = metrics.split('\n').flatMap((l) => [...l.matchAll(/(\w+)="/g)].map((m) => m[1]));
    expect(labels.filter((l) => !['status', 'le', 'kind'].includes(l ?? ''))).toEqual([]);
  });

  it('answers 400 for bad read parameters and 404 for unknown hosts', async () => {
    const s = await server();
    expect((await fetch(`${s.url}/api/v1/hosts/nope/snapshot`)).status).toBe(404);
    const bad = await fetch(`${s.url}/api/v1/hosts/nope/history?from=yesterday`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/from="yesterday"/);
    expect((await fetch(`${s.url}/api/v1/hosts/nope/history?from=2000&to=1000`)).status).toBe(400);
    expect((await fetch(`${s.url}/api/v1/violations?active=0`)).status).toBe(400);
  });

  it('refuses bad host names and duplicate vCPU indices with 400 naming the field, and stores a frame the agent sent again once', async () => {
    const s = await server();
    const error = async (res: Response): Promise<string> => ((await res.json()) as { error: string }).error;
    for (const host of ['a..b', '-edge', 'hv\u202e1', '.', 'hv 1']) {
      const res = await ingest(s, JSON.stringify({ frames: [goodSnapshot(host, Date.now())] }));
      expect(res.status, JSON.stringify(host)).toBe(400);
      expect(await error(res)).toMatch(/^invalid frame: frames\.0\.host: a host name .*DNS-like labels/);
    }
    const at = Date.now() - 10_000;
    const good = goodSnapshot('hv-dup', at);
    const [vm] = good.vms;
    const [v0] = vm?.vcpus ?? [];
    if (!vm || !v0) throw new Error('fixture');
    const twice = { ...good, vms: [{ ...vm, vcpus: [v0, { ...v0, tid: 102 }], threads: [...vm.threads, { tid: 102, role: 'vcpu', vcpu: 0, name: 'CPU 1/KVM', pcpu: 0, affinity: [0], pin: null, ran: true, state: 'R' }] }] };
    const res = await ingest(s, JSON.stringify({ frames: [good, twice] }));
    expect(res.status).toBe(400);
    expect(await error(res)).toMatch(/^invalid frame: frames\.1\.vms\.0\.vcpus\.1\.index: vCPU index 0 appears twice in VM "vm-1"/);
    expect((await fetch(`${s.url}/api/v1/hosts/hv-dup/snapshot`)).status).toBe(404); // nothing of a refused body is stored
    // The agent's spool is at-least-once: a batch sent again (its answer lost), and one that
    // overlaps it, are stored once each frame.
    const body = JSON.stringify({ frames: [good, { ...good, at: at + 1000 }] });
    expect((await ingest(s, body)).status).toBe(202);
    expect((await ingest(s, body)).status).toBe(202);
    expect((await ingest(s, JSON.stringify({ frames: [{ ...good, at: at + 1000 }, { ...good, at: at + 2000 }, { ...good, at: at + 2000 }] }))).status).toBe(202);
    const h = await getJson<{ ticks: number[] }>(`${s.url}/api/v1/hosts/hv-dup/history?from=${at - 1000}&to=${at + 3000}`);
    expect(h.ticks).toEqual([at, at + 1000, at + 2000]);
  });
});

describe('the read API', () => {
  it('answers a big history compressed as the client takes it (brotli, else gzip), and plain to one that takes neither', async () => {
    const s = await server();
    const start = Date.now() - 400_000;
    const frames = hostFrames({ host: 'hv-big', start }, 300);
    for (let i = 0; i < frames.length; i += 50) expect((await ingest(s, JSON.stringify({ frames: frames.slice(i, i + 50) }))).status).toBe(202);
    const url = `${s.url}/api/v1/hosts/hv-big/history?from=${start - 1000}&to=${Date.now()}`;
    const answers: Record<string, { encoding: string | null; ticks: number; bytes: number }> = {};
    for (const accept of ['gzip, deflate, br, zstd', 'gzip', 'identity']) {
      // node:http, not fetch: fetch would decode the body out of sight of the test.
      const { headers, body } = await new Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
        httpGet(url, { headers: { 'accept-encoding': accept } }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (d: Buffer) => parts.push(d));
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(parts) }));
        }).on('error', reject);
      });
      const encoding = typeof headers['content-encoding'] === 'string' ? headers['content-encoding'] : null;
      const json = encoding === 'br' ? brotliDecompressSync(body) : encoding === 'gzip' ? gunzipSync(body) : body;
      answers[accept] = { encoding, ticks: (JSON.parse(json.toString('utf8')) as { ticks: number[] }).ticks.length, bytes: body.length };
      expect(headers['cache-control']).toMatch(/no-store/);
    }
    expect(answers['gzip, deflate, br, zstd']).toMatchObject({ encoding: 'br', ticks: 300 });
    expect(answers.gzip).toMatchObject({ encoding: 'gzip', ticks: 300 });
    expect(answers.identity).toMatchObject({ encoding: null, ticks: 300 });
    expect(answers.identity?.bytes ?? 0).toBeGreaterThan(4 * (answers['gzip, deflate, br, zstd']?.bytes ?? Infinity));
  });
});

function goodSnapshot(host: string, at: number): Snapshot {
  return {
    version: 1,
    host,
    at,
    intervalMs: 1000,
    topology: { cpus: [{ cpu: 0, socket: 0, die: 0, core: 0, node: 0, siblings: [0], isolated: false, busy: 0.5 }], isolated: [], nohzFull: [] },
    vms: [{
      name: 'vm-1', uuid: null, pid: 100, source: 'qemu', intent: 'none', dedicated: false, maxVcpus: 1,
      vcpus: [{ index: 0, tid: 101, pcpu: 0, affinity: [0], pin: null, ran: true, state: 'R', runNs: 5, waitNs: 0, identity: 'thread-name' }],
      threads: [
        { tid: 100, role: 'emulator', name: 'qemu-system-x86', pcpu: 0, affinity: [0], pin: null, ran: false, state: 'S' },
        { tid: 101, role: 'vcpu', vcpu: 0, name: 'CPU 0/KVM', pcpu: 0, affinity: [0], pin: null, ran: true, state: 'R' },
      ],
    }],
    violations: [],
  };
}

/** Connects to an SSE stream and returns, for `count` snapshot events, receipt time - frame time (ms). */
async function sseDelays(url: string, count: number): Promise<number[]> {
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new Error(`stream: HTTP ${res.status}`);
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  const delays: number[] = [];
  let skippedFirst = false; // the first event is the stored latest, not a live one
  while (delays.length < count) {
    const { done, value } = await reader.read();
    if (done) throw new Error('stream ended');
    buf += dec.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const event = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const data = /^data: (.*)$/m.exec(event)?.[1];
      if (!/^event: snapshot$/m.test(event) || !data) continue;
      if (!skippedFirst) {
        skippedFirst = true;
        continue;
      }
      delays.push(Date.now() - (JSON.parse(data) as Snapshot).at);
    }
  }
  await reader.cancel();
  return delays;
}
