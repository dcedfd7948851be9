import type { Command } from 'commander';
import type { CreatedUserView, UserView } from '@helix/contracts';
import { contextFor, type CliIo } from '../context';
import { renderCreatedUser, renderDeletedUser } from '../views';
import { addSettingsCommands, scopedSettingsPath } from './scoped-settings';

const USER_HELP = `
Examples:
  helix user create --name alice
  helix user delete 3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b
  printf %s "$HF_TOKEN" | helix user settings set --huggingface-token-stdin     # your own token
  helix user settings get --user 3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b            # admin: another user's

Admins create and delete users. Everyone manages their own Hugging Face token ("user settings"
without --user); admins also any user's (--user <id>). A user's token is used by the models they
own that have no model token of their own.`;

/** `helix user create|delete` (SPEC §4.2, §9) and `helix user settings get|set` (SPEC §11.3, §11.6). */
export function registerUser(program: Command, io: CliIo): void {
  const user = program.command('user').description('users and their API keys (admin), and user tokens').addHelpText('after', USER_HELP);
  user
    .command('create')
    .description('create a user and print its API key (shown once)')
    .requiredOption('--name <name>', 'user name: 1-64 letters, digits, ".", "_", "-", "@"')
    .option('--admin', 'make the user an admin', false)
    .action(async (options: { name: string; admin: boolean }, command: Command) => {
      const { client, json, out } = contextFor(command, io);
      const created = await client.post<CreatedUserView>('/api/v1/users', { name: options.name, admin: options.admin === true });
      if (json) return out.json(created);
      out.print(renderCreatedUser(created));
    });

  user
    .command('delete')
    .alias('rm')
    .description('delete a user (admin): its API key stops working, its token is cleared, its memberships go, its models lose their owner')
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
      const { client, json, out } = contextFor(command, io);
      const { body } = await client.delete<UserView>(`/api/v1/users/${encodeURIComponent(id)}`);
      if (json) return out.json(body ?? { id, deleted: true });
      out.print(renderDeletedUser(body, id));
    });

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
