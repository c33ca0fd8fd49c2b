import { render } from 'ink-testing-library';
import { describe, expect, test } from 'vitest';
import { HostList, cell } from '../../../src/report/tui/HostList.js';
import { exampleAnalysis, fillerHosts, hasNoControl } from './fixtures.js';
import { renderAt } from './streams.js';

describe('HostList', () => {
  const a = exampleAnalysis();

  test('hosts by impact with counts and the blocking drivers; the selected one marked', () => {
    const frame = render(<HostList hosts={a.hosts} selected={1} height={10} columns={80} total={a.hosts.length} />).lastFrame() ?? '';
    const lines = frame.split('\n');
    expect(lines[0]).toMatch(/^Affected hosts 1-4 of 4 +reg fix und {2}blocked by/);
    expect(lines.slice(1).map((l) => l.slice(0, 2) + l.slice(2).trim().split(/\s+/).join(' '))).toEqual([
      '  evil-host 1 0 0 e1000e',
      '> notebook-dell-latitude-d620-0123456789 1 0 0 yenta_cardbus',
      '  forum-listing-only 0 0 1 (driver unknown)',
      '  desktop-asus-prime-x570-pro-02dec94612 0 1 0 -',
    ]);
    expect(lines.every((l) => l.length <= 80)).toBe(true);
    expect(hasNoControl(frame)).toBe(true);
  });

  test('scrolls so the selected host is visible, and says which rows are shown', () => {
    const big = exampleAnalysis(fillerHosts(30));
    const frame = render(<HostList hosts={big.hosts} selected={25} height={6} columns={80} total={big.hosts.length} />).lastFrame() ?? '';
    const lines = frame.split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[0]).toContain('Affected hosts 23-28 of 34');
    expect(lines.find((l) => l.startsWith('> '))).toContain(big.hosts[25]!.host);
    expect(lines.every((l) => l.length <= 80)).toBe(true);
  });

  test('platform column on wide terminals', () => {
    const r = renderAt(<HostList hosts={a.hosts} selected={0} height={10} columns={120} total={4} />, 120, 20);
    const frame = r.lastFrame();
    r.unmount();
    expect(frame).toContain('notebook-dell-latitude-d620-0123456789');
    expect(frame).toContain('platform');
    expect(frame).toContain('Dell Latitude D620');
    expect(frame).toContain('Evil Corp Board 9');
  });

  test('empty states: nothing changed vs nothing matches the filters', () => {
    expect(render(<HostList hosts={[]} selected={0} height={5} columns={80} total={0} />).lastFrame()).toContain('No group changes its verdict.');
    const f = render(<HostList hosts={[]} selected={0} height={5} columns={80} total={4} />).lastFrame() ?? '';
    expect(f).toContain('No host matches the filters.');
    expect(f).toContain('(filtered from 4)');
  });

  test('cell pads or cuts to the width, keeping a gap', () => {
    expect(cell('abc', 5)).toBe('abc  ');
    expect(cell('abcdef', 5)).toBe('abc~ ');
    expect(cell('abcd', 5)).toBe('abcd ');
  });
});
