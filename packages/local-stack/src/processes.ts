/** Finding binaries, free loopback ports and whether children can be tied to our life, for the launchers here. */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/** The first executable `name` on PATH, or undefined. */
export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

let pdeathsig: boolean | undefined;
/** Whether `setpriv --pdeathsig` is here: then a child dies with the process that spawned it. */
export function supportsPdeathsig(): boolean {
  if (pdeathsig === undefined) {
    try {
      pdeathsig = execFileSync('setpriv', ['--help'], { encoding: 'utf8' }).includes('--pdeathsig');
    } catch {
      pdeathsig = false;
    }
  }
  return pdeathsig;
}

/**
 * The command line that runs `binary args` so that the kernel kills it when its parent dies (`setpriv
 * --pdeathsig KILL`, which execs, so the pid is the binary's), or plainly where setpriv cannot.
 */
export function tiedToParent(binary: string, args: readonly string[]): { command: string; args: string[] } {
  const setpriv = supportsPdeathsig() ? findOnPath('setpriv') : undefined;
  return setpriv === undefined ? { command: binary, args: [...args] } : { command: setpriv, args: ['--pdeathsig', 'KILL', binary, ...args] };
}

/**
 * A TCP port on 127.0.0.1 that nothing listens on right now: bound, noted and closed. A server started on
 * it soon after gets it; a client connecting to it gets ECONNREFUSED.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
