// One finding about an input: always names the file and, where it has one, the line.
// Shared by every stage so the summary can count skipped inputs and say why.

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  /** Path of the input as the user named it (or `<stdin>`, or `git:REV`). */
  file: string;
  /** 1-based line in that input, or null when the finding is about the whole input. */
  line: number | null;
  severity: Severity;
  /** Stable machine-readable code, e.g. `truncated-block`, `not-lspci`, `malformed-hunk`. */
  code: string;
  /** Human sentence. Built from input text only through `sanitize()`. */
  message: string;
}

export function diag(
  file: string,
  line: number | null,
  severity: Severity,
  code: string,
  message: string,
): Diagnostic {
  return { file, line, severity, code, message };
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line === null ? d.file : `${d.file}:${d.line}`;
  return `${where}: ${d.severity}: ${d.message} [${d.code}]`;
}
