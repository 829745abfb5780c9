// The dedicated LISTEN connection of a PostgreSQL store. A pooled connection cannot LISTEN (it is
// shared and recycled), so this client stays open; when it drops it is reconnected with backoff,
// and the store is told to catch up on what it may have missed meanwhile.
import pg from 'pg';
import type { ReplicaListener } from './backend';

const BACKOFF_MS = [250, 500, 1000, 2000, 5000, 10_000] as const;

export class PostgresListener {
  private client: pg.Client | null = null;
  private stopped = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly url: string,
    private readonly where: string,
    private readonly channel: string,
    private readonly listener: ReplicaListener,
    private readonly onError: (err: Error) => void,
  ) {}

  /** Connects and LISTENs; throws when the first connection fails. */
  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const c = this.client;
    this.client = null;
    if (c) await c.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    let dropped = false;
    const drop = (err: Error | null): void => {
      if (dropped) return;
      dropped = true;
      if (this.client === client) this.client = null;
      client.end().catch(() => undefined);
      if (this.stopped) return;
      this.onError(new Error(`postgres ${this.where}: the LISTEN connection for frames of other replicas dropped${err ? `: ${err.message}` : ''}; reconnecting`, { cause: err ?? undefined }));
      this.schedule();
    };
    client.on('error', (err) => drop(err));
    client.on('end', () => drop(null));
    client.on('notification', (msg) => {
      if (msg.channel === this.channel && msg.payload !== undefined) this.listener.onNotification(msg.payload);
    });
    try {
      await client.connect();
      // The channel name is a constant identifier, not input.
      await client.query(`LISTEN ${this.channel}`);
    } catch (err) {
      dropped = true;
      await client.end().catch(() => undefined);
      throw new Error(`postgres ${this.where}: cannot LISTEN for frames of other replicas: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.attempt = 0;
  }

  private schedule(): void {
    const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)] ?? 10_000;
    this.attempt++;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.stopped) return;
      this.connect().then(
        () => {
          if (!this.stopped) this.listener.onReconnect();
        },
        (err: unknown) => {
          this.onError(err instanceof Error ? err : new Error(String(err)));
          this.schedule();
        },
      );
    }, delay);
    this.timer.unref();
  }
}
