const DECIMAL: Array<[string, number]> = [
  ['TB', 1e12],
  ['GB', 1e9],
  ['MB', 1e6],
  ['KB', 1e3],
];
const BINARY: Array<[string, number]> = [
  ['TiB', 1024 ** 4],
  ['GiB', 1024 ** 3],
  ['MiB', 1024 ** 2],
  ['KiB', 1024],
];

/** Bytes as the operator wrote them where exact (39000000000 → 39GB, 42949672960 → 40GiB), else ~1 decimal GB. */
export function formatBytes(bytes: unknown): string {
  if (typeof bytes !== 'number' || !Number.isFinite(bytes)) return '-';
  if (bytes === 0) return '0';
  for (const [unit, size] of DECIMAL) if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  for (const [unit, size] of BINARY) if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  for (const [unit, size] of DECIMAL) if (bytes >= size) return `${(bytes / size).toFixed(1)}${unit}`;
  return `${bytes}B`;
}

export const yesNo = (value: unknown): string => (value === true ? 'yes' : value === false ? 'no' : '-');

export const text = (value: unknown): string => (value === null || value === undefined || value === '' ? '-' : String(value));
