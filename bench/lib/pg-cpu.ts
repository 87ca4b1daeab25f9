/**
 * CPU time of the PostgreSQL backends serving one database, read from /proc (the server runs on this
 * machine): what the database itself spends on a workload, next to the client's own CPU time.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { sql, type Kysely } from 'kysely';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** CPU seconds (user + system) so far of each backend connected to the current database, by pid. */
export async function backendCpu<DB>(db: Kysely<DB>): Promise<Map<number, number>> {
  const { rows } = await sql<{ pid: number }>`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`.execute(db);
  const cpu = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      // Fields after the command name (which may contain spaces, hence the last ')'): utime is the 12th, stime the 13th.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      cpu.set(pid, (Number(fields[11]) + Number(fields[12])) / clockTicks());
    } catch {
      // gone, or not on this machine
    }
  }
  return cpu;
}

/** CPU seconds spent between two snapshots (backends that appeared meanwhile count from zero). */
export function cpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let seconds = 0;
  for (const [pid, value] of after) seconds += value - (before.get(pid) ?? 0);
  return seconds;
}
