// Real dumps from ../shared/corpora, mutated: truncated at every block boundary and mid-line,
// bytes flipped, CRLF, NUL bytes, blocks duplicated and reordered, a 50 MB line, 100k blocks.
// Properties: parseInput never throws, stays within the time bound, every warning/error names
// the file and a line inside it, and the blocks the mutation did not touch are read as before.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseInput } from '../../src/corpus/parse.js';
import type { Device } from '../../src/corpus/model.js';
import { DUMPS, FORUM_POSTS, expectLocated, lineCount, timed, type Input } from './support.js';

/** What a device's judgement depends on; `line` and `multifunction` move with the mutation. */
function essence(d: Device) {
  return {
    bdf: d.bdf,
    classCode: d.classCode,
    headerType: d.headerType,
    driver: d.driver,
    driverKnown: d.driverKnown,
    iommuGroup: d.iommuGroup,
    pcieType: d.pcieType,
    acsCap: d.acsCap,
    acsCtl: d.acsCtl,
  };
}

function parse(text: string, file: string) {
  const r = timed(text.length, () => parseInput(text, file));
  expectLocated(r.diagnostics, file, lineCount(text));
  return r;
}

function devicesOf(text: string, file: string): Map<string, Device> {
  return new Map((parse(text, file).hosts[0]?.devices ?? []).map((d) => [d.bdf, d]));
}

/** lspci's device blocks: [first line, last line] (0-based), separated by blank lines. */
function blockRanges(text: string): Array<[number, number]> {
  const lines = text.split('\n');
  const out: Array<[number, number]> = [];
  let start = -1;
  lines.forEach((l, i) => {
    const blank = l.trim() === '';
    if (!blank && start < 0) start = i;
    if (blank && start >= 0) {
      out.push([start, i - 1]);
      start = -1;
    }
  });
  if (start >= 0) out.push([start, lines.length - 1]);
  return out;
}

const full = new Map<string, Map<string, Device>>(DUMPS.map((d) => [d.name, devicesOf(d.text, d.name)]));
const header = /^(?:[0-9a-f]{4,8}:)?[0-9a-f]{2}:[0-9a-f]{2}\.[0-7] /;

/** bdf of the device a block's header line names, as the parser writes it. */
function bdfOfBlock(lines: string[], range: [number, number], all: Map<string, Device>): string | null {
  const h = lines[range[0]] ?? '';
  if (!header.test(h)) return null;
  const m = /^(?:([0-9a-f]{4,8}):)?([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])/.exec(h)!;
  const bdf = `${(m[1] ?? '0000').padStart(4, '0')}:${m[2]}:${m[3]}.${m[4]}`;
  return all.has(bdf) ? bdf : null;
}

// Names, not texts, so a counterexample prints short.
const byName = new Map(DUMPS.map((d) => [d.name, d]));
const dumpArb = fc.constantFrom(...DUMPS.map((d) => d.name));

describe('truncation', () => {
  // Guards parse.ts closeBlock (truncated-block) and merge.ts blockToDevice (driverKnown only
  // when the block reached its kernel lines).
  it('at every block boundary of three dumps: exactly the blocks before the cut, read as in the whole dump', () => {
    for (const dump of DUMPS.filter((d) => /x399-taichi|optiplex-7070-8a|b450m/.test(d.name))) {
      const all = full.get(dump.name)!;
      const lines = dump.text.split('\n');
      const ranges = blockRanges(dump.text);
      expect(ranges.length).toBeGreaterThan(10);
      for (let k = 1; k <= ranges.length; k++) {
        const last = ranges[k - 1]!;
        const want = ranges.slice(0, k).map((r) => bdfOfBlock(lines, r, all)).filter((b): b is string => b !== null);
        // After the blank line that closes block k: every block is complete.
        const got = devicesOf(lines.slice(0, last[1] + 2).join('\n') + '\n', dump.name);
        expect([...got.keys()].sort()).toEqual([...new Set(want)].sort());
        for (const bdf of want) expect(essence(got.get(bdf)!)).toEqual(essence(all.get(bdf)!));
        // Before that blank line: block k may have been cut, so without kernel lines its binding is unknown.
        const bdf = bdfOfBlock(lines, last, all);
        if (bdf === null) continue;
        const cut = devicesOf(lines.slice(0, last[1] + 1).join('\n') + '\n', dump.name).get(bdf)!;
        const endsWithKernelLine = /^\tKernel (driver in use|modules): /.test(lines[last[1]] ?? '');
        if (endsWithKernelLine) expect(essence(cut)).toEqual(essence(all.get(bdf)!));
        else expect(cut.driverKnown).toBe(false);
      }
    }
  });

  it('mid-line anywhere: blocks that ended before the cut are unchanged, the cut block has no known binding unless shown', () => {
    fc.assert(
      fc.property(dumpArb, fc.double({ min: 0, max: 1, noNaN: true }), (name, at) => {
        const dump = byName.get(name)!;
        const cutAt = Math.floor(at * dump.text.length);
        const text = dump.text.slice(0, cutAt);
        const got = devicesOf(text, dump.name);
        const all = full.get(dump.name)!;
        const lines = dump.text.split('\n');
        const cutLine = text.split('\n').length - 1; // 0-based line the cut falls in
        for (const r of blockRanges(dump.text)) {
          const bdf = bdfOfBlock(lines, r, all);
          if (bdf === null) continue;
          if (r[1] + 1 < cutLine) expect(essence(got.get(bdf)!)).toEqual(essence(all.get(bdf)!));
          else if (r[0] < cutLine && got.has(bdf)) {
            // Cut inside the block: a binding it did not reach is unknown, never "no driver".
            const d = got.get(bdf)!;
            if (d.driverKnown) expect(d.driver).toBe(all.get(bdf)!.driver);
          }
        }
      }),
    );
  });

  it('forum posts (listing, ---, lspci) cut anywhere never throw and stay located', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FORUM_POSTS.map((p) => p.name)), fc.double({ min: 0, max: 1, noNaN: true }), (name, at) => {
        const post = FORUM_POSTS.find((p) => p.name === name)!;
        parse(post.text.slice(0, Math.floor(at * post.text.length)), post.name);
      }),
    );
  });
});

/** XOR bytes of a dump at [index, mask], keeping its line structure: no LF is made or destroyed. */
function flipBytes(dump: Input, flips: Array<[number, number]>): { text: string; touched: Set<number> } {
  const buf = Buffer.from(dump.text, 'utf8');
  const touchedBytes: number[] = [];
  for (const [at, mask] of flips) {
    const i = at % buf.length;
    const v = buf[i]! ^ mask;
    if (buf[i] === 10 || v === 10) continue;
    buf[i] = v;
    touchedBytes.push(i);
  }
  // Lines touched: a broken UTF-8 sequence never swallows an LF, so the damage stays in the line.
  const touched = new Set<number>();
  for (const i of touchedBytes) touched.add(buf.subarray(0, i).toString('latin1').split('\n').length - 1);
  return { text: buf.toString('utf8'), touched };
}

function untouchedBlocksRead(dump: Input, text: string, touched: Set<number>): void {
  const got = devicesOf(text, dump.name);
  const all = full.get(dump.name)!;
  const lines = dump.text.split('\n');
  for (const r of blockRanges(dump.text)) {
    let clean = true;
    for (let l = r[0] - 1; l <= r[1] + 1; l++) if (touched.has(l)) clean = false;
    const bdf = bdfOfBlock(lines, r, all);
    if (!clean || bdf === null) continue;
    // The first block of that address wins; a flip may have made an earlier one look like it.
    const d = got.get(bdf);
    expect(d, `${dump.name}: untouched block ${bdf} (lines ${r[0] + 1}-${r[1] + 1}) lost`).toBeDefined();
    if (d!.line === r[0] + 1) expect(essence(d!)).toEqual(essence(all.get(bdf)!));
  }
}

describe('damaged bytes', () => {
  it('random byte flips: no throw, located diagnostics, untouched blocks read as before', () => {
    fc.assert(
      fc.property(dumpArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }), (name, flips) => {
        const dump = byName.get(name)!;
        const { text, touched } = flipBytes(dump, flips);
        untouchedBlocksRead(dump, text, touched);
      }),
    );
  });

  // Guards parse.ts binaryLine: a NUL used to make the whole dump "binary" and lose every device.
  it('NUL bytes inside a dump: a located warning, every untouched block still read', () => {
    fc.assert(
      fc.property(dumpArb, fc.uniqueArray(fc.nat(), { minLength: 1, maxLength: 5 }), (name, spots) => {
        const dump = byName.get(name)!;
        const flips: Array<[number, number]> = [];
        const buf = Buffer.from(dump.text, 'utf8');
        for (const s of new Set(spots.map((s) => s % buf.length))) flips.push([s, buf[s]!]); // x ^ x = NUL
        const { text, touched } = flipBytes(dump, flips);
        if (touched.size === 0) return;
        const r = parse(text, dump.name);
        expect(r.hosts).toHaveLength(1);
        expect(r.diagnostics).toContainEqual(expect.objectContaining({ code: 'nul-bytes', severity: 'warning', line: Math.min(...touched) + 1 }));
        untouchedBlocksRead(dump, text, touched);
      }),
    );
  });

  it('CRLF on any subset of lines reads the same devices as LF', () => {
    fc.assert(
      fc.property(dumpArb, fc.integer({ min: 1, max: 7 }), (name, every) => {
        const dump = byName.get(name)!;
        const text = dump.text
          .split('\n')
          .map((l, i) => (i % every === 0 ? l + '\r' : l))
          .join('\n');
        const got = devicesOf(text, dump.name);
        const all = full.get(dump.name)!;
        expect([...got.values()].map(essence)).toEqual([...all.values()].map(essence));
      }),
    );
  });
});

describe('blocks duplicated and reordered', () => {
  it('the same devices; each repeat is a located duplicate-device warning', () => {
    fc.assert(
      fc.property(
        dumpArb,
        fc.array(fc.nat(), { minLength: 0, maxLength: 20 }),
        fc.array(fc.nat(), { minLength: 0, maxLength: 5 }),
        (name, order, dups) => {
          const dump = byName.get(name)!;
          const lines = dump.text.split('\n');
          const all = full.get(dump.name)!;
          const blocks = blockRanges(dump.text)
            .filter((r) => bdfOfBlock(lines, r, all) !== null)
            .map((r) => lines.slice(r[0], r[1] + 1).join('\n'));
          // A few swaps (the nat()s pick the pairs), then a few blocks repeated at the end.
          for (let k = 0; k + 1 < order.length; k += 2) {
            const a = order[k]! % blocks.length;
            const b = order[k + 1]! % blocks.length;
            [blocks[a], blocks[b]] = [blocks[b]!, blocks[a]!];
          }
          const repeated = dups.map((d) => blocks[d % blocks.length]!);
          const text = [...blocks, ...repeated].join('\n\n') + '\n\n';
          const r = parse(text, dump.name);
          const got = new Map(r.hosts[0]!.devices.map((d) => [d.bdf, d]));
          expect([...got.keys()].sort()).toEqual([...all.keys()].sort());
          for (const [bdf, d] of got) expect(essence(d)).toEqual(essence(all.get(bdf)!));
          expect(r.diagnostics.filter((d) => d.code === 'duplicate-device')).toHaveLength(repeated.length);
        },
      ),
    );
  });
});

describe('size', () => {
  it('a 50 MB single line (a header line with a huge name, and one without a newline) stays within the bound', () => {
    const big = '00:1c.0 PCI bridge [0604]: ' + 'A'.repeat(50 * 1024 * 1024);
    const r = parse(big, 'one-line.txt');
    expect(r.hosts[0]!.devices).toHaveLength(1);
    // No final newline: the line may be cut, so the block's binding is unknown (said once).
    expect(r.diagnostics.map((d) => [d.code, d.line])).toEqual([['truncated-block', 1]]);
    const junk = parse('x'.repeat(50 * 1024 * 1024), 'junk.txt');
    expect(junk.diagnostics).toEqual([expect.objectContaining({ code: 'not-lspci', line: 1 })]);
  });

  // Guards parse.ts's stderr splice: it rescanned the whole joined line per `pcilib:` message.
  it('a long line followed by thousands of spliced lspci stderr messages stays linear', () => {
    const text = '00:00.0 Host bridge: x' + 'y'.repeat(2_000_000) + 'pcilib: a\n' + 'pcilib: sysfs_read_vpd: read failed\n'.repeat(5000) + '\n\tKernel driver in use: z\n';
    const r = parse(text, 'spliced.txt');
    expect(r.hosts[0]!.devices[0]!.driver).toBe('z');
  });

  it('100k tiny blocks stay within the bound and are all read', () => {
    const blocks: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      blocks.push(`${(i >> 8).toString(16).padStart(4, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}:00.0 Class [0000]: x\n\tKernel driver in use: d`);
    }
    const text = blocks.join('\n\n') + '\n';
    const r = parse(text, 'many.txt');
    expect(r.hosts[0]!.devices).toHaveLength(100_000);
  });
});
