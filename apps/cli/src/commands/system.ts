import type { Command } from 'commander';
import type { RunnerView, SystemSettingsView } from '@helix/contracts';
import { contextFor, type CliIo } from '../context';
import { emit } from '../emit';
import { addTokenOptions, tokenFromFlags, TOKEN_NEVER_PRINTED, warnOnFingerprintMismatch, type TokenFlags } from '../token-flags';
import { outOfSyncLine, renderSettings, syncSummary, type SyncSummary } from '../views';
import { addWaitOptions, waitAfterSet, waitTimeout, type WaitFlags } from './wait-flags';

const SETTINGS = '/api/v1/system/settings';

const settingsShape = (table: (view: SystemSettingsView) => string) => ({
  kind: 'settings',
  ids: (view: SystemSettingsView) => [view?.id ?? 'system'],
  table,
});

/** `helix system settings get|set`: the global Hugging Face token (docs/reference/rest.md and docs/reference/cli.md). */
export function registerSystem(program: Command, io: CliIo): void {
  const system = program.command('system').description('system-wide settings (admin)');
  const settings = system.command('settings').description('the global Hugging Face token that every runner receives');

  settings
    .command('get')
    .description('show whether a token is configured, its source and fingerprint, the settings version and how many runners are in sync')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  helix system settings get',
        '  helix system settings get -o json',
        '',
        'The table ends with one plain line when online runners have not applied the current settings yet;',
        '`helix runner wait --in-sync` waits for them.',
      ].join('\n'),
    )
    .action(async (_options: unknown, command: Command) => {
      const ctx = contextFor(command, io);
      const view = await ctx.client.get<SystemSettingsView>(SETTINGS);
      let sync: SyncSummary | 'unknown' = 'unknown';
      let runners: RunnerView[] | undefined;
      if (ctx.format === 'table' || ctx.format === 'wide') {
        try {
          runners = await ctx.client.get<RunnerView[]>('/api/v1/runners');
          sync = syncSummary(runners);
        } catch {
          sync = 'unknown';
        }
      }
      emit(
        ctx,
        view,
        settingsShape((v) => [renderSettings(v, sync), ...(runners ? [outOfSyncLine(runners)].filter(Boolean) : [])].join('\n')),
      );
    });

  addWaitOptions(
    addTokenOptions(
      settings.command('set').description('set or clear the global Hugging Face token; runners receive it within seconds'),
      'runners fall back to their own HF_TOKEN',
    ),
  )
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  printf %s "$HF_TOKEN" | helix system settings set --huggingface-token-stdin --wait',
        '  helix system settings set --huggingface-token-stdin      # prompts, input hidden',
        '  helix system settings set --clear-hf-token --wait --timeout 2m',
        '',
        TOKEN_NEVER_PRINTED,
        '--wait returns once every online runner has applied the new version (exit 3 after --timeout).',
      ].join('\n'),
    )
    .action(async (options: TokenFlags & WaitFlags, command: Command) => {
      const ctx = contextFor(command, io);
      const timeoutMs = waitTimeout(options);
      const token = await tokenFromFlags(options, io);
      const view = await ctx.client.put<SystemSettingsView>(SETTINGS, { huggingface_token: token });
      emit(
        ctx,
        view,
        settingsShape((v) => {
          const lines =
            token === null
              ? [`Global Hugging Face token cleared (version ${v.version}); runners fall back to their own HF_TOKEN.`]
              : [`Global Hugging Face token set: ${v.huggingface_token_fingerprint} (version ${v.version}); runners receive it within seconds.`];
          if (timeoutMs === undefined) lines.push('Check the runners with: helix system settings get (or wait for them: helix runner wait --in-sync)');
          return lines.join('\n');
        }),
      );
      if (token !== null) warnOnFingerprintMismatch(ctx.out, view.huggingface_token_fingerprint, token);
      await waitAfterSet(ctx, io, timeoutMs, { minVersion: view.version, what: `runners to apply global settings version ${view.version}` });
    });
}
