// Plain-text report: what a pipe or CI log gets. No escape sequences; every input-derived string
// passes through sanitize() here, whatever the model already did.

import type { Analysis, HostImpact, PerScope } from '../policy/analysis.js';
import type { Scope } from '../policy/model.js';
import type { Series } from '../series/model.js';
import { sanitize } from '../diagnostics/sanitize.js';

const s = (x: string | null | undefined): string => sanitize(x ?? '');

export function seriesLines(series: Series): string[] {
  const lines: string[] = [];
  const patches = series.patches.filter((p) => !p.cover);
  const changes = patches.reduce((n, p) => n + p.changes.length, 0);
  lines.push(`Series: ${s(series.title)}`);
  lines.push(`  ${patches.length} patch(es), ${changes} declaration change(s)`);
  for (const p of series.patches) {
    const num = p.number !== null && p.total !== null ? `[${p.number}/${p.total}] ` : '';
    lines.push(`  ${p.cover ? 'cover' : `#${p.index}`} ${num}${s(p.subject)}`);
    for (const c of p.changes) {
      const sign = c.action === 'added' ? '+' : '-';
      lines.push(
        `      ${sign} ${s(c.driver ?? 'UNRESOLVED')}: .${c.flag} = ${c.value} (${s(c.file)}, ${s(c.struct ?? '?')}; name by ${c.resolvedBy})`,
      );
    }
    for (const r of p.ruleChanges) {
      lines.push(`      rule: ${r.kind}${r.driver ? ` "${s(r.driver)}"` : ''} (${s(r.file)})`);
    }
  }
  return lines;
}

function row(label: string, v: PerScope, scopes: readonly Scope[]): string {
  return `  ${label.padEnd(34)}${scopes.map((sc) => String(v[sc]).padStart(10)).join('')}`;
}

export function summaryLines(a: Analysis, scopes: readonly Scope[]): string[] {
  const m = a.summary;
  const lines: string[] = [];
  lines.push(
    `Corpus: ${m.hostsRead} host(s) read, ${m.hostsSkipped} input(s) skipped` +
      (m.hostsSkipped > 0
        ? ` (${Object.entries(m.skippedReasons)
            .map(([r, n]) => `${n} ${s(r)}`)
            .join(', ')})`
        : ''),
  );
  lines.push(
    `Groups: ${m.hostsWithDumpGroups} host(s) with groups from the dump, ${m.hostsWithDerivedGroups} derived` +
      ` (${m.hostsLowConfidence} low confidence), ${m.hostsGroupsUnknown} groups unknown`,
  );
  lines.push(`  ${''.padEnd(34)}${scopes.map((sc) => sc.padStart(10)).join('')}`);
  lines.push(row('groups judged', m.groupsJudged, scopes));
  lines.push(row('regressed (old rule -> series)', m.regressions, scopes));
  lines.push(row('fixed (old rule -> series)', m.fixes, scopes));
  lines.push(row('undetermined', m.undetermined, scopes));
  lines.push(row('groups with a binding not shown', m.groupsUndecided, scopes));
  lines.push(row('regressed without the series', m.withoutSeries.regressions, scopes));
  lines.push(row('fixed without the series', m.withoutSeries.fixes, scopes));
  if (m.perPatch.length > 0) {
    lines.push('Per patch (new rule, before -> after the patch):');
    for (const p of m.perPatch) {
      const r = scopes.map((sc) => `${sc} -${p.regressions[sc]}/+${p.fixes[sc]}/?${p.undetermined[sc]}`).join('  ');
      lines.push(`  #${p.index} ${s(p.subject)}: ${r}  (-regressed/+fixed/?to or from unknown)`);
    }
  }
  if (m.ruleChangesNotApplied > 0) {
    lines.push(
      `NOTE: ${m.ruleChangesNotApplied} change(s) to the old rule itself (allow-list removals, header-type exemption) are reported above but not applied: the old rule is the kernel before the series`,
    );
  }
  if (m.unresolvedFlagChanges > 0) {
    lines.push(`WARNING: ${m.unresolvedFlagChanges} declaration change(s) could not be tied to a driver and were not applied`);
  }
  return lines;
}

/**
 * The report in pieces: the series and summary, then one piece per affected host, read from the
 * store one at a time, so a corpus with many affected hosts never has its whole report in memory.
 */
export function* textChunks(a: Analysis, scopes: readonly Scope[]): Generator<string> {
  const head: string[] = [...seriesLines(a.series), '', ...summaryLines(a, scopes), ''];
  if (a.hosts.length === 0) {
    head.push('No group changes its verdict.');
    yield head.join('\n') + '\n';
    return;
  }
  head.push(`Affected hosts (${a.hosts.length}), most regressions first:`);
  yield head.join('\n') + '\n';
  for (const h of a.hosts) yield hostLines(h).join('\n') + '\n';
}

export function renderText(a: Analysis, scopes: readonly Scope[]): string {
  return [...textChunks(a, scopes)].join('');
}

function hostLines(h: HostImpact): string[] {
  const lines: string[] = [];
  const conf = h.groupSource === 'derived' ? ` derived groups${h.groupConfidence === 'low' ? ', LOW CONFIDENCE' : ''}` : ` ${h.groupSource} groups`;
  lines.push(`  ${s(h.host)} (${s(h.platform)};${conf}): ${h.regressions} regressed, ${h.fixes} fixed, ${h.undetermined} undetermined`);
  if (h.groupConfidence === 'low' && h.groupReason) lines.push(`    groups: ${s(h.groupReason)}`);
  for (const c of h.changes) {
    const g = c.group;
    const patch = g.patch === null ? 'the new rule itself' : `patch #${g.patch}`;
    lines.push(`    group ${s(g.group)} [${g.scope}] ${c.change}: old ${g.old} -> new ${g.final} (${patch}); devices ${g.devices.map(s).join(' ')}`);
    for (const b of g.blocking) {
      if (b.driver === null && g.undecided.includes(b.bdf)) continue;
      lines.push(`      ${s(b.bdf)} ${s(b.driver ?? 'no driver')}: before: ${s(b.before)}; now: ${s(b.now)}`);
    }
    if (g.undecided.length > 0) {
      lines.push(`      undecided (binding not shown by the input): ${g.undecided.map(s).join(' ')}`);
    }
    if (g.remedy) lines.push(`      remedy: ${s(g.remedy)}`);
  }
  return lines;
}
