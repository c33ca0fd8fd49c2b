// A CliContext whose stdout and stderr are captured as strings, for running commands
// in-process through main([...argv]). stdin is the given text (empty by default).

import { Readable, Writable } from 'node:stream';
import type { CliContext } from '../../src/cli/context.js';

class Capture extends Writable {
  text = '';
  isTTY = false;
  columns = 100;
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    done();
  }
}

export function captureContext(stdinText = '', cwd = process.cwd()): { ctx: CliContext; out(): string; err(): string } {
  const stdout = new Capture();
  const stderr = new Capture();
  const ctx: CliContext = {
    stdout,
    stderr,
    stdin: Readable.from([Buffer.from(stdinText)]),
    env: { ...process.env, NO_COLOR: '1' },
    cwd,
  };
  return { ctx, out: () => stdout.text, err: () => stderr.text };
}
