// Writing a report: to stdout, or to --out atomically (temp file in the same folder, then
// rename), so an interrupted run leaves the old file intact. --out never writes through a
// symlink and never overwrites one of the run's own inputs.

import { lstat, open, rename, unlink, realpath } from 'node:fs/promises';
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
 * Write `chunks` to a stream as they come, waiting for it to drain when its buffer is full. A
 * reader that goes away (`| head`: EPIPE) ends the writing quietly, as for any Unix filter; the
 * run still ends with its own exit code. Any other write error is thrown.
 */
export async function writeChunks(stream: NodeJS.WritableStream, chunks: Iterable<string>): Promise<void> {
  let readerGone = false;
  let failure: Error | null = null;
  const onError = (err: NodeJS.ErrnoException): void => {
    if (err.code === 'EPIPE') readerGone = true;
    else failure ??= err;
  };
  stream.on('error', onError);
  try {
    for (const chunk of chunks) {
      if (readerGone || failure !== null) break;
      if (!stream.write(chunk)) await drained(stream);
    }
  } finally {
    stream.off('error', onError);
  }
  if (failure !== null) throw failure;
}

/** Resolves once the stream drains, fails or closes (the caller looks at which). */
function drained(stream: NodeJS.WritableStream): Promise<void> {
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

export async function writeAtomic(path: string, content: string | Iterable<string>): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    // 'wx': fail rather than follow a planted symlink at the temp name.
    const fh = await open(tmp, 'wx', 0o644);
    try {
      if (typeof content === 'string') await fh.writeFile(content, 'utf8');
      else for (const chunk of content) await fh.write(chunk, null, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    // rename() replaces the directory entry, never writes through a link planted there since the check.
    await rename(tmp, path);
  } catch (err) {
    // A failed write (disk full, rename refused) leaves the old file as it was and no temp file behind.
    await unlink(tmp).catch(() => undefined);
    throw new CliError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}
