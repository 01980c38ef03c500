import type { Observation, ObservedCheck } from './observations.ts';

/** One observation in its parts, with the position its host was appended at (-1 when none was). */
export type ObservationVisitor = (hostId: string, position: number, at: number, version: string, checks: readonly ObservedCheck[]) => void;

const CHUNK = 4096;

/** One chunk of positions: the host there, its first observation in columns, and any later ones. */
interface Chunk {
  ids: (string | undefined)[];
  /** 1 once the position is in the list of positions used. */
  listed: Uint8Array;
  at: Float64Array;
  versions: string[];
  checks: (readonly ObservedCheck[])[];
  later: (Observation[] | undefined)[];
}

/**
 * Check histories kept by the host's position in a rollout's host list. Most simulated hosts
 * have one observation, whose version string and check list are shared with thousands of others:
 * kept in columns, it costs a few pointers and a number instead of three objects and a boxed time.
 * Histories are handed out as new lists, oldest first.
 */
export class PositionedHistories {
  private readonly chunks: (Chunk | undefined)[] = [];
  /** Positions holding a history, in the order they got one; a position may have lost it since. */
  private readonly used: number[] = [];
  count = 0;

  hostAt(position: number): string | undefined {
    return this.chunks[position >>> 12]?.ids[position & (CHUNK - 1)];
  }

  /** Adds the newest observation of the host at this position; the position must be free or that host's. */
  append(position: number, observation: Observation): void {
    const chunk = (this.chunks[position >>> 12] ??= newChunk());
    const k = position & (CHUNK - 1);
    if (chunk.ids[k] === undefined) {
      chunk.ids[k] = observation.hostId;
      chunk.at[k] = observation.at;
      chunk.versions[k] = observation.version;
      chunk.checks[k] = observation.checks;
      if (chunk.listed[k] === 0) this.used.push(position);
      chunk.listed[k] = 1;
      this.count++;
    } else {
      (chunk.later[k] ??= []).push(observation);
    }
  }

  history(position: number): Observation[] | undefined {
    const chunk = this.chunks[position >>> 12];
    const k = position & (CHUNK - 1);
    const hostId = chunk?.ids[k];
    if (!chunk || hostId === undefined) return undefined;
    const first: Observation = { hostId, at: chunk.at[k]!, version: chunk.versions[k]!, checks: chunk.checks[k]! };
    const later = chunk.later[k];
    return later ? [first, ...later] : [first];
  }

  remove(position: number): void {
    const chunk = this.chunks[position >>> 12];
    const k = position & (CHUNK - 1);
    if (chunk?.ids[k] === undefined) return;
    chunk.ids[k] = undefined;
    chunk.later[k] = undefined;
    this.count--;
  }

  /** Each observation of the host at a position, oldest first, in its parts: nothing is made for it. */
  visit(position: number, visitor: ObservationVisitor): void {
    const chunk = this.chunks[position >>> 12];
    const k = position & (CHUNK - 1);
    const hostId = chunk?.ids[k];
    if (!chunk || hostId === undefined) return;
    visitor(hostId, position, chunk.at[k]!, chunk.versions[k]!, chunk.checks[k]!);
    for (const o of chunk.later[k] ?? []) visitor(hostId, position, o.at, o.version, o.checks);
  }

  /** Positions holding a history, each once, in the order they got it. */
  *positions(): Generator<number> {
    for (const position of this.used) if (this.hostAt(position) !== undefined) yield position;
  }
}

function newChunk(): Chunk {
  return {
    ids: new Array<string | undefined>(CHUNK).fill(undefined),
    listed: new Uint8Array(CHUNK),
    at: new Float64Array(CHUNK),
    versions: new Array<string>(CHUNK).fill(''),
    checks: new Array<readonly ObservedCheck[]>(CHUNK).fill([]),
    later: new Array<Observation[] | undefined>(CHUNK).fill(undefined),
  };
}
