// vcpumap-agent: samples this host's QEMU vCPU threads and prints or pushes snapshots.
import { hostname } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Agent } from './agent';
import { parseByteSize, parseDuration } from './duration';
import type { FrameQueue } from './frame-queue';
import { createLogger, errorText } from './log';
import type { Pusher } from './pusher';
import { runLoop } from './run-loop';
import type { ExactOptions, ExactSetting } from './exact-source';
import { snapshotJsonLine } from '../model/snapshot-json';
import type { Snapshot } from '../model/snapshot';

const USAGE = `usage: vcpumap-agent [options]
  --interval D       sampling interval, e.g. 100ms, 1s (default 1s)
  --pins FILE        pins file (YAML or JSON) with the intended pinning of VMs
  --proc-root DIR    procfs root (default /proc)
  --sys-root DIR     sysfs root (default /sys)
  --libvirt-dir DIR  libvirt QEMU status directory (default /run/libvirt/qemu)
  --host NAME        host name to report (default: this machine's hostname)
  --exact MODE       auto, on or off: run time per pCPU, migrations, wake-up latency and the other
                     tasks on pinned pCPUs from the scheduler's trace events (tracefs, as root).
                     auto (default): where tracefs can be used, else sampling; on: fail if it cannot
  --tracefs DIR      tracefs mount (default SYS_ROOT/kernel/tracing)
  --exact-buffer-kb N  trace buffer per CPU, KiB (default: 64 MiB over the CPUs, 512 to 2048 each)
  --trace-keep D     keep the raw trace events of this recent span, e.g. 10m (default 10m; 0: none)
  --trace-keep-mb N  memory for those events at most, MiB (default 32)
  --once             take two samples one interval apart, print the second, exit
  --print            print snapshots as JSON on stdout (one per line unless --once)
  --server URL       push snapshots to a vcpumap server
  --token T          agent token for --server (or VCPUMAP_AGENT_TOKEN)
  --spool DIR        where frames wait until the server stored them, across restarts
                     (default /var/lib/vcpumap/spool/HOST; "none": in memory only)
  --spool-max-bytes N  bound of the spool, e.g. 256MiB (default); the oldest frames go first
  --help`;

/** Default spool of an agent: one directory per reported host name. */
export const DEFAULT_SPOOL_ROOT = '/var/lib/vcpumap/spool';

export async function main(argv: readonly string[]): Promise<number> {
  const log = createLogger();
  let args;
  try {
    args = parseArgs({
      args: [...argv],
      options: {
        interval: { type: 'string', default: '1s' },
        pins: { type: 'string' },
        'proc-root': { type: 'string', default: '/proc' },
        'sys-root': { type: 'string', default: '/sys' },
        'libvirt-dir': { type: 'string', default: '/run/libvirt/qemu' },
        host: { type: 'string' },
        exact: { type: 'string', default: 'auto' },
        tracefs: { type: 'string' },
        'exact-buffer-kb': { type: 'string' },
        'trace-keep': { type: 'string', default: '10m' },
        'trace-keep-mb': { type: 'string', default: '32' },
        once: { type: 'boolean', default: false },
        print: { type: 'boolean', default: false },
        server: { type: 'string' },
        token: { type: 'string' },
        spool: { type: 'string' },
        'spool-max-bytes': { type: 'string', default: '256MiB' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    process.stderr.write(`vcpumap-agent: ${errorText(err)}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  let intervalMs: number;
  try {
    intervalMs = parseDuration(args.interval);
  } catch (err) {
    process.stderr.write(`vcpumap-agent: --interval: ${errorText(err)}\n`);
    return 2;
  }
  let exact: ExactOptions;
  try {
    exact = exactOptions(args.exact, args.tracefs ?? `${args['sys-root']}/kernel/tracing`, args['exact-buffer-kb'], args['trace-keep'], args['trace-keep-mb']);
  } catch (err) {
    process.stderr.write(`vcpumap-agent: ${errorText(err)}\n`);
    return 2;
  }
  const token = args.token ?? process.env.VCPUMAP_AGENT_TOKEN;
  if (args.server !== undefined && !token) {
    process.stderr.write('vcpumap-agent: --server needs --token or VCPUMAP_AGENT_TOKEN\n');
    return 2;
  }
  if (!args.print && args.server === undefined) {
    process.stderr.write('vcpumap-agent: nothing to do: give --print and/or --server URL\n');
    return 2;
  }
  let spoolMaxBytes: number;
  try {
    spoolMaxBytes = parseByteSize(args['spool-max-bytes']);
  } catch (err) {
    process.stderr.write(`vcpumap-agent: --spool-max-bytes: ${errorText(err)}\n`);
    return 2;
  }
  const host = args.host ?? hostname();

  let agent: Agent;
  try {
    agent = await Agent.create({
      host,
      intervalMs,
      procRoot: args['proc-root'],
      sysRoot: args['sys-root'],
      libvirtDir: args['libvirt-dir'],
      pinsFile: args.pins ?? null,
      log,
      exact,
    });
  } catch (err) {
    process.stderr.write(`vcpumap-agent: ${errorText(err)}\n`);
    return 1;
  }
  // From here on a signal still removes the trace instance: before the loop runs it closes the
  // agent and exits; while it runs it ends the loop, which closes the agent.
  const stop = new AbortController();
  let looping = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      stop.abort();
      if (looping) return;
      agent.close();
      process.exit(0);
    });
  }
  try {
    await agent.prepare();
  } catch (err) {
    agent.close();
    process.stderr.write(`vcpumap-agent: ${errorText(err)}\n`);
    return 1;
  }
  // --once pushes one frame and says whether it got through: no spool unless one is named.
  let queue: FrameQueue | undefined;
  if (args.server !== undefined && args.spool !== 'none' && !(args.once && args.spool === undefined)) {
    const dir = args.spool ?? path.join(DEFAULT_SPOOL_ROOT, encodeURIComponent(host));
    try {
      // Pushing (the spool, the pusher, trace uploads) is loaded only with --server: an agent that only prints starts with less code to compile.
      const { Spool } = await import('./spool');
      const spool = Spool.open({ dir, maxBytes: spoolMaxBytes });
      queue = spool;
      if (spool.recovered > 0 || spool.repairedBytes > 0) {
        log('info', `spool ${dir}: ${spool.recovered} frames from an earlier run, sent first${spool.repairedBytes > 0 ? `; cut a torn record of ${spool.repairedBytes} bytes` : ''}`);
      }
    } catch (err) {
      agent.close();
      process.stderr.write(`vcpumap-agent: --spool ${dir}: ${errorText(err)} (give --spool DIR, or --spool none to keep frames in memory only)\n`);
      return 1;
    }
  }
  // Trace requests come with the server's ingest answers; the agent uploads each window's trace.
  let pusher: Pusher | null = null;
  if (args.server !== undefined && token) {
    const [{ Pusher }, { TraceUploader }] = await Promise.all([import('./pusher'), import('./trace-uploader')]);
    const uploader = new TraceUploader({ url: args.server, token, host, log, trace: (from, to) => agent.trace(from, to) });
    pusher = new Pusher({ url: args.server, token, log, ...(queue ? { queue } : {}), onStored: (answer: string) => uploader.onIngestAnswer(answer) });
  }

  if (args.once) {
    agent.sample();
    await new Promise((r) => setTimeout(r, intervalMs));
    const snapshot = await agent.next();
    agent.close();
    if (args.print) process.stdout.write(JSON.stringify(snapshot, null, 2) + '\n');
    if (pusher) {
      pusher.enqueue(snapshot);
      const ok = await pusher.flush(15_000);
      await pusher.close();
      if (!ok) {
        log('error', `could not push to ${args.server}`);
        return 1;
      }
    }
    return 0;
  }

  looping = true;
  log('info', `sampling every ${intervalMs} ms${pusher ? `, pushing to ${args.server}` : ''}`);
  const emit = (snapshot: Snapshot): void => {
    // Queued (spooled) before it is printed: a printed frame is one the agent will deliver.
    pusher?.enqueue(snapshot);
    // In parts, in order: a stream keeps the order of writes, and the big middle part is the
    // cached bytes of the VMs, written as they are.
    if (args.print) for (const part of snapshotJsonLine(snapshot)) process.stdout.write(part);
  };
  await runLoop(intervalMs, stop.signal, () => {
    const next = agent.next();
    return next instanceof Promise ? next.then(emit) : emit(next);
  }, (err) => log('error', `tick failed: ${errorText(err)}`, 'tick'));
  agent.close();
  if (pusher) {
    if (pusher.pending > 0) await pusher.flush(5000);
    await pusher.close();
    log('info', `stopped: ${pusher.sentFrames} frames sent, ${pusher.pending} left queued, ${pusher.droppedFrames} dropped`);
  }
  return 0;
}

/** The exact-mode options from the command line; throws with a message naming the option. */
export function exactOptions(setting: string, tracefs: string, bufferKb: string | undefined, keep: string, keepMb: string): ExactOptions {
  if (setting !== 'auto' && setting !== 'on' && setting !== 'off') throw new Error(`--exact: expected auto, on or off, got "${setting}"`);
  const mode: ExactSetting = setting;
  let bufferKbPerCpu: number | undefined;
  if (bufferKb !== undefined) {
    bufferKbPerCpu = Number(bufferKb);
    if (!Number.isInteger(bufferKbPerCpu) || bufferKbPerCpu < 16 || bufferKbPerCpu > 1 << 20) throw new Error(`--exact-buffer-kb: expected a whole number of KiB from 16 to 1048576, got "${bufferKb}"`);
  }
  let keepSpanMs = 0;
  if (keep.trim() !== '0') {
    try {
      keepSpanMs = parseDuration(keep);
    } catch (err) {
      throw new Error(`--trace-keep: ${errorText(err)}`);
    }
  }
  const mb = Number(keepMb);
  if (!(mb >= 0) || !Number.isFinite(mb)) throw new Error(`--trace-keep-mb: expected a number of MiB, got "${keepMb}"`);
  return { setting: mode, tracefs, bufferKbPerCpu, keepSpanMs, keepBytes: Math.round(mb * 1024 * 1024) };
}
