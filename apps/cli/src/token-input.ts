import { CliError } from './errors';

/** docs/reference/rest.md: 1–1024 printable ASCII characters without white space. */
export const HF_TOKEN_PATTERN = /^[\x21-\x7E]{1,1024}$/;
const MAX_STDIN_BYTES = 64 * 1024;

export interface TokenInput extends AsyncIterable<Buffer | string> {
  isTTY?: boolean;
  setRawMode?: (mode: boolean) => unknown;
  setEncoding?: (encoding: BufferEncoding) => unknown;
  on?: (event: 'data', listener: (chunk: string) => void) => unknown;
  off?: (event: 'data', listener: (chunk: string) => void) => unknown;
  resume?: () => unknown;
  pause?: () => unknown;
}

/** Checks a token without ever quoting it. `origin` says where it came from, for the message. */
export function checkToken(token: string, origin: string, exitCode?: number): string {
  if (!token) throw new CliError(`no Hugging Face token ${origin}`, exitCode);
  if (!HF_TOKEN_PATTERN.test(token)) {
    throw new CliError(`the Hugging Face token ${origin} must be 1 to 1024 printable ASCII characters without white space (it was not sent)`, exitCode);
  }
  return token;
}

/**
 * `--huggingface-token <t>` puts the token in the process's argv: while the command runs any local
 * user can read it (`ps`, /proc/<pid>/cmdline), and an interactive shell may keep it in its history.
 * Said every time, at a terminal or in a script, on one line of stderr.
 */
export const COMMAND_LINE_TOKEN_WARNING =
  'the token given with --huggingface-token is visible to other local users in the process list while this command runs (and may stay in your shell history); --huggingface-token-stdin avoids it';

/** The token from a pipe or file: everything on stdin, surrounding white space (the newline) removed. */
export async function readTokenFromPipe(input: AsyncIterable<Buffer | string>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buf.length;
    if (size > MAX_STDIN_BYTES) throw new CliError('stdin is too large to be a Hugging Face token');
    chunks.push(buf);
  }
  return checkToken(Buffer.concat(chunks).toString('utf8').trim(), 'on stdin');
}

/** At a terminal: a prompt on stderr, the typed or pasted token not echoed. */
export function promptHidden(input: TokenInput, prompt: (text: string) => void): Promise<string> {
  const { setRawMode, on, off } = input;
  if (!setRawMode || !on || !off) return readTokenFromPipe(input);
  prompt('Hugging Face token (input hidden): ');
  setRawMode.call(input, true);
  input.setEncoding?.('utf8');
  input.resume?.();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (): void => {
      setRawMode.call(input, false);
      off.call(input, 'data', onData);
      input.pause?.();
      prompt('\n');
    };
    const onData = (chunk: string): void => {
      for (const ch of String(chunk)) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          finish();
          try {
            resolve(checkToken(value.trim(), 'was entered'));
          } catch (err) {
            reject(err);
          }
          return;
        }
        if (ch === '\u0003') {
          finish();
          reject(new CliError('cancelled', 130));
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    on.call(input, 'data', onData);
  });
}

/** `--huggingface-token-stdin`: piped (`printf %s "$HF_TOKEN" | helix …`) or typed at a hidden prompt. */
export function readTokenFromStdin(input: TokenInput, prompt: (text: string) => void): Promise<string> {
  return input.isTTY ? promptHidden(input, prompt) : readTokenFromPipe(input);
}
