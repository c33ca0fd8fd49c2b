// Re-encode real git format-patch mboxes the way mail systems and list archives do:
// quoted-printable or base64 bodies, RFC 2047 subjects, CRLF line ends, mboxrd `>From ` escaping.

const SEPARATOR = /^From [0-9a-f]{40} /;

function hex(b: number): string {
  return `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** RFC 2045 quoted-printable for one line, soft-wrapped at 76 columns. */
export function qpLine(line: string): string {
  const bytes = Buffer.from(line, 'utf8');
  let out = '';
  bytes.forEach((b, i) => {
    const last = i === bytes.length - 1;
    if (((b === 0x20 || b === 0x09) && last) || b === 0x3d || b > 0x7e || (b < 0x20 && b !== 0x09)) out += hex(b);
    else out += String.fromCharCode(b);
  });
  const parts: string[] = [];
  while (out.length > 75) {
    let cut = 75;
    if (out[cut - 1] === '=') cut -= 1;
    else if (out[cut - 2] === '=') cut -= 2;
    parts.push(`${out.slice(0, cut)}=`);
    out = out.slice(cut);
  }
  parts.push(out);
  return parts.join('\n');
}

export function qWord(text: string): string {
  let out = '';
  for (const b of Buffer.from(text, 'utf8')) {
    if (b === 0x20) out += '_';
    else if (/[A-Za-z0-9!*+\-/]/.test(String.fromCharCode(b))) out += String.fromCharCode(b);
    else out += hex(b);
  }
  return `=?UTF-8?q?${out}?=`;
}

interface Msg {
  separator: string;
  headers: string[];
  body: string[];
}

function messages(mbox: string): Msg[] {
  const lines = mbox.split('\n');
  const out: Msg[] = [];
  let cur: Msg | null = null;
  let inHeaders = false;
  for (const line of lines) {
    if (SEPARATOR.test(line)) {
      cur = { separator: line, headers: [], body: [] };
      out.push(cur);
      inHeaders = true;
      continue;
    }
    if (!cur) continue;
    if (inHeaders) {
      if (line === '') inHeaders = false;
      else if (/^\s/.test(line)) cur.headers[cur.headers.length - 1] += `\n${line}`;
      else cur.headers.push(line);
    } else cur.body.push(line);
  }
  return out;
}

function reassemble(msgs: Msg[], encode: 'qp' | 'base64'): string {
  const out: string[] = [];
  for (const m of msgs) {
    out.push(m.separator);
    for (const h of m.headers) {
      if (/^(MIME-Version|Content-Type|Content-Transfer-Encoding):/i.test(h)) continue;
      if (/^Subject:/i.test(h)) out.push(`Subject: ${qWord(h.replace(/^Subject:\s*/i, '').replace(/\n\s+/g, ' '))}`);
      else out.push(h);
    }
    out.push('MIME-Version: 1.0', 'Content-Type: text/plain; charset="utf-8"', `Content-Transfer-Encoding: ${encode === 'qp' ? 'quoted-printable' : 'base64'}`, '');
    if (encode === 'qp') for (const l of m.body) out.push(qpLine(l));
    else {
      const b64 = Buffer.from(m.body.join('\n'), 'utf8').toString('base64');
      for (let i = 0; i < b64.length; i += 76) out.push(b64.slice(i, i + 76));
      out.push('');
    }
  }
  return out.join('\n');
}

export const toQuotedPrintable = (mbox: string): string => reassemble(messages(mbox), 'qp');
export const toBase64 = (mbox: string): string => reassemble(messages(mbox), 'base64');
export const toCrlf = (mbox: string): string => mbox.replace(/\n/g, '\r\n');
/** mboxrd: every body line matching /^>*From / gets one more `>`. */
export const toMboxrd = (mbox: string): string =>
  mbox
    .split('\n')
    .map((l) => (/^>*From /.test(l) && !SEPARATOR.test(l) ? `>${l}` : l))
    .join('\n');
