/**
 * What a page keeps of each rollout between requests, for the few rollouts looked at most
 * recently: past `capacity` the least recently used goes first, so a server that has shown many
 * rollouts holds on to no more than that many.
 */
export class PerRollout<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly capacity = 16) {}

  get(rolloutId: string): V | undefined {
    const value = this.entries.get(rolloutId);
    // Most recently used last, so the first key is the one to drop.
    if (value !== undefined) this.set(rolloutId, value);
    return value;
  }

  set(rolloutId: string, value: V): void {
    this.entries.delete(rolloutId);
    this.entries.set(rolloutId, value);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.capacity) break;
      this.entries.delete(oldest);
    }
  }

  delete(rolloutId: string): void {
    this.entries.delete(rolloutId);
  }
}
