
/*
 * The order rings draw hosts in: shuffled by a hash of the seed and the host's id, so canaries
 * are a spread of the fleet rather than its alphabetical head, and the same seed always draws
 * the same hosts. Worked out once per host list and seed: a simulator compares several plans on
 * the same million hosts with the same seed.
 */

interface Identified {
  id: string;
}

const orders = new WeakMap<readonly Identified[], Map<string, readonly Identified[]>>();
/** Each draw order's list positions: order[k] is hosts[indices[k]]. */
const drawnIndices = new WeakMap<readonly Identified[], Int32Array>();
const repeats = new WeakMap<readonly Identified[], string[]>();

/** The hosts in draw order: by their hash, equal hashes by id, equal ids as listed. */
export function drawnOrder<H extends Identified>(hosts: readonly H[], seed: string): readonly H[] {
  let bySeed = orders.get(hosts);
  if (!bySeed) {
    bySeed = new Map();
    orders.set(hosts, bySeed);
  }
  let order = bySeed.get(seed) as readonly H[] | undefined;
  if (!order) {
    const drawn = shuffled(hosts, seed);
    order = drawn.order;
    bySeed.set(seed, order);
    drawnIndices.set(order, drawn.indices);
    repeats.set(hosts, drawn.repeated);
  }
  return order;
}

/**
 * Where in the host list each host of a draw order (as drawnOrder gave it) is listed: a caller
 * that keeps hosts by list position reads the draw without a look at a host. Undefined for a
 * list drawnOrder did not give.
 */
export function listPositionsOf(order: readonly Identified[]): Int32Array | undefined {
  return drawnIndices.get(order);
}

/**
 * Ids listed more than once, each once, in the order their second listing comes. Found by the
 * draw (an id listed twice has one hash, so its listings end up side by side), which is cheaper
 * than a set of a million ids; any seed finds the same.
 */
export function repeatedIds(hosts: readonly Identified[], seed = ''): string[] {
  if (!repeats.has(hosts)) drawnOrder(hosts, seed);
  return repeats.get(hosts)!;
}

// Hash and position packed in one number, so a native numeric sort does the work: 32 bits of
// hash above 21 bits of position stay below 2^53.
const POSITION_BITS = 2 ** 21;

interface Drawn<H> {
  order: H[];
  indices: Int32Array;
  repeated: string[];
}

function shuffled<H extends Identified>(hosts: readonly H[], seed: string): Drawn<H> {
  // The seed's part of every host's hash is the same: worked out once.
  const prefix = seedPrefix(seed);
  const keyed = new Float64Array(hosts.length);
  for (let i = 0; i < hosts.length; i++) keyed[i] = mix(prefix, hosts[i]!.id) >>> 0;
  if (hosts.length >= POSITION_BITS) {
    const drawn = hosts.map((host, i) => ({ host, i, key: keyed[i]! })).sort((a, b) => a.key - b.key || compare(a.host.id, b.host.id));
    return { order: drawn.map((d) => d.host), indices: Int32Array.from(drawn, (d) => d.i), repeated: repeatedIn(drawn.map((d) => d.i), hosts) };
  }
  const packed = keyed;
  for (let i = 0; i < hosts.length; i++) packed[i] = packed[i]! * POSITION_BITS + i;
  packed.sort();
  const order: H[] = new Array<H>(hosts.length);
  const indices = new Int32Array(hosts.length);
  const ties: number[] = [];
  for (let start = 0; start < packed.length; ) {
    const key = Math.floor(packed[start]! / POSITION_BITS);
    let end = start + 1;
    while (end < packed.length && Math.floor(packed[end]! / POSITION_BITS) === key) end++;
    if (end === start + 1) {
      indices[start] = packed[start]! - key * POSITION_BITS;
      order[start] = hosts[indices[start]!]!;
    } else {
      // A stable sort by id, as the packed positions already are in list order.
      const tied = Array.from(packed.subarray(start, end), (p) => p - key * POSITION_BITS).sort((a, b) => compare(hosts[a]!.id, hosts[b]!.id));
      for (let k = 0; k < tied.length; k++) {
        indices[start + k] = tied[k]!;
        order[start + k] = hosts[tied[k]!]!;
      }
      ties.push(...tied, -1);
    }
    start = end;
  }
  return { order, indices, repeated: repeatedIn(ties, hosts) };
}

/** Of list positions where equal ids are neighbours, each id listed twice, by where its second listing is. */
function repeatedIn(positions: readonly number[], hosts: readonly Identified[]): string[] {
  const seconds: number[] = [];
  for (let k = 1; k < positions.length; k++) {
    const here = positions[k]!;
    const before = positions[k - 1]!;
    if (here < 0 || before < 0 || hosts[here]!.id !== hosts[before]!.id) continue;
    if (k < 2 || positions[k - 2]! < 0 || hosts[positions[k - 2]!]!.id !== hosts[here]!.id) seconds.push(here);
  }
  return [...Int32Array.from(seconds).sort()].map((i) => hosts[i]!.id);
}

/* FNV-1a over the code points of seed, NUL, id: a stable shuffle key with no dependency and no platform difference. */

/** The hash state after the seed and its NUL, where every host's id continues it. */
function seedPrefix(seed: string): number {
  return Math.imul(mix(0x811c9dc5, seed) ^ 0, 0x01000193);
}

function mix(start: number, text: string): number {
  let hash = start;
  for (let i = 0; i < text.length; i++) {
    let unit = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    // A surrogate pair is one code point, as the hash has always read it.
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      unit = (unit - 0xd800) * 0x400 + (next - 0xdc00) + 0x10000;
      i++;
    }
    hash ^= unit;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
