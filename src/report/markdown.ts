// A summary fit to paste into a mailing-list reply or a pull-request comment: headline numbers,
// regressions grouped by blocking driver and platform, per-patch attribution.

import type { Analysis } from '../policy/analysis.js';
import type { Scope } from '../policy/model.js';
import { sanitize } from '../diagnostics/sanitize.js';

/** Table cells: sanitized, pipes and backticks escaped so input cannot break the table. */
function cell(x: string): string {
  return sanitize(x).replace(/\|/g, '\\|').replace(/`/g, "'").replace(/[<>]/g, (c) => (c === '<' ? '&lt;' : '&gt;'));
}

export function renderMarkdown(a: Analysis, scopes: readonly Scope[]): string {
  const m = a.summary;
  const out: string[] = [];
  out.push(`### vfio-impact: ${cell(a.series.title)}`, '');
  out.push(
    `${m.hostsRead} hosts read (${m.hostsSkipped} inputs skipped); groups from the dump on ${m.hostsWithDumpGroups}, ` +
      `derived on ${m.hostsWithDerivedGroups} (${m.hostsLowConfidence} low confidence), unknown on ${m.hostsGroupsUnknown}.`,
    '',
  );
  out.push(`| | ${scopes.join(' | ')} |`, `|---|${scopes.map(() => '---:').join('|')}|`);
  const line = (label: string, v: Record<Scope, number>) => out.push(`| ${label} | ${scopes.map((sc) => v[sc]).join(' | ')} |`);
  line('groups judged', m.groupsJudged);
  line('**regressed** (old rule → with the series)', m.regressions);
  line('fixed (old rule → with the series)', m.fixes);
  line('undetermined', m.undetermined);
  line('regressed without the series', m.withoutSeries.regressions);
  line('fixed without the series', m.withoutSeries.fixes);
  out.push('');
  // What the figures cannot account for: say it where the reader looks.
  const seriesErrors = a.series.diagnostics.filter((d) => d.severity === 'error').length;
  if (seriesErrors > 0) out.push(`> **Warning:** ${seriesErrors} error(s) reading the series; declarations may be missing.`, '');
  if (m.unresolvedFlagChanges > 0) {
    out.push(`> **Warning:** ${m.unresolvedFlagChanges} declaration change(s) could not be tied to a driver and were not applied.`, '');
  }
  if (m.ruleChangesNotApplied > 0) {
    out.push(`> Note: ${m.ruleChangesNotApplied} change(s) to the old rule itself are reported by \`vfio-impact flags\` but not applied.`, '');
  }

  // Regressions grouped by blocking driver and platform.
  const groups = new Map<string, { driver: string; platform: string; patch: string; count: number; hosts: Set<string> }>();
  for (const h of a.hosts) {
    for (const c of h.changes) {
      if (c.change !== 'regressed') continue;
      const drivers = [...new Set(c.group.blocking.map((b) => b.driver ?? 'unknown'))].join(', ');
      const patch = c.group.patch === null ? 'the rule itself' : `#${c.group.patch}`;
      const key = `${drivers}\u0000${h.platform}\u0000${patch}`;
      const g = groups.get(key) ?? { driver: drivers, platform: h.platform, patch, count: 0, hosts: new Set<string>() };
      g.count++;
      // Say where the groups come from (issue 4: a marker in every output).
      g.hosts.add(h.groupSource === 'dump' ? h.host : `${h.host} (${h.groupSource} groups${h.groupConfidence === 'low' ? ', low confidence' : ''})`);
      groups.set(key, g);
    }
  }
  if (groups.size > 0) {
    out.push('**Regressions by blocking driver and platform**', '');
    out.push('| blocking driver | platform | caused by | groups | hosts |', '|---|---|---|---:|---|');
    for (const g of [...groups.values()].sort((x, y) => y.count - x.count || x.driver.localeCompare(y.driver))) {
      out.push(`| ${cell(g.driver)} | ${cell(g.platform)} | ${g.patch} | ${g.count} | ${[...g.hosts].map(cell).join(', ')} |`);
    }
    out.push('');
  } else {
    out.push('No regressions.', '');
  }
  if (m.perPatch.length > 0) {
    out.push('**Per patch** (new rule, before → after the patch)', '');
    out.push(`| patch | ${scopes.map((sc) => `${sc} regressed | ${sc} fixed`).join(' | ')} |`);
    out.push(`|---|${scopes.map(() => '---:|---:').join('|')}|`);
    for (const p of m.perPatch) {
      out.push(`| #${p.index} ${cell(p.subject)} | ${scopes.map((sc) => `${p.regressions[sc]} | ${p.fixes[sc]}`).join(' | ')} |`);
    }
    out.push('');
  }
  out.push(
    'Remedy for a regressed group, per commit 70693f470848: unbind the bridge driver or bind the bridge to pci-stub; ' +
      'a driver that does no DMA and exposes no P2P-reachable MMIO may set `.driver_managed_dma = true`.',
  );
  return out.join('\n') + '\n';
}
