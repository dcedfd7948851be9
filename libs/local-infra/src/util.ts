import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Splits a byte stream into UTF-8 lines (without the trailing newline); flushes the tail on end. */
export function onLines(stream: Readable | null | undefined, cb: (line: string) => void): void {
  if (!stream) return;
  const decoder = new StringDecoder('utf8');
  let buf = '';
  stream.on('data', (chunk: Buffer) => {
    buf += decoder.write(chunk);
    let idx: number;
    while ((idx = buf.indexOf('\n')) >= 0) {
      cb(buf.slice(0, idx).replace(/\r$/, ''));
      buf = buf.slice(idx + 1);
    }
  });
  stream.on('end', () => {
    buf += decoder.end();
    if (buf.length > 0) cb(buf);
    buf = '';
  });
}

/** Bounded in-memory log ring. */
export class LogBuffer {
  readonly lines: string[] = [];
  constructor(private readonly max = 20_000) {}
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
  }
  tail(n = 30): string {
    return this.lines.slice(-n).join('\n');
  }
}
