// Test helpers, imported only by specs (the build still compiles them into dist/; nothing loads them there).
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SlotStatus, SupervisorLogger, VllmSupervisor } from '../index';

export const SIM = resolve(__dirname, '../../../../bin/vllm-sim');

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string;
  at: number;
}

/** A logger that records every call; `text()` is everything it was given, serialised. */
export function captureLogger(): SupervisorLogger & { entries: LogEntry[]; text(): string } {
  const entries: LogEntry[] = [];
  const at = (level: LogEntry['level']) => (obj: object, msg: string) => entries.push({ level, obj: obj as Record<string, unknown>, msg, at: Date.now() });
  return {
    entries,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    text: () => entries.map((e) => `${e.level} ${e.msg} ${JSON.stringify(e.obj)}`).join('\n'),
  };
}

/** Records every `status` event of a supervisor. */
export function recordStatuses(sup: VllmSupervisor): Array<SlotStatus & { at: number }> {
  const seen: Array<SlotStatus & { at: number }> = [];
  sup.on('status', (s) => seen.push({ ...s, at: Date.now() }));
  return seen;
}

/** Resolves with the first status of `slotId` (current one included) that satisfies `pred`. */
export function waitForStatus(sup: VllmSupervisor, slotId: string, pred: (s: SlotStatus) => boolean, timeoutMs = 15_000): Promise<SlotStatus> {
  const current = sup.list().find((s) => s.slotId === slotId);
  if (current && pred(current)) return Promise.resolve(current);
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      sup.off('status', listener);
      reject(new Error(`timed out waiting for status of ${slotId}; last: ${JSON.stringify(sup.list().find((s) => s.slotId === slotId))}`));
    }, timeoutMs);
    const listener = (s: SlotStatus) => {
      if (s.slotId !== slotId || !pred(s)) return;
      clearTimeout(timer);
      sup.off('status', listener);
      resolvePromise(s);
    };
    sup.on('status', listener);
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns true (or throws after timeoutMs). */
export async function eventually(check: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function stat(pid: number): { state: string; pgid: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], pgid: Number(fields[2]) };
  } catch {
    return null;
  }
}

/** Whether `pid` is a live process (zombies count as dead). */
export function isAlive(pid: number): boolean {
  const s = stat(pid);
  return s !== null && s.state !== 'Z' && s.state !== 'X';
}

/** Live processes whose process group is `pgid`. */
export function groupMembers(pgid: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = stat(Number(name));
    if (s && s.pgid === pgid && s.state !== 'Z' && s.state !== 'X') pids.push(Number(name));
  }
  return pids;
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

export async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
