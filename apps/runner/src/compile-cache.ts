import * as nodeModule from 'node:module';

/**
 * Imported first by main.ts: Node keeps the bytecode of the modules it compiles in a cache
 * directory (NODE_COMPILE_CACHE, else <tmpdir>/node-compile-cache), so a runner that starts again on
 * the same node (a restart, a rollout, a rejoin after an outage) skips compiling its ~1,800 modules,
 * most of its start-up. The cache is keyed by file content and Node version; a stale entry is
 * recompiled. Node before 22.1 has no compile cache: nothing happens there.
 */
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
