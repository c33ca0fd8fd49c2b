import { afterEach, describe, expect, test } from 'vitest';
import { App } from '../../../src/report/tui/App.js';
import type { LoadedAnalysis as Analysis } from '../../../src/policy/analysis.js';
import { exampleAnalysis, exampleSeries, fillerHosts, hasNoControl } from './fixtures.js';
import { renderAt, until } from './streams.js';

const DOWN = '\x1b[B';
const ESC = '\x1b';
const progress = { files: 7, hosts: 5, skipped: 1, bytes: 2048, elapsedMs: 1000 };

let mounted: Array<{ unmount(): void }> = [];
afterEach(() => {
  for (const m of mounted) m.unmount();
  mounted = [];
});

function mount(analysis: Analysis | null, columns = 80, rows = 24, error: string | null = null) {
  const series = analysis?.series ?? exampleSeries();
  const r = renderAt(<App series={series} progress={progress} analysis={analysis} error={error} />, columns, rows);
  mounted.push(r);
  const press = async (key: string, expect: (frame: string) => boolean) => {
    r.stdin.press(key);
    await until(() => expect(r.lastFrame()), r.lastFrame);
  };
  return { ...r, press };
}

/** The frame fits the terminal: ink never has to scroll or clear it. */
function fits(frame: string, columns: number, rows: number): boolean {
  const lines = frame.replace(/\n$/, '').split('\n');
  return lines.length < rows && lines.every((l) => l.length <= columns);
}

const selectedLine = (frame: string) => frame.split('\n').find((l) => l.startsWith('> ')) ?? '';

describe('App', () => {
  test('while the corpus loads: the series, live progress and the quit key', () => {
    const { lastFrame } = mount(null);
    const frame = lastFrame();
    expect(frame).toContain('Series: PCI: let bridge drivers declare driver_managed_dma');
    expect(frame).toContain('+ pcieport: .driver_managed_dma = true');
    expect(frame).toContain('Reading corpus: 7 files, 5 hosts, 1 skipped, 2.0 KiB, 5 hosts/s');
    expect(frame).toContain('Keys: q quit');
    expect(hasNoControl(frame)).toBe(true);
  });

  test('when the analysis arrives: summary, filters, hosts by impact, key help, all inside 80x24', async () => {
    const r = mount(null);
    const a = exampleAnalysis(fillerHosts(30));
    r.rerender(<App series={a.series} progress={progress} analysis={a} error={null} />);
    await until(() => r.lastFrame().includes('Affected hosts'), r.lastFrame);
    const frame = r.lastFrame();
    expect(frame).toContain('regressed (old rule -> series)');
    expect(frame).toContain('Filters: scope all (s)');
    expect(frame).toContain('Keys: up/down j/k move  Enter open');
    expect(selectedLine(frame)).toContain('evil-host');
    expect(fits(frame, 80, 24)).toBe(true);
    expect(hasNoControl(frame)).toBe(true);
  });

  test('move to a host, open the drill-down, see the blocking driver, go back', async () => {
    const r = mount(exampleAnalysis());
    expect(selectedLine(r.lastFrame())).toContain('evil-host');
    await r.press('j', (f) => selectedLine(f).includes('notebook-dell-latitude-d620'));
    await r.press('\r', (f) => f.includes('Host notebook-dell-latitude-d620'));
    const detail = r.lastFrame();
    expect(detail).toContain('yenta_cardbus');
    expect(detail).toContain('REGRESSED group 9 [potential]');
    expect(detail).toContain('Keys: up/down j/k scroll  Esc/Backspace back');
    expect(fits(detail, 80, 24)).toBe(true);
    await r.press(ESC, (f) => f.includes('Affected hosts'));
    expect(selectedLine(r.lastFrame())).toContain('notebook-dell-latitude-d620');
    await r.press('k', (f) => selectedLine(f).includes('evil-host'));
    await r.press('k', (f) => selectedLine(f).includes('evil-host'));
  });

  test('keys that arrive in one read (typed ahead, sent by tmux) each count', async () => {
    const r = mount(exampleAnalysis(), 80, 12);
    await r.press('jj\r', (f) => f.includes('Host forum-listing-only'));
    await r.press('\x1b[B\x1b[B', (f) => f.includes('lines 3-'));
    await r.press('hj', (f) => selectedLine(f).includes('desktop-asus'));
    let ended = false;
    void r.waitUntilExit().then(() => {
      ended = true;
    });
    r.stdin.press('kq');
    await until(() => ended, r.lastFrame);
  });

  test('arrow keys move and the list scrolls to keep the selection on screen', async () => {
    const a = exampleAnalysis(fillerHosts(30));
    const r = mount(a);
    for (let i = 1; i <= 20; i++) {
      await r.press(DOWN, (f) => selectedLine(f).includes(a.hosts[i]!.host));
      expect(fits(r.lastFrame(), 80, 24)).toBe(true);
    }
    expect(r.lastFrame()).not.toContain('filler-00 ');
  });

  test('the drill-down scrolls and Backspace goes back', async () => {
    const r = mount(exampleAnalysis(), 80, 12);
    await r.press('j', (f) => selectedLine(f).includes('notebook-dell'));
    await r.press('\r', (f) => f.includes('Host notebook-dell'));
    expect(r.lastFrame()).toContain('lines 1-');
    await r.press('j', (f) => f.includes('lines 2-'));
    for (let i = 0; i < 30; i++) r.stdin.press('j');
    await until(() => r.lastFrame().includes('70693f470848'), r.lastFrame);
    expect(fits(r.lastFrame(), 80, 12)).toBe(true);
    await r.press('\x7f', (f) => f.includes('Affected hosts'));
  });

  test('s, d and v cycle the scope, blocking-driver and vendor filters', async () => {
    const r = mount(exampleAnalysis());
    await r.press('s', (f) => f.includes('scope actual (s)'));
    expect(r.lastFrame()).not.toContain('notebook-dell');
    expect(r.lastFrame()).toContain('(filtered from 4)');
    await r.press('s', (f) => f.includes('scope potential (s)'));
    expect(r.lastFrame()).toContain('notebook-dell');
    expect(r.lastFrame()).not.toContain('evil-host');
    await r.press('s', (f) => f.includes('scope all (s)'));
    // drivers sorted: (driver unknown), e1000e, pcieport, yenta_cardbus
    await r.press('d', (f) => f.includes('blocking driver (driver unknown) (d)'));
    await r.press('d', (f) => f.includes('blocking driver e1000e (d)'));
    await r.press('d', (f) => f.includes('blocking driver pcieport (d)'));
    await r.press('d', (f) => f.includes('blocking driver yenta_cardbus (d)'));
    expect(selectedLine(r.lastFrame())).toContain('notebook-dell');
    await r.press('d', (f) => f.includes('blocking driver any (d)'));
    await r.press('v', (f) => f.includes('vendor ASUSTek (v)'));
    expect(selectedLine(r.lastFrame())).toContain('desktop-asus');
    await r.press('v', (f) => f.includes('vendor Dell (v)'));
    await r.press('d', (f) => f.includes('blocking driver (driver unknown) (d)'));
    expect(r.lastFrame()).toContain('No host matches the filters.');
    await r.press('\r', (f) => f.includes('No host matches'));
  });

  test('? shows the full help, ? or Esc hides it', async () => {
    const r = mount(exampleAnalysis());
    await r.press('?', (f) => f.includes('Legend'));
    expect(fits(r.lastFrame(), 80, 24)).toBe(true);
    await r.press('?', (f) => f.includes('Affected hosts'));
    await r.press('?', (f) => f.includes('Legend'));
    await r.press(ESC, (f) => f.includes('Affected hosts'));
  });

  test('q ends the app from any screen', async () => {
    const r = mount(exampleAnalysis());
    await r.press('\r', (f) => f.includes('Host evil-host'));
    let ended = false;
    void r.waitUntilExit().then(() => {
      ended = true;
    });
    r.stdin.press('q');
    await until(() => ended, r.lastFrame);
  });

  test('an error is shown with the way out', () => {
    const frame = mount(null, 80, 24, 'cannot read corpus \x1b[31m/x\x1b[0m: EACCES').lastFrame();
    expect(frame).toContain('Error: cannot read corpus /x: EACCES');
    expect(frame).toContain('Press q to quit.');
    expect(hasNoControl(frame)).toBe(true);
  });

  test('escape sequences from patch subjects, device names and host names never reach the frame', async () => {
    const r = mount(exampleAnalysis(), 100, 30);
    const frames: string[] = [r.lastFrame()];
    await r.press('\r', (f) => f.includes('Host evil-host'));
    frames.push(r.lastFrame());
    expect(r.lastFrame()).toContain('Evil Red NIC rev 01');
    for (const f of frames) {
      expect(hasNoControl(f)).toBe(true);
      expect(f).not.toContain('pwned-title');
    }
    expect(r.stdout.output()).not.toContain('\x1b');
  });

  test('a bigger terminal shows more: resize re-lays out', async () => {
    const a = exampleAnalysis(fillerHosts(30));
    const r = mount(a);
    const before = r.lastFrame().split('\n').filter((l) => l.includes('filler-')).length;
    r.stdout.resize(120, 40);
    await until(() => r.lastFrame().split('\n').filter((l) => l.includes('filler-')).length > before, r.lastFrame);
    expect(r.lastFrame()).toContain('platform');
    expect(fits(r.lastFrame(), 120, 40)).toBe(true);
  });
});
