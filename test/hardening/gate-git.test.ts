// The gate fails closed (exit 2 with the reason) on any error reading the baseline, the series
// or the corpus, and when more than --max-skipped-share of the corpus was skipped (default 10%).
// Git safety: revisions and paths that git could read as options are refused before git runs,
// and a repository path that is not a git repository gives a clear error.

import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LINUXHW, PORTDRV, ROOT, cli, expectTerminalSafe } from './support.js';

const BASELINE = join(ROOT, 'baselines', 'gate', 'shared-portdrv.csv');
let dir: string;
let corpus: string;
let repo: string;

/** `n` real dumps and `junk` files that are not dumps, in a fresh corpus directory. */
function corpusWith(n: number, junk: number): string {
  const d = mkdtempSync(join(dir, 'corpus-'));
  for (const name of readdirSync(LINUXHW).filter((f) => f.endsWith('.lspci.txt')).sort().slice(0, n)) copyFileSync(join(LINUXHW, name), join(d, name));
  for (let i = 0; i < junk; i++) writeFileSync(join(d, `junk-${i}.txt`), 'not a dump\n');
  return d;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vfio-impact-hardening-gate-'));
  corpus = corpusWith(9, 0);
  // A real two-commit repository: the second commit declares driver_managed_dma.
  repo = join(dir, 'repo');
  mkdirSync(join(repo, 'drivers', 'pci', 'pcie'), { recursive: true });
  const git = simpleGit(repo);
  await git.init().addConfig('user.name', 'T').addConfig('user.email', 't@example.org').addConfig('commit.gpgsign', 'false');
  const src = (extra: string) => `static struct pci_driver pcie_portdriver = {\n\t.name\t\t= "pcieport",\n${extra}\t.probe\t\t= pcie_portdrv_probe,\n};\n`;
  writeFileSync(join(repo, 'drivers', 'pci', 'pcie', 'portdrv.c'), src(''));
  await git.add('.').commit('base');
  await git.raw(['tag', 'base']);
  writeFileSync(join(repo, 'drivers', 'pci', 'pcie', 'portdrv.c'), src('\t.driver_managed_dma = true,\n'));
  await git.add('.').commit('PCI: portdrv: declare driver_managed_dma');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const gate = (extra: string[]) => cli(['gate', '--series', PORTDRV, '--baseline', BASELINE, ...extra]);

describe('gate fails closed', () => {
  it('a clean run passes (the reference for the refusals below)', async () => {
    const r = await gate(['--corpus', corpus]);
    expect(r.code, r.err).toBe(0);
  });

  it('baseline missing, a directory, or malformed: exit 2 with the reason', async () => {
    const missing = await gate(['--corpus', corpus, '--baseline', join(dir, 'nope.csv')]);
    expect([missing.code, missing.err]).toEqual([2, expect.stringMatching(/cannot read baseline .*ENOENT/)]);
    const isDir = await gate(['--corpus', corpus, '--baseline', dir]);
    expect([isDir.code, isDir.err]).toEqual([2, expect.stringMatching(/cannot read baseline .*EISDIR/)]);
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'host,devices,scope,blocking_driver\n"unclosed,x,y,z\n');
    const malformed = await gate(['--corpus', corpus, '--baseline', bad]);
    expect([malformed.code, malformed.err]).toEqual([2, expect.stringMatching(/baseline .*bad\.csv: not a readable CSV/)]);
    writeFileSync(bad, 'host,scope\nx,actual\n');
    const columns = await gate(['--corpus', corpus, '--baseline', bad]);
    expect([columns.code, columns.err]).toEqual([2, expect.stringMatching(/missing column 'devices'/)]);
  });

  it('series missing, or holding a malformed hunk: exit 2 with the reason', async () => {
    const missing = await cli(['gate', '--series', join(dir, 'no.patch'), '--corpus', corpus, '--baseline', BASELINE]);
    expect([missing.code, missing.err]).toEqual([2, expect.stringMatching(/no readable patch: .*no\.patch/)]);
    const series = join(dir, 'series');
    mkdirSync(series);
    for (const n of readdirSync(PORTDRV)) copyFileSync(join(PORTDRV, n), join(series, n));
    writeFileSync(join(series, '0003-broken.patch'), 'From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001\nSubject: [PATCH 3/2] x\n\ndiff --git a/x.c b/x.c\n--- a/x.c\n+++ b/x.c\n@@ -1,5 +1,5 @@\n a\n');
    const broken = await cli(['gate', '--series', series, '--corpus', corpus, '--baseline', BASELINE]);
    expect(broken.code).toBe(2);
    expect(broken.err).toMatch(/0003-broken\.patch:\d+: error: .*\[malformed-hunk\]/);
    expect(broken.err).toMatch(/the series has 1 error\(s\)/);
  });

  it('corpus path missing, or no host readable: exit 2 with the reason', async () => {
    const missing = await gate(['--corpus', corpus, join(dir, 'gone')]);
    expect([missing.code, missing.err]).toEqual([2, expect.stringMatching(/corpus path .*gone does not exist/)]);
    const none = await gate(['--corpus', corpusWith(0, 1)]);
    expect(none.code).toBe(2);
  });

  // Guards analyze.ts gate: the skipped-share check (default 0.1) and its option's validation.
  it('more than 10% of the corpus skipped exits 2; exactly 10% passes; the share is configurable', async () => {
    const tenth = await gate(['--corpus', corpusWith(9, 1)]);
    expect(tenth.code, tenth.err).toBe(0);
    const over = corpusWith(9, 2);
    const r = await gate(['--corpus', over]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/2 of 11 corpus inputs were skipped \(18\.2% > 10\.0%\); cannot judge/);
    expect((await gate(['--corpus', over, '--max-skipped-share', '0.2'])).code).toBe(0);
    for (const v of ['-0.1', '1.5', 'abc']) expect((await gate(['--corpus', over, '--max-skipped-share', v])).code).toBe(2);
  });

  it('a declared-driver table that cannot be read exits 2', async () => {
    const r = await gate(['--corpus', corpus, '--declared', join(dir, 'no-table.csv')]);
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/cannot read driver table/)]);
    const bad = join(dir, 'table.csv');
    writeFileSync(bad, 'name,source\npcieport,x\n');
    const cols = await gate(['--corpus', corpus, '--declared', bad]);
    expect([cols.code, cols.err]).toEqual([2, expect.stringMatching(/no 'driver' column/)]);
  });
});

describe('git safety', () => {
  it('a real range is read (the reference for the refusals below)', async () => {
    const r = await cli(['flags', '--git', repo, '--range', 'base..HEAD', '--format', 'csv']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/pcieport,driver_managed_dma,added,true,hunk/);
  });

  // Guards read.ts refuseOption: without it `--output=FILE` reaches git as an option.
  it('revisions and paths beginning with "-" are refused before git runs', async () => {
    const marker = join(dir, 'marker');
    for (const range of [`--output=${marker}`, `base..--output=${marker}`, `--output=${marker}..HEAD`]) {
      const r = await cli(['flags', '--git', repo, '--range', range]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/begins with "-"/);
    }
    const up = await cli(['flags', '--git', '--upload-pack=touch', '--range', 'base..HEAD']);
    expect(up.code).toBe(2);
    const tree = await cli(['flags', '--series', PORTDRV, '--tree', `--output=${marker}`]);
    expect(tree.code).toBe(2);
    expect(existsSync(marker)).toBe(false);
  });

  it('unknown revisions and ranges of another shape are refused with the revision named, sanitised', async () => {
    const unknown = await cli(['flags', '--git', repo, '--range', 'base..no-such\u001b[2J']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown revision "no-such/);
    expectTerminalSafe(unknown.err, 'unknown revision');
    for (const range of ['HEAD', 'base...HEAD x', 'base..', '..HEAD']) {
      const r = await cli(['flags', '--git', repo, '--range', range]);
      expect(r.code, range).toBe(2);
    }
  });

  // Guards read.ts openRepo: `git rev-parse --git-dir` in the folder, not a crash later.
  it('a folder that is not a git repository, a file, and a missing path: a clear error', async () => {
    const plain = mkdtempSync(join(tmpdir(), 'vfio-impact-not-a-repo-'));
    try {
      for (const p of [plain, join(repo, 'drivers', 'pci', 'pcie', 'portdrv.c'), join(dir, 'missing')]) {
        const r = await cli(['flags', '--git', p, '--range', 'base..HEAD']);
        expect(r.code).toBe(2);
        expect(r.err).toMatch(/is not a git repository/);
      }
      const analyze = await cli(['analyze', '--git', plain, '--range', 'a..b', '--corpus', corpus, '--format', 'text']);
      expect([analyze.code, analyze.err]).toEqual([2, expect.stringMatching(/is not a git repository/)]);
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
  });
});
