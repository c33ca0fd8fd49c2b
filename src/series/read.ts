// The I/O edge of the series stage: patch files, a directory of git format-patch output, an
// mbox, or a git range read through simple-git. Everything between reading and the returned
// Series is pure (mbox -> patch -> declarations -> resolve).

import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
// simple-git loads only for --git or --tree (openRepo): loading it costs ~35 ms on every run.
import type { SimpleGit } from 'simple-git';
import { CliError } from '../cli/context.js';
import { diag, type Diagnostic } from '../diagnostics/diagnostic.js';
import { sanitize } from '../diagnostics/sanitize.js';
import { findInFile } from './declarations.js';
import { splitMbox } from './mbox.js';
import type { FlagChange, Patch, RuleChange, Series } from './model.js';
import { parsePatchMessage, type ParsedPatch } from './patch.js';
import { resolveDriver, type DriverTableRow, type ReadTreeFile } from './resolve.js';
import { loadDriverTable } from './table.js';

export interface SeriesInput {
  paths?: string[];
  git?: { repo: string; range: string };
  /**
   * Optional kernel tree for patch files/mboxes: a patch whose `From <sha>` commit exists there
   * gets its names resolved from that commit, as a `--git --range` read would.
   */
  tree?: string;
  /** Override the shipped driver table (tests). */
  table?: DriverTableRow[];
}

const PATCH_FILE = /\.(patch|diff|mbox|mbx|eml)$/i;

/** A revision or path that begins with `-` would be read by git as an option: refuse it. */
function refuseOption(what: string, value: string): void {
  if (value.startsWith('-')) throw new CliError(`refusing ${what} "${sanitize(value)}": it begins with "-"`);
}

interface Candidate {
  parsed: ParsedPatch;
  source: string;
  /** Name used in diagnostics for this patch. */
  input: string;
  /** Revision whose tree holds the patched files, when a tree is known. */
  rev: string | null;
  /** 1-based line where the message starts in `input`, so skipping it can point there. */
  line: number;
}

export async function readSeries(input: SeriesInput): Promise<Series> {
  const paths = input.paths ?? [];
  if (paths.length === 0 && !input.git) throw new CliError('no series given: pass --series PATH... or --git REPO --range A..B');
  for (const p of paths) refuseOption('path', p);

  const diagnostics: Diagnostic[] = [];
  const candidates: Candidate[] = [];
  let git: SimpleGit | null = null;
  let title: string | null = null;

  if (input.git) {
    const { repo, range } = input.git;
    git = await openRepo(repo);
    const [base, head] = parseRange(range);
    await verifyRevision(git, base);
    await verifyRevision(git, head);
    const text = await git.raw([
      'format-patch',
      '--stdout',
      '--no-attach',
      '--no-cover-letter',
      '--no-signature',
      '--no-notes',
      // Unnumbered, so each message is line for line what `git format-patch -1 --stdout SHA` prints.
      '--no-numbered',
      '--src-prefix=a/',
      '--dst-prefix=b/',
      '-M',
      '--end-of-options',
      `${base}..${head}`,
    ]);
    for (const message of splitMbox(text, `git:${range}`)) {
      const sha = message.envelope ?? '';
      const name = `git:${sha.slice(0, 12)}`;
      const parsed = parsePatchMessage(message, name, message.startLine - 1);
      candidates.push({ parsed, source: `git:${sha}`, input: name, rev: parsed.commit, line: 1 });
    }
    title = `${sanitize(range)} in ${sanitize(repo)}`;
  }

  if (paths.length > 0) {
    let tree: SimpleGit | null = null;
    if (input.tree !== undefined) {
      refuseOption('tree', input.tree);
      tree = await openRepo(input.tree);
      git = tree;
    }
    const known = new Map<string, Promise<boolean>>();
    for (const file of await expandPaths(paths, diagnostics)) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        diagnostics.push(diag(file, null, 'error', 'unreadable', `cannot read: ${sanitize((err as Error).message)}`));
        continue;
      }
      const messages = splitMbox(text, file);
      for (const message of messages) {
        const parsed = parsePatchMessage(message, file);
        const source = messages.length > 1 ? `mbox:${file}#${message.index}` : file;
        let rev: string | null = null;
        if (tree && parsed.commit) {
          const sha = parsed.commit;
          if (!known.has(sha)) known.set(sha, commitExists(tree, sha));
          if (await known.get(sha)) rev = sha;
        }
        candidates.push({ parsed, source, input: file, rev, line: message.startLine });
      }
    }
  }

  const ordered = orderPatches(candidates, diagnostics);
  if (ordered.filter((c) => !c.parsed.cover).length === 0) {
    for (const d of diagnostics) if (d.severity === 'error') throw new CliError(`no readable patch: ${d.file}: ${d.message}`);
    throw new CliError('no readable patch in the given series');
  }

  const table = input.table ?? (await loadTable(diagnostics));
  const readTree = git ? treeReader(git) : undefined;
  const patches: Patch[] = [];
  let index = 0;
  for (const c of ordered) {
    const p = c.parsed;
    for (const d of p.diagnostics) diagnostics.push(d);
    const patchIndex = p.cover ? 0 : ++index;
    const changes: FlagChange[] = [];
    const ruleChanges: RuleChange[] = [];
    for (const file of p.files) {
      const found = findInFile(patchIndex, file, c.input);
      for (const d of found.diagnostics) diagnostics.push(d);
      for (const r of found.ruleChanges) ruleChanges.push(r);
      for (const d of found.declarations) {
        const rev = c.rev === null ? null : d.side === 'new' ? c.rev : `${c.rev}^`;
        const r = await resolveDriver(d, { table, ...(readTree ? { readFile: readTree } : {}), rev });
        changes.push({
          patchIndex,
          file: d.file,
          struct: r.struct,
          structType: r.structType,
          driver: r.driver === null ? null : sanitize(r.driver),
          flag: d.flag,
          action: d.action,
          value: d.value,
          resolvedBy: r.resolvedBy,
          line: d.line,
        });
        if (r.resolvedBy === 'unresolved') {
          diagnostics.push(
            diag(c.input, d.line, 'warning', 'unresolved-driver', `${d.flag} in ${d.file}${d.struct ? ` (${d.struct})` : ''}: driver name not found in the hunk, tree or table`),
          );
        }
      }
    }
    patches.push({
      index: patchIndex,
      number: p.number,
      total: p.total,
      subject: p.subject,
      source: sanitize(c.source),
      commit: p.commit,
      cover: p.cover,
      files: p.files.map((f) => f.to ?? f.from ?? '').filter(Boolean),
      changes,
      ruleChanges,
    });
  }

  // git's placeholder cover subject says nothing about the series.
  const cover = patches.find((p) => p.cover && !p.subject.includes('*** SUBJECT HERE ***'));
  return {
    title: cover?.subject || title || patches.find((p) => !p.cover)?.subject || 'series',
    patches,
    diagnostics,
  };
}

async function loadTable(diagnostics: Diagnostic[]): Promise<DriverTableRow[]> {
  try {
    const t = await loadDriverTable();
    for (const d of t.diagnostics) diagnostics.push(d);
    return t.rows;
  } catch (err) {
    diagnostics.push(diag('baselines/kernel/driver-structs.csv', null, 'warning', 'no-driver-table', `driver table not read: ${sanitize((err as Error).message)}`));
    return [];
  }
}

/** Directories give their *.patch/*.diff/*.mbox files in name order (git format-patch numbering). */
async function expandPaths(paths: string[], diagnostics: Diagnostic[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = await stat(p);
    } catch (err) {
      diagnostics.push(diag(p, null, 'error', 'unreadable', `cannot read: ${sanitize((err as Error).message)}`));
      continue;
    }
    if (st.isDirectory()) {
      const names = (await readdir(p)).filter((n) => PATCH_FILE.test(n)).sort();
      if (names.length === 0) diagnostics.push(diag(p, null, 'warning', 'no-patch-files', 'directory holds no .patch/.diff/.mbox files'));
      out.push(...names.map((n) => join(p, n)));
    } else out.push(p);
  }
  return out;
}

/**
 * `[PATCH n/m]` order when every patch is numbered, else input order; replies and mails with
 * neither a diff nor a [PATCH] subject are not patches.
 */
function orderPatches(candidates: Candidate[], diagnostics: Diagnostic[]): Candidate[] {
  const kept: Candidate[] = [];
  let coverSeen = false;
  for (const c of candidates) {
    const p = c.parsed;
    if (p.reply) {
      diagnostics.push(diag(c.input, c.line, 'info', 'not-a-patch', `reply skipped: ${p.subject}`));
      continue;
    }
    if (p.cover) {
      if (coverSeen) {
        diagnostics.push(diag(c.input, c.line, 'warning', 'extra-cover-letter', `second cover letter skipped: ${p.subject}`));
        continue;
      }
      coverSeen = true;
      kept.push(c);
      continue;
    }
    if (!p.hasDiff) {
      if (p.number === null && !c.source.startsWith('git:')) {
        diagnostics.push(diag(c.input, c.line, 'info', 'not-a-patch', `no diff and no [PATCH] subject; skipped: ${p.subject || '(no subject)'}`));
        continue;
      }
      diagnostics.push(diag(c.input, c.line, 'info', 'no-diff', `patch has no diff: ${p.subject}`));
    }
    kept.push(c);
  }
  const patches = kept.filter((c) => !c.parsed.cover);
  const covers = kept.filter((c) => c.parsed.cover);
  if (patches.length > 0 && patches.every((c) => c.parsed.number !== null)) {
    patches.sort((a, b) => (a.parsed.number ?? 0) - (b.parsed.number ?? 0));
    for (let k = 1; k < patches.length; k++) {
      const prev = patches[k - 1];
      const cur = patches[k];
      if (prev && cur && prev.parsed.number === cur.parsed.number) {
        diagnostics.push(diag(cur.input, cur.line, 'warning', 'duplicate-patch-number', `two patches numbered ${cur.parsed.number}; kept in input order`));
      }
    }
  }
  return [...covers, ...patches];
}

function parseRange(range: string): [string, string] {
  refuseOption('range', range);
  const m = /^([^\s]+?)\.\.([^\s]+)$/.exec(range);
  if (!m || !m[1] || !m[2] || m[2].startsWith('.') || m[1].endsWith('.')) {
    throw new CliError(`range "${sanitize(range)}" is not of the form BASE..HEAD`);
  }
  refuseOption('revision', m[1]);
  refuseOption('revision', m[2]);
  return [m[1], m[2]];
}

async function openRepo(repo: string): Promise<SimpleGit> {
  refuseOption('repository path', repo);
  const { simpleGit } = await import('simple-git');
  let git: SimpleGit;
  try {
    const st = await stat(repo);
    if (!st.isDirectory()) throw new Error('not a directory');
    git = simpleGit({ baseDir: repo, config: ['core.quotePath=false'] });
    await git.raw(['rev-parse', '--git-dir']);
  } catch {
    throw new CliError(`"${sanitize(repo)}" is not a git repository`);
  }
  return git;
}

async function verifyRevision(git: SimpleGit, rev: string): Promise<void> {
  try {
    // Not --quiet: simple-git only sees a failure that writes to stderr.
    await git.raw(['rev-parse', '--verify', '--end-of-options', `${rev}^{commit}`]);
  } catch {
    throw new CliError(`unknown revision "${sanitize(rev)}"`);
  }
}

async function commitExists(git: SimpleGit, sha: string): Promise<boolean> {
  try {
    // `-t`, not `-e`: simple-git only sees a failure that writes to stderr.
    return (await git.raw(['cat-file', '-t', `${sha}^{commit}`])).trim() === 'commit';
  } catch {
    return false;
  }
}

/** Files at a revision, cached: one patch series asks for the same driver file many times. */
function treeReader(git: SimpleGit): ReadTreeFile {
  const cache = new Map<string, Promise<string | null>>();
  return (path, rev) => {
    const key = `${rev}:${path}`;
    let hit = cache.get(key);
    if (!hit) {
      hit = git.raw(['cat-file', 'blob', key]).then(
        (text) => text,
        () => null,
      );
      cache.set(key, hit);
    }
    return hit;
  };
}
