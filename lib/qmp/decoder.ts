// Incremental decoder for the QEMU Machine Protocol wire format: one JSON object per line,
// QEMU ends lines with "\r\n". No I/O: the client feeds it whatever chunks the socket delivers.
//
// Bad input (invalid UTF-8, invalid JSON, a JSON value that is not a QMP message, a line longer
// than maxLineBytes) makes push() throw a QmpProtocolError. A QMP stream cannot be resynchronised
// reliably after that, so the decoder stays failed: every later push() throws the same error.

import * as z from 'zod/mini';
import '../zod-en';
import { QmpProtocolError } from './errors';

/** 16 MiB: far above any reply vcpumap asks for (query-cpus-fast of 1024 vCPUs is ~200 KiB). */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

export interface QemuVersion {
  readonly major: number;
  readonly minor: number;
  readonly micro: number;
  readonly package: string;
}

/**
 * `id` is whatever the request carried, echoed verbatim by QEMU (any JSON value; vcpumap only
 * sends strings). It is undefined when the reply has no id, which QEMU does for errors about
 * requests it could not parse.
 */
export type QmpMessage =
  | { readonly kind: 'greeting'; readonly version: QemuVersion; readonly capabilities: readonly string[] }
  | { readonly kind: 'return'; readonly id: unknown; readonly value: unknown }
  | { readonly kind: 'error'; readonly id: unknown; readonly errorClass: string; readonly desc: string }
  | {
      readonly kind: 'event';
      readonly event: string;
      readonly data: unknown;
      /** Host wall-clock time QEMU emitted the event: seconds + microseconds since the epoch. */
      readonly timestamp: { readonly seconds: number; readonly microseconds: number };
    };

const int = z.number().check(z.int());

const greetingSchema = z.object({
  QMP: z.object({
    version: z.object({
      qemu: z.object({ major: int, minor: int, micro: int }),
      package: z.string(),
    }),
    capabilities: z.array(z.string()),
  }),
});

const errorSchema = z.object({
  error: z.object({ class: z.string(), desc: z.string() }),
  id: z.optional(z.unknown()),
});

const eventSchema = z.object({
  event: z.string(),
  data: z.optional(z.unknown()),
  timestamp: z.object({ seconds: int, microseconds: int }),
});

const topLevelSchema = z.record(z.string(), z.unknown());

export class QmpDecoder {
  readonly maxLineBytes: number;
  /** Bytes of the current, not yet terminated line, in arrival order. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #failure: QmpProtocolError | null = null;
  // fatal: invalid UTF-8 is a protocol error, not something to paper over with U+FFFD.
  readonly #utf8 = new TextDecoder('utf-8', { fatal: true });

  constructor(opts: { maxLineBytes?: number } = {}) {
    this.maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  }

  /**
   * Feed the next chunk of the stream; returns the messages completed by it, in order.
   * Chunks may split the stream anywhere, including inside a multi-byte UTF-8 sequence: lines are
   * cut on the "\n" byte (which never occurs inside a UTF-8 sequence) and decoded whole.
   * A string chunk is encoded as UTF-8 first, so it must not end in half a surrogate pair.
   */
  push(chunk: Buffer | string): readonly QmpMessage[] {
    if (this.#failure) throw this.#failure;
    try {
      return this.#push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    } catch (err) {
      this.#failure = err instanceof QmpProtocolError ? err : new QmpProtocolError(String(err), { cause: err });
      this.#pending = [];
      this.#pendingBytes = 0;
      throw this.#failure;
    }
  }

  #push(bytes: Buffer): readonly QmpMessage[] {
    const out: QmpMessage[] = [];
    let start = 0;
    for (let nl = bytes.indexOf(0x0a, start); nl !== -1; nl = bytes.indexOf(0x0a, start)) {
      const piece = bytes.subarray(start, nl);
      this.#checkLength(piece.length);
      const line = this.#pendingBytes === 0 ? piece : Buffer.concat([...this.#pending, piece]);
      this.#pending = [];
      this.#pendingBytes = 0;
      const msg = this.#decodeLine(line);
      if (msg) out.push(msg);
      start = nl + 1;
    }
    if (start < bytes.length) {
      const rest = bytes.subarray(start);
      this.#checkLength(rest.length);
      // Copy: the caller (net.Socket) may reuse the chunk's memory.
      this.#pending.push(Buffer.from(rest));
      this.#pendingBytes += rest.length;
    }
    return out;
  }

  #checkLength(more: number): void {
    if (this.#pendingBytes + more > this.maxLineBytes) {
      throw new QmpProtocolError(
        `QMP line longer than ${this.maxLineBytes} bytes without a newline: the peer is not a working QMP server`,
      );
    }
  }

  #decodeLine(line: Buffer): QmpMessage | null {
    let text: string;
    try {
      text = this.#utf8.decode(line);
    } catch (err) {
      throw new QmpProtocolError(`QMP line is not valid UTF-8: ${preview(line.toString('latin1'))}`, { cause: err });
    }
    if (text.trim() === '') return null; // blank line (or the "\r" of an empty "\r\n"): nothing to decode
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new QmpProtocolError(`QMP line is not valid JSON: ${preview(text)}`, { cause: err });
    }
    return classify(json, text);
  }
}

function classify(json: unknown, text: string): QmpMessage {
  const top = topLevelSchema.safeParse(json);
  if (!top.success || Array.isArray(json)) {
    throw new QmpProtocolError(`QMP message is not a JSON object: ${preview(text)}`);
  }
  const keys = ['QMP', 'return', 'error', 'event'].filter((k) => Object.hasOwn(top.data, k));
  if (keys.length !== 1) {
    throw new QmpProtocolError(
      `QMP message must have exactly one of "QMP", "return", "error", "event" (has ${keys.length === 0 ? 'none' : keys.join(', ')}): ${preview(text)}`,
    );
  }
  switch (keys[0]) {
    case 'QMP': {
      const g = check(greetingSchema, json, 'greeting', text).QMP;
      const version = { ...g.version.qemu, package: g.version.package };
      return { kind: 'greeting', version, capabilities: g.capabilities };
    }
    case 'return':
      return { kind: 'return', id: top.data.id, value: top.data.return };
    case 'error': {
      const e = check(errorSchema, json, 'error reply', text);
      return { kind: 'error', id: e.id, errorClass: e.error.class, desc: e.error.desc };
    }
    default: {
      const e = check(eventSchema, json, 'event', text);
      return { kind: 'event', event: e.event, data: e.data, timestamp: e.timestamp };
    }
  }
}

function check<T>(schema: z.ZodMiniType<T>, json: unknown, what: string, text: string): T {
  const r = schema.safeParse(json);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ');
  throw new QmpProtocolError(`malformed QMP ${what} (${issues}): ${preview(text)}`);
}

/** First 200 characters of a line, for error messages (a broken peer may send megabytes). */
function preview(text: string): string {
  const t = text.trimEnd();
  return t.length > 200 ? `${JSON.stringify(t.slice(0, 200))}... (${t.length} chars)` : JSON.stringify(t);
}
