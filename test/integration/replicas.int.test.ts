// Two server replicas on one real PostgreSQL: the agent pushes to one, a viewer watches the other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../lib/model/snapshot';
import { requireQemu } from './helpers/preconditions';
import { guestName, startGuest, type Guest } from './helpers/guests';
import { startPostgres } from './helpers/postgres';
import { startServer, type TestServer } from './helpers/server';
import { startAgentProcess, waitFor } from './helpers/agent-process';

const TOKEN = 'replica-test-token-0123456789';
let pg: Awaited<ReturnType<typeof startPostgres>>;
let guest: Guest;
const servers: TestServer[] = [];

beforeAll(async () => {
  requireQemu();
  pg = await startPostgres();
  guest = await startGuest({ name: guestName('rep'), smp: 2, paused: true, qmpSockets: 1 });
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop('SIGKILL')));
  await guest?.stop();
  await pg?.stop();
});

describe('two replicas on PostgreSQL', () => {
  it('a viewer of replica B sees, live, the frames the agent pushes to replica A', async () => {
    const env = { DATABASE_URL: pg.url, VCPUMAP_AGENT_TOKEN: TOKEN };
    const a = await startServer(env);
    servers.push(a);
    const b = await startServer(env);
    servers.push(b);
    const host = `replica-${process.pid}`;

    const res = await fetch(`${b.url}/api/v1/stream?host=${host}`);
    if (!res.body) throw new Error('no stream body');
    const reader = res.body.getReader();
    const received: Snapshot[] = [];
    const reading = (async () => {
      const dec = new TextDecoder();
      let buf = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buf += dec.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const ev = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = /^data: (.*)$/m.exec(ev)?.[1];
          if (/^event: snapshot$/m.test(ev) && data) received.push(JSON.parse(data) as Snapshot);
        }
      }
    })();

    const agent = startAgentProcess(['--print', '--server', a.url, '--token', TOKEN, '--host', host, '--interval', '500ms']);
    try {
      await waitFor('three frames on replica B', () => (received.length >= 3 ? true : null), 20_000);
      // What B streamed is what the agent printed.
      const last = received.at(-1);
      const printed = await waitFor('the same frame printed by the agent', () => agent.printed.find((p) => p.at === last?.at));
      expect(last).toEqual(printed);
      expect(last?.vms.some((v) => v.name === guest.name)).toBe(true);
      // And B's read API sees the host too.
      const hosts = (await (await fetch(`${b.url}/api/v1/hosts`)).json()) as { host: string }[];
      expect(hosts.map((h) => h.host)).toContain(host);
      const snap = (await (await fetch(`${b.url}/api/v1/hosts/${host}/snapshot`)).json()) as Snapshot;
      expect(snap.host).toBe(host);
    } finally {
      await agent.stop();
      await reader.cancel();
      await reading.catch(() => {});
    }
  });
});
