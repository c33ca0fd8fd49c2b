// The parser's cheaper paths give what the plain forms they replace gave: formatBdf's lookup
// tables, the `(prog-if`/`(rev` search without lastIndexOf, the `Kernel modules:` split
// without split(), and the second-letter dispatch of body lines.

import { describe, expect, it } from 'vitest';
import { formatBdf } from '../../src/corpus/model.js';
import { parseNamesAndIds } from '../../src/corpus/device-line.js';
import { parseInput } from '../../src/corpus/parse.js';

describe('parser fast paths', () => {
  it('formatBdf matches toString(16) + padStart, inside and outside its tables', () => {
    const plain = (d: number, b: number, s: number, f: number): string =>
      `${d.toString(16).padStart(4, '0')}:${b.toString(16).padStart(2, '0')}:${s.toString(16).padStart(2, '0')}.${f.toString(16)}`;
    const values = [0, -0, 1, 7, 15, 16, 31, 255, 256, 0x10000, 0xffffffff, 1.5, -1];
    for (const d of values) for (const b of values) for (const s of [0, 31, 300, 2.5]) for (const f of [0, 7, 15, 16, -1]) {
      expect(formatBdf(d, b, s, f)).toBe(plain(d, b, s, f));
    }
  });

  it('strips the last ` (prog-if ` and then the last ` (rev ` before it', () => {
    const cases: [string, string, [string, string] | null][] = [
      ['A (prog-if 01) B [8086:1234] (rev 02) (prog-if 00 [Normal decode])', 'A (prog-if 01) B', ['8086', '1234']],
      ['X (rev 01) Y [10de:1B80] (rev a1)', 'X (rev 01) Y', ['10de', '1b80']],
      ['(rev 01) Name (rev 02)', '(rev 01) Name', null],
      ['Name(rev 02)', 'Name(rev 02)', null],
      ['8086:0c01 (rev 07)', '', ['8086', '0c01']],
      ['Device (prog-if 00)(prog-if 01)', 'Device', null],
    ];
    for (const [desc, name, ids] of cases) expect(parseNamesAndIds(desc)).toEqual({ name, ids });
  });

  it('reads the body lines a verbose block is judged by', () => {
    const text = [
      '00:1c.0 PCI bridge [0604]: Intel Corporation Device [8086:A110] (rev f1) (prog-if 00 [Normal decode])',
      '\tSubsystem: Dell Device [1028:07A1]',
      '\tControl: I/O+ Mem+ BusMaster+',
      '\tInterrupt: pin A routed to IRQ 120',
      '\tIOMMU group: 9',
      '\tBus: primary=00, secondary=01, subordinate=02, sec-latency=0',
      '\tI/O behind bridge: [disabled]',
      '\tMemory behind bridge: fcf00000-fcffffff [size=1M]',
      '\tDevCap: MaxPayload 256 bytes',
      '\tCapabilities: [40] Express (v2) Root Port (Slot+), MSI 00',
      '\tCapabilities: [220 v1] Access Control Services',
      '\t\tACSCap:\tSrcValid+ TransBlk- ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-',
      '\tKernel driver in use: pcieport',
      '\tKernel modules:  snd-hda-intel, ,sof_audio_pci ,x-y-z',
      '',
    ].join('\n');
    const d = parseInput(text, 'fast.lspci.txt').hosts[0]!.devices[0]!;
    expect(d.bdf).toBe('0000:00:1c.0');
    expect([d.vendorId, d.deviceId, d.subsystemVendorId, d.subsystemDeviceId]).toEqual(['8086', 'a110', '1028', '07a1']);
    expect([d.iommuGroup, d.primaryBus, d.secondaryBus, d.subordinateBus]).toEqual([9, 0, 1, 2]);
    expect([d.headerType, d.headerTypeEvidence, d.pcieType, d.hasAcs]).toEqual(['bridge', 'bus-line', 'root-port', true]);
    expect(d.acsCap?.sv).toBe(true);
    expect(d.driver).toBe('pcieport');
    expect(d.modules).toEqual(['snd_hda_intel', 'sof_audio_pci', 'x_y_z']);
  });
});
