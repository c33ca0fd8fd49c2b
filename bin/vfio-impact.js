#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (npm run build).
import { main } from '../dist/cli/main.js';
import { sanitize } from '../dist/diagnostics/sanitize.js';

// A reader that closes the pipe early (`| head`) is not an error of ours: writing stops (see
// writeChunks) and the exit code is the run's own.
process.stdout.on('error', (err) => {
  if (err.code !== 'EPIPE') throw err;
});

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    // A bug, not an input error: keep the stack for the report, but never let input text that
    // ended up in a message reach the terminal raw.
    const text = err && err.stack ? err.stack : String(err);
    process.stderr.write(`vfio-impact: internal error (please report): ${text.split('\n').map(sanitize).join('\n')}\n`);
    process.exitCode = 2;
  },
);
