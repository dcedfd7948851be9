import { Option, type Command } from 'commander';
import type { RunnerView, SystemSettingsView } from '@helix/contracts';
import { fingerprint } from '@helix/secrets';
import { contextFor, type CliIo } from '../context';
import { EXIT_USAGE, usageError } from '../errors';
import { checkToken, commandLineTokenWarning, readTokenFromStdin } from '../token-input';
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

  settings
    .command('set')
    .description('set or clear the global Hugging Face token; runners receive it within seconds')
    .addOption(
      new Option('--huggingface-token <token>', 'the token (prefer --huggingface-token-stdin: a command line ends up in shell history)').conflicts([
        'huggingfaceTokenStdin',
        'clearHfToken',
      ]),
    )
    .addOption(new Option('--huggingface-token-stdin', 'read the token from stdin (piped, or typed at a hidden prompt)').conflicts(['clearHfToken']))
    .option('--clear-hf-token', 'clear the token (runners fall back to their own HF_TOKEN)')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  printf %s "$HF_TOKEN" | helix system settings set --huggingface-token-stdin',
        '  helix system settings set --huggingface-token-stdin      # prompts, input hidden',
        '  helix system settings set --clear-hf-token',
        '',
        'The token is never printed back: the CLI shows its fingerprint (sha256: + 12 hex digits).',
      ].join('\n'),
    )
    .action(async (options: { huggingfaceToken?: string; huggingfaceTokenStdin?: boolean; clearHfToken?: boolean }, command: Command) => {
      const { client, json, out } = contextFor(command, io);
      let token: string | null;
      if (options.huggingfaceToken !== undefined) {
        out.addSecret(options.huggingfaceToken);
        token = checkToken(options.huggingfaceToken.trim(), 'given with --huggingface-token', EXIT_USAGE);
        const warning = commandLineTokenWarning(io.interactive);
        if (warning) out.warn(warning);
      } else if (options.huggingfaceTokenStdin) {
        token = await readTokenFromStdin(io.stdin, (text) => out.raw('stderr', text));
        out.addSecret(token);
      } else if (options.clearHfToken) {
        token = null;
      } else {
        throw usageError('say what to set: --huggingface-token-stdin, --huggingface-token <token> or --clear-hf-token');
      }

      const view = await client.put<SystemSettingsView>(SETTINGS, { huggingface_token: token });
      if (json) return out.json(view);
      if (token === null) {
        out.print(`Global Hugging Face token cleared (version ${view.version}); runners fall back to their own HF_TOKEN.`);
      } else {
        out.print(`Global Hugging Face token set: ${view.huggingface_token_fingerprint} (version ${view.version}); runners receive it within seconds.`);
        const local = fingerprint(token);
        if (view.huggingface_token_fingerprint !== local) {
          out.warn(`the server reports fingerprint ${view.huggingface_token_fingerprint} but the token sent has ${local}`);
        }
      }
      out.print('Check the runners with: helix system settings get');
    });
}
