import type { Command } from 'commander';
import { contextFor, type CliIo } from '../context';
import { emit } from '../emit';
import { CliError } from '../errors';
import { renderFields } from '../table';

/** GET /api/v1/version. */
export interface ServerVersionView {
  version: string;
  api: string;
}

export interface VersionView {
  client: { version: string };
  server?: ServerVersionView & { url: string };
}

/** `helix version [--client]`: the CLI's version and the gateway's (kubectl's habit). */
export function registerVersion(program: Command, io: CliIo, clientVersion: string): void {
  program
    .command('version')
    .description("show the CLI's version and the server's (the gateway at HELIX_URL)")
    .option('--client', "only the CLI's version: no request is made")
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  helix version',
        '  helix version -o json          # {"client":{"version":…},"server":{"version":…,"api":"v1","url":…}}',
        '  helix version --client',
        '',
        "`helix --version` prints the CLI's version alone. The server part needs any valid API key.",
      ].join('\n'),
    )
    .action(async (options: { client?: boolean }, command: Command) => {
      const ctx = contextFor(command, io);
      const view: VersionView = { client: { version: clientVersion } };
      if (!options.client) {
        let server: ServerVersionView;
        try {
          server = await ctx.client.get<ServerVersionView>('/api/v1/version');
        } catch (err) {
          // kubectl's habit: the client's version is known whatever happens to the server.
          if (err instanceof CliError) throw new CliError(`helix ${clientVersion}; the server's version is unknown: ${err.message}`, err.exitCode);
          throw err;
        }
        view.server = { version: String(server?.version ?? 'unknown'), api: String(server?.api ?? 'unknown'), url: ctx.client.baseUrl };
      }
      emit(ctx, view, {
        kind: 'version',
        ids: (v) => [v.client.version, v.server?.version],
        table: (v) =>
          renderFields([
            ['Client version', v.client.version],
            ...(v.server ? ([['Server version', `${v.server.version} (API ${v.server.api}, ${v.server.url})`]] as Array<[string, string]>) : []),
          ]),
      });
    });
}
