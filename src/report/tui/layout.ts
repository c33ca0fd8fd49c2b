// Pure layout helpers: the app never lets ink wrap a line, so that what it draws always fits the
// terminal's rows (ink redraws the whole screen, flickering, once a frame is taller than that).

/** Word-wrap `text` to lines of at most `width` columns; words longer than a line are cut. */
export function wrapText(text: string, width: number): string[] {
  const w = Math.max(width, 8);
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((x) => x.length > 0)) {
    let rest = word;
    while (rest.length > w) {
      if (line) {
        lines.push(line);
        line = '';
      }
      lines.push(rest.slice(0, w));
      rest = rest.slice(w);
    }
    if (!line) line = rest;
    else if (line.length + 1 + rest.length <= w) line += ' ' + rest;
    else {
      lines.push(line);
      line = rest;
    }
  }
  if (line) lines.push(line);
  return lines.length > 0 ? lines : [''];
}

/** The slice [start, end) of a list of `total` rows that shows `selected` in `height` rows. */
export function visibleWindow(total: number, selected: number, height: number): { start: number; end: number } {
  const h = Math.max(height, 1);
  if (total <= h) return { start: 0, end: total };
  const start = Math.min(Math.max(selected - Math.floor(h / 2), 0), total - h);
  return { start, end: start + h };
}

/** Keep an index inside [0, count). */
export function clampIndex(index: number, count: number): number {
  return count <= 0 ? 0 : Math.min(Math.max(index, 0), count - 1);
}
