import { Option, type Command } from 'commander';
import { fingerprint } from '@helix/secrets';
import { EXIT_USAGE, usageError } from './errors';
import type { Output } from './output';
import { checkToken, COMMAND_LINE_TOKEN_WARNING, readTokenFromStdin, type TokenInput } from './token-input';

/**
 * The three ways of every `… settings set` command (docs/reference/cli.md): exactly one of
 * `--huggingface-token <t>`, `--huggingface-token-stdin` and `--clear-hf-token`.
 */
export interface TokenFlags {
  huggingfaceToken?: string;
  huggingfaceTokenStdin?: boolean;
  clearHfToken?: boolean;
}

export type TokenMode = { kind: 'flag'; token: string } | { kind: 'stdin' } | { kind: 'clear' };

export const SAY_WHAT_TO_SET = 'say what to set: --huggingface-token-stdin, --huggingface-token <token> or --clear-hf-token';

/** Adds the three options; commander refuses any two of them together (a usage error, exit 2). */
export function addTokenOptions(command: Command, clearEffect: string): Command {
  return command
    .addOption(
      new Option('--huggingface-token <token>', 'the token (prefer --huggingface-token-stdin: a command line is visible in ps and shell history)').conflicts([
        'huggingfaceTokenStdin',
        'clearHfToken',
      ]),
    )
    .addOption(new Option('--huggingface-token-stdin', 'read the token from stdin (piped, or typed at a hidden prompt)').conflicts(['clearHfToken']))
    .option('--clear-hf-token', `clear the token (${clearEffect})`);
}

/** Which of the three was given; none (or, defensively, more than one) is a usage error. Never quotes the token. */
export function tokenMode(flags: TokenFlags): TokenMode {
  const given = [flags.huggingfaceToken !== undefined, flags.huggingfaceTokenStdin === true, flags.clearHfToken === true].filter(Boolean).length;
  if (given === 0) throw usageError(SAY_WHAT_TO_SET);
  if (given > 1) throw usageError('give only one of --huggingface-token <token>, --huggingface-token-stdin and --clear-hf-token');
  if (flags.huggingfaceToken !== undefined) return { kind: 'flag', token: flags.huggingfaceToken };
  return flags.huggingfaceTokenStdin ? { kind: 'stdin' } : { kind: 'clear' };
}

export interface TokenSource {
  out: Output;
  stdin: TokenInput;
  interactive: boolean;
}

/**
 * The token to send (`null` clears): checked before anything is sent, registered with the output as
 * a secret, and, when it came on the command line, with a warning that it is visible in `ps`.
 */
export async function tokenFromFlags(flags: TokenFlags, io: TokenSource): Promise<string | null> {
  const mode = tokenMode(flags);
  const { out } = io;
  if (mode.kind === 'flag') {
    out.addSecret(mode.token);
    out.addSecret(mode.token.trim());
    // Said even when the token is then refused: it has been on the command line all the same.
    out.warn(COMMAND_LINE_TOKEN_WARNING);
    return checkToken(mode.token.trim(), 'given with --huggingface-token', EXIT_USAGE);
  }
  if (mode.kind === 'stdin') {
    const token = await readTokenFromStdin(io.stdin, (text) => out.raw('stderr', text));
    out.addSecret(token);
    return token;
  }
  return null;
}

/** The server's fingerprint should be the one of the token sent; a mismatch is worth a warning. */
export function warnOnFingerprintMismatch(out: Output, serverFingerprint: string | null | undefined, token: string): void {
  const local = fingerprint(token);
  if (serverFingerprint !== local) out.warn(`the server reports fingerprint ${serverFingerprint} but the token sent has ${local}`);
}

/** The help lines every `set` command shows about the token never being printed. */
export const TOKEN_NEVER_PRINTED = 'The token is never printed back: the CLI shows its fingerprint (sha256: + 12 hex digits).';
