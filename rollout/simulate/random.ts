/*
 * Seeded randomness for the simulator: nothing here reads a clock or Math.random, so the same
 * seed gives the same run on any machine. Draws that belong to one host are keyed by its index
 * (counter-based), not taken from one shared stream, so two policies simulated with the same
 * seed see the same hosts take the same time to patch: their difference is the policy's alone.
 */

const TWO_32 = 4294967296;

/** A 32-bit mix of up to four integers (murmur3's finaliser between rounds). */
export function hash32(a: number, b = 0, c = 0, d = 0): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h = round(round(round(h, b), c), d);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function round(h: number, word: number): number {
  const x = Math.imul((h ^ (h >>> 16)) ^ word, 0xcc9e2d51);
  return Math.imul((x << 15) | (x >>> 17), 0x1b873593);
}

/** A uniform draw in [0, 1) fixed by its key: the same key always gives the same number. */
export function unitAt(a: number, b = 0, c = 0, d = 0): number {
  return hash32(a, b, c, d) / TWO_32;
}

/** mulberry32: small, fast and good enough for a simulation; returns draws in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    return mix(state);
  };
}

/**
 * The same generator with its state kept in a typed array, one slot per host, so a million
 * hosts cost four bytes each rather than a closure each.
 */
export function nextUnit(states: Uint32Array, slot: number): number {
  const state = ((states[slot] ?? 0) + 0x6d2b79f5) >>> 0;
  states[slot] = state;
  return mix(state);
}

function mix(state: number): number {
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / TWO_32;
}

/** A standard normal from two uniforms (Box-Muller). */
export function standardNormal(u1: number, u2: number): number {
  return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
}

/** Log-normal around a median: durations and latencies are skewed to the right, never negative. */
export function logNormal(median: number, spread: number, u1: number, u2: number): number {
  return spread === 0 ? median : median * Math.exp(spread * standardNormal(u1, u2));
}

/**
 * Trials up to and including the first success when each succeeds with probability p (at least
 * 1; Infinity when p is 0). One uniform draw stands for the whole run of failures before it, which
 * is what lets the simulator skip a healthy host's uneventful checks.
 */
export function geometric(p: number, u: number): number {
  if (p <= 0) return Number.POSITIVE_INFINITY;
  if (p >= 1) return 1;
  return 1 + Math.floor(Math.log(1 - u) / Math.log(1 - p));
}
