// The NOTIFY payloads replicas send each other after an ingest commits: which frames (host and
// times), never the frames themselves (PostgreSQL caps a payload at 8000 bytes). Pure.

export const NOTIFY_CHANNEL = 'vcpumap_frames';
const MAX_PAYLOAD_BYTES = 7000;

export interface FramesNotice {
  readonly replica: string;
  readonly host: string;
  readonly ats: readonly number[]; // epoch ms
}

/** One or more payloads, each under the size limit, naming every (host, at). */
export function encodeNotices(replica: string, byHost: ReadonlyMap<string, readonly number[]>): string[] {
  const out: string[] = [];
  for (const [host, ats] of byHost) {
    let chunk: number[] = [];
    const base = Buffer.byteLength(JSON.stringify({ r: replica, h: host, a: [] }));
    let size = base;
    for (const at of ats) {
      const add = String(at).length + 1;
      if (chunk.length > 0 && size + add > MAX_PAYLOAD_BYTES) {
        out.push(JSON.stringify({ r: replica, h: host, a: chunk }));
        chunk = [];
        size = base;
      }
      chunk.push(at);
      size += add;
    }
    if (chunk.length > 0) out.push(JSON.stringify({ r: replica, h: host, a: chunk }));
  }
  return out;
}

export function decodeNotice(payload: string): FramesNotice {
  let v: unknown;
  try {
    v = JSON.parse(payload);
  } catch {
    throw new Error(`store: ${NOTIFY_CHANNEL} notification is not JSON: ${payload.slice(0, 200)}`);
  }
  if (
    typeof v === 'object' &&
    v !== null &&
    'r' in v &&
    typeof v.r === 'string' &&
    'h' in v &&
    typeof v.h === 'string' &&
    'a' in v &&
    Array.isArray(v.a) &&
    v.a.every((x: unknown) => typeof x === 'number' && Number.isFinite(x))
  ) {
    return { replica: v.r, host: v.h, ats: v.a.filter((x: unknown): x is number => typeof x === 'number') };
  }
  throw new Error(`store: ${NOTIFY_CHANNEL} notification has an unexpected shape: ${payload.slice(0, 200)}`);
}
