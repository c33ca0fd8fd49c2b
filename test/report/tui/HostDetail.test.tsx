import { describe, expect, test } from 'vitest';
import { HostDetail, detailLineCount } from '../../../src/report/tui/HostDetail.js';
import type { HostImpact } from '../../../src/policy/analysis.js';
import { exampleAnalysis, hasNoControl } from './fixtures.js';
import { renderAt } from './streams.js';

function frameOf(host: HostImpact, scroll: number, height: number, columns: number): string {
  const r = renderAt(<HostDetail host={host} series={a.series} scroll={scroll} height={height} columns={columns} />, columns, height + 1);
  const f = r.lastFrame();
  r.unmount();
  return f;
}

const a = exampleAnalysis();
const byPrefix = (p: string): HostImpact => a.hosts.find((h) => h.host.startsWith(p))!;
const cols = (line: string | undefined) => (line ?? '').slice(2).trim().split(/\s{1,}/);

describe('HostDetail', () => {
  test('a CardBus bridge on yenta_cardbus: devices, why it blocks, the cause and the remedy', () => {
    const frame = frameOf(byPrefix('notebook-dell'), 0, 30, 140);
    const lines = frame.split('\n');
    expect(lines[0]).toBe('Host notebook-dell-latitude-d620-0123456789 (Dell Latitude D620)');
    expect(frame).toContain('REGRESSED group 9 [potential]: old rule viable, new rule blocked without the series, blocked with it');
    const bridge = lines.find((l) => l.includes('0000:03:01.0') && l.startsWith('*'));
    expect(cols(bridge).slice(0, 8)).toEqual(['0000:03:01.0', 'CardBus', 'bridge', 'yenta_cardbus', 'cardbus', 'no', 'pass', 'BLOCK']);
    expect(bridge).toContain('Texas Instruments PCIxx21/x515 Cardbus Controller');
    const firewire = lines.find((l) => l.includes('0000:03:01.4'));
    expect(firewire?.startsWith('  ')).toBe(true);
    expect(firewire).toMatch(/vfio-pci +normal +yes +pass +pass +pass/);
    const flat = lines.map((l) => l.trim()).join(' ');
    expect(flat).toContain(
      'blocked by 0000:03:01.0 (yenta_cardbus): before: bridge, header type 2, any driver; now: yenta_cardbus does not declare driver_managed_dma',
    );
    expect(frame).toContain('caused by the new rule itself (no patch of the series changes this verdict)');
    expect(flat).toContain('remedy: unbind yenta_cardbus from bridge 0000:03:01.0 or bind it to pci-stub');
  });

  test('a fix names the patch that caused it by number and subject', () => {
    const frame = frameOf(byPrefix('desktop-asus'), 0, 30, 120);
    expect(frame).toContain('FIXED group 4 [potential]');
    expect(frame).toContain('unblocked by 0000:00:08.1 (pcieport)');
    expect(frame).toContain('caused by patch #1: PCI/portdrv: Set driver_managed_dma');
  });

  test('a device name carrying escape sequences is shown without them', () => {
    const frame = frameOf(byPrefix('evil'), 0, 30, 100);
    expect(hasNoControl(frame)).toBe(true);
    expect(frame).not.toContain('pwned-title');
    expect(frame).toContain('Evil Red NIC rev 01');
    expect(frame).toContain('Host evil-host (Evil Corp Board 9)');
  });

  test('undetermined: the binding the input does not show', () => {
    const frame = frameOf(byPrefix('forum'), 0, 30, 100);
    expect(frame).toContain('derived groups, low confidence: capabilities not readable');
    expect(frame).toContain('UNDETERMINED group 2 [actual]');
    expect(frame).toMatch(/0000:00:02\.0 +\? +\(unknown\) +normal +- /);
    expect(frame).toContain('undecided 0000:00:02.0 (driver unknown): before: binding not shown by the input');
  });

  test('narrow terminals put the device name on its own line and wrap long text; it scrolls', () => {
    const host = byPrefix('notebook-dell');
    const total = detailLineCount(host, a.series, 80);
    const top = frameOf(host, 0, 8, 80);
    const topLines = top.split('\n');
    expect(topLines).toHaveLength(8);
    expect(topLines[3]).toContain(`lines 1-4 of ${total}`);
    expect(topLines.every((l) => l.length <= 80)).toBe(true);
    expect(topLines.find((l) => l.trim().startsWith('Texas Instruments PCIxx21/x515'))).toBeDefined();
    const end = frameOf(host, total, 8, 80);
    expect(end).toContain(`of ${total}`);
    expect(end).toContain('70693f470848');
    expect(end).not.toContain('REGRESSED');
  });
});
