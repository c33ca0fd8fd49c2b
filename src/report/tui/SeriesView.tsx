// The series as read: each patch and the declaration changes found in it (spec §2.5 spellings),
// shown while the corpus loads so a wrong parse is visible before any verdict.

import { Box, Text } from 'ink';
import type { Series } from '../../series/model.js';
import { show } from './show.js';

export interface SeriesViewProps {
  series: Series;
  /** Rows the view may use (title included); patches past that are counted, not drawn. */
  maxRows: number;
}

interface Row {
  key: string;
  text: string;
  color?: string;
  dim?: boolean;
}

export function seriesRows(series: Series): Row[] {
  const rows: Row[] = [];
  for (const p of series.patches) {
    const num = p.number !== null && p.total !== null ? `[${p.number}/${p.total}] ` : '';
    rows.push({ key: `p${p.index}`, text: `${p.cover ? 'cover' : `#${p.index}`} ${num}${show(p.subject)}`, dim: p.cover });
    p.changes.forEach((c, i) => {
      const sign = c.action === 'added' ? '+' : '-';
      rows.push({
        key: `p${p.index}c${i}`,
        text: `    ${sign} ${show(c.driver, 'UNRESOLVED')}: .${c.flag} = ${c.value}  (${show(c.file)}${c.struct ? `, ${show(c.struct)}` : ''})`,
        color: c.driver === null ? 'yellow' : c.action === 'added' ? 'green' : 'red',
      });
    });
    p.ruleChanges.forEach((r, i) => {
      rows.push({
        key: `p${p.index}r${i}`,
        text: `    rule: ${r.kind}${r.driver ? ` "${show(r.driver)}"` : ''}  (${show(r.file)})`,
        color: 'magenta',
      });
    });
  }
  return rows;
}

export function SeriesView({ series, maxRows }: SeriesViewProps) {
  const patches = series.patches.filter((p) => !p.cover);
  const changes = patches.reduce((n, p) => n + p.changes.length, 0);
  const errors = series.diagnostics.filter((d) => d.severity === 'error').length;
  const rows = seriesRows(series);
  const room = Math.max(maxRows - 2, 1);
  const shown = rows.length > room ? rows.slice(0, room - 1) : rows;
  const hidden = rows.length - shown.length;
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        Series: {show(series.title)}
      </Text>
      <Text wrap="truncate">
        {'  '}
        {patches.length} patch(es), {changes} declaration change(s)
        {errors > 0 ? <Text color="red">, {errors} error(s) reading it</Text> : null}
      </Text>
      {shown.map((r) => (
        <Text key={r.key} wrap="truncate" color={r.color} dimColor={r.dim}>
          {'  '}
          {r.text}
        </Text>
      ))}
      {hidden > 0 ? (
        <Text dimColor wrap="truncate">
          {'  '}... {hidden} more line(s)
        </Text>
      ) : null}
    </Box>
  );
}
