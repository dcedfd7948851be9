import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { registerAudit } from './commands/audit';
import { registerCompletion } from './commands/completion';
import { registerModel } from './commands/model';
import { registerOrg } from './commands/org';
import { registerRunner } from './commands/runner';
import { registerSystem } from './commands/system';
import { registerUser } from './commands/user';
import { registerVersion } from './commands/version';
import { OUTPUT_FORMATS, type CliIo } from './context';
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, oneLine } from './errors';

/** The repository's package (dist/apps/cli) or the packed `@helix/cli` (its bundle sits next to its package.json). */
const PACKAGE_NAMES = ['helix-token-plane', '@helix/cli'];

export function packageVersion(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name && PACKAGE_NAMES.includes(pkg.name) && pkg.version) return pkg.version;
      } catch {
        /* keep looking */
      }
    }
    dir = dirname(dir);
  }
  return '0.0.0';
}

const GLOBAL_HELP = `
Environment:
  HELIX_URL       the gateway (default http://localhost:8080), with or without /api/v1; --url wins
  HELIX_API_KEY   your API key; --api-key wins (prefer the variable: it stays out of ps)

Output: a table by default; -o json|yaml (the API's JSON), -o wide (more columns), -o name
(<kind>/<id> lines), -q (ids only). Warnings and progress go to stderr.

Exit codes: 0 ok, 1 the request failed (API error, server unreachable, unusable input file),
2 the command line is wrong, 3 --wait / runner wait timed out (the change itself was made).`;

export function buildProgram(io: CliIo): Command {
  const program = new Command('helix');
  program
    .description('Helix token plane: models, runners and the central Hugging Face token')
    .version(packageVersion(), '-V, --version')
    .option('--url <url>', 'gateway URL (env HELIX_URL, default http://localhost:8080)')
    .option('--api-key <key>', 'API key (env HELIX_API_KEY)')
    .addOption(
      new Option('-o, --output <format>', "output format: json or yaml (the API's JSON), wide (more columns), name (<kind>/<id>)").choices(OUTPUT_FORMATS),
    )
    .option('--json', 'the same as -o json')
    .option('-q, --quiet', 'print only the ids of the resources, one per line')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .configureOutput({
      writeOut: (text) => io.out.raw('stdout', text),
      writeErr: (text) => io.out.raw('stderr', text),
      // Usage errors are one line too (commander puts "Did you mean …?" on a second one).
      outputError: (text, write) => write(`${oneLine(text)}\n`),
    })
    .showSuggestionAfterError(true)
    .exitOverride()
    .addHelpText('after', GLOBAL_HELP);

  registerSystem(program, io);
  registerModel(program, io);
  registerRunner(program, io);
  registerUser(program, io);
  registerAudit(program, io);
  registerOrg(program, io);
  registerVersion(program, io, packageVersion());
  registerCompletion(program, io);
  return program;
}

/**
 * Values that must never be printed, found on the raw command line before parsing (so that even a
 * usage error cannot echo them): --huggingface-token and --api-key in both spellings.
 */
export function secretsOnCommandLine(argv: string[]): string[] {
  const found: string[] = [];
  argv.forEach((arg, i) => {
    for (const flag of ['--huggingface-token', '--api-key']) {
      if (arg === flag && i + 1 < argv.length) found.push(argv[i + 1]);
      else if (arg.startsWith(`${flag}=`)) found.push(arg.slice(flag.length + 1));
    }
  });
  return found;
}

/** Runs one `helix …` invocation (argv without node and script) and returns the exit code. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  for (const secret of secretsOnCommandLine(argv)) io.out.addSecret(secret);
  io.out.addSecret(io.env.HELIX_API_KEY);
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and --version "exit" through here with 0; a group without its subcommand shows help with 1.
      if (err.exitCode === 0) return EXIT_OK;
      return EXIT_USAGE;
    }
    if (err instanceof CliError) {
      io.out.error(err.message);
      return err.exitCode;
    }
    io.out.error(`unexpected failure: ${(err as Error)?.message ?? String(err)}`);
    return EXIT_FAILURE;
  }
}
