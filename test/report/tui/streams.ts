// In-memory stand-ins for the terminal streams ink talks to, with a chosen size: the same shape
// as ink-testing-library's, which fixes the width at 100 columns and has no rows.

import { EventEmitter } from 'node:events';
import type { ReactElement } from 'react';
import { render as inkRender } from 'ink';

export class TestTerminal extends EventEmitter {
  readonly frames: string[] = [];
  constructor(
    public columns = 80,
    public rows = 24,
    public isTTY = true,
  ) {
    super();
  }
  write = (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    this.frames.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  };
  lastFrame = (): string => this.frames[this.frames.length - 1] ?? '';
  output = (): string => this.frames.join('');
  resize(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    this.emit('resize');
  }
}

export class TestKeyboard extends EventEmitter {
  private data: string | null = null;
  constructor(public isTTY = true) {
    super();
  }
  press = (data: string): void => {
    this.data = data;
    this.emit('readable');
    this.emit('data', data);
  };
  read = (): string | null => {
    const d = this.data;
    this.data = null;
    return d;
  };
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

export const asWrite = (t: TestTerminal) => t as unknown as NodeJS.WriteStream;
export const asRead = (k: TestKeyboard) => k as unknown as NodeJS.ReadStream;

/** Wait until `check` holds, giving React and ink turns to run; fail with the last frame. */
export async function until(check: () => boolean, frame: () => string, turns = 200): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (check()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`condition not met; last frame:\n${frame()}`);
}

/**
 * Render with ink itself at a chosen terminal size (ink-testing-library fixes 100 columns and
 * no rows); debug mode makes each write one whole frame.
 */
export function renderAt(node: ReactElement, columns: number, rows: number, interactive = true) {
  const stdout = new TestTerminal(columns, rows);
  const stdin = new TestKeyboard(interactive);
  const instance = inkRender(node, {
    stdout: asWrite(stdout),
    stdin: asRead(stdin),
    stderr: asWrite(new TestTerminal(columns, rows)),
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  return { ...instance, stdout, stdin, lastFrame: stdout.lastFrame };
}
