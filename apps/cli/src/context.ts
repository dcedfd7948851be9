import type { Command } from 'commander';
import { ApiClient, DEFAULT_URL } from './api-client';
import type { Output } from './output';
import type { TokenInput } from './token-input';

/** The process around the CLI, injected so that the whole program runs in unit tests too. */
export interface CliIo {
  out: Output;
  env: Record<string, string | undefined>;
  stdin: TokenInput;
  /** Whether the user is at an interactive terminal (stdin is a TTY). */
  interactive: boolean;
  fetch?: typeof fetch;
  /** Reads `--file` (tests inject it); `-` means stdin. */
  readFile?: (path: string) => string;
}

export interface GlobalOptions {
  url?: string;
  apiKey?: string;
  json?: boolean;
}

export interface CommandContext {
  client: ApiClient;
  json: boolean;
  out: Output;
}

const nonEmpty = (value: string | undefined): string | undefined => (value && value.trim() ? value.trim() : undefined);

/** --url / --api-key win over HELIX_URL / HELIX_API_KEY; --json may be given before or after the command. */
export function contextFor(command: Command, io: CliIo): CommandContext {
  const opts = command.optsWithGlobals<GlobalOptions>();
  const apiKey = nonEmpty(opts.apiKey) ?? nonEmpty(io.env.HELIX_API_KEY);
  io.out.addSecret(apiKey);
  const client = new ApiClient({
    baseUrl: nonEmpty(opts.url) ?? nonEmpty(io.env.HELIX_URL) ?? DEFAULT_URL,
    apiKey,
    fetch: io.fetch,
  });
  return { client, json: opts.json === true, out: io.out };
}
