export interface Column<T> {
  header: string;
  value: (row: T) => string;
  /** Right-align (numbers). */
  right?: boolean;
}

/** Collapses white space so a cell never breaks the table's lines. */
function cell(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** A plain-text table: upper-case headers, columns two spaces apart, no trailing blanks. */
export function renderTable<T>(columns: Column<T>[], rows: T[]): string {
  const matrix = rows.map((row) => columns.map((c) => cell(c.value(row))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...matrix.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    cells
      .map((text, i) => (columns[i].right ? text.padStart(widths[i]) : i === cells.length - 1 ? text : text.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header.toUpperCase())), ...matrix.map(line)].join('\n');
}

/** "Label:  value" lines with the values aligned. */
export function renderFields(fields: Array<[string, string]>): string {
  const width = Math.max(...fields.map(([label]) => label.length)) + 1;
  return fields.map(([label, value]) => `${`${label}:`.padEnd(width)}  ${cell(value)}`.trimEnd()).join('\n');
}
