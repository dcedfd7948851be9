import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { atProcessEnd } from './cleanup';

const held = new Set<string>();
let hooked = false;

/**
 * Claims `key` in `dir` for this process, across every process on the machine: a file created
 * exclusively, naming the owner's pid. A claim whose owner is dead is taken over. Returns the
 * release function, or null when a live process holds the key. Claims go when the process ends
 * (exit, or a termination signal nobody else handles).
 */
export function claimExclusive(dir: string, key: string): (() => void) | null {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, key);
  for (const retry of [false, true]) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      held.add(file);
      // Also when a test runner ends this process with SIGTERM: no file is left naming a dead pid.
      if (!hooked) {
        hooked = true;
        atProcessEnd(() => {
          for (const claim of held) rmQuiet(claim);
          held.clear();
        });
      }
      return () => {
        if (held.delete(file)) rmQuiet(file);
      };
    } catch {
      if (retry || ownerAlive(file)) return null;
      rmQuiet(file);
    }
  }
  return null;
}

function ownerAlive(file: string): boolean {
  try {
    const pid = Number(readFileSync(file, 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function rmQuiet(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    /* already gone */
  }
}
