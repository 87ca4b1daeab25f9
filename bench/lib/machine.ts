/** What the figures were measured on, and how busy the machine was. */
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os';
import { serverVersion } from './database.js';

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGb: number;
  readonly os: string;
  readonly node: string;
  readonly postgres: string;
}

export async function machineInfo(): Promise<MachineInfo> {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${osType()} ${release()}`,
    node: process.version,
    postgres: await serverVersion().catch(() => 'unreachable'),
  };
}

/** The 1, 5 and 15 minute load averages, rounded. */
export function loadAverage(): [number, number, number] {
  const [a = 0, b = 0, c = 0] = loadavg();
  return [Math.round(a * 100) / 100, Math.round(b * 100) / 100, Math.round(c * 100) / 100];
}

/**
 * Waits (up to `maxWaitMs`) until the 1-minute load average is below `threshold`, so that figures are not
 * taken while other work saturates the machine. Returns the load when it stopped waiting.
 */
export async function waitForQuietMachine(threshold: number, maxWaitMs: number, log: (line: string) => void): Promise<[number, number, number]> {
  const deadline = Date.now() + maxWaitMs;
  let load = loadAverage();
  let said = false;
  while (load[0] >= threshold && Date.now() < deadline) {
    if (!said) log(`  waiting for the 1-minute load average (${load[0]}) to drop below ${threshold} (up to ${Math.round(maxWaitMs / 1000)} s)`);
    said = true;
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    load = loadAverage();
  }
  if (load[0] >= threshold) log(`  load is still ${load[0]}: measuring anyway`);
  return load;
}
