// Extra QMP monitors added to a libvirt VM through <qemu:commandline> passthrough arguments.
// Libvirt keeps its own monitor socket busy for the VM's whole life (QEMU serves one QMP client
// at a time), so such an extra socket is the only way for vcpumap to run QMP queries on it.

/**
 * Unix socket paths on which QEMU listens for QMP, from QEMU arguments in order:
 *   -qmp unix:PATH,server=on,wait=off      (also -qmp-pretty, --qmp)
 *   -chardev socket,id=ID,path=PATH,server=on  +  -mon chardev=ID,mode=control
 * Sockets on which QEMU is the client (no server=on), TCP sockets and human monitors
 * (mode=readline, the -mon default) are not QMP servers vcpumap can connect to and are left out.
 */
export function qmpSocketsFromArgs(args: readonly string[]): readonly string[] {
  const paths: string[] = [];
  const chardevs = new Map<string, Readonly<Record<string, string>>>();
  const monitors: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const opt = (args[i] ?? '').replace(/^--/, '-');
    if (opt !== '-qmp' && opt !== '-qmp-pretty' && opt !== '-chardev' && opt !== '-mon') continue;
    const value = args[i + 1];
    if (value === undefined) throw new Error(`QEMU argument ${opt} is the last one: its value is missing`);
    i++;
    if (opt === '-chardev') {
      const o = parseOpts(value, 'backend');
      if (o.backend === 'socket' && o.id !== undefined) chardevs.set(o.id, o);
    } else if (opt === '-mon') {
      const o = parseOpts(value, 'chardev');
      if (o.mode === 'control' && o.chardev !== undefined) monitors.push(o.chardev);
    } else if (value.startsWith('unix:')) {
      // Legacy chardev syntax: unix:PATH[,server=on][,wait=off]...; the path is the first item.
      const o = parseOpts(value.slice('unix:'.length), 'path');
      if (o.path && isOn(o.server)) paths.push(o.path);
    }
  }
  for (const id of monitors) {
    const dev = chardevs.get(id);
    if (dev?.path && isOn(dev.server)) paths.push(dev.path);
  }
  return [...new Set(paths)];
}

/**
 * QemuOpts syntax: comma-separated `key=value`, a leading bare value belongs to `firstKey`,
 * `,,` is a literal comma, a later bare `key` means `key=on`.
 */
function parseOpts(text: string, firstKey: string): Readonly<Record<string, string>> {
  const items: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === ',' && text[i + 1] === ',') {
      cur += ',';
      i++;
    } else if (c === ',') {
      items.push(cur);
      cur = '';
    } else cur += c;
  }
  items.push(cur);
  const entries: [string, string][] = [];
  items.forEach((item, idx) => {
    const eq = item.indexOf('=');
    if (idx === 0 && eq === -1) entries.push([firstKey, item]);
    else if (eq === -1) entries.push([item, 'on']);
    else entries.push([item.slice(0, eq), item.slice(eq + 1)]);
  });
  // fromEntries: keys come from a user-editable XML, keep "__proto__" an ordinary key.
  return Object.fromEntries(entries);
}

function isOn(v: string | undefined): boolean {
  return v === 'on' || v === 'yes' || v === 'true' || v === 'y';
}
