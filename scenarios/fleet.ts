import { hostLabels, type FleetGroup, type FleetShape } from '../rollout/fleets/host-labels.ts';
import { assignRings, PlanError, type HostSelector, type RingSpec } from '../rollout/engine/plan.ts';

export interface ScenarioFleet extends FleetShape {
  /** Seeds which hosts faults hit on the real fleet. */
  seed: number;
  /** The simulator's defaults; groups keep their share of the fleet at this size. */
  simulate: { hosts: number; seed: number };
}

/** Null when some group carries every wanted label, else what a message should say was expected. */
export function unmatchedLabels(wanted: Record<string, string>, groups: readonly FleetGroup[]): string | null {
  const pairs = Object.entries(wanted);
  if (groups.some((g) => pairs.every(([key, value]) => g.labels[key] === value))) return null;
  const known = groups.map((g) => formatLabels(g.labels)).join('; ');
  return `expected labels that a fleet group carries (${known || 'fleet.groups labels no host'}), got ${formatLabels(wanted)}`;
}

function formatLabels(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

/**
 * Rings that ask for more hosts than earlier rings can leave them, found without drawing any host,
 * so it is cheap at 100,000 hosts. It assumes the worst draw: a label ring takes every host its
 * labels match, as it would if no earlier ring had drawn one of them, so a count, percentage or
 * rest ring that passes here gets its hosts whatever the rollout's seed draws. `sizeField` names
 * where the size came from, `at(i)` ring i's field.
 */
export function demandProblems(
  rings: readonly RingSpec[],
  labels: readonly Readonly<Record<string, string>>[],
  sizeField: string,
  at: (ring: number) => string,
): string[] {
  const size = labels.length;
  let taken = 0;
  // Only the first shortfall: every ring after it is short because of it.
  for (const [i, ring] of rings.entries()) {
    const left = Math.max(size - taken, 0);
    const earlier = taken > 0 ? `, earlier rings can take ${Math.min(taken, size)}` : '';
    if (ring.hosts === 'rest') {
      return left === 0 ? [`${at(i)}: expected hosts left for "rest" (${sizeField} is ${size}${earlier})`] : [];
    }
    const wanted = requested(ring.hosts, size);
    if (wanted !== null && wanted > left) {
      return [`${at(i)}: expected at most ${left} hosts (${sizeField} is ${size}${earlier}), ring ${ring.name} asks for ${wanted}`];
    }
    taken += wanted ?? matching(ring.hosts, labels);
  }
  return [];
}

function matching(selector: HostSelector, labels: readonly Readonly<Record<string, string>>[]): number {
  if (selector === 'rest' || !('labels' in selector)) return 0;
  const wanted = Object.entries(selector.labels);
  return labels.filter((l) => wanted.every(([key, value]) => l[key] === value)).length;
}

/** Same rounding as assignRings: a percentage is of the whole fleet, rounded up. */
function requested(selector: HostSelector, size: number): number | null {
  if (selector === 'rest' || 'labels' in selector) return null;
  return 'count' in selector ? selector.count : Math.ceil((selector.percent / 100) * size);
}

/** The rings laid over these hosts as the rollout engine lays them: its problems, each at its ring. */
export function assignmentProblems(
  rings: readonly RingSpec[],
  labels: readonly Readonly<Record<string, string>>[],
  seed: string,
  at: (ring: number) => string,
): string[] {
  const hosts = labels.map((l, i) => ({ id: `host-${i}`, labels: { ...l }, version: '' }));
  try {
    // Label rings take what they match, so a count ring after one may get fewer hosts than it asks for.
    return assignRings(hosts, rings, seed).flatMap((members, i) => {
      const ring = rings[i];
      const wanted = ring ? requested(ring.hosts, hosts.length) : null;
      return ring && wanted !== null && members.length < wanted
        ? [`${at(i)}: expected at most ${members.length} hosts (what earlier rings leave), ring ${ring.name} asks for ${wanted}`]
        : [];
    });
  } catch (error) {
    if (!(error instanceof PlanError)) throw error;
    return error.problems.map((problem) => {
      const ring = rings.findIndex((r) => problem.startsWith(`ring ${r.name} `));
      return ring >= 0 ? `${at(ring)}: ${problem}` : `rings: ${problem}`;
    });
  }
}
