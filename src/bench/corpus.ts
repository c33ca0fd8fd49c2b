// The scaled corpus the benchmark runs on: the real dumps of one corpus directory copied again
// and again under new host ids (`h000123-<original name>`) until there are as many as asked.
// Byte-exact copies, so the parser does the same work per host as on the real corpus; no
// manifest, so every host is named by its file.

import { copyFile, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { isCorpusInputName } from '../corpus/read.js';

export interface SourceFile {
  name: string;
  path: string;
  bytes: number;
}

/** The dumps of `dir` (not the manifest or READMEs), sorted by name. */
export async function sourceDumps(dir: string): Promise<SourceFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isFile() && isCorpusInputName(e.name))
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const path = join(dir, name);
      return { name, path, bytes: (await stat(path)).size };
    }),
  );
}

/** Name of the i-th replicated host file. */
export function replicaName(i: number, original: string): string {
  return `h${String(i).padStart(6, '0')}-${original}`;
}

/** Bytes a corpus of `hosts` replicas of `sources` holds (to check free space before copying). */
export function replicatedBytes(sources: SourceFile[], hosts: number): number {
  let total = 0;
  for (let i = 0; i < hosts; i++) total += sources[i % sources.length]!.bytes;
  return total;
}

/** Copy `hosts` replicas of `sources` into `target` (created). Returns the bytes written. */
export async function replicateCorpus(sources: SourceFile[], target: string, hosts: number): Promise<number> {
  if (sources.length === 0) throw new Error('no dumps to replicate');
  await mkdir(target, { recursive: true });
  const limit = pLimit(16);
  const jobs: Array<Promise<void>> = [];
  for (let i = 0; i < hosts; i++) {
    const src = sources[i % sources.length]!;
    jobs.push(limit(() => copyFile(src.path, join(target, replicaName(i, src.name)))));
  }
  await Promise.all(jobs);
  return replicatedBytes(sources, hosts);
}
