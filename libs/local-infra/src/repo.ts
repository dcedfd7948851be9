import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const ROOT_PACKAGE_NAME = 'helix-token-plane';
let cached: string | undefined;

function isRepoRoot(dir: string): boolean {
  const pkg = join(dir, 'package.json');
  if (!existsSync(pkg)) return false;
  try {
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === ROOT_PACKAGE_NAME;
  } catch {
    return false;
  }
}

function walkUp(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    if (isRepoRoot(dir)) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * Absolute path of the monorepo root (the directory whose package.json is named "helix-token-plane").
 * Order: $HELIX_REPO_ROOT, then upwards from this file (works from libs/ and dist/libs/), then from cwd.
 */
export function repoRoot(): string {
  if (cached) return cached;
  const fromEnv = process.env['HELIX_REPO_ROOT'];
  if (fromEnv && isRepoRoot(fromEnv)) return (cached = resolve(fromEnv));
  const here = typeof __dirname === 'string' ? __dirname : undefined;
  const found = (here && walkUp(here)) || walkUp(process.cwd());
  if (!found) throw new Error(`repoRoot(): no package.json named "${ROOT_PACKAGE_NAME}" above ${here ?? process.cwd()}`);
  return (cached = found);
}
