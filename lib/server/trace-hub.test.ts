import { describe, expect, it } from 'vitest';
import type { TraceAnswer } from '../agent/trace-export';
import { MAX_PENDING_PER_HOST, reportingHost, TooManyTraceRequests, TraceHub } from './trace-hub';

const text = (s: string): TraceAnswer => ({ ok: true, text: s, events: 1, fromMs: 1, toMs: 2, keptFromMs: 0 });

describe('TraceHub', () => {
  it("hands a request to the host's next ingest answer once, and resolves the GET with the upload", async () => {
    const hub = new TraceHub();
    const answer = hub.request('hv-1', 1000, 2000, 5000);
    expect(hub.takeRequests('hv-2')).toEqual([]);
    const [r, ...more] = hub.takeRequests('hv-1');
    expect(more).toEqual([]);
    expect(r).toMatchObject({ from: 1000, to: 2000 });
    expect(hub.takeRequests('hv-1')).toEqual([]); // given once
    expect(hub.requested('hv-1', r?.id ?? '')).toEqual(r);
    expect(hub.fulfil('hv-2', r?.id ?? '', text('x'))).toBe(false); // another host's upload does not answer it
    expect(hub.fulfil('hv-1', r?.id ?? '', text('trace'))).toBe(true);
    expect(await answer).toEqual(text('trace'));
    expect(hub.fulfil('hv-1', r?.id ?? '', text('again'))).toBe(false);
    expect(hub.requested('hv-1', r?.id ?? '')).toBeNull();
  });

  it('answers null when no upload comes in time, and forgets the request', async () => {
    const hub = new TraceHub();
    const answer = hub.request('hv-1', 1000, 2000, 30);
    const [r] = hub.takeRequests('hv-1');
    expect(await answer).toBeNull();
    expect(hub.fulfil('hv-1', r?.id ?? '', text('late'))).toBe(false);
  });

  it('asks the agent once for the same window asked twice, and bounds what waits per host', async () => {
    const hub = new TraceHub();
    const a = hub.request('hv-1', 1, 2, 5000);
    const b = hub.request('hv-1', 1, 2, 5000);
    for (let i = 1; i < MAX_PENDING_PER_HOST; i++) void hub.request('hv-1', 10 + i, 100, 50);
    expect(() => hub.request('hv-1', 99, 100, 50)).toThrow(TooManyTraceRequests);
    void hub.request('hv-2', 99, 100, 50); // another host is not held up
    const given = hub.takeRequests('hv-1');
    expect(given).toHaveLength(MAX_PENDING_PER_HOST);
    hub.fulfil('hv-1', given[0]?.id ?? '', text('one'));
    expect(await a).toEqual(text('one'));
    expect(await b).toEqual(text('one'));
  });

  it('serves a host of its own in process', async () => {
    const hub = new TraceHub();
    hub.serveLocal('here', (from, to) => Promise.resolve(text(`${from}-${to}`)));
    expect(hub.localProvider('elsewhere')).toBeUndefined();
    expect(await hub.localProvider('here')?.(3, 4)).toEqual(text('3-4'));
  });
});

describe('reportingHost', () => {
  it('is the host of the first frame of a batch, or of a single snapshot', () => {
    expect(reportingHost({ frames: [{ host: 'hv-1' }, { host: 'hv-2' }] })).toBe('hv-1');
    expect(reportingHost({ host: 'hv-3', vms: [] })).toBe('hv-3');
    expect(reportingHost({ frames: [] })).toBe('');
    expect(reportingHost(null)).toBe('');
  });
});
