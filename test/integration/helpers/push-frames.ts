// Pushes frames to a test server's POST /api/v1/ingest as an agent would (gzip, bearer token),
// waiting and retrying while the server sheds load (503). Shared by the e2e specs and bench:ui.
import { gzipSync } from 'node:zlib';

export async function pushFrames(url: string, token: string, frames: readonly unknown[]): Promise<void> {
  const body = gzipSync(JSON.stringify({ frames }));
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${url}/api/v1/ingest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body,
    });
    if (res.status === 503 && attempt < 300) {
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    if (!res.ok) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
    return;
  }
}

/** Pushes `count` frames made by `frame(at, i)`, one per second ending now, in batches. */
export async function pushHistory(url: string, token: string, count: number, frame: (at: number, i: number) => unknown, batch = 8): Promise<number> {
  const now = Date.now();
  let pending: unknown[] = [];
  for (let i = 0; i < count; i++) {
    pending.push(frame(now - (count - i) * 1000, i));
    if (pending.length === batch) {
      await pushFrames(url, token, pending);
      pending = [];
    }
  }
  if (pending.length > 0) await pushFrames(url, token, pending);
  return now;
}
