// GET handlers of the read API. Each parses its parameters, asks the store once, and answers.
import type { VmReply } from '../../api/hosts';
import { errorResponse, HttpError } from '../http-errors';
import { jsonAnswer } from '../json-answer';
import { getRuntime, type Runtime } from '../runtime';
import { parseTime, parseWindow, pathName } from './params';
import { requireViewer } from './viewer';
import { fleetTiles } from '../views';

const NO_STORE = 'no-store';

async function guarded(req: Request, answer: (rt: Runtime, url: URL) => Promise<unknown>): Promise<Response> {
  try {
    const rt = await getRuntime();
    requireViewer(req, rt);
    return await jsonAnswer(req, await answer(rt, new URL(req.url)), NO_STORE);
  } catch (err) {
    return errorResponse(err);
  }
}

export function getHosts(req: Request): Promise<Response> {
  return guarded(req, (rt) => rt.store.hosts());
}

/** The fleet view's tiles: each host's latest frame in miniature (lib/ui/fleet-tiles.ts). */
export function getFleet(req: Request): Promise<Response> {
  return guarded(req, (rt) => fleetTiles(rt.store));
}

export function getSnapshot(req: Request, hostParam: string): Promise<Response> {
  return guarded(req, async (rt, url) => {
    const host = pathName('host', hostParam);
    const at = parseTime('at', url.searchParams.get('at'));
    const snap = at === null ? await rt.store.latest(host) : await rt.store.nearest(host, at);
    if (!snap) throw new HttpError(404, `no snapshot of host ${JSON.stringify(host)}${at === null ? '' : ' near that time'}`);
    return snap;
  });
}

export function getHistory(req: Request, hostParam: string): Promise<Response> {
  return guarded(req, async (rt, url) => {
    const host = pathName('host', hostParam);
    const { from, to, stepMs } = parseWindow(url.searchParams, Date.now(), rt.config.liveWindowMs);
    const c = url.searchParams.get('counters');
    if (c !== null && c !== '1' && c !== '0') throw new HttpError(400, `counters=${JSON.stringify(c)}: expected 1 or 0`);
    return rt.store.history(host, from, to, stepMs, { counters: c === '1' });
  });
}

export function getVm(req: Request, hostParam: string, vmParam: string): Promise<Response> {
  return guarded(req, async (rt, url) => {
    const host = pathName('host', hostParam);
    const name = pathName('vm', vmParam);
    const at = parseTime('at', url.searchParams.get('at'));
    const snap = at === null ? await rt.store.latest(host) : await rt.store.nearest(host, at);
    const vm = snap?.vms.find((v) => v.name === name);
    if (!snap || !vm) throw new HttpError(404, `no VM ${JSON.stringify(name)} on host ${JSON.stringify(host)}`);
    const reply: VmReply = { host, at: snap.at, vm, violations: snap.violations.filter((v) => v.vms.includes(name)) };
    return reply;
  });
}

export function getViolations(req: Request): Promise<Response> {
  return guarded(req, async (rt, url) => {
    const active = url.searchParams.get('active');
    if (active !== null && active !== '1' && active !== 'true') {
      throw new HttpError(400, 'active must be 1: only the violations in force now are served here; use /hosts/{host}/history for past ones');
    }
    const host = url.searchParams.get('host');
    const all = await rt.store.activeViolations();
    return host === null ? all : all.filter((v) => v.host === host);
  });
}
