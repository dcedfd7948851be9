import { defineConfig } from 'vitest/config';
import swc from 'unplugin-swc';
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';

// Every lib is imported as @helix/<name> through its single entry point, as in tsconfig.base.json.
const libs = readdirSync(resolve(import.meta.dirname, 'libs'));
const alias = Object.fromEntries(libs.map((lib) => [`@helix/${lib}`, resolve(import.meta.dirname, `libs/${lib}/src/index.ts`)]));

export default defineConfig({
  // SWC keeps decorator metadata, which NestJS DI and class-validator need (esbuild drops it).
  plugins: [swc.vite({ module: { type: 'es6' } })],
  resolve: { alias },
  test: {
    include: ['libs/**/*.spec.ts', 'apps/**/*.spec.ts', 'test/**/*.e2e.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 3,
  },
});
