import type { Command } from 'commander';
import type { Scope, SettingsView } from '@helix/contracts';
import { contextFor, type CliIo } from '../context';
import { addTokenOptions, tokenFromFlags, TOKEN_NEVER_PRINTED, warnOnFingerprintMismatch, type TokenFlags } from '../token-flags';
import { FALLBACK, renderSettings, scopeLabel } from '../views';

const seg = encodeURIComponent;

/** The settings routes of SPEC §11.3; every id is one encoded path segment (model ids contain "/"). */
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
      const { client, json, out } = contextFor(command, io);
      const view = await client.get<SettingsView>(request.path);
      if (json) return out.json(view);
      out.print(renderSettings(view));
    });

  addTokenOptions(spec.target(settings.command('set').description(spec.setDescription)), FALLBACK[spec.scope])
    .addHelpText('after', examples(spec.setExamples, TOKEN_NEVER_PRINTED))
    .action(async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const options = args.at(-2) as TokenFlags;
      const request = spec.request(args.slice(0, -1));
      const { client, json, out } = contextFor(command, io);
      const token = await tokenFromFlags(options, io);
      const view = await client.put<SettingsView>(request.path, { huggingface_token: token });
      if (json) return out.json(view);
      const scope = view?.scope ?? request.scope;
      const label = view?.scope ? scopeLabel(view.scope, view.scope_id) : scopeLabel(request.scope, request.scopeId ?? 'me');
      if (token === null) {
        out.print(`Hugging Face token of ${label} cleared (version ${view?.version}); ${FALLBACK[scope] ?? FALLBACK.global} from the next model start.`);
      } else {
        out.print(`Hugging Face token of ${label} set: ${view?.huggingface_token_fingerprint} (version ${view?.version}); runners receive it within seconds.`);
        warnOnFingerprintMismatch(out, view?.huggingface_token_fingerprint, token);
      }
      const modelId = scope === 'model' ? (view?.scope_id ?? request.scopeId) : undefined;
      out.print(`See which token a model uses with: helix model token ${modelId ?? '<model id>'}`);
    });
}

function examples(lines: string[], ...notes: string[]): string {
  return ['', 'Examples:', ...lines.map((l) => `  ${l}`), ...(notes.length ? ['', ...notes] : [])].join('\n');
}
