import type { Observation, ObservationIndex } from './observations.ts';
import { PositionedHistories, type ObservationVisitor } from './positioned-histories.ts';

/**
 * An observation index kept for the whole of a rollout that also remembers which hosts' histories
 * changed, in order. A caller that checks a large fleet (the simulator) appends to it as results
 * arrive; the engine then judges again only the hosts whose history or state changed since it
 * last looked, instead of all of them at every decision. It reads like any index: a map of host
 * to its observations, oldest first.
 *
 * A caller that knows where each host is in the rollout's host list says so when it appends (that
 * place and no other: the log takes its word), and always gives a host the same position: its
 * history is then kept by position (in columns, see
 * positioned-histories.ts), and the engine finds it by position, with no lookup by id and no map
 * entry per host, which is most of what a check result costs in a fleet of a million.
 */
export class ObservationLog implements ObservationIndex {
  private readonly positioned = new PositionedHistories();
  /** Histories of hosts appended without a position, or set by id. */
  private readonly byId = new Map<string, readonly Observation[]>();
  /** Positions of positioned hosts by id: worked out when first asked for by id, then kept. */
  private idIndex: Map<string, number> | null = null;
  private readonly changes: string[] = [];
  /** The position given with each change; -1 when none was. */
  private readonly changePositions: number[] = [];

  constructor(entries?: Iterable<readonly [string, readonly Observation[]]>) {
    for (const [hostId, observations] of entries ?? []) this.set(hostId, observations);
  }

  get size(): number {
    return this.byId.size + this.positioned.count;
  }

  get(hostId: string): readonly Observation[] | undefined {
    const known = this.byId.get(hostId);
    if (known) return known;
    const position = this.positionOf(hostId);
    return position === undefined ? undefined : this.positioned.history(position);
  }

  has(hostId: string): boolean {
    return this.byId.has(hostId) || this.positionOf(hostId) !== undefined;
  }

  /** Adds a host's newest observation (no older than the ones it has), at its position in the host list when known. */
  append(observation: Observation, position = -1): void {
    const hostId = observation.hostId;
    const holder = position >= 0 ? this.positioned.hostAt(position) : undefined;
    if (holder === hostId || (position >= 0 && holder === undefined && !this.knownElsewhere(hostId))) {
      this.positioned.append(position, observation);
      this.idIndex?.set(hostId, position);
      this.logChange(hostId, position);
      return;
    }
    const at = this.positionOf(hostId);
    if (at !== undefined) {
      this.positioned.append(at, observation);
    } else {
      const list = this.byId.get(hostId) as Observation[] | undefined;
      if (list) list.push(observation);
      else this.byId.set(hostId, [observation]);
    }
    this.logChange(hostId, -1);
  }

  /** A host's observations, found by its position when that position holds it. */
  historyAt(position: number, hostId: string): readonly Observation[] | undefined {
    const holder = this.positioned.hostAt(position);
    if (holder === hostId) return this.positioned.history(position);
    // A position nobody holds: a host appended by position has none yet.
    return holder === undefined ? this.byId.get(hostId) : this.get(hostId);
  }

  /**
   * The observations of the host at a position, oldest first, in its parts, when the log keeps it
   * there (nothing is made for them); false when it does not, and the caller asks historyAt.
   */
  visitAt(position: number, hostId: string, visitor: ObservationVisitor): boolean {
    if (position < 0 || this.positioned.hostAt(position) !== hostId) return false;
    this.positioned.visit(position, visitor);
    return true;
  }

  /** Every observation, host by host, oldest first, in its parts: a pass over a million hosts that makes no object for them. */
  visit(visitor: ObservationVisitor): void {
    for (const position of this.positioned.positions()) this.positioned.visit(position, visitor);
    for (const [hostId, observations] of this.byId) for (const o of observations) visitor(hostId, -1, o.at, o.version, o.checks);
  }

  /** Replaces a host's whole history. */
  set(hostId: string, observations: readonly Observation[]): this {
    this.removePositioned(hostId);
    this.byId.set(hostId, observations);
    this.logChange(hostId, -1);
    return this;
  }

  delete(hostId: string): boolean {
    const had = this.removePositioned(hostId) || this.byId.delete(hostId);
    this.logChange(hostId, -1);
    return had;
  }

  clear(): void {
    for (const hostId of [...this.keys()]) this.delete(hostId);
  }

  *entries(): MapIterator<[string, readonly Observation[]]> {
    for (const position of this.positioned.positions()) yield [this.positioned.hostAt(position)!, this.positioned.history(position)!];
    yield* this.byId.entries();
  }

  *keys(): MapIterator<string> {
    for (const [hostId] of this.entries()) yield hostId;
  }

  *values(): MapIterator<readonly Observation[]> {
    for (const [, observations] of this.entries()) yield observations;
  }

  [Symbol.iterator](): MapIterator<[string, readonly Observation[]]> {
    return this.entries();
  }

  forEach(callback: (value: readonly Observation[], key: string, map: ReadonlyMap<string, readonly Observation[]>) => void): void {
    for (const [hostId, observations] of this.entries()) callback(observations, hostId, this);
  }

  /** How many changes were logged: a cursor for changeAt. */
  get changeCount(): number {
    return this.changes.length;
  }

  /** The host of the n-th change. */
  changeAt(n: number): string {
    const hostId = this.changes[n];
    if (hostId === undefined) throw new RangeError(`no change ${n} in the log (${this.changes.length} logged)`);
    return hostId;
  }

  /** The position given with the n-th change; -1 when none was. */
  changePositionAt(n: number): number {
    return this.changePositions[n] ?? -1;
  }

  private logChange(hostId: string, position: number): void {
    this.changes.push(hostId);
    this.changePositions.push(position);
  }

  /** A host that has a history other than at a free position: by id, or at another position already asked for by id. */
  private knownElsewhere(hostId: string): boolean {
    return (this.byId.size > 0 && this.byId.has(hostId)) || (this.idIndex?.has(hostId) ?? false);
  }

  private positionOf(hostId: string): number | undefined {
    if (this.positioned.count === 0) return undefined;
    if (!this.idIndex) {
      this.idIndex = new Map();
      for (const position of this.positioned.positions()) this.idIndex.set(this.positioned.hostAt(position)!, position);
    }
    const position = this.idIndex.get(hostId);
    return position !== undefined && this.positioned.hostAt(position) === hostId ? position : undefined;
  }

  private removePositioned(hostId: string): boolean {
    const position = this.positionOf(hostId);
    if (position === undefined) return false;
    this.positioned.remove(position);
    this.idIndex?.delete(hostId);
    return true;
  }
}
