// The reports are written in pieces (affected hosts read from the spill file one at a time); the
// pieces must join to exactly what rendering the whole analysis at once gives.
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { runAnalysis, type AnalyzeResult } from '../../src/cli/pipeline.js';
import { analysisJson, jsonChunks } from '../../src/report/json.js';
import { csvChunks } from '../../src/report/csv.js';
import { textChunks } from '../../src/report/text.js';
import { terminalSafeJson } from '../../src/diagnostics/sanitize.js';
import { CHANGE_COLUMNS } from '../../src/report/records.js';
import { FORUMS, LINUXHW, ROOT } from '../support/cli.js';
import { SCOPES } from '../../src/policy/model.js';
import type { Analysis } from '../../src/policy/analysis.js';

const SERIES = join(ROOT, 'corpora', 'series');
let portdrv: AnalyzeResult;
let empty: AnalyzeResult;

beforeAll(async () => {
  const prev = process.env['VFIO_IMPACT_HOSTS_IN_MEMORY'];
  // Spill after 3 affected hosts: the pieces then come from the temporary file.
  process.env['VFIO_IMPACT_HOSTS_IN_MEMORY'] = '3';
  try {
    portdrv = await runAnalysis({ series: [join(SERIES, 'portdrv')], corpus: [LINUXHW, FORUMS], scopes: [...SCOPES], workers: 0 });
    // The actual scope alone with pci-stub's declaration: no group changes on linuxhw.
    empty = await runAnalysis({ series: [join(SERIES, 'pci-stub')], corpus: [LINUXHW], scopes: ['actual'], workers: 0 });
  } finally {
    if (prev === undefined) delete process.env['VFIO_IMPACT_HOSTS_IN_MEMORY'];
    else process.env['VFIO_IMPACT_HOSTS_IN_MEMORY'] = prev;
  }
});

const extraOf = (r: AnalyzeResult) => ({ declaredTable: r.declaredLabel, diagnostics: r.diagnostics });
const changesOf = (a: Analysis) => [...a.hosts].reduce((n, h) => n + h.changes.length, 0);

describe('streamed reports', () => {
  it('JSON pieces join to JSON.stringify of the whole report, with and without changes', () => {
    for (const r of [portdrv, empty]) {
      const whole = terminalSafeJson(JSON.stringify(analysisJson(r.analysis, extraOf(r)), null, 2)) + '\n';
      expect([...jsonChunks(r.analysis, extraOf(r))].join('')).toBe(whole);
    }
    expect(changesOf(portdrv.analysis)).toBeGreaterThan(20);
    expect(changesOf(empty.analysis)).toBe(0);
    expect(JSON.parse([...jsonChunks(empty.analysis, extraOf(empty))].join('')).changes).toEqual([]);
  });

  it('JSON comes in more than one piece once the changes pass 64 KiB, and never holds a whole host twice', () => {
    const pieces = [...jsonChunks(portdrv.analysis, extraOf(portdrv))];
    expect(pieces.length).toBeGreaterThan(1);
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan(64 * 1024 + 32 * 1024);
  });

  it('CSV pieces: one header, then records, equal to one csv-stringify call', () => {
    for (const r of [portdrv, empty]) {
      const pieces = [...csvChunks(r.analysis)];
      const joined = pieces.join('');
      const header = stringify([], { header: true, columns: [...CHANGE_COLUMNS] });
      expect(joined.startsWith(header)).toBe(true);
      expect(joined.split(header).length).toBe(2);
      expect(joined.split('\n').filter((l) => l !== '').length).toBe(1 + changesOf(r.analysis));
    }
  });

  it('text pieces: the summary first, then one piece per affected host', () => {
    const pieces = [...textChunks(portdrv.analysis, SCOPES)];
    expect(pieces.length).toBe(1 + portdrv.analysis.hosts.length);
    expect(pieces[0]).toMatch(/Affected hosts \(13\), most regressions first:\n$/);
    expect(pieces[1]).toMatch(/^ {2}notebook-dell-latitude-e6400-ced90af89e /);
    const none = [...textChunks(empty.analysis, ['actual'])];
    expect(none).toHaveLength(1);
    expect(none[0]).toMatch(/No group changes its verdict\.\n$/);
  });
});

describe('a reader that goes away (`| head`)', () => {
  it('analyze stops writing and exits with its own code, no error on stderr', async () => {
    const { spawn } = await import('node:child_process');
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { BIN } = await import('../support/cli.js');
    const { replicateCorpus, sourceDumps } = await import('../../src/bench/corpus.js');
    // 400 copies of the linuxhw dumps: about 300 KB of JSON, several times what a pipe holds.
    const dir = await mkdtemp(join(tmpdir(), 'vfio-impact-epipe-'));
    try {
      await replicateCorpus(await sourceDumps(LINUXHW), dir, 400);
      const r = await new Promise<{ code: number | null; stderr: string; got: number }>((resolve, reject) => {
        const child = spawn(process.execPath, [BIN, 'analyze', '--series', join(SERIES, 'portdrv'), '--corpus', dir, '--format', 'json'], {
          cwd: ROOT,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let got = 0;
        let stderr = '';
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        // Like `head -c`: read the first piece, then close the pipe.
        child.stdout.once('data', (d: Buffer) => {
          got = d.length;
          child.stdout.destroy();
        });
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stderr, got }));
      });
      expect(r.got).toBeGreaterThan(0);
      expect(r.got).toBeLessThan(300_000);
      expect(r.stderr).not.toMatch(/internal error|EPIPE/);
      expect(r.code).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('writing the report', () => {
  it('JSON diagnostics are streamed too: same bytes as the whole document, escapes kept', () => {
    const diagnostics = Array.from({ length: 300 }, (_, i) => ({
      file: `dump-${i}-\u202e\u0085.txt`,
      line: i + 1,
      severity: 'warning' as const,
      code: 'truncated',
      message: `lspci block cut off "mid-line" \\ ${'x'.repeat(200)}`,
    }));
    const extra = { declaredTable: 'test', diagnostics };
    const pieces = [...jsonChunks(portdrv.analysis, extra)];
    expect(pieces.join('')).toBe(terminalSafeJson(JSON.stringify(analysisJson(portdrv.analysis, extra), null, 2)) + '\n');
    expect(JSON.parse(pieces.join('')).diagnostics).toHaveLength(300);
    expect(pieces.join('')).not.toMatch(/[\u0085\u202e]/);
  });

  it('--out: a failure while making the report surfaces as itself, and no temporary file is left', async () => {
    const { mkdtemp, readdir, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { writeAtomic } = await import('../../src/report/output.js');
    const { CliError } = await import('../../src/cli/context.js');
    const dir = await mkdtemp(join(tmpdir(), 'vfio-impact-out-'));
    try {
      function* failing(): Generator<string> {
        yield 'first piece\n';
        throw new TypeError('renderer bug');
      }
      const err = await writeAtomic(join(dir, 'report.json'), failing()).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(TypeError);
      expect(err).not.toBeInstanceOf(CliError);
      expect(await readdir(dir)).toEqual([]);
      // A real write of pieces still lands whole.
      await writeAtomic(join(dir, 'report.json'), ['a', 'é', 'b\n']);
      const { readFile } = await import('node:fs/promises');
      expect(await readFile(join(dir, 'report.json'), 'utf8')).toBe('aéb\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('writeChunks on a stream destroyed without an error returns instead of waiting for a drain that never comes', async () => {
    const { Writable } = await import('node:stream');
    const { writeChunks } = await import('../../src/report/output.js');
    let calls = 0;
    const slow = new Writable({
      highWaterMark: 4,
      write(_chunk, _enc, _done) {
        calls++; // never calls back: the buffer stays full
      },
    });
    const pending = writeChunks(slow, ['12345', '67890', 'abcde']);
    setTimeout(() => slow.destroy(), 20);
    await expect(pending).resolves.toBeUndefined();
    expect(calls).toBe(1);
    await expect(writeChunks(slow, ['more'])).resolves.toBeUndefined();
  });

  it('stdout that cannot be written (> /dev/full): one message, exit 2', async () => {
    const { spawn } = await import('node:child_process');
    const { openSync, closeSync, existsSync } = await import('node:fs');
    const { BIN } = await import('../support/cli.js');
    if (!existsSync('/dev/full')) return;
    const full = openSync('/dev/full', 'w');
    try {
      const r = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [BIN, 'analyze', '--series', join(SERIES, 'portdrv'), '--corpus', LINUXHW, '--format', 'json'], {
          cwd: ROOT,
          stdio: ['ignore', full, 'pipe'],
        });
        let stderr = '';
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stderr }));
      });
      expect(r.code).toBe(2);
      expect(r.stderr.match(/cannot write to standard output: ENOSPC/g)).toHaveLength(1);
      expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
    } finally {
      closeSync(full);
    }
  });
});
