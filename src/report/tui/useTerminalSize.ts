// The terminal's size, kept current on resize: the views size their scrolling lists from it.
// ink re-lays out on resize but does not re-render components, so the hook listens itself.

import { useEffect, useState } from 'react';
import { useStdout } from 'ink';

export interface TerminalSize {
  columns: number;
  rows: number;
}

const read = (s: { columns?: number; rows?: number }): TerminalSize => ({
  columns: s.columns && s.columns > 0 ? s.columns : 80,
  rows: s.rows && s.rows > 0 ? s.rows : 24,
});

export function useTerminalSize(): TerminalSize {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => read(stdout));
  useEffect(() => {
    const onResize = () => setSize(read(stdout));
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}
