// Split an mbox (git format-patch --stdout, b4 am, a list-archive message) into messages and
// decode each one, so the diff parser sees one patch at a time: parse-diff on a whole mbox
// loses which patch a file belongs to. Every decoded body line keeps the 1-based line of the
// input it came from, so diagnostics and flag changes can point into the file the user has.

import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';

export interface MboxMessage {
  /** 1-based position of the message in its file. */
  index: number;
  file: string;
  /** 1-based line where the message starts (its `From ` separator, or line 1). */
  startLine: number;
  /** The separator's first word after `From ` (a commit id for git format-patch output). */
  envelope: string | null;
  /** Lower-case header name -> unfolded, RFC 2047-decoded value (first occurrence). */
  headers: Record<string, string>;
  /** The Subject header, decoded, whitespace collapsed (not sanitised: callers do that). */
  subject: string;
  /** Decoded body lines of the text parts, in order. */
  body: string[];
  /** For each body line, the 1-based line of the input it came from. */
  bodyLines: number[];
  diagnostics: Diagnostic[];
}

// `From <sha> Mon Sep 17 00:00:00 2001` (git) or `From someone@host Tue Nov 16 01:02:03 2021`
// (archives). The time of day keeps a commit-message line like "From the bridge's view" out.
const SEPARATOR = /^From (\S+) .*\b\d{1,2}:\d{2}(?::\d{2})?\b/;
const HEADER_LINE = /^([!-9;-~]+):[ \t]?(.*)$/;
const FIRST_HEADER =
  /^(From|Subject|Date|Message-I[Dd]|Return-Path|Received|To|Cc|Content-Type|MIME-Version|Delivered-To|In-Reply-To|References|X-[\w-]+):/i;

/** Split `text` into messages; a text with no separator and no headers is one headerless message. */
export function splitMbox(text: string, file: string): MboxMessage[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();

  const starts: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (SEPARATOR.test(line) && (i === 0 || (lines[i - 1] ?? '') === '')) starts.push(i);
  }
  if (starts.length === 0 || starts[0] !== 0) {
    // Leading text before the first separator (or no separator at all) is a message of its own
    // when it holds anything but blank lines.
    const end = starts[0] ?? lines.length;
    if (lines.slice(0, end).some((l) => l.trim() !== '')) starts.unshift(0);
  }

  const messages: MboxMessage[] = [];
  starts.forEach((start, k) => {
    const end = starts[k + 1] ?? lines.length;
    messages.push(decodeMessage(lines, start, end, file, messages.length + 1));
  });
  return messages;
}

function decodeMessage(lines: string[], start: number, end: number, file: string, index: number): MboxMessage {
  const diagnostics: Diagnostic[] = [];
  let i = start;
  let envelope: string | null = null;
  const first = lines[i] ?? '';
  const sep = SEPARATOR.exec(first);
  if (sep && sep[1] !== undefined) {
    envelope = sep[1];
    i++;
  }

  // Headers only when the message begins with one; a bare diff has none.
  let rawHeaders: Array<[string, string]> = [];
  if (sep || FIRST_HEADER.test(lines[i] ?? '')) {
    const parsed = readHeaders(lines, i, end);
    rawHeaders = parsed.headers;
    i = parsed.next;
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of rawHeaders) {
    const key = name.toLowerCase();
    if (!(key in headers)) headers[key] = decodeEncodedWords(value);
  }

  // mboxrd: a body line `>From ` (any number of `>`) was escaped by one `>`.
  const raw: string[] = [];
  const rawLineNos: number[] = [];
  for (let j = i; j < end; j++) {
    const line = lines[j] ?? '';
    raw.push(/^>+From /.test(line) ? line.slice(1) : line);
    rawLineNos.push(j + 1);
  }
  const body = decodeEntity(headers, raw, rawLineNos, file, diagnostics);

  return {
    index,
    file,
    startLine: start + 1,
    envelope,
    headers,
    subject: (headers['subject'] ?? '').replace(/\s+/g, ' ').trim(),
    body: body.lines,
    bodyLines: body.lineNos,
    diagnostics,
  };
}

function readHeaders(lines: string[], from: number, end: number): { headers: Array<[string, string]>; next: number } {
  const headers: Array<[string, string]> = [];
  let i = from;
  for (; i < end; i++) {
    const line = lines[i] ?? '';
    if (line === '') {
      i++;
      break;
    }
    const last = headers[headers.length - 1];
    if (/^[ \t]/.test(line) && last) {
      // RFC 5322 unfolding: drop the line break, keep the whitespace.
      last[1] += line;
      continue;
    }
    const m = HEADER_LINE.exec(line);
    if (!m) break; // not a header: the body starts here (no blank line in between)
    headers.push([m[1] ?? '', m[2] ?? '']);
  }
  return { headers, next: i };
}

interface Decoded {
  lines: string[];
  lineNos: number[];
}

interface ContentType {
  type: string;
  params: Record<string, string>;
}

function parseContentType(value: string | undefined): ContentType {
  if (!value) return { type: 'text/plain', params: {} };
  const [type, ...rest] = value.split(';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const m = /^\s*([\w.-]+)\s*=\s*(?:"([^"]*)"|([^\s;]*))/.exec(p);
    if (m && m[1]) params[m[1].toLowerCase()] = m[2] ?? m[3] ?? '';
  }
  return { type: (type ?? '').trim().toLowerCase() || 'text/plain', params };
}

/** Decode one MIME entity (a whole message body or one part of a multipart). */
function decodeEntity(
  headers: Record<string, string>,
  raw: string[],
  lineNos: number[],
  file: string,
  diagnostics: Diagnostic[],
): Decoded {
  const ct = parseContentType(headers['content-type']);
  if (ct.type.startsWith('multipart/')) {
    const boundary = ct.params['boundary'];
    if (!boundary) {
      diagnostics.push(diag(file, lineNos[0] ?? null, 'warning', 'mime-no-boundary', 'multipart message without a boundary; body read as text'));
      return { lines: raw, lineNos };
    }
    return decodeMultipart(boundary, raw, lineNos, file, diagnostics);
  }
  if (!ct.type.startsWith('text/') && ct.type !== 'message/rfc822') return { lines: [], lineNos: [] };
  if (ct.type === 'text/html') return { lines: [], lineNos: [] };
  const charset = ct.params['charset'] ?? 'utf-8';
  const cte = (headers['content-transfer-encoding'] ?? '').trim().toLowerCase();
  if (cte === 'quoted-printable') return decodeQuotedPrintable(raw, lineNos, charset);
  if (cte === 'base64') return decodeBase64(raw, lineNos, charset, file, diagnostics);
  return { lines: raw, lineNos };
}

function decodeMultipart(
  boundary: string,
  raw: string[],
  lineNos: number[],
  file: string,
  diagnostics: Diagnostic[],
): Decoded {
  const out: Decoded = { lines: [], lineNos: [] };
  const delimiter = `--${boundary}`;
  let partStart = -1;
  const flush = (endExclusive: number): void => {
    if (partStart < 0) return;
    const parsed = readHeaders(raw, partStart, endExclusive);
    const partHeaders: Record<string, string> = {};
    for (const [n, v] of parsed.headers) {
      const key = n.toLowerCase();
      if (!(key in partHeaders)) partHeaders[key] = decodeEncodedWords(v);
    }
    const decoded = decodeEntity(
      partHeaders,
      raw.slice(parsed.next, endExclusive),
      lineNos.slice(parsed.next, endExclusive),
      file,
      diagnostics,
    );
    // A loop, not push(...): spreading a part of a few hundred thousand lines overflows the stack.
    for (const l of decoded.lines) out.lines.push(l);
    for (const n of decoded.lineNos) out.lineNos.push(n);
  };
  for (let i = 0; i < raw.length; i++) {
    const line = (raw[i] ?? '').trimEnd();
    if (line === delimiter || line === `${delimiter}--`) {
      flush(i);
      partStart = line === delimiter ? i + 1 : -1;
      if (line !== delimiter) break;
    }
  }
  return out;
}

function bytesToString(bytes: Uint8Array, charset: string): string {
  try {
    return new TextDecoder(charset.toLowerCase(), { fatal: false }).decode(bytes);
  } catch {
    return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  }
}

/** RFC 2045 §6.7; a soft line break (`=` at the end) joins the next line, which keeps the first line's number. */
function decodeQuotedPrintable(raw: string[], lineNos: number[], charset: string): Decoded {
  const out: Decoded = { lines: [], lineNos: [] };
  let bytes: number[] = [];
  let startNo: number | null = null;
  for (let i = 0; i < raw.length; i++) {
    // Trailing whitespace is transport padding (real trailing blanks are encoded as =20/=09).
    let line = (raw[i] ?? '').replace(/[ \t]+$/, '');
    startNo ??= lineNos[i] ?? 0;
    const soft = line.endsWith('=');
    if (soft) line = line.slice(0, -1);
    for (let k = 0; k < line.length; k++) {
      const ch = line[k] ?? '';
      if (ch === '=' && /^[0-9A-Fa-f]{2}$/.test(line.slice(k + 1, k + 3))) {
        bytes.push(parseInt(line.slice(k + 1, k + 3), 16));
        k += 2;
      } else {
        for (const b of Buffer.from(ch, 'utf8')) bytes.push(b);
      }
    }
    if (!soft || i === raw.length - 1) {
      for (const l of bytesToString(Uint8Array.from(bytes), charset).split(/\r?\n/)) out.lines.push(l);
      // An encoded =0A inside a line yields several lines from one input line.
      while (out.lineNos.length < out.lines.length) out.lineNos.push(startNo);
      bytes = [];
      startNo = null;
    }
  }
  return out;
}

/** Base64 has no line structure to keep: every decoded line points at the part's first body line. */
function decodeBase64(raw: string[], lineNos: number[], charset: string, file: string, diagnostics: Diagnostic[]): Decoded {
  const joined = raw.join('').replace(/\s+/g, '');
  if (/[^A-Za-z0-9+/=]/.test(joined)) {
    diagnostics.push(diag(file, lineNos[0] ?? null, 'warning', 'bad-base64', 'base64 body holds characters outside the alphabet; they were ignored'));
  }
  const text = bytesToString(Buffer.from(joined, 'base64'), charset).replace(/\r\n/g, '\n');
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const first = lineNos[0] ?? 0;
  return { lines, lineNos: lines.map(() => first) };
}

const ENCODED_WORD = /=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=/g;

/** RFC 2047 encoded words (`=?UTF-8?q?...?=`); whitespace between two adjacent words is dropped. */
export function decodeEncodedWords(value: string): string {
  const joined = value.replace(/(\?=)\s+(?==\?[^?\s]+\?[QqBb]\?)/g, '$1');
  return joined.replace(ENCODED_WORD, (_all, charset: string, enc: string, text: string) => {
    const cs = charset.split('*')[0] ?? 'utf-8';
    if (enc.toUpperCase() === 'B') return bytesToString(Buffer.from(text, 'base64'), cs);
    const bytes: number[] = [];
    for (let k = 0; k < text.length; k++) {
      const ch = text[k] ?? '';
      if (ch === '_') bytes.push(0x20);
      else if (ch === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(k + 1, k + 3))) {
        bytes.push(parseInt(text.slice(k + 1, k + 3), 16));
        k += 2;
      } else for (const b of Buffer.from(ch, 'utf8')) bytes.push(b);
    }
    return bytesToString(Uint8Array.from(bytes), cs);
  });
}
