// The store as its tests speak to it: snapshots in (each split into structure and tick, as the
// ingest route does), snapshots out of onFrame. Frames built by a test pass through as they are.
import type { Snapshot } from '../../lib/model/snapshot';
import type { FrameStore } from '../../lib/server/store/store';
import { FrameSplitter, frameSnapshot, type Frame } from '../../lib/wire/frame';

export interface SnapshotStore extends Omit<FrameStore, 'ingest' | 'onFrame'> {
  ingest(frames: readonly (Snapshot | Frame)[]): Promise<void>;
  onFrame(listener: (s: Snapshot) => void): () => void;
}

export function snapshotStore(store: FrameStore): SnapshotStore {
  const splitter = new FrameSplitter();
  return {
    ingest: (frames) => store.ingest(frames.map((f) => ('version' in f ? splitter.split(f) : f))),
    onFrame: (listener) => store.onFrame((f) => listener(frameSnapshot(f))),
    knownStructure: (host, hash) => store.knownStructure(host, hash),
    hosts: () => store.hosts(),
    latest: (host) => store.latest(host),
    nearest: (host, at) => store.nearest(host, at),
    history: (host, from, to, stepMs, opts) => store.history(host, from, to, stepMs, opts),
    activeViolations: () => store.activeViolations(),
    prune: (now) => store.prune(now),
    close: () => store.close(),
    get windowsFilled() {
      return store.windowsFilled;
    },
  };
}
