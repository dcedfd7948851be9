import type { Command } from 'commander';
import type { RunnerView, SystemSettingsView } from '@helix/contracts';
import { contextFor, type CliIo } from '../context';
import { addTokenOptions, tokenFromFlags, TOKEN_NEVER_PRINTED, warnOnFingerprintMismatch, type TokenFlags } from '../token-flags';
import { renderSettings, syncSummary, type SyncSummary } from '../views';

const SETTINGS = '/api/v1/system/settings';

/** `helix system settings get|set`: the global Hugging Face token (SPEC §4.1, §9). */
export function registerSystem(program: Command, io: CliIo): void {
  const system = program.command('system').description('system-wide settings (admin)');
  const settings = system.command('settings').description('the global Hugging Face token that every runner receives');

  settings
    .command('get')
    .description('show whether a token is configured, its source and fingerprint, the settings version and how many runners are in sync')
    .action(async (_options: unknown, command: Command) => {
      const { client, json, out } = contextFor(command, io);
      const view = await client.get<SystemSettingsView>(SETTINGS);
      if (json) return out.json(view);
      let sync: SyncSummary | 'unknown';
      try {
        sync = syncSummary(await client.get<RunnerView[]>('/api/v1/runners'));
      } catch {
        sync = 'unknown';
      }
      out.print(renderSettings(view, sync));
    });

  addTokenOptions(
    settings.command('set').description('set or clear the global Hugging Face token; runners receive it within seconds'),
    'runners fall back to their own HF_TOKEN',
  )
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  printf %s "$HF_TOKEN" | helix system settings set --huggingface-token-stdin',
        '  helix system settings set --huggingface-token-stdin      # prompts, input hidden',
        '  helix system settings set --clear-hf-token',
        '',
        TOKEN_NEVER_PRINTED,
      ].join('\n'),
    )
    .action(async (options: TokenFlags, command: Command) => {
      const { client, json, out } = contextFor(command, io);
      const token = await tokenFromFlags(options, io);
      const view = await client.put<SystemSettingsView>(SETTINGS, { huggingface_token: token });
      if (json) return out.json(view);
      if (token === null) {
        out.print(`Global Hugging Face token cleared (version ${view.version}); runners fall back to their own HF_TOKEN.`);
      } else {
        out.print(`Global Hugging Face token set: ${view.huggingface_token_fingerprint} (version ${view.version}); runners receive it within seconds.`);
        warnOnFingerprintMismatch(out, view.huggingface_token_fingerprint, token);
      }
      out.print('Check the runners with: helix system settings get');
    });
}
