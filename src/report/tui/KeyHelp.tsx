// Keyboard help: one line always on screen, the full list and a legend when `?` is pressed.

import { Box, Text } from 'ink';

export type Screen = 'loading' | 'list' | 'detail' | 'failed';

const LINE: Record<Screen, string> = {
  loading: 'q quit',
  failed: 'q quit',
  list: 'up/down j/k move  Enter open  s scope  d driver  v vendor  ? help  q quit',
  detail: 'up/down j/k scroll  Esc/Backspace back  ? help  q quit',
};

export function KeyHelp({ screen }: { screen: Screen }) {
  return (
    <Text dimColor wrap="truncate">
      Keys: {LINE[screen]}
    </Text>
  );
}

const KEYS: Array<[string, string]> = [
  ['up/down, j/k', 'move through the hosts; scroll the drill-down'],
  ['PgUp/PgDn', 'move by a page'],
  ['Enter', 'open the drill-down for the selected host'],
  ['Esc, Backspace', 'back to the host list'],
  ['s', 'scope filter: all, actual (passed through now), potential'],
  ['d', 'blocking-driver filter: each driver that decides a change'],
  ['v', 'vendor filter: each platform vendor'],
  ['?', 'show or hide this help'],
  ['q, Ctrl-C', 'quit (exit code as with --format text)'],
];

const LEGEND: string[] = [
  'old  OLD rule (before 5.19): a bridge (header type 1 or 2) passes with any',
  '     driver; other devices need no driver, a vfio driver or pci-stub.',
  'w/o  NEW rule (5.19+), declarations as before the series.',
  'new  NEW rule with the series: a device passes when it has no driver or its',
  '     driver declares driver_managed_dma.',
  'decl whether that driver declares driver_managed_dma after the series.',
  '*    the device that decides the change (blocks, unblocks, or is undecided).',
  'reg/fix/und  groups regressed, fixed, undetermined (old rule -> series).',
];

export function FullHelp() {
  return (
    <Box flexDirection="column">
      <Text bold>Keyboard</Text>
      {KEYS.map(([k, what]) => (
        <Text key={k} wrap="truncate">
          {'  '}
          {k.padEnd(16)}
          {what}
        </Text>
      ))}
      <Text bold>Legend</Text>
      {LEGEND.map((l) => (
        <Text key={l} wrap="truncate">
          {'  '}
          {l}
        </Text>
      ))}
    </Box>
  );
}
