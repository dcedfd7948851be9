import { describe, expect, it } from 'vitest';
import { redact } from '@helix/secrets';
import { classifyLine, LineRing, LineSplitter, MAX_LINE_CHARS } from './output';

const TOKEN = 'hf_splitAcrossChunks_0123456789';

function splitter(secrets: string[] = [TOKEN]) {
  const lines: string[] = [];
  const s = new LineSplitter(
    (l) => lines.push(l),
    (l) => redact(l, secrets),
  );
  return { s, lines };
}

describe('LineSplitter', () => {
  it('redacts a token that arrives split across chunks (and across a UTF-8 sequence)', () => {
    const { s, lines } = splitter();
    const text = `héllo ${TOKEN} wörld\nsecond ${TOKEN}`;
    const bytes = Buffer.from(text, 'utf8');
    for (let i = 0; i < bytes.length; i += 3) s.push(bytes.subarray(i, i + 3));
    expect(lines).toEqual(['héllo [REDACTED] wörld']);
    s.end();
    expect(lines).toEqual(['héllo [REDACTED] wörld', 'second [REDACTED]']);
  });

  it('strips CR of CRLF lines', () => {
    const { s, lines } = splitter();
    s.push('a\r\nb\r\n');
    expect(lines).toEqual(['a', 'b']);
  });

  it('cuts an overlong line without leaving a prefix of a token at the cut', () => {
    const { s, lines } = splitter();
    const filler = 'x'.repeat(MAX_LINE_CHARS - 10);
    s.push(filler + TOKEN.slice(0, 20)); // the token straddles the cut
    s.push(TOKEN.slice(20) + ' tail\nnext line\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/…\[line truncated\]$/);
    expect(lines[0]).not.toContain('hf_split');
    expect(lines[0].length).toBeLessThan(MAX_LINE_CHARS);
    expect(lines[1]).toBe('next line');
  });
});

describe('LineRing', () => {
  it('keeps only the most recent lines', () => {
    const ring = new LineRing(3);
    for (let i = 1; i <= 5; i++) ring.push(`l${i}`);
    expect(ring.toArray()).toEqual(['l3', 'l4', 'l5']);
  });
});

describe('classifyLine', () => {
  it.each([
    'huggingface_hub.errors.GatedRepoError: 401 Client Error. (Request ID: Root=1-abc)',
    'Cannot access gated repo for url https://huggingface.co/meta-llama/Llama-3.1-8B/resolve/main/config.json.',
    'huggingface_hub.errors.RepositoryNotFoundError: 401 Client Error. (Request ID: Root=1-abc)',
    'requests.exceptions.HTTPError: 403 Client Error: Forbidden for url: https://huggingface.co/api/models/x/y',
    'OSError: You are trying to access a gated repo.',
    'Invalid credentials in Authorization header',
  ])('recognises a Hugging Face auth failure: %s', (line) => {
    expect(classifyLine(line)).toBe('hf_auth');
  });

  it.each([
    'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 1.02 GiB.',
    'torch.cuda.OutOfMemoryError: CUDA error',
    'ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization`',
  ])('recognises out of memory: %s', (line) => {
    expect(classifyLine(line)).toBe('oom');
  });

  it.each([
    'INFO:     127.0.0.1:50312 - "POST /v1/chat/completions HTTP/1.1" 401 Unauthorized',
    'INFO 11-27 10:00:01 [api_server.py:1805] vLLM API server version 0.10.1.1',
    'RuntimeError: Engine core initialization failed. See root cause above.',
  ])('does not misread an ordinary line: %s', (line) => {
    expect(classifyLine(line)).toBe(null);
  });
});
