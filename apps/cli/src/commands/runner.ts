import type { Command } from 'commander';
import type { RunnerView, SystemSettingsView } from '@helix/contracts';
import { contextFor, type CliIo } from '../context';
import { renderRunners } from '../views';

/** `helix runner list` (SPEC §4.4, §9). */
export function registerRunner(program: Command, io: CliIo): void {
  const runner = program.command('runner').description('GPU runners (admin)');
  runner
    .command('list')
    .alias('ls')
    .description('runners with memory, slots, the settings version each applied and whether it is in sync')
    .action(async (_options: unknown, command: Command) => {
      const { client, json, out } = contextFor(command, io);
      const runners = await client.get<RunnerView[]>('/api/v1/runners');
      if (json) return out.json(runners);
      let current: number | undefined;
      try {
        current = (await client.get<SystemSettingsView>('/api/v1/system/settings')).version;
      } catch {
        current = undefined;
      }
      out.print(renderRunners(runners ?? [], current));
    });
}
