import type { Command } from 'commander';
import type { CreatedUserView } from '@helix/contracts';
import { contextFor, type CliIo } from '../context';
import { renderCreatedUser } from '../views';

/** `helix user create --name <n> [--admin]` (SPEC §4.2, §9). */
export function registerUser(program: Command, io: CliIo): void {
  const user = program.command('user').description('users and their API keys (admin)');
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
}
