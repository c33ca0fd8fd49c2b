// Drill-down for one host: every changed group with its devices (address, class, driver, header
// type, declared or not), the device that decides the change and why (old rule spec §1.1 vs new
// rule spec §2.2), the patch that caused it, and the remedy. Scrolls line by line.

import type { ReactNode } from 'react';
import { Box, Text } from 'ink';
import type { GroupChange, HostImpact } from '../../policy/analysis.js';
import type { DeviceOutcome, JudgedDevice } from '../../policy/model.js';
import type { Series } from '../../series/model.js';
import { cell } from './HostList.js';
import { clampIndex, wrapText } from './layout.js';
import { show } from './show.js';

interface Line {
  key: string;
  node: ReactNode;
}

const HEADER: Record<string, string> = { normal: 'normal', bridge: 'bridge', cardbus: 'cardbus' };

function outcome(o: DeviceOutcome): string {
  return o.pass === null ? '?' : o.pass ? 'pass' : 'BLOCK';
}

function declared(d: JudgedDevice): string {
  return d.declared === null ? '-' : d.declared ? 'yes' : 'no';
}

/** Column widths: the class column grows on wide terminals (class names run to 30 columns). */
function widths(columns: number) {
  const w = { bdf: 14, cls: columns >= 120 ? 22 : 16, drv: 15, hdr: 8, dcl: 5, out: 6 };
  return { ...w, fixed: 2 + w.bdf + w.cls + w.drv + w.hdr + w.dcl + 3 * w.out };
}

function patchText(change: GroupChange, series: Series): string {
  const g = change.group;
  if (g.patch === null) return 'the new rule itself (no patch of the series changes this verdict)';
  const p = series.patches.find((x) => x.index === g.patch);
  return `patch #${g.patch}${p ? `: ${show(p.subject)}` : ''}`;
}

const VERB: Record<string, string> = { regressed: 'blocked by', fixed: 'unblocked by', undetermined: 'undecided' };

export function detailLines(host: HostImpact, series: Series, columns: number): Line[] {
  const lines: Line[] = [];
  const W = widths(columns);
  const inline = columns - W.fixed >= 24;
  const wrapW = columns - 4;
  const wrapped = (key: string, prefix: string, text: string, color?: string) => {
    wrapText(`${prefix}${text}`, wrapW).forEach((t, i) =>
      lines.push({
        key: `${key}.${i}`,
        node: (
          <Text wrap="truncate" color={color}>
            {i === 0 ? '  ' : '      '}
            {t}
          </Text>
        ),
      }),
    );
  };
  host.changes.forEach((c, ci) => {
    const g = c.group;
    const k = `c${ci}`;
    lines.push({
      key: `${k}h`,
      node: (
        <Text wrap="truncate" bold>
          <Text color={c.change === 'regressed' ? 'red' : c.change === 'fixed' ? 'green' : 'yellow'}>
            {c.change.toUpperCase()}
          </Text>{' '}
          group {show(g.group)} [{g.scope}]: old rule {g.old}, new rule {g.base} without the series, {g.final} with it
        </Text>
      ),
    });
    lines.push({
      key: `${k}cols`,
      node: (
        <Text wrap="truncate" dimColor>
          {'  '}
          {cell('address', W.bdf)}
          {cell('class', W.cls)}
          {cell('driver', W.drv)}
          {cell('header', W.hdr)}
          {cell('decl', W.dcl)}
          {cell('old', W.out)}
          {cell('w/o', W.out)}
          {cell('new', W.out)}
          {inline ? 'device' : ''}
        </Text>
      ),
    });
    g.judged.forEach((d, di) => {
      const decides = g.blocking.some((b) => b.bdf === d.bdf);
      // Potential scope judges endpoints as if rebound to vfio-pci: say so rather than show a binding the dump lacks.
      const rebound = g.scope === 'potential' && d.driverKnown && d.driver !== d.dumpDriver;
      const driver = !d.driverKnown ? '(unknown)' : rebound ? `as ${show(d.driver)}` : show(d.driver, '(none)');
      lines.push({
        key: `${k}d${di}`,
        node: (
          <Text wrap="truncate" color={decides ? (c.change === 'fixed' ? 'green' : 'red') : undefined}>
            {decides ? '* ' : '  '}
            {cell(show(d.bdf), W.bdf)}
            {cell(show(d.className ?? d.classCode, '?'), W.cls)}
            {cell(driver, W.drv)}
            {cell(d.headerType ? (HEADER[d.headerType] ?? '?') : '?', W.hdr)}
            {cell(declared(d), W.dcl)}
            {cell(outcome(d.old), W.out)}
            {cell(outcome(d.base), W.out)}
            {cell(outcome(d.final), W.out)}
            {inline ? show(d.description) : ''}
          </Text>
        ),
      });
      if (!inline) {
        lines.push({
          key: `${k}d${di}n`,
          node: (
            <Text wrap="truncate" dimColor>
              {'    '}
              {show(d.description)}
            </Text>
          ),
        });
      }
    });
    g.blocking.forEach((b, bi) => {
      wrapped(
        `${k}b${bi}`,
        `${VERB[c.change] ?? 'decided by'} ${show(b.bdf)} (${show(b.driver, 'driver unknown')}): `,
        `before: ${show(b.before)}; now: ${show(b.now)}`,
        c.change === 'fixed' ? 'green' : c.change === 'regressed' ? 'red' : 'yellow',
      );
    });
    wrapped(`${k}p`, 'caused by ', patchText(c, series));
    if (g.remedy) wrapped(`${k}r`, 'remedy: ', show(g.remedy), 'cyan');
    lines.push({ key: `${k}sp`, node: <Text> </Text> });
  });
  return lines;
}

export interface HostDetailProps {
  host: HostImpact;
  series: Series;
  /** First line shown (the app moves it with up/down). */
  scroll: number;
  /** Rows for the whole view. */
  height: number;
  columns: number;
}

/** Rows of the fixed header above the scrolled lines. */
export const DETAIL_HEADER_ROWS = 4;

export function HostDetail({ host, series, scroll, height, columns }: HostDetailProps) {
  const lines = detailLines(host, series, columns);
  const room = Math.max(height - DETAIL_HEADER_ROWS, 1);
  const first = clampIndex(scroll, Math.max(lines.length - room + 1, 1));
  const shown = lines.slice(first, first + room);
  const confidence = host.groupSource === 'derived' ? `derived groups, ${host.groupConfidence} confidence` : `${host.groupSource} groups`;
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        Host {show(host.host)} <Text color="gray">({show(host.platform)})</Text>
      </Text>
      <Text wrap="truncate">
        {'  '}file {show(host.file)}
      </Text>
      <Text wrap="truncate">
        {'  '}
        {confidence}
        {host.groupReason ? `: ${show(host.groupReason)}` : ''}
      </Text>
      <Text wrap="truncate">
        {'  '}
        {host.regressions} regressed, {host.fixes} fixed, {host.undetermined} undetermined
        <Text dimColor>
          {'  '}lines {lines.length === 0 ? 0 : first + 1}-{first + shown.length} of {lines.length}
        </Text>
      </Text>
      {shown.map((l) => (
        <Box key={l.key}>{l.node}</Box>
      ))}
    </Box>
  );
}

/** Lines the detail of `host` has, for clamping the scroll position. */
export function detailLineCount(host: HostImpact, series: Series, columns: number): number {
  return detailLines(host, series, columns).length;
}
