#!/usr/bin/env node
// Checks the container images' inputs without a Docker engine (run after `npm run build`):
//  1. every COPY source of deploy/docker/*.Dockerfile that comes from the build context exists and
//     is not excluded by .dockerignore; every app the images start has dist/apps/<app>/main.js;
//  2. `npm ci --omit=dev` gives every app what it imports at run time: each bare import reachable
//     from dist/apps/<app>/main.js is a runtime dependency in package.json and is not dev-only in
//     package-lock.json; no app reaches dist/libs/local-infra or dist/libs/testing. For an app the
//     build bundled, its main.bundle.json says what the bundle inlined and imports (see bundled()).
// Prints one line per problem and exits 1 if there is any; `--json` prints the report as JSON,
// `--root <dir>` checks another tree (the test's negative control).
// test/deploy.e2e.ts runs it.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Apps the images start (deploy/docker/helix-start.sh). */
export const IMAGE_APPS = ['gateway', 'settings-service', 'models-service', 'runner'];
/** Libs that exist for tests and the local stack only; an app that reaches one would need devDependencies. */
const DEV_ONLY_LIBS = ['local-infra', 'testing'];
/**
 * Packages that a framework loads by name at run time, which no `require` in dist/ shows: when an app
 * imports the key, it needs the values too (TypeORM's postgres driver, nestjs-pino's HTTP logger,
 * Nest's NATS transport).
 * @type {Record<string, string[]>}
 */
const LOADED_BY_NAME = { typeorm: ['pg'], 'nestjs-pino': ['pino-http'], '@nestjs/microservices': ['@nats-io/transport-node'] };

/**
 * @param {string} text a Dockerfile
 * @returns {{ from: string | null, sources: string[], line: number }[]} its COPY/ADD instructions
 */
export function parseCopies(text) {
  const joined = text.replace(/\\\r?\n/g, ' ');
  /** @type {{ from: string | null, sources: string[], line: number }[]} */
  const copies = [];
  joined.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    const match = /^(COPY|ADD)\s+(.*)$/i.exec(line);
    if (!match) return;
    const words = match[2].trim().split(/\s+/);
    let from = null;
    while (words[0]?.startsWith('--')) {
      const flag = words.shift() ?? '';
      if (flag.startsWith('--from=')) from = flag.slice('--from='.length);
    }
    copies.push({ from, sources: words.slice(0, -1), line: index + 1 });
  });
  return copies;
}

/**
 * A small .dockerignore matcher: enough for the patterns this repository uses (`dir/`, `**` /`*`
 * globs, no `!` exceptions).
 * @param {string} text
 * @returns {(path: string) => boolean}
 */
export function dockerIgnore(text) {
  const patterns = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((p) => p.replace(/^\/+/, '').replace(/\/+$/, ''))
    .map((p) => {
      const re = p
        .split('/')
        .map((part) =>
          part === '**'
            ? '(?:.*/)?'
            : part
                .replace(/[.+^${}()|[\]\\]/g, '\\$&')
                .replace(/\*/g, '[^/]*')
                .replace(/\?/g, '[^/]') + '/',
        )
        .join('')
        .replace(/\/$/, '');
      return new RegExp(`^${re}(?:/.*)?$`);
    });
  return (path) => patterns.some((re) => re.test(path.replace(/^\.\//, '').replace(/\/+$/, '')));
}

const REQUIRE = /\brequire\(\s*(["'])([^"']+)\1\s*\)|\bimport\(\s*(["'])([^"']+)\3\s*\)|\bfrom\s+(["'])([^"']+)\5/g;
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/**
 * @param {string} specifier
 * @returns {string} the npm package name of a bare specifier
 */
export function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * @param {string} from the importing file
 * @param {string} specifier a relative specifier
 * @returns {string | null} the file it loads
 */
function resolveRelative(from, specifier) {
  const base = resolve(dirname(from), specifier);
  for (const candidate of [base, `${base}.js`, join(base, 'index.js')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

/**
 * Follows relative requires from an entry file through dist/.
 * @param {string} entry
 * @param {string} [base] paths in the result are relative to it
 * @returns {{ files: string[], bare: Map<string, string>, unresolved: string[] }} reachable files, bare
 *   package names (with the first file importing each) and relative imports that point nowhere
 */
export function reachable(entry, base = root) {
  const seen = new Set();
  /** @type {Map<string, string>} */
  const bare = new Map();
  /** @type {string[]} */
  const unresolved = [];
  const queue = [entry];
  while (queue.length > 0) {
    const file = /** @type {string} */ (queue.pop());
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(REQUIRE)) {
      const specifier = m[2] ?? m[4] ?? m[6];
      if (specifier.startsWith('.')) {
        const target = resolveRelative(file, specifier);
        if (target) queue.push(target);
        else unresolved.push(`${relative(base, file)} -> ${specifier}`);
      } else if (!builtins.has(specifier) && !builtins.has(specifier.split('/')[0])) {
        const name = packageName(specifier);
        if (!bare.has(name)) bare.set(name, relative(base, file));
      }
    }
  }
  return { files: [...seen], bare, unresolved };
}

/**
 * The same answer as `reachable` for an app bundled by scripts/lib/bundle-apps.mjs, from the
 * main.bundle.json it wrote: the monorepo files it inlined, the packages the monorepo's code imports
 * (which must be runtime dependencies), and the packages an inlined npm package imports. Those must be
 * its own dependencies (installed with it), or a peer dependency: a required one must be a runtime
 * dependency of ours, an optional one is loaded by name only when its feature is used.
 * @param {{ packages: string[], modules: string[], imports: Record<string, string[]> }} meta
 * @param {string} dir repository root
 * @param {string[]} problems
 * @param {string} app
 */
function bundled(meta, dir, problems, app) {
  /** The innermost npm package a file belongs to, as the directory that holds it (null: the monorepo's). */
  const packageDir = (/** @type {string} */ file) => /^(?:.*\/)?node_modules\/(?:@[^/]+\/)?[^/]+/.exec(file)?.[0] ?? null;
  const fromNodeModules = (/** @type {string} */ file) => packageDir(file)?.replace(/^.*node_modules\//, '') ?? null;
  const files = meta.modules.filter((m) => fromNodeModules(m) === null).map((m) => join(dir, m));
  const inlined = new Set(meta.packages);
  /** @type {Map<string, string>} */
  const bare = new Map();
  /** @type {Map<string, string>} */
  const installedWith = new Map();
  for (const [name, importers] of Object.entries(meta.imports)) {
    const own = importers.find((f) => fromNodeModules(f) === null);
    if (own !== undefined) {
      bare.set(name, own);
      continue;
    }
    for (const importer of importers) {
      const owner = /** @type {string} */ (fromNodeModules(importer));
      const manifest = JSON.parse(readFileSync(join(dir, /** @type {string} */ (packageDir(importer)), 'package.json'), 'utf8'));
      if (manifest.dependencies?.[name] !== undefined) installedWith.set(name, owner);
      else if (manifest.peerDependencies?.[name] !== undefined) {
        if (!manifest.peerDependenciesMeta?.[name]?.optional && !bare.has(name)) bare.set(name, `${importer} (a peer dependency of ${owner})`);
      } else problems.push(`${app}: ${importer} imports ${name}, which ${owner} does not declare`);
    }
  }
  return { files, bare, unresolved: /** @type {string[]} */ ([]), inlined, installedWith };
}

/**
 * @param {string} [dir] repository root
 * @returns {{ problems: string[], apps: Record<string, string[]>, dockerfiles: string[] }}
 */
export function checkDeploy(dir = root) {
  /** @type {string[]} */
  const problems = [];
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'));
  const runtime = new Set(Object.keys(pkg.dependencies ?? {}));
  const ignored = dockerIgnore(existsSync(join(dir, '.dockerignore')) ? readFileSync(join(dir, '.dockerignore'), 'utf8') : '');

  // 1. Dockerfiles: sources from the build context.
  const dockerDir = join(dir, 'deploy/docker');
  const dockerfiles = readdirSync(dockerDir).filter((f) => f.endsWith('.Dockerfile'));
  if (dockerfiles.length === 0) problems.push('deploy/docker has no *.Dockerfile');
  for (const name of dockerfiles) {
    for (const copy of parseCopies(readFileSync(join(dockerDir, name), 'utf8'))) {
      if (copy.from !== null) continue;
      for (const source of copy.sources) {
        if (source.includes('*')) continue;
        if (!existsSync(join(dir, source))) problems.push(`deploy/docker/${name}:${copy.line}: COPY source ${source} does not exist`);
        else if (ignored(source)) problems.push(`deploy/docker/${name}:${copy.line}: COPY source ${source} is excluded by .dockerignore`);
      }
    }
  }
  for (const secretLike of ['.helix/settings.key', 'x.creds', 'a/b.key', 'node_modules/x', 'dist/apps/gateway/main.js', '.git/config']) {
    if (!ignored(secretLike)) problems.push(`.dockerignore does not exclude ${secretLike}`);
  }

  // 2. Runtime imports of every built app.
  const appsDir = join(dir, 'dist/apps');
  /** @type {Record<string, string[]>} */
  const apps = {};
  const builtApps = existsSync(appsDir) ? readdirSync(appsDir).filter((a) => existsSync(join(appsDir, a, 'main.js'))) : [];
  for (const app of IMAGE_APPS) {
    if (!builtApps.includes(app)) problems.push(`dist/apps/${app}/main.js is missing (run \`npm run build\`)`);
  }
  for (const app of builtApps) {
    const bundleMeta = join(appsDir, app, 'main.bundle.json');
    const { files, bare, unresolved, inlined, installedWith } = existsSync(bundleMeta)
      ? bundled(JSON.parse(readFileSync(bundleMeta, 'utf8')), dir, problems, app)
      : { ...reachable(join(appsDir, app, 'main.js'), dir), inlined: new Set(), installedWith: new Map() };
    for (const [name, needs] of Object.entries(LOADED_BY_NAME)) {
      const by = bare.get(name) ?? (inlined.has(name) ? `the bundle (${name} inlined)` : undefined);
      if (by !== undefined) for (const need of needs) if (!bare.has(need)) bare.set(need, `${by} (loaded by ${name})`);
    }
    apps[app] = [...bare.keys()].sort();
    for (const u of unresolved) problems.push(`${app}: ${u} does not resolve`);
    // What an inlined package imports comes with it (its own dependencies): installed, not dev-only.
    for (const [name, by] of installedWith) {
      const entry = lock.packages?.[`node_modules/${name}`];
      if (!entry) problems.push(`${app}: ${name} (a dependency of ${by}) is not in package-lock.json`);
      else if (entry.dev === true) problems.push(`${app}: ${name} (a dependency of ${by}) is dev-only in package-lock.json`);
    }
    for (const lib of DEV_ONLY_LIBS) {
      const hit = files.find((f) => f.startsWith(join(dir, 'dist/libs', lib) + '/'));
      if (hit) problems.push(`${app} reaches ${relative(dir, hit)} (libs/${lib} is for tests and the local stack only)`);
    }
    for (const [name, file] of bare) {
      if (!runtime.has(name)) problems.push(`${app}: ${file} imports ${name}, which is not in package.json "dependencies"`);
      const entry = lock.packages?.[`node_modules/${name}`];
      if (!entry) problems.push(`${app}: ${name} is not in package-lock.json`);
      else if (entry.dev === true) problems.push(`${app}: ${name} is dev-only in package-lock.json (npm ci --omit=dev leaves it out)`);
    }
  }
  return { problems, apps, dockerfiles };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--root');
  const report = checkDeploy(at > 0 ? resolve(process.argv[at + 1]) : root);
  if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(report) + '\n');
  else {
    for (const [app, deps] of Object.entries(report.apps)) console.log(`${app}: ${deps.join(', ')}`);
    for (const p of report.problems) console.log(`problem: ${p}`);
    console.log(report.problems.length === 0 ? 'deploy inputs ok' : `${report.problems.length} problem(s)`);
  }
  process.exit(report.problems.length === 0 ? 0 : 1);
}
