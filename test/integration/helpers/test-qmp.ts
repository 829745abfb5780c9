// The test's own QMP client. Unlike the agent's, it may change the guest (device_add for a
// hot-plug): tests drive QEMU, vcpumap only watches.
import net from 'node:net';
import { QmpDecoder, type QmpMessage } from '../../../lib/qmp/decoder';

export class TestQmp {
  private readonly waiters: ((m: QmpMessage) => void)[] = [];
  private readonly queue: QmpMessage[] = [];
  private n = 0;

  private constructor(private readonly socket: net.Socket) {
    const decoder = new QmpDecoder();
    socket.on('data', (chunk) => {
      for (const m of decoder.push(chunk)) {
        if (m.kind === 'event') continue;
        const w = this.waiters.shift();
        if (w) w(m);
        else this.queue.push(m);
      }
    });
  }

  /** Connects and negotiates capabilities; holds the socket until close(). */
  static async connect(path: string): Promise<TestQmp> {
    const socket = net.connect(path);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const qmp = new TestQmp(socket);
    const greeting = await qmp.next(5000);
    if (greeting.kind !== 'greeting') throw new Error(`expected a QMP greeting, got ${greeting.kind}`);
    await qmp.run('qmp_capabilities');
    return qmp;
  }

  async run(command: string, args?: Record<string, unknown>): Promise<unknown> {
    const id = `test-${++this.n}`;
    this.socket.write(JSON.stringify({ execute: command, arguments: args, id }) + '\n');
    const reply = await this.next(10_000);
    if (reply.kind === 'error') throw new Error(`${command}: ${reply.errorClass}: ${reply.desc}`);
    if (reply.kind !== 'return') throw new Error(`${command}: unexpected ${reply.kind}`);
    return reply.value;
  }

  close(): void {
    this.socket.destroy();
  }

  private next(timeoutMs: number): Promise<QmpMessage> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`QMP reply timed out after ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push((m) => {
        clearTimeout(t);
        resolve(m);
      });
    });
  }
}

/** One command on a fresh connection. */
export async function qmpOnce(path: string, command: string, args?: Record<string, unknown>): Promise<unknown> {
  const qmp = await TestQmp.connect(path);
  try {
    return await qmp.run(command, args);
  } finally {
    qmp.close();
  }
}
