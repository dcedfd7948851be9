import type { Command } from 'commander';
import { ApiClient, DEFAULT_URL } from './api-client';
import { usageError } from './errors';
import type { Output } from './output';
import type { TokenInput } from './token-input';

/** The process around the CLI, injected so that the whole program runs in unit tests too. */
export interface CliIo {
  out: Output;
  env: Record<string, string | undefined>;
  stdin: TokenInput;
  /** Whether the user is at an interactive terminal (stdin is a TTY). */
  interactive: boolean;
  /** Whether stderr is a terminal: `--wait` then prints its progress there. */
  progress?: boolean;
  fetch?: typeof fetch;
  /** Reads `--file` (tests inject it); `-` means stdin. */
  readFile?: (path: string) => string;
  /** Waits between polls (`--wait`, `runner wait`); tests may inject it. */
  sleep?: (ms: number) => Promise<void>;
  /** Milliseconds since some origin (`--timeout`); tests may inject it. */
  now?: () => number;
}

/** `-o`: how a command prints what it got. `table` is the default (no `-o`). */
export const OUTPUT_FORMATS = ['json', 'yaml', 'wide', 'name'] as const;
export type OutputFormat = 'table' | (typeof OUTPUT_FORMATS)[number];

export interface GlobalOptions {
  url?: string;
  apiKey?: string;
  json?: boolean;
  output?: Exclude<OutputFormat, 'table'>;
  quiet?: boolean;
}

export interface CommandContext {
  client: ApiClient;
  /** `-o` (or `--json`); `table` without either. */
  format: OutputFormat;
  /** `-q`: ids only, one per line. */
  quiet: boolean;
  /** Shorthand for `format === 'json'`. */
  json: boolean;
  out: Output;
}

const nonEmpty = (value: string | undefined): string | undefined => (value && value.trim() ? value.trim() : undefined);

/** `--json` is `-o json`; `-q` prints ids and so cannot be combined with another format. */
export function outputFormat(opts: GlobalOptions): { format: OutputFormat; quiet: boolean } {
  if (opts.json && opts.output !== undefined && opts.output !== 'json') throw usageError(`--json is -o json: it cannot be combined with -o ${opts.output}`);
  const format: OutputFormat = opts.json ? 'json' : (opts.output ?? 'table');
  const quiet = opts.quiet === true;
  if (quiet && format !== 'table') throw usageError(`-q prints ids only: it cannot be combined with ${opts.json ? '--json' : `-o ${format}`}`);
  return { format, quiet };
}

/** --url / --api-key win over HELIX_URL / HELIX_API_KEY; -o / --json / -q may be given before or after the command. */
export function contextFor(command: Command, io: CliIo): CommandContext {
  const opts = command.optsWithGlobals<GlobalOptions>();
  const { format, quiet } = outputFormat(opts);
  const apiKey = nonEmpty(opts.apiKey) ?? nonEmpty(io.env.HELIX_API_KEY);
  io.out.addSecret(apiKey);
  const client = new ApiClient({
    baseUrl: nonEmpty(opts.url) ?? nonEmpty(io.env.HELIX_URL) ?? DEFAULT_URL,
    apiKey,
    fetch: io.fetch,
  });
  return { client, format, quiet, json: format === 'json', out: io.out };
}
