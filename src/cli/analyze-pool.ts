// Judging a corpus across worker threads. The main thread walks the inputs lazily, sends files
// to the workers in small batches and yields the judged batches back in input order. At most
// `workers × QUEUED_PER_WORKER` batches are in flight, so memory does not grow with the corpus.

import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { listCorpus, manifestLookup, type CorpusEntry } from '../corpus/read.js';
import type { JudgedBatch, JudgedFile, JudgeSetup } from './judge-file.js';
import { emptyCounts, encodeImpacts } from '../policy/analysis.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { WorkerFile, WorkerReply, WorkerRequest, WorkerSetupMessage } from './analyze-worker.js';

/** A pool whose first worker starts now; it is judged with `setup` once that resolves. */
export function startPool(workers: number, setup: Promise<JudgeSetup>): Pool {
  return new Pool(Math.max(1, Math.floor(workers)), setup).prestart();
}

/** Files per message: large enough that messaging costs little, small enough to balance two cores. */
export const BATCH_FILES = 16;
/** Batches queued per worker (results are folded in input order), so a worker neither waits for the main thread nor for a slower worker holding the head of the order. */
export const QUEUED_PER_WORKER = 8;

/**
 * A worker's live data is one batch of hosts; left alone, V8 grows each worker's young
 * generation to 48 MB over the first thousands of hosts, so peak RSS depended on corpus size.
 * Capped, it is steady after the first batches (peak RSS at 2,000 hosts 124 MiB vs 142 MiB
 * at 32 MB). A CPU-time difference between 8 and 48 MB was within the noise of the shared machine.
 */
export const WORKER_YOUNG_GENERATION_MB = 8;

/**
 * When the workers occupy every CPU, V8's background TurboFan thread only competes with them:
 * each worker isolate compiles its hot code anew (~0.5 s of compile per isolate here). Compiled
 * in the worker's own thread instead (`--no-concurrent-recompilation`, read by isolates created
 * after it is set, so the main isolate keeps its own setting), 2 CPUs, 2 workers, medians of 3-5
 * alternated runs: CPU -3% and peak RSS -8 MiB at 2,000 hosts, wall and CPU -9% at 20,000.
 * With a spare CPU (fewer workers than CPUs) background compiling is faster, so it stays on.
 */
function compileInWorkerThreads(workers: number): void {
  if (workers >= availableParallelism()) setFlagsFromString('--no-concurrent-recompilation');
}

/** Worker threads `analyze` uses by default: one per CPU. */
export function defaultWorkers(): number {
  return availableParallelism();
}

/** The compiled worker module beside this one (dist/cli/analyze-worker.js, also when run from src/ by vitest). */
function workerPath(): string {
  const here = fileURLToPath(import.meta.url);
  const js = here.replace(/analyze-pool\.(ts|js)$/, 'analyze-worker.js');
  if (existsSync(js)) return js;
  const dist = js.replace(/([\\/])src([\\/]cli[\\/])/, '$1dist$2');
  if (existsSync(dist)) return dist;
  throw new Error(`worker module not found (${js}); build with "npm run build" or use --workers 0`);
}

interface Pending {
  resolve(batch: JudgedBatch): void;
  reject(err: Error): void;
}

type Slot = { worker: Worker; outstanding: number; setupSent: Promise<void> };

export class Pool {
  private readonly workers: Slot[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | null = null;

  constructor(
    private readonly max: number,
    private readonly setup: Promise<JudgeSetup>,
  ) {
    // A setup that never comes (loading failed) must not be an unhandled rejection here.
    setup.catch(() => undefined);
  }

  /** Start the first worker now, so its boot overlaps the caller's own start-up work. */
  prestart(): this {
    if (this.workers.length === 0) this.spawn();
    return this;
  }

  private spawn(): Slot {
    if (this.workers.length === 0) compileInWorkerThreads(this.max);
    const worker = new Worker(workerPath(), {
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    // The setup is the worker's first message; batches are posted after it.
    const setupSent = this.setup.then((setup) => worker.postMessage({ setup } satisfies WorkerSetupMessage));
    setupSent.catch(() => undefined);
    const slot: Slot = { worker, outstanding: 0, setupSent };
    worker.on('message', (reply: WorkerReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      slot.outstanding--;
      if ('error' in reply) p.reject(new Error(`analysis worker failed: ${reply.error}`));
      else p.resolve(reply.batch);
    });
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => {
      if (code !== 0) this.fail(new Error(`analysis worker exited with code ${code}`));
    });
    this.workers.push(slot);
    return slot;
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }

  /** Judge a batch on the least busy worker; a new worker starts only when every one is busy. */
  run(files: WorkerFile[]): Promise<JudgedBatch> {
    if (this.failure) return Promise.reject(this.failure);
    let slot = this.workers.reduce<Slot | null>(
      (best, w) => (best === null || w.outstanding < best.outstanding ? w : best),
      null,
    );
    if ((slot === null || slot.outstanding > 0) && this.workers.length < this.max) slot = this.spawn();
    const s = slot!;
    const id = this.nextId++;
    s.outstanding++;
    return new Promise<JudgedBatch>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      s.setupSent.then(
        () => s.worker.postMessage({ id, files } satisfies WorkerRequest),
        (err: unknown) => this.fail(err instanceof Error ? err : new Error(String(err))),
      );
    });
  }

  async close(): Promise<void> {
    const ws = this.workers.splice(0);
    ws.forEach((w) => w.worker.removeAllListeners('exit'));
    await Promise.all(ws.map((w) => w.worker.terminate()));
  }
}

export interface WorkerJudgeOptions {
  workers: number;
  /** Started early by the caller (startPool), already holding its setup. */
  pool: Pool;
  /** Inputs the workers do not take (stdin), judged in the calling thread. */
  local(entry: Extract<CorpusEntry, { kind: 'stdin' }>): Promise<JudgedBatch>;
}

/** Every input under `paths`, judged in worker threads, yielded in batches in input order. */
export async function* judgeInWorkers(paths: string[], options: WorkerJudgeOptions): AsyncGenerator<JudgedBatch> {
  const pool = options.pool;
  const metadataOf = manifestLookup();
  const maxQueued = Math.max(1, Math.floor(options.workers)) * QUEUED_PER_WORKER;
  const queue: Array<Promise<JudgedBatch>> = [];
  const enqueue = (p: Promise<JudgedBatch>) => {
    // Rejections surface when the batch reaches the head of the queue, not as unhandled ones.
    p.catch(() => undefined);
    queue.push(p);
  };
  let batch: WorkerFile[] = [];
  const flush = () => {
    if (batch.length === 0) return;
    enqueue(pool.run(batch));
    batch = [];
  };
  try {
    for await (const entry of listCorpus(paths)) {
      if (entry.kind === 'file') {
        batch.push({ path: entry.path, ...(await metadataOf(entry.path)) });
        if (batch.length >= BATCH_FILES) flush();
      } else {
        flush();
        if (entry.kind === 'skip') {
          const { item } = entry;
          if (item.kind === 'skipped') {
            enqueue(Promise.resolve({ files: [skippedFile(item.reason, item.diagnostics)], counts: emptyCounts(0), impacts: encodeImpacts([]) }));
          }
        } else {
          enqueue(options.local(entry));
        }
      }
      while (queue.length >= maxQueued) yield await queue.shift()!;
    }
    flush();
    while (queue.length > 0) yield await queue.shift()!;
  } finally {
    await pool.close();
  }
}

/** An input the walk itself skipped (unreadable folder entry...): a file record with no host. */
function skippedFile(reason: string, diagnostics: Diagnostic[]): JudgedFile {
  return { bytes: 0, hosts: 0, skipped: [reason], diagnostics };
}
