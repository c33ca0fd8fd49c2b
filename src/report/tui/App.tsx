// The whole terminal report: the series and live progress while the corpus loads, then the
// summary, the filtered host list and the drill-down. Sized from the terminal's rows so a frame
// never scrolls the screen (ink redraws everything, flickering, when it does).

import { useMemo, useReducer } from 'react';
import { Box, Text, useApp, useInput, useStdin } from 'ink';
import type { LoadedAnalysis as Analysis } from '../../policy/analysis.js';
import type { Series } from '../../series/model.js';
import { Filters } from './Filters.js';
import {
  NO_FILTERS,
  applyFilters,
  cycleChoice,
  driverChoices,
  nextScope,
  vendorChoices,
  type Filters as FilterState,
} from './hostFilters.js';
import { HostDetail, detailLineCount, DETAIL_HEADER_ROWS } from './HostDetail.js';
import { HostList } from './HostList.js';
import { FullHelp, KeyHelp, type Screen } from './KeyHelp.js';
import { splitKeys, type KeyPress } from './keys.js';
import { clampIndex } from './layout.js';
import { ProgressView, type LoadProgress } from './ProgressView.js';
import { SeriesView } from './SeriesView.js';
import { show } from './show.js';
import { SummaryView, summaryHeight } from './SummaryView.js';
import { useTerminalSize, type TerminalSize } from './useTerminalSize.js';

export interface AppProps {
  series: Series;
  progress: LoadProgress | null;
  /** null while the corpus loads. */
  analysis: Analysis | null;
  /** Set when an error ended the run. */
  error: string | null;
  /** Fixed size instead of the terminal's (the static frame for a non-terminal stdout). */
  size?: TerminalSize;
}

/** Rows for per-patch lines in the summary: more on taller terminals. */
function patchBudget(rows: number): number {
  return rows >= 40 ? 6 : rows >= 30 ? 4 : 2;
}

interface UiState {
  filters: FilterState;
  selected: number;
  view: 'list' | 'detail';
  scroll: number;
  help: boolean;
}

const INITIAL: UiState = { filters: NO_FILTERS, selected: 0, view: 'list', scroll: 0, help: false };


export function App({ series, progress, analysis, error, size }: AppProps) {
  const { exit } = useApp();
  const { isRawModeSupported } = useStdin();
  const terminal = useTerminalSize();
  const { rows, columns } = size ?? terminal;

  const all = analysis?.hosts ?? [];
  const drivers = useMemo(() => driverChoices(all), [all]);
  const vendors = useMemo(() => vendorChoices(all), [all]);

  // One row is kept free: ink clears the screen on every frame as tall as the terminal.
  const usable = Math.max(rows - 1, 8);
  const patchRows = patchBudget(rows);
  const summaryRows = analysis ? summaryHeight(analysis, patchRows) : 0;
  // series title, summary, filters, list header, key help
  const listRows = Math.max(usable - (1 + summaryRows + 1 + 1 + 1), 3);
  const detailRows = Math.max(usable - 1, DETAIL_HEADER_ROWS + 1);

  // A reducer, not handlers over state: keys can arrive before the handler of the last render is
  // installed, and a reducer always sees the latest state.
  const reduce = (st: UiState, { input, key }: KeyPress): UiState => {
    if (input === '?') return { ...st, help: !st.help };
    if (st.help) return key.escape || key.backspace || key.delete ? { ...st, help: false } : st;
    if (error !== null || !analysis) return st;
    const hosts = applyFilters(all, st.filters);
    const selected = clampIndex(st.selected, hosts.length);
    const current = hosts[selected];
    if (st.view === 'list' || !current) {
      const page = Math.max(listRows - 1, 1);
      const move = (to: number) => ({ ...st, view: 'list' as const, selected: clampIndex(to, hosts.length) });
      const filter = (f: FilterState) => ({ ...st, view: 'list' as const, filters: f, selected: 0 });
      if (key.upArrow || input === 'k') return move(selected - 1);
      if (key.downArrow || input === 'j') return move(selected + 1);
      if (key.pageUp) return move(selected - page);
      if (key.pageDown) return move(selected + page);
      if (key.home) return move(0);
      if (key.end) return move(hosts.length - 1);
      if ((key.return || input === '\r' || input === '\n') && current) return { ...st, selected, view: 'detail', scroll: 0 };
      if (input === 's') return filter({ ...st.filters, scope: nextScope(st.filters.scope) });
      if (input === 'd') return filter({ ...st.filters, driver: cycleChoice(drivers, st.filters.driver) });
      if (input === 'v') return filter({ ...st.filters, vendor: cycleChoice(vendors, st.filters.vendor) });
      return st;
    }
    const room = Math.max(detailRows - DETAIL_HEADER_ROWS, 1);
    const last = Math.max(detailLineCount(current, analysis.series, columns) - room, 0);
    const scrollTo = (to: number) => ({ ...st, scroll: Math.min(Math.max(to, 0), last) });
    if (key.escape || key.backspace || key.delete || key.leftArrow || input === 'h') return { ...st, view: 'list' };
    if (key.upArrow || input === 'k') return scrollTo(Math.min(st.scroll, last) - 1);
    if (key.downArrow || input === 'j') return scrollTo(st.scroll + 1);
    if (key.pageUp) return scrollTo(Math.min(st.scroll, last) - room);
    if (key.pageDown) return scrollTo(st.scroll + room);
    return st;
  };
  const [ui, dispatch] = useReducer(reduce, INITIAL);
  const { filters, view, scroll, help } = ui;
  const hosts = useMemo(() => applyFilters(all, filters), [all, filters]);
  const selected = clampIndex(ui.selected, hosts.length);
  const current = hosts[selected];

  // Without a keyboard (piped stdin, static frame) key help and the selection mean nothing.
  const keyboard = isRawModeSupported === true;
  const screen: Screen = error !== null ? 'failed' : analysis === null ? 'loading' : view === 'detail' && current ? 'detail' : 'list';

  useInput(
    (input, key) => {
      for (const press of splitKeys(input, key)) {
        if (press.input === 'q') {
          exit();
          return;
        }
        dispatch(press);
      }
    },
    { isActive: keyboard },
  );

  if (help) {
    return (
      <Box flexDirection="column">
        <FullHelp />
        <Text dimColor>Press ? or Esc to close the help.</Text>
      </Box>
    );
  }

  if (screen === 'loading' || screen === 'failed') {
    return (
      <Box flexDirection="column">
        <SeriesView series={series} maxRows={Math.max(usable - (error !== null ? 4 : 2), 3)} />
        <ProgressView progress={progress} />
        {error !== null ? (
          <>
            <Text color="red" wrap="truncate">
              Error: {show(error)}
            </Text>
            {keyboard ? <Text wrap="truncate">Press q to quit.</Text> : null}
          </>
        ) : null}
        {error === null && keyboard ? <KeyHelp screen={screen} /> : null}
      </Box>
    );
  }

  if (screen === 'detail' && current && analysis) {
    return (
      <Box flexDirection="column">
        <HostDetail host={current} series={analysis.series} scroll={scroll} height={detailRows} columns={columns} />
        <KeyHelp screen="detail" />
      </Box>
    );
  }

  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        vfio-impact: {show(series.title)}
      </Text>
      {analysis ? <SummaryView analysis={analysis} maxPatchRows={patchRows} /> : null}
      <Filters filters={filters} />
      <HostList hosts={hosts} selected={keyboard ? selected : -1} height={listRows} columns={columns} total={all.length} />
      {keyboard ? <KeyHelp screen="list" /> : null}
    </Box>
  );
}
