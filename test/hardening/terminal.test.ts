// Terminal safety: a dump named with escape sequences, holding device and driver names with
// CSI/OSC/C1/bidi sequences, a manifest and a patch whose subject and paths carry them too.
// No byte of them may reach stdout or stderr as a control or escape sequence, in any format
// of any command; CSV cells that a spreadsheet would run as a formula are neutralised.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureContext } from '../support/capture.js';
import { main } from '../../src/cli/main.js';
import { neutraliseCell } from '../../src/report/records.js';
import { terminalSafeJson } from '../../src/diagnostics/sanitize.js';
import { LINUXHW, expectTerminalSafe, inProcess } from './support.js';

const ESC = '\u001b';
/** CSI, OSC with BEL and ST, a C1 CSI, DEL, backspace, CR, NUL-free bidi override and isolate. */
const HOSTILE = `${ESC}[2J${ESC}]0;owned\u0007${ESC}]8;;https://evil.example/\u001b\\\u009b31m\u007f\b\r\u202e\u2066`;
const FORMULA = '=HYPERLINK("https://evil.example","x")';

let dir: string;
let dumpPath: string;
let patchPath: string;
let brokenPath: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vfio-impact-hardening-term-'));
  const corpus = join(dir, 'corpus');
  mkdirSync(corpus);
  const src = readFileSync(join(LINUXHW, 'desktop-asrock-x399-taichi-88030b7fcb.lspci.txt'), 'utf8');
  // Names from the input: a device description, a subsystem, a non-bridge driver, a module.
  const text = src
    .replace(/^(\S+ Ethernet controller \[0200\]: )/m, `$1${HOSTILE}${FORMULA} `)
    .replace(/(\tSubsystem: )/, `$1${HOSTILE}`)
    .replace(/(\tKernel driver in use: )(nvme)/, `$1$2${HOSTILE}`)
    .replace(/(\tKernel modules: )/, `$1${HOSTILE},`);
  expect(text).not.toBe(src);
  // The file name itself (host id when no manifest names it); `=` first for the CSV check.
  dumpPath = join(corpus, `${FORMULA}${HOSTILE}.lspci.txt`.replace(/\//g, '_'));
  writeFileSync(dumpPath, text);
  writeFileSync(join(corpus, 'plain.lspci.txt'), src);
  writeFileSync(
    join(corpus, 'manifest.csv'),
    `id,file,vendor,model,kernel\r\n"-cmd|' /C calc'!A0${HOSTILE}",plain.lspci.txt,"@SUM(1+1)${HOSTILE}","+${HOSTILE}",6.1\r\n`,
  );
  // A patch taking pcieport's declaration away (so regressions are reported), subject and path hostile.
  patchPath = join(dir, 'hostile.patch');
  writeFileSync(
    patchPath,
    [
      'From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001',
      'From: Mallory <m@example.org>',
      `Subject: [PATCH] =?utf-8?q?=1B[2J=1B]0;t=07=C2=9B31m?= ${FORMULA} ${HOSTILE}`,
      '',
      '---',
      `diff --git a/drivers/pci/pcie/portdrv.c b/drivers/pci/pcie/portdrv.c`,
      '--- a/drivers/pci/pcie/portdrv.c',
      '+++ b/drivers/pci/pcie/portdrv.c',
      `@@ -10,3 +10,2 @@ static struct pci_driver pcie_portdriver = {`,
      ' \t.name\t\t= "pcieport",',
      '-\t.driver_managed_dma = true,',
      ' \t.shutdown\t= pcie_portdrv_shutdown,',
      `@@ -40,2 +39,3 @@ ${HOSTILE}`,
      ' a',
      `+\t.driver_managed_dma = true, /* ${HOSTILE} */`,
      ' b',
      `diff --git a/drivers/${HOSTILE}.c b/drivers/${HOSTILE}.c`,
      `--- a/drivers/${HOSTILE}.c`,
      `+++ b/drivers/${HOSTILE}.c`,
      '@@ -1,1 +1,3 @@',
      ` static struct pci_driver evil_driver = {`,
      `+\t.name = "${HOSTILE.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}",`,
      '+\t.driver_managed_dma = true,',
      '',
    ].join('\n'),
  );
  // The same with a broken hunk, so diagnostics quote hostile text too.
  brokenPath = join(dir, 'broken.patch');
  writeFileSync(brokenPath, readFileSync(patchPath, 'utf8') + ['@@ -9 +9 @@ broken', `-${HOSTILE}`, `+${HOSTILE}`, `+${HOSTILE}`, ''].join('\n'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[], env: Record<string, string> = {}) {
  const c = captureContext('');
  Object.assign(c.ctx.env, env);
  const code = await main(['node', 'vfio-impact', ...inProcess(argv)], c.ctx);
  return { code, out: c.out(), err: c.err() };
}

const corpus = () => join(dir, 'corpus');

/** Every cell of a CSV export: none may start as a formula. */
function expectNeutral(csv: string, what: string): void {
  const rows = parse(csv, { relax_column_count: true }) as string[][];
  expect(rows.length, what).toBeGreaterThan(1);
  for (const row of rows) for (const cell of row) expect(/^[=+\-@\t\r]/.test(cell), `${what}: formula cell ${JSON.stringify(cell)}`).toBe(false);
}

describe('no input byte reaches the terminal as a control sequence', () => {
  // Guards sanitize() in the text/markdown renderers and the commands, and terminalSafeJson()
  // in every JSON writer (JSON.stringify leaves C1 controls and bidi overrides raw).
  for (const format of ['text', 'markdown', 'json', 'csv']) {
    it(`analyze --format ${format}`, async () => {
      const r = await run(['analyze', '--series', patchPath, brokenPath, '--corpus', corpus(), '--format', format, '--verbose']);
      expect(r.code).toBe(0);
      expect(r.out).toContain('pcieport');
      expectTerminalSafe(r.out, `analyze ${format} stdout`);
      expectTerminalSafe(r.err, `analyze ${format} stderr`);
      if (format === 'csv') expectNeutral(r.out, 'analyze csv');
      if (format === 'json') expect(() => JSON.parse(r.out)).not.toThrow();
    });
  }

  for (const format of ['text', 'json', 'csv']) {
    it(`corpus stats, groups and flags --format ${format}`, async () => {
      for (const argv of [
        ['corpus', 'stats', corpus(), '--format', format],
        ['groups', corpus(), '--format', format, '--verbose'],
        ['groups', corpus(), '--validate', '--format', format],
        ['flags', '--series', patchPath, brokenPath, '--format', format],
      ]) {
        const r = await run(argv);
        expect(r.code, `${argv.join(' ')}: ${r.err}`).toBeLessThan(2);
        expectTerminalSafe(r.out, `${argv.join(' ')} stdout`);
        expectTerminalSafe(r.err, `${argv.join(' ')} stderr`);
        if (format === 'csv') expectNeutral(r.out, argv.join(' '));
        if (format === 'json') expect(() => JSON.parse(r.out)).not.toThrow();
      }
    });
  }

  it('gate (with GitHub annotations and JUnit) and its error messages', async () => {
    const baseline = join(dir, 'empty-baseline.csv');
    writeFileSync(baseline, 'host,devices,scope,blocking_driver,group,note\n');
    const junit = join(dir, 'junit.xml');
    const r = await run(['gate', '--series', patchPath, '--corpus', corpus(), '--baseline', baseline, '--junit', junit, '--allow-unresolved'], { GITHUB_ACTIONS: 'true' });
    expect(r.code, r.err).toBe(1);
    expect(r.out).toContain('::error');
    expectTerminalSafe(r.out, 'gate stdout');
    expectTerminalSafe(r.err, 'gate stderr');
    expectTerminalSafe(readFileSync(junit, 'utf8'), 'junit');
    // A hostile path in an error message.
    const bad = await run(['gate', '--series', patchPath, '--corpus', corpus(), '--baseline', join(dir, `missing${HOSTILE}.csv`)]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('cannot read baseline');
    expectTerminalSafe(bad.err, 'gate error');
  });
});

describe('building blocks', () => {
  it('neutraliseCell prefixes = + - @ TAB CR with a quote and leaves other cells alone', () => {
    for (const c of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '\rx']) expect(neutraliseCell(c)).toBe(`'${c}`);
    for (const c of ['pcieport', '0000:00:01.0', '', "'already"]) expect(neutraliseCell(c)).toBe(c);
  });

  it('terminalSafeJson escapes DEL, C1 and bidi characters and keeps the value', () => {
    const value = { s: `a\u007fb\u009bc\u202ed\u2066e` };
    const json = terminalSafeJson(JSON.stringify(value));
    expectTerminalSafe(json, 'json');
    expect(JSON.parse(json)).toEqual(value);
  });
});

describe('the terminal report (TUI)', () => {
  // Guards the TUI components' sanitize() calls: the frame the non-interactive `--format tui`
  // prints, and the interactive host list and host detail.
  it('the static frame and the interactive host list and detail show no input control sequence', async () => {
    const { runAnalysis } = await import('../../src/cli/pipeline.js');
    const { staticFrame } = await import('../../src/report/tui/index.js');
    const { App } = await import('../../src/report/tui/App.js');
    const { render } = await import('ink-testing-library');
    const { createElement } = await import('react');
    const r = await runAnalysis({ series: [patchPath], corpus: [corpus()], scopes: ['actual', 'potential'], workers: 0 });
    expect(r.analysis.hosts.length).toBeGreaterThan(0);
    expectTerminalSafe(staticFrame(r.analysis.series, r.analysis, null, 200), 'static TUI frame');
    const progress = { files: 2, hosts: 2, skipped: 0, bytes: 1, elapsedMs: 1 };
    const app = render(createElement(App, { series: r.analysis.series, progress, analysis: r.analysis, error: null }));
    try {
      const sgr = /\u001b\[[0-9;]*m/g; // the TUI's own colours
      const frames: string[] = [app.lastFrame() ?? ''];
      for (const key of ['\r', '\u001b[B', '\r', '\u001b[B', '\r']) {
        app.stdin.write(key);
        await new Promise((res) => setTimeout(res, 20));
        frames.push(app.lastFrame() ?? '');
      }
      frames.forEach((f, i) => expectTerminalSafe(f.replace(sgr, ''), `TUI frame ${i}`));
      expect(frames.join('\n')).toContain('pcieport');
    } finally {
      app.unmount();
    }
  });
});
