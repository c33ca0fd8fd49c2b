// The whole data flow in one place: series in -> corpus in (streamed) -> topology -> policy ->
// a tally the reports render. I/O stays in the stages' edge modules; this only wires them.

import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { Series } from '../series/model.js';
import type { QuirkTables } from '../topology/quirks.js';
import type { PolicyTables } from '../policy/tables.js';
import type { AcsOverride } from '../topology/override.js';
import type { Scope } from '../policy/model.js';
import type { Analysis } from '../policy/analysis.js';
import type { Host } from '../corpus/model.js';
import { readSeries } from '../series/read.js';
import { corpusItems, readCorpus, STDIN_NAME, type CorpusProgress } from '../corpus/read.js';
import { loadQuirkTables } from '../topology/quirks.js';
import { groupsForHost } from '../topology/groups.js';
import { loadPolicyTables } from '../policy/tables.js';
import { buildTimeline } from '../policy/declarations.js';
import { Judge } from '../policy/judge.js';
import { Tally } from '../policy/analysis.js';
import { FileImpactStore } from '../report/impact-store.js';
import { CliError } from './context.js';
import { judgeBatch, type ItemJudge, type JudgedBatch } from './judge-file.js';
import { judgeInWorkers, startPool, type Pool } from './analyze-pool.js';
import { heapCap } from './heap.js';

export interface SeriesInput {
  series?: string[];
  git?: string;
  range?: string;
}

export interface AnalyzeOptions extends SeriesInput {
  /** Corpus paths; empty means "this machine" (`hosts` must then be given). */
  corpus: string[];
  /** Hosts already read (the live snapshot), used instead of `corpus`. */
  hosts?: Host[];
  scopes: readonly Scope[];
  declared?: string;
  acsOverride?: AcsOverride;
  concurrency?: number;
  /**
   * Worker threads that read, parse and judge the corpus files (0 or absent: all in this
   * thread, reading `concurrency` files at once). Results are the same either way.
   */
  workers?: number;
  /** Where a `-` corpus path reads from (default process.stdin). */
  stdin?: NodeJS.ReadableStream;
}

export interface AnalyzeHooks {
  /** Stop reading the corpus (the user quit the terminal report). */
  signal?: AbortSignal;
  onSeries?(series: Series): void;
  onProgress?(p: CorpusProgress): void;
  /** Every diagnostic as it is raised (series, skipped inputs, hosts). */
  onDiagnostic?(d: Diagnostic): void;
}

export interface AnalyzeResult {
  analysis: Analysis;
  declaredLabel: string;
  /** Warnings and errors raised during the run (info diagnostics are counted, not kept). */
  diagnostics: Diagnostic[];
  infoCount: number;
}

export async function loadSeries(input: SeriesInput): Promise<Series> {
  const hasPaths = input.series !== undefined && input.series.length > 0;
  if (hasPaths === (input.git !== undefined)) {
    throw new CliError('give either --series PATH... or --git REPO --range BASE..HEAD');
  }
  if (input.git !== undefined && input.range === undefined) throw new CliError('--git needs --range BASE..HEAD');
  if (input.git === undefined && input.range !== undefined) throw new CliError('--range needs --git REPO');
  return readSeries(hasPaths ? { paths: input.series } : { git: { repo: input.git!, range: input.range! } });
}

export async function runAnalysis(options: AnalyzeOptions, hooks: AnalyzeHooks = {}): Promise<AnalyzeResult> {
  const loaded = Promise.all([loadSeries(options), loadQuirkTables(), loadPolicyTables({ declared: options.declared })]);
  // The first worker boots (isolate, modules) while this thread reads the series and tables:
  // started after them, its boot was on the critical path of every run (~60 ms of 0.28 s at one host).
  const pool =
    !options.hosts && (options.workers ?? 0) > 0
      ? startPool(
          options.workers ?? 0,
          loaded.then(([series, quirks, tables]) => ({ series, quirks, tables, scopes: options.scopes, acsOverride: options.acsOverride })),
        )
      : null;
  try {
    return await analyse(options, hooks, await loaded, pool);
  } finally {
    // Also when loading failed, so no worker keeps the process alive (close is idempotent).
    await pool?.close();
  }
}

async function analyse(
  options: AnalyzeOptions,
  hooks: AnalyzeHooks,
  [series, quirks, tables]: [Series, QuirkTables, PolicyTables],
  pool: Pool | null,
): Promise<AnalyzeResult> {
  hooks.onSeries?.(series);
  const diagnostics: Diagnostic[] = [];
  let infoCount = 0;
  const note = (d: Diagnostic) => {
    hooks.onDiagnostic?.(d);
    if (d.severity === 'info') infoCount++;
    else diagnostics.push(d);
  };
  series.diagnostics.forEach(note);

  const timeline = buildTimeline(series, tables);
  const judge = new Judge(tables, timeline, { scopes: options.scopes });
  // Affected hosts past this many go to a temporary file (memory flat with corpus size).
  const inMemory = Number(process.env['VFIO_IMPACT_HOSTS_IN_MEMORY'] ?? 64);
  const tally = new Tally(series, timeline, new FileImpactStore(Number.isInteger(inMemory) && inMemory >= 0 ? inMemory : 64));
  const judgeOne = (host: Host) => {
    host.diagnostics.forEach(note);
    const groups = groupsForHost(host, quirks, { acsOverride: options.acsOverride, explain: false });
    tally.add(judge.judgeHost(host, groups));
  };

  if (options.hosts) {
    options.hosts.forEach(judgeOne);
  } else if (pool) {
    const local: ItemJudge = { quirks, judge, patches: timeline.patchIndexes.length, acsOverride: options.acsOverride };
    const progress: CorpusProgress = { files: 0, hosts: 0, skipped: 0, bytes: 0 };
    const batches = judgeInWorkers(options.corpus, {
      workers: options.workers ?? 0,
      pool,
      local: async (): Promise<JudgedBatch> => {
        const buf = await readAll(options.stdin ?? process.stdin);
        return judgeBatch([buf], (b) => ({ items: corpusItems(b.toString('utf8'), STDIN_NAME, {}, []), bytes: b.length }), local);
      },
    });
    // Worker replies are short-lived garbage that piled up until a major collection: checked
    // every 50 files, collected past 12 MB of used heap (about 9 MB is live: tables, series,
    // listing). Without it, peak RSS at 20,000 hosts was 151 MiB instead of 123 (2,000 hosts:
    // 115 either way). At 16 MB with 6 MB headroom, the 20,000-host run still peaked 8-10 MiB
    // above the 2,000-host one (medians of 5 alternated runs: 118 vs 109); at 12 MB with 3 MB,
    // 111 vs 109. The main thread is mostly idle, so the extra collections cost no wall time.
    const collect = heapCap(12, 3);
    for await (const batch of batches) {
      if (hooks.signal?.aborted) break;
      tally.addCounts(batch.counts);
      tally.addImpacts(batch.impacts);
      for (const file of batch.files) {
        progress.files++;
        if (collect && progress.files % 50 === 0) collect();
        progress.bytes += file.bytes;
        progress.hosts += file.hosts;
        file.diagnostics.forEach(note);
        for (const reason of file.skipped) {
          progress.skipped++;
          tally.skip(reason);
        }
        hooks.onProgress?.({ ...progress });
      }
    }
  } else {
    // In input order, as the worker path folds them: the same report run after run.
    for await (const item of readCorpus(options.corpus, {
      ordered: true,
      concurrency: options.concurrency,
      onProgress: hooks.onProgress,
      stdin: options.stdin,
    })) {
      if (hooks.signal?.aborted) break;
      if (item.kind === 'skipped') {
        item.diagnostics.forEach(note);
        tally.skip(item.reason);
      } else {
        judgeOne(item.host);
      }
    }
  }
  return { analysis: tally.result(), declaredLabel: tables.declaredLabel, diagnostics, infoCount };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}
