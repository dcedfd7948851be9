// Bundles each NestJS app's compiled entry (dist/apps/<app>/main.js) in place into one CommonJS file,
// with NestJS (ES modules since Nest 12) and the monorepo's code inlined; every other npm package stays
// a `require` from node_modules. Why (docs/decisions.md, "The NestJS apps start from one bundle"):
// Node loads NestJS's ~600 ES modules through `require(esm)`, whose resolver, translator and linker
// took most of a runner's start. Next to each bundle, main.bundle.json records what it inlined (npm
// packages and modules) and what it still imports, with the importing file, for scripts/check-deploy.mjs.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { rolldown } from 'rolldown';

/** The apps built on NestJS (the CLI is bundled on its own by scripts/pack-cli.mjs). */
export const NEST_APPS = ['gateway', 'settings-service', 'models-service', 'runner'];

/**
 * The npm packages inlined: NestJS's own, and the one that imports it (nestjs-pino). A package left
 * outside that imports NestJS would load a second copy of it from node_modules, whose decorators and
 * injection tokens would not match the bundle's: `bundleApp` fails the build on one.
 */
const inlinedPackage = (pkg) => pkg.startsWith('@nestjs/') || pkg === 'nestjs-pino';

const packageOf = (id) => (id.startsWith('@') ? id.split('/').slice(0, 2).join('/') : id.split('/')[0]);
const isBuiltin = (id) => id.startsWith('node:') || builtinModules.includes(id.split('/')[0]);

/** The file `id` resolves to from `dir` (null: not installed, e.g. one of NestJS's optional integrations). */
function resolveFrom(dir, id) {
  try {
    return createRequire(join(dir, 'x.js')).resolve(id);
  } catch {
    return null;
  }
}

const NODE_MODULES = `${sep}node_modules${sep}`;

/** The npm package a file belongs to (the innermost node_modules), or null for the monorepo's own files. */
function packageOfFile(file) {
  const at = file.lastIndexOf(NODE_MODULES);
  return at < 0
    ? null
    : packageOf(
        file
          .slice(at + NODE_MODULES.length)
          .split(sep)
          .join('/'),
      );
}

/**
 * Bundles one app. An import stays a `require` when it is a builtin, or an npm package (other than
 * those inlined) that resolves to the same file from the bundle as from the importing file; a
 * package's own nested copy (tslib under @nestjs/microservices) is inlined instead.
 */
export async function bundleApp(root, app) {
  const entry = join(root, 'dist/apps', app, 'main.js');
  const appDir = dirname(entry);
  /** @type {Map<string, Set<string>>} package → files importing it, relative to root */
  const imports = new Map();
  const bundle = await rolldown({
    input: entry,
    platform: 'node',
    external(id, importer) {
      if (id.startsWith('.') || id.startsWith('/') || id.startsWith('\0')) return false;
      if (isBuiltin(id)) return true;
      if (inlinedPackage(packageOf(id))) return false;
      if (importer && packageOfFile(importer) !== null) {
        const fromImporter = resolveFrom(dirname(importer), id);
        if (fromImporter !== null && fromImporter !== resolveFrom(appDir, id)) return false;
      }
      const by = imports.get(packageOf(id)) ?? new Set();
      by.add(importer ? relative(root, importer) : '?');
      imports.set(packageOf(id), by);
      return true;
    },
    logLevel: 'warn',
    onLog(level, log, handler) {
      // NestJS's optional integrations (@nestjs/websockets, @nestjs/platform-express, …) that are not
      // installed cannot be inlined; they stay imports, made only when that feature is used.
      if (log.code === 'UNRESOLVED_IMPORT' || log.code === 'EVAL') return;
      handler(level, log);
    },
  });
  let modules;
  try {
    // keepNames: @nestjs/swagger names schemas after DTO classes, NestJS logs contexts by class name.
    const { output } = await bundle.write({ file: entry, format: 'cjs', sourcemap: true, codeSplitting: false, keepNames: true });
    modules = output.flatMap((chunk) => (chunk.type === 'chunk' ? Object.keys(chunk.modules) : [])).filter((m) => !m.startsWith('\0'));
  } finally {
    await bundle.close();
  }
  for (const [pkg, by] of imports) {
    const manifest = readManifest(root, pkg);
    const nest = Object.keys({ ...manifest?.dependencies, ...manifest?.peerDependencies }).filter((d) => d.startsWith('@nestjs/'));
    if (nest.length)
      throw new Error(
        `${app}: ${pkg} (imported by ${[...by][0]}) imports ${nest.join(', ')} but is not inlined (add it to inlinedPackage in scripts/lib/bundle-apps.mjs)`,
      );
  }
  const meta = {
    comment: `what dist/apps/${app}/main.js inlined and what it imports at run time (scripts/lib/bundle-apps.mjs)`,
    packages: [...new Set(modules.map(packageOfFile).filter((p) => p !== null))].sort(),
    modules: modules.map((m) => relative(root, m)).sort(),
    imports: Object.fromEntries([...imports].sort(([a], [b]) => a.localeCompare(b)).map(([pkg, by]) => [pkg, [...by].sort()])),
  };
  writeFileSync(join(appDir, 'main.bundle.json'), `${JSON.stringify(meta, null, 2)}\n`);
  return meta;
}

/** @returns {any} the package's package.json in the root node_modules (where the bundle's `require` finds it), or null */
function readManifest(root, pkg) {
  const file = join(root, 'node_modules', pkg, 'package.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
}
