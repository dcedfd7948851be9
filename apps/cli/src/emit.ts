import { stringify } from 'yaml';
import type { CommandContext } from './context';

/** How one command's result prints in every format of `-o` and with `-q`. */
export interface Shape<T> {
  /** The resource kind of `-o name` (`model/<id>`, as kubectl prints it). */
  kind: string;
  /** The ids of the resources in the result (one for a single resource; none prints nothing). */
  ids: (value: T) => Array<string | null | undefined>;
  /** The readable table or text (the default). */
  table: (value: T) => string;
  /** `-o wide`: more columns; the table when the command has no more to show. */
  wide?: (value: T) => string;
}

/**
 * Prints a command's result: the API's JSON (`-o json`, `--json`), the same as YAML (`-o yaml`),
 * `<kind>/<id>` lines (`-o name`), bare ids (`-q`), or the table (default, `-o wide`).
 */
export function emit<T>(ctx: Pick<CommandContext, 'format' | 'quiet' | 'out'>, value: T, shape: Shape<T>): void {
  const { out } = ctx;
  const ids = (): string[] => shape.ids(value).filter((id): id is string => typeof id === 'string' && id !== '');
  if (ctx.quiet) {
    for (const id of ids()) out.print(id);
    return;
  }
  switch (ctx.format) {
    case 'json':
      return out.json(value);
    case 'yaml':
      return out.print(stringify(value ?? null, { lineWidth: 0 }).trimEnd());
    case 'name':
      for (const id of ids()) out.print(`${shape.kind}/${id}`);
      return;
    case 'wide':
      return out.print((shape.wide ?? shape.table)(value));
    default:
      return out.print(shape.table(value));
  }
}

/** The `id` of each element of a list result. */
export const idsOf = (list: unknown): string[] =>
  Array.isArray(list) ? list.map((item) => (item as { id?: unknown })?.id).filter((id): id is string => typeof id === 'string') : [];

/** The `id` of a single result (or the fallback when the server sent none). */
export const idOf =
  (fallback?: string) =>
  (value: unknown): string[] => {
    const id = (value as { id?: unknown } | null | undefined)?.id;
    return typeof id === 'string' ? [id] : fallback !== undefined ? [fallback] : [];
  };
