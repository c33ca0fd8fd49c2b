#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (npm run build).
import { main } from '../dist/cli/main.js';
import { sanitize } from '../dist/diagnostics/sanitize.js';

// A reader that closes the pipe early (`| head`) is not an error of ours: writing stops (see
// writeChunks) and the exit code is the run's own. Any other failure to write the report (a full
// disk, `> /dev/full`) is said once and the run ends with 2: its output cannot be trusted.
let stdoutError = null;
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE' || stdoutError !== null) return;
  stdoutError = err;
  // The error can arrive after main() has settled: set the code here too.
  process.exitCode = 2;
  process.stderr.write(`vfio-impact: cannot write to standard output: ${sanitize(String(err.code ?? err.message))}\n`);
});

main(process.argv).then(
  (code) => {
    process.exitCode = stdoutError !== null ? 2 : code;
  },
  (err) => {
    // A bug, not an input error: keep the stack for the report, but never let input text that
    // ended up in a message reach the terminal raw.
    const text = err && err.stack ? err.stack : String(err);
    process.stderr.write(`vfio-impact: internal error (please report): ${text.split('\n').map(sanitize).join('\n')}\n`);
    process.exitCode = 2;
  },
);
