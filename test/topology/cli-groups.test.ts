// `vfio-impact groups` driven in-process on the real corpus. The command is registered on its
// own program so the test does not depend on the other commands' modules.
import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { Command } from 'commander';
import { registerGroups } from '../../src/cli/commands/groups.js';
import { CliError, type CliContext } from '../../src/cli/context.js';

const LINUXHW = resolve(import.meta.dirname, '../../../shared/corpora/linuxhw');

function sink(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const w = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  }) as Writable & { text: () => string };
  w.text = () => chunks.join('');
  return w;
}

async function groups(args: string[]) {
  const stdout = sink();
  const stderr = sink();
  const ctx: CliContext = { stdout, stderr, stdin: new PassThrough(), env: {}, cwd: process.cwd() };
  let code = 0;
  const program = new Command().exitOverride();
  registerGroups(program, ctx, (c) => {
    code = c;
  });
  await program.parseAsync(['node', 'vfio-impact', 'groups', ...args]);
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

describe('vfio-impact groups', () => {
  it('--validate --format json: per-host results and the exact-match rate', async () => {
    const r = await groups([LINUXHW, '--validate', '--format', 'json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.summary).toEqual({ hosts: 46, withDumpGroups: 22, readable: 17, matched: 17, exactMatchRate: 1 });
    const r730 = out.hosts.find((h: { host: string }) => h.host === 'server-dell-poweredge-r730xd-e377f45b46');
    expect(r730).toMatchObject({ result: 'match', groupSource: 'dump', confidence: 'certain', differences: [] });
    expect(r730.file).toBe(resolve(LINUXHW, 'server-dell-poweredge-r730xd-e377f45b46.lspci.txt'));
    expect(out.hosts.every((h: { result: string }) => ['match', 'insufficient'].includes(h.result))).toBe(true);
    expect(r.stderr).toMatch(/exact match: 17 of 17 hosts/);
  });

  it('text: derived groups with the rule that placed each device', async () => {
    const r = await groups([resolve(LINUXHW, 'notebook-ibm-thinkpad-t42-2373cs8-79787555b2.lspci.txt')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\(notebook-ibm-thinkpad-t42-2373cs8-79787555b2\): 5 groups derived\n/);
    expect(r.stdout).toContain('      0000:02:01.0  DMA alias of conventional PCI bridge 0000:00:1e.0\n');
  });

  it('csv: one row per device with its group source', async () => {
    const r = await groups([resolve(LINUXHW, 'desktop-hp-elitedesk-800-g3-sff-20ecceae5e.lspci.txt'), '--format', 'csv']);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('file,host,group_source,confidence,group,device,placement,reason');
    expect(lines.filter((l) => l.includes(',dump,certain,6,'))).toHaveLength(
      lines.filter((l) => /,0000:00:1f\.\d,/.test(l)).length,
    );
  });

  it('--acs-override with a bad token is a usage error (exit 2)', async () => {
    await expect(groups([LINUXHW, '--acs-override', 'downstream,bogus'])).rejects.toThrow(CliError);
    await expect(groups([LINUXHW, '--acs-override', 'downstream,bogus'])).rejects.toThrow("bad token 'bogus'");
  });

  it('--acs-override changes derived groups of a dump without group lines', async () => {
    const file = resolve(LINUXHW, 'desktop-asrock-b450m-pro4-r2-0-72bef012be.lspci.txt');
    const plain = JSON.parse((await groups([file, '--format', 'json'])).stdout).hosts[0];
    const over = JSON.parse((await groups([file, '--format', 'json', '--acs-override', 'downstream,multifunction'])).stdout).hosts[0];
    expect(plain.groupSource).toBe('derived');
    expect(plain.confidence).toBe('low');
    expect(over.groups.length).toBeGreaterThan(plain.groups.length);
    expect(over.reason).toMatch(/pcie_acs_override=downstream,multifunction simulated/);
  });
});
