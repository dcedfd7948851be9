#!/usr/bin/env node
// Compiles every app and lib with SWC (keeps decorator metadata, rewrites @helix/* aliases to
// relative paths), so each app starts as `node dist/apps/<app>/main.js`, and bundles the web
// console (apps/console, React) with Vite into static files in dist/apps/console. Type errors are
// caught by `npm run typecheck`, which .ci/run runs before the tests.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// `--clean` starts from an empty dist/; by default files are overwritten in place so a build never
// pulls the rug from processes (or parallel test runs) using dist/.
if (process.argv.includes('--clean')) rmSync(resolve(root, 'dist'), { recursive: true, force: true });
execFileSync(
  resolve(root, 'node_modules/.bin/swc'),
  ['apps', 'libs', '-d', 'dist', '--config-file', '.swcrc', '--ignore', '**/*.spec.ts,apps/console/**', '--quiet'],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
// The NestJS apps start from one file each (scripts/lib/bundle-apps.mjs says why).
const { NEST_APPS, bundleApp } = await import('./lib/bundle-apps.mjs');
for (const app of NEST_APPS) await bundleApp(root, app);
// The console is browser code: Vite bundles it (it replaces dist/apps/console as a whole).
const { build } = await import('vite');
await build({ configFile: resolve(root, 'apps/console/vite.config.mjs'), logLevel: 'warn' });
