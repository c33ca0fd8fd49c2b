// One mail message -> one patch: the `[PATCH n/m]` numbering, the subject, and the diff as
// files and hunks whose every line remembers where it sits in the input file. Hunks are
// checked against their `@@` counts before parse-diff sees them: parse-diff trusts the counts
// and would swallow the next file's header into a short hunk.

import parseDiff from 'parse-diff';
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import { sanitize } from '../diagnostics/sanitize.js';
import type { MboxMessage } from './mbox.js';

export interface HunkLine {
  kind: 'context' | 'add' | 'del';
  /** The line without its diff prefix. */
  text: string;
  /** 1-based line in the input file. */
  line: number;
  /** Line number in the old file (context, del) and the new file (context, add). */
  oldLine: number | null;
  newLine: number | null;
}

export interface Hunk {
  /** What git printed after the second `@@`: the nearest enclosing "function" line. */
  context: string;
  /** 1-based input line of the `@@` header. */
  line: number;
  lines: HunkLine[];
}

export interface DiffFile {
  /** Path before the change (null for a new file). */
  from: string | null;
  /** Path after the change (null for a deleted file). */
  to: string | null;
  hunks: Hunk[];
}

export interface ParsedPatch {
  number: number | null;
  total: number | null;
  /** Subject without its bracketed prefixes, sanitised. */
  subject: string;
  /** The commit id from the `From <sha>` separator, when it is one. */
  commit: string | null;
  cover: boolean;
  /** `Re:` replies in an archive are not patches. */
  reply: boolean;
  files: DiffFile[];
  /** true when the body holds a diff at all (even one whose hunks were all malformed). */
  hasDiff: boolean;
  diagnostics: Diagnostic[];
}

// The function context may hold any character, a lone CR included (`.` would not match it).
const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?([\s\S]*)$/;

/** `[PATCH v8 04/11]`, `[RFC PATCH 2/3]`, `[PATCH]`: the n/m of the bracket group holding PATCH. */
export function parseSubject(subject: string): { number: number | null; total: number | null; subject: string; reply: boolean } {
  let rest = subject.trim();
  const reply = /^(re|aw|fwd?)\s*:/i.test(rest);
  rest = rest.replace(/^((re|aw|fwd?)\s*:\s*)+/i, '');
  let number: number | null = null;
  let total: number | null = null;
  for (;;) {
    const m = /^\[([^\]]*)\]\s*/.exec(rest);
    if (!m) break;
    const inner = m[1] ?? '';
    const nm = /\b(\d+)\s*\/\s*(\d+)\b/.exec(inner);
    if (/\bPATCH\b/i.test(inner) && nm && number === null) {
      number = Number(nm[1]);
      total = Number(nm[2]);
    }
    rest = rest.slice(m[0].length);
  }
  return { number, total, subject: sanitize(rest.trim()), reply };
}

/**
 * Read one decoded message as a patch. `file` names the input for diagnostics (a path or
 * `git:SHA`); `lineOffset` is subtracted from every line so git-read patches count from 1.
 */
export function parsePatchMessage(message: MboxMessage, file: string = message.file, lineOffset = 0): ParsedPatch {
  const diagnostics: Diagnostic[] = message.diagnostics.map((d) => ({
    ...d,
    file,
    line: d.line === null ? null : d.line - lineOffset,
  }));
  const subj = parseSubject(message.subject);
  // `--zero-commit` output carries all zeros: no commit to look up.
  const commit =
    message.envelope && /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(message.envelope) && /[1-9a-f]/.test(message.envelope) ? message.envelope : null;
  const lineNos = message.bodyLines.map((n) => n - lineOffset);
  const { files, hasDiff } = parseDiffBody(message.body, lineNos, file, diagnostics);
  const cover = subj.number === 0 || (!hasDiff && /\*\*\* SUBJECT HERE \*\*\*/.test(message.subject));
  return {
    number: subj.number,
    total: subj.total,
    subject: subj.subject,
    commit,
    cover,
    reply: subj.reply,
    files: cover ? [] : files,
    hasDiff,
    diagnostics,
  };
}

interface Section {
  start: number;
  end: number;
}

/** Cut the body into one section per file: at `diff --git`, or at `--- `/`+++ ` pairs for plain diffs. */
function fileSections(body: string[]): Section[] {
  const starts: number[] = [];
  const git = body.some((l) => l.startsWith('diff --git '));
  for (let i = 0; i < body.length; i++) {
    const l = body[i] ?? '';
    if (git ? l.startsWith('diff --git ') : l.startsWith('--- ') && (body[i + 1] ?? '').startsWith('+++ ') && (body[i + 2] ?? '').startsWith('@@')) {
      starts.push(i);
    }
  }
  return starts.map((start, k) => ({ start, end: starts[k + 1] ?? body.length }));
}

export function parseDiffBody(
  body: string[],
  lineNos: number[],
  file: string,
  diagnostics: Diagnostic[],
): { files: DiffFile[]; hasDiff: boolean } {
  const sections = fileSections(body);
  const files: DiffFile[] = [];
  for (const section of sections) {
    const parsed = parseSection(body, lineNos, section, file, diagnostics);
    if (parsed) files.push(parsed);
  }
  return { files, hasDiff: sections.length > 0 };
}

/**
 * Check every hunk's lines against its `@@` counts, then hand parse-diff a text made of the
 * header lines and the well-formed hunks only, remembering which input line each text line was.
 */
function parseSection(
  body: string[],
  lineNos: number[],
  section: Section,
  file: string,
  diagnostics: Diagnostic[],
): DiffFile | null {
  const text: string[] = [];
  const origin: number[] = [];
  const hunkStarts: number[] = []; // index in `text` of each kept hunk header
  let i = section.start;
  while (i < section.end && !(body[i] ?? '').startsWith('@@')) {
    text.push(body[i] ?? '');
    origin.push(lineNos[i] ?? 0);
    i++;
  }
  const at = (k: number): number => lineNos[k] ?? 0;
  while (i < section.end) {
    const header = body[i] ?? '';
    if (!header.startsWith('@@')) {
      const stray = header;
      // Lines after a hunk that still look like diff lines mean the counts were too small.
      if ((stray.startsWith('+') || stray.startsWith('-')) && stray !== '-- ' && !stray.startsWith('---') && !stray.startsWith('+++')) {
        diagnostics.push(diag(file, at(i), 'warning', 'hunk-overrun', `diff line after the end its hunk header announced; ignored: ${sanitize(stray.slice(0, 60))}`));
      }
      i++;
      continue;
    }
    const m = HUNK_HEADER.exec(header);
    if (!m) {
      diagnostics.push(diag(file, at(i), 'error', 'malformed-hunk', `hunk header not understood: ${sanitize(header.slice(0, 60))}`));
      i = nextHunk(body, i + 1, section.end);
      continue;
    }
    let oldLeft = m[2] === undefined ? 1 : Number(m[2]);
    let newLeft = m[4] === undefined ? 1 : Number(m[4]);
    let j = i + 1;
    let bad: string | null = null;
    while (oldLeft > 0 || newLeft > 0) {
      if (j >= section.end) {
        bad = `hunk ends early: ${oldLeft} old and ${newLeft} new lines missing`;
        break;
      }
      const l = body[j] ?? '';
      const c = l[0];
      if (c === ' ' || l === '') {
        oldLeft--;
        newLeft--;
      } else if (c === '-') oldLeft--;
      else if (c === '+') newLeft--;
      else if (c !== '\\') {
        bad = `line in a hunk does not start with ' ', '+' or '-': ${sanitize(l.slice(0, 60))}`;
        break;
      }
      if (oldLeft < 0 || newLeft < 0) {
        bad = 'hunk holds more lines than its header announced';
        break;
      }
      j++;
    }
    if ((body[j] ?? '').startsWith('\\')) j++;
    if (bad !== null) {
      diagnostics.push(diag(file, at(Math.min(j, section.end - 1)), 'error', 'malformed-hunk', `${bad}; hunk at line ${at(i)} skipped`));
      i = nextHunk(body, j + 1, section.end);
      continue;
    }
    hunkStarts.push(text.length);
    for (let k = i; k < j; k++) {
      text.push(body[k] ?? '');
      origin.push(at(k));
    }
    i = j;
  }
  if (hunkStarts.length === 0) {
    // A header-only section (mode change, binary, pure rename) still names a touched file.
    const names = parseDiff(text.join('\n'))[0];
    if (!names) return null;
    return { from: cleanPath(names.from), to: cleanPath(names.to), hunks: [] };
  }

  const parsed = parseDiff(text.join('\n'));
  const pf = parsed[0];
  if (!pf || parsed.length !== 1 || pf.chunks.length !== hunkStarts.length) {
    diagnostics.push(diag(file, origin[0] ?? null, 'error', 'malformed-diff', 'diff section could not be split into one file with its hunks'));
    return null;
  }
  const hunks: Hunk[] = pf.chunks.map((chunk, h) => {
    const headerIdx = hunkStarts[h] ?? 0;
    const lines: HunkLine[] = [];
    chunk.changes.forEach((change, k) => {
      const line = origin[headerIdx + 1 + k] ?? 0;
      if (change.content.startsWith('\\')) return; // "\ No newline at end of file"
      if (change.type === 'add') lines.push({ kind: 'add', text: change.content.slice(1), line, oldLine: null, newLine: change.ln });
      else if (change.type === 'del') lines.push({ kind: 'del', text: change.content.slice(1), line, oldLine: change.ln, newLine: null });
      else lines.push({ kind: 'context', text: change.content.slice(1), line, oldLine: change.ln1, newLine: change.ln2 });
    });
    const hm = HUNK_HEADER.exec(chunk.content);
    return { context: hm?.[5] ?? '', line: origin[headerIdx] ?? 0, lines };
  });
  return { from: cleanPath(pf.from), to: cleanPath(pf.to), hunks };
}

function nextHunk(body: string[], from: number, end: number): number {
  let k = from;
  while (k < end && !(body[k] ?? '').startsWith('@@')) k++;
  return k;
}

function cleanPath(p: string | undefined): string | null {
  if (p === undefined || p === '/dev/null' || p === '') return null;
  return sanitize(p);
}
