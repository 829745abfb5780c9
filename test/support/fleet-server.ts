// A built server with no embedded agent and a synthetic fleet pushed into it: what the fleet,
// wall, link and time end-to-end tests and bench:ui start from.
import { startServer, type TestServer } from '../integration/helpers/server';
import { FleetPusher, pushEvery } from './fleet-pusher';
import { SyntheticFleet, type FleetSpec } from './synthetic-fleet';

export const FLEET_TOKEN = 'fleet-test-agent-token-0123456789';

export interface FleetServer {
  readonly server: TestServer;
  readonly fleet: SyntheticFleet;
  readonly pusher: FleetPusher;
  /** Keeps every reporting host fresh: a frame each `intervalMs` (1 s frames, so stale after 5 s). */
  live(intervalMs?: number): { stop(): Promise<void>; errors: Error[] };
  stop(): Promise<void>;
}

/**
 * Starts a server and fills it: stale hosts get one frame `staleAgeMs` old, every other host a
 * first frame now. `env` is passed to the server.
 */
export async function startFleetServer(spec: FleetSpec, env: Record<string, string> = {}, staleAgeMs = 5 * 60_000): Promise<FleetServer> {
  const server = await startServer({ VCPUMAP_AGENT_TOKEN: FLEET_TOKEN, VCPUMAP_EMBEDDED_AGENT: '0', ...env });
  const fleet = new SyntheticFleet(spec);
  const pusher = new FleetPusher({ url: server.url, token: FLEET_TOKEN });
  const now = Date.now();
  await pusher.push(fleet.hosts.filter((h) => h.state === 'stale').map((h) => fleet.frame(h, now - staleAgeMs, true)));
  await pusher.push(fleet.frames(now, true));
  const loops: { stop(): Promise<void> }[] = [];
  return {
    server,
    fleet,
    pusher,
    live: (intervalMs = 1000) => {
      const l = pushEvery(pusher, intervalMs, (at) => fleet.frames(at));
      loops.push(l);
      return l;
    },
    stop: async () => {
      await Promise.all(loops.map((l) => l.stop()));
      await server.stop();
    },
  };
}
