// Bounding a long-running thread's heap. V8 collects the old generation only when it reaches a
// limit that itself grows, so a thread that turns out garbage at a steady rate for minutes (the
// main thread receiving worker replies) holds more heap the longer it runs, and peak RSS then
// depended on corpus size. A full collection once the used heap passes a fixed mark keeps it flat.

import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A function that runs a full collection when this thread's used heap is above `thresholdMb`,
 * or null when V8 refuses to expose `gc` (the caller then runs without it). When what survives a
 * collection is itself near the mark (a large corpus keeps a sort key per affected host), the
 * mark moves to that plus `headroomMb`, so live data is not collected over and over for nothing.
 */
export function heapCap(thresholdMb: number, headroomMb = 6): (() => void) | null {
  try {
    v8.setFlagsFromString('--expose-gc');
    // A new context picks the flag up; the thread's own global does not.
    const gc = runInNewContext('gc') as unknown;
    if (typeof gc !== 'function') return null;
    const MB = 1024 * 1024;
    let limit = thresholdMb * MB;
    return () => {
      if (v8.getHeapStatistics().used_heap_size <= limit) return;
      (gc as () => void)();
      limit = Math.max(thresholdMb * MB, v8.getHeapStatistics().used_heap_size + headroomMb * MB);
    };
  } catch {
    return null;
  }
}
