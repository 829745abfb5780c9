import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { QmpDecoder, type QmpMessage } from './decoder';
import { QmpProtocolError } from './errors';

const FIXTURES = join(import.meta.dirname, '../../test/fixtures/libvirt-9.0-qemu-7.2');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8').trim();

// Greeting in the QEMU 7.2 format (not in the fixtures: libvirt had consumed it).
const GREETING =
  '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7+deb12u3"}, "capabilities": ["oob"]}}';

// A whole session as QEMU writes it: "\r\n" line ends, an event between request and reply,
// real replies from the fixtures, and multi-byte UTF-8 (2, 3 and 4 byte sequences) in strings.
const STREAM = Buffer.from(
  [
    GREETING,
    '{"return": {}, "id": "vcpumap-1"}',
    '{"timestamp": {"seconds": 1700000000, "microseconds": 123456}, "event": "RESUME"}',
    fixture('probe1.query-cpus-fast.json').replace('"libvirt-412"', '"vcpumap-2"'),
    '{"error": {"class": "CommandNotFound", "desc": "Le commande « x » n’existe pas 🖥"}, "id": "vcpumap-3"}',
    '{"timestamp": {"seconds": 1700000001, "microseconds": 5}, "event": "VCPU 温度", "data": {"k": "é"}}',
    fixture('probe2.query-iothreads.json'), // pretty-printed over several lines in the fixture...
  ]
    .map((l) => l.replace(/\n\s*/g, ' ')) // ...so join it to one line, as QEMU sends it
    .join('\r\n') + '\r\n',
  'utf8',
);

const decodeAll = (chunks: readonly Buffer[]): QmpMessage[] => {
  const d = new QmpDecoder();
  return chunks.flatMap((c) => d.push(c));
};

describe('QmpDecoder', () => {
  const whole = decodeAll([STREAM]);

  it('classifies every message of a session', () => {
    expect(whole.map((m) => m.kind)).toEqual(['greeting', 'return', 'event', 'return', 'error', 'event', 'return']);
    expect(whole[0]).toEqual({
      kind: 'greeting',
      version: { major: 7, minor: 2, micro: 0, package: 'Debian 1:7.2+dfsg-7+deb12u3' },
      capabilities: ['oob'],
    });
    expect(whole[1]).toEqual({ kind: 'return', id: 'vcpumap-1', value: {} });
    expect(whole[2]).toEqual({
      kind: 'event',
      event: 'RESUME',
      data: undefined,
      timestamp: { seconds: 1700000000, microseconds: 123456 },
    });
    const cpus = whole[3];
    expect(cpus?.kind === 'return' && Array.isArray(cpus.value) && cpus.value.length).toBe(2);
    expect(whole[4]).toEqual({
      kind: 'error',
      id: 'vcpumap-3',
      errorClass: 'CommandNotFound',
      desc: 'Le commande « x » n’existe pas 🖥',
    });
    expect(whole[5]).toMatchObject({ kind: 'event', event: 'VCPU 温度', data: { k: 'é' } });
    expect(whole[6]).toMatchObject({ kind: 'return', id: 'libvirt-415' });
  });

  it('gives identical messages however the stream is split in two', () => {
    for (let i = 0; i <= STREAM.length; i++) {
      const got = decodeAll([STREAM.subarray(0, i), STREAM.subarray(i)]);
      if (JSON.stringify(got) !== JSON.stringify(whole)) expect.fail(`split at byte ${i} changed the result`);
    }
  });

  it('gives identical messages when fed one byte at a time, or in three pieces', () => {
    const bytes = [...STREAM].map((b) => Buffer.from([b]));
    expect(decodeAll(bytes)).toEqual(whole);
    for (let i = 0; i < STREAM.length; i += 7) {
      const j = Math.min(STREAM.length, i + 13);
      expect(decodeAll([STREAM.subarray(0, i), STREAM.subarray(i, j), STREAM.subarray(j)])).toEqual(whole);
    }
  });

  it('returns nothing until a line is complete, and copes with "\\n" only and blank lines', () => {
    const d = new QmpDecoder();
    expect(d.push('{"return": 1')).toEqual([]);
    expect(d.push('}')).toEqual([]);
    expect(d.push('\n\r\n\n{"return": 2}\n')).toEqual([
      { kind: 'return', id: undefined, value: 1 },
      { kind: 'return', id: undefined, value: 2 },
    ]);
  });

  it('does not keep a reference to a chunk the socket may reuse', () => {
    const d = new QmpDecoder();
    const chunk = Buffer.from('{"return": "abc"');
    d.push(chunk);
    chunk.fill(0x20);
    expect(d.push('}\n')).toEqual([{ kind: 'return', id: undefined, value: 'abc' }]);
  });

  describe('hostile input', () => {
    const fails = (input: string | Buffer, re: RegExp): void => {
      const d = new QmpDecoder();
      expect(() => d.push(input)).toThrow(QmpProtocolError);
      expect(() => new QmpDecoder().push(input)).toThrow(re);
      // the failure is sticky: the stream cannot be trusted any more
      expect(() => d.push('{"return": {}}\n')).toThrow(re);
    };

    it('rejects malformed JSON with a preview of the line', () => {
      fails('{"return": \n', /not valid JSON: "\{\\"return\\":"$/);
    });
    it('rejects JSON that is not an object', () => {
      fails('[1,2]\n', /not a JSON object/);
      fails('"QMP"\n', /not a JSON object/);
      fails('null\n', /not a JSON object/);
    });
    it('rejects objects that are no QMP message, or two at once', () => {
      fails('{"foo": 1}\n', /exactly one of .* \(has none\)/);
      fails('{"return": 1, "error": {"class": "x", "desc": "y"}}\n', /\(has return, error\)/);
    });
    it('rejects malformed greetings, errors and events naming the field', () => {
      fails('{"QMP": {"version": {}}}\n', /malformed QMP greeting \(QMP\.version\.qemu: /);
      fails('{"error": {"class": 5, "desc": "x"}}\n', /malformed QMP error reply \(error\.class: /);
      fails('{"event": "X", "timestamp": {"seconds": 1.5, "microseconds": 0}}\n', /timestamp\.seconds/);
    });
    it('rejects invalid UTF-8', () => {
      fails(Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a]), /not valid UTF-8/);
      // a truncated multi-byte sequence right before the newline
      fails(Buffer.concat([Buffer.from('{"return": "'), Buffer.from('é').subarray(0, 1), Buffer.from('"}\n')]), /UTF-8/);
    });
    it('caps the line length whether the line arrives in one chunk or many', () => {
      const d = new QmpDecoder({ maxLineBytes: 64 });
      expect(d.push('x'.repeat(64))).toEqual([]);
      expect(() => d.push('x')).toThrow(/longer than 64 bytes/);
      expect(() => new QmpDecoder({ maxLineBytes: 64 }).push(`${'x'.repeat(65)}\n`)).toThrow(/longer than 64 bytes/);
      // exactly at the limit is fine
      const ok = new QmpDecoder({ maxLineBytes: 16 });
      expect(ok.push('{"return": 1234}\n')).toHaveLength(1);
    });
    it('truncates huge lines in error messages', () => {
      const d = new QmpDecoder();
      expect(() => d.push(`{${'x'.repeat(100_000)}\n`)).toThrow(/\.\.\. \(100001 chars\)$/);
    });
  });
});
