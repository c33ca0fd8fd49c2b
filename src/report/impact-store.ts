// Affected hosts, kept for the report without holding them in memory: past a small number they
// go to a temporary file (one JSON line each) and only a sort key and an offset stay in memory.
// So a corpus of any size needs the same memory; the report reads them back one at a time.

import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareImpact, decodeImpacts, encodeImpacts, type EncodedImpacts, type HostImpact, type ImpactList, type ImpactSortKey, type ImpactStore } from '../policy/analysis.js';

interface Entry {
  key: ImpactSortKey;
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
    this.addEncoded(encodeImpacts([h]));
  }

  addEncoded(e: EncodedImpacts): void {
    let first = 0;
    let at = 0;
    if (this.entries === null) {
      // Below the limit, hosts stay in memory as objects (decoded one at a time).
      for (const h of decodeImpacts(e)) {
        if (this.memory.length >= this.inMemory) break;
        this.memory.push(h);
        at += e.lengths[first]!;
        first++;
      }
      if (first === e.keys.length) return;
      this.spill();
    }
    // The rest of the block goes to the file in one write, as it came.
    const block = e.bytes.subarray(at);
    let written = 0;
    while (written < block.length) written += writeSync(this.fd!, block, written, block.length - written, this.size + written);
    for (let i = first; i < e.keys.length; i++) {
      this.entries!.push({ key: e.keys[i]!, offset: this.size, length: e.lengths[i]! - 1 });
      this.size += e.lengths[i]!;
    }
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
    if (kept.length > 0) this.addEncoded(encodeImpacts(kept));
  }
}
