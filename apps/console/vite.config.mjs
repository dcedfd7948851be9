// The web console (apps/console/README.md): static files in dist/apps/console, served by the gateway at /console/.
// No runtime network resource: everything is bundled; CSS goes to its own file (the CSP has no
// 'unsafe-inline'), and small assets may be inlined as data: URLs (allowed for images only).
import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = import.meta.dirname;

export default defineConfig({
  root: here,
  base: '/console/',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: resolve(here, '../../dist/apps/console'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // No inline module-preload polyfill or other generated inline script.
    modulePreload: { polyfill: false },
  },
});
