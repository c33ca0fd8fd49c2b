// matchingRows() looks rows up through a per-vendor index by device ID: it must answer exactly
// what a scan of the table in order answers, for every ID, odd ID strings included.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadQuirkTables, matchingRows, quirkTables, type QuirkRow } from '../../src/topology/quirks.js';

/** The plain definition: every row of the vendor whose range holds the ID, in table order. */
function scan(rows: readonly QuirkRow[], vendor: string | null, device: string | null): QuirkRow[] {
  if (vendor === null || device === null) return [];
  const id = parseInt(device, 16);
  if (Number.isNaN(id)) return [];
  return rows.filter((r) => r.vendor === vendor.toLowerCase() && id >= r.deviceFrom && id <= r.deviceTo);
}

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

function row(vendor: string, from: number, to: number, i: number): QuirkRow {
  return { vendor, deviceFrom: from, deviceTo: to, device: `${hex4(from)}-${hex4(to)}`, quirk: `q${i}`, effect: '', source: '', file: 't.csv', line: i + 2 };
}

describe('quirk row index', () => {
  it('answers as a scan of the real tables for every ID at and around each row boundary', async () => {
    const t = await loadQuirkTables();
    for (const [rows, index] of [
      [t.acs, t.acsByVendor],
      [t.dmaAlias, t.dmaAliasByVendor],
    ] as const) {
      const vendors = [...new Set(rows.map((r) => r.vendor)), 'abcd'];
      const ids = new Set<string>(['0000', 'ffff', '10000', '-1', '-0', 'zz', '', '0x10', ' 1c10', '1C10', '1c10junk']);
      for (const r of rows) for (const id of [r.deviceFrom - 1, r.deviceFrom, r.deviceTo, r.deviceTo + 1]) ids.add(hex4(Math.max(0, id)));
      for (const vendor of vendors) {
        for (const v of [vendor, vendor.toUpperCase()]) {
          for (const id of ids) expect(matchingRows(index, v, id)).toEqual(scan(rows, v, id));
        }
      }
      expect(matchingRows(index, null, '0000')).toEqual([]);
      expect(matchingRows(index, vendors[0]!, null)).toEqual([]);
    }
  });

  it('answers as a scan for random tables and IDs (overlapping ranges, table order kept)', () => {
    const rangeArb = fc.tuple(fc.integer({ min: 0, max: 0x30 }), fc.integer({ min: 0, max: 0x30 }));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('8086', '1022'), rangeArb), { maxLength: 12 }),
        fc.array(fc.integer({ min: -2, max: 0x32 }), { maxLength: 20 }),
        (specs, ids) => {
          const rows = specs.map(([vendor, [a, b]], i) => row(vendor, Math.min(a, b), Math.max(a, b), i));
          const t = quirkTables(rows, []);
          for (const vendor of ['8086', '1022']) {
            for (const id of ids) {
              const device = id < 0 ? `-${hex4(-id)}` : hex4(id);
              expect(matchingRows(t.acsByVendor, vendor, device)).toEqual(scan(rows, vendor, device));
            }
          }
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });
});
