// Hand-built analyses for the TUI component tests, folded by the real policy Tally so the summary
// numbers are the ones the pipeline would produce from these judgements.

import { Tally, loadAnalysis, type LoadedAnalysis as Analysis } from '../../../src/policy/analysis.js';
import type { DeclarationTimeline } from '../../../src/policy/declarations.js';
import type { GroupJudgement, HostJudgement, JudgedDevice, Scope, Verdict } from '../../../src/policy/model.js';
import type { FlagChange, Patch, Series } from '../../../src/series/model.js';

/** Input strings that try to drive the terminal: SGR colour and an OSC window-title set. */
export const ESC_SUBJECT = 'PCI: shpchp: \x1b[31mdeclare\x1b[0m driver_managed_dma \x1b]0;pwned-title\x07now';
export const ESC_DESCRIPTION = 'Evil \x1b[31mRed\x1b[0m NIC \x1b]0;pwned-title\x07rev 01';

const pass = (reason: string) => ({ pass: true, reason });
const block = (reason: string) => ({ pass: false, reason });

export function device(p: Partial<JudgedDevice> & { bdf: string }): JudgedDevice {
  return {
    classCode: '0200',
    className: 'Ethernet controller',
    description: 'Intel Corporation Ethernet Controller',
    headerType: 'normal',
    driver: 'vfio-pci',
    driverKnown: true,
    dumpDriver: p.driver ?? 'vfio-pci',
    declared: true,
    old: pass('vfio driver'),
    base: pass('vfio-pci declares driver_managed_dma'),
    final: pass('vfio-pci declares driver_managed_dma'),
    ...p,
  };
}

function transition(old: Verdict, final: Verdict): GroupJudgement['change'] {
  if (old === 'viable' && final === 'blocked') return 'regressed';
  if (old === 'blocked' && final === 'viable') return 'fixed';
  if (old !== final && (old === 'unknown' || final === 'unknown')) return 'undetermined';
  return null;
}

export function group(
  p: Partial<GroupJudgement> & { group: string; scope: Scope; judged: JudgedDevice[]; old: Verdict; base: Verdict; afterPatch: Verdict[] },
): GroupJudgement {
  const final = p.afterPatch[p.afterPatch.length - 1] ?? p.base;
  const change = p.change !== undefined ? p.change : transition(p.old, final);
  return {
    devices: p.judged.map((d) => d.bdf),
    final,
    change,
    patch: null,
    blocking: [],
    undecided: [],
    remedy: change === null ? null : 'remedy text',
    ...p,
  };
}

export function host(id: string, platform: string, groups: GroupJudgement[], p: Partial<HostJudgement> = {}): HostJudgement {
  return {
    host: id,
    file: `/work/shared/corpora/linuxhw/${id}.lspci.txt`,
    platform,
    groupSource: 'dump',
    groupConfidence: 'certain',
    groupReason: null,
    groups,
    ...p,
  };
}

function flag(patchIndex: number, driver: string | null, file: string, struct: string): FlagChange {
  return {
    patchIndex,
    file,
    struct,
    structType: 'pci_driver',
    driver,
    flag: 'driver_managed_dma',
    action: 'added',
    value: true,
    resolvedBy: driver === null ? 'unresolved' : 'hunk',
    line: 20,
  };
}

function patch(index: number, subject: string, changes: FlagChange[]): Patch {
  return {
    index,
    number: index,
    total: 2,
    subject,
    source: `corpora/series/example/000${index}.patch`,
    commit: null,
    cover: false,
    files: changes.map((c) => c.file),
    changes,
    ruleChanges: [],
  };
}

export function exampleSeries(subject2 = ESC_SUBJECT): Series {
  return {
    title: 'PCI: let bridge drivers declare driver_managed_dma',
    patches: [
      {
        index: 0,
        number: 0,
        total: 2,
        subject: 'PCI: let bridge drivers declare driver_managed_dma',
        source: 'corpora/series/example/0000-cover-letter.patch',
        commit: null,
        cover: true,
        files: [],
        changes: [],
        ruleChanges: [],
      },
      patch(1, 'PCI/portdrv: Set driver_managed_dma', [flag(1, 'pcieport', 'drivers/pci/pcie/portdrv.c', 'pcie_portdriver')]),
      patch(2, subject2, [flag(2, 'shpchp', 'drivers/pci/hotplug/shpchp_core.c', 'shpc_driver')]),
    ],
    diagnostics: [],
  };
}

/** Fold judgements the way the pipeline does (Tally reads only these timeline fields). */
export function analysisOf(series: Series, hosts: HostJudgement[]): Analysis {
  const patches = series.patches.filter((p) => !p.cover);
  const timeline = {
    patchIndexes: patches.map((p) => p.index),
    subjects: new Map(patches.map((p) => [p.index, p.subject])),
    unresolved: patches.flatMap((p) => p.changes.filter((c) => c.driver === null)),
    notApplied: [],
  } as unknown as DeclarationTimeline;
  const tally = new Tally(series, timeline);
  for (const h of hosts) tally.add(h);
  return loadAnalysis(tally.result());
}

/** A CardBus bridge bound to yenta_cardbus blocks a Dell Latitude D620 group (new rule, spec §2.2). */
export function dellD620(): HostJudgement {
  return host('notebook-dell-latitude-d620-0123456789', 'Dell Latitude D620', [
    group({
      group: '9',
      scope: 'potential',
      old: 'viable',
      base: 'blocked',
      afterPatch: ['blocked', 'blocked'],
      judged: [
        device({
          bdf: '0000:03:01.0',
          classCode: '0607',
          className: 'CardBus bridge',
          description: 'Texas Instruments PCIxx21/x515 Cardbus Controller [104c:8031]',
          headerType: 'cardbus',
          driver: 'yenta_cardbus',
          dumpDriver: 'yenta_cardbus',
          declared: false,
          old: pass('bridge, header type 2, any driver'),
          base: block('yenta_cardbus does not declare driver_managed_dma'),
          final: block('yenta_cardbus does not declare driver_managed_dma'),
        }),
        device({
          bdf: '0000:03:01.4',
          classCode: '0c00',
          className: 'FireWire (IEEE 1394)',
          description: 'Texas Instruments PCIxx21 Integrated FireWire Controller [104c:8032]',
          dumpDriver: 'firewire_ohci',
        }),
      ],
      blocking: [
        {
          bdf: '0000:03:01.0',
          driver: 'yenta_cardbus',
          before: 'bridge, header type 2, any driver',
          now: 'yenta_cardbus does not declare driver_managed_dma',
        },
      ],
      remedy:
        'unbind yenta_cardbus from bridge 0000:03:01.0 or bind it to pci-stub (driver_override), as commit 70693f470848 advises',
    }),
  ]);
}

/** An RCEC (header type 0) on pcieport: blocked by the old rule, fixed once patch 1 declares pcieport. */
export function asusX570(): HostJudgement {
  return host('desktop-asus-prime-x570-pro-02dec94612', 'ASUSTek Computer PRIME X570-PRO', [
    group({
      group: '4',
      scope: 'potential',
      old: 'blocked',
      base: 'blocked',
      afterPatch: ['viable', 'viable'],
      patch: 1,
      judged: [
        device({
          bdf: '0000:00:08.1',
          classCode: '0807',
          className: 'Root Complex Event Collector',
          description: 'Advanced Micro Devices, Inc. [AMD] Starship/Matisse RCEC',
          driver: 'pcieport',
          dumpDriver: 'pcieport',
          declared: true,
          old: block('header type 0 and pcieport is not pci-stub'),
          base: block('pcieport does not declare driver_managed_dma'),
          final: pass('pcieport declares driver_managed_dma'),
        }),
      ],
      blocking: [
        {
          bdf: '0000:00:08.1',
          driver: 'pcieport',
          before: 'header type 0 and pcieport is not pci-stub',
          now: 'pcieport declares driver_managed_dma',
        },
      ],
      remedy: 'none needed: the group becomes assignable',
    }),
    group({
      group: '13',
      scope: 'actual',
      old: 'viable',
      base: 'viable',
      afterPatch: ['viable', 'viable'],
      judged: [device({ bdf: '0000:0f:00.0', className: 'VGA compatible controller' })],
    }),
  ]);
}

/** A host whose device name and platform carry escape sequences, regressed in the actual scope. */
export function evilHost(): HostJudgement {
  return host('evil-\x1b[2Jhost', 'Evil\x1b[31m Corp Board 9', [
    group({
      group: '21',
      scope: 'actual',
      old: 'viable',
      base: 'blocked',
      afterPatch: ['blocked', 'blocked'],
      patch: null,
      judged: [
        device({ bdf: '0000:05:00.0' }),
        device({
          bdf: '0000:05:00.1',
          description: ESC_DESCRIPTION,
          driver: 'e1000e',
          dumpDriver: 'e1000e',
          declared: false,
          old: pass('bridge, header type 1, any driver'),
          base: block('e1000e does not declare driver_managed_dma'),
          final: block('e1000e does not declare driver_managed_dma'),
          headerType: 'bridge',
        }),
      ],
      blocking: [
        { bdf: '0000:05:00.1', driver: 'e1000e', before: 'bridge, header type 1', now: 'e1000e does not declare driver_managed_dma' },
      ],
      remedy: 'bind 0000:05:00.1 to vfio-pci or pci-stub',
    }),
  ]);
}

/** A host whose binding the listing does not show: undetermined. */
export function listingOnly(): HostJudgement {
  return host(
    'forum-listing-only',
    'unknown platform',
    [
      group({
        group: '2',
        scope: 'actual',
        old: 'viable',
        base: 'unknown',
        afterPatch: ['unknown', 'unknown'],
        judged: [
          device({ bdf: '0000:00:02.0', driverKnown: false, driver: null, dumpDriver: null, declared: null, className: null, classCode: null }),
        ],
        blocking: [{ bdf: '0000:00:02.0', driver: null, before: 'binding not shown by the input', now: 'binding not shown by the input' }],
        undecided: ['0000:00:02.0'],
      }),
    ],
    { groupSource: 'derived', groupConfidence: 'low', groupReason: 'capabilities not readable' },
  );
}

/** `n` extra hosts, each with one regressed group blocked by snd_hda_intel: for scrolling. */
export function fillerHosts(n: number): HostJudgement[] {
  return Array.from({ length: n }, (_, i) =>
    host(`filler-${String(i).padStart(2, '0')}`, `Gigabyte Board ${i}`, [
      group({
        group: String(30 + i),
        scope: 'potential',
        old: 'viable',
        base: 'blocked',
        afterPatch: ['blocked', 'blocked'],
        judged: [device({ bdf: '0000:00:1f.3', driver: 'snd_hda_intel', declared: false, className: 'Audio device' })],
        blocking: [{ bdf: '0000:00:1f.3', driver: 'snd_hda_intel', before: 'vfio driver', now: 'snd_hda_intel does not declare driver_managed_dma' }],
      }),
    ]),
  );
}

export function exampleAnalysis(extra: HostJudgement[] = []): Analysis {
  return analysisOf(exampleSeries(), [dellD620(), asusX570(), evilHost(), listingOnly(), ...extra]);
}

/** True when a frame carries no byte of a terminal control sequence. */
export function hasNoControl(frame: string): boolean {
  // eslint-disable-next-line no-control-regex
  return !/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(frame);
}
