
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
    order = shuffled(hosts, seed);
    bySeed.set(seed, order);
  }
  return order;
}

/** Ids listed more than once, each once, in the order their second listing comes. */
export function repeatedIds(hosts: readonly Identified[]): string[] {
  let known = repeats.get(hosts);
  if (!known) {
    const seen = new Set<string>();
    known = [...new Set(hosts.filter((h) => seen.size === seen.add(h.id).size).map((h) => h.id))];
    repeats.set(hosts, known);
  }
  return known;
}

// Hash and position packed in one number, so a native numeric sort does the work: 32 bits of
// hash above 21 bits of position stay below 2^53.
const POSITION_BITS = 2 ** 21;

function shuffled<H extends Identified>(hosts: readonly H[], seed: string): H[] {
  const keys = hosts.map((h) => hashOf(seed, h.id));
  if (hosts.length >= POSITION_BITS) {
    return hosts.map((host, i) => ({ host, key: keys[i]! })).sort((a, b) => a.key - b.key || compare(a.host.id, b.host.id)).map((d) => d.host);
  }
  const packed = Float64Array.from(keys, (key, i) => key * POSITION_BITS + i).sort();
  const order: H[] = new Array<H>(hosts.length);
  for (let start = 0; start < packed.length; ) {
    const key = Math.floor(packed[start]! / POSITION_BITS);
    let end = start + 1;
    while (end < packed.length && Math.floor(packed[end]! / POSITION_BITS) === key) end++;
    if (end === start + 1) {
      order[start] = hosts[packed[start]! - key * POSITION_BITS]!;
    } else {
      // A stable sort by id, as the packed positions already are in list order.
      const tied = Array.from(packed.subarray(start, end), (p) => hosts[p - key * POSITION_BITS]!).sort((a, b) => compare(a.id, b.id));
      for (let k = 0; k < tied.length; k++) order[start + k] = tied[k]!;
    }
    start = end;
  }
  return order;
}

/** FNV-1a over the code points of seed, NUL, id: a stable shuffle key with no dependency and no platform difference. */
function hashOf(seed: string, id: string): number {
  let hash = 0x811c9dc5;
  hash = mix(hash, seed);
  hash = Math.imul(hash ^ 0, 0x01000193);
  return mix(hash, id) >>> 0;
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
