// The built CLI in a real terminal: tmux runs `analyze --format tui` on the linuxhw corpus with
// the example series; the test reads the screen with capture-pane and types like a user.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BIN, LINUXHW, ROOT, runCli } from '../../support/cli.js';

const SERIES = join(ROOT, 'corpora', 'series', 'portdrv');
const ARGS = ['analyze', '--series', SERIES, '--corpus', LINUXHW];
// Own tmux server (socket) and session: nothing else running on the machine is touched.
const SOCKET = `vfio-impact-tui-${process.pid}`;
const SESSION = 'tui';
const COLUMNS = 120;
const ROWS = 40;

const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', SESSION);

/** Poll the pane until `check` holds (bounded), failing with what the screen shows. */
async function waitForScreen(what: string, check: (s: string) => boolean, ms = 60_000): Promise<string> {
  const stop = Date.now() + ms;
  let last = '';
  while (Date.now() < stop) {
    last = screen();
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; the screen shows:\n${last}`);
}

const selected = (s: string) => s.split('\n').find((l) => l.startsWith('> ')) ?? '';
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Affected hosts in report order, from the plain-text report, with their blocking drivers. */
function affectedHosts(text: string): Array<{ host: string; drivers: string[] }> {
  const hosts: Array<{ host: string; drivers: string[] }> = [];
  for (const line of text.split('\n')) {
    const h = /^ {2}(\S+) \(.*\): \d+ regressed, \d+ fixed, \d+ undetermined$/.exec(line);
    if (h) hosts.push({ host: h[1]!, drivers: [] });
    const b = /^ {6}[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7] (\S+): before:/.exec(line);
    if (b && hosts.length > 0) hosts[hosts.length - 1]!.drivers.push(b[1]!);
  }
  return hosts;
}

describe('analyze --format tui in a real terminal (tmux)', () => {
  beforeAll(() => {
    // The test command installs tmux (test/support/ensure-tools.sh); missing it is a failure.
    execFileSync('tmux', ['-V']);
    if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npx tsc -p .` (npm test does)');
  });

  afterAll(() => {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
  });

  test('summary, move to a host, drill-down shows the blocking driver, q exits with the text-mode code', async () => {
    const text = await runCli([...ARGS, '--format', 'text']);
    expect(text.stdout, `--format text failed (exit ${text.code}):\n${text.stderr}`).toContain('Affected hosts');
    const hosts = affectedHosts(text.stdout);
    const yenta = hosts.filter((h) => h.drivers.includes('yenta_cardbus'));
    expect(yenta.length).toBeGreaterThan(0);
    // The Dell Latitude D620 (CardBus bridge on yenta_cardbus) when it is affected, else the last
    // host blocked by yenta_cardbus: either way the test has to move down the list.
    const target = yenta.find((h) => h.host.includes('latitude-d620')) ?? yenta[yenta.length - 1]!;
    const index = hosts.indexOf(target);

    // CI runs this suite with CI=true, and ink (is-in-ci) then draws only the last frame: the
    // terminal a person sits at is not a CI log, so the session runs without those variables.
    const command = ['env', '-u', 'CI', '-u', 'CONTINUOUS_INTEGRATION', process.execPath, BIN, ...ARGS, '--format', 'tui']
      .map(shellQuote)
      .join(' ');
    tmux(
      'new-session', '-d', '-x', String(COLUMNS), '-y', String(ROWS), '-s', SESSION, '-c', ROOT,
      '-e', 'LANG=C.UTF-8',
      `${command}; echo EXIT=$?; sleep 120`,
    );

    const summary = await waitForScreen('the summary', (s) => s.includes('Affected hosts') && s.includes('regressed (old rule -> series)'));
    expect(summary).toContain('Keys: up/down j/k move  Enter open');
    expect(selected(summary)).toContain(hosts[0]!.host);

    for (let i = 1; i <= index; i++) {
      tmux('send-keys', '-t', SESSION, 'j');
      await waitForScreen(`host ${i} selected`, (s) => selected(s).includes(hosts[i]!.host));
    }
    tmux('send-keys', '-t', SESSION, 'Enter');
    const detail = await waitForScreen('the drill-down', (s) => s.includes(`Host ${target.host}`));
    expect(detail).toContain('REGRESSED group');
    expect(detail).toMatch(/^\* [0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7] +CardBus bridge +yenta_cardbus +cardbus +no +pass +BLOCK +BLOCK/m);
    expect(detail).toContain('blocked by');
    expect(detail).toContain('(yenta_cardbus): before:');
    expect(detail).toContain('remedy: unbind yenta_cardbus');
    expect(detail).toContain('Keys: up/down j/k scroll  Esc/Backspace back');
    if (process.env['TUI_FRAMES']) process.stdout.write(`--- summary ---\n${summary}\n--- drill-down ---\n${detail}\n`);

    tmux('send-keys', '-t', SESSION, 'Escape');
    await waitForScreen('the host list again', (s) => s.includes('Affected hosts') && selected(s).includes(target.host));
    tmux('send-keys', '-t', SESSION, 'q');
    const end = await waitForScreen('the exit code', (s) => /^EXIT=\d+$/m.test(s));
    const code = Number(/^EXIT=(\d+)$/m.exec(end)![1]);
    expect(code).toBe(text.code);
  });
});
