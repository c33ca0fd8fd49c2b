// Output safety: --out (analyze, gate --junit/--update-baseline, snapshot) never writes through
// a symlink, never overwrites one of the run's inputs, and writes atomically: a run that fails
// leaves the old file as it was, with no temp file beside it.

import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CliError } from '../../src/cli/context.js';
import { LINUXHW, PORTDRV, cli } from './support.js';

// Only `rename` is swappable: the atomic-write test makes it fail like a full disk would.
const failRename = { on: false };
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...real,
    rename: async (from: string, to: string) => {
      if (failRename.on) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
      return real.rename(from, to);
    },
  };
});
const { checkOutPath, writeAtomic } = await import('../../src/report/output.js');

let dir: string;
let corpus: string;
const DUMP = 'desktop-dell-optiplex-7070-8a436329aa.lspci.txt';
const OLD = 'old report, must survive\n';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vfio-impact-hardening-out-'));
  corpus = join(dir, 'corpus');
  mkdirSync(corpus);
  copyFileSync(join(LINUXHW, DUMP), join(corpus, DUMP));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const analyze = (out: string, extra: string[] = []) => cli(['analyze', '--series', PORTDRV, '--corpus', corpus, '--format', 'csv', '--out', out, ...extra]);
const leftovers = (d: string) => readdirSync(d).filter((n) => n.endsWith('.tmp'));

describe('--out', () => {
  it('writes the report, replacing an old one, with no temp file left', async () => {
    const out = join(dir, 'report.csv');
    writeFileSync(out, OLD);
    const r = await analyze(out);
    expect(r.code, r.err).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/^host,group,scope/);
    expect(leftovers(dir)).toEqual([]);
  });

  // Guards output.ts checkOutPath (lstat isSymbolicLink).
  it('refuses a symlink, whether it points at a file outside or nowhere, and leaves its target alone', async () => {
    const outside = join(dir, 'outside.txt');
    writeFileSync(outside, OLD);
    const link = join(dir, 'link.csv');
    symlinkSync(outside, link);
    const r = await analyze(link);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/symbolic link; refusing/);
    expect(readFileSync(outside, 'utf8')).toBe(OLD);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    const dangling = join(dir, 'dangling.csv');
    symlinkSync(join(dir, 'would-be-created.txt'), dangling);
    expect((await analyze(dangling)).code).toBe(2);
    expect(existsSync(join(dir, 'would-be-created.txt'))).toBe(false);
  });

  // Guards output.ts checkOutPath (inputs): a dump named directly, one inside a --corpus
  // directory, a patch inside a --series directory.
  it('refuses to overwrite an input: a dump named directly, a dump inside a corpus directory, a series patch', async () => {
    const dump = join(corpus, DUMP);
    const before = readFileSync(dump, 'utf8');
    const direct = await cli(['analyze', '--series', PORTDRV, '--corpus', dump, '--format', 'csv', '--out', dump]);
    expect(direct.code).toBe(2);
    expect(direct.err).toMatch(/is one of the inputs/);
    const inside = await analyze(dump);
    expect(inside.code).toBe(2);
    expect(inside.err).toMatch(/is one of the inputs/);
    expect(readFileSync(dump, 'utf8')).toBe(before);
    const series = join(dir, 'series');
    mkdirSync(series);
    for (const n of readdirSync(PORTDRV)) copyFileSync(join(PORTDRV, n), join(series, n));
    const patch = join(series, readdirSync(series).sort()[1]!);
    const p = await cli(['analyze', '--series', series, '--corpus', corpus, '--format', 'text', '--out', patch]);
    expect(p.code).toBe(2);
    expect(readFileSync(patch, 'utf8')).toBe(readFileSync(join(PORTDRV, readdirSync(PORTDRV).sort()[1]!), 'utf8'));
    // A new file in the corpus directory is not an input.
    expect((await analyze(join(corpus, 'new-report.csv'))).code).toBe(0);
    rmSync(join(corpus, 'new-report.csv'));
  });

  it('a run that fails before writing leaves the old file intact', async () => {
    const out = join(dir, 'kept.csv');
    writeFileSync(out, OLD);
    const r = await cli(['analyze', '--series', join(dir, 'no-such.patch'), '--corpus', corpus, '--format', 'csv', '--out', out]);
    expect(r.code).toBe(2);
    expect(readFileSync(out, 'utf8')).toBe(OLD);
  });

  // Guards output.ts writeAtomic (temp file then rename, temp removed on failure).
  it('a write that fails at the rename (disk full) leaves the old file intact and no temp file', async () => {
    const out = join(dir, 'atomic.csv');
    writeFileSync(out, OLD);
    failRename.on = true;
    try {
      await expect(writeAtomic(out, 'x'.repeat(1 << 20))).rejects.toThrow(/cannot write .*ENOSPC/);
      const r = await analyze(out);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/ENOSPC/);
    } finally {
      failRename.on = false;
    }
    expect(readFileSync(out, 'utf8')).toBe(OLD);
    expect(leftovers(dir)).toEqual([]);
  });

  it('--out naming a directory is refused', async () => {
    await expect(checkOutPath(dir)).rejects.toBeInstanceOf(CliError);
  });
});

describe('other writers use the same rules', () => {
  it('gate --junit refuses a symlink and the baseline itself', async () => {
    const baseline = join(dir, 'baseline.csv');
    const up = await cli(['gate', '--series', PORTDRV, '--corpus', corpus, '--baseline', baseline, '--update-baseline']);
    expect(up.code, up.err).toBe(0);
    const base = readFileSync(baseline, 'utf8');
    const target = join(dir, 'junit-target.xml');
    writeFileSync(target, OLD);
    const link = join(dir, 'junit-link.xml');
    symlinkSync(target, link);
    const r = await cli(['gate', '--series', PORTDRV, '--corpus', corpus, '--baseline', baseline, '--junit', link]);
    expect(r.code).toBe(2);
    expect(readFileSync(target, 'utf8')).toBe(OLD);
    const self = await cli(['gate', '--series', PORTDRV, '--corpus', corpus, '--baseline', baseline, '--junit', baseline]);
    expect(self.code).toBe(2);
    expect(readFileSync(baseline, 'utf8')).toBe(base);
  });

  // Guards snapshot.ts: it wrote with writeFile, following a symlink and truncating first.
  it('snapshot --out refuses a symlink and writes atomically', async () => {
    const target = join(dir, 'snap-target.txt');
    writeFileSync(target, OLD);
    const link = join(dir, 'snap-link.txt');
    symlinkSync(target, link);
    const r = await cli(['snapshot', '--no-lspci', '--out', link]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/symbolic link/);
    expect(readFileSync(target, 'utf8')).toBe(OLD);
    const out = join(dir, 'snap.txt');
    writeFileSync(out, OLD);
    const ok = await cli(['snapshot', '--no-lspci', '--out', out]);
    expect(ok.code, ok.err).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/^# vfio-impact snapshot\n/);
    expect(leftovers(dir)).toEqual([]);
  });
});
