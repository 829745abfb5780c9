// What the store core (frame-store.ts) needs from a database: the same queries for SQLite and
// PostgreSQL. Every value is bound as a parameter; host and VM names are untrusted text.
// Times are epoch ms; ids are the database's. A tick is stored first as a row (`ticks`, the
// row codec of tick-codec.ts: durable at once), and once its minute has closed, with the other
// ticks of that minute and structure, as a chunk (`chunks`, chunk-codec.ts: columnar).

export interface StoredTick {
  readonly at: number;
  readonly structureId: number;
  readonly row: Uint8Array;
}

/** A tick row to insert, with its host. */
export interface HostTick extends StoredTick {
  readonly hostId: number;
}

/** The columnar form of a host's ticks of one minute and one structure (chunk-codec.ts). */
export interface StoredChunk {
  readonly firstAt: number; // epoch ms of its first tick
  readonly lastAt: number; // of its last tick
  readonly minute: number; // the minute of its ticks (minute-aligned epoch ms)
  readonly structureId: number;
  readonly ticks: number;
  readonly data: Uint8Array;
}

/** PostgreSQL only: a chunk's placement as plain SQL values (docs/api.md, vcpumap_vcpu_placement). */
export interface ChunkPlacement {
  readonly ats: readonly number[]; // epoch ms, one per tick
  readonly vcpus: readonly { readonly vm: string; readonly pid: number; readonly vcpu: number; readonly tid: number; readonly pcpus: readonly number[] }[];
}

export interface HostRow {
  readonly id: number;
  readonly name: string;
  /** Residency is verified for every minute before this (epoch ms, minute-aligned); see prune. */
  readonly checkedTo: number;
}

export interface ResidencyRow {
  readonly minute: number;
  readonly ticks: number;
  readonly data: Uint8Array;
}

export interface StoredText {
  readonly id: number;
  readonly json: string;
}

export interface Queries {
  ensureHost(name: string): Promise<number>;
  hostId(name: string): Promise<number | null>;
  hosts(): Promise<HostRow[]>;
  setHostChecked(hostId: number, minute: number): Promise<void>;

  /** Inserts the structure, or raises the existing row's last_at; returns the stored row. */
  ensureStructure(hostId: number, hash: string, json: string, at: number): Promise<StoredText>;
  /** Raises last_at; false when the row is gone (pruned). */
  touchStructure(id: number, at: number): Promise<boolean>;
  structures(ids: readonly number[]): Promise<StoredText[]>;
  ensureViolationBody(hostId: number, hash: string, json: string, at: number): Promise<StoredText>;
  touchViolationBody(id: number, at: number): Promise<boolean>;
  violationBodies(ids: readonly number[]): Promise<StoredText[]>;

  /**
   * Per tick: true when inserted, false when (host, at) was already stored as a row. The ticks of
   * every host of a transaction go in one call: on PostgreSQL one statement, not a round trip per host.
   */
  insertTicks(ticks: readonly HostTick[]): Promise<boolean[]>;
  /** Rows (the ticks not yet compacted into a chunk, these only) with from <= at <= to, ascending, at most `limit`. */
  ticksInRange(hostId: number, from: number, to: number, limit?: number): Promise<StoredTick[]>;
  ticksAt(hostId: number, ats: readonly number[]): Promise<StoredTick[]>;
  /** The newest tick with at <= `at`. */
  tickAtOrBefore(hostId: number, at: number): Promise<StoredTick | null>;
  /** The oldest tick with at >= `at`. */
  tickAtOrAfter(hostId: number, at: number): Promise<StoredTick | null>;
  /** The newest tick, in rows or chunks. */
  newestAt(hostId: number): Promise<number | null>;
  /** Rows per minute for from <= at < to. */
  tickCountsByMinute(hostId: number, from: number, to: number): Promise<Map<number, number>>;
  deleteTicksBefore(hostId: number, at: number): Promise<void>;
  deleteTicksAt(hostId: number, ats: readonly number[]): Promise<void>;

  /** Inserts or replaces the chunk starting at `c.firstAt`. */
  insertChunk(hostId: number, c: StoredChunk, placement: ChunkPlacement | null): Promise<void>;
  /** Chunks with a tick in from..to, ascending. */
  chunksInRange(hostId: number, from: number, to: number): Promise<StoredChunk[]>;
  /** The chunk that starts last at or before `at`. */
  chunkAtOrBefore(hostId: number, at: number): Promise<StoredChunk | null>;
  /** The chunk that ends first at or after `at`. */
  chunkAtOrAfter(hostId: number, at: number): Promise<StoredChunk | null>;
  deleteChunks(hostId: number, firstAts: readonly number[]): Promise<void>;
  /** Chunk ticks per minute for from <= minute < to. */
  chunkCountsByMinute(hostId: number, from: number, to: number): Promise<Map<number, number>>;
  deleteChunksBefore(hostId: number, minute: number): Promise<void>;

  /** fromMinute <= minute <= toMinute, ascending. */
  residency(hostId: number, fromMinute: number, toMinute: number): Promise<ResidencyRow[]>;
  /** Ticks per stored minute for from <= minute < to. */
  residencyCounts(hostId: number, from: number, to: number): Promise<Map<number, number>>;
  upsertResidency(hostId: number, row: ResidencyRow): Promise<void>;
  deleteResidencyBefore(minute: number): Promise<void>;
  /** Structures and violation bodies not used since `at`. */
  deleteUnusedBefore(at: number): Promise<void>;

  getMeta(key: string): Promise<string | null>;
  setMeta(key: string, value: string): Promise<void>;
  /** PostgreSQL: NOTIFY of each payload (one round trip), delivered at commit. SQLite: nothing (one process per file). */
  notify(payloads: readonly string[]): Promise<void>;
}

export interface ReplicaListener {
  /** A NOTIFY payload from any replica (this one's included). */
  onNotification(payload: string): void;
  /** The LISTEN connection was re-established: notifications may have been missed. */
  onReconnect(): void;
}

export interface Backend {
  readonly kind: 'sqlite' | 'postgres';
  /** Reads outside a transaction. */
  read<T>(fn: (q: Queries) => Promise<T>): Promise<T>;
  /** One transaction: committed when fn resolves, rolled back when it throws. */
  write<T>(fn: (q: Queries) => Promise<T>): Promise<T>;
  /** PostgreSQL only: LISTEN on a dedicated connection, reconnecting when it drops. */
  listen?(listener: ReplicaListener): Promise<void>;
  close(): Promise<void>;
}
