import { describe, expect, test } from 'vitest';
import {
  NO_DRIVER,
  NO_FILTERS,
  applyFilters,
  cycleChoice,
  driverChoices,
  nextScope,
  vendorChoices,
  vendorOf,
} from '../../../src/report/tui/hostFilters.js';
import { exampleAnalysis, fillerHosts } from './fixtures.js';

describe('host-list filters', () => {
  const a = exampleAnalysis();

  test('vendor is the first word of the platform; no platform is "unknown"', () => {
    expect(vendorOf('ASUSTek Computer PRIME X570-PRO')).toBe('ASUSTek');
    expect(vendorOf('unknown platform')).toBe('unknown');
    expect(vendorOf('  ')).toBe('unknown');
  });

  test('choices are the blocking drivers and the vendors, sorted', () => {
    expect(driverChoices(a.hosts)).toEqual([NO_DRIVER, 'e1000e', 'pcieport', 'yenta_cardbus']);
    expect(vendorChoices(a.hosts)).toEqual(['ASUSTek', 'Dell', 'Evil', 'unknown']);
  });

  test('a filter key cycles any -> each choice -> any', () => {
    const seen: Array<string | null> = [];
    let cur: string | null = null;
    for (let i = 0; i < 4; i++) {
      cur = cycleChoice(['a', 'b', 'c'], cur);
      seen.push(cur);
    }
    expect(seen).toEqual(['a', 'b', 'c', null]);
    expect(cycleChoice([], null)).toBeNull();
    expect([nextScope('all'), nextScope('actual'), nextScope('potential')]).toEqual(['actual', 'potential', 'all']);
  });

  test('no filter keeps every affected host in impact order', () => {
    expect(applyFilters(a.hosts, NO_FILTERS).map((h) => h.host)).toEqual(a.hosts.map((h) => h.host));
  });

  test('scope filter keeps only that scope and recounts', () => {
    const actual = applyFilters(a.hosts, { ...NO_FILTERS, scope: 'actual' });
    expect(actual.map((h) => h.host)).toEqual(['evil-\x1b[2Jhost', 'forum-listing-only']);
    const potential = applyFilters(a.hosts, { ...NO_FILTERS, scope: 'potential' });
    expect(potential.map((h) => [h.host, h.regressions, h.fixes])).toEqual([
      ['notebook-dell-latitude-d620-0123456789', 1, 0],
      ['desktop-asus-prime-x570-pro-02dec94612', 0, 1],
    ]);
  });

  test('driver and vendor filters combine', () => {
    const yenta = applyFilters(a.hosts, { ...NO_FILTERS, driver: 'yenta_cardbus' });
    expect(yenta.map((h) => h.host)).toEqual(['notebook-dell-latitude-d620-0123456789']);
    expect(applyFilters(a.hosts, { ...NO_FILTERS, driver: 'yenta_cardbus', vendor: 'ASUSTek' })).toEqual([]);
    expect(applyFilters(a.hosts, { ...NO_FILTERS, driver: NO_DRIVER }).map((h) => h.host)).toEqual(['forum-listing-only']);
  });

  test('filtering re-sorts by impact: regressions first, then name', () => {
    const big = exampleAnalysis(fillerHosts(3));
    const hosts = applyFilters(big.hosts, { ...NO_FILTERS, scope: 'potential' });
    expect(hosts.map((h) => h.host)).toEqual([
      'filler-00',
      'filler-01',
      'filler-02',
      'notebook-dell-latitude-d620-0123456789',
      'desktop-asus-prime-x570-pro-02dec94612',
    ]);
  });
});
