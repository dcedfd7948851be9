import type { Command } from 'commander';
import type { RunnerView, SystemSettingsView } from '@helix/contracts';
import { contextFor, type CliIo } from '../context';
import { emit, idsOf } from '../emit';
import { usageError } from '../errors';
import { renderRunners } from '../views';
import { DEFAULT_WAIT_TIMEOUT, parseDuration, progressLine, waitForRunnersInSync } from '../wait';

/** `helix runner list` (docs/reference/rest.md and docs/reference/cli.md) and `helix runner wait --in-sync`. */
export function registerRunner(program: Command, io: CliIo): void {
  const runner = program.command('runner').description('GPU runners (admin)');
  runner
    .command('list')
    .alias('ls')
    .description('runners with memory, slots, the settings version each applied and whether it is in sync')
    .addHelpText(
      'after',
      ['', 'Examples:', '  helix runner list', '  helix runner list -o wide     # also the models of the slots', '  helix runner list -q          # ids'].join(
        '\n',
      ),
    )
    .action(async (_options: unknown, command: Command) => {
      const ctx = contextFor(command, io);
      const runners = (await ctx.client.get<RunnerView[]>('/api/v1/runners')) ?? [];
      let current: number | undefined;
      if (ctx.format === 'table' || ctx.format === 'wide') {
        try {
          current = (await ctx.client.get<SystemSettingsView>('/api/v1/system/settings')).version;
        } catch {
          current = undefined;
        }
      }
      emit(ctx, runners, {
        kind: 'runner',
        ids: idsOf,
        table: (list) => renderRunners(list, current),
        wide: (list) => renderRunners(list, current, { wide: true }),
      });
    });

  runner
    .command('wait')
    .description('wait until every online runner has applied the current settings of every scope')
    .option('--in-sync', 'wait for the runners to be in sync (what there is to wait for; required)')
    .option('--timeout <duration>', `how long to wait, e.g. 30s, 2m (default ${DEFAULT_WAIT_TIMEOUT}); exit 3 when it runs out`)
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  helix runner wait --in-sync',
        '  helix runner wait --in-sync --timeout 2m && echo "every runner has the new token"',
        '',
        'Offline runners are not waited for: they replay every scope when they come back. At a terminal',
        'the progress ("k/n runners in sync") is shown on stderr. Exit 0 once all are in sync, 3 on timeout.',
      ].join('\n'),
    )
    .action(async (options: { inSync?: boolean; timeout?: string }, command: Command) => {
      if (!options.inSync) throw usageError('say what to wait for: helix runner wait --in-sync');
      const timeoutMs = parseDuration(options.timeout ?? DEFAULT_WAIT_TIMEOUT);
      const ctx = contextFor(command, io);
      const progress = await waitForRunnersInSync(ctx.client, ctx.out, {
        timeoutMs,
        progress: io.progress === true,
        what: 'the runners to get in sync',
        sleep: io.sleep,
        now: io.now,
      });
      emit(ctx, progress, {
        kind: 'runner',
        ids: () => [],
        table: (p) => `${p.total === 0 ? 'No online runners: nothing to wait for.' : `All online runners are in sync (${progressLine(p)}).`}`,
      });
    });
}
