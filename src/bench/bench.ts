// `npm run bench`: scale the real linuxhw dumps to 2,000 and 20,000 hosts in a temporary folder,
// run `analyze` end to end on each (text report to /dev/null) and print hosts/s, MB/s of dump
// text, wall time, peak RSS and the ratio to a plain `grep -c "Kernel driver in use" -r` over
// the same folder, and to the floor under it (floor.ts: the same walk and workers, files only read
// and split into lines). It prints figures and asserts nothing about time.
//
// Usage: node dist/bench/bench.js [--sizes 2000,20000] [--runs 3] [--workers N] [--keep] [--help]

import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, statfs } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { projectRoot } from '../project-root.js';
import { replicateCorpus, replicatedBytes, sourceDumps } from './corpus.js';

const here = dirname(fileURLToPath(import.meta.url));
/** What report-rss.js (preloaded into analyze) prints at exit. */
const RSS_MARK = 'vfio-impact-bench:';

interface Args {
  sizes: number[];
  runs: number;
  workers: string | null;
  keep: boolean;
}

const USAGE = `Usage: npm run bench -- [options]   (or: node dist/bench/bench.js [options])

Copies the linuxhw dumps of ../shared/corpora under new host ids to each size in a temporary
folder, times analyze (text to /dev/null), grep -c -r and the floor on the same files, prints
figures and removes the folder.

Options:
  --sizes N,N   host counts (default 2000,20000)
  --runs N      timed runs per size; wall is their median (default 3)
  --workers N   passed to analyze and the floor (default: one per CPU)
  --keep        keep the scaled corpora (their folder is printed)
  -h, --help    this text
`;

class UsageError extends Error {}

/** `null` when help was asked for. Unknown options and bad values are errors (node:util parseArgs). */
function readArgs(argv: string[]): Args | null {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      sizes: { type: 'string' },
      runs: { type: 'string' },
      workers: { type: 'string' },
      keep: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return null;
  const args: Args = {
    sizes: values.sizes === undefined ? [2000, 20000] : values.sizes.split(',').map((s) => Number(s)),
    runs: values.runs === undefined ? 3 : Number(values.runs),
    workers: values.workers ?? null,
    keep: values.keep ?? false,
  };
  if (args.sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new UsageError('--sizes: whole numbers, comma separated (see --help)');
  if (!Number.isInteger(args.runs) || args.runs < 1) throw new UsageError('--runs: a whole number ≥ 1 (see --help)');
  return args;
}

/** Busy CPU time of the whole machine so far (ms), from /proc/stat; null where there is none. */
function machineBusyMs(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
    const busy = f.slice(0, 8).reduce((a, b) => a + b, 0) - f[3]! - f[4]!;
    return (busy * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

interface Run {
  wallMs: number;
  /** CPU time other processes used during the run, as a share of the machine (0..1); null if unknown. */
  others: number | null;
  code: number | null;
  stderrBytes: number;
  stderrLines: number;
  maxRssKiB: number | null;
  cpuMs: number | null;
}

/** Run a command with stdout to /dev/null; time it from spawn to exit. */
function timed(cmd: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const devnull = openSync('/dev/null', 'w');
    const busyBefore = machineBusyMs();
    const started = performance.now();
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', devnull, 'pipe'] });
    let stderr = '';
    let stderrBytes = 0;
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderrBytes += Buffer.byteLength(d);
      // Keep only the tail: the measurement line comes last.
      stderr = (stderr + d).slice(-4096);
    });
    child.on('error', (err) => {
      closeSync(devnull);
      reject(err);
    });
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      const busyAfter = machineBusyMs();
      closeSync(devnull);
      const m = new RegExp(`${RSS_MARK} maxrss_kib=(\\d+) user_us=(\\d+) system_us=(\\d+)`).exec(stderr);
      const markBytes = m ? Buffer.byteLength(m[0]) + 1 : 0;
      const ownMs = m ? (Number(m[2]) + Number(m[3])) / 1000 : null;
      const others =
        busyBefore !== null && busyAfter !== null && ownMs !== null
          ? Math.max(0, (busyAfter - busyBefore - ownMs) / (wallMs * cpus().length))
          : null;
      resolve({
        wallMs,
        others,
        code,
        stderrBytes: stderrBytes - markBytes,
        stderrLines: stderr.split('\n').filter((l) => l !== '' && !l.startsWith(RSS_MARK)).length,
        maxRssKiB: m ? Number(m[1]) : null,
        cpuMs: ownMs,
      });
    });
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
};

interface Figures {
  hosts: number;
  mb: number;
  wallS: number;
  /** The fastest timed run (the least disturbed by other processes). */
  bestS: number;
  cpuS: number;
  hostsPerS: number;
  mbPerS: number;
  rssMiB: number;
  grepS: number;
  ratio: number;
  /** Median wall of floor.js: the walk, the workers, reading and splitting lines, nothing else. */
  floorS: number;
  stderrBytes: number;
  /** Largest share of the machine other processes used during a timed run. */
  others: number | null;
}

async function main(): Promise<void> {
  const args = readArgs(process.argv.slice(2));
  if (args === null) {
    process.stdout.write(USAGE);
    return;
  }
  const root = projectRoot();
  const source = join(root, '..', 'shared', 'corpora', 'linuxhw');
  const series = join(root, 'corpora', 'series', 'portdrv');
  const bin = join(root, 'bin', 'vfio-impact.js');
  const preload = join(here, 'report-rss.js');
  const sources = await sourceDumps(source);
  if (sources.length === 0) throw new Error(`no dumps in ${source}`);

  const needed = args.sizes.reduce((n, size) => n + replicatedBytes(sources, size), 0);
  const fs = await statfs(tmpdir());
  const free = fs.bavail * fs.bsize;
  if (free < needed * 1.2) {
    throw new Error(`${tmpdir()} has ${(free / 1e6).toFixed(0)} MB free; the scaled corpora need ${(needed / 1e6).toFixed(0)} MB`);
  }

  const work = await mkdtemp(join(tmpdir(), 'vfio-impact-bench-'));
  const cleanup = () => {
    if (!args.keep) rmSync(work, { recursive: true, force: true });
  };
  const onSignal = (sig: NodeJS.Signals) => {
    cleanup();
    process.stderr.write(`bench: ${sig}: removed ${work}\n`);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const out: Figures[] = [];
  try {
    process.stdout.write(
      `vfio-impact bench: ${sources.length} real dumps from ${source} scaled to ${args.sizes.join(', ')} hosts; ` +
        `${cpus().length} CPUs; node ${process.version}; ${args.runs} timed run(s) each, median wall\n`,
    );
    for (const size of args.sizes) {
      const dir = join(work, `hosts-${size}`);
      const t0 = performance.now();
      const bytes = await replicateCorpus(sources, dir, size);
      process.stdout.write(`\n${size} hosts: ${(bytes / 1e6).toFixed(1)} MB of dump text copied in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

      // grep first: it also warms the page cache for analyze. One untimed run, then the median.
      const grepArgs = ['-c', 'Kernel driver in use', '-r', dir];
      await timed('grep', grepArgs, root);
      const greps: Run[] = [];
      for (let i = 0; i < args.runs; i++) greps.push(await timed('grep', grepArgs, root));

      // The floor: same walk and workers, files only read, decoded and walked by line.
      const floorArgs = [join(here, 'floor.js'), dir];
      if (args.workers !== null) floorArgs.push('--workers', args.workers);
      const floors: Run[] = [];
      for (let i = 0; i < args.runs; i++) floors.push(await timed(process.execPath, floorArgs, root));
      if (floors.some((r) => r.code !== 0)) throw new Error(`floor.js exited with code ${floors.find((r) => r.code !== 0)!.code} on ${dir}`);

      const analyzeArgs = ['--import', preload, bin, 'analyze', '--series', series, '--corpus', dir, '--format', 'text'];
      if (args.workers !== null) analyzeArgs.push('--workers', args.workers);
      const runs: Run[] = [];
      for (let i = 0; i < args.runs; i++) {
        const r = await timed(process.execPath, analyzeArgs, root);
        if (r.code !== 0) throw new Error(`analyze exited with code ${r.code} on ${dir}`);
        if (r.maxRssKiB === null) throw new Error('analyze did not report its peak RSS');
        runs.push(r);
        process.stdout.write(
          `  analyze run ${i + 1}: ${(r.wallMs / 1000).toFixed(2)} s wall, ${((r.cpuMs ?? 0) / 1000).toFixed(2)} s CPU, ` +
            `peak RSS ${(r.maxRssKiB / 1024).toFixed(0)} MiB, stderr ${r.stderrBytes} B, ` +
            `other processes ${r.others === null ? '?' : `${(r.others * 100).toFixed(0)}%`} of the CPUs\n`,
        );
      }
      const wallS = median(runs.map((r) => r.wallMs)) / 1000;
      const grepS = median(greps.map((r) => r.wallMs)) / 1000;
      const floorS = median(floors.map((r) => r.wallMs)) / 1000;
      const f: Figures = {
        hosts: size,
        mb: bytes / 1e6,
        wallS,
        bestS: Math.min(...runs.map((r) => r.wallMs)) / 1000,
        cpuS: median(runs.map((r) => r.cpuMs ?? 0)) / 1000,
        hostsPerS: size / wallS,
        mbPerS: bytes / 1e6 / wallS,
        rssMiB: Math.max(...runs.map((r) => r.maxRssKiB ?? 0)) / 1024,
        grepS,
        ratio: wallS / grepS,
        floorS,
        stderrBytes: Math.max(...runs.map((r) => r.stderrBytes)),
        others: runs.some((r) => r.others === null) ? null : Math.max(...runs.map((r) => r.others ?? 0)),
      };
      out.push(f);
      process.stdout.write(
        `  grep -c -r: ${grepS.toFixed(3)} s (median of ${args.runs}, warm cache)\n` +
          `  floor (same walk and workers; files read, decoded and split into lines, nothing else): ${floorS.toFixed(2)} s = ` +
          `${(floorS / grepS).toFixed(1)}x grep; analyze = ${(wallS / floorS).toFixed(1)}x the floor\n` +
          `  => ${f.hostsPerS.toFixed(0)} hosts/s, ${f.mbPerS.toFixed(1)} MB/s, wall ${wallS.toFixed(2)} s, ` +
          `peak RSS ${f.rssMiB.toFixed(0)} MiB, ${f.ratio.toFixed(1)}x grep; ` +
          `fastest run ${f.bestS.toFixed(2)} s = ${(f.mb / f.bestS).toFixed(1)} MB/s, ${(f.bestS / grepS).toFixed(1)}x grep; ` +
          `${(f.mb / f.cpuS).toFixed(1)} MB per CPU second (all CPUs busy for analyze alone: ~${((f.mb / f.cpuS) * cpus().length).toFixed(0)} MB/s)\n`,
      );
      // One size on disk at a time.
      if (!args.keep) rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    cleanup();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }

  process.stdout.write('\n   hosts        MB   hosts/s      MB/s   wall s    CPU s  peak RSS MiB  grep s  ×grep  floor s  floor×grep  stderr B  others\n');
  for (const f of out) {
    process.stdout.write(
      `${String(f.hosts).padStart(8)} ${f.mb.toFixed(1).padStart(9)} ${f.hostsPerS.toFixed(0).padStart(9)} ${f.mbPerS.toFixed(1).padStart(9)} ` +
        `${f.wallS.toFixed(2).padStart(8)} ${f.cpuS.toFixed(2).padStart(8)} ${f.rssMiB.toFixed(0).padStart(13)} ${f.grepS.toFixed(3).padStart(7)} ` +
        `${f.ratio.toFixed(1).padStart(6)} ${f.floorS.toFixed(2).padStart(8)} ${(f.floorS / f.grepS).toFixed(1).padStart(11)} ${String(f.stderrBytes).padStart(9)} ${(f.others === null ? '?' : `${(f.others * 100).toFixed(0)}%`).padStart(7)}\n`,
    );
  }
  if (out.length >= 2) {
    const rss = out.map((f) => f.rssMiB);
    const spread = (Math.max(...rss) - Math.min(...rss)) / Math.min(...rss);
    process.stdout.write(`peak RSS spread across sizes: ${(spread * 100).toFixed(1)}%\n`);
  }
  process.stdout.write(
    'wall: median of the timed runs; CPU: analyze\'s own user+system time (all threads); others: the largest share of\n' +
      'the machine\'s CPU time that other processes used during a timed run (from /proc/stat): above a few %, wall times are inflated\n',
  );
  if (args.keep) process.stdout.write(`scaled corpora kept in ${work}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  // 2: the command line was wrong (nothing was measured); 1: a run failed.
  const code = (err as { code?: unknown }).code;
  process.exitCode = err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) ? 2 : 1;
});
