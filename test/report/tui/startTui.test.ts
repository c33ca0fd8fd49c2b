import { describe, expect, test } from 'vitest';
import { startTui } from '../../../src/report/tui/index.js';
import { exampleAnalysis, exampleSeries, fillerHosts } from './fixtures.js';
import { TestKeyboard, TestTerminal, asRead, asWrite } from './streams.js';

function start(interactive: boolean, progressIntervalMs?: number) {
  const stdout = new TestTerminal(100, 30);
  const stdin = new TestKeyboard(interactive);
  const handle = startTui({
    series: exampleSeries(),
    stdout: asWrite(stdout),
    stdin: asRead(stdin),
    stderr: asWrite(new TestTerminal()),
    progressIntervalMs,
  });
  let ended = false;
  void handle.waitUntilExit().then(() => {
    ended = true;
  });
  return { handle, stdout, stdin, ended: () => ended };
}

/** Bounded wait on wall time: ink itself throttles frames (30 per second). */
async function within(check: () => boolean, what: () => string, ms = 5000): Promise<void> {
  const stop = Date.now() + ms;
  while (Date.now() < stop) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`not met within ${ms} ms:\n${what()}`);
}

describe('startTui', () => {
  test('without a keyboard: draws the series, then the summary, and ends by itself', async () => {
    const t = start(false);
    expect(t.stdout.output()).toContain('Series: PCI: let bridge drivers declare driver_managed_dma');
    t.handle.setProgress({ files: 3, hosts: 2, skipped: 1, bytes: 10, elapsedMs: 500 });
    t.handle.finish(exampleAnalysis());
    await t.handle.waitUntilExit();
    const out = t.stdout.output();
    expect(out).toContain('regressed (old rule -> series)');
    expect(out).toContain('notebook-dell-latitude-d620-0123456789');
    // Input-borne sequences never reach the terminal; ink's own cursor codes do.
    expect(out).not.toContain('\x1b]');
    expect(out).not.toContain('\x07');
    expect(out).not.toContain('\x1b[2J');
    expect(out).not.toContain('\x1b[31m');
    expect(out).not.toContain('pwned-title');
  });

  test('progress is throttled, but the last figures always get drawn', async () => {
    const t = start(false, 30);
    for (let i = 1; i <= 2000; i++) t.handle.setProgress({ files: i, hosts: i, skipped: 0, bytes: i * 100, elapsedMs: 1000 });
    await within(() => t.stdout.output().includes('Reading corpus: 2000 files, 2000 hosts'), t.stdout.output);
    const drawn = t.stdout.frames.filter((f) => f.includes('Reading corpus: ')).length;
    expect(drawn).toBeLessThan(20);
    t.handle.finish(exampleAnalysis());
    await t.handle.waitUntilExit();
  });

  test('fail shows the error; with a keyboard it waits for q', async () => {
    const t = start(true);
    t.handle.fail('cannot read /nope: ENOENT');
    await within(() => t.stdout.output().includes('Error: cannot read /nope: ENOENT'), t.stdout.output);
    expect(t.stdout.output()).toContain('Press q to quit.');
    expect(t.ended()).toBe(false);
    t.stdin.press('q');
    await within(t.ended, t.stdout.output);
  });

  test('with a keyboard: q quits; later calls are ignored', async () => {
    const t = start(true);
    t.handle.finish(exampleAnalysis());
    await within(() => t.stdout.output().includes('Affected hosts'), t.stdout.output);
    expect(t.ended()).toBe(false);
    t.stdin.press('q');
    await within(t.ended, t.stdout.output);
    const frames = t.stdout.frames.length;
    t.handle.setProgress({ files: 1, hosts: 1, skipped: 0, bytes: 1, elapsedMs: 1 });
    t.handle.finish(exampleAnalysis());
    t.handle.fail('late');
    expect(t.stdout.frames.length).toBe(frames);
  });

  test('stdin closing ends the app (nobody is left to press q)', async () => {
    const t = start(true);
    t.handle.finish(exampleAnalysis());
    t.stdin.emit('end');
    await within(t.ended, t.stdout.output);
  });
});

describe('startTui when stdout is not a terminal', () => {
  test('one plain-text frame of the same views: every host, no escape sequence at all', async () => {
    const stdout = new TestTerminal(100, 24, false);
    const handle = startTui({ series: exampleSeries(), stdout: asWrite(stdout), stdin: asRead(new TestKeyboard(false)) });
    handle.setProgress({ files: 1, hosts: 1, skipped: 0, bytes: 1, elapsedMs: 1 });
    expect(stdout.output()).toBe('');
    const a = exampleAnalysis(fillerHosts(30));
    handle.finish(a);
    await handle.waitUntilExit();
    const out = stdout.output();
    expect(out).not.toContain('\x1b');
    expect(out).not.toContain('\x07');
    expect(out).toContain('regressed (old rule -> series)');
    expect(out).toContain(`Affected hosts 1-${a.hosts.length} of ${a.hosts.length}`);
    for (const h of a.hosts) expect(out).toContain(h.host.replace('\x1b[2J', ''));
    expect(out).not.toContain('Keys:');
    expect(out.split('\n').every((l) => l.length <= 100)).toBe(true);
  });

  test('an error becomes one plain line after the series', async () => {
    const stdout = new TestTerminal(100, 24, false);
    const handle = startTui({ series: exampleSeries(), stdout: asWrite(stdout), stdin: asRead(new TestKeyboard(false)) });
    handle.fail('no host could be read');
    await handle.waitUntilExit();
    expect(stdout.output()).toContain('Error: no host could be read\n');
    expect(stdout.output()).not.toContain('\x1b');
  });
});
