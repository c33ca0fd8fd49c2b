// Shared by the hardening suite: the fixed fast-check seed, the time bound, the real inputs.
//
// CI runs with a fixed seed and 50 runs per property. A longer run:
//   FC_RUNS=2000 npx vitest run test/hardening
// and a different seed (a failure prints the seed and path to replay it):
//   FC_SEED=$RANDOM FC_RUNS=500 npx vitest run test/hardening

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { expect } from 'vitest';
import { captureContext } from '../support/capture.js';
import { main } from '../../src/cli/main.js';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import { fileURLToPath } from 'node:url';

export const SEED = Number(process.env['FC_SEED'] ?? 42);
export const RUNS = Number(process.env['FC_RUNS'] ?? 50);
fc.configureGlobal({ seed: SEED, numRuns: RUNS, endOnFailure: true });

export const ROOT = new URL('../../', import.meta.url).pathname;
// ../shared beside the project, wherever the checkout is (CI clones it afresh).
export const CORPORA = fileURLToPath(new URL('../../../shared/corpora', import.meta.url));
export const LINUXHW = join(CORPORA, 'linuxhw');
export const FORUMS = join(CORPORA, 'forums');
export const PORTDRV = join(ROOT, 'corpora', 'series', 'portdrv');

export interface Input {
  name: string;
  path: string;
  text: string;
}

function readDir(dir: string, keep: (name: string) => boolean): Input[] {
  return readdirSync(dir)
    .filter(keep)
    .sort()
    .map((name) => ({ name, path: join(dir, name), text: readFileSync(join(dir, name), 'utf8') }));
}

export const DUMPS = readDir(LINUXHW, (n) => n.endsWith('.lspci.txt'));
export const FORUM_POSTS = readDir(FORUMS, (n) => n.endsWith('.txt') && !n.toLowerCase().startsWith('readme'));
export const PATCHES = readDir(PORTDRV, (n) => n.endsWith('.patch'));
export const MANIFEST = readFileSync(join(LINUXHW, 'manifest.csv'), 'utf8');
export const BASELINE = readFileSync(join(ROOT, 'baselines', 'gate', 'shared-portdrv.csv'), 'utf8');

/**
 * The hang/complexity guard: 250 ms + 1 s per MB of input (1 µs a character), in CPU time of
 * this process (process.cpuUsage), so other jobs on the 2 shared cores do not make it flake:
 * wall time under load was 2-3x the CPU time, and CPU time itself varies about 3x with GC.
 * Still far below what a quadratic pass costs (a 120 KB comment line took 1.8 s, a 20k-line
 * hunk 54 s before the fixes): a complexity guard, not a benchmark.
 */
export function boundMs(chars: number): number {
  return 250 + (1000 * chars) / 1e6;
}

/** Run `f`, fail if it throws or its CPU time exceeds the bound for `chars` of input. */
export function timed<T>(chars: number, f: () => T): T {
  const start = process.cpuUsage();
  const out = f();
  const used = process.cpuUsage(start);
  const ms = (used.user + used.system) / 1000;
  expect(ms, `took ${ms.toFixed(0)} ms CPU for ${chars} chars (bound ${boundMs(chars).toFixed(0)} ms)`).toBeLessThanOrEqual(boundMs(chars));
  return out;
}

/** Every rejection names its file and a line (1-based) inside the input. */
export function expectLocated(ds: Diagnostic[], file: string, lineCount: number): void {
  for (const d of ds) {
    expect(d.file).toBe(file);
    if (d.severity === 'error' || d.severity === 'warning') {
      expect(d.line, `${d.code}: ${d.message}`).not.toBeNull();
      expect(d.line!).toBeGreaterThanOrEqual(1);
      expect(d.line!).toBeLessThanOrEqual(Math.max(lineCount, 1));
    }
  }
}

export function lineCount(text: string): number {
  let n = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

/**
 * analyze/gate in this process: the worker pool runs the compiled dist/ code, and these tests
 * must exercise src/ (and run without a build).
 */
export function inProcess(argv: string[]): string[] {
  return argv[0] === 'analyze' || argv[0] === 'gate' ? [...argv, '--workers', '0'] : argv;
}

/** Run the CLI in-process with captured stdout/stderr. */
export async function cli(argv: string[], stdin = '', cwd = process.cwd()): Promise<{ code: number; out: string; err: string }> {
  const c = captureContext(stdin, cwd);
  const code = await main(['node', 'vfio-impact', ...inProcess(argv)], c.ctx);
  return { code, out: c.out(), err: c.err() };
}

/**
 * Bytes a terminal would act on: C0 controls except TAB and LF (CR too: it rewrites the line),
 * DEL, C1 controls, and bidi overrides.
 */
// eslint-disable-next-line no-control-regex
export const TERMINAL_UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

export function expectTerminalSafe(text: string, what: string): void {
  const m = TERMINAL_UNSAFE.exec(text);
  expect(m, m ? `${what}: U+${m[0].charCodeAt(0).toString(16).padStart(4, '0')} at ${m.index}: ${JSON.stringify(text.slice(Math.max(0, m.index - 40), m.index + 10))}` : what).toBeNull();
}
