// The benchmark's floor program (dist/bench/floor.js) reads every input analyze would read, and
// all of each: its counts match the files counted here independently. A floor that skipped
// files or stopped early would make analyze look slow beside it for no reason.
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { LINUXHW, ROOT } from '../support/cli.js';
import { isCorpusInputName } from '../../src/corpus/read.js';

describe('bench floor', () => {
  it('reads every dump of the linuxhw corpus whole, with one and two workers', async () => {
    const names = (await readdir(LINUXHW)).filter(isCorpusInputName);
    let bytes = 0;
    let lines = 0;
    let indented = 0;
    for (const n of names) {
      const buf = await readFile(join(LINUXHW, n));
      bytes += buf.length;
      // Each newline ends a line; what follows the last one is not a line of its own.
      const ended = buf.toString('utf8').split('\n').slice(0, -1);
      lines += ended.length;
      indented += ended.filter((l) => l.startsWith('\t')).length;
    }
    expect(names.length).toBe(46);
    for (const workers of ['1', '2']) {
      const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'dist', 'bench', 'floor.js'), LINUXHW, '--workers', workers]);
      expect(stdout).toBe(`files=${names.length} bytes=${bytes} lines=${lines} indented=${indented}\n`);
    }
  });
});
