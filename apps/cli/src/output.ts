import { oneLine } from './errors';

export const REDACTED = '[REDACTED]';

export interface Sink {
  write(text: string): unknown;
}

/**
 * Everything the CLI prints goes through here. Every known secret (the Hugging Face token being
 * set, the caller's API key) is replaced by [REDACTED] before it reaches a terminal or a pipe —
 * a last line of defence: nothing the CLI prints on purpose contains them.
 */
export class Output {
  private readonly secrets = new Set<string>();

  constructor(
    private readonly stdout: Sink,
    private readonly stderr: Sink,
  ) {}

  addSecret(value: string | undefined | null): void {
    if (value && value.length >= 4) this.secrets.add(value);
  }

  scrub(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join(REDACTED);
    return out;
  }

  /** A line (or block) of normal output on stdout. */
  print(text = ''): void {
    this.stdout.write(this.scrub(text) + '\n');
  }

  /** The API's JSON, pretty-printed, on stdout (the `--json` contract). */
  json(value: unknown): void {
    this.print(JSON.stringify(value ?? null, null, 2));
  }

  /** Notes and warnings go to stderr so that stdout stays parseable. */
  note(text: string): void {
    this.stderr.write(this.scrub(text) + '\n');
  }

  warn(text: string): void {
    this.stderr.write(this.scrub(`warning: ${oneLine(text)}`) + '\n');
  }

  /** Exactly one line on stderr. */
  error(text: string): void {
    this.stderr.write(this.scrub(`error: ${oneLine(text)}`) + '\n');
  }

  /** Raw text from commander (help on stdout / usage errors on stderr). */
  raw(stream: 'stdout' | 'stderr', text: string): void {
    (stream === 'stdout' ? this.stdout : this.stderr).write(this.scrub(text));
  }
}
