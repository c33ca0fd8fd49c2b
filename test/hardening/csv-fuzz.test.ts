// CSV inputs from strangers: the corpus manifest, the gate baseline and the declared-driver
// table, mutated with stray quotes, embedded newlines, a BOM, wrong and missing columns,
// truncation. A manifest is metadata: bad rows are reported at their line and the rest is read.
// A baseline or a driver table decides the verdict: any fault refuses the whole file with a
// CliError naming it (the gate exits 2), never another exception.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/corpus/manifest.js';
import { parseBaseline } from '../../src/report/gate.js';
import { parseDriverTable } from '../../src/policy/tables.js';
import { CliError } from '../../src/cli/context.js';
import { BASELINE, MANIFEST, expectLocated, lineCount, timed } from './support.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support.js';

const DECLARED = readFileSync(join(ROOT, 'baselines', 'kernel', 'declared-drivers-v6.19.csv'), 'utf8');

/** Edits at random places: each keeps the file a text file, most make it invalid CSV. */
const edit = fc.tuple(
  fc.constantFrom('"', '""', '"x"y', '\n', '\r\n', ',', ',,,,', '\ufeff', '\u0000', '\u001b[2J', '=HYPERLINK("x")', '', '\r'),
  fc.double({ min: 0, max: 1, noNaN: true }),
  fc.nat({ max: 3 }),
);

function mutate(text: string, edits: Array<[string, number, number]>): string {
  let t = text;
  for (const [ins, at, del] of edits) {
    const i = Math.floor(at * t.length);
    t = t.slice(0, i) + ins + t.slice(i + del);
  }
  return t;
}

const manifestRows = MANIFEST.trimEnd().split('\n');

describe('manifest', () => {
  it('mutated anywhere: no exception, located warnings, every row whose lines were not touched still read', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: manifestRows.length - 1 }), fc.array(edit, { minLength: 1, maxLength: 3 }), (row, edits) => {
        // Damage one data row only, so the rows around it must survive.
        const rows = [...manifestRows];
        rows[row] = mutate(rows[row]!, edits);
        const text = rows.join('\n') + '\n';
        const m = timed(text.length, () => parseManifest(text, 'manifest.csv'));
        expectLocated(m.diagnostics, 'manifest.csv', lineCount(text));
        const quoteOpened = (rows[row]!.split('"').length - 1) % 2 === 1;
        if (quoteOpened) return; // an unclosed quote runs to the end of the file: nothing after it is a row
        for (let k = 1; k < row; k++) {
          const file = manifestRows[k]!.split(',')[1]!;
          expect(m.byFile.has(file), `row ${k + 1} (${file}) lost after damage to row ${row + 1}`).toBe(true);
        }
      }),
    );
  });

  it('a BOM, LF instead of CRLF, an embedded newline and a reordered header read the same metadata', () => {
    const plain = parseManifest(MANIFEST, 'm.csv');
    const lfRows = MANIFEST.replace(/\r\n/g, '\n').trimEnd().split('\n');
    const header = lfRows[0]!.split(',');
    const swapped = [header[1], header[0], ...header.slice(2)].join(',');
    const body = lfRows.slice(1).map((r) => {
      const cells = r.match(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, ''));
      return [cells[1], cells[0], ...cells.slice(2)].join(',');
    });
    const variants = [`\ufeff${MANIFEST}`, MANIFEST.replace(/\r\n/g, '\n'), [swapped, ...body].join('\n') + '\n'];
    variants.forEach((v, i) => {
      const m = parseManifest(v, 'm.csv');
      expect(m.diagnostics, `variant ${i}: ${m.diagnostics[0]?.message}`).toEqual([]);
      expect(m.byFile).toEqual(plain.byFile);
    });
    const multiline = MANIFEST.replace(/"non-root dump/, '"non-root\ndump');
    const m = parseManifest(multiline, 'm.csv');
    expect(m.byFile.size).toBe(plain.byFile.size);
  });

  // Guards manifest.ts skip_records_with_error: before, one stray quote lost every row.
  it('a stray quote in one row: that row is reported at its line, every other row is read', () => {
    const rows = [...manifestRows];
    rows[3] = rows[3]!.replace(',', ',x"y');
    const m = parseManifest(rows.join('\n') + '\n', 'manifest.csv');
    expect(m.byFile.size).toBe(manifestRows.length - 2);
    expect(m.diagnostics).toEqual([expect.objectContaining({ file: 'manifest.csv', line: 4, code: 'bad-manifest', severity: 'warning' })]);
  });

  it('wrong columns: no `file` column reports each row at its line and attaches nothing', () => {
    const text = MANIFEST.replace(/^id,file,/, 'id,path,');
    const m = parseManifest(text, 'manifest.csv');
    expect(m.byFile.size).toBe(0);
    expect(m.diagnostics.map((d) => d.line)).toEqual(manifestRows.slice(1).map((_, i) => i + 2));
  });
});

function refusedOrRead<T>(f: () => T, file: string): T | null {
  try {
    return f();
  } catch (err) {
    // Fail closed with the reason, naming the file: never a TypeError or a raw CsvError.
    expect(err).toBeInstanceOf(CliError);
    expect((err as Error).message).toContain(file);
    return null;
  }
}

describe('baseline and driver table fail closed', () => {
  it('a mutated baseline is read or refused with a CliError naming it', () => {
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
        const text = mutate(BASELINE, edits);
        const entries = timed(text.length, () => refusedOrRead(() => parseBaseline(text, 'base.csv'), 'base.csv'));
        if (entries) for (const e of entries) expect(e.host && e.devices && e.scope && e.blocking_driver).toBeTruthy();
      }),
    );
  });

  it('a baseline with a BOM or CRLF reads the same; a missing column, a short row or an open quote is refused', () => {
    const plain = parseBaseline(BASELINE, 'b.csv');
    expect(plain.length).toBeGreaterThan(0);
    expect(parseBaseline(`\ufeff${BASELINE}`, 'b.csv')).toEqual(plain);
    expect(parseBaseline(BASELINE.replace(/\n/g, '\r\n'), 'b.csv')).toEqual(plain);
    expect(() => parseBaseline(BASELINE.replace(/^host,/, 'hostname,'), 'b.csv')).toThrow(/missing column 'host'/);
    expect(() => parseBaseline(BASELINE + 'only,three,cells\n', 'b.csv')).toThrow(CliError);
    expect(() => parseBaseline(BASELINE + '"open', 'b.csv')).toThrow(/not a readable CSV/);
  });

  it('a mutated declared-driver table is read or refused with a CliError naming it', () => {
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
        const text = mutate(DECLARED, edits);
        timed(text.length, () => refusedOrRead(() => parseDriverTable(text, 'declared.csv'), 'declared.csv'));
      }),
    );
  });
});
