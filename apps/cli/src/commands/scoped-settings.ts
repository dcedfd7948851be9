import type { Command } from 'commander';
import type { RunnerView, Scope, SettingsView } from '@helix/contracts';
import { contextFor, type CliIo } from '../context';
import { emit } from '../emit';
import { addTokenOptions, tokenFromFlags, TOKEN_NEVER_PRINTED, warnOnFingerprintMismatch, type TokenFlags } from '../token-flags';
import { FALLBACK, outOfSyncLine, renderSettings, scopeLabel } from '../views';
import { addWaitOptions, waitAfterSet, waitTimeout, type WaitFlags } from './wait-flags';

const seg = encodeURIComponent;

/** The settings routes of docs/reference/rest.md; every id is one encoded path segment (model ids contain "/"). */
export const scopedSettingsPath = {
  org: (org: string) => `/api/v1/orgs/${seg(org)}/settings`,
  user: (userId?: string) => (userId === undefined ? '/api/v1/users/me/settings' : `/api/v1/users/${seg(userId)}/settings`),
  model: (id: string) => `/api/v1/models/${seg(id)}/settings`,
};

/** What a `set` command says it changed, when the server's view does not say (it always should). */
export interface ScopeRequest {
  scope: Exclude<Scope, 'global'>;
  /** Undefined for "yourself" (/users/me/settings). */
  scopeId?: string;
  path: string;
}

const shape = (table: (view: SettingsView) => string) => ({
  kind: 'settings',
  ids: (view: SettingsView) => [view?.scope_id ?? view?.id],
  table,
});

/** The `settings` group's `get` and `set`, the same for every scope. */
export function addSettingsCommands(
  settings: Command,
  io: CliIo,
  spec: {
    scope: Exclude<Scope, 'global'>;
    /** Declares the arguments/options that name the scope on a new subcommand. */
    target: (command: Command) => Command;
    /** The scope from the action's arguments. */
    request: (args: unknown[]) => ScopeRequest;
    getDescription: string;
    setDescription: string;
    getExamples: string[];
    setExamples: string[];
  },
): void {
  spec
    .target(settings.command('get').description(spec.getDescription))
    .addHelpText('after', examples(spec.getExamples))
    .action(async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const request = spec.request(args.slice(0, -1));
      const ctx = contextFor(command, io);
      const view = await ctx.client.get<SettingsView>(request.path);
      let runners: RunnerView[] | undefined;
      if (ctx.format === 'table' || ctx.format === 'wide') {
        // Only admins may list runners; anyone else just does not get the line.
        runners = await ctx.client.get<RunnerView[]>('/api/v1/runners').catch(() => undefined);
      }
      emit(
        ctx,
        view,
        shape((v) => [renderSettings(v), ...(runners ? [outOfSyncLine(runners)].filter(Boolean) : [])].join('\n')),
      );
    });

  addWaitOptions(addTokenOptions(spec.target(settings.command('set').description(spec.setDescription)), FALLBACK[spec.scope]))
    .addHelpText(
      'after',
      examples(
        spec.setExamples,
        TOKEN_NEVER_PRINTED,
        '--wait returns once every online runner has applied the change (exit 3 after --timeout); it reads the runners, which needs an admin key.',
      ),
    )
    .action(async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const options = args.at(-2) as TokenFlags & WaitFlags;
      const request = spec.request(args.slice(0, -1));
      const ctx = contextFor(command, io);
      const timeoutMs = waitTimeout(options);
      const token = await tokenFromFlags(options, io);
      const view = await ctx.client.put<SettingsView>(request.path, { huggingface_token: token });
      const scope = view?.scope ?? request.scope;
      const label = view?.scope ? scopeLabel(view.scope, view.scope_id) : scopeLabel(request.scope, request.scopeId ?? 'me');
      emit(
        ctx,
        view,
        shape((v) => {
          const lines =
            token === null
              ? [`Hugging Face token of ${label} cleared (version ${v?.version}); ${FALLBACK[scope] ?? FALLBACK.global} from the next model start.`]
              : [`Hugging Face token of ${label} set: ${v?.huggingface_token_fingerprint} (version ${v?.version}); runners receive it within seconds.`];
          const modelId = scope === 'model' ? (v?.scope_id ?? request.scopeId) : undefined;
          lines.push(`See which token a model uses with: helix model token ${modelId ?? '<model id>'}`);
          return lines.join('\n');
        }),
      );
      if (token !== null) warnOnFingerprintMismatch(ctx.out, view?.huggingface_token_fingerprint, token);
      await waitAfterSet(ctx, io, timeoutMs, { what: `runners to apply the change of ${label} (version ${view?.version})` });
    });
}

function examples(lines: string[], ...notes: string[]): string {
  return ['', 'Examples:', ...lines.map((l) => `  ${l}`), ...(notes.length ? ['', ...notes] : [])].join('\n');
}
