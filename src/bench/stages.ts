// `node dist/bench/stages.js [runs]`: nanoseconds per dump line of each stage of one host, in
// one thread, warm, over the real linuxhw dumps: read+decode, parse, groups, judge+summary.
// The fastest of `runs` passes per stage (other processes only ever add time). Prints figures
// and asserts nothing; `npm run bench` measures the whole command.

import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { sourceDumps } from './corpus.js';
import { parseInput } from '../corpus/parse.js';
import type { Host } from '../corpus/model.js';
import { loadQuirkTables } from '../topology/quirks.js';
import { groupsForHost } from '../topology/groups.js';
import { loadPolicyTables } from '../policy/tables.js';
import { projectRoot } from '../project-root.js';
import { buildTimeline } from '../policy/declarations.js';
import { Judge } from '../policy/judge.js';
import { summarizeHost } from '../policy/analysis.js';
import { SCOPES } from '../policy/model.js';
import { readSeries } from '../series/read.js';
import { join } from 'node:path';

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 40);
  const root = projectRoot();
  const dumps = await sourceDumps(join(root, '..', 'shared', 'corpora', 'linuxhw'));
  const texts = dumps.map((d) => readFileSync(d.path, 'utf8'));
  const lines = texts.reduce((n, t) => n + t.split('\n').length, 0);
  const bytes = dumps.reduce((n, d) => n + d.bytes, 0);
  const series = await readSeries({ paths: [join(root, 'corpora', 'series', 'portdrv')] });
  const [quirks, tables] = await Promise.all([loadQuirkTables(), loadPolicyTables()]);
  const timeline = buildTimeline(series, tables);
  const judge = new Judge(tables, timeline, { scopes: SCOPES });
  const hosts: Host[] = texts.flatMap((t, i) => parseInput(t, dumps[i]!.path).hosts);
  const groups = hosts.map((h) => groupsForHost(h, quirks, { explain: false }));

  const stage = (name: string, pass: () => void): void => {
    let best = Infinity;
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      pass();
      best = Math.min(best, performance.now() - t0);
    }
    const ns = (best * 1e6) / lines;
    process.stdout.write(`${name.padEnd(14)} ${ns.toFixed(1).padStart(7)} ns/line ${(bytes / 1e3 / best).toFixed(0).padStart(6)} MB/s\n`);
  };
  process.stdout.write(`${dumps.length} dumps, ${lines} lines, ${(bytes / 1e6).toFixed(1)} MB; fastest of ${runs} passes\n`);
  stage('read+decode', () => dumps.forEach((d) => readFileSync(d.path).toString('utf8')));
  stage('parse', () => texts.forEach((t, i) => parseInput(t, dumps[i]!.path)));
  stage('groups', () => hosts.forEach((h) => groupsForHost(h, quirks, { explain: false })));
  stage('judge+summary', () => hosts.forEach((h, i) => summarizeHost(judge.judgeHost(h, groups[i]!), timeline.patchIndexes.length)));
}

main().catch((err: unknown) => {
  process.stderr.write(`stages: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
