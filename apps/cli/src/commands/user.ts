import type { Command } from 'commander';
import type { ApiKeyView, CreatedApiKeyView, CreatedUserView, UserView } from '@helix/contracts';
import { contextFor, type CliIo } from '../context';
import { emit, idOf, idsOf } from '../emit';
import { renderApiKeys, renderCreatedApiKey, renderCreatedUser, renderDeletedUser, renderRevokedApiKey, renderUsers } from '../views';
import { addSettingsCommands, scopedSettingsPath } from './scoped-settings';

const USER_HELP = `
Examples:
  helix user create --name alice
  helix user delete 3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b
  helix user key list                                                              # your API keys
  helix user key create --user 3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b                # admin: a key for another user
  printf %s "$HF_TOKEN" | helix user settings set --huggingface-token-stdin     # your own token
  helix user settings get --user 3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b            # admin: another user's

Admins create and delete users. Everyone manages their own API keys and Hugging Face token ("user settings"
without --user); admins also any user's (--user <id>). A user's token is used by the models they
own that have no model token of their own.`;

/** `-q` / `-o name` print ids only: the new API key (shown once) is then lost, which deserves a warning. */
const KEY_NOT_PRINTED = (what: 'user' | 'key', id: string | undefined) =>
  `the new API key was not printed (${what === 'user' ? `-q / -o name print the user's id only; create a key for it with: helix user key create --user ${id ?? '<id>'}` : '-q / -o name print the key id only; use -o json to keep the key'})`;

const keyPath = (userId: string | undefined, keyId?: string) =>
  `/api/v1/users/${userId === undefined ? 'me' : encodeURIComponent(userId)}/keys${keyId === undefined ? '' : `/${encodeURIComponent(keyId)}`}`;

/** `helix user create|delete` (docs/reference/rest.md and docs/reference/cli.md), `helix user key list|create|revoke` and `helix user settings get|set` (docs/reference/rest.md and docs/reference/cli.md). */
export function registerUser(program: Command, io: CliIo): void {
  const user = program.command('user').description('users and their API keys (admin), and user tokens').addHelpText('after', USER_HELP);
  user
    .command('create')
    .description('create a user and print its API key (shown once)')
    .requiredOption('--name <name>', 'user name: 1-64 letters, digits, ".", "_", "-", "@"')
    .option('--admin', 'make the user an admin', false)
    .action(async (options: { name: string; admin: boolean }, command: Command) => {
      const ctx = contextFor(command, io);
      const created = await ctx.client.post<CreatedUserView>('/api/v1/users', { name: options.name, admin: options.admin === true });
      emit(ctx, created, { kind: 'user', ids: idOf(), table: renderCreatedUser });
      if (ctx.quiet || ctx.format === 'name') ctx.out.warn(KEY_NOT_PRINTED('user', created?.id));
    });

  user
    .command('list')
    .alias('ls')
    .description('list users (admin): id, name, admin, created')
    .addHelpText(
      'after',
      ['', 'Examples:', '  helix user list', '  helix user list -o yaml', '  helix user list -q              # ids, one per line'].join('\n'),
    )
    .action(async (_options: unknown, command: Command) => {
      const ctx = contextFor(command, io);
      const users = await ctx.client.get<UserView[]>('/api/v1/users');
      emit(ctx, users, { kind: 'user', ids: idsOf, table: (list) => renderUsers(Array.isArray(list) ? list : []) });
    });

  user
    .command('delete')
    .alias('rm')
    .description('delete a user (admin): its API keys stop working, its token is cleared, its memberships go, its models lose their owner')
    .argument('<id>', 'user id (as helix user create printed it)')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  helix user delete 3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b',
        '  helix user delete 3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b --json    # the deleted user',
        '',
        'An admin cannot delete their own user.',
      ].join('\n'),
    )
    .action(async (id: string, _options: unknown, command: Command) => {
      const ctx = contextFor(command, io);
      const { body } = await ctx.client.delete<UserView>(`/api/v1/users/${encodeURIComponent(id)}`);
      emit(ctx, body ?? { id, deleted: true }, { kind: 'user', ids: idOf(id), table: () => renderDeletedUser(body, id) });
    });

  registerKeys(user, io);

  const settings = user.command('settings').description("a user's Hugging Face token (yours by default): used by the models they own without a model token");
  const target = (command: Command) => command.option('--user <id>', "another user's id (admin); default: yourself");
  const request = (args: unknown[]) => {
    const { user: userId } = args.at(-1) as { user?: string };
    return { scope: 'user' as const, scopeId: userId, path: scopedSettingsPath.user(userId) };
  };
  addSettingsCommands(settings, io, {
    scope: 'user',
    target,
    request,
    getDescription: "show whether your (or, with --user, that user's) token is set, its fingerprint and version",
    setDescription: "set or clear your (or, with --user, that user's: admin) token; runners receive it within seconds",
    getExamples: ['helix user settings get', 'helix user settings get --user 3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b --json'],
    setExamples: [
      'printf %s "$HF_TOKEN" | helix user settings set --huggingface-token-stdin',
      'helix user settings set --huggingface-token-stdin      # prompts, input hidden',
      'printf %s "$HF_TOKEN" | helix user settings set --user 3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b --huggingface-token-stdin',
      "helix user settings set --clear-hf-token               # your models fall back to their org's or the global token",
    ],
  });
}

const KEY_HELP = `
Examples:
  helix user key list                                  # your keys: prefix, created, revoked, bootstrap
  helix user key create                                # a second key for you (printed once)
  helix user key revoke 6f2b0c1e-8d4a-4f5e-9a7b-1c2d3e4f5a6b
  helix user key list --user 3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b --json     # admin: another user's

Rotate your key: "key create", switch HELIX_API_KEY to the new key, then "key revoke" the old one.
A revoked key is refused at once. Nobody can revoke their own last active key; an admin can revoke
another user's. The key of HELIX_ADMIN_API_KEY is marked "bootstrap": change that variable and
restart the gateway to rotate it.`;

/** `helix user key list|create|revoke [--user <id>]`: the caller's API keys, or (admin) another user's. */
function registerKeys(user: Command, io: CliIo): void {
  const key = user.command('key').description("API keys: yours by default; an admin also any user's (--user <id>)").addHelpText('after', KEY_HELP);
  const forUser = (command: Command) => command.option('--user <id>', "another user's id (admin); default: yourself");

  forUser(key.command('list').alias('ls').description('list API keys (prefix and times; a key itself is shown only when created)'))
    .addHelpText('after', ['', 'Examples:', '  helix user key list', '  helix user key list --user 3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b --json'].join('\n'))
    .action(async (options: { user?: string }, command: Command) => {
      const ctx = contextFor(command, io);
      const keys = await ctx.client.get<ApiKeyView[]>(keyPath(options.user));
      emit(ctx, keys, { kind: 'key', ids: idsOf, table: (list) => renderApiKeys(list, options.user) });
    });

  forUser(key.command('create').description('create an API key and print it (shown once)'))
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  helix user key create',
        '  helix user key create --user 3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b --json   # admin; {"id","prefix","created","api_key"}',
        '',
        'The key is printed this once and stored only as a hash: save it now.',
      ].join('\n'),
    )
    .action(async (options: { user?: string }, command: Command) => {
      const ctx = contextFor(command, io);
      const created = await ctx.client.post<CreatedApiKeyView>(keyPath(options.user), {});
      emit(ctx, created, { kind: 'key', ids: idOf(), table: (k) => renderCreatedApiKey(k, options.user) });
      if (ctx.quiet || ctx.format === 'name') ctx.out.warn(KEY_NOT_PRINTED('key', created?.id));
    });

  forUser(
    key.command('revoke').description('revoke an API key at once (not your last active one)').argument('<key_id>', 'key id (as helix user key list shows it)'),
  )
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  helix user key revoke 6f2b0c1e-8d4a-4f5e-9a7b-1c2d3e4f5a6b',
        '  helix user key revoke 6f2b0c1e-8d4a-4f5e-9a7b-1c2d3e4f5a6b --user 3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b --json',
        '',
        'Revoking a revoked key says so again. Your own last active key cannot be revoked: create another first.',
      ].join('\n'),
    )
    .action(async (keyId: string, options: { user?: string }, command: Command) => {
      const ctx = contextFor(command, io);
      const { body } = await ctx.client.delete<ApiKeyView>(keyPath(options.user, keyId));
      emit(ctx, body ?? { id: keyId, revoked: true }, { kind: 'key', ids: idOf(keyId), table: () => renderRevokedApiKey(body, keyId) });
    });
}
