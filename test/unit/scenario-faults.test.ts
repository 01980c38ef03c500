import { describe, expect, it } from 'vitest';
import { selectFaultHosts, SIMULATOR_ONLY_FAULTS, type SelectableHost } from '../../rollout/fleets/faults.ts';

/** 16 hosts: even ones in paris, odd ones in lyon; 0-1 canary, 2-5 pilot, the rest broad. */
const fleet: SelectableHost[] = Array.from({ length: 16 }, (_, index) => ({
  index,
  labels: { site: index % 2 === 0 ? 'paris' : 'lyon' },
  ring: index < 2 ? 'canary' : index < 6 ? 'pilot' : 'broad',
}));

const sorted = (hosts: Set<number>) => [...hosts].sort((a, b) => a - b);

/**
 * The textbook generator. Holding selectFaultHosts to "host i gets mulberry32's (i + 1)-th draw"
 * keeps its picks from changing between releases, so a stored run replays.
 */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('selectFaultHosts', () => {
  it('an empty selector hits every host', () => {
    expect(sorted(selectFaultHosts({}, fleet, 1))).toEqual(fleet.map((h) => h.index));
  });

  it('labels, ring and indices narrow one another', () => {
    expect(sorted(selectFaultHosts({ ring: 'pilot' }, fleet, 1))).toEqual([2, 3, 4, 5]);
    expect(sorted(selectFaultHosts({ ring: 'pilot', labels: { site: 'lyon' } }, fleet, 1))).toEqual([3, 5]);
    expect(sorted(selectFaultHosts({ ring: 'pilot', labels: { site: 'lyon' }, indices: [5, 6] }, fleet, 1))).toEqual([5]);
    expect(sorted(selectFaultHosts({ indices: [3, 15, 40] }, fleet, 1))).toEqual([3, 15]);
    expect(selectFaultHosts({ labels: { site: 'nice' } }, fleet, 1).size).toBe(0);
  });

  it('a fraction is of the hosts the other filters leave', () => {
    const half = selectFaultHosts({ ring: 'broad', fraction: 0.5 }, fleet, 3);
    expect(half.size).toBe(5);
    expect([...half].every((i) => fleet[i]?.ring === 'broad')).toBe(true);
    expect(selectFaultHosts({ ring: 'canary', fraction: 0.25 }, fleet, 3).size).toBe(1);
  });

  it('each host is hit by probability on its own mulberry32 draw', () => {
    const next = mulberry32(42);
    const draws = fleet.map(() => next());
    const expected = fleet.filter((h) => (draws[h.index] ?? 1) < 0.3).map((h) => h.index);
    expect(sorted(selectFaultHosts({ probability: 0.3 }, fleet, 42))).toEqual(expected);
  });

  it('a fraction takes the hosts with the smallest draws', () => {
    const next = mulberry32(9);
    const draws = fleet.map(() => next());
    const expected = fleet
      .map((h) => h.index)
      .sort((a, b) => (draws[a] ?? 0) - (draws[b] ?? 0))
      .slice(0, 4);
    expect(sorted(selectFaultHosts({ fraction: 0.25 }, fleet, 9))).toEqual(expected.sort((a, b) => a - b));
  });

  it('narrowing a selector never changes whether another host is hit', () => {
    const all = selectFaultHosts({ probability: 0.5 }, fleet, 11);
    const paris = selectFaultHosts({ probability: 0.5, labels: { site: 'paris' } }, fleet, 11);
    expect(sorted(paris)).toEqual(sorted(all).filter((i) => i % 2 === 0));
  });

  it('different seeds hit different hosts, the same seed the same ones', () => {
    const picks = [1, 2, 3, 4].map((seed) => sorted(selectFaultHosts({ fraction: 0.5 }, fleet, seed)).join(','));
    expect(new Set(picks).size).toBeGreaterThan(1);
    expect(sorted(selectFaultHosts({ fraction: 0.5 }, fleet, 2)).join(',')).toBe(picks[1]);
  });

  it('scales to a simulated fleet', () => {
    const big = Array.from({ length: 100_000 }, (_, index) => ({ index, labels: {}, ring: 'broad' }));
    expect(selectFaultHosts({ fraction: 0.01 }, big, 7).size).toBe(1000);
    const hit = selectFaultHosts({ probability: 0.01 }, big, 7).size;
    expect(hit).toBeGreaterThan(900);
    expect(hit).toBeLessThan(1100);
  });

  it('tells the faults only the simulator can inject', () => {
    expect([...SIMULATOR_ONLY_FAULTS].sort()).toEqual(['check-noise', 'offline', 'slow-report']);
  });
});
