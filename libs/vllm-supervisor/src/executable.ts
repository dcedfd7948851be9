import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/**
 * The file `execvp` would run for `command`: a path (anything with a `/`) as given, a bare name
 * searched in `path`. Throws an error shaped like Node's spawn errors (`spawn <command> ENOENT`)
 * when there is none, so a wrapped launch (setpriv) fails the same way a direct spawn does.
 */
export function resolveExecutable(command: string, path: string | undefined): string {
  const candidates = command.includes('/')
    ? [command]
    : (path ?? '')
        .split(delimiter)
        .filter(isAbsolute)
        .map((dir) => join(dir, command));
  let code = 'ENOENT';
  for (const candidate of candidates) {
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return resolve(candidate);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EACCES') code = 'EACCES';
    }
  }
  throw Object.assign(new Error(`spawn ${command} ${code}`), { code });
}
