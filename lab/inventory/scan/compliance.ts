import type { FirstSeen } from './first-seen.ts';
import { pendingCounts, type HostScan } from './host-scan.ts';
import { age } from './scan-table.ts';

/** One host's compliance, from its latest scan; null where the scan could not tell. */
export interface HostCompliance {
  host: string;
  groups: string[];
  /** No pending security update in a scan that worked. */
  compliant: boolean;
  securityPending: number | null;
  otherPending: number | null;
  /** When a scan first saw the oldest of its pending security updates (ISO). */
  oldestSecuritySince: string | null;
  /** The later of dpkg's last upgrade on the host and a rollout's patch of it (ISO). */
  lastPatchedAt: string | null;
  rebootPending: boolean | null;
  scannedAt: string;
  /** Why the scan failed, if it did. */
  problem: string | null;
}

export interface GroupCompliance {
  group: string;
  hosts: number;
  compliant: number;
  securityPending: number;
  oldestSecuritySince: string | null;
  rebootsPending: number;
  /** Hosts whose latest scan failed: not known to be compliant. */
  unscanned: number;
}

/** Hosts in no group of the inventory are shown under this name. */
export const NO_GROUP = '(no group)';

function later(a: string | null, b: string | null): string | null {
  if (a === null || b === null) return a ?? b;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

function earliest(times: readonly string[]): string | null {
  return times.length === 0 ? null : times.reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b));
}

/**
 * Compliance per host from the latest scans, the first-seen map beside them and when rollouts
 * patched each host (ms, by inventory name). Pure.
 */
export function hostCompliance(scans: readonly HostScan[], firstSeen: (host: string) => FirstSeen, patchedByRollouts: ReadonlyMap<string, number> = new Map()): HostCompliance[] {
  return scans.map((scan) => {
    const counts = scan.error ? undefined : pendingCounts(scan);
    const seen = firstSeen(scan.host);
    const security = (scan.pending ?? []).filter((p) => p.security).map((p) => seen[p.name] ?? scan.scannedAt);
    const byRollout = patchedByRollouts.get(scan.host);
    return {
      host: scan.host,
      groups: scan.groups,
      compliant: counts !== undefined && counts.security === 0,
      securityPending: counts?.security ?? null,
      otherPending: counts?.other ?? null,
      oldestSecuritySince: counts ? earliest(security) : null,
      lastPatchedAt: later(scan.lastPatchedAt ?? null, byRollout === undefined ? null : new Date(byRollout).toISOString()),
      rebootPending: scan.error ? null : (scan.rebootRequired ?? null),
      scannedAt: scan.scannedAt,
      problem: scan.error ? scan.error.message : null,
    };
  });
}

/** Compliance per group (a host counts in each of its groups), by group name. Pure. */
export function groupCompliance(hosts: readonly HostCompliance[]): GroupCompliance[] {
  const groups = new Map<string, HostCompliance[]>();
  for (const host of hosts) for (const group of host.groups.length > 0 ? host.groups : [NO_GROUP]) groups.set(group, [...(groups.get(group) ?? []), host]);
  return [...groups]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([group, members]) => ({
      group,
      hosts: members.length,
      compliant: members.filter((h) => h.compliant).length,
      securityPending: members.reduce((n, h) => n + (h.securityPending ?? 0), 0),
      oldestSecuritySince: earliest(members.flatMap((h) => (h.oldestSecuritySince ? [h.oldestSecuritySince] : []))),
      rebootsPending: members.filter((h) => h.rebootPending === true).length,
      unscanned: members.filter((h) => h.problem !== null).length,
    }));
}

/** "2026-12-07 11:54 UTC". Pure. */
export function utcMinute(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const yesNo = (value: boolean | null) => (value === null ? 'unknown' : value ? 'yes' : 'no');

export const HOST_COLUMNS = ['host', 'groups', 'compliant', 'security pending', 'other pending', 'oldest security pending since', 'age of oldest', 'last patched', 'reboot pending', 'scanned', 'problem'] as const;
export const GROUP_COLUMNS = ['group', 'hosts', 'compliant', 'security pending', 'oldest security pending since', 'age of oldest', 'reboots pending', 'not scanned'] as const;

/** A host's row as text, the same for the page and the CSV export. Pure. */
export function hostCells(h: HostCompliance, now: number): string[] {
  return [
    h.host,
    h.groups.join(', '),
    h.problem !== null ? 'unknown' : yesNo(h.compliant),
    h.securityPending === null ? 'unknown' : String(h.securityPending),
    h.otherPending === null ? 'unknown' : String(h.otherPending),
    h.oldestSecuritySince ? utcMinute(h.oldestSecuritySince) : 'none',
    h.oldestSecuritySince ? age(h.oldestSecuritySince, now) : 'none',
    h.lastPatchedAt ? utcMinute(h.lastPatchedAt) : 'unknown',
    yesNo(h.rebootPending),
    utcMinute(h.scannedAt),
    h.problem ?? '',
  ];
}

export function groupCells(g: GroupCompliance, now: number): string[] {
  return [
    g.group,
    String(g.hosts),
    `${g.compliant} of ${g.hosts}`,
    String(g.securityPending),
    g.oldestSecuritySince ? utcMinute(g.oldestSecuritySince) : 'none',
    g.oldestSecuritySince ? age(g.oldestSecuritySince, now) : 'none',
    String(g.rebootsPending),
    String(g.unscanned),
  ];
}
