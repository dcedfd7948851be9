import nx from '@nx/eslint-plugin';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Layering: apps depend on libs, never on each other; libs depend on libs; `libs/testing` is for
// tests and benchmarks only, `libs/local-infra` (NATS/Postgres processes) for tests and `npm start`;
// the pure libs (contracts, secrets, token-store, config) import no infrastructure. Every lib is imported through its single entry point (no deep imports).
const boundaries = (extra = []) => [
  'error',
  {
    enforceBuildableLibDependency: false,
    allowCircularSelfDependency: false,
    banTransitiveDependencies: false,
    depConstraints: [
      { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib', ...extra] },
      { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib', ...extra] },
      { sourceTag: 'kind:pure', onlyDependOnLibsWithTags: ['kind:pure', ...extra] },
      { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:lib', 'type:testing', 'type:local-infra'] },
      { sourceTag: 'type:local-infra', onlyDependOnLibsWithTags: ['type:local-infra', ...extra] },
      // The web console runs in the browser: pure libs only, and only their types (rule below).
      { sourceTag: 'scope:browser', onlyDependOnLibsWithTags: ['kind:pure'] },
    ],
  },
];

export default [
  { ignores: ['dist/**', 'node_modules/**', '.nx/**', 'coverage/**', '.test-results/**'] },
  {
    // The launcher scripts and the shipped executables (bin/vllm-sim, bin/helix) are plain Node.
    files: ['scripts/**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: globals.node },
    rules: js.configs.recommended.rules,
  },
  {
    files: ['bin/helix', 'bin/vllm-sim', 'bin/helix-nats-setup', 'bin/hf-hub-sim'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
    rules: js.configs.recommended.rules,
  },
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parser: tseslint.parser, parserOptions: { sourceType: 'module', projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { '@nx': nx, '@typescript-eslint': tseslint.plugin },
    rules: {
      '@nx/enforce-module-boundaries': boundaries(),
      // Promises are awaited or explicitly `void`ed; a switch over a union handles every member.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      'no-restricted-imports': ['error', { patterns: [{ group: ['@helix/*/*'], message: 'Import a lib through its single entry point, @helix/<lib>.' }] }],
    },
  },
  {
    // Only the gateway documents HTTP: @nestjs/swagger alone adds about 26 MiB to a process (the runner's RSS goal).
    // Only the gateway validates HTTP bodies: class-validator (with validator and libphonenumber-js) and
    // class-transformer are about 300 modules; configuration uses @helix/config's own decorators.
    files: ['**/*.ts'],
    ignores: ['apps/gateway/**', 'apps/console/**', 'test/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@helix/*/*'], message: 'Import a lib through its single entry point, @helix/<lib>.' },
            { group: ['@nestjs/swagger'], message: 'Only the gateway documents its HTTP API (apps/gateway/src/dto, docs.ts).' },
            {
              group: ['class-validator', 'class-validator/*', 'class-transformer', 'class-transformer/*'],
              message: 'Only the gateway validates HTTP bodies (apps/gateway/src/dto); configuration uses the decorators of @helix/config.',
            },
          ],
        },
      ],
    },
  },
  {
    // The web console talks to the REST API only: types from @helix/contracts, no server code in the bundle.
    files: ['apps/console/**/*.ts', 'apps/console/**/*.tsx'],
    languageOptions: { globals: globals.browser },
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@helix/*'], allowTypeImports: true, message: 'The console may import types only from the libs (import type …).' },
            { group: ['node:*', '@nestjs/*', '@nats-io/*', 'typeorm', 'pg', 'pino'], message: 'The console runs in the browser: no server code.' },
          ],
        },
      ],
    },
  },
  {
    // Specs may also use the test harness; every other boundary still holds in them.
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': boundaries(['type:testing']) },
  },
];
