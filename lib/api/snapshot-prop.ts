// A snapshot handed from a server page to its client view as one JSON string. React's server
// payload encodes a big object value by value and the browser revives it the same way (a 256-pCPU
// host's snapshot took tens of ms of the page's load); a string crosses as it is and JSON.parse
// reads it in a few ms. The brand keeps the link to the type: only `snapshotProp` makes one.
import type { Snapshot } from '../model/snapshot';

export type SnapshotProp = string & { readonly __snapshotProp: unique symbol };

export function snapshotProp(snapshot: Snapshot): SnapshotProp {
  return JSON.stringify(snapshot) as SnapshotProp;
}

export function readSnapshotProp(prop: SnapshotProp): Snapshot {
  return JSON.parse(prop) as Snapshot;
}
