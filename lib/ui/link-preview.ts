// What a shared link says about itself (its preview's title, description and image address):
// the host, the window, and the violations in force at the window's end. Pure; UTC, since a link
// is read by everyone in a chat.
import type { Snapshot } from '../model/snapshot';
import { formatTime } from './format';
import { hostPath, vmPath } from './url-state';

/** The preview image's size (px), as chats expect for a large card. */
export const PREVIEW_SIZE = { width: 1200, height: 630 } as const;

export interface LinkSubject {
  readonly host: string;
  readonly vm: string | null;
  /** The absolute window of the link, or null for a live link. */
  readonly window: { readonly from: number; readonly to: number } | null;
}

export interface LinkPreview {
  readonly title: string;
  readonly description: string;
  readonly imageAlt: string;
}

/** "2026-11-24 16:00:00Z to 16:15:00Z", the date once when both ends are on the same UTC day. */
export function formatWindow(from: number, to: number): string {
  const a = formatTime(from);
  const b = formatTime(to);
  return a.slice(0, 10) === b.slice(0, 10) ? `${a} to ${b.slice(11)}` : `${a} to ${b}`;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** "2 critical, 1 warning" / "no violations", of the violations of `vm` alone when one is named. */
export function violationCounts(s: Snapshot, vm: string | null): { critical: number; warning: number; other: number; text: string } {
  const list = vm === null ? s.violations : s.violations.filter((v) => v.vms.includes(vm));
  const critical = list.filter((v) => v.severity === 'critical').length;
  const warning = list.filter((v) => v.severity === 'warning').length;
  const other = list.length - critical - warning;
  const parts: string[] = [];
  if (critical > 0) parts.push(`${critical} critical`);
  if (warning > 0) parts.push(plural(warning, 'warning'));
  if (other > 0) parts.push(plural(other, 'notice'));
  return { critical, warning, other, text: parts.length === 0 ? 'no violations' : `${parts.join(', ')} violation${list.length === 1 ? '' : 's'}` };
}

/** Title, description and image text of a link to `subject`, judged on `snap` (the frame at the window's end). */
export function linkPreview(subject: LinkSubject, snap: Snapshot | null): LinkPreview {
  const who = subject.vm === null ? subject.host : `${subject.vm} on ${subject.host}`;
  const when = subject.window === null ? 'live' : formatWindow(subject.window.from, subject.window.to);
  const title = `${who} · ${subject.window === null ? 'live' : when} · vcpumap`;
  if (snap === null) {
    const description = `${who}, ${when}: no frame ${subject.window === null ? 'yet' : 'near that time'}.`;
    return { title, description, imageAlt: description };
  }
  const counts = violationCounts(snap, subject.vm);
  const at = subject.window === null ? `now (frame of ${formatTime(snap.at)})` : `at ${formatTime(snap.at)}`;
  const vms = subject.vm === null ? `${plural(snap.vms.length, 'VM')}, ${plural(snap.vms.reduce((n, v) => n + v.vcpus.length, 0), 'vCPU')}` : null;
  const description = `${who}, ${when}: ${counts.text} in force ${at}${vms === null ? '' : `; ${vms}`}.`;
  return { title, description, imageAlt: `pCPUs of ${subject.host} coloured by VM ${at}: ${counts.text}` };
}

/** The link itself, relative: the page path and its window. */
export function linkPath(subject: LinkSubject): string {
  const path = subject.vm === null ? hostPath(subject.host) : vmPath(subject.host, subject.vm);
  return subject.window === null ? path : `${path}?from=${new Date(subject.window.from).toISOString()}&to=${new Date(subject.window.to).toISOString()}`;
}

/**
 * The preview image of a link, relative: one address per host, VM and window (a chat caches
 * images by address). `token` only when the page itself was opened with one in its query.
 */
export function previewImagePath(subject: LinkSubject, token: string | null): string {
  const p = new URLSearchParams();
  if (subject.window !== null) {
    p.set('from', String(subject.window.from));
    p.set('to', String(subject.window.to));
  }
  if (subject.vm !== null) p.set('vm', subject.vm);
  if (token !== null) p.set('token', token);
  const q = p.toString();
  return `/api/v1/hosts/${encodeURIComponent(subject.host)}/preview${q === '' ? '' : `?${q}`}`;
}
