import { Readable } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { fingerprint } from '@helix/secrets';
import { describe, expect, it } from 'vitest';
import { CliError, EXIT_USAGE } from './errors';
import { Output } from './output';
import { addTokenOptions, SAY_WHAT_TO_SET, tokenFromFlags, tokenMode, warnOnFingerprintMismatch, type TokenFlags } from './token-flags';

const TOKEN = 'hf_flagSpecCanary0123456789';

function capture() {
  let stdout = '';
  let stderr = '';
  const out = new Output({ write: (t: string) => (stdout += t) }, { write: (t: string) => (stderr += t) });
  return { out, text: () => ({ stdout, stderr }) };
}

/** Parses argv with a `set` command carrying the three options, as every `… settings set` does. */
function parse(argv: string[]): { flags?: TokenFlags; error?: string } {
  let error = '';
  const set = addTokenOptions(new Command('set').exitOverride(), 'the fallback')
    .configureOutput({ writeErr: (t) => (error += t), writeOut: () => undefined })
    .action(() => undefined);
  try {
    set.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return { error };
    throw err;
  }
  return { flags: set.opts<TokenFlags>() };
}

const usage = (fn: () => unknown): CliError => {
  try {
    fn();
  } catch (err) {
    return err as CliError;
  }
  throw new Error('expected a usage error');
};

describe('token flags', () => {
  it('each of the three ways parses to its mode', () => {
    expect(tokenMode(parse(['--huggingface-token', TOKEN]).flags!)).toEqual({ kind: 'flag', token: TOKEN });
    expect(tokenMode(parse([`--huggingface-token=${TOKEN}`]).flags!)).toEqual({ kind: 'flag', token: TOKEN });
    expect(tokenMode(parse(['--huggingface-token-stdin']).flags!)).toEqual({ kind: 'stdin' });
    expect(tokenMode(parse(['--clear-hf-token']).flags!)).toEqual({ kind: 'clear' });
  });

  it('none is a usage error (exit 2) saying what to give', () => {
    const err = usage(() => tokenMode(parse([]).flags!));
    expect(err).toBeInstanceOf(CliError);
    expect(err.exitCode).toBe(EXIT_USAGE);
    expect(err.message).toBe(SAY_WHAT_TO_SET);
  });

  it('any two together are refused by the parser, without quoting the token', () => {
    for (const argv of [
      ['--huggingface-token', TOKEN, '--clear-hf-token'],
      ['--huggingface-token', TOKEN, '--huggingface-token-stdin'],
      ['--huggingface-token-stdin', '--clear-hf-token'],
      ['--clear-hf-token', '--huggingface-token-stdin'],
    ]) {
      const { flags, error } = parse(argv);
      expect(flags).toBeUndefined();
      expect(error).toMatch(/cannot be used with/);
      expect(error).not.toContain(TOKEN);
    }
    // …and, should a caller bypass the parser, by tokenMode too.
    expect(usage(() => tokenMode({ huggingfaceToken: TOKEN, clearHfToken: true })).message).not.toContain(TOKEN);
  });

  it('--clear-hf-token help names what the scope falls back to', () => {
    const help = addTokenOptions(new Command('set'), "the org's models fall back to the global token").helpInformation();
    expect(help.replace(/\s+/g, ' ')).toContain("--clear-hf-token clear the token (the org's models fall back to the global token)");
  });

  it('a flag token is trimmed, checked (exit 2 when malformed), registered as a secret; always with a warning', async () => {
    const { out, text } = capture();
    expect(await tokenFromFlags({ huggingfaceToken: ` ${TOKEN} ` }, { out, stdin: Readable.from([]), interactive: true })).toBe(TOKEN);
    out.print(`echo ${TOKEN}`);
    expect(text().stdout).toBe('echo [REDACTED]\n');
    expect(text().stderr).toMatch(/^warning: the token given with --huggingface-token is visible to other local users in the process list/);
    await expect(tokenFromFlags({ huggingfaceToken: 'hf_a b' }, { out, stdin: Readable.from([]), interactive: false })).rejects.toMatchObject({
      exitCode: EXIT_USAGE,
      message: expect.stringMatching(/printable ASCII characters without white space/),
    });
  });

  it('stdin: the piped token without its newline; empty stdin is exit 1; clear is null', async () => {
    const { out, text } = capture();
    expect(await tokenFromFlags({ huggingfaceTokenStdin: true }, { out, stdin: Readable.from([Buffer.from(`${TOKEN}\n`)]), interactive: false })).toBe(TOKEN);
    out.note(TOKEN);
    expect(text().stderr).toBe('[REDACTED]\n');
    await expect(tokenFromFlags({ huggingfaceTokenStdin: true }, { out, stdin: Readable.from([Buffer.from('\n')]), interactive: false })).rejects.toMatchObject(
      {
        exitCode: 1,
        message: 'no Hugging Face token on stdin',
      },
    );
    expect(await tokenFromFlags({ clearHfToken: true }, { out, stdin: Readable.from([]), interactive: false })).toBeNull();
  });

  it('warns when the server fingerprint is not the one of the token sent', () => {
    const { out, text } = capture();
    warnOnFingerprintMismatch(out, fingerprint(TOKEN), TOKEN);
    expect(text().stderr).toBe('');
    warnOnFingerprintMismatch(out, 'sha256:000000000000', TOKEN);
    expect(text().stderr).toBe(`warning: the server reports fingerprint sha256:000000000000 but the token sent has ${fingerprint(TOKEN)}\n`);
  });
});
