// Read-only QMP client over a unix socket. Decoding lives in ./decoder; this file only moves
// bytes, matches replies to requests by id and enforces timeouts.
//
// QEMU serves one QMP client per socket at a time. A second client's connect() succeeds (it sits
// in the listen backlog) but the greeting never comes, so a greeting timeout means "busy", not
// "broken" (test/fixtures/libvirt-9.0-qemu-7.2/qmp-second-client.txt). Libvirt holds its
// monitor socket for the VM's whole life: vcpumap needs an extra `-qmp` socket on libvirt VMs.
//
// Any failure of the connection itself (timeout, protocol error, socket error, close) rejects
// every pending call and closes the client for good: a QMP stream cannot be resynchronised and a
// late reply could otherwise be matched to the wrong request. A QMP error reply to one command is
// not such a failure.

import net from 'node:net';
import { QmpDecoder, type QemuVersion, type QmpMessage } from './decoder';
import {
  QmpBusyError,
  QmpClosedError,
  QmpCommandError,
  QmpCommandNotAllowedError,
  QmpConnectError,
  QmpProtocolError,
  QmpTimeoutError,
} from './errors';

/** Commands that only read state. vcpumap never changes a VM, so nothing else is ever sent. */
export const READ_ONLY_COMMANDS = [
  'query-cpus-fast',
  'query-iothreads',
  'query-hotpluggable-cpus',
  'query-status',
  'query-name',
  'query-version',
  'query-uuid',
  'query-cpus', // removed in QEMU 6.0; query-cpus-fast exists since 2.12
] as const;

export type QmpReadOnlyCommand = (typeof READ_ONLY_COMMANDS)[number];

const ALLOWED: ReadonlySet<string> = new Set(READ_ONLY_COMMANDS);

export interface QmpConnectOptions {
  /** ms; applies separately to connecting + greeting, to the capabilities handshake and to each command. */
  readonly timeoutMs: number;
  /** Longest accepted reply line in bytes; see DEFAULT_MAX_LINE_BYTES. */
  readonly maxLineBytes?: number;
}

interface Pending {
  readonly command: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

interface GreetingWaiter {
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

export class QmpClient {
  readonly path: string;
  readonly timeoutMs: number;
  #version: QemuVersion | null = null;
  #capabilities: readonly string[] = [];
  readonly #socket: net.Socket;
  readonly #decoder: QmpDecoder;
  readonly #pending = new Map<string, Pending>();
  #greetingWaiter: GreetingWaiter | null = null;
  #nextId = 1;
  #connected = false;
  /** Why the client is unusable; null while it works. */
  #failure: Error | null = null;

  private constructor(path: string, opts: QmpConnectOptions) {
    this.path = path;
    this.timeoutMs = opts.timeoutMs;
    this.#decoder = new QmpDecoder({ maxLineBytes: opts.maxLineBytes });
    this.#socket = net.createConnection({ path });
    this.#socket.on('connect', () => {
      this.#connected = true;
    });
    this.#socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.#socket.on('error', (err) => this.#fail(this.#socketError(err)));
    this.#socket.on('close', () => this.#fail(new QmpClosedError(`QMP connection to ${path} was closed by the peer`)));
  }

  /**
   * Connects, waits for the greeting and negotiates capabilities. Rejects with QmpBusyError when
   * another client holds the socket, QmpConnectError when nothing usable is at `path`.
   */
  static async connect(path: string, opts: QmpConnectOptions): Promise<QmpClient> {
    if (!Number.isFinite(opts.timeoutMs) || opts.timeoutMs <= 0) {
      throw new RangeError(`QMP timeoutMs must be a positive number of milliseconds, got ${opts.timeoutMs}`);
    }
    const client = new QmpClient(path, opts);
    try {
      await client.#awaitGreeting();
      await client.#send('qmp_capabilities', undefined, client.timeoutMs);
    } catch (err) {
      client.close();
      throw err;
    }
    return client;
  }

  /** QEMU version from the greeting. */
  get version(): QemuVersion {
    if (!this.#version) throw new QmpProtocolError(`QMP client for ${this.path} has no greeting yet`);
    return this.#version;
  }

  /** Capabilities QEMU offered in the greeting (vcpumap enables none of them). */
  get capabilities(): readonly string[] {
    return this.#capabilities;
  }

  get closed(): boolean {
    return this.#failure !== null;
  }

  /**
   * Runs one read-only command and resolves with its `return` value (unvalidated: see ./replies).
   * Rejects with QmpCommandNotAllowedError without sending anything when the command is not in
   * READ_ONLY_COMMANDS, with QmpCommandError when QEMU answers with an error.
   */
  async execute(
    command: string,
    args?: Readonly<Record<string, unknown>>,
    opts: { readonly timeoutMs?: number } = {},
  ): Promise<unknown> {
    if (!ALLOWED.has(command)) {
      throw new QmpCommandNotAllowedError(
        `QMP command ${JSON.stringify(command)} refused: vcpumap only sends read-only commands (${READ_ONLY_COMMANDS.join(', ')})`,
      );
    }
    return this.#send(command, args, opts.timeoutMs ?? this.timeoutMs);
  }

  /** Closes the connection; pending calls reject with QmpClosedError. Idempotent. */
  close(): void {
    this.#fail(new QmpClosedError(`QMP client for ${this.path} was closed`));
  }

  #awaitGreeting(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.#failure) {
        reject(this.#failure);
        return;
      }
      const timer = setTimeout(() => {
        this.#fail(
          this.#connected
            ? new QmpBusyError(
                `QMP socket ${this.path} is busy: QEMU serves one client at a time and another client (libvirt?) holds it (connected, but no greeting within ${this.timeoutMs} ms)`,
              )
            : new QmpTimeoutError(`could not connect to QMP socket ${this.path} within ${this.timeoutMs} ms`),
        );
      }, this.timeoutMs);
      this.#greetingWaiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
    });
  }

  #send(command: string, args: Readonly<Record<string, unknown>> | undefined, timeoutMs: number): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      if (this.#failure) {
        reject(new QmpClosedError(`QMP client for ${this.path} is closed (${this.#failure.message})`, { cause: this.#failure }));
        return;
      }
      const id = `vcpumap-${this.#nextId++}`;
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(
          new QmpTimeoutError(
            `QMP command ${command} on ${this.path} got no reply within ${timeoutMs} ms; the connection is closed (QEMU stuck or the monitor is overloaded)`,
          ),
        );
        this.#fail(new QmpClosedError(`QMP connection to ${this.path} closed after ${command} timed out`));
      }, timeoutMs);
      this.#pending.set(id, { command, resolve, reject, timer });
      const request = args === undefined ? { execute: command, id } : { execute: command, arguments: args, id };
      this.#socket.write(`${JSON.stringify(request)}\n`);
    });
  }

  #onData(chunk: Buffer): void {
    let messages: readonly QmpMessage[];
    try {
      messages = this.#decoder.push(chunk);
    } catch (err) {
      this.#fail(err instanceof Error ? withPath(err, this.path) : new QmpProtocolError(String(err)));
      return;
    }
    for (const m of messages) {
      if (this.#failure) return;
      this.#dispatch(m);
    }
  }

  #dispatch(m: QmpMessage): void {
    if (m.kind === 'event') return; // vcpumap polls; events (RESUME, STOP, ...) are not needed
    if (m.kind === 'greeting') {
      const waiter = this.#greetingWaiter;
      if (!waiter) {
        this.#fail(new QmpProtocolError(`QMP socket ${this.path} sent a second greeting`));
        return;
      }
      this.#greetingWaiter = null;
      this.#version = m.version;
      this.#capabilities = m.capabilities;
      waiter.resolve();
      return;
    }
    if (this.#greetingWaiter) {
      this.#fail(new QmpProtocolError(`QMP socket ${this.path} sent a ${m.kind} before its greeting`));
      return;
    }
    if (m.id === undefined && m.kind === 'error') {
      // QEMU could not even parse a request to find its id; the stream is out of step.
      this.#fail(new QmpProtocolError(`QMP socket ${this.path} rejected a request without naming it: ${m.errorClass}: ${m.desc}`));
      return;
    }
    const pending = typeof m.id === 'string' ? this.#pending.get(m.id) : undefined;
    if (!pending) {
      this.#fail(new QmpProtocolError(`QMP socket ${this.path} sent a ${m.kind} for unknown request id ${JSON.stringify(m.id)}`));
      return;
    }
    this.#pending.delete(String(m.id));
    clearTimeout(pending.timer);
    if (m.kind === 'return') pending.resolve(m.value);
    else
      pending.reject(
        new QmpCommandError(`QMP command ${pending.command} on ${this.path} failed: ${m.errorClass}: ${m.desc}`, m.errorClass, m.desc),
      );
  }

  #socketError(err: Error): Error {
    const code = 'code' in err && typeof err.code === 'string' ? err.code : '';
    const p = this.path;
    switch (code) {
      case 'ENOENT':
        return new QmpConnectError(`QMP socket ${p} does not exist (ENOENT): the VM is not running or the path is wrong`, { cause: err });
      case 'ECONNREFUSED':
        return new QmpConnectError(`QMP socket ${p} refused the connection (ECONNREFUSED): nothing listens there (QEMU has probably exited, or the path is not a socket)`, { cause: err });
      case 'EACCES':
      case 'EPERM':
        return new QmpConnectError(`no permission to open QMP socket ${p} (${code}): run vcpumap as root or as the user QEMU runs as`, { cause: err });
      case 'ENOTSOCK':
        return new QmpConnectError(`${p} is not a unix socket (ENOTSOCK)`, { cause: err });
      case 'EAGAIN':
        // Linux returns EAGAIN for a non-blocking connect() to a unix socket whose backlog is full.
        return new QmpBusyError(`QMP socket ${p} is busy: its listen backlog is full (EAGAIN), other clients are waiting`, { cause: err });
      default:
        return new QmpClosedError(`QMP connection to ${p} failed: ${err.message}`, { cause: err });
    }
  }

  #fail(err: Error): void {
    if (this.#failure) return;
    this.#failure = err;
    this.#socket.destroy();
    const waiter = this.#greetingWaiter;
    this.#greetingWaiter = null;
    waiter?.reject(err);
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) {
      clearTimeout(p.timer);
      p.reject(err);
    }
  }
}

/** Decoder errors do not know the socket; say which VM's monitor misbehaved. */
function withPath(err: Error, path: string): Error {
  return err instanceof QmpProtocolError ? new QmpProtocolError(`QMP socket ${path}: ${err.message}`, { cause: err }) : err;
}
