import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadQuirkTables, matchingRows, parseQuirkTable } from '../../src/topology/quirks.js';
import { CliError } from '../../src/cli/context.js';

describe('quirk tables', () => {
  it('load from baselines/kernel with every row and its source (spec §7)', async () => {
    const t = await loadQuirkTables();
    expect(t.acs).toHaveLength(317);
    expect(t.dmaAlias).toHaveLength(140);
    const rows = matchingRows(t.acsByVendor, '8086', '1c10');
    // Intel's RCiEP rule (8086:any) comes first in the table; the PCH root-port row after it.
    expect(rows.map((r) => r.quirk)).toEqual(['pci_quirk_rciep_acs', 'pci_quirk_intel_pch_acs']);
    const pch = rows.slice(1);
    expect(pch[0]!.source).toBe('linux v6.19 drivers/pci/quirks.c pci_dev_acs_enabled[] + pci_quirk_intel_pch_acs_ids[]');
    expect(pch[0]!.file).toMatch(/baselines\/kernel\/acs-quirks\.csv$/);
    // The row's line in the file, so a result can be traced to its data.
    expect(readFileSync(pch[0]!.file, 'utf8').split('\n')[pch[0]!.line - 1]).toMatch(/^8086,1c10,pci_quirk_intel_pch_acs,/);
  });

  it('match ranges and PCI_ANY_ID in table order', async () => {
    const t = await loadQuirkTables();
    expect(matchingRows(t.acsByVendor, '177d', 'a3ff').map((r) => r.quirk)).toEqual(['pci_quirk_cavium_acs']);
    expect(matchingRows(t.acsByVendor, '8088', '0105').map((r) => r.device)).toEqual(['0100-010f', 'any']);
    expect(matchingRows(t.acsByVendor, 'abcd', '0001')).toEqual([]);
  });

  it('a bad row is an error naming file and line', () => {
    const text = 'vendor,device,quirk,effect,source\n8086,1c10,pci_quirk_intel_pch_acs,x,y\n\n80861,1c10,q,x,y\n';
    expect(() => parseQuirkTable(text, 'bad.csv')).toThrow(CliError);
    expect(() => parseQuirkTable(text, 'bad.csv')).toThrow("bad.csv:4: vendor '80861' is not 4 hex digits");
  });
});
