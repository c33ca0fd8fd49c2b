// The floor under `analyze`'s wall time: the same folder walk and worker threads, each file read
// (readFileSync), decoded as UTF-8 and walked line by line, and nothing else: no parsing, no
// groups, no judging, no report. The benchmark times it beside grep and analyze, so the share of
// analyze's time that is reading and starting up (which no parser change can remove) is a
// measured figure, not an estimate.
//
// Usage: node dist/bench/floor.js DIR [--workers N]   (prints the files, bytes and lines it saw)

import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { listCorpus } from '../corpus/read.js';

/** As analyze sends them (src/cli/analyze-pool.ts). */
const BATCH_FILES = 16;
const QUEUED_PER_WORKER = 8;

interface Tally {
  files: number;
  bytes: number;
  lines: number;
  indented: number;
}

/** Read, decode and walk the lines of each file: the least any lspci parser in JS must do. */
function walkFiles(paths: string[]): Tally {
  const t: Tally = { files: 0, bytes: 0, lines: 0, indented: 0 };
  for (const p of paths) {
    const buf = readFileSync(p);
    const text = buf.toString('utf8');
    let pos = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', pos)) {
      // Look at each line's first character, as a dispatching parser must.
      if (text.charCodeAt(pos) === 9) t.indented++;
      t.lines++;
      pos = nl + 1;
    }
    t.files++;
    t.bytes += buf.length;
  }
  return t;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const dir = argv[0];
  const wi = argv.indexOf('--workers');
  const workers = wi >= 0 ? Number(argv[wi + 1]) : availableParallelism();
  if (!dir || !Number.isInteger(workers) || workers < 1) throw new Error('usage: floor.js DIR [--workers N]');

  const pool = Array.from({ length: workers }, () => ({ worker: new Worker(new URL(import.meta.url)), inFlight: 0 }));
  const total: Tally = { files: 0, bytes: 0, lines: 0, indented: 0 };
  let waiting: (() => void) | null = null;
  for (const slot of pool) {
    slot.worker.on('message', (t: Tally) => {
      slot.inFlight--;
      total.files += t.files;
      total.bytes += t.bytes;
      total.lines += t.lines;
      total.indented += t.indented;
      waiting?.();
    });
    slot.worker.on('error', (err) => {
      throw err;
    });
  }
  const idle = () => pool.reduce((a, b) => (b.inFlight < a.inFlight ? b : a));
  const send = async (batch: string[]) => {
    while (idle().inFlight >= QUEUED_PER_WORKER) await new Promise<void>((r) => (waiting = r));
    const slot = idle();
    slot.inFlight++;
    slot.worker.postMessage(batch);
  };
  let batch: string[] = [];
  for await (const e of listCorpus([dir])) {
    if (e.kind !== 'file') continue;
    batch.push(e.path);
    if (batch.length === BATCH_FILES) {
      await send(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await send(batch);
  while (pool.some((s) => s.inFlight > 0)) await new Promise<void>((r) => (waiting = r));
  await Promise.all(pool.map((s) => s.worker.terminate()));
  process.stdout.write(`files=${total.files} bytes=${total.bytes} lines=${total.lines} indented=${total.indented}\n`);
}

if (isMainThread) {
  main().catch((err: unknown) => {
    process.stderr.write(`floor: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
} else {
  parentPort!.on('message', (paths: string[]) => parentPort!.postMessage(walkFiles(paths)));
}
