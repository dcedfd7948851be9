import type { Command } from 'commander';
import type { CliIo, CommandContext } from '../context';
import { usageError } from '../errors';
import { DEFAULT_WAIT_TIMEOUT, parseDuration, progressLine, waitForRunnersInSync } from '../wait';

/** `--wait [--timeout 60s]` of every `… settings set`. */
export interface WaitFlags {
  wait?: boolean;
  timeout?: string;
}

export function addWaitOptions(command: Command): Command {
  return command
    .option('--wait', 'then wait until every online runner has applied the change (progress on stderr at a terminal)')
    .option('--timeout <duration>', `how long --wait waits, e.g. 30s, 2m (default ${DEFAULT_WAIT_TIMEOUT}); exit 3 when it runs out`);
}

/** The --wait timeout in ms, or undefined without --wait; checked before anything is sent. */
export function waitTimeout(flags: WaitFlags): number | undefined {
  if (!flags.wait) {
    if (flags.timeout !== undefined) throw usageError('--timeout goes with --wait');
    return undefined;
  }
  return parseDuration(flags.timeout ?? DEFAULT_WAIT_TIMEOUT);
}

/** After a `set`: waits when asked (exit 3 on timeout) and says so in the human formats. */
export async function waitAfterSet(
  ctx: CommandContext,
  io: CliIo,
  timeoutMs: number | undefined,
  target: { minVersion?: number; what: string },
): Promise<void> {
  if (timeoutMs === undefined) return;
  const progress = await waitForRunnersInSync(ctx.client, ctx.out, {
    timeoutMs,
    minVersion: target.minVersion,
    progress: io.progress === true,
    what: target.what,
    sleep: io.sleep,
    now: io.now,
  });
  if (!ctx.quiet && (ctx.format === 'table' || ctx.format === 'wide'))
    ctx.out.print(`Runners in sync: ${progressLine(progress).replace(' runners in sync', '')} online.`);
}
