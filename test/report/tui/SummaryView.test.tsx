import { render } from 'ink-testing-library';
import { describe, expect, test } from 'vitest';
import { SummaryView, judgedScopes, summaryHeight } from '../../../src/report/tui/SummaryView.js';
import { analysisOf, dellD620, exampleAnalysis, exampleSeries, fillerHosts, hasNoControl } from './fixtures.js';

const rowOf = (frame: string, label: string) => frame.split('\n').find((l) => l.trimStart().startsWith(label))?.trim().split(/\s{2,}/);

describe('SummaryView', () => {
  test('per scope: groups judged, regressed and fixed with the series, undetermined, and without the series', () => {
    const frame = render(<SummaryView analysis={exampleAnalysis()} maxPatchRows={3} />).lastFrame() ?? '';
    expect(frame).toContain('Corpus: 4 host(s) read, 0 skipped; groups: 3 from the dump, 1 derived (1 low confidence), 0 unknown');
    expect(rowOf(frame, 'actual')).toEqual(['actual', 'potential']);
    expect(rowOf(frame, 'groups judged')).toEqual(['groups judged', '3', '2']);
    expect(rowOf(frame, 'regressed (old rule -> series)')).toEqual(['regressed (old rule -> series)', '1', '1']);
    expect(rowOf(frame, 'fixed (old rule -> series)')).toEqual(['fixed (old rule -> series)', '0', '1']);
    expect(rowOf(frame, 'undetermined')).toEqual(['undetermined', '1', '0']);
    expect(rowOf(frame, 'without the series')).toEqual(['without the series: regressed/fixed', '1/0', '1/0']);
  });

  test('per patch: the patches that change a verdict, the others counted', () => {
    const frame = render(<SummaryView analysis={exampleAnalysis()} maxPatchRows={3} />).lastFrame() ?? '';
    expect(frame).toContain('#1 actual -0 +0  potential -0 +1  PCI/portdrv: Set driver_managed_dma');
    expect(frame).not.toContain('#2 ');
    expect(frame).toContain('1 patch(es) change none');
    expect(hasNoControl(frame)).toBe(true);
  });

  test('a run with one scope shows only that scope', () => {
    const a = analysisOf(exampleSeries(), [dellD620()]);
    expect(judgedScopes(a)).toEqual(['potential']);
    const frame = render(<SummaryView analysis={a} maxPatchRows={3} />).lastFrame() ?? '';
    expect(rowOf(frame, 'groups judged')).toEqual(['groups judged', '1']);
    expect(frame).toContain('no patch changes a verdict');
  });

  test('summaryHeight is the number of rows drawn', () => {
    for (const a of [exampleAnalysis(), analysisOf(exampleSeries(), [dellD620()]), exampleAnalysis(fillerHosts(2))]) {
      for (const budget of [1, 3]) {
        const frame = render(<SummaryView analysis={a} maxPatchRows={budget} />).lastFrame() ?? '';
        expect(frame.split('\n')).toHaveLength(summaryHeight(a, budget));
      }
    }
  });

  test('unresolved declaration changes are warned about', () => {
    const series = exampleSeries();
    const p2 = series.patches[2]!;
    p2.changes[0] = { ...p2.changes[0]!, driver: null };
    const a = analysisOf(series, [dellD620()]);
    const frame = render(<SummaryView analysis={a} maxPatchRows={3} />).lastFrame() ?? '';
    expect(frame).toContain('WARNING: 1 declaration change(s) could not be tied to a driver and were not applied');
    expect(frame.split('\n')).toHaveLength(summaryHeight(a, 3));
  });
});
