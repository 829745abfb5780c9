import { linkSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QmpClient } from './client';
import {
  QmpBusyError,
  QmpClosedError,
  QmpCommandError,
  QmpCommandNotAllowedError,
  QmpConnectError,
  QmpProtocolError,
  QmpTimeoutError,
} from './errors';

const FIXTURES = join(import.meta.dirname, '../../test/fixtures/libvirt-9.0-qemu-7.2');
const CPUS_FAST = JSON.parse(readFileSync(join(FIXTURES, 'probe1.query-cpus-fast.json'), 'utf8')).return;

const GREETING = '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""}, "capabilities": ["oob"]}}\r\n';

interface Request {
  readonly execute: string;
  readonly id: string;
  readonly arguments?: unknown;
}

/** What the fake server does with one request: these writes, 5 ms apart so each is its own read. */
type Handler = (req: Request) => readonly (string | Buffer)[] | 'ignore';

const reply = (req: Request, value: unknown): string => `${JSON.stringify({ return: value, id: req.id })}\r\n`;

/** Default behaviour: answer like QEMU 7.2 for the commands the tests use. */
const qemuLike: Handler = (req) => {
  if (req.execute === 'qmp_capabilities') return [reply(req, {})];
  if (req.execute === 'query-cpus-fast') return [reply(req, CPUS_FAST)];
  if (req.execute === 'query-status') return [reply(req, { status: 'running', singlestep: false, running: true })];
  return [`${JSON.stringify({ error: { class: 'CommandNotFound', desc: `The command ${req.execute} has not been found` }, id: req.id })}\r\n`];
};

let dir: string;
let server: net.Server | null;
const sockets: net.Socket[] = [];
/** Every byte a fake server received, per connection. */
let received: string[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vcpumap-qmp-'));
  server = null;
  received = [];
});

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  const srv = server;
  if (srv) await new Promise<void>((resolve) => srv.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

/** An in-process QMP server on a unix socket in a temp dir. */
async function fakeQmp(handler: Handler = qemuLike, opts: { greeting?: readonly string[] } = {}): Promise<string> {
  const path = join(dir, 'qmp.sock');
  const srv = net.createServer((sock) => {
    sockets.push(sock);
    const n = received.push('') - 1;
    for (const g of opts.greeting ?? [GREETING]) sock.write(g);
    let buf = '';
    sock.on('data', (chunk) => {
      received[n] += chunk.toString();
      buf += chunk.toString();
      for (let i = buf.indexOf('\n'); i !== -1; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const out = handler(JSON.parse(line));
        if (out !== 'ignore') out.forEach((w, k) => setTimeout(() => sock.destroyed || sock.write(w), 5 * k));
      }
    });
    sock.on('error', () => {}); // the client may hang up mid-write
  });
  server = srv;
  await new Promise<void>((resolve) => srv.listen(path, resolve));
  return path;
}

describe('QmpClient', () => {
  it('reads the greeting, negotiates capabilities and runs a command', async () => {
    const path = await fakeQmp();
    const c = await QmpClient.connect(path, { timeoutMs: 2000 });
    expect(c.version).toEqual({ major: 7, minor: 2, micro: 0, package: '' });
    expect(c.capabilities).toEqual(['oob']);
    expect(await c.execute('query-cpus-fast')).toEqual(CPUS_FAST);
    expect(await c.execute('query-status')).toMatchObject({ status: 'running' });
    c.close();
    expect(c.closed).toBe(true);
    // ids are monotonic and requests are one JSON object per line; capabilities are not enabled
    expect(received[0]).toBe(
      '{"execute":"qmp_capabilities","id":"vcpumap-1"}\n{"execute":"query-cpus-fast","id":"vcpumap-2"}\n{"execute":"query-status","id":"vcpumap-3"}\n',
    );
  });

  it('reassembles a reply split across writes, including inside a UTF-8 sequence', async () => {
    const path = await fakeQmp((req) => {
      if (req.execute === 'qmp_capabilities') return [reply(req, {})];
      const bytes = Buffer.from(reply(req, { name: 'vm-é🖥' }));
      const cut = bytes.indexOf(0xf0) + 2; // inside the 4-byte emoji
      return [bytes.subarray(0, 5), bytes.subarray(5, cut), bytes.subarray(cut)];
    });
    const c = await QmpClient.connect(path, { timeoutMs: 2000 });
    expect(await c.execute('query-name')).toEqual({ name: 'vm-é🖥' });
    c.close();
  });

  it('skips events that arrive before the reply, and several messages in one write', async () => {
    const event = '{"timestamp": {"seconds": 1, "microseconds": 2}, "event": "RESUME"}\r\n';
    const path = await fakeQmp((req) => [event + event + reply(req, { ok: req.execute })]);
    const c = await QmpClient.connect(path, { timeoutMs: 2000 });
    expect(await c.execute('query-uuid')).toEqual({ ok: 'query-uuid' });
    c.close();
  });

  it('matches replies by id when they come out of order', async () => {
    const held: Request[] = [];
    const path = await fakeQmp((req) => {
      if (req.execute === 'qmp_capabilities') return [reply(req, {})];
      held.push(req);
      if (held.length < 2) return [];
      return held.reverse().map((r) => reply(r, r.execute));
    });
    const c = await QmpClient.connect(path, { timeoutMs: 2000 });
    expect(await Promise.all([c.execute('query-name'), c.execute('query-uuid')])).toEqual(['query-name', 'query-uuid']);
    c.close();
  });

  it('rejects an error reply with QEMU class and desc, and stays usable', async () => {
    const path = await fakeQmp();
    const c = await QmpClient.connect(path, { timeoutMs: 2000 });
    const err = await c.execute('query-iothreads').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QmpCommandError);
    expect(err).toMatchObject({
      errorClass: 'CommandNotFound',
      message: `QMP command query-iothreads on ${path} failed: CommandNotFound: The command query-iothreads has not been found`,
    });
    expect(c.closed).toBe(false);
    expect(await c.execute('query-status')).toMatchObject({ running: true });
    c.close();
  });

  it('refuses commands outside the read-only allowlist without writing a byte', async () => {
    const path = await fakeQmp();
    const c = await QmpClient.connect(path, { timeoutMs: 2000 });
    for (const cmd of ['system_powerdown', 'quit', 'qmp_capabilities', 'human-monitor-command', 'QUERY-STATUS', '']) {
      await expect(c.execute(cmd)).rejects.toThrow(QmpCommandNotAllowedError);
    }
    await expect(c.execute('cont')).rejects.toThrow(/"cont" refused: vcpumap only sends read-only commands/);
    await c.execute('query-status');
    c.close();
    expect(received[0]).toBe('{"execute":"qmp_capabilities","id":"vcpumap-1"}\n{"execute":"query-status","id":"vcpumap-2"}\n');
  });

  it('times out a command, rejects the others and closes the client', async () => {
    const path = await fakeQmp((req) => (req.execute === 'qmp_capabilities' ? [reply(req, {})] : 'ignore'));
    const c = await QmpClient.connect(path, { timeoutMs: 2000 });
    const slow = c.execute('query-status', undefined, { timeoutMs: 50 });
    const other = c.execute('query-name');
    await expect(slow).rejects.toThrow(QmpTimeoutError);
    await expect(slow).rejects.toThrow(`QMP command query-status on ${path} got no reply within 50 ms`);
    await expect(other).rejects.toThrow(QmpClosedError);
    expect(c.closed).toBe(true);
    await expect(c.execute('query-status')).rejects.toThrow(/is closed \(QMP connection .* closed after query-status timed out\)/);
  });

  it('reports a busy socket when connect() succeeds but no greeting comes', async () => {
    const path = await fakeQmp(qemuLike, { greeting: [] });
    const err = await QmpClient.connect(path, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QmpBusyError);
    expect(String(err)).toContain(
      `QMP socket ${path} is busy: QEMU serves one client at a time and another client (libvirt?) holds it`,
    );
  });

  it('times out the capabilities handshake', async () => {
    const path = await fakeQmp(() => 'ignore');
    await expect(QmpClient.connect(path, { timeoutMs: 100 })).rejects.toThrow(/qmp_capabilities .* no reply within 100 ms/);
  });

  it('rejects pending calls when QEMU closes the socket', async () => {
    const path = await fakeQmp((req) => {
      if (req.execute === 'qmp_capabilities') return [reply(req, {})];
      for (const s of sockets) s.end();
      return [];
    });
    const c = await QmpClient.connect(path, { timeoutMs: 2000 });
    await expect(c.execute('query-status')).rejects.toThrow(`QMP connection to ${path} was closed by the peer`);
    expect(c.closed).toBe(true);
  });

  it('rejects pending calls when the client is closed', async () => {
    const path = await fakeQmp((req) => (req.execute === 'qmp_capabilities' ? [reply(req, {})] : 'ignore'));
    const c = await QmpClient.connect(path, { timeoutMs: 2000 });
    const p = c.execute('query-status');
    c.close();
    c.close();
    await expect(p).rejects.toThrow(`QMP client for ${path} was closed`);
  });

  it.each([
    ['garbage', 'hello\r\n', /not valid JSON/],
    ['a reply for an unknown id', '{"return": {}, "id": "libvirt-7"}\r\n', /unknown request id "libvirt-7"/],
    ['an id-less error', '{"error": {"class": "GenericError", "desc": "JSON parse error"}}\r\n', /rejected a request without naming it/],
    ['a second greeting', GREETING, /second greeting/],
  ])('treats %s as a fatal protocol error', async (_what, bad, re) => {
    const path = await fakeQmp((req) => (req.execute === 'qmp_capabilities' ? [reply(req, {})] : [bad]));
    const c = await QmpClient.connect(path, { timeoutMs: 2000 });
    const err = await c.execute('query-status').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QmpProtocolError);
    expect(String(err)).toMatch(re);
    expect(String(err)).toContain(path);
    expect(c.closed).toBe(true);
  });

  it('rejects a reply before the greeting', async () => {
    const path = await fakeQmp(qemuLike, { greeting: ['{"return": {}}\r\n'] });
    await expect(QmpClient.connect(path, { timeoutMs: 2000 })).rejects.toThrow(/sent a return before its greeting/);
  });

  it('names the path when the socket does not exist (ENOENT)', async () => {
    const path = join(dir, 'missing.sock');
    const err = await QmpClient.connect(path, { timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QmpConnectError);
    expect(String(err)).toContain(`QMP socket ${path} does not exist (ENOENT)`);
  });

  it('names the path when nothing listens on the socket (ECONNREFUSED)', async () => {
    // A hard link keeps the socket inode after the server closes and unlinks its own name.
    const live = await fakeQmp();
    const stale = join(dir, 'stale.sock');
    linkSync(live, stale);
    const srv = server;
    server = null;
    await new Promise<void>((resolve) => srv?.close(() => resolve()));
    const err = await QmpClient.connect(stale, { timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QmpConnectError);
    expect(String(err)).toContain(`QMP socket ${stale} refused the connection (ECONNREFUSED)`);
  });

  it('reports a path that is not a socket', async () => {
    const path = join(dir, 'file');
    writeFileSync(path, '');
    await expect(QmpClient.connect(path, { timeoutMs: 2000 })).rejects.toThrow(path);
  });

  it('rejects a nonsensical timeout', async () => {
    await expect(QmpClient.connect(join(dir, 'x'), { timeoutMs: 0 })).rejects.toThrow(/positive number of milliseconds/);
  });
});
