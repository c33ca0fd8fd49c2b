// Writing a report: to stdout, or to --out atomically (temp file in the same folder, then
// rename), so an interrupted run leaves the old file intact. --out never writes through a
// symlink and never overwrites one of the run's own inputs.

import { lstat, open, rename, unlink, realpath, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CliError } from '../cli/context.js';

export async function checkOutPath(out: string, inputs: readonly string[] = []): Promise<string> {
  const target = resolve(out);
  try {
    const st = await lstat(target);
    if (st.isSymbolicLink()) throw new CliError(`--out ${out}: is a symbolic link; refusing to write through it`);
    if (st.isDirectory()) throw new CliError(`--out ${out}: is a directory`);
  } catch (err) {
    if (err instanceof CliError) throw err;
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new CliError(`--out ${out}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  // Check the folder before the run, not after minutes of analysis.
  const folder = dirname(target);
  const folderOk = await lstat(folder).then(
    (st) => st.isDirectory() || st.isSymbolicLink(),
    () => false,
  );
  if (!folderOk) throw new CliError(`${out}: folder ${folder} does not exist`);
  const targetReal = await realpath(target).catch(() => null);
  for (const input of inputs) {
    if (input === '-') continue;
    let same = resolve(input) === target;
    let inside = false;
    try {
      const inputReal = await realpath(input);
      same ||= inputReal === (targetReal ?? target);
      // An existing file under an input directory is one of the run's inputs too.
      if (targetReal !== null && (await lstat(inputReal)).isDirectory()) inside = targetReal.startsWith(inputReal + sep);
    } catch {
      /* input vanished or target absent: compare resolved paths only */
    }
    if (same || inside) throw new CliError(`--out ${out}: is one of the inputs; refusing to overwrite it`);
  }
  return target;
}

/**
 * Write `chunks` to a stream as they come, waiting for it to drain when its buffer is full.
 * Writing stops at the first error the stream reports, or once it is no longer writable: a
 * reader that went away (`| head`, EPIPE) is the ordinary case, as for any Unix filter. The error
 * itself is for the stream's owner to report (bin/vfio-impact.js does for stdout: EPIPE is
 * ignored, anything else ends the run with exit 2), so it is not thrown here.
 */
export async function writeChunks(stream: NodeJS.WritableStream, chunks: Iterable<string>): Promise<void> {
  let failed = false;
  const onError = (): void => {
    failed = true;
  };
  stream.on('error', onError);
  try {
    for (const chunk of chunks) {
      if (failed || !isWritable(stream)) break;
      if (!stream.write(chunk)) await drained(stream);
    }
  } finally {
    stream.off('error', onError);
  }
}

/** false once a stream was destroyed or ended (it will then never emit `drain`). */
function isWritable(stream: NodeJS.WritableStream): boolean {
  const s = stream as NodeJS.WritableStream & { destroyed?: boolean; writableEnded?: boolean };
  return s.writable !== false && s.destroyed !== true && s.writableEnded !== true;
}

/** Resolves once the stream drains, fails or closes; at once if it can no longer drain. */
function drained(stream: NodeJS.WritableStream): Promise<void> {
  if (!isWritable(stream)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('error', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('error', done);
    stream.on('close', done);
  });
}

/** An error thrown while making the content (a renderer bug, an unreadable spill file): not an I/O failure of the target. */
class ContentError extends Error {
  constructor(readonly inner: unknown) {
    super('report content failed');
  }
}

async function writeAll(fh: FileHandle, content: Iterable<string>): Promise<void> {
  const it = content[Symbol.iterator]();
  for (;;) {
    let next: IteratorResult<string>;
    try {
      next = it.next();
    } catch (err) {
      throw new ContentError(err);
    }
    if (next.done) return;
    const buf = Buffer.from(next.value, 'utf8');
    // A short write on a regular file is rare, but writeFile retries it: so do we.
    let written = 0;
    while (written < buf.length) written += (await fh.write(buf, written, buf.length - written)).bytesWritten;
  }
}

export async function writeAtomic(path: string, content: string | Iterable<string>): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    // 'wx': fail rather than follow a planted symlink at the temp name.
    const fh = await open(tmp, 'wx', 0o644);
    try {
      if (typeof content === 'string') await fh.writeFile(content, 'utf8');
      else await writeAll(fh, content);
      await fh.sync();
    } finally {
      await fh.close();
    }
    // rename() replaces the directory entry, never writes through a link planted there since the check.
    await rename(tmp, path);
  } catch (err) {
    // A failed write (disk full, rename refused) leaves the old file as it was and no temp file behind.
    await unlink(tmp).catch(() => undefined);
    // A failure making the content is not the target's: it surfaces as itself (with its stack).
    if (err instanceof ContentError) throw err.inner;
    throw new CliError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}
