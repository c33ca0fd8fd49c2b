// `analyze` and `gate`: the series applied to the corpus, reported (tui, text, json, csv,
// markdown) or checked against a stored baseline (exit 0 clean, 1 new regressions, 2 could not judge).

import { Command, Option } from 'commander';
import { readFile, stat } from 'node:fs/promises';
import type { Registrar } from '../main.js';
import { CliError, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, type CliContext } from '../context.js';
import { runAnalysis, type AnalyzeOptions, type AnalyzeResult } from '../pipeline.js';
import { loadAnalysis } from '../../policy/analysis.js';
import { defaultWorkers } from '../analyze-pool.js';
import type { Scope } from '../../policy/model.js';
import { SCOPES } from '../../policy/model.js';
import { parseAcsOverride } from '../../topology/override.js';
import { formatDiagnostic, type Diagnostic } from '../../diagnostics/diagnostic.js';
import { sanitize } from '../../diagnostics/sanitize.js';
import { checkOutPath, writeAtomic, writeChunks } from '../../report/output.js';
// The TUI (ink, react) loads only when it is used: loading it costs ~0.5 s and ~35 MB on every run.
// Likewise the one report format asked for, the gate's baseline code and the live snapshot
// reader load only when used: each costs a few ms of start-up (csv-stringify, sysfs reading).
import type { TuiHandle } from '../../report/tui/index.js';
import type { Series } from '../../series/model.js';

type Format = 'tui' | 'text' | 'json' | 'csv' | 'markdown';

interface CommonOpts {
  series?: string[];
  git?: string;
  range?: string;
  corpus?: string[];
  scope: string;
  declared?: string;
  acsOverride?: string;
  concurrency: string;
  workers?: string;
  verbose?: boolean;
}

function addInputOptions(cmd: Command): Command {
  return cmd
    .option('--series <paths...>', 'patch files, directories of git format-patch output, or mboxes')
    .option('--git <repo>', 'a kernel git tree; each commit of --range is one patch')
    .option('--range <base..head>', 'commit range in --git (revisions starting with "-" are refused)')
    .option('--corpus <paths...>', 'lspci dumps / group listings, files or directories ("-" = stdin); default: this machine')
    .addOption(new Option('--scope <scope>', 'which groups to judge').choices(['actual', 'potential', 'all']).default('all'))
    .option('--declared <file>', 'declared-driver table (CSV with a driver column) for drivers the series does not touch', undefined)
    .option('--acs-override <spec>', 'simulate pcie_acs_override=downstream,multifunction,id:vvvv:dddd when deriving groups')
    .option('--concurrency <n>', 'files read at once', '8')
    .option('--workers <n>', 'worker threads that parse and judge the corpus (default: one per CPU; 0 = in this process)')
    .option('--verbose', 'also print info diagnostics');
}

function scopesOf(scope: string): Scope[] {
  return scope === 'all' ? [...SCOPES] : [scope as Scope];
}

function toAnalyzeOptions(o: CommonOpts): AnalyzeOptions {
  const concurrency = Number(o.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    throw new CliError(`--concurrency: expected a whole number from 1 to 256, got "${o.concurrency}"`);
  }
  const workers = o.workers === undefined ? defaultWorkers() : Number(o.workers);
  if (!Number.isInteger(workers) || workers < 0 || workers > 64) {
    throw new CliError(`--workers: expected a whole number from 0 to 64, got "${o.workers}"`);
  }
  return {
    series: o.series,
    git: o.git,
    range: o.range,
    corpus: o.corpus ?? [],
    scopes: scopesOf(o.scope),
    declared: o.declared,
    acsOverride: o.acsOverride !== undefined ? parseAcsOverride(o.acsOverride) : undefined,
    concurrency,
    workers,
  };
}

async function withLiveHosts(opts: AnalyzeOptions, ctx: CliContext): Promise<AnalyzeOptions> {
  if (opts.corpus.length > 0) return opts;
  ctx.stderr.write('vfio-impact: no --corpus given: judging this machine (sysfs snapshot)\n');
  const { liveHosts } = await import('../live.js');
  return { ...opts, hosts: await liveHosts() };
}

function diagnosticPrinter(ctx: CliContext, verbose: boolean): (d: Diagnostic) => void {
  return (d) => {
    if (d.severity === 'info' && !verbose) return;
    ctx.stderr.write(sanitize(formatDiagnostic(d)) + '\n');
  };
}

/** A progress line on stderr, only when stderr is a terminal (CI logs stay clean). */
function progressPrinter(ctx: CliContext) {
  if (!ctx.stderr.isTTY) return undefined;
  const started = Date.now();
  let last = 0;
  return (p: { files: number; hosts: number; skipped: number; bytes: number }) => {
    const now = Date.now();
    if (now - last < 250) return;
    last = now;
    const secs = Math.max((now - started) / 1000, 0.001);
    ctx.stderr.write(`\r\x1b[Kreading corpus: ${p.files} files, ${p.hosts} hosts, ${p.skipped} skipped, ${(p.hosts / secs).toFixed(0)} hosts/s`);
  };
}

/** The report, written piece by piece as the renderer makes it (never whole in memory). */
async function emit(ctx: CliContext, content: Iterable<string>, out: string | undefined, inputs: string[]): Promise<void> {
  if (out === undefined) {
    await writeChunks(ctx.stdout, content);
    return;
  }
  const target = await checkOutPath(out, inputs);
  await writeAtomic(target, content);
}

async function render(format: Exclude<Format, 'tui'>, r: AnalyzeResult, scopes: Scope[]): Promise<Iterable<string>> {
  switch (format) {
    case 'json':
      return (await import('../../report/json.js')).jsonChunks(r.analysis, { declaredTable: r.declaredLabel, diagnostics: r.diagnostics });
    case 'csv':
      return (await import('../../report/csv.js')).csvChunks(r.analysis);
    case 'markdown':
      // Aggregated tables: small whatever the corpus size.
      return [(await import('../../report/markdown.js')).renderMarkdown(r.analysis, scopes)];
    case 'text':
      return (await import('../../report/text.js')).textChunks(r.analysis, scopes);
  }
}

const inputsOf = (o: CommonOpts) => [...(o.series ?? []), ...(o.corpus ?? []), ...(o.declared !== undefined ? [o.declared] : [])];

export const registerAnalyze: Registrar = (program, ctx, setExit) => {
  const analyze = addInputOptions(
    program
      .command('analyze')
      .description('judge every IOMMU group of every host under the old rule, the new rule, and the series patch by patch'),
  )
    .addOption(new Option('--format <format>', 'report format (default: tui on a terminal, else text)').choices(['tui', 'text', 'json', 'csv', 'markdown']))
    .option('--out <file>', 'write the report to FILE (atomically) instead of stdout');
  analyze.action(async (o: CommonOpts & { format?: Format; out?: string }) => {
    const options = toAnalyzeOptions(o);
    const format: Format = o.format ?? (ctx.stdout.isTTY && o.out === undefined ? 'tui' : 'text');
    if (format === 'tui' && o.out !== undefined) throw new CliError('--format tui cannot be written to --out');
    if (o.out !== undefined) await checkOutPath(o.out, inputsOf(o));
    const printDiag = diagnosticPrinter(ctx, o.verbose === true);
    const printProgress = progressPrinter(ctx);
    let tui: TuiHandle | null = null;
    // Quitting the terminal report while the corpus loads stops the run.
    const abort = new AbortController();
    const startTui = format === 'tui' ? (await import('../../report/tui/index.js')).startTui : null;
    const started = Date.now();
    const resolved = await withLiveHosts(options, ctx);
    let result: AnalyzeResult;
    try {
      result = await runAnalysis(resolved, {
        signal: abort.signal,
        onSeries: (series: Series) => {
          if (startTui) {
            tui = startTui({
              series,
              stdout: ctx.stdout as NodeJS.WriteStream,
              stdin: ctx.stdin as NodeJS.ReadStream,
              stderr: ctx.stderr as NodeJS.WriteStream,
            });
            void tui.waitUntilExit().then(() => abort.abort());
          }
        },
        onProgress: (p) => {
          if (tui) (tui as TuiHandle).setProgress({ ...p, elapsedMs: Date.now() - started });
          else printProgress?.(p);
        },
        // With the TUI on screen, diagnostics wait until it is closed.
        onDiagnostic: format === 'tui' ? undefined : printDiag,
      });
    } catch (err) {
      if (tui) {
        (tui as TuiHandle).fail(err instanceof Error ? err.message : String(err));
        await (tui as TuiHandle).waitUntilExit();
      }
      throw err;
    }
    if (ctx.stderr.isTTY && format !== 'tui') ctx.stderr.write('\r\x1b[K');
    if (abort.signal.aborted) {
      ctx.stderr.write('vfio-impact: quit before the corpus was read; no report\n');
      setExit(EXIT_ERROR);
      return;
    }
    if (format === 'tui') {
      const handle = tui as TuiHandle | null;
      if (handle) {
        handle.finish(loadAnalysis(result.analysis));
        await handle.waitUntilExit();
      }
      result.diagnostics.forEach(printDiag);
    } else {
      await emit(ctx, await render(format, result, options.scopes as Scope[]), o.out, inputsOf(o));
    }
    // The report is written either way; the exit code says whether it can be trusted.
    const seriesErrors = result.analysis.series.diagnostics.filter((d) => d.severity === 'error').length;
    if (result.analysis.summary.hostsRead === 0) {
      ctx.stderr.write('vfio-impact: no host could be read from the corpus\n');
      setExit(EXIT_ERROR);
    } else if (seriesErrors > 0) {
      ctx.stderr.write(`vfio-impact: ${seriesErrors} error(s) reading the series (listed above): the report may miss declarations\n`);
      setExit(EXIT_ERROR);
    } else {
      setExit(EXIT_OK);
    }
  });

  const gate = addInputOptions(
    program
      .command('gate')
      .description('CI gate: exit 0 when every regression is in the baseline, 1 when there are new ones, 2 when the tool cannot judge'),
  )
    .requiredOption('--baseline <file>', 'baseline CSV of known regressions')
    .option('--update-baseline', 'write the current regressions to --baseline and exit 0')
    .option('--junit <file>', 'also write a JUnit XML report')
    .option('--allow-empty', 'accept a series with no declaration change')
    .option('--allow-unresolved', 'accept declaration changes that cannot be tied to a driver (they are not applied)')
    .option('--max-skipped-share <share>', 'exit 2 when more than this share of corpus inputs was skipped', '0.1');
  gate.action(
    async (
      o: CommonOpts & {
        baseline: string;
        updateBaseline?: boolean;
        junit?: string;
        allowEmpty?: boolean;
        allowUnresolved?: boolean;
        maxSkippedShare: string;
      },
    ) => {
      const options = toAnalyzeOptions(o);
      const { compareWithBaseline, githubAnnotations, junitReport, parseBaseline, regressionEntries, renderBaseline } = await import(
        '../../report/gate.js'
      );
      const maxShare = Number(o.maxSkippedShare);
      if (!Number.isFinite(maxShare) || maxShare < 0 || maxShare > 1) {
        throw new CliError(`--max-skipped-share: expected a number from 0 to 1, got "${o.maxSkippedShare}"`);
      }
      // Fail closed: every named corpus path must exist.
      for (const p of options.corpus) {
        if (p === '-') continue;
        await stat(p).catch(() => {
          throw new CliError(`corpus path ${p} does not exist`);
        });
      }
      let baselineText: string | null = null;
      try {
        baselineText = await readFile(o.baseline, 'utf8');
      } catch (err) {
        if (!o.updateBaseline) {
          throw new CliError(`cannot read baseline ${o.baseline}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
        }
      }
      const baseline = baselineText === null ? [] : parseBaseline(baselineText, o.baseline);
      // Where the gate will write, checked before the run rather than after it.
      if (o.updateBaseline) await checkOutPath(o.baseline, inputsOf(o));
      if (o.junit !== undefined) await checkOutPath(o.junit, [...inputsOf(o), o.baseline]);
      const printDiag = diagnosticPrinter(ctx, o.verbose === true);
      const result = await runAnalysis(await withLiveHosts(options, ctx), { onDiagnostic: printDiag });
      const { summary, series } = result.analysis;

      const seriesErrors = series.diagnostics.filter((d) => d.severity === 'error');
      if (seriesErrors.length > 0) throw new CliError(`the series has ${seriesErrors.length} error(s) (listed above); cannot judge it`);
      const flagChanges = series.patches.reduce((n, p) => n + p.changes.length + p.ruleChanges.length, 0);
      if (flagChanges === 0 && !o.allowEmpty) {
        throw new CliError('the series changes no driver_managed_dma declaration (use --allow-empty to accept that)');
      }
      if (summary.unresolvedFlagChanges > 0 && !o.allowUnresolved) {
        throw new CliError(
          `${summary.unresolvedFlagChanges} declaration change(s) could not be tied to a driver; cannot judge (see "vfio-impact flags", or --allow-unresolved)`,
        );
      }
      if (summary.hostsRead === 0) throw new CliError('no host could be read from the corpus');
      const inputs = summary.hostsRead + summary.hostsSkipped;
      const share = inputs === 0 ? 0 : summary.hostsSkipped / inputs;
      if (share > maxShare) {
        throw new CliError(
          `${summary.hostsSkipped} of ${inputs} corpus inputs were skipped (${(share * 100).toFixed(1)}% > ${(maxShare * 100).toFixed(1)}%); cannot judge`,
        );
      }

      const current = regressionEntries(result.analysis);
      if (o.updateBaseline) {
        const target = await checkOutPath(o.baseline, inputsOf(o));
        await writeAtomic(target, renderBaseline(current));
        ctx.stdout.write(`baseline ${sanitize(o.baseline)} updated: ${current.length} regression(s)\n`);
        setExit(EXIT_OK);
        return;
      }
      const cmp = compareWithBaseline(current, baseline);
      const lines = [
        `gate: ${summary.hostsRead} host(s), ${current.length} regression(s): ${cmp.known.length} in the baseline, ${cmp.newRegressions.length} new, ${cmp.gone.length} baseline entr${cmp.gone.length === 1 ? 'y' : 'ies'} no longer regress`,
      ];
      for (const e of cmp.newRegressions) {
        lines.push(`NEW  ${sanitize(e.host)} group ${sanitize(e.group)} [${e.scope}] devices ${sanitize(e.devices)}: blocked by ${sanitize(e.blocking_driver)}: ${sanitize(e.note)}`);
      }
      for (const e of cmp.gone) lines.push(`GONE ${sanitize(e.host)} [${e.scope}] devices ${sanitize(e.devices)} (${sanitize(e.blocking_driver)})`);
      ctx.stdout.write(lines.join('\n') + '\n');
      if (ctx.env['GITHUB_ACTIONS'] === 'true' && cmp.newRegressions.length > 0) ctx.stdout.write(githubAnnotations(cmp) + '\n');
      if (o.junit !== undefined) {
        // The baseline is an input of the gate too: --junit must not overwrite it.
        const target = await checkOutPath(o.junit, [...inputsOf(o), o.baseline]);
        await writeAtomic(target, junitReport(cmp));
      }
      setExit(cmp.newRegressions.length > 0 ? EXIT_FINDINGS : EXIT_OK);
    },
  );
};
