// What a live frame sends over Server-Sent Events, built and serialised once per frame (and once
// per structure) for every client, whatever their number: the store hands each listener the same
// Frame object, so the text is cached on it.
//   default stream   `event: snapshot`, the full Snapshot (docs/api.md), id = its time
//   format=frames    `event: structure` when a client's structure changes, then `event: tick`
//                    per frame (the compact tick, a tenth of the snapshot): the dashboard expands
//                    the tick (lib/wire/compact-tick.ts) and appends its history column
//                    (lib/wire/history-column.ts), the same functions the server uses.
import { frameSnapshot, type Frame } from '../wire/frame';
import type { StructureBody } from '../wire/structure-body';

const snapshots = new WeakMap<Frame, string>();
const ticks = new WeakMap<Frame, string>();
const structures = new WeakMap<StructureBody, string>();

export type StreamFormat = 'snapshots' | 'frames';

export function snapshotEvent(f: Frame): string {
  let text = snapshots.get(f);
  if (text === undefined) {
    text = `id: ${f.at}\nevent: snapshot\ndata: ${JSON.stringify(frameSnapshot(f))}\n\n`;
    snapshots.set(f, text);
  }
  return text;
}

export function tickEvent(f: Frame): string {
  let text = ticks.get(f);
  if (text === undefined) {
    text = `id: ${f.at}\nevent: tick\ndata: ${JSON.stringify(f.tick)}\n\n`;
    ticks.set(f, text);
  }
  return text;
}

export function structureEvent(f: Frame): string {
  let text = structures.get(f.body);
  if (text === undefined) {
    text = `event: structure\ndata: {"hash":${JSON.stringify(f.tick.structure)},"body":${JSON.stringify(f.body)}}\n\n`;
    structures.set(f.body, text);
  }
  return text;
}

/** The events one client gets for a frame; `last` is the structure hash it was sent last. */
export function frameEvents(format: StreamFormat, f: Frame, last: { hash: string | null }): string[] {
  if (format === 'snapshots') return [snapshotEvent(f)];
  if (last.hash === f.tick.structure) return [tickEvent(f)];
  last.hash = f.tick.structure;
  return [structureEvent(f), tickEvent(f)];
}
