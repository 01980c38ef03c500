import type { Observation } from './observations.ts';

/**
 * An observation index kept for the whole of a rollout that also remembers which hosts' histories
 * changed, in order. A caller that checks a large fleet (the simulator) appends to it as results
 * arrive; the engine then judges again only the hosts whose history or state changed since it
 * last looked, instead of all of them at every decision. It reads like any index: a map of host
 * to its observations, oldest first.
 */
export class ObservationLog extends Map<string, readonly Observation[]> {
  private readonly changes: string[] = [];

  /** Adds a host's newest observation (no older than the ones it has). */
  append(observation: Observation): void {
    const list = this.get(observation.hostId) as Observation[] | undefined;
    if (list) list.push(observation);
    else super.set(observation.hostId, [observation]);
    this.changes.push(observation.hostId);
  }

  override set(hostId: string, observations: readonly Observation[]): this {
    super.set(hostId, observations);
    // The constructor of Map may call set before the fields exist.
    this.changes?.push(hostId);
    return this;
  }

  override delete(hostId: string): boolean {
    this.changes.push(hostId);
    return super.delete(hostId);
  }

  override clear(): void {
    for (const hostId of this.keys()) this.changes.push(hostId);
    super.clear();
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
}
