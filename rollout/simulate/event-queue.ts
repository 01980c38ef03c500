/**
 * Simulated time: a binary min-heap of events by time, ties in the order they were pushed, so a
 * run never depends on how the heap happens to break them. An event is three numbers (time,
 * kind, subject) kept in parallel typed arrays: a million pending events cost no objects.
 */
export class EventQueue {
  private times = new Float64Array(1024);
  private order = new Float64Array(1024);
  private kinds = new Uint8Array(1024);
  private subjects = new Int32Array(1024);
  private count = 0;
  private pushed = 0;

  /** Filled in by pop(). */
  time = 0;
  kind = 0;
  subject = 0;

  get size(): number {
    return this.count;
  }

  /** The time of the earliest event, Infinity when none is left. */
  peekTime(): number {
    return this.count === 0 ? Number.POSITIVE_INFINITY : (this.times[0] ?? Number.POSITIVE_INFINITY);
  }

  push(time: number, kind: number, subject: number): void {
    if (!Number.isFinite(time)) throw new RangeError(`an event needs a finite time, got ${time}`);
    if (this.count === this.times.length) this.grow();
    let i = this.count++;
    const seq = this.pushed++;
    // Sift up: move parents down until the new event's place is found.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(time, seq, parent)) break;
      this.copy(parent, i);
      i = parent;
    }
    this.set(i, time, seq, kind, subject);
  }

  /** Takes the earliest event into time, kind and subject; false when the queue is empty. */
  pop(): boolean {
    if (this.count === 0) return false;
    this.time = this.times[0]!;
    this.kind = this.kinds[0]!;
    this.subject = this.subjects[0]!;
    const last = --this.count;
    if (last === 0) return true;
    const time = this.times[last]!;
    const seq = this.order[last]!;
    const kind = this.kinds[last]!;
    const subject = this.subjects[last]!;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= last) break;
      const right = left + 1;
      const child = right < last && this.earlier(right, left) ? right : left;
      if (this.before(time, seq, child)) break;
      this.copy(child, i);
      i = child;
    }
    this.set(i, time, seq, kind, subject);
    return true;
  }

  private before(time: number, seq: number, slot: number): boolean {
    const other = this.times[slot]!;
    return time < other || (time === other && seq < this.order[slot]!);
  }

  private earlier(a: number, b: number): boolean {
    return this.before(this.times[a]!, this.order[a]!, b);
  }

  private copy(from: number, to: number): void {
    this.set(to, this.times[from]!, this.order[from]!, this.kinds[from]!, this.subjects[from]!);
  }

  private set(slot: number, time: number, seq: number, kind: number, subject: number): void {
    this.times[slot] = time;
    this.order[slot] = seq;
    this.kinds[slot] = kind;
    this.subjects[slot] = subject;
  }

  private grow(): void {
    const size = this.times.length * 2;
    this.times = grown(new Float64Array(size), this.times);
    this.order = grown(new Float64Array(size), this.order);
    this.kinds = grown(new Uint8Array(size), this.kinds);
    this.subjects = grown(new Int32Array(size), this.subjects);
  }
}

function grown<T extends Float64Array | Uint8Array | Int32Array>(into: T, from: T): T {
  into.set(from);
  return into;
}
