// JSON report: `summary` and `changes` (one per changed host/group/scope, with every blocking
// device). Each change carries the CSV record's fields verbatim, so CSV and JSON agree.

import { allChanges, type Analysis } from '../policy/analysis.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { Series } from '../series/model.js';
import { changeRecord } from './records.js';
import { terminalSafeJson } from '../diagnostics/sanitize.js';

export function subjectsOf(series: Series): Map<number, string> {
  return new Map(series.patches.filter((p) => !p.cover).map((p) => [p.index, p.subject]));
}

export function analysisJson(a: Analysis, extra: { declaredTable: string; diagnostics: Diagnostic[] }): unknown {
  const subjects = subjectsOf(a.series);
  return {
    series: {
      title: a.series.title,
      patches: a.series.patches.map((p) => ({
        index: p.index,
        subject: p.subject,
        cover: p.cover,
        source: p.source,
        commit: p.commit,
        changes: p.changes,
        ruleChanges: p.ruleChanges,
      })),
    },
    declaredTable: extra.declaredTable,
    summary: a.summary,
    changes: allChanges(a).map((c) => ({
      ...changeRecord(c, subjects),
      blocking: c.group.blocking,
      devicesJudged: c.group.judged,
      verdicts: { old: c.group.old, withoutSeries: c.group.base, afterPatch: c.group.afterPatch, final: c.group.final },
    })),
    diagnostics: extra.diagnostics,
  };
}

export function renderJson(a: Analysis, extra: { declaredTable: string; diagnostics: Diagnostic[] }): string {
  return terminalSafeJson(JSON.stringify(analysisJson(a, extra), null, 2)) + '\n';
}
