import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { FileImpactStore } from '../../src/report/impact-store.js';
import { encodeImpacts, MemoryImpactStore, type HostImpact } from '../../src/policy/analysis.js';

function impact(host: string, regressions: number, undetermined: number, fixes: number): HostImpact {
  return {
    host,
    file: `${host}.txt`,
    platform: 'Acme Board "quoted" \u00e9',
    groupSource: 'dump',
    groupConfidence: 'certain',
    groupReason: null,
    regressions,
    fixes,
    undetermined,
    changes: [],
  };
}

describe('FileImpactStore', () => {
  const hosts = [impact('c', 1, 0, 0), impact('a', 2, 0, 0), impact('b', 1, 1, 0), impact('d', 0, 0, 3), impact('e', 1, 0, 0)];

  it('spills past its in-memory limit and reads back the same hosts in the same order as the memory store', () => {
    const file = new FileImpactStore(2);
    const memory = new MemoryImpactStore();
    for (const h of hosts) {
      file.add(h);
      memory.add(h);
    }
    const fromFile = file.sorted();
    expect(fromFile.length).toBe(5);
    expect(Array.isArray(fromFile)).toBe(false); // it really went to the file
    expect([...fromFile]).toEqual(memory.sorted());
    expect([...fromFile].map((h) => h.host)).toEqual(['a', 'b', 'c', 'e', 'd']);
    // Iterable more than once (text report, then gate entries).
    expect([...fromFile]).toEqual([...fromFile]);
    const dir = (file as unknown as { dir: string }).dir;
    expect(existsSync(dir)).toBe(true);
    file.close();
    expect(existsSync(dir)).toBe(false);
  });

  it('hosts that arrive encoded (from a worker), in blocks across the spill point, read back the same as objects', () => {
    const viaBlocks = new FileImpactStore(3);
    const viaObject = new FileImpactStore(3);
    const memory = new MemoryImpactStore();
    // Blocks of 2, 0, 3: the spill happens inside the third block.
    for (const block of [hosts.slice(0, 2), [], hosts.slice(2)]) {
      viaBlocks.addEncoded(encodeImpacts(block));
      memory.addEncoded(encodeImpacts(block));
    }
    for (const h of hosts) viaObject.add(h);
    const fromBlocks = viaBlocks.sorted();
    expect(Array.isArray(fromBlocks)).toBe(false);
    expect([...fromBlocks].map((h) => h.host)).toEqual(['a', 'b', 'c', 'e', 'd']);
    expect([...fromBlocks]).toEqual([...viaObject.sorted()]);
    expect([...fromBlocks]).toEqual(memory.sorted());
    // Multi-byte text (the platform holds é) keeps its byte lengths right.
    expect([...fromBlocks][0]!.platform).toBe('Acme Board "quoted" \u00e9');
    viaBlocks.close();
    viaObject.close();
  });

  it('below the limit it stays in memory', () => {
    const file = new FileImpactStore(10);
    for (const h of hosts) file.add(h);
    expect(Array.isArray(file.sorted())).toBe(true);
  });
});
