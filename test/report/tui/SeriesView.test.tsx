import { render } from 'ink-testing-library';
import { describe, expect, test } from 'vitest';
import { SeriesView } from '../../../src/report/tui/SeriesView.js';
import { exampleSeries, hasNoControl } from './fixtures.js';

describe('SeriesView', () => {
  test('lists every patch and the declaration changes found in it', () => {
    const { lastFrame } = render(<SeriesView series={exampleSeries('PCI: shpchp: declare it')} maxRows={20} />);
    const frame = lastFrame() ?? '';
    expect(frame).toContain('Series: PCI: let bridge drivers declare driver_managed_dma');
    expect(frame).toContain('2 patch(es), 2 declaration change(s)');
    expect(frame).toContain('#1 [1/2] PCI/portdrv: Set driver_managed_dma');
    expect(frame).toContain('+ pcieport: .driver_managed_dma = true  (drivers/pci/pcie/portdrv.c, pcie_portdriver)');
    expect(frame).toContain('#2 [2/2] PCI: shpchp: declare it');
    expect(frame).toContain('+ shpchp: .driver_managed_dma = true');
  });

  test('a patch subject carrying escape sequences is shown without them', () => {
    const { lastFrame } = render(<SeriesView series={exampleSeries()} maxRows={20} />);
    const frame = lastFrame() ?? '';
    expect(hasNoControl(frame)).toBe(true);
    expect(frame).not.toContain('pwned-title');
    expect(frame).toContain('#2 [2/2] PCI: shpchp: declare driver_managed_dma now');
  });

  test('more lines than rows: the rest is counted, not drawn', () => {
    const { lastFrame } = render(<SeriesView series={exampleSeries()} maxRows={4} />);
    const lines = (lastFrame() ?? '').split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toContain('... 4 more line(s)');
  });

  test('an unresolved change and series errors are flagged', () => {
    const series = exampleSeries('x');
    const p2 = series.patches[2]!;
    p2.changes[0] = { ...p2.changes[0]!, driver: null, resolvedBy: 'unresolved' };
    series.diagnostics.push({ file: 'a.patch', line: 3, severity: 'error', code: 'malformed-hunk', message: 'bad' });
    const frame = render(<SeriesView series={series} maxRows={20} />).lastFrame() ?? '';
    expect(frame).toContain('+ UNRESOLVED: .driver_managed_dma = true');
    expect(frame).toContain(', 1 error(s) reading it');
  });
});
