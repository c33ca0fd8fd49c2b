// The corpus walk's order is the report's order: folders are read a buffer of entries at a time
// and sorted by name (UTF-16 code units, as `<` compares), folders and links to folders are
// walked where they sort, and manifests, READMEs and hidden files are not inputs.

import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listCorpus } from '../../src/corpus/read.js';

const root = mkdtempSync(join(tmpdir(), 'vfio-impact-listing-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function walked(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for await (const e of listCorpus(paths)) {
    if (e.kind === 'file') out.push(e.path.slice(root.length + 1));
    else if (e.kind === 'skip') out.push(`skip:${e.item.file.slice(root.length + 1)}`);
  }
  return out;
}

describe('listCorpus order', () => {
  it('sorts a folder of more entries than one directory read returns, and walks folders and links where they sort', async () => {
    const dir = join(root, 'big');
    mkdirSync(dir);
    // 700 files written in a scrambled order (readdir returns them in hash order anyway).
    const names = Array.from({ length: 700 }, (_, i) => `h${String((i * 389) % 700).padStart(4, '0')}.lspci.txt`);
    for (const n of names) writeFileSync(join(dir, n), '');
    // Names that sort by code unit, not by locale: upper case before lower, `é` (U+00E9) after `z`.
    for (const n of ['Zeta.txt', 'zeta.txt', 'éclair.txt', 'a b.txt']) writeFileSync(join(dir, n), '');
    // Not inputs.
    for (const n of ['manifest.csv', 'README.md', 'readme.txt', '.hidden']) writeFileSync(join(dir, n), '');
    mkdirSync(join(dir, 'h0350-sub'));
    writeFileSync(join(dir, 'h0350-sub', 'inner.txt'), '');
    const target = join(root, 'elsewhere');
    mkdirSync(target);
    writeFileSync(join(target, 'linked.txt'), '');
    symlinkSync(target, join(dir, 'h0351-link'));
    symlinkSync(join(dir, 'h0000.lspci.txt'), join(dir, 'h0352-filelink'));

    const got = await walked([dir]);
    const expected = [
      ...['Zeta.txt', 'a b.txt'],
      ...Array.from({ length: 350 }, (_, i) => `h${String(i).padStart(4, '0')}.lspci.txt`),
      // `-` (U+002D) sorts before `.` (U+002E).
      'h0350-sub/inner.txt',
      'h0350.lspci.txt',
      // A link to a folder is walked under the link's own name.
      'h0351-link/linked.txt',
      'h0351.lspci.txt',
      'h0352-filelink',
      ...Array.from({ length: 700 - 352 }, (_, i) => `h${String(i + 352).padStart(4, '0')}.lspci.txt`),
      'zeta.txt',
      'éclair.txt',
    ].map((n) => `big/${n}`);
    expect(got).toEqual(expected);
  });

  it('gives a folder with no inputs as one skipped entry', async () => {
    const dir = join(root, 'only-manifest');
    mkdirSync(dir);
    writeFileSync(join(dir, 'manifest.csv'), 'file\n');
    writeFileSync(join(dir, 'README'), '');
    expect(await walked([dir])).toEqual(['skip:only-manifest']);
  });
});
