// The I/O edge of the corpus stage: paths in (files, directories walked lazily in sorted
// order, `-` for stdin), hosts out as they are parsed. At most `concurrency` files are read
// or held at once, so memory does not grow with the number of files.

import { readFileSync } from 'node:fs';
import { opendir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import pLimit from 'p-limit';
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import { clean } from './device-line.js';
import { loadManifest, MANIFEST_NAME, type Manifest } from './manifest.js';
import type { CorpusItem, HostMetadata } from './model.js';
import { parseInput } from './parse.js';

export interface CorpusProgress {
  /** Inputs finished so far (hosts and skipped). */
  files: number;
  hosts: number;
  skipped: number;
  bytes: number;
}

export interface ReadCorpusOptions {
  /** Files read at once (default 8). */
  concurrency?: number;
  /** Where `-` reads from (default process.stdin). */
  stdin?: NodeJS.ReadableStream;
  onProgress?: (p: CorpusProgress) => void;
  /**
   * Yield items in input order (still reading `concurrency` files ahead) instead of as they
   * complete. Reports use it for stable output.
   */
  ordered?: boolean;
}

export const STDIN_NAME = '<stdin>';

/** Reasons a skipped item gives, by diagnostic code. */
export const SKIP_REASONS: Record<string, string> = {
  empty: 'empty file',
  binary: 'binary file',
  'not-lspci': 'not an lspci dump or IOMMU group listing',
  missing: 'no such file or directory',
  'no-dumps': 'directory holds no dumps',
  unreadable: 'unreadable',
};

/** One input as the walk finds it: a file to read, stdin, or an input already known to be skipped. */
export type CorpusEntry =
  | { kind: 'file'; path: string }
  | { kind: 'stdin' }
  | { kind: 'skip'; item: CorpusItem };
type Entry = CorpusEntry;

/** Not inputs: the manifest (read as metadata) and READMEs that sit beside the dumps. */
export function isCorpusInputName(name: string): boolean {
  if (name.startsWith('.')) return false;
  if (name === MANIFEST_NAME) return false;
  if (name.toLowerCase().startsWith('readme')) return false;
  return true;
}

function skipped(file: string, code: string, message: string, line: number | null = null): CorpusItem {
  const d = diag(file, line, 'error', code, message);
  return { kind: 'skipped', file, reason: SKIP_REASONS[code] ?? code, diagnostics: [d] };
}

const FILE = 1;
const DIRECTORY = 2;
const SYMLINK = 3;

async function* walkDir(dir: string): AsyncGenerator<Entry> {
  // A corpus folder can hold hundreds of thousands of dumps. Sorted once, then kept as bare
  // names and a byte per entry: a Dirent object each would be about 40 MB at 239,000 files.
  const { names, kinds } = await listDir(dir);
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const full = join(dir, name);
    const kind = kinds[i];
    if (kind === DIRECTORY) {
      yield* walkDir(full);
    } else if (kind === FILE) {
      yield { kind: 'file', path: full };
    } else if (kind === SYMLINK) {
      const st = await stat(full).catch(() => null);
      if (st?.isDirectory()) yield* walkDir(full);
      else yield { kind: 'file', path: full };
    }
  }
}

/**
 * The input names of `dir`, sorted, with what each is (0: neither file, folder nor link).
 * Entries are read a buffer at a time (`opendir`) and only the name and a byte are kept: a
 * `readdir` array holds every Dirent at once, and 20,000 of them surviving a young-generation
 * collection together made V8 double the main thread's young generation for the rest of the
 * run (peak RSS then grew with the folder).
 */
async function listDir(dir: string): Promise<{ names: string[]; kinds: Uint8Array }> {
  const unsorted: string[] = [];
  let kindOf = new Uint8Array(256);
  const handle = await opendir(dir, { bufferSize: 128 });
  try {
    for (let e = handle.readSync(); e !== null; e = handle.readSync()) {
      if (!isCorpusInputName(e.name)) continue;
      if (unsorted.length === kindOf.length) {
        const grown = new Uint8Array(kindOf.length * 2);
        grown.set(kindOf);
        kindOf = grown;
      }
      kindOf[unsorted.length] = e.isDirectory() ? DIRECTORY : e.isFile() ? FILE : e.isSymbolicLink() ? SYMLINK : 0;
      unsorted.push(e.name);
    }
  } finally {
    handle.closeSync();
  }
  const order = new Uint32Array(unsorted.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => {
    const x = unsorted[a]!;
    const y = unsorted[b]!;
    return x < y ? -1 : x > y ? 1 : 0;
  });
  const kinds = new Uint8Array(order.length);
  const names = new Array<string>(order.length);
  for (let i = 0; i < order.length; i++) {
    names[i] = unsorted[order[i]!]!;
    kinds[i] = kindOf[order[i]!]!;
  }
  return { names, kinds };
}

async function* walk(paths: string[]): AsyncGenerator<Entry> {
  for (const p of paths) {
    if (p === '-') {
      yield { kind: 'stdin' };
      continue;
    }
    let st;
    try {
      st = await stat(p);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      yield {
        kind: 'skip',
        item: code === 'ENOENT' || code === 'ENOTDIR'
          ? skipped(p, 'missing', 'no such file or directory')
          : skipped(p, 'unreadable', `cannot read: ${code ?? 'error'}`),
      };
      continue;
    }
    if (!st.isDirectory()) {
      yield { kind: 'file', path: p };
      continue;
    }
    let n = 0;
    try {
      for await (const e of walkDir(p)) {
        n++;
        yield e;
      }
    } catch (err) {
      yield { kind: 'skip', item: skipped(p, 'unreadable', `cannot read directory: ${(err as NodeJS.ErrnoException).code ?? 'error'}`) };
      continue;
    }
    if (n === 0) yield { kind: 'skip', item: skipped(p, 'no-dumps', 'directory holds no dumps (only a manifest, READMEs or nothing)') };
  }
}

async function readStream(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

/**
 * The inputs under `paths`, lazily, in the order `readCorpus` reads them (directories sorted,
 * manifests and READMEs left out, missing paths as skipped entries). Holds one directory
 * listing at a time, so callers that read the files elsewhere (worker threads) stay bounded.
 */
export function listCorpus(paths: string[]): AsyncIterable<CorpusEntry> {
  return { [Symbol.asyncIterator]: () => walk(paths) };
}

/** What the manifest beside a file says about it, and the manifest's own diagnostics the first time its directory is seen. */
export interface FileMetadata {
  metadata: HostMetadata;
  /** A bad manifest's diagnostics, given with the first input of its directory only. */
  extra: Diagnostic[];
}

/** One manifest read per directory, shared by every file in it. */
export function manifestLookup(): (path: string) => Promise<FileMetadata> {
  const manifests = new Map<string, Promise<Manifest | null>>();
  return async (path) => {
    const dir = dirname(path);
    let manifestPromise = manifests.get(dir);
    const first = manifestPromise === undefined;
    if (!manifestPromise) {
      manifestPromise = loadManifest(dir);
      manifests.set(dir, manifestPromise);
    }
    const manifest = await manifestPromise;
    const extra = first && manifest ? manifest.diagnostics : [];
    return { metadata: { ...(manifest?.byFile.get(basename(path)) ?? {}) }, extra };
  };
}

/**
 * Read and parse one file synchronously: for worker threads, where a blocking read is the
 * cheapest one and blocks nobody. Same items and skip reasons as `readCorpus` gives the file.
 */
export function readCorpusFileSync(path: string, meta: FileMetadata): { items: CorpusItem[]; bytes: number } {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const item = code === 'ENOENT' ? skipped(path, 'missing', 'no such file or directory') : skipped(path, 'unreadable', `cannot read: ${code ?? 'error'}`);
    return { items: [item], bytes: 0 };
  }
  try {
    return { items: corpusItems(buf.toString('utf8'), path, meta.metadata, meta.extra), bytes: buf.length };
  } catch (err) {
    return { items: [skipped(path, 'unreadable', `cannot read: ${clean(String(err))}`)], bytes: buf.length };
  }
}

/** Parse one input's text into hosts, or one skipped item saying why there are none. Pure. */
export function corpusItems(text: string, file: string, metadata: HostMetadata, extra: Diagnostic[]): CorpusItem[] {
  return itemsFrom(text, file, metadata, extra);
}

function itemsFrom(text: string, file: string, metadata: HostMetadata, extra: Diagnostic[]): CorpusItem[] {
  const r = parseInput(text, file, metadata);
  if (r.hosts.length === 0) {
    const why = r.diagnostics.find((d) => d.severity === 'error') ?? r.diagnostics[0];
    const code = why?.code ?? 'not-lspci';
    return [{ kind: 'skipped', file, reason: SKIP_REASONS[code] ?? code, diagnostics: [...extra, ...r.diagnostics] }];
  }
  return r.hosts.map((host, i) => {
    if (i === 0 && extra.length > 0) host.diagnostics.unshift(...extra);
    return { kind: 'host', host } as CorpusItem;
  });
}

export function readCorpus(paths: string[], options: ReadCorpusOptions = {}): AsyncIterable<CorpusItem> {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 8));
  const limit = pLimit(concurrency);
  const metadataOf = manifestLookup();
  const progress: CorpusProgress = { files: 0, hosts: 0, skipped: 0, bytes: 0 };

  async function readOne(path: string): Promise<CorpusItem[]> {
    let buf: Buffer;
    try {
      buf = await readFile(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return [code === 'ENOENT' ? skipped(path, 'missing', 'no such file or directory') : skipped(path, 'unreadable', `cannot read: ${code ?? 'error'}`)];
    }
    progress.bytes += buf.length;
    // A bad manifest is reported once, with the first input of its directory.
    const { metadata, extra } = await metadataOf(path);
    return itemsFrom(buf.toString('utf8'), path, metadata, extra);
  }

  async function run(entry: Entry): Promise<CorpusItem[]> {
    if (entry.kind === 'skip') return [entry.item];
    if (entry.kind === 'stdin') {
      const buf = await readStream(options.stdin ?? process.stdin);
      progress.bytes += buf.length;
      return itemsFrom(buf.toString('utf8'), STDIN_NAME, {}, []);
    }
    return readOne(entry.path);
  }

  function account(items: CorpusItem[]): void {
    progress.files++;
    for (const it of items) {
      if (it.kind === 'host') progress.hosts++;
      else progress.skipped++;
    }
    options.onProgress?.({ ...progress });
  }

  return {
    async *[Symbol.asyncIterator]() {
      let nextId = 0;
      const pending = new Map<number, Promise<[number, CorpusItem[]]>>();
      const order: number[] = [];

      async function take(): Promise<CorpusItem[]> {
        let id: number;
        let items: CorpusItem[];
        if (options.ordered) {
          id = order[0]!;
          [, items] = await pending.get(id)!;
        } else {
          [id, items] = await Promise.race(pending.values());
        }
        pending.delete(id);
        order.splice(order.indexOf(id), 1);
        account(items);
        return items;
      }

      for await (const entry of walk(paths)) {
        const id = nextId++;
        const p = limit(() => run(entry)).then(
          (items): [number, CorpusItem[]] => [id, items],
          (err: unknown): [number, CorpusItem[]] => [
            id,
            [skipped(entry.kind === 'file' ? entry.path : STDIN_NAME, 'unreadable', `cannot read: ${clean(String(err))}`)],
          ],
        );
        pending.set(id, p);
        order.push(id);
        while (pending.size >= concurrency) yield* await take();
      }
      while (pending.size > 0) yield* await take();
    },
  };
}
