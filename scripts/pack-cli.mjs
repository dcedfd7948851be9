#!/usr/bin/env node
// Builds the `helix` CLI as a self-contained npm package, `@helix/cli`, and packs it:
//   node scripts/pack-cli.mjs            → dist/cli-package/ (the package) and dist/helix-cli-<version>.tgz
// The package has no dependencies: rolldown (shipped with vite) bundles apps/cli with commander,
// yaml, jsonc-parser and the few monorepo helpers it uses into one file, so it installs offline
// from the tarball (`npm install ./helix-cli-<version>.tgz`) and never imports the monorepo.
// Prints the tarball's absolute path on its last line.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'cli-package');
const { version, engines } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const bundle = await rolldown({
  input: join(root, 'apps/cli/main.ts'),
  platform: 'node',
  // The path aliases (@helix/*) of the monorepo.
  tsconfig: join(root, 'tsconfig.base.json'),
  // jsonc-parser's "main" is a UMD build that requires its own files at run time: take its ES modules.
  resolve: { alias: { 'jsonc-parser': join(root, 'node_modules/jsonc-parser/lib/esm/main.js') } },
  logLevel: 'warn',
});
// apps/cli/main.ts starts with the #! line, which the bundle keeps.
await bundle.write({ file: join(out, 'helix.js'), format: 'cjs', sourcemap: false });
await bundle.close();
chmodSync(join(out, 'helix.js'), 0o755);
// Self-contained: the bundle may require Node's own modules only.
const code = readFileSync(join(out, 'helix.js'), 'utf8');
// (rolldown may rename a module's own `require` to `require$1`.)
const foreign = [...code.matchAll(/\brequire(?:\$\d+)?\(\s*["'`]([^"'`]+)["'`]\s*\)/g)]
  .map((m) => m[1])
  .filter((name) => !builtinModules.includes(name.replace(/^node:/, '')));
if (foreign.length) throw new Error(`the CLI bundle still requires ${[...new Set(foreign)].join(', ')}`);

const pkg = {
  name: '@helix/cli',
  version,
  description: 'helix: the operator CLI of the Helix token plane (models, runners, orgs, users and Hugging Face tokens)',
  license: 'UNLICENSED',
  bin: { helix: 'helix.js' },
  files: ['helix.js', 'README.md'],
  engines: { node: '>=20' },
  keywords: ['helix', 'hugging face', 'vllm', 'cli'],
};
void engines;
writeFileSync(join(out, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
writeFileSync(
  join(out, 'README.md'),
  `# @helix/cli ${version}

\`helix\`, the operator CLI of the Helix token plane, as one self-contained file (no dependencies).

    npm install -g ./helix-cli-${version}.tgz     # or: npm install ./helix-cli-${version}.tgz; npx helix …
    export HELIX_URL=https://helix.example.com HELIX_API_KEY=hl-…
    helix version
    helix system settings get -o json

\`helix --help\` and \`helix <command> --help\` describe every command; the full reference is
docs/reference/cli.md in the Helix repository.
`,
);

const packed = execFileSync('npm', ['pack', '--json', '--pack-destination', join(root, 'dist')], { cwd: out, encoding: 'utf8' });
const [{ filename }] = JSON.parse(packed);
console.log(join(root, 'dist', filename));
