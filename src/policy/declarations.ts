// Which drivers declare driver_managed_dma before the series and after each of its patches.
// Issue rule: for drivers the series touches, the state on the `-` side before the first patch
// that touches them and on the `+` side after each patch; for every other driver, the target
// kernel's declared table (spec §4). All three spellings count alike (spec §2.5).

import type { FlagChange, RuleChange, Series } from '../series/model.js';
import type { PolicyTables } from './tables.js';

export interface DeclarationState {
  /** Is this driver declared? Drivers the series never touches fall back to the table. */
  declares(driver: string): boolean;
  /** Where the answer comes from, for explanations. */
  why(driver: string): string;
}

export interface DeclarationTimeline {
  /** Before the series. */
  base: DeclarationState;
  /** After patch i+1 (cumulative). */
  afterPatch: DeclarationState[];
  /** Drivers whose declaration the series changes, with the patch indexes that touch them. */
  touched: Map<string, number[]>;
  /** Flag changes that could not be tied to a driver: they cannot be applied. */
  unresolved: FlagChange[];
  /** Allow-list strings the series adds (they extend the OLD rule, per the issue). */
  allowListAdded: string[];
  /** Rule changes reported but not applied (allow-list removals, header-exemption edits). */
  notApplied: RuleChange[];
  /** Patch subjects by index, for attribution. */
  subjects: Map<number, string>;
  /** `afterPatch[i]` is the state after the patch whose index is `patchIndexes[i]`. */
  patchIndexes: number[];
}

/**
 * The declaration a patch leaves on the `+` side for one driver: any added line decides
 * (a `= false` line un-declares); a patch that only removes lines leaves the flag unset (false).
 */
function plusSide(changes: FlagChange[]): boolean {
  const added = changes.filter((c) => c.action === 'added');
  if (added.length === 0) return false;
  return added.some((c) => c.value) && !added.some((c) => !c.value);
}

/** The `-` side: declared before if a removed line set it to true. */
function minusSide(changes: FlagChange[]): boolean {
  return changes.some((c) => c.action === 'removed' && c.value);
}

export function buildTimeline(series: Series, tables: PolicyTables): DeclarationTimeline {
  const touched = new Map<string, number[]>();
  const unresolved: FlagChange[] = [];
  const allowListAdded: string[] = [];
  const notApplied: RuleChange[] = [];
  const subjects = new Map<number, string>();
  // Per patch, per driver, the changes.
  const perPatch: Array<Map<string, FlagChange[]>> = [];
  const patches = series.patches.filter((p) => !p.cover);
  for (const patch of patches) {
    subjects.set(patch.index, patch.subject);
    const byDriver = new Map<string, FlagChange[]>();
    for (const change of patch.changes) {
      if (change.driver === null) {
        unresolved.push(change);
        continue;
      }
      const list = byDriver.get(change.driver) ?? [];
      list.push(change);
      byDriver.set(change.driver, list);
      const idx = touched.get(change.driver) ?? [];
      if (!idx.includes(patch.index)) idx.push(patch.index);
      touched.set(change.driver, idx);
    }
    // A rewritten array line shows as remove + add of the same string: only the net addition
    // extends the old rule. Removals and header-exemption edits are reported, not applied: the
    // old rule is the kernel before the series (issue 8).
    const removed = new Set(patch.ruleChanges.filter((r) => r.kind === 'allowlist-remove').map((r) => r.driver));
    for (const rule of patch.ruleChanges) {
      if (rule.kind === 'allowlist-add' && rule.driver !== null && !removed.has(rule.driver)) allowListAdded.push(rule.driver);
      else if (rule.kind !== 'allowlist-add' && !(rule.kind === 'allowlist-remove' && patch.ruleChanges.some((r) => r.kind === 'allowlist-add' && r.driver === rule.driver))) {
        notApplied.push(rule);
      }
    }
    perPatch.push(byDriver);
  }

  // State before the series: `-` side of the first patch touching each driver.
  const before = new Map<string, { declared: boolean; why: string }>();
  perPatch.forEach((byDriver, i) => {
    for (const [driver, changes] of byDriver) {
      if (before.has(driver)) continue;
      const declared = minusSide(changes);
      before.set(driver, {
        declared,
        why: `${driver} ${declared ? 'declares' : 'does not declare'} driver_managed_dma before patch ${patches[i]!.index} (its '-' side)`,
      });
    }
  });

  const fromTable = (driver: string) => tables.declared.has(driver);
  const tableWhy = (driver: string) =>
    fromTable(driver)
      ? `${driver} declares driver_managed_dma in ${tables.declaredLabel}`
      : `${driver} does not declare driver_managed_dma (not in ${tables.declaredLabel})`;

  const stateOf = (overrides: Map<string, { declared: boolean; why: string }>): DeclarationState => ({
    declares: (driver) => overrides.get(driver)?.declared ?? fromTable(driver),
    why: (driver) => overrides.get(driver)?.why ?? tableWhy(driver),
  });

  const base = stateOf(before);
  const afterPatch: DeclarationState[] = [];
  const current = new Map(before);
  perPatch.forEach((byDriver, i) => {
    for (const [driver, changes] of byDriver) {
      const declared = plusSide(changes);
      current.set(driver, {
        declared,
        why: `${driver} ${declared ? 'declares' : 'does not declare'} driver_managed_dma after patch ${patches[i]!.index} (its '+' side)`,
      });
    }
    afterPatch.push(stateOf(new Map(current)));
  });

  return { base, afterPatch, touched, unresolved, allowListAdded, notApplied, subjects, patchIndexes: patches.map((p) => p.index) };
}
