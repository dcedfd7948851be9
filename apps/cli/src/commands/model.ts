import { Option, type Command } from 'commander';
import type { ModelAccessView, TokenChainView } from '@helix/contracts';
import { modelPath } from '../api-client';
import { contextFor, type CliIo } from '../context';
import { emit, idOf, idsOf } from '../emit';
import { usageError } from '../errors';
import { buildModelBody, buildModelPatch, parseContext, readModelFile, type ModelFlags } from '../model-input';
import { renderModel, renderModelAccess, renderModels, renderTokenChain, type ModelView } from '../views';
import { addSettingsCommands, scopedSettingsPath } from './scoped-settings';

/** The seed's model (docs/reference/rest.md), shown verbatim by `helix model create --help`. */
export const SEED_MODEL_JSON = `{"id":"Qwen/Qwen2.5-VL-7B-Instruct","name":"Qwen 2.5 VL 7B","type":"chat","runtime":"vllm",
 "memory":"39GB","context_length":32768,"description":"…","enabled":true,"auto_pull":true,
 "prewarm":true,"runtime_args":["--trust-remote-code","--max-model-len","32768"]}`;

export const MODEL_CREATE_HELP = `
The comprehensive vLLM example (Qwen 2.5 VL 7B, as in the seed), with flags:

  helix model create Qwen/Qwen2.5-VL-7B-Instruct \\
    --name "Qwen 2.5 VL 7B" --type chat --runtime vllm \\
    --memory 39GB --context 32768 --description "…" \\
    --enabled --auto-pull --prewarm \\
    --runtime-args '["--trust-remote-code","--max-model-len","32768"]'

or from a file holding the model JSON (the body of POST /api/v1/models):

  cat > model.json <<'JSON'
${SEED_MODEL_JSON}
JSON
  helix model create --file model.json

Flags given together with --file override the file's values (the id too); --name is not needed
with --file. --memory takes bytes or a unit: KB MB GB TB (decimal, 39GB = 39000000000) or
KiB MiB GiB TiB (binary). --runtime-args is a JSON array of strings passed to \`vllm serve\`
after the model id; --max-model-len is added from --context unless the args set it.
An enabled model is started on the best-fitting runner right away; --prewarm also starts it on
every runner that joins with room for it; --disabled only stores it.
--org and --owner (org_id and owner_id in --file) make it an org's and a user's model: its token is
then resolved model -> owner -> org -> global -> the runner's HF_TOKEN. Without them it is a system model.`;

const asList = (body: unknown): ModelView[] => {
  if (Array.isArray(body)) return body as ModelView[];
  const wrapped = (body as { models?: unknown; data?: unknown } | null) ?? {};
  if (Array.isArray(wrapped.models)) return wrapped.models as ModelView[];
  if (Array.isArray(wrapped.data)) return wrapped.data as ModelView[];
  return [];
};

export const MODEL_UPDATE_HELP = `
Examples:
  helix model update Qwen/Qwen2.5-VL-7B-Instruct --memory 40GB --context 16384
  helix model update Qwen/Qwen2.5-VL-7B-Instruct --disabled          # stops its slots, keeps the model
  helix model update --file model.json                               # the id comes from the file
  helix model update Qwen/Qwen2.5-VL-7B-Instruct --file changes.json --no-prewarm -o json

PUT /api/v1/models/<id>: only the fields given change; the others keep their values. Flags override
the file's values. The id cannot be changed (a file's "id" must be the model's). Changing memory,
type, context or runtime args replaces the model's slots. --org / --owner move it to another org or
owner; a file with "org_id": null or "owner_id": null removes them.`;

/** The flags that name a model's fields, for `update` (absent: unchanged). */
function addModelFlags(command: Command): Command {
  return command
    .option('--name <name>', 'display name')
    .addOption(new Option('--type <type>', 'model type').choices(['chat', 'embed', 'image']))
    .option('--runtime <runtime>', 'runtime (vllm)')
    .option('--memory <size>', 'GPU memory the model needs, e.g. 39GB, 40GiB or bytes')
    .option('--context <tokens>', 'context length in tokens (context_length)', parseContext)
    .option('--description <text>', 'description')
    .addOption(new Option('--enabled', 'deploy it').conflicts('disabled'))
    .option('--disabled', 'stop its slots and keep it stored only')
    .option('--auto-pull', 'pull the weights automatically')
    .option('--no-auto-pull', 'do not pull the weights automatically')
    .option('--prewarm', 'also start it on every runner that joins with room for it')
    .option('--no-prewarm', 'do not prewarm')
    .option('--runtime-args <json>', `JSON array of extra vLLM arguments (replaces the current ones)`)
    .option('--org <org>', 'move it to this org (org_id; an existing org)')
    .option('--owner <user_id>', 'give it this owner (owner_id; an existing user id)');
}

/** `helix model list --type … --runtime … --enabled|--disabled`: the API lists all; the CLI filters. */
export function filterModels(models: ModelView[], filters: { type?: string; runtime?: string; enabled?: boolean; disabled?: boolean }): ModelView[] {
  return models.filter(
    (m) =>
      (filters.type === undefined || m.type === filters.type) &&
      (filters.runtime === undefined || m.runtime === filters.runtime) &&
      (!filters.enabled || m.enabled === true) &&
      (!filters.disabled || m.enabled === false),
  );
}

/** `helix model create|list|get|delete` (docs/reference/rest.md and docs/reference/cli.md), `settings get|set` and `token` (docs/reference/rest.md and docs/reference/cli.md). */
export function registerModel(program: Command, io: CliIo): void {
  const model = program.command('model').description('the model registry (reads for any user, writes for admins)');

  model
    .command('create')
    .description('create a model (and start it if enabled) from flags, a --file with the model JSON, or both')
    .argument('[id]', 'Hugging Face model id, e.g. Qwen/Qwen2.5-VL-7B-Instruct (optional with --file)')
    .option('--file <path>', 'model JSON file (the body of POST /api/v1/models); "-" reads stdin')
    .option('--name <name>', 'display name (required without --file)')
    .addOption(new Option('--type <type>', 'model type').choices(['chat', 'embed', 'image']))
    .option('--runtime <runtime>', 'runtime (vllm)')
    .option('--memory <size>', 'GPU memory the model needs, e.g. 39GB, 40GiB or bytes')
    .option('--context <tokens>', 'context length in tokens (context_length; required for chat)', parseContext)
    .option('--description <text>', 'description')
    .addOption(new Option('--enabled', 'deploy it (the default)').conflicts('disabled'))
    .option('--disabled', 'store it only, do not deploy')
    .option('--auto-pull', 'pull the weights automatically')
    .option('--no-auto-pull', 'do not pull the weights automatically (overrides --file)')
    .option('--prewarm', 'also start it on every runner that joins with room for it')
    .option('--no-prewarm', 'do not prewarm (overrides --file)')
    .option('--runtime-args <json>', `JSON array of extra vLLM arguments, e.g. '["--trust-remote-code"]'`)
    .option('--org <org>', 'the org the model belongs to (org_id; an existing org)')
    .option('--owner <user_id>', 'the user who owns the model (owner_id; an existing user id)')
    .addHelpText('after', MODEL_CREATE_HELP)
    .action(async (id: string | undefined, options: ModelFlags, command: Command) => {
      const ctx = contextFor(command, io);
      const file = options.file !== undefined ? readModelFile(options.file, io.readFile) : undefined;
      const body = buildModelBody(id, options, file);
      const created = await ctx.client.post<ModelView>('/api/v1/models', body);
      emit(ctx, created, {
        kind: 'model',
        ids: idOf(body.id),
        table: (m) => [`Created model ${m?.id ?? body.id}.`, ...(m && typeof m === 'object' ? [renderModel(m)] : [])].join('\n'),
      });
    });

  addModelFlags(
    model
      .command('update')
      .description('change a model: only the fields given (flags or --file) change, the others keep their values')
      .argument('[id]', 'model id (optional with a --file that has the id)')
      .option('--file <path>', 'model JSON file with the fields to change (the seed JSON works too); "-" reads stdin'),
  )
    .addHelpText('after', MODEL_UPDATE_HELP)
    .action(async (id: string | undefined, options: ModelFlags, command: Command) => {
      const ctx = contextFor(command, io);
      const file = options.file !== undefined ? readModelFile(options.file, io.readFile) : undefined;
      const patch = buildModelPatch(id, options, file);
      const updated = await ctx.client.put<ModelView>(modelPath(patch.id), patch.body);
      emit(ctx, updated, {
        kind: 'model',
        ids: idOf(patch.id),
        table: (m) => [`Updated model ${m?.id ?? patch.id}.`, ...(m && typeof m === 'object' ? [renderModel(m)] : [])].join('\n'),
      });
    });

  model
    .command('list')
    .alias('ls')
    .description('list models with their slots (filters: --type, --runtime, --enabled / --disabled)')
    .addOption(new Option('--type <type>', 'only models of this type').choices(['chat', 'embed', 'image']))
    .option('--runtime <runtime>', 'only models of this runtime (vllm)')
    .addOption(new Option('--enabled', 'only enabled models').conflicts('disabled'))
    .option('--disabled', 'only disabled models')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  helix model list',
        '  helix model list --type chat --enabled -o wide',
        '  helix model list --disabled -q          # ids, one per line',
        '  helix model list -o yaml',
        '',
        'Filters apply to every output format (-o json prints the matching models only).',
      ].join('\n'),
    )
    .action(async (options: { type?: string; runtime?: string; enabled?: boolean; disabled?: boolean }, command: Command) => {
      const ctx = contextFor(command, io);
      if (options.enabled && options.disabled) throw usageError('--enabled and --disabled cannot be used together');
      const body = await ctx.client.get<unknown>('/api/v1/models');
      const filtered = filterModels(asList(body), options);
      emit(ctx, filtered, {
        kind: 'model',
        ids: idsOf,
        table: () => renderModels(filtered),
        wide: () => renderModels(filtered, { wide: true }),
      });
    });

  model
    .command('get')
    .description('show a model and its slots: state, error and which token each vLLM process got')
    .argument('<id>', 'model id, e.g. Qwen/Qwen2.5-VL-7B-Instruct')
    .action(async (id: string, _options: unknown, command: Command) => {
      const ctx = contextFor(command, io);
      const found = await ctx.client.get<ModelView>(modelPath(id));
      emit(ctx, found, { kind: 'model', ids: idOf(id), table: renderModel });
    });

  model
    .command('delete')
    .alias('rm')
    .description('delete a model; its slots are stopped first')
    .argument('<id>', 'model id')
    .action(async (id: string, _options: unknown, command: Command) => {
      const ctx = contextFor(command, io);
      const { body } = await ctx.client.delete<ModelView>(modelPath(id));
      emit(ctx, body ?? { id, deleted: true }, {
        kind: 'model',
        ids: idOf(id),
        table: () => {
          const stopped = Array.isArray(body?.slots) ? body.slots.length : 0;
          return `Deleted model ${id}${stopped ? ` (${stopped} slot${stopped === 1 ? '' : 's'} stopped)` : ''}.`;
        },
      });
    });

  const settings = model.command('settings').description("one model's own Hugging Face token: it overrides every other level for that model");
  addSettingsCommands(settings, io, {
    scope: 'model',
    target: (command) => command.argument('<id>', 'model id, e.g. Qwen/Qwen2.5-VL-7B-Instruct'),
    request: ([id]) => ({ scope: 'model', scopeId: id as string, path: scopedSettingsPath.model(id as string) }),
    getDescription: "show whether the model's own token is set, its fingerprint and version (admins, the model's owner, owners of its org)",
    setDescription: "set or clear the model's own token (admins, the model's owner, owners of its org); runners receive it within seconds",
    getExamples: ['helix model settings get Qwen/Qwen2.5-VL-7B-Instruct', 'helix model settings get Qwen/Qwen2.5-VL-7B-Instruct --json'],
    setExamples: [
      'printf %s "$HF_TOKEN" | helix model settings set Qwen/Qwen2.5-VL-7B-Instruct --huggingface-token-stdin',
      "helix model settings set Qwen/Qwen2.5-VL-7B-Instruct --clear-hf-token   # back to the owner's, org's or global token",
      'helix model token Qwen/Qwen2.5-VL-7B-Instruct                           # which level is now used',
    ],
  });

  model
    .command('token')
    .description('show which token a start of the model would use: its chain model -> owner -> org -> global, fingerprints only')
    .argument('<id>', 'model id, e.g. Qwen/Qwen2.5-VL-7B-Instruct')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  helix model token Qwen/Qwen2.5-VL-7B-Instruct',
        '  helix model token Qwen/Qwen2.5-VL-7B-Instruct --json',
        '',
        'The chain lists only the levels that apply (no user level without an owner, no org level without',
        'an org); the first level that is set wins. When none is set, runners use their own HF_TOKEN, or no',
        'token. Which token each running slot actually got is in `helix model get <id>` (TOKEN SOURCE).',
        "Same rights as the model's settings: admins, the model's owner, owners of its org.",
      ].join('\n'),
    )
    .action(async (id: string, _options: unknown, command: Command) => {
      const ctx = contextFor(command, io);
      const chain = await ctx.client.get<TokenChainView>(`/api/v1/models/${encodeURIComponent(id)}/token`);
      emit(ctx, chain, { kind: 'model', ids: (c) => [c?.model_id ?? id], table: renderTokenChain });
    });

  model
    .command('access')
    .description("ask the Hugging Face Hub whether the model's effective token can pull its repository, before any GPU is spent")
    .argument('<id>', 'model id, e.g. meta-llama/Llama-3.1-8B-Instruct')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  helix model access meta-llama/Llama-3.1-8B-Instruct',
        '  helix model access meta-llama/Llama-3.1-8B-Instruct --json',
        '',
        'Access is granted, denied (the Hub refused the token: request access on the repository page),',
        'not_found, or unknown (the Hub could not be asked). The token is the one `helix model token`',
        "shows as effective; a runner's own HF_TOKEN is not known to the control plane.",
        "Same rights as the model's settings: admins, the model's owner, owners of its org.",
      ].join('\n'),
    )
    .action(async (id: string, _options: unknown, command: Command) => {
      const ctx = contextFor(command, io);
      const view = await ctx.client.get<ModelAccessView>(`/api/v1/models/${encodeURIComponent(id)}/access`);
      emit(ctx, view, { kind: 'model', ids: (v) => [v?.model_id ?? id], table: renderModelAccess });
    });
}
