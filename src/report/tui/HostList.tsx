// Affected hosts, most regressions first (the order the policy stage sorts by), scrolled so the
// selected host stays in view. Enter on a row opens HostDetail.

import { Box, Text } from 'ink';
import type { HostImpact } from '../../policy/analysis.js';
import { blockingDrivers } from './hostFilters.js';
import { visibleWindow } from './layout.js';
import { show } from './show.js';

/** Pad or cut to exactly `width` columns, the last one a gap (`~` marks a cut). */
export function cell(text: string, width: number): string {
  if (width <= 1) return ' '.repeat(Math.max(width, 0));
  if (text.length < width) return text.padEnd(width);
  return text.slice(0, width - 2) + '~ ';
}

export interface HostListProps {
  hosts: HostImpact[];
  selected: number;
  /** Rows for host lines (the header line is extra). */
  height: number;
  columns: number;
  /** Affected hosts before filtering, for the "n of m" count. */
  total: number;
}

export function HostList({ hosts, selected, height, columns, total }: HostListProps) {
  const { start, end } = visibleWindow(hosts.length, selected, height);
  const drivers = columns >= 100 ? 22 : 17;
  const counts = 14;
  const platform = columns >= 112 ? 28 : 0;
  const host = Math.max(columns - 2 - counts - drivers - platform, 12);
  const range = hosts.length === 0 ? '' : ` ${start + 1}-${end} of ${hosts.length}`;
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        {cell(`Affected hosts${range}${hosts.length !== total ? ` (filtered from ${total})` : ''}`, 2 + host)}
        {' reg fix und  '}
        {cell('blocked by', drivers)}
        {platform > 0 ? cell('platform', platform) : ''}
      </Text>
      {hosts.length === 0 ? (
        <Text dimColor wrap="truncate">
          {total === 0 ? '  No group changes its verdict.' : '  No host matches the filters.'}
        </Text>
      ) : null}
      {hosts.slice(start, end).map((h, i) => {
        const index = start + i;
        const isSelected = index === selected;
        const blockers = [...new Set(h.changes.flatMap((c) => (c.change === 'fixed' ? [] : blockingDrivers(c))))];
        return (
          <Text key={`${h.file}#${h.host}`} wrap="truncate" inverse={isSelected} color={h.regressions > 0 ? undefined : 'gray'}>
            {isSelected ? '> ' : '  '}
            {cell(show(h.host), host)}
            {String(h.regressions).padStart(4)}
            {String(h.fixes).padStart(4)}
            {String(h.undetermined).padStart(4)}
            {'  '}
            {cell(blockers.map((d) => show(d)).join(',') || '-', drivers)}
            {platform > 0 ? cell(show(h.platform), platform) : ''}
          </Text>
        );
      })}
    </Box>
  );
}
