import { REDACTED, Secret } from './secret';

/**
 * Replaces every occurrence of every secret value in `text`. Works on character ranges rather than
 * by successive string replacement, so overlapping or nested tokens are removed completely (a
 * shorter token replaced first cannot leave the tail of a longer one behind) and a replacement can
 * never create a new match.
 */
export function redact(text: string, secrets: Iterable<Secret | string>, replacement: string = REDACTED): string {
  const values = new Set<string>();
  for (const s of secrets) {
    const value = s instanceof Secret ? s.reveal() : s;
    if (typeof value === 'string' && value.length > 0) values.add(value);
  }
  if (values.size === 0 || text.length === 0) return text;

  const ranges: Array<[number, number]> = [];
  // Longest first, so that of two matches starting at the same index the longer one is listed first.
  for (const value of [...values].sort((a, b) => b.length - a.length)) {
    // Step by one so overlapping occurrences of the same value (e.g. "aa" in "aaa") are all covered.
    for (let at = text.indexOf(value); at !== -1; at = text.indexOf(value, at + 1)) {
      ranges.push([at, at + value.length]);
    }
  }
  if (ranges.length === 0) return text;
  ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);

  let out = '';
  let cursor = 0;
  let [start, end] = ranges[0];
  for (const [s, e] of ranges.slice(1)) {
    // Only overlapping ranges merge; two tokens side by side stay two replacements.
    if (s < end) {
      end = Math.max(end, e);
      continue;
    }
    out += text.slice(cursor, start) + replacement;
    cursor = end;
    [start, end] = [s, e];
  }
  return out + text.slice(cursor, start) + replacement + text.slice(end);
}
