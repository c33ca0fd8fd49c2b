import { render } from 'ink-testing-library';
import { describe, expect, test } from 'vitest';
import { FullHelp, KeyHelp } from '../../../src/report/tui/KeyHelp.js';

describe('KeyHelp', () => {
  test('one line per screen naming its keys', () => {
    expect(render(<KeyHelp screen="list" />).lastFrame()).toBe(
      'Keys: up/down j/k move  Enter open  s scope  d driver  v vendor  ? help  q quit',
    );
    expect(render(<KeyHelp screen="detail" />).lastFrame()).toBe('Keys: up/down j/k scroll  Esc/Backspace back  ? help  q quit');
    expect(render(<KeyHelp screen="loading" />).lastFrame()).toBe('Keys: q quit');
  });

  test('the full help lists every key and the column legend within 80 columns and 23 rows', () => {
    const frame = render(<FullHelp />).lastFrame() ?? '';
    for (const k of ['Enter', 'Esc, Backspace', 'PgUp/PgDn', 's ', 'd ', 'v ', '?', 'q, Ctrl-C']) expect(frame).toContain(k);
    expect(frame).toContain('driver_managed_dma');
    const lines = frame.split('\n');
    expect(lines.length).toBeLessThanOrEqual(22);
    expect(lines.every((l) => l.length <= 80)).toBe(true);
  });
});
