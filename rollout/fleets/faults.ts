/**
 * Which hosts a fault hits. Filters narrow one another (AND); an empty selector hits every host.
 * `indices` are 0-based positions in the fleet, so the real fleet and the simulated one can name
 * the same host without knowing its id.
 */
export interface FaultSelector {
  /** Each host independently, by its own seeded draw. */
  probability?: number;
  /** Exactly round(fraction × n) of the n hosts the other filters leave, drawn by the seed. */
  fraction?: number;
  labels?: Record<string, string>;
  ring?: string;
  indices?: number[];
}

/**
 * Faults the fleet driver injects. The first five are what the real container fleet can do; the
 * last three describe the network and the checks at scale, for the simulator only.
 */
export type Fault =
  /** The patch leaves the service broken on these hosts. */
  | { kind: 'bad-package'; hosts: FaultSelector; effect: 'break-service' }
  /** The patch adds this much to every HTTP response on these hosts. */
  | { kind: 'latency'; hosts: FaultSelector; addMs: number }
  /** These hosts disappear while their patch is being applied. */
  | { kind: 'host-lost'; hosts: FaultSelector; when: 'mid-patch' }
  /** These hosts fail their first `failures` check runs after the patch, then pass. */
  | { kind: 'flaky'; hosts: FaultSelector; failures: number }
  /** These hosts' disk is full: dpkg cannot unpack the patch (No space left on device) and keeps the old version. */
  | { kind: 'disk-full'; hosts: FaultSelector }
  /** These hosts never answer: not patched, never checked. */
  | { kind: 'offline'; hosts: FaultSelector }
  /** These hosts' check results arrive this late. */
  | { kind: 'slow-report'; hosts: FaultSelector; delayMs: number }
  /** Each check result of these hosts is flipped (pass ↔ fail) with this probability. */
  | { kind: 'check-noise'; hosts: FaultSelector; flipProbability: number };

export const SIMULATOR_ONLY_FAULTS: ReadonlySet<Fault['kind']> = new Set(['offline', 'slow-report', 'check-noise']);

export interface SelectableHost {
  /** 0-based position in the fleet. */
  index: number;
  labels: Readonly<Record<string, string>>;
  /** The ring the rollout put the host in. */
  ring: string;
}

/**
 * The indices of the hosts a fault hits. Pure and seeded: the real driver and the simulator get
 * the same hosts for the same fleet and seed. Each host's draw depends on the seed and its index
 * only, so adding a filter never changes whether another host is hit, and the hosts a smaller
 * probability or fraction picks are among those a larger one picks.
 */
export function selectFaultHosts(selector: FaultSelector, hosts: readonly SelectableHost[], seed: number): Set<number> {
  const indices = selector.indices ? new Set(selector.indices) : null;
  const wanted = Object.entries(selector.labels ?? {});
  let chosen = hosts
    .filter((h) => (indices === null || indices.has(h.index)) && (selector.ring === undefined || h.ring === selector.ring))
    .filter((h) => wanted.every(([key, value]) => h.labels[key] === value))
    .map((h) => ({ index: h.index, draw: hostDraw(seed, h.index) }));
  const { probability, fraction } = selector;
  if (probability !== undefined) chosen = chosen.filter((h) => h.draw < probability);
  if (fraction !== undefined) {
    chosen = chosen.sort((a, b) => a.draw - b.draw || a.index - b.index).slice(0, Math.round(fraction * chosen.length));
  }
  return new Set(chosen.map((h) => h.index));
}

/**
 * The (index + 1)-th output of mulberry32(seed), in [0, 1). Mulberry32's state after n steps is
 * seed + n × 0x6d2b79f5, so any host's draw is computed directly, with no sequence to replay.
 */
function hostDraw(seed: number, index: number): number {
  let t = (seed + Math.imul(index + 1, 0x6d2b79f5)) | 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
