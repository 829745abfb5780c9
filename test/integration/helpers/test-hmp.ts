// The test's own HMP client: the human monitor of a QEMU started with `-monitor unix:...`, used
// as the truth about which thread is which vCPU when QEMU has no QMP socket and no thread names.
// Read-only: only the commands of the allowlist are ever sent.
import net from 'node:net';

const READ_ONLY = new Set(['info cpus']);
const PROMPT = '(qemu) ';

/** Runs one read-only HMP command on a fresh connection and returns its output. */
export async function hmpOnce(path: string, command: string, timeoutMs = 5000): Promise<string> {
  if (!READ_ONLY.has(command)) throw new Error(`HMP command ${JSON.stringify(command)} is not in the read-only allowlist`);
  const socket = net.connect(path);
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`HMP ${command} on ${path}: no answer after ${timeoutMs} ms`)), timeoutMs);
      let buf = '';
      let sent = false;
      socket.on('error', reject);
      socket.on('data', (d: Buffer) => {
        buf += d.toString('utf8');
        if (!buf.endsWith(PROMPT)) return;
        if (!sent) {
          sent = true; // the banner and the first prompt
          buf = '';
          socket.write(`${command}\n`);
          return;
        }
        clearTimeout(timer);
        resolve(buf.slice(0, -PROMPT.length));
      });
    });
  } finally {
    socket.destroy();
  }
}

/** `info cpus`: `* CPU #0: thread_id=18541` lines (the readline echo before them is skipped). */
export function parseInfoCpus(text: string): { readonly index: number; readonly tid: number }[] {
  const out: { index: number; tid: number }[] = [];
  for (const m of text.matchAll(/^[* ] CPU #(\d+):.*?thread_id=(\d+)/gm)) out.push({ index: Number(m[1]), tid: Number(m[2]) });
  return out;
}
