#!/usr/bin/env node
// The `helix` command (docs/reference/cli.md). No framework: commander + fetch, see apps/cli/README.md.
import { run } from './src/cli';
import { Output } from './src/output';

// `helix … | head` closes the pipe early; that is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

const out = new Output(process.stdout, process.stderr);

run(process.argv.slice(2), {
  out,
  env: process.env,
  stdin: process.stdin,
  interactive: process.stdin.isTTY === true,
  progress: process.stderr.isTTY === true,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    out.error(`unexpected failure: ${(err as Error)?.message ?? String(err)}`);
    process.exitCode = 1;
  },
);
