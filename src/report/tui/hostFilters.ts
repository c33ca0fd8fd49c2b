// The host-list filters (scope, blocking driver, vendor) as pure functions over the analysis.
// Filtering works on changed groups, then drops hosts left without any, and re-sorts the rest by
// impact the way the policy stage does (regressions, then undetermined, then fixes).

import type { GroupChange, HostImpact } from '../../policy/analysis.js';
import type { Scope } from '../../policy/model.js';
import { sanitize } from '../../diagnostics/sanitize.js';

export type ScopeFilter = 'all' | Scope;
export const SCOPE_FILTERS: readonly ScopeFilter[] = ['all', 'actual', 'potential'];

export interface Filters {
  scope: ScopeFilter;
  /** Blocking driver name, NO_DRIVER for a blocking device whose driver is unknown, or null = any. */
  driver: string | null;
  /** Vendor (first word of the platform), or null = any. */
  vendor: string | null;
}

export const NO_FILTERS: Filters = { scope: 'all', driver: null, vendor: null };
export const NO_DRIVER = '(driver unknown)';

/**
 * The vendor a host's platform names. The platform is "<vendor> <model>" from the corpus manifest;
 * its first word is the vendor's short name (ASUSTek, Dell, Gigabyte...).
 */
export function vendorOf(platform: string): string {
  const trimmed = sanitize(platform).trim();
  if (trimmed === '' || trimmed === 'unknown platform') return 'unknown';
  return trimmed.split(/\s+/)[0] ?? 'unknown';
}

/** Drivers of the devices that decide a change: the ones the user would have to unbind or fix. */
export function blockingDrivers(change: GroupChange): string[] {
  return [...new Set(change.group.blocking.map((b) => b.driver ?? NO_DRIVER))];
}

export function driverChoices(hosts: readonly HostImpact[]): string[] {
  const all = new Set<string>();
  for (const h of hosts) for (const c of h.changes) for (const d of blockingDrivers(c)) all.add(d);
  return [...all].sort((a, b) => a.localeCompare(b));
}

export function vendorChoices(hosts: readonly HostImpact[]): string[] {
  return [...new Set(hosts.map((h) => vendorOf(h.platform)))].sort((a, b) => a.localeCompare(b));
}

/** The next value in `null, ...choices`, wrapping round: how a key cycles a filter. */
export function cycleChoice(choices: readonly string[], current: string | null): string | null {
  if (choices.length === 0) return null;
  if (current === null) return choices[0] ?? null;
  const i = choices.indexOf(current);
  return i < 0 || i === choices.length - 1 ? null : (choices[i + 1] ?? null);
}

export function nextScope(current: ScopeFilter): ScopeFilter {
  const i = SCOPE_FILTERS.indexOf(current);
  return SCOPE_FILTERS[(i + 1) % SCOPE_FILTERS.length] ?? 'all';
}

function keeps(change: GroupChange, f: Filters): boolean {
  if (f.scope !== 'all' && change.group.scope !== f.scope) return false;
  if (f.driver !== null && !blockingDrivers(change).includes(f.driver)) return false;
  return true;
}

export function applyFilters(hosts: readonly HostImpact[], f: Filters): HostImpact[] {
  const out: HostImpact[] = [];
  for (const h of hosts) {
    if (f.vendor !== null && vendorOf(h.platform) !== f.vendor) continue;
    const changes = h.changes.filter((c) => keeps(c, f));
    if (changes.length === 0) continue;
    out.push({
      ...h,
      changes,
      regressions: changes.filter((c) => c.change === 'regressed').length,
      fixes: changes.filter((c) => c.change === 'fixed').length,
      undetermined: changes.filter((c) => c.change === 'undetermined').length,
    });
  }
  return out.sort(
    (a, b) =>
      b.regressions - a.regressions ||
      b.undetermined - a.undetermined ||
      b.fixes - a.fixes ||
      a.host.localeCompare(b.host),
  );
}
