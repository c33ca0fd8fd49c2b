// What the policy stage says about one host: for every IOMMU group and scope, the verdict under
// the OLD rule (spec §1.1), the NEW rule without the series (spec §2.2), and the NEW rule after
// each patch of the series, applied cumulatively.

import type { HeaderType } from '../corpus/model.js';
import type { GroupSource } from '../topology/model.js';

/** A group is viable when user assignment may claim it (spec §1.2, §2.3). */
export type Verdict = 'viable' | 'blocked' | 'unknown';

/**
 * actual: groups the host already passes through (a device bound to a vfio driver or pci-stub).
 * potential: groups with at least one endpoint, judged as if every non-bridge device were rebound
 * to vfio-pci while bridges keep their drivers.
 */
export type Scope = 'actual' | 'potential';
export const SCOPES: readonly Scope[] = ['actual', 'potential'];

export type Change = 'regressed' | 'fixed' | 'undetermined';

/** One device of a judged group, with why each rule accepts or rejects it. */
export interface JudgedDevice {
  bdf: string;
  classCode: string | null;
  className: string | null;
  description: string;
  headerType: HeaderType | null;
  /** Driver as judged in this scope (potential scope: endpoints shown rebound to vfio-pci). */
  driver: string | null;
  driverKnown: boolean;
  /** The driver the dump shows (before any potential-scope rebinding). */
  dumpDriver: string | null;
  /** Whether the judged driver declares driver_managed_dma after the whole series; null if no driver / unknown. */
  declared: boolean | null;
  old: DeviceOutcome;
  /** Under the new rule without the series. */
  base: DeviceOutcome;
  /** Under the new rule with the whole series applied. */
  final: DeviceOutcome;
}

/** pass / block / unknown, with the reason in words a maintainer recognises. */
export interface DeviceOutcome {
  pass: boolean | null;
  reason: string;
}

export interface BlockingDevice {
  bdf: string;
  driver: string | null;
  /** Why it passed before, e.g. "bridge, header type 1, driver shpchp". */
  before: string;
  /** Why it fails now, e.g. "shpchp does not declare driver_managed_dma". */
  now: string;
}

export interface GroupJudgement {
  group: string;
  devices: string[];
  scope: Scope;
  old: Verdict;
  /** New rule, declarations as before the series. */
  base: Verdict;
  /** New rule after patch 1..n (index i = after patch i+1). */
  afterPatch: Verdict[];
  /** New rule after the whole series (= last of afterPatch, or base for an empty series). */
  final: Verdict;
  change: Change | null;
  /** Patch index (1-based) that made the final verdict, or null when the rule alone decides. */
  patch: number | null;
  /** Devices that decide the change (blocking for regressed, unblocked for fixed, unknown for undetermined). */
  blocking: BlockingDevice[];
  /** Devices whose binding the input does not show and that would decide the verdict. */
  undecided: string[];
  judged: JudgedDevice[];
  remedy: string | null;
}

export interface HostJudgement {
  host: string;
  file: string;
  platform: string;
  groupSource: GroupSource;
  groupConfidence: 'certain' | 'low';
  groupReason: string | null;
  /** Every (group, scope) the scopes select: not only the changed ones. */
  groups: GroupJudgement[];
}
