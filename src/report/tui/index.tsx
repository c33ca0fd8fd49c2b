// Entry point for `analyze --format tui`: mounts the ink app and lets the command feed it
// progress, the finished analysis, or an error. Works without a keyboard too (stdin not a
// terminal): the final frame is drawn and the app ends by itself. When stdout is not a terminal
// the same component tree is rendered once, as plain text without escape sequences.

import { render, renderToString, type Instance } from 'ink';
import type { LoadedAnalysis as Analysis } from '../../policy/analysis.js';
import type { Series } from '../../series/model.js';
import { App } from './App.js';
import type { LoadProgress } from './ProgressView.js';

export type { LoadProgress } from './ProgressView.js';

export interface TuiHandle {
  /** Called often while the corpus loads; rendering is throttled here. */
  setProgress(p: LoadProgress): void;
  /** Corpus done: show summary + host list. */
  finish(analysis: Analysis): void;
  /** An error ended the run: show it, then let the user quit. */
  fail(message: string): void;
  /** Resolves when the user presses q (or Ctrl-C / stdin closes). */
  waitUntilExit(): Promise<void>;
}

export interface TuiOptions {
  series: Series;
  stdout: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  stderr?: NodeJS.WriteStream;
  /** Minimum time between two progress frames (default 100 ms). */
  progressIntervalMs?: number;
}

// SGR and other CSI sequences ink or chalk may add (FORCE_COLOR): a pipe gets none.
// eslint-disable-next-line no-control-regex
const CSI = /\u001b\[[0-?]*[ -/]*[@-~]/g;

/** Rows that fit the whole summary and every host: a static frame is not scrolled. */
function staticRows(a: Analysis | null): number {
  return 40 + (a ? a.hosts.length + a.summary.perPatch.length : 0);
}

/** The report as one plain-text frame, for a stdout that is not a terminal. */
export function staticFrame(series: Series, analysis: Analysis | null, error: string | null, columns = 100): string {
  const size = { columns, rows: staticRows(analysis) };
  const frame = renderToString(<App series={series} progress={null} analysis={analysis} error={error} size={size} />, { columns });
  return frame.replace(CSI, '').replace(/\n?$/, '\n');
}

function startStatic(options: TuiOptions): TuiHandle {
  let settle: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    settle = resolve;
  });
  let finished = false;
  const write = (analysis: Analysis | null, error: string | null) => {
    if (finished) return;
    finished = true;
    options.stdout.write(staticFrame(options.series, analysis, error, options.stdout.columns || 100));
    settle();
  };
  return {
    setProgress() {},
    finish: (a) => write(a, null),
    fail: (message) => write(null, message),
    waitUntilExit: () => done,
  };
}

export function startTui(options: TuiOptions): TuiHandle {
  if (options.stdout.isTTY !== true) return startStatic(options);
  const { series, stdout, stdin } = options;
  const interval = options.progressIntervalMs ?? 100;
  // Without a keyboard nobody can press q: end once there is a final frame.
  const interactive = stdin.isTTY === true;
  let progress: LoadProgress | null = null;
  let analysis: Analysis | null = null;
  let error: string | null = null;
  let exited = false;
  let lastDraw = 0;
  let pending: NodeJS.Timeout | null = null;

  const tree = () => <App series={series} progress={progress} analysis={analysis} error={error} />;
  const instance: Instance = render(tree(), {
    stdout,
    stdin,
    stderr: options.stderr ?? process.stderr,
    exitOnCtrlC: true,
    patchConsole: false,
  });

  const draw = () => {
    if (pending) {
      clearTimeout(pending);
      pending = null;
    }
    if (exited) return;
    lastDraw = Date.now();
    instance.rerender(tree());
  };

  // A keyboard that goes away (terminal closed) cannot press q any more. A non-terminal stdin is
  // not watched: the app ends on finish/fail instead, and must not end before the summary.
  const end = () => {
    exited = true;
    instance.unmount();
  };
  const onInputClosed = end;
  if (interactive) {
    stdin.once('end', onInputClosed);
    stdin.once('close', onInputClosed);
  }

  const done = instance.waitUntilExit().then(
    () => undefined,
    () => undefined,
  );
  void done.then(() => {
    exited = true;
    if (pending) clearTimeout(pending);
    pending = null;
    stdin.off('end', onInputClosed);
    stdin.off('close', onInputClosed);
  });

  const settle = () => {
    draw();
    if (!interactive) end();
  };

  return {
    setProgress(p) {
      if (exited || analysis !== null) return;
      progress = p;
      const wait = interval - (Date.now() - lastDraw);
      if (wait <= 0) draw();
      else if (!pending) {
        pending = setTimeout(draw, wait);
        pending.unref();
      }
    },
    finish(a) {
      if (exited) return;
      analysis = a;
      settle();
    },
    fail(message) {
      if (exited) return;
      error = message;
      settle();
    },
    waitUntilExit: () => done,
  };
}
