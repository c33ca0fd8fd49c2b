// JSON report: `summary` and `changes` (one per changed host/group/scope, with every blocking
// device). Each change carries the CSV record's fields verbatim, so CSV and JSON agree.

import { allChanges, type Analysis, type GroupChange } from '../policy/analysis.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { Series } from '../series/model.js';
import { changeRecord } from './records.js';
import { terminalSafeJson } from '../diagnostics/sanitize.js';

export function subjectsOf(series: Series): Map<number, string> {
  return new Map(series.patches.filter((p) => !p.cover).map((p) => [p.index, p.subject]));
}

function seriesJson(series: Series): unknown {
  return {
    title: series.title,
    patches: series.patches.map((p) => ({
      index: p.index,
      subject: p.subject,
      cover: p.cover,
      source: p.source,
      commit: p.commit,
      changes: p.changes,
      ruleChanges: p.ruleChanges,
    })),
  };
}

function changeJson(c: GroupChange, subjects: Map<number, string>): unknown {
  return {
    ...changeRecord(c, subjects),
    blocking: c.group.blocking,
    devicesJudged: c.group.judged,
    verdicts: { old: c.group.old, withoutSeries: c.group.base, afterPatch: c.group.afterPatch, final: c.group.final },
  };
}

/** The whole report as one value (what `renderJson` prints). */
export function analysisJson(a: Analysis, extra: { declaredTable: string; diagnostics: Diagnostic[] }): unknown {
  const subjects = subjectsOf(a.series);
  return {
    series: seriesJson(a.series),
    declaredTable: extra.declaredTable,
    summary: a.summary,
    changes: allChanges(a).map((c) => changeJson(c, subjects)),
    diagnostics: extra.diagnostics,
  };
}

/** Pieces of about this many characters: few writes, and no more than one in memory. */
const CHUNK = 64 * 1024;

/**
 * `JSON.stringify(analysisJson(a, extra), null, 2)` + newline, byte for byte, in pieces: the
 * changes are read from the store and written one at a time instead of held as one string
 * (15 MB at 20,000 hosts; a 239,000-report corpus would near V8's limit on a string's length).
 * JSON strings never hold a raw newline, so re-indenting a nested value is a plain replace.
 */
export function* jsonChunks(a: Analysis, extra: { declaredTable: string; diagnostics: Diagnostic[] }): Generator<string> {
  const subjects = subjectsOf(a.series);
  const head = JSON.stringify({ series: seriesJson(a.series), declaredTable: extra.declaredTable, summary: a.summary }, null, 2);
  // `head` ends with "\n}": the object goes on with its other keys.
  let piece = `${head.slice(0, -2)},\n  "changes": [`;
  let first = true;
  for (const h of a.hosts) {
    for (const c of h.changes) {
      piece += `${first ? '' : ','}\n    ${JSON.stringify(changeJson(c, subjects), null, 2).replace(/\n/g, '\n    ')}`;
      first = false;
      if (piece.length >= CHUNK) {
        yield terminalSafeJson(piece);
        piece = '';
      }
    }
  }
  piece += first ? ']' : '\n  ]';
  // Warnings and errors, one per bad input at most: written one at a time too.
  piece += ',\n  "diagnostics": [';
  first = true;
  for (const d of extra.diagnostics) {
    piece += `${first ? '' : ','}\n    ${JSON.stringify(d, null, 2).replace(/\n/g, '\n    ')}`;
    first = false;
    if (piece.length >= CHUNK) {
      yield terminalSafeJson(piece);
      piece = '';
    }
  }
  piece += `${first ? ']' : '\n  ]'}\n}\n`;
  yield terminalSafeJson(piece);
}

export function renderJson(a: Analysis, extra: { declaredTable: string; diagnostics: Diagnostic[] }): string {
  return [...jsonChunks(a, extra)].join('');
}
