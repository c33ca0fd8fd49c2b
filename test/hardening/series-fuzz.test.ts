// Real patches from corpora/series, mutated: broken hunk headers, hunk counts that lie,
// missing trailers and lines, mixed encodings (quoted-printable, base64, Latin-1, unknown
// charsets), CRLF, flipped bytes. Properties: nothing throws, every run stays within the time
// bound, every warning/error names the file and a line inside it, and the patches the mutation
// did not touch give exactly the declarations they gave before.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { splitMbox } from '../../src/series/mbox.js';
import { parsePatchMessage } from '../../src/series/patch.js';
import { codeOf, findInFile, matchStructOpener } from '../../src/series/declarations.js';
import { readSeries } from '../../src/series/read.js';
import { CliError } from '../../src/cli/context.js';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import { toBase64, toCrlf, toQuotedPrintable } from '../series/encode.js';
import { ROOT, RUNS, expectLocated, lineCount, timed } from './support.js';
import { readdirSync, readFileSync } from 'node:fs';

const SHPCHP = join(ROOT, 'corpora', 'series', 'shpchp');
/** The four messages of a real series, each ending in a blank line as git format-patch --stdout joins them. */
const MESSAGES = readdirSync(SHPCHP)
  .filter((n) => n.endsWith('.patch'))
  .sort()
  .map((n) => {
    const t = readFileSync(join(SHPCHP, n), 'utf8');
    return t.endsWith('\n\n') ? t : `${t}\n`;
  });

const tmp = mkdtempSync(join(tmpdir(), 'vfio-impact-hardening-series-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Found {
  keys: string[][];
  diagnostics: Diagnostic[];
}

/** The pure middle of readSeries: split, parse each message, find the declarations. */
function read(text: string, file: string): Found {
  return timed(text.length, () => {
    const keys: string[][] = [];
    const diagnostics: Diagnostic[] = [];
    for (const m of splitMbox(text, file)) {
      const p = parsePatchMessage(m, file);
      for (const d of p.diagnostics) diagnostics.push(d);
      const k: string[] = [];
      for (const f of p.files) {
        const found = findInFile(m.index, f, file);
        for (const d of found.diagnostics) diagnostics.push(d);
        for (const d of found.declarations) k.push([d.file, d.struct, d.structType, d.container, d.nameExpr, d.flag, d.action, d.value].join('|'));
        for (const r of found.ruleChanges) k.push([r.file, r.kind, r.driver].join('|'));
      }
      keys.push(k);
    }
    return { keys, diagnostics };
  });
}

const clean = read(MESSAGES.join(''), 'series.mbox');

type Mutation = (msg: string, rnd: number[]) => string;

const lines = (t: string): string[] => t.split('\n');
const pick = <T,>(xs: T[], r: number | undefined): T => xs[Math.floor((r ?? 0) * xs.length) % xs.length]!;

const MUTATIONS: Record<string, Mutation> = {
  'broken hunk header': (msg, r) => {
    const ls = lines(msg);
    const hunks = ls.map((l, i) => (l.startsWith('@@') ? i : -1)).filter((i) => i >= 0);
    if (hunks.length === 0) return msg;
    const junk = ['@@ -x,y +z @@', '@@', '@@ -1,3 +1', '@@ -99999999999999999999,1 +1,1 @@', '@@@ -1 +1 @@@', '@@ \u001b[31m @@'];
    ls[pick(hunks, r[0])] = pick(junk, r[1]);
    return ls.join('\n');
  },
  'hunk counts that lie': (msg, r) =>
    msg.replace(/^@@ -(\d+),(\d+) \+(\d+),(\d+) @@/m, (_a, a, _b, c) => `@@ -${a},${Math.floor((r[0] ?? 0) * 40)} +${c},${Math.floor((r[1] ?? 0) * 40)} @@`),
  'missing trailer and tail': (msg, r) => {
    const ls = lines(msg);
    const sig = ls.indexOf('-- ');
    const cut = sig >= 0 && (r[0] ?? 0) < 0.5 ? sig : Math.floor((r[1] ?? 0) * ls.length);
    return ls.slice(0, Math.max(cut, 1)).join('\n') + '\n\n';
  },
  'lines deleted and repeated': (msg, r) => {
    const ls = lines(msg);
    // Not the last lines: the blank line before the next `From ` separator stays.
    const i = 1 + Math.floor((r[0] ?? 0) * Math.max(ls.length - 8, 1));
    const n = 1 + Math.floor((r[1] ?? 0) * 4);
    if ((r[2] ?? 0) < 0.5) ls.splice(i, n);
    else ls.splice(i, 0, ...ls.slice(i, i + n));
    return ls.join('\n');
  },
  'quoted-printable': (msg) => toQuotedPrintable(msg) + '\n',
  base64: (msg) => toBase64(msg) + '\n',
  'base64 with a bad alphabet': (msg, r) => {
    const b = lines(toBase64(msg));
    let last = b.length - 1;
    while (last > 0 && b[last] === '') last--;
    const i = last - Math.floor((r[0] ?? 0) * 3);
    b[i] = `${b[i] ?? ''}*%\u00e9`;
    return b.join('\n') + '\n';
  },
  'declared charset latin1, bytes utf-8, and an unknown one': (msg, r) =>
    msg
      .replace(/charset=UTF-8/i, `charset=${pick(['iso-8859-1', 'x-unknown-charset', 'utf-16', 'windows-1252'], r[0])}`)
      .replace(/^Subject: (.*)$/m, (_a, s: string) => `Subject: =?${pick(['iso-8859-1', 'bogus', 'utf-8'], r[1])}?B?${Buffer.from(s, 'latin1').toString('base64')}?= =?utf-8?q?=E9=ZZ?=`),
  crlf: (msg) => toCrlf(msg),
  'bytes flipped': (msg, r) => {
    const b = Buffer.from(msg, 'utf8');
    for (let k = 0; k + 1 < r.length; k += 2) {
      const i = Math.floor((r[k] ?? 0) * b.length) % b.length;
      const v = b[i]! ^ (1 + Math.floor((r[k + 1] ?? 0) * 254));
      if (b[i] !== 10 && v !== 10 && i > 60) b[i] = v; // keep the separator line
    }
    return b.toString('utf8');
  },
};

describe('mutated patches in a real series', () => {
  it('the other patches give exactly the declarations they gave before; nothing throws; diagnostics are located', () => {
    expect(clean.keys.flat().length).toBeGreaterThanOrEqual(3);
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(MUTATIONS)),
        fc.integer({ min: 0, max: MESSAGES.length - 1 }),
        fc.array(fc.double({ min: 0, max: 0.999, noNaN: true }), { minLength: 6, maxLength: 6 }),
        (mutation, victim, rnd) => {
          const msgs = [...MESSAGES];
          msgs[victim] = MUTATIONS[mutation]!(msgs[victim]!, rnd);
          const text = msgs.join('');
          const got = read(text, 'series.mbox');
          expectLocated(got.diagnostics, 'series.mbox', lineCount(text));
          if (mutation === 'crlf' || mutation === 'quoted-printable' || mutation === 'base64') {
            // Transport encodings change nothing at all.
            expect(got.keys).toEqual(clean.keys);
            return;
          }
          expect(got.keys.length).toBe(clean.keys.length);
          clean.keys.forEach((k, i) => {
            if (i !== victim) expect(got.keys[i]).toEqual(k);
          });
        },
      ),
    );
  });

  it('through readSeries on files: a series with damaged patches is read with located diagnostics, or refused with a reason', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom(...Object.keys(MUTATIONS)), fc.array(fc.double({ min: 0, max: 0.999, noNaN: true }), { minLength: 6, maxLength: 6 })), {
          minLength: MESSAGES.length,
          maxLength: MESSAGES.length,
        }),
        async (muts) => {
          const dir = mkdtempSync(join(tmp, 's-'));
          const files = MESSAGES.map((m, i) => {
            const path = join(dir, `000${i}.patch`);
            writeFileSync(path, MUTATIONS[muts[i]![0]]!(m, muts[i]![1]));
            return path;
          });
          try {
            const series = await readSeries({ paths: [dir], table: [] });
            for (const d of series.diagnostics) {
              expect(files).toContain(d.file);
              if (d.severity !== 'info') expect(d.line, `${d.code}: ${d.message}`).not.toBeNull();
            }
          } catch (err) {
            expect(err).toBeInstanceOf(CliError);
            expect((err as Error).message).toMatch(/no readable patch/);
          }
        },
      ),
      { numRuns: Math.max(5, Math.floor(RUNS / 5)) },
    );
  });
});

// The original regexes, kept here as the specification of the one-pass rewrites.
const STRUCT_OPENER_REGEX = /\bstruct\s+(\w+)\s+(?:__\w+\s+)*(\w+)\s*(?:__\w+\s*)*=\s*\{/;
function codeOfRegex(text: string): string {
  return text
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\/\*.*?\*\//g, ' ')
    .replace(/\/\/.*$/, '')
    .replace(/^\s*\*.*$/, '')
    .replace(/\/\*.*$/, '');
}

describe('one-pass rewrites agree with the regexes they replace', () => {
  it('matchStructOpener finds what the struct-opener regex finds', () => {
    const token = fc.constantFrom('struct', 'static', ' ', '  ', '\t', 'pci_driver', 'v', '__a', '__refdata', '_', '=', '{', '= {', '(', 'x', '*', ',');
    fc.assert(
      fc.property(fc.array(token, { maxLength: 14 }).map((t) => t.join('')), (s) => {
        const m = STRUCT_OPENER_REGEX.exec(s);
        expect(matchStructOpener(s)).toEqual(m ? { type: m[1], name: m[2] } : null);
      }),
      { numRuns: RUNS * 20 },
    );
  });

  it('codeOf strips what the comment/string regexes strip', () => {
    const token = fc.constantFrom('/*', '*/', '//', '/', '*', '"', '\\', '\\"', 'a', ' ', '{', '}', '\r', '\u2028');
    fc.assert(
      fc.property(fc.array(token, { maxLength: 16 }).map((t) => t.join('')), (s) => {
        expect(codeOf(s)).toBe(codeOfRegex(s));
      }),
      { numRuns: RUNS * 20 },
    );
  });
});

/** A one-file patch whose only hunk adds `body` lines. */
function patchWith(body: string[], subject = '[PATCH] x'): string {
  return [
    'From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001',
    'From: A <a@example.org>',
    `Subject: ${subject}`,
    '',
    '---',
    'diff --git a/drivers/pci/x.c b/drivers/pci/x.c',
    '--- a/drivers/pci/x.c',
    '+++ b/drivers/pci/x.c',
    `@@ -1,0 +1,${body.length} @@`,
    ...body.map((l) => `+${l}`),
    '',
  ].join('\n');
}

describe('inputs built to be slow or to overflow the stack', () => {
  // Guards declarations.ts matchStructOpener: the regex it replaced took ~0.5 s at 24 `__a`s
  // and doubled with each one more.
  it('a struct opener with thousands of __a attributes (exponential backtracking before)', () => {
    const text = patchWith([`struct t v${'__a'.repeat(5000)} {`, '.driver_managed_dma = true,']);
    const got = read(text, 'redos.patch');
    expect(got.keys.flat()).toHaveLength(1);
    expect(timed(0, () => matchStructOpener(`struct t v${'__a'.repeat(40)} {`))).toBeNull();
  });

  // Guards declarations.ts SideView/EnclosingIndex: per changed line the hunk was re-filtered
  // and walked up to its top: 20k lines took 54 s, 20k flag lines 140 s.
  it('a 20k-line hunk of flag lines and a 100k-line one of plain lines', () => {
    const flags = read(patchWith(Array.from({ length: 20_000 }, () => '.driver_managed_dma = true,')), 'flags.patch');
    expect(flags.keys.flat()).toHaveLength(20_000);
    read(patchWith(Array.from({ length: 100_000 }, (_, i) => `x${i}`)), 'plain.patch');
  });

  it('a hunk whose 10k flag lines each sit in a block that never closes (name search budget)', () => {
    const body: string[] = [];
    for (let i = 0; i < 10_000; i++) body.push(`static struct pci_driver d${i} = {`, '.driver_managed_dma = true,');
    const got = read(patchWith(body), 'nested.patch');
    expect(got.keys.flat()).toHaveLength(10_000);
  });

  // Guards declarations.ts replaceBlockComments/emptyStrings/stringLiterals: the regexes they
  // replace rescanned to the end of the line for every unclosed `/*` or escaped quote.
  it('a line of 400k unclosed comment openers, and one of 400k escaped quotes in an allow-list', () => {
    read(patchWith(['/* '.repeat(400_000)]), 'comments.patch');
    read(patchWith(['.driver_managed_dma = true, ' + '/* '.repeat(400_000)]), 'comments2.patch');
    const allow = read(patchWith(['static const char * const vfio_driver_allowed[] = { "' + '\\"'.repeat(400_000)]), 'quotes.patch');
    expect(allow.keys.flat()).toEqual([]);
  });

  // Guards mbox.ts decodeQuotedPrintable/decodeMultipart: push(...lines) overflowed the stack.
  it('a quoted-printable line of 300k encoded newlines and a multipart part of 300k lines', () => {
    const qp = `From: a\nSubject: [PATCH] q\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n${'=0A'.repeat(300_000)}\n`;
    read(qp, 'qp.eml');
    const mp = `From: a\nSubject: [PATCH] q\nContent-Type: multipart/mixed; boundary=BB\n\n--BB\nContent-Type: text/plain\n\n${'x\n'.repeat(300_000)}--BB--\n`;
    read(mp, 'mp.eml');
  });

  // Guards read.ts: diagnostics.push(...p.diagnostics) with one diagnostic per broken hunk.
  it('200k broken hunks give 200k diagnostics through readSeries (push(...) overflowed at ~125k)', async () => {
    const body = ['From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001', 'Subject: [PATCH] x', '', 'diff --git a/drivers/pci/x.c b/drivers/pci/x.c', '--- a/drivers/pci/x.c', '+++ b/drivers/pci/x.c'];
    for (let i = 0; i < 200_000; i++) body.push('@@ -1,1 +1,1 @@', 'x');
    const path = join(tmp, 'broken.patch');
    writeFileSync(path, body.join('\n') + '\n');
    const err = await readSeries({ paths: [path], table: [] }).then(
      (s) => s.diagnostics,
      (e: unknown) => e,
    );
    if (err instanceof Error) expect(err).toBeInstanceOf(CliError);
    else expect((err as Diagnostic[]).filter((d) => d.code === 'malformed-hunk').length).toBe(200_000);
  });

  it('a subject of a million bracket groups', () => {
    read(patchWith(['.driver_managed_dma = true,'], '[a]'.repeat(1_000_000)), 'subject.patch');
  });
});
