// A built server without an embedded agent, fed the synthetic big host of bench:ui (256 pCPUs,
// 64 VMs x 8 vCPUs) through POST /api/v1/ingest: a few minutes of 1 Hz history, then one frame a
// second for as long as the tests run, as a live agent would send them.
import { pushFrames, pushHistory } from '../../test/integration/helpers/push-frames';
import { startServer, type TestServer } from '../../test/integration/helpers/server';
import { SyntheticHost } from '../../scripts/bench-ui/synthetic-host';

const TOKEN = 'e2e-big-host-token-0123456789abcdef';

export interface BigHost {
  readonly server: TestServer;
  readonly host: string;
  stop(): Promise<void>;
}

export async function startBigHost(host: string, historyFrames = 180, env: Record<string, string> = {}): Promise<BigHost> {
  const server = await startServer({ VCPUMAP_AGENT_TOKEN: TOKEN, VCPUMAP_EMBEDDED_AGENT: '0', ...env });
  const synth = new SyntheticHost(host);
  await pushHistory(server.url, TOKEN, historyFrames, (at, i) => synth.frame(at, i));
  let frameNo = historyFrames;
  let running = true;
  const feeder = (async () => {
    while (running) {
      const started = Date.now();
      try {
        await pushFrames(server.url, TOKEN, [synth.frame(started, frameNo++)]);
      } catch (err) {
        // The server stopped (a test restarted it, or the run ends): try again next second.
        if (!running) return;
        console.warn(`big host feeder: ${err instanceof Error ? err.message : String(err)}`);
      }
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - started))));
    }
  })();
  return {
    server,
    host,
    stop: async () => {
      running = false;
      await feeder;
      await server.stop();
    },
  };
}
