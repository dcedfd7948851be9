import type { SlotErrorCode } from '@helix/contracts';

/** Longest line kept whole; longer lines are cut (see LineSplitter). Tokens are at most 1024 chars. */
export const MAX_LINE_CHARS = 16_384;
const TOKEN_MAX_CHARS = 1024;

/**
 * Splits a byte stream into lines. Lines are only ever handed out whole, so a token that arrives
 * split across two chunks is reassembled before anyone redacts it. A line longer than MAX_LINE_CHARS
 * is handed out once, cut, and the rest of it up to the next newline dropped; `redactLine` runs on the
 * whole retained text first and the last 1024 characters are cut too, so a token straddling the cut
 * cannot leave a prefix behind.
 */
export class LineSplitter {
  private partial = '';
  private dropping = false;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly redactLine: (line: string) => string,
  ) {}

  push(chunk: Buffer | string): void {
    const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
      const piece = text.slice(start, nl);
      start = nl + 1;
      if (this.dropping) {
        this.dropping = false;
        this.partial = '';
        continue;
      }
      this.emit(this.partial + piece);
      this.partial = '';
    }
    if (this.dropping) return;
    this.partial += text.slice(start);
    if (this.partial.length > MAX_LINE_CHARS) {
      const redacted = this.redactLine(this.partial);
      this.onLine(redacted.slice(0, Math.max(0, redacted.length - TOKEN_MAX_CHARS)) + ' …[line truncated]');
      this.partial = '';
      this.dropping = true;
    }
  }

  /** Hands out the last unterminated line, if any. */
  end(): void {
    const rest = this.partial + this.decoder.decode();
    this.partial = '';
    if (!this.dropping && rest.length > 0) this.emit(rest);
    this.dropping = false;
  }

  private emit(line: string): void {
    this.onLine(this.redactLine(line.endsWith('\r') ? line.slice(0, -1) : line));
  }
}

/** A fixed-size ring of the most recent lines. */
export class LineRing {
  private readonly lines: string[] = [];
  constructor(private readonly capacity: number) {}
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.capacity) this.lines.splice(0, this.lines.length - this.capacity);
  }
  toArray(): string[] {
    return [...this.lines];
  }
  last(predicate: (line: string) => boolean): string | undefined {
    for (let i = this.lines.length - 1; i >= 0; i--) if (predicate(this.lines[i])) return this.lines[i];
    return undefined;
  }
}

/**
 * Hugging Face access failures as vLLM / transformers / huggingface_hub print them. Deliberately
 * specific: a bare "401" would also match uvicorn access-log lines of vLLM's own `--api-key` check.
 */
const HF_AUTH_PATTERNS: RegExp[] = [
  /GatedRepoError/,
  /RepositoryNotFoundError/,
  /Cannot access gated repo/i,
  /You are trying to access a gated repo/i,
  /\b40[13] Client Error\b/,
  /Access to model \S+ is restricted/,
  /Invalid credentials in Authorization header/i,
  /Invalid user token/i,
  /If this is a private repository, make sure to pass a token/i,
];

const OOM_PATTERNS: RegExp[] = [/CUDA out of memory/i, /torch\.(cuda\.)?OutOfMemoryError/, /No available memory for the cache blocks/i];

/** What a line of vLLM output says about why it may fail, if anything. */
export function classifyLine(line: string): Extract<SlotErrorCode, 'hf_auth' | 'oom'> | null {
  if (HF_AUTH_PATTERNS.some((re) => re.test(line))) return 'hf_auth';
  if (OOM_PATTERNS.some((re) => re.test(line))) return 'oom';
  return null;
}
