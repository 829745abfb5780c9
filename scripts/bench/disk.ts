// The disk figure of bench:ingest: bytes of a SQLite data directory per thread-sample (one thread
// of one frame), for the realistic mix, with every full minute compacted into chunks.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Bytes of the SQLite files of a data directory (the database, its WAL and shared memory). */
export function dataDirBytes(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir)) if (f.startsWith('vcpumap.sqlite')) n += statSync(path.join(dir, f)).size;
  return n;
}
