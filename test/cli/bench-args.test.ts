// The benchmark's command line: help, refused arguments (exit 2, nothing copied) and --keep.
// The bench asserts nothing about time; these tests only check what it is told to do.
import { execFile } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LINUXHW, ROOT } from '../support/cli.js';

const BENCH = join(ROOT, 'dist', 'bench', 'bench.js');

function bench(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BENCH, ...args], { cwd: ROOT }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: unknown }).code as number) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function benchFolders(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((n) => n.startsWith('vfio-impact-bench-')).sort();
}

describe('bench command line', () => {
  it('prints its usage with --help and exits 0', async () => {
    const r = await bench(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: npm run bench -- \[options\]/);
    expect(r.stdout).toContain('--sizes N,N');
    expect(r.stderr).toBe('');
  });

  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['--runs'], /--runs <value>' argument missing/],
    [['--sizes', '5,x'], /--sizes: whole numbers/],
    [['--runs', '0'], /--runs: a whole number/],
    [['extra'], /Unexpected argument 'extra'/],
  ])('refuses %j with exit 2 before copying anything', async (args, message) => {
    const before = await benchFolders();
    const r = await bench(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(await benchFolders()).toEqual(before);
  });

  it('keeps the scaled corpus with --keep and says where', async () => {
    const before = await benchFolders();
    try {
      const r = await bench(['--sizes', '3', '--runs', '1', '--workers', '1', '--keep']);
      expect(r.code).toBe(0);
      const m = /scaled corpora kept in (\S+)\n$/.exec(r.stdout);
      expect(m).not.toBeNull();
      const files = await readdir(join(m![1]!, 'hosts-3'));
      expect(files).toHaveLength(3);
      expect(r.stdout).toContain(`46 real dumps from ${LINUXHW}`);
    } finally {
      // Whatever the run left, also when it failed before saying where.
      for (const n of await benchFolders()) if (!before.includes(n)) await rm(join(tmpdir(), n), { recursive: true, force: true });
    }
  }, 60_000);
});
