// The headline numbers: corpus read, groups judged, and per scope the groups that regress or get
// fixed going from the OLD rule (spec §1.1) to the NEW rule (spec §2.2) with the series, without
// the series, and patch by patch.

import { Box, Text } from 'ink';
import type { LoadedAnalysis as Analysis, PatchTally, PerScope } from '../../policy/analysis.js';
import type { Scope } from '../../policy/model.js';
import { SCOPES } from '../../policy/model.js';
import { show } from './show.js';

/** Scopes the run judged: a scope left out with --scope has no judged group. */
export function judgedScopes(a: Analysis): Scope[] {
  const some = SCOPES.filter((sc) => a.summary.groupsJudged[sc] > 0);
  return some.length > 0 ? some : [...SCOPES];
}

const LABEL = 36;
const COL = 12;

function Row({ label, cells, color }: { label: string; cells: string[]; color?: string }) {
  return (
    <Text wrap="truncate" color={color}>
      {'  '}
      {label.padEnd(LABEL)}
      {cells.map((c) => c.padStart(COL)).join('')}
    </Text>
  );
}

const per = (v: PerScope, scopes: Scope[]) => scopes.map((sc) => String(v[sc]));

function patchLine(p: PatchTally, scopes: Scope[]): string {
  const parts = scopes.map((sc) => `${sc} -${p.regressions[sc]} +${p.fixes[sc]}${p.undetermined[sc] > 0 ? ` ?${p.undetermined[sc]}` : ''}`);
  return `#${p.index} ${parts.join('  ')}  ${show(p.subject)}`;
}

export interface SummaryViewProps {
  analysis: Analysis;
  /** Rows for the per-patch lines; patches that change no verdict are left out first. */
  maxPatchRows: number;
}

export function SummaryView({ analysis, maxPatchRows }: SummaryViewProps) {
  const m = analysis.summary;
  const scopes = judgedScopes(analysis);
  const skipped = Object.entries(m.skippedReasons)
    .map(([reason, n]) => `${n} ${show(reason)}`)
    .join(', ');
  const moving = m.perPatch.filter((p) => scopes.some((sc) => p.regressions[sc] + p.fixes[sc] + p.undetermined[sc] > 0));
  const room = Math.max(maxPatchRows, 1);
  const patches = moving.slice(0, room);
  const quiet = m.perPatch.length - moving.length;
  const regressed = scopes.reduce((n, sc) => n + m.regressions[sc], 0);
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        <Text bold>Corpus: </Text>
        {m.hostsRead} host(s) read, {m.hostsSkipped} skipped{skipped ? ` (${skipped})` : ''}; groups: {m.hostsWithDumpGroups}{' '}
        from the dump, {m.hostsWithDerivedGroups} derived ({m.hostsLowConfidence} low confidence), {m.hostsGroupsUnknown} unknown
      </Text>
      <Row label="" cells={scopes} />
      <Row label="groups judged" cells={per(m.groupsJudged, scopes)} />
      <Row
        label="regressed (old rule -> series)"
        cells={per(m.regressions, scopes)}
        color={regressed > 0 ? 'red' : 'green'}
      />
      <Row label="fixed (old rule -> series)" cells={per(m.fixes, scopes)} />
      <Row label="undetermined" cells={per(m.undetermined, scopes)} />
      <Row
        label="without the series: regressed/fixed"
        cells={scopes.map((sc) => `${m.withoutSeries.regressions[sc]}/${m.withoutSeries.fixes[sc]}`)}
      />
      {m.perPatch.length > 0 ? (
        <Text wrap="truncate">
          <Text bold>Per patch</Text> (new rule before -&gt; after; -regressed +fixed ?unknown):
          {moving.length === 0 ? ' no patch changes a verdict' : ''}
        </Text>
      ) : null}
      {patches.map((p) => (
        <Text key={p.index} wrap="truncate">
          {'  '}
          {patchLine(p, scopes)}
        </Text>
      ))}
      {moving.length > patches.length || (quiet > 0 && moving.length > 0) ? (
        <Text dimColor wrap="truncate">
          {'  '}
          {moving.length > patches.length ? `${moving.length - patches.length} more patch(es) change verdicts; ` : ''}
          {quiet > 0 ? `${quiet} patch(es) change none` : ''}
        </Text>
      ) : null}
      {m.unresolvedFlagChanges > 0 ? (
        <Text color="yellow" wrap="truncate">
          WARNING: {m.unresolvedFlagChanges} declaration change(s) could not be tied to a driver and were not applied
        </Text>
      ) : null}
    </Box>
  );
}

/** Rows SummaryView draws for a given per-patch budget: the app sizes the host list with it. */
export function summaryHeight(analysis: Analysis, maxPatchRows: number): number {
  const m = analysis.summary;
  const scopes = judgedScopes(analysis);
  const moving = m.perPatch.filter((p) => scopes.some((sc) => p.regressions[sc] + p.fixes[sc] + p.undetermined[sc] > 0));
  const quiet = m.perPatch.length - moving.length;
  const room = Math.max(maxPatchRows, 1);
  const patches = Math.min(moving.length, room);
  let rows = 7;
  if (m.perPatch.length > 0) rows += 1 + patches + (moving.length > patches || (quiet > 0 && moving.length > 0) ? 1 : 0);
  if (m.unresolvedFlagChanges > 0) rows += 1;
  return rows;
}
