// The worker-thread path of analyze gives the same answer as the in-process path, on the real
// shared corpora and on bad inputs; and the scaled benchmark corpus is made of byte-exact copies.
// Runs the built CLI (npm test compiles to dist/ first): worker threads load dist/cli/analyze-worker.js.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FORUMS, LINUXHW, ROOT, runCli } from '../support/cli.js';
import { replicaName, replicateCorpus, replicatedBytes, sourceDumps } from '../../src/bench/corpus.js';

const PORTDRV = join(ROOT, 'corpora', 'series', 'portdrv');

interface Doc {
  series: unknown;
  declaredTable: string;
  summary: {
    hostsRead: number;
    hostsSkipped: number;
    skippedReasons: Record<string, number>;
    regressions: { actual: number; potential: number };
  };
  changes: Array<{ host: string }>;
  diagnostics: Array<{ file: string; line: number | null; code: string; message: string }>;
}

const sortedLines = (s: string) => s.split('\n').filter((l) => l !== '').sort();
const diagKey = (d: Doc['diagnostics'][number]) => `${d.file}:${d.line}:${d.code}:${d.message}`;

async function analyzeJson(workers: string, corpus: string[], input?: string): Promise<{ code: number | null; doc: Doc; stderr: string }> {
  const r = await runCli(['analyze', '--series', PORTDRV, '--corpus', ...corpus, '--format', 'json', '--workers', workers], { input });
  return { code: r.code, doc: JSON.parse(r.stdout) as Doc, stderr: r.stderr };
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'vfio-impact-workers-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('analyze --workers: same results as in-process', () => {
  it('linuxhw + forums: same summary, changes and diagnostics with 2 workers as with none', async () => {
    const [inProcess, workers] = await Promise.all([analyzeJson('0', [LINUXHW, FORUMS]), analyzeJson('2', [LINUXHW, FORUMS])]);
    expect([inProcess.code, workers.code]).toEqual([0, 0]);
    // Every dump of both corpora is a host, and the series regresses some potential groups.
    const dumps = (await readdir(LINUXHW)).filter((n) => n.endsWith('.txt')).length + (await readdir(FORUMS)).filter((n) => n.endsWith('.txt')).length;
    expect(workers.doc.summary.hostsRead).toBe(dumps);
    expect(workers.doc.summary.regressions.potential).toBeGreaterThan(0);
    expect(workers.doc.summary).toEqual(inProcess.doc.summary);
    expect(workers.doc.changes).toEqual(inProcess.doc.changes);
    expect(workers.doc.series).toEqual(inProcess.doc.series);
    expect(workers.doc.declaredTable).toBe(inProcess.doc.declaredTable);
    // Both fold files in input order: the same diagnostics in the same order, the same document.
    expect(workers.doc.diagnostics.map(diagKey)).toEqual(inProcess.doc.diagnostics.map(diagKey));
    expect(workers.doc).toEqual(inProcess.doc);
    expect(sortedLines(workers.stderr)).toEqual(sortedLines(inProcess.stderr));
  });

  it('text report: byte-identical with 1 worker, 3 workers and none', async () => {
    const run = (w: string) => runCli(['analyze', '--series', PORTDRV, '--corpus', LINUXHW, '--format', 'text', '--workers', w]);
    const [none, one, three] = await Promise.all([run('0'), run('1'), run('3')]);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('Affected hosts');
    expect(one.stdout).toBe(none.stdout);
    expect(three.stdout).toBe(none.stdout);
  });

  it('bad inputs, a missing path and stdin: same skips and diagnostics, workers report in input order', async () => {
    const dir = join(tmp, 'mixed');
    await rm(dir, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(dir));
    const dumps = (await readdir(LINUXHW)).filter((n) => n.endsWith('.txt')).sort();
    await copyFile(join(LINUXHW, dumps[0]!), join(dir, 'a-real.lspci.txt'));
    await writeFile(join(dir, 'b-empty.txt'), '');
    await writeFile(join(dir, 'c-binary.txt'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 2, 3]));
    await writeFile(join(dir, 'd-prose.txt'), 'this is not lspci output\njust some notes\n');
    const stdinDump = await readFile(join(LINUXHW, dumps[1]!), 'utf8');
    const corpus = [dir, join(tmp, 'no-such-dir'), '-'];
    const [inProcess, workers] = await Promise.all([analyzeJson('0', corpus, stdinDump), analyzeJson('2', corpus, stdinDump)]);
    expect([inProcess.code, workers.code]).toEqual([0, 0]);
    expect(workers.doc.summary.hostsRead).toBe(2);
    expect(workers.doc.summary.hostsSkipped).toBe(4);
    expect(workers.doc.summary.skippedReasons).toEqual({
      'empty file': 1,
      'binary file': 1,
      'not an lspci dump or IOMMU group listing': 1,
      'no such file or directory': 1,
    });
    expect(workers.doc.summary).toEqual(inProcess.doc.summary);
    expect(workers.doc.changes).toEqual(inProcess.doc.changes);
    expect(workers.doc.diagnostics.map(diagKey)).toEqual(inProcess.doc.diagnostics.map(diagKey));
    // Worker results are folded in input order: directory files sorted, then the missing path.
    const errorFiles = workers.doc.diagnostics.filter((d) => d.code !== 'stderr-spliced').map((d) => d.file);
    expect(errorFiles).toEqual([join(dir, 'b-empty.txt'), join(dir, 'c-binary.txt'), join(dir, 'd-prose.txt'), join(tmp, 'no-such-dir')]);
  });

  it('--workers must be a whole number from 0 to 64', async () => {
    const r = await runCli(['analyze', '--series', PORTDRV, '--corpus', LINUXHW, '--format', 'text', '--workers', '-1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--workers: expected a whole number from 0 to 64, got "-1"');
  });
});

describe('bench corpus', () => {
  it('replicates the real dumps byte for byte under new host ids, wrapping around the source list', async () => {
    const sources = await sourceDumps(LINUXHW);
    expect(sources.map((s) => s.name)).not.toContain('manifest.csv');
    const n = sources.length + 3;
    const target = join(tmp, 'scaled');
    const bytes = await replicateCorpus(sources, target, n);
    const names = (await readdir(target)).sort();
    expect(names).toHaveLength(n);
    expect(names[0]).toBe(replicaName(0, sources[0]!.name));
    expect(names[n - 1]).toBe(`h${String(n - 1).padStart(6, '0')}-${sources[2]!.name}`);
    expect(await readFile(join(target, names[n - 1]!))).toEqual(await readFile(sources[2]!.path));
    expect(bytes).toBe(replicatedBytes(sources, n));
    expect(bytes).toBe(sources.reduce((a, s) => a + s.bytes, 0) + sources[0]!.bytes + sources[1]!.bytes + sources[2]!.bytes);
  });
});
