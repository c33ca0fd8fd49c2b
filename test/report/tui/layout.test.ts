import { describe, expect, test } from 'vitest';
import { clampIndex, visibleWindow, wrapText } from '../../../src/report/tui/layout.js';

describe('layout helpers', () => {
  test('wrapText breaks at words and cuts words longer than a line', () => {
    expect(wrapText('unbind yenta_cardbus from bridge 0000:03:01.0', 20)).toEqual(['unbind yenta_cardbus', 'from bridge', '0000:03:01.0']);
    expect(wrapText('x'.repeat(25), 10)).toEqual(['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
    expect(wrapText('', 10)).toEqual(['']);
  });

  test('visibleWindow keeps the selected row inside the window', () => {
    expect(visibleWindow(5, 4, 10)).toEqual({ start: 0, end: 5 });
    expect(visibleWindow(100, 0, 10)).toEqual({ start: 0, end: 10 });
    expect(visibleWindow(100, 50, 10)).toEqual({ start: 45, end: 55 });
    expect(visibleWindow(100, 99, 10)).toEqual({ start: 90, end: 100 });
    for (let sel = 0; sel < 40; sel++) {
      const w = visibleWindow(40, sel, 7);
      expect(sel >= w.start && sel < w.end && w.end - w.start === 7).toBe(true);
    }
  });

  test('clampIndex', () => {
    expect([clampIndex(-1, 3), clampIndex(5, 3), clampIndex(1, 3), clampIndex(2, 0)]).toEqual([0, 2, 1, 0]);
  });
});
