// What the agent needs from a QEMU command line (/proc/PID/cmdline split on NUL, or the
// <qemu:commandline> arguments of a libvirt domain): the guest name, UUID, vCPU counts, the QMP
// sockets it may connect to, the accelerator, debug-threads and -daemonize. The one parser of
// QEMU option strings (QemuOpts syntax) in vcpumap. Pure, no I/O.

export interface SmpConfig {
  readonly cpus: number; // vCPUs present at start
  readonly maxcpus: number; // vCPUs possible with hot-plug
  readonly sockets?: number;
  readonly dies?: number;
  readonly clusters?: number;
  readonly cores?: number;
  readonly threads?: number;
}

export interface QemuCmdline {
  readonly name: string | null;
  readonly uuid: string | null;
  readonly smp: SmpConfig | null; // null: no -smp, QEMU's default is 1 vCPU
  /** Unix socket paths of QMP (control-mode) monitors QEMU listens on, in command-line order. */
  readonly qmpSockets: string[];
  /** `-name ...,debug-threads=on`: vCPU and IOThread threads carry names like "CPU 0/KVM". */
  readonly debugThreads: boolean;
  readonly accel: string | null; // "kvm", "tcg", ...; the first one QEMU would try
  /** `-daemonize`: QEMU forks twice; the parent waits, without vCPU threads, until the VM is up. */
  readonly daemonize: boolean;
}

/** One `key=value` of a QEMU option string. */
export interface QemuOpt {
  readonly key: string;
  readonly value: string;
}

/** True for QEMU system emulators: `qemu-system-*` (comm is cut to 15 chars) and `qemu-kvm`. */
export function isQemuProcess(comm: string, argv0: string): boolean {
  // `-name x,process=y` renames comm, so a process counts when either comm or argv[0] matches.
  const base = argv0.slice(argv0.lastIndexOf('/') + 1);
  return isQemuName(comm) || isQemuName(base);
}

function isQemuName(name: string): boolean {
  return (name.startsWith('qemu-system-') && name.length > 'qemu-system-'.length) || name === 'qemu-kvm';
}

/**
 * Splits a QEMU option string such as `guest=a,,b,debug-threads=on` into key/value pairs, as
 * QEMU's own QemuOpts parser does (util/qemu-option.c, get_opt_name_value). `,,` is an escaped
 * comma. A first item without `=` is the value of `impliedKey` (`-name web` means guest=web).
 * Later items without `=` are QEMU's short-form booleans (deprecated since QEMU 6.0, still
 * accepted): `server` is server=on and `nowait` is wait=off, never a key "nowait". A trailing
 * comma ends the list, as in QEMU.
 */
export function splitQemuOpts(text: string, impliedKey: string): readonly QemuOpt[] {
  const items: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === ',') {
      if (text[i + 1] === ',') {
        cur += ',';
        i++;
      } else {
        items.push(cur);
        cur = '';
      }
    } else cur += ch;
  }
  items.push(cur);
  if (items.length > 1 && cur === '') items.pop();

  return items.map((item, i) => {
    const eq = item.indexOf('=');
    if (eq !== -1) return { key: item.slice(0, eq), value: item.slice(eq + 1) };
    if (i === 0) return { key: impliedKey, value: item };
    if (item === '') throw new Error(`empty item in QEMU option ${JSON.stringify(text)}`);
    if (item.startsWith('no')) return { key: item.slice(2), value: 'off' };
    return { key: item, value: 'on' };
  });
}

/** QEMU's boolean option values (qapi_bool_parse). */
export function parseQemuBool(value: string, what: string): boolean {
  if (['on', 'yes', 'true', 'y'].includes(value)) return true;
  if (['off', 'no', 'false', 'n'].includes(value)) return false;
  throw new Error(`${what}: ${JSON.stringify(value)} is not a QEMU boolean (on/off/yes/no/true/false)`);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Options whose argument this parser reads; every other option is skipped. */
const WITH_ARG = new Set(['name', 'uuid', 'smp', 'qmp', 'qmp-pretty', 'chardev', 'mon', 'accel', 'machine', 'M']);

interface Chardev {
  readonly path: string | null;
  readonly server: boolean;
}

/** A process's command line, argv[0] (the binary) first. */
export function parseQemuCmdline(argv: readonly string[]): QemuCmdline {
  // /proc/PID/cmdline ends with a NUL, so splitting it leaves one empty string at the end.
  const args = argv[argv.length - 1] === '' ? argv.slice(0, -1) : argv;
  if (args.length === 0) throw new Error('QEMU command line is empty (process exited, or a kernel thread?)');
  return parseQemuArgs(args.slice(1));
}

/** QEMU options without the binary, e.g. libvirt's <qemu:commandline> passthrough arguments. */
export function parseQemuArgs(args: readonly string[]): QemuCmdline {

  let name: string | null = null;
  let uuid: string | null = null;
  let debugThreads = false;
  const smpOpts = new Map<string, string>(); // repeated -smp options merge, later keys win
  const qmpSockets: string[] = [];
  const chardevs = new Map<string, Chardev>();
  const controlMonitors: string[] = []; // chardev ids of -mon ...,mode=control
  let accel: string | null = null; // from -accel / -enable-kvm, which take precedence
  let machineAccel: string | null = null; // from -machine accel=
  let daemonize = false;

  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (!arg.startsWith('-') || arg.length < 2) continue; // a value of an option we skip
    const opt = arg.startsWith('--') ? arg.slice(2) : arg.slice(1); // QEMU accepts -opt and --opt
    if (opt === 'enable-kvm') {
      accel ??= 'kvm';
      continue;
    }
    if (opt === 'daemonize') {
      daemonize = true;
      continue;
    }
    if (!WITH_ARG.has(opt)) continue;
    const value = args[i + 1];
    if (value === undefined) throw new Error(`QEMU option ${arg} has no argument (the command line is truncated?)`);
    i++;
    const what = `QEMU option ${arg} ${JSON.stringify(value)}`;
    const opts = (implied: string): readonly QemuOpt[] => {
      try {
        return splitQemuOpts(value, implied);
      } catch (e) {
        throw new Error(`${what}: ${e instanceof Error ? e.message : String(e)}`);
      }
    };

    switch (opt) {
      case 'name':
        for (const o of opts('guest')) {
          if (o.key === 'guest') name = o.value;
          else if (o.key === 'debug-threads') debugThreads = parseQemuBool(o.value, what);
        }
        break;
      case 'uuid':
        if (!UUID.test(value)) throw new Error(`${what}: not a UUID`);
        uuid = value.toLowerCase();
        break;
      case 'smp':
        for (const o of opts('cpus')) smpOpts.set(o.key, o.value);
        break;
      case 'qmp':
      case 'qmp-pretty': {
        const path = qmpUnixPath(opts('backend'), what);
        if (path !== null) qmpSockets.push(path);
        break;
      }
      case 'chardev': {
        const o = opts('backend');
        const get = (k: string): string | undefined => o.findLast((x) => x.key === k)?.value;
        const id = get('id');
        if (id === undefined || get('backend') !== 'socket') break;
        const path = get('path');
        const abstract = get('abstract');
        chardevs.set(id, {
          // fd= (libvirt's own monitor, passed in pre-opened) and abstract sockets have no path
          path: path === undefined || (abstract !== undefined && parseQemuBool(abstract, what)) ? null : path,
          server: parseQemuBool(get('server') ?? 'off', what),
        });
        break;
      }
      case 'mon': {
        const o = opts('chardev');
        const chardev = o.findLast((x) => x.key === 'chardev')?.value;
        const mode = o.findLast((x) => x.key === 'mode')?.value ?? 'readline'; // QEMU's default: HMP
        if (chardev !== undefined && mode === 'control') controlMonitors.push(chardev);
        break;
      }
      case 'accel':
        accel ??= opts('accel').find((x) => x.key === 'accel')?.value ?? null;
        break;
      case 'machine':
      case 'M': {
        const list = opts('type').findLast((x) => x.key === 'accel')?.value;
        // accel=kvm:tcg is a fallback list: QEMU tries kvm first
        if (list !== undefined) machineAccel = list.split(':')[0] ?? null;
        break;
      }
    }
  }

  for (const id of controlMonitors) {
    const c = chardevs.get(id);
    if (c !== undefined && c.server && c.path !== null) qmpSockets.push(c.path);
  }

  return {
    name,
    uuid,
    smp: smpOpts.size === 0 ? null : parseSmp(smpOpts),
    qmpSockets: [...new Set(qmpSockets)],
    debugThreads,
    accel: accel ?? machineAccel,
    daemonize,
  };
}

/** `-qmp unix:PATH,server=on,wait=off`: PATH when QEMU listens there, else null (tcp, client mode). */
function qmpUnixPath(opts: readonly QemuOpt[], what: string): string | null {
  const backend = opts.find((o) => o.key === 'backend')?.value ?? '';
  if (!backend.startsWith('unix:')) return null;
  const server = opts.findLast((o) => o.key === 'server')?.value ?? 'off';
  if (!parseQemuBool(server, what)) return null;
  const path = backend.slice('unix:'.length);
  if (path === '') throw new Error(`${what}: empty unix socket path`);
  return path;
}

/**
 * QEMU's -smp rules (6.2+) simplified: cpus defaults to maxcpus; maxcpus defaults to the
 * product of the topology when sockets, cores and threads are all given, else to cpus; with
 * neither, cpus is the product of whatever topology was given (missing members count as 1).
 */
function parseSmp(opts: ReadonlyMap<string, string>): SmpConfig {
  const num = (key: string): number | undefined => {
    const v = opts.get(key);
    if (v === undefined) return undefined;
    if (!/^[0-9]{1,7}$/.test(v) || Number(v) === 0) {
      throw new Error(`QEMU option -smp: ${key}=${JSON.stringify(v)} is not a positive integer`);
    }
    return Number(v);
  };
  const cpusGiven = num('cpus');
  const maxGiven = num('maxcpus');
  const sockets = num('sockets');
  const dies = num('dies');
  const clusters = num('clusters');
  const cores = num('cores');
  const threads = num('threads');
  const product = (sockets ?? 1) * (dies ?? 1) * (clusters ?? 1) * (cores ?? 1) * (threads ?? 1);
  const fullTopology = sockets !== undefined && cores !== undefined && threads !== undefined;
  const maxcpus = maxGiven ?? (fullTopology ? product : (cpusGiven ?? product));
  const cpus = cpusGiven ?? maxcpus;
  if (cpus > maxcpus) throw new Error(`QEMU option -smp: cpus=${cpus} is more than maxcpus=${maxcpus}`);
  return {
    cpus,
    maxcpus,
    ...(sockets !== undefined && { sockets }),
    ...(dies !== undefined && { dies }),
    ...(clusters !== undefined && { clusters }),
    ...(cores !== undefined && { cores }),
    ...(threads !== undefined && { threads }),
  };
}
