// Judge every IOMMU group of one host under the old rule, the new rule without the series, and
// the new rule after each patch. Pure: a host and its groups in, judgements out.
//
// A device whose binding (or header type) the input does not show is judged over every binding
// it could have ("worlds"); a group whose verdict depends on that is `unknown`, and a change that
// depends on it is `undetermined`, naming the devices that would decide it (issue 8: never treat
// an unknown binding as "no driver").

import type { Device, Host, HeaderType } from '../corpus/model.js';
import type { HostGroups, IommuGroup } from '../topology/model.js';
import type { DeclarationState, DeclarationTimeline } from './declarations.js';
import type {
  BlockingDevice,
  Change,
  DeviceOutcome,
  GroupJudgement,
  HostJudgement,
  JudgedDevice,
  Scope,
  Verdict,
} from './model.js';
import { isBridgeHeader, isVfioDriver, newRule, oldRule, type OldRuleContext } from './rules.js';
import type { PolicyTables } from './tables.js';

/**
 * Drivers that bind bridge headers (spec §5.1): only these are considered as possible bindings of
 * a bridge whose driver the input does not show, and never for a normal-header device.
 */
const BRIDGE_DRIVERS = new Set(['pcieport', 'shpchp', 'yenta_cardbus', 'bcm63xx_cardbus']);
/** Stands for "some other driver": not declared, not allow-listed, not vfio. */
const OTHER_DRIVER = '<other driver>';

const MAX_OUTCOME_MEMO = 4096;

export interface JudgeOptions {
  scopes: readonly Scope[];
}

interface World {
  readonly header: HeaderType;
  readonly driver: string | null;
}

/** The one world of every normal-header device in the potential scope (shared: read only). */
const REBOUND_TO_VFIO: World = { header: 'normal', driver: 'vfio-pci' };

/** One device as the rules see it in a scope: its possible worlds and outcomes per state. */
interface DeviceEval {
  device: Device | null;
  bdf: string;
  worlds: World[];
  /** outcomes[w][0] = old, [1] = base, [2..] = after patch i (shared: never written). */
  outcomes: ReadonlyArray<readonly DeviceOutcome[]>;
  known: boolean;
  judgedDriver: string | null;
}

export class Judge {
  private readonly oldCtx: OldRuleContext;
  private readonly states: DeclarationState[];
  private readonly candidateDrivers: string[];
  /**
   * By header type, then driver: two plain look-ups. A joined `header\ndriver` key would be a
   * new string to build and hash for every device of every group.
   */
  private readonly outcomeMemo: Record<HeaderType, Map<string | null, readonly DeviceOutcome[]>> = {
    normal: new Map(),
    bridge: new Map(),
    cardbus: new Map(),
  };

  constructor(
    readonly tables: PolicyTables,
    readonly timeline: DeclarationTimeline,
    readonly options: JudgeOptions,
  ) {
    this.oldCtx = { tables, allowListAdded: timeline.allowListAdded };
    this.states = [timeline.base, ...timeline.afterPatch];
    // Bindings an unknown device could have: no driver, vfio, the allow-list, every driver the
    // series touches, and "some other driver".
    const set = new Set<string>(['vfio-pci', ...tables.oldAllowList.keys(), ...timeline.allowListAdded]);
    for (const d of timeline.touched.keys()) set.add(d);
    for (const d of BRIDGE_DRIVERS) set.add(d);
    set.add(OTHER_DRIVER);
    this.candidateDrivers = [...set];
  }

  judgeHost(host: Host, groups: HostGroups): HostJudgement {
    const byBdf = new Map<string, Device>();
    for (const d of host.devices) byBdf.set(d.bdf, d);
    const out: GroupJudgement[] = [];
    for (const group of groups.groups) {
      const members = group.devices.map((bdf) => byBdf.get(bdf) ?? null);
      for (const scope of this.options.scopes) {
        if (!this.inScope(members, scope)) continue;
        out.push(this.judgeGroup(group, members, scope));
      }
    }
    const vendor = host.metadata['vendor'] ?? '';
    const model = host.metadata['model'] ?? '';
    return {
      host: host.id,
      file: host.file,
      platform: `${vendor} ${model}`.trim() || 'unknown platform',
      groupSource: groups.source,
      groupConfidence: groups.confidence,
      groupReason: groups.reason,
      groups: out,
    };
  }

  /**
   * actual: a device bound to a vfio driver or pci-stub (the kernel's own allow-list, not strings a
   * series adds); potential: at least one endpoint, or a member that may be one.
   */
  private inScope(members: Array<Device | null>, scope: Scope): boolean {
    if (scope === 'actual') {
      return members.some(
        (d) =>
          d !== null &&
          d.driverKnown &&
          d.driver !== null &&
          (isVfioDriver(d.driver, this.tables) || this.tables.oldAllowList.has(d.driver)),
      );
    }
    // A member whose header type the input does not show (a bare sysfs listing) or that is missing
    // from the dump may be an endpoint: judge the group (it comes out undetermined), never skip it.
    return members.some((d) => d === null || d.headerType === 'normal' || d.headerType === null);
  }

  private worldsOf(device: Device | null, scope: Scope): World[] {
    const headers: HeaderType[] =
      device?.headerType != null ? [device.headerType] : ['normal', 'bridge'];
    const worlds: World[] = [];
    for (const header of headers) {
      // Potential scope: every non-bridge device rebound to vfio-pci; bridges keep their driver.
      if (scope === 'potential' && header === 'normal') {
        worlds.push(REBOUND_TO_VFIO);
        continue;
      }
      if (device !== null && device.driverKnown) {
        worlds.push({ header, driver: device.driver });
        continue;
      }
      worlds.push({ header, driver: null });
      for (const driver of this.candidateDrivers) {
        const bridgeDriver = BRIDGE_DRIVERS.has(driver);
        // pcieport also binds Root Complex Event Collectors (class 0807, header type 0; spec §1.1, §5.1).
        const rcecCandidate = driver === 'pcieport' && (device === null || device.classCode === null || device.classCode === '0807');
        if (header === 'normal' && bridgeDriver && !rcecCandidate) continue;
        // vfio-pci refuses non-normal headers (spec §4, vfio_pci_core_register_device).
        if (header !== 'normal' && isVfioDriver(driver, this.tables)) continue;
        worlds.push({ header, driver });
      }
    }
    return worlds;
  }

  /**
   * [old, base, after each patch] for one (header type, driver): pure in those two, so shared by
   * every device with the same pair (read-only). Corpus hosts repeat a few hundred drivers; the
   * memo is emptied past MAX_OUTCOME_MEMO pairs so a corpus of made-up names cannot grow it.
   */
  private outcomesOf(header: HeaderType, driver: string | null): readonly DeviceOutcome[] {
    const memo = this.outcomeMemo;
    const byDriver = memo[header];
    let o = byDriver.get(driver);
    if (o === undefined) {
      o = [oldRule(header, driver, this.oldCtx), ...this.states.map((s) => newRule(driver, s))];
      if (memo.normal.size + memo.bridge.size + memo.cardbus.size >= MAX_OUTCOME_MEMO) {
        memo.normal.clear();
        memo.bridge.clear();
        memo.cardbus.clear();
      }
      byDriver.set(driver, o);
    }
    return o;
  }

  private evalDevice(bdf: string, device: Device | null, scope: Scope): DeviceEval {
    const worlds = this.worldsOf(device, scope);
    const outcomes = worlds.map((w) => this.outcomesOf(w.header, w.driver));
    const known = worlds.length === 1;
    return { device, bdf, worlds, outcomes, known, judgedDriver: known ? worlds[0]!.driver : null };
  }

  private judgeGroup(group: IommuGroup, members: Array<Device | null>, scope: Scope): GroupJudgement {
    const evals = group.devices.map((bdf, i) => this.evalDevice(bdf, members[i] ?? null, scope));
    const nStates = this.states.length + 1;
    const old = groupVerdict(evals, 0);
    const base = groupVerdict(evals, 1);
    const afterPatch: Verdict[] = [];
    for (let s = 2; s < nStates; s++) afterPatch.push(groupVerdict(evals, s));
    const last = nStates - 1;
    const final = afterPatch.length > 0 ? afterPatch[afterPatch.length - 1]! : base;

    let change: Change | null = null;
    if (old === 'viable' && final === 'blocked') change = 'regressed';
    else if (old === 'blocked' && final === 'viable') change = 'fixed';
    else if ((old === 'unknown' || final === 'unknown') && changePossible(evals, last)) change = 'undetermined';

    const undecided = evals.filter((e) => !e.known).map((e) => e.bdf);
    const blocking: BlockingDevice[] = [];
    for (const e of evals) {
      if (!e.known) continue;
      // A known device has one world: outcome 0 is the old rule, `last` the series' final state.
      const o = e.outcomes[0]![0]!;
      const f = e.outcomes[0]![last]!;
      const decides =
        (change === 'regressed' && o.pass && !f.pass) ||
        (change === 'fixed' && !o.pass && f.pass) ||
        (change === 'undetermined' && !f.pass);
      if (decides) blocking.push({ bdf: e.bdf, driver: e.judgedDriver, before: o.reason, now: f.reason });
    }
    if (change === 'undetermined') {
      for (const bdf of undecided) {
        blocking.push({ bdf, driver: null, before: 'binding not shown by the input', now: 'binding not shown by the input' });
      }
    }

    return {
      group: group.id,
      devices: group.devices,
      scope,
      old,
      base,
      afterPatch,
      final,
      change,
      patch: attribute(base, afterPatch, this.timeline.patchIndexes),
      blocking,
      undecided,
      judged: evals.map((e) => this.judgedDevice(e, last)),
      remedy: change === null ? null : remedyFor(change, blocking, evals),
    };
  }

  private judgedDevice(e: DeviceEval, last: number): JudgedDevice {
    const d = e.device;
    const first = e.outcomes[0]!;
    const known = e.known;
    const driver = e.judgedDriver;
    return {
      bdf: e.bdf,
      classCode: d?.classCode ?? null,
      className: d?.className ?? null,
      description: d?.description ?? '(not in the dump)',
      headerType: d?.headerType ?? null,
      driver,
      driverKnown: known,
      dumpDriver: d?.driverKnown ? d.driver : null,
      // first[last] is newRule(driver, the last state): for a driver, pass is whether that state
      // declares it (rules.ts), so no second look-up.
      declared: known && driver !== null ? first[last]!.pass : null,
      old: known ? first[0]! : unknownOutcome(e, 0),
      base: known ? first[1]! : unknownOutcome(e, 1),
      final: known ? first[last]! : unknownOutcome(e, last),
    };
  }
}

/** A device of unknown binding in state i: its outcome if every world agrees, else undecided. */
function unknownOutcome(e: DeviceEval, i: number): DeviceOutcome {
  const passes = new Set(e.outcomes.map((o) => o[i]!.pass));
  return passes.size === 1 ? e.outcomes[0]![i]! : { pass: null, reason: 'depends on a binding the input does not show' };
}

/**
 * Can the change happen / must it? Regression: all devices can pass old, one can pass old and
 * fail final (`last`); fix: the other way round. One pass over every device's worlds.
 */
function changePossible(evals: DeviceEval[], last: number): boolean {
  let allPassOld = true;
  let allPassFinal = true;
  let oneRegresses = false;
  let oneFixes = false;
  for (const e of evals) {
    let passOld = false;
    let passFinal = false;
    for (const o of e.outcomes) {
      const before = o[0]!.pass;
      const after = o[last]!.pass;
      if (before) passOld = true;
      if (after) passFinal = true;
      if (before && !after) oneRegresses = true;
      if (after && !before) oneFixes = true;
    }
    if (!passOld) allPassOld = false;
    if (!passFinal) allPassFinal = false;
  }
  const canRegress = allPassOld && oneRegresses;
  const canFix = allPassFinal && oneFixes;
  return canRegress || canFix;
}

/** A group is viable when no device blocks; blocked when some device blocks in every world. */
function groupVerdict(evals: DeviceEval[], state: number): Verdict {
  let unknown = false;
  for (const e of evals) {
    let anyPass = false;
    let anyFail = false;
    for (const o of e.outcomes) {
      if (o[state]!.pass) anyPass = true;
      else anyFail = true;
    }
    if (!anyPass) return 'blocked';
    if (anyFail) unknown = true;
  }
  return unknown ? 'unknown' : 'viable';
}

/**
 * The patch that set the final verdict: the last one whose application changed it. null when the
 * verdict without the series already equals the final one (the rule change decides, not a patch,
 * even if the series changes it and changes it back).
 */
function attribute(base: Verdict, afterPatch: Verdict[], patchIndexes: number[]): number | null {
  if (afterPatch.length === 0 || base === afterPatch[afterPatch.length - 1]) return null;
  for (let i = afterPatch.length - 1; i >= 0; i--) {
    const before = i > 0 ? afterPatch[i - 1] : base;
    if (afterPatch[i] !== before) return patchIndexes[i] ?? null;
  }
  return null;
}

/** The remedy the kernel's own commit message names (70693f470848, spec §3.2). */
function remedyFor(change: Change, blocking: BlockingDevice[], evals: DeviceEval[]): string {
  if (change === 'fixed') return 'none needed: the group becomes assignable';
  if (change === 'undetermined') {
    return 'check the binding of the undecided devices (lspci -nnk) and rerun with a full dump';
  }
  // One sentence per blocking driver, naming all its devices.
  const bridges = new Map<string, string[]>();
  const endpoints = new Map<string, string[]>();
  for (const b of blocking) {
    if (b.driver === null) continue;
    const header = evals.find((x) => x.bdf === b.bdf)?.worlds[0]?.header;
    const into = header !== undefined && isBridgeHeader(header) ? bridges : endpoints;
    into.set(b.driver, [...(into.get(b.driver) ?? []), b.bdf]);
  }
  const parts: string[] = [];
  for (const [driver, bdfs] of bridges) {
    parts.push(
      `unbind ${driver} from bridge ${bdfs.join(', ')} or bind it to pci-stub (driver_override), as commit 70693f470848 advises; ` +
        `or declare driver_managed_dma in ${driver} if it does no DMA and no P2P-reachable MMIO`,
    );
  }
  for (const [driver, bdfs] of endpoints) {
    parts.push(`bind ${bdfs.join(', ')} to vfio-pci or pci-stub, or declare driver_managed_dma in ${driver} (as the mlx5/hisi fix did)`);
  }
  return parts.join('; ');
}
