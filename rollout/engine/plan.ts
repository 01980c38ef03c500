import { drawnOrder, repeatedIds } from './draw-order.ts';

/** An absolute number of hosts, or a percentage of some whole (the fleet, or a ring). */
export type Amount = { count: number } | { percent: number };

/**
 * Which hosts a ring takes from those earlier rings left over. A percentage is of the whole
 * fleet, so "pilot: 10%" means the same thing whatever canary took. 'rest' takes everything left.
 */
export type HostSelector = Amount | { labels: Record<string, string> } | 'rest';

export interface HealthGate {
  /** Compare patched hosts' check latency with unpatched hosts' at the end of the soak. */
  latency: boolean;
}

export interface RingSpec {
  name: string;
  hosts: HostSelector;
  /** How many hosts of this ring may be patching at the same moment; a percentage is of the ring. */
  concurrency: Amount;
  /** How many of this ring's hosts may fail before every patched host is rolled back; a percentage is of the ring. */
  failureBudget: Amount;
  /** How long the fully patched ring is watched before promotion, before the policy scales it. */
  soakMs: number;
  /** A release manager approves before the ring's first host is patched. */
  requiresApproval: boolean;
  healthGate: HealthGate;
}

export interface FleetHost {
  id: string;
  labels: Record<string, string>;
  /** What the host runs before the rollout; a rollback returns it here. */
  version: string;
}

const MINUTE = 60_000;

export const DEFAULT_RINGS: readonly RingSpec[] = [
  {
    name: 'canary',
    hosts: { percent: 1 },
    concurrency: { count: 1 },
    failureBudget: { count: 0 },
    soakMs: 30 * MINUTE,
    requiresApproval: false,
    healthGate: { latency: true },
  },
  {
    name: 'pilot',
    hosts: { percent: 10 },
    concurrency: { percent: 25 },
    failureBudget: { percent: 2 },
    soakMs: 120 * MINUTE,
    requiresApproval: true,
    healthGate: { latency: true },
  },
  {
    name: 'broad',
    hosts: 'rest',
    concurrency: { percent: 10 },
    failureBudget: { percent: 1 },
    soakMs: 60 * MINUTE,
    requiresApproval: false,
    // Once broad is patched no unpatched host is left to compare with.
    healthGate: { latency: false },
  },
];

/** The plan cannot be laid over this fleet; every problem is listed. */
export class PlanError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.length === 1 ? problems[0] : `rollout plan:\n  - ${problems.join('\n  - ')}`);
    this.name = 'PlanError';
  }
}

/**
 * Host ids per ring, in the order rings are listed. Count and percentage selectors draw hosts in
 * an order shuffled by a hash of the seed (draw-order.ts), so canaries are a spread of the fleet
 * rather than its alphabetical head, and the same seed always draws the same hosts.
 */
export function assignRings(hosts: readonly FleetHost[], rings: readonly RingSpec[], seed = ''): string[][] {
  return assignRingHosts(hosts, rings, seed).map((members) => members.map((h) => h.id));
}

/** The hosts of each ring themselves, as assignRings draws them. */
export function assignRingHosts<H extends FleetHost>(hosts: readonly H[], rings: readonly RingSpec[], seed = ''): H[][] {
  const repeated = repeatedIds(hosts, seed);
  const problems = repeated.map((id) => `host ${id} is listed twice`);
  problems.push(...duplicates(rings.map((r) => r.name)).map((name) => `ring ${name} is listed twice`));
  if (rings.length === 0) problems.push('a plan needs at least one ring');

  let remaining = drawnOrder(hosts, seed);
  const membership = rings.map((ring, index) => {
    if (ring.hosts === 'rest' && index !== rings.length - 1) {
      problems.push(`ring ${ring.name} takes the rest of the fleet, so it must be the last ring`);
    }
    const taken = select(remaining, ring.hosts, hosts.length);
    remaining = repeated.length > 0 ? withoutIdsOf(remaining, taken) : leftAfter(remaining, ring.hosts, taken.length);
    if (taken.length === 0) problems.push(`ring ${ring.name} selects no hosts`);
    return [...taken];
  });
  if (remaining.length > 0) {
    const some = remaining.slice(0, 3).map((h) => h.id).join(', ');
    problems.push(`${remaining.length} hosts are in no ring (${some}); end the plan with a ring that takes the rest`);
  }
  if (problems.length > 0) throw new PlanError(problems);
  return membership;
}

function select<H extends FleetHost>(remaining: readonly H[], selector: HostSelector, fleetSize: number): readonly H[] {
  if (selector === 'rest') return remaining;
  if ('labels' in selector) return remaining.filter((h) => hasLabels(h, selector.labels));
  // Rounded up, so a small fleet still gets one canary from "1%".
  const count = 'count' in selector ? selector.count : Math.ceil((selector.percent / 100) * fleetSize);
  return remaining.slice(0, count);
}

function hasLabels(host: FleetHost, labels: Record<string, string>): boolean {
  return Object.entries(labels).every(([key, value]) => host.labels[key] === value);
}

/** What a selector leaves of hosts whose ids are all different: the rest of the draw. */
function leftAfter<H extends FleetHost>(remaining: readonly H[], selector: HostSelector, taken: number): readonly H[] {
  if (selector === 'rest') return [];
  if ('labels' in selector) return remaining.filter((h) => !hasLabels(h, selector.labels));
  return remaining.slice(taken);
}

/** With an id listed twice, a ring takes every host of the ids it drew. */
function withoutIdsOf<H extends FleetHost>(remaining: readonly H[], taken: readonly H[]): readonly H[] {
  const takenIds = new Set(taken.map((h) => h.id));
  return remaining.filter((h) => !takenIds.has(h.id));
}

/** Hosts patched at once in a ring: at least one, or the ring never moves. */
export function resolveConcurrency(amount: Amount, ringSize: number): number {
  const hosts = 'count' in amount ? amount.count : Math.ceil((amount.percent / 100) * ringSize);
  return Math.max(1, Math.min(Math.floor(hosts), Math.max(ringSize, 1)));
}

/** Failed hosts a ring tolerates; a percentage rounds down, the cautious way. */
export function resolveFailureBudget(amount: Amount, ringSize: number): number {
  const hosts = 'count' in amount ? amount.count : (amount.percent / 100) * ringSize;
  return Math.max(0, Math.floor(hosts));
}

function duplicates(values: readonly string[]): string[] {
  const seen = new Set<string>();
  return [...new Set(values.filter((v) => seen.size === seen.add(v).size))];
}
