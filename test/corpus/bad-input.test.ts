// Bad input: each gets a diagnostic naming file and line, and the run goes on.

import { mkdtempSync, mkdirSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { parseInput } from '../../src/corpus/parse.js';
import { readCorpus, type CorpusProgress } from '../../src/corpus/read.js';
import type { CorpusItem } from '../../src/corpus/model.js';
import { hostStats } from '../../src/corpus/stats.js';
import { CORPORA, blocksOf, headerLineCount, linuxhw } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'vfio-impact-corpus-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function collect(paths: string[], options = {}): Promise<CorpusItem[]> {
  const items: CorpusItem[] = [];
  for await (const it of readCorpus(paths, options)) items.push(it);
  return items;
}

const dump = linuxhw('desktop-dell-optiplex-7070-8a436329aa');

describe('parseInput on bad text', () => {
  it('CRLF line endings read the same as LF, with an info diagnostic', () => {
    const lf = parseInput(dump.text, 'lf.txt').hosts[0]!;
    const r = parseInput(dump.text.replace(/\n/g, '\r\n'), 'crlf.txt');
    expect(r.hosts).toHaveLength(1);
    expect(hostStats(r.hosts[0]!)).toEqual({ ...hostStats(lf), file: 'crlf.txt', id: 'crlf', diagnostics: 1 });
    expect(r.diagnostics).toEqual([expect.objectContaining({ file: 'crlf.txt', line: 1, severity: 'info', code: 'crlf' })]);
  });

  it('a dump truncated in the middle of a device block: warning at the last line, binding unknown', () => {
    const lines = dump.text.split('\n');
    // Cut inside the block of the last device that has a driver, before its kernel lines.
    const blocks = blocksOf(dump.text);
    const victim = [...blocks].reverse().find((b) => b.lines.some((l) => l.startsWith('\tKernel driver in use:')))!;
    const start = lines.indexOf(victim.header);
    const cut = lines.slice(0, start + 4).join('\n') + '\n';
    const r = parseInput(cut, 'cut.txt');
    const h = r.hosts[0]!;
    expect(h.devices).toHaveLength(headerLineCount(cut));
    const w = r.diagnostics.find((d) => d.code === 'truncated-block');
    expect(w).toMatchObject({ file: 'cut.txt', line: start + 4, severity: 'warning' });
    const d = h.devices.find((x) => x.line === start + 1)!;
    expect([d.driverKnown, d.driver]).toEqual([false, null]);
    // Devices before the cut keep their bindings.
    expect(h.devices.filter((x) => x !== d).every((x) => x.driverKnown)).toBe(true);
  });

  it('a dump cut in the middle of a line is truncated too', () => {
    const cut = dump.text.slice(0, dump.text.length - 40);
    const r = parseInput(cut, 'midline.txt');
    expect(r.hosts).toHaveLength(1);
    expect(r.diagnostics.some((d) => d.code === 'truncated-block' && d.line === cut.split('\n').length)).toBe(true);
  });

  it('empty, blank, binary and non-lspci text give no host and an error naming file and line', () => {
    expect(parseInput('', 'e.txt')).toEqual({ hosts: [], diagnostics: [expect.objectContaining({ file: 'e.txt', line: 1, code: 'empty' })] });
    expect(parseInput('\n \n\t\n', 'b.txt').diagnostics[0]).toMatchObject({ code: 'empty', line: 1 });
    const bin = gzipSync(Buffer.from(dump.text)).toString('utf8');
    expect(parseInput(bin, 'x.gz')).toEqual({ hosts: [], diagnostics: [expect.objectContaining({ file: 'x.gz', code: 'binary', severity: 'error' })] });
    const readme = parseInput('# Real-world corpora\n\nRead these by path.\n', 'README.md');
    expect(readme.hosts).toEqual([]);
    expect(readme.diagnostics).toEqual([expect.objectContaining({ file: 'README.md', line: 1, code: 'not-lspci', severity: 'error' })]);
  });

  it('escape sequences in names never reach the model', () => {
    const evil = dump.text.replace('Intel Corporation', 'Intel \u001b[31mCorp\u202e');
    const d = parseInput(evil, 'evil.txt').hosts[0]!.devices[0]!;
    expect(d.description).not.toMatch(/[\u001b\u202e]/);
    expect(d.description.startsWith('Intel Corp')).toBe(true);
  });
});

describe('readCorpus on bad inputs: the run goes on', () => {
  const empty = join(tmp, 'empty.txt');
  const binary = join(tmp, 'dump.lspci.txt.gz');
  const emptyDir = join(tmp, 'nothing-here');
  const manifestOnly = join(tmp, 'manifest-only');
  writeFileSync(empty, '');
  writeFileSync(binary, gzipSync(Buffer.from(dump.text)));
  mkdirSync(emptyDir);
  mkdirSync(manifestOnly);
  copyFileSync(join(CORPORA, 'linuxhw', 'manifest.csv'), join(manifestOnly, 'manifest.csv'));
  const missing = join(tmp, 'no-such-file.txt');
  const readme = join(CORPORA, 'README.md');

  it('reads the good dump and skips each bad input with its reason and a diagnostic', async () => {
    const items = await collect([empty, binary, dump.path, readme, emptyDir, manifestOnly, missing], { ordered: true });
    expect(items.map((i) => (i.kind === 'host' ? 'host' : i.reason))).toEqual([
      'empty file',
      'binary file',
      'host',
      'not an lspci dump or IOMMU group listing',
      'directory holds no dumps',
      'directory holds no dumps',
      'no such file or directory',
    ]);
    for (const i of items) {
      if (i.kind !== 'skipped') continue;
      expect(i.diagnostics.length).toBeGreaterThan(0);
      expect(i.diagnostics[0]!.file).toBe(i.file);
    }
    const bin = items[1]!;
    expect(bin.kind === 'skipped' && bin.diagnostics[0]!.line).toBeGreaterThanOrEqual(1);
  });

  it('reports progress and bytes', async () => {
    const seen: CorpusProgress[] = [];
    await collect([empty, dump.path, missing], { onProgress: (p: CorpusProgress) => seen.push(p) });
    expect(seen.at(-1)).toEqual({ files: 3, hosts: 1, skipped: 2, bytes: Buffer.byteLength(dump.text) });
  });

  it('- reads stdin', async () => {
    const items = await collect(['-'], { stdin: Readable.from([Buffer.from(dump.text)]) });
    expect(items).toHaveLength(1);
    const h = items[0]!;
    if (h.kind !== 'host') throw new Error('expected a host');
    expect(h.host.file).toBe('<stdin>');
    expect(h.host.devices).toHaveLength(headerLineCount(dump.text));
  });

  it('attaches the manifest row beside a dump named on its own', async () => {
    const [item] = await collect([dump.path]);
    if (item?.kind !== 'host') throw new Error('expected a host');
    expect(item.host.id).toBe('desktop-dell-optiplex-7070-8a436329aa');
    expect(item.host.metadata['model']).toBe('OptiPlex 7070');
    expect(item.host.kernel).toBe('6.2.11-1-PVE');
  });

  it('many files with a small concurrency: all read, completion order and input order hold the same hosts', async () => {
    const dir = join(tmp, 'many');
    mkdirSync(dir);
    const text = blocksOf(dump.text).slice(0, 3).map((b) => [b.header, ...b.lines].join('\n')).join('\n\n') + '\n\n';
    for (let i = 0; i < 60; i++) writeFileSync(join(dir, `host-${String(i).padStart(3, '0')}.txt`), text);
    const ordered = await collect([dir], { concurrency: 3, ordered: true });
    const any = await collect([dir], { concurrency: 3 });
    const names = (xs: CorpusItem[]) => xs.map((i) => (i.kind === 'host' ? i.host.id : i.file));
    expect(names(ordered)).toEqual(Array.from({ length: 60 }, (_, i) => `host-${String(i).padStart(3, '0')}`));
    expect(names(any).sort()).toEqual(names(ordered));
  });
});
