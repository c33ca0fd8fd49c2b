import { render } from 'ink-testing-library';
import { describe, expect, test } from 'vitest';
import { ProgressView, formatBytes, hostsPerSecond } from '../../../src/report/tui/ProgressView.js';

describe('ProgressView', () => {
  test('shows files, hosts, skipped, bytes and hosts per second', () => {
    const p = { files: 12, hosts: 10, skipped: 2, bytes: 3 * 1024 * 1024 + 512 * 1024, elapsedMs: 2500 };
    const frame = render(<ProgressView progress={p} />).lastFrame() ?? '';
    expect(frame).toBe('Reading corpus: 12 files, 10 hosts, 2 skipped, 3.5 MiB, 4 hosts/s, 2.5 s');
  });

  test('before the first report it shows zeros, and no division by zero', () => {
    const frame = render(<ProgressView progress={null} />).lastFrame() ?? '';
    expect(frame).toBe('Reading corpus: 0 files, 0 hosts, 0 skipped, 0 B, 0 hosts/s, 0.0 s');
    expect(hostsPerSecond({ files: 1, hosts: 5, skipped: 0, bytes: 0, elapsedMs: 0 })).toBe(0);
    expect([formatBytes(1000), formatBytes(2048)]).toEqual(['1000 B', '2.0 KiB']);
  });
});
