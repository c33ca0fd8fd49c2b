// Affected hosts, kept for the report without holding them in memory: past a small number they
// go to a temporary file (one JSON line each) and only a sort key and an offset stay in memory.
// So a corpus of any size needs the same memory; the report reads them back one at a time.

import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareImpact, type HostImpact, type ImpactList, type ImpactStore } from '../policy/analysis.js';

interface Entry {
  key: HostImpact; // only the sort fields are filled
  offset: number;
  length: number;
}

export class FileImpactStore implements ImpactStore {
  private memory: HostImpact[] = [];
  private entries: Entry[] | null = null;
  private fd: number | null = null;
  private dir: string | null = null;
  private size = 0;
  private readonly cleanup = () => this.close();

  /** @param inMemory affected hosts kept in memory before the store spills to a file */
  constructor(private readonly inMemory = 64) {}

  add(h: HostImpact): void {
    if (this.entries === null && this.memory.length < this.inMemory) {
      this.memory.push(h);
      return;
    }
    if (this.entries === null) this.spill();
    this.write({ ...h, changes: [] }, JSON.stringify(h));
  }

  addSerialized(key: HostImpact, json: string): void {
    if (this.entries === null && this.memory.length < this.inMemory) {
      this.memory.push(JSON.parse(json) as HostImpact);
      return;
    }
    if (this.entries === null) this.spill();
    this.write(key, json);
  }

  sorted(): ImpactList {
    if (this.entries === null) return [...this.memory].sort(compareImpact);
    const entries = [...this.entries].sort((a, b) => compareImpact(a.key, b.key));
    const fd = this.fd!;
    return {
      length: entries.length,
      *[Symbol.iterator]() {
        for (const e of entries) {
          const buf = Buffer.allocUnsafe(e.length);
          let read = 0;
          while (read < e.length) read += readSync(fd, buf, read, e.length - read, e.offset + read);
          yield JSON.parse(buf.toString('utf8')) as HostImpact;
        }
      },
    };
  }

  /** Remove the temporary file (also done at process exit). */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    if (this.dir !== null) rmSync(this.dir, { recursive: true, force: true });
    this.fd = null;
    this.dir = null;
    process.off('exit', this.cleanup);
  }

  private spill(): void {
    this.dir = mkdtempSync(join(tmpdir(), 'vfio-impact-hosts-'));
    this.fd = openSync(join(this.dir, 'affected-hosts.jsonl'), 'w+', 0o600);
    process.on('exit', this.cleanup);
    this.entries = [];
    const kept = this.memory;
    this.memory = [];
    for (const h of kept) this.write({ ...h, changes: [] }, JSON.stringify(h));
  }

  private write(key: HostImpact, json: string): void {
    const buf = Buffer.from(json + '\n', 'utf8');
    let written = 0;
    while (written < buf.length) written += writeSync(this.fd!, buf, written, buf.length - written, this.size + written);
    this.entries!.push({ key, offset: this.size, length: buf.length - 1 });
    this.size += buf.length;
  }
}
