#!/usr/bin/env node
// `helix-nats-setup <dir> [--runner <id>]… [--admin]` (docs/reference/security.md): writes <dir>/nats.conf and one
// NATS credentials file per role. Running it again reuses the keys in <dir>/keys and issues the
// credentials again (e.g. for a new runner) without a server restart.
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { RUNNER_ID_PATTERN } from '@helix/contracts';
import { setupNatsAuth } from './src/issue';

function runnerId(value: string, previous: string[]): string[] {
  if (!RUNNER_ID_PATTERN.test(value)) throw new InvalidArgumentError('a runner id is 1 to 64 of A-Z a-z 0-9 _ -.');
  return [...previous, value];
}

const program = new Command('helix-nats-setup')
  .description('Write a nats-server configuration with Helix users and permissions, and one credentials file per role.')
  .argument('<dir>', 'directory for nats.conf, keys/ and the .creds files (created 0700; files 0600)')
  .option('--runner <id>', 'issue runner-<id>.creds (repeat for each runner)', runnerId, [])
  .option('--admin', 'also issue admin.creds, allowed every subject (operators and tests; never give it to a service)', false)
  .option('--json', 'print what was written as JSON', false)
  .action(async (dir: string, options: { runner: string[]; admin: boolean; json: boolean }) => {
    const result = await setupNatsAuth(resolve(dir), { runners: options.runner, admin: options.admin });
    if (options.json) {
      process.stdout.write(JSON.stringify({ config: result.config, credentials: result.credentials, created_keys: result.createdKeys }) + '\n');
      return;
    }
    process.stdout.write(`${result.createdKeys ? 'created' : 'kept'} ${result.config}\n`);
    for (const file of result.credentials) process.stdout.write(`wrote ${file}\n`);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`helix-nats-setup: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
