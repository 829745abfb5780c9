// The agent for this host, inside the server process: its snapshots go into the store as frames
// (structure and tick, lib/wire/frame.ts), the one form the store and the live stream take.
import { hostname } from 'node:os';
import { Agent } from '../agent/agent';
import { createLogger, errorText } from '../agent/log';
import { runLoop } from '../agent/run-loop';
import { FrameSplitter } from '../wire/frame';
import type { Runtime } from './runtime';

export async function startEmbeddedAgent(rt: Runtime): Promise<void> {
  const log = createLogger();
  const agent = await Agent.create({
    host: hostname(),
    intervalMs: rt.config.agentIntervalMs,
    procRoot: '/proc',
    sysRoot: '/sys',
    libvirtDir: '/run/libvirt/qemu',
    pinsFile: rt.config.pinsFile ?? null,
    log,
  });
  await agent.prepare();
  const splitter = new FrameSplitter();
  let storing = false;
  // Runs for the life of the process; its files and sockets go with it.
  void runLoop(
    rt.config.agentIntervalMs,
    new AbortController().signal,
    () => {
      const snapshot = agent.sample();
      // Never queue up behind a slow store: a tick that finds the last write still running is
      // skipped (and counted in the log) rather than piling up memory.
      if (storing) {
        log('warn', 'store is slow: skipped storing a local snapshot', 'embedded-store');
        return;
      }
      storing = true;
      rt.store
        .ingest([splitter.split(snapshot)])
        .then(() => {
          rt.metrics.framesIngested++;
        })
        .catch((err: unknown) => log('error', `storing a local snapshot failed: ${errorText(err)}`, 'embedded-store'))
        .finally(() => {
          storing = false;
        });
    },
    (err) => log('error', `embedded agent tick failed: ${errorText(err)}`, 'embedded-tick'),
  );
}
