import type { SimulatedTime } from './simulated-time.ts';

/*
 * Simulated time by waves. The events pushed between two looks at the queue (a consult that starts
 * ninety thousand patches and as many first checks, or one check result and its re-check) are
 * one wave: sorted once, then taken in order. The heap holds waves, keyed by their next event,
 * so a million hosts cost a sort and a walk instead of a million climbs through a heap of a
 * hundred thousand. Every event keeps the place in push order it was given when pushed, so the
 * events come out exactly as from a heap of single events (event-queue.ts).
 */

/** Four numbers an event, sorted by time then push order: time, order, kind, subject. */
interface Wave {
  data: Float64Array;
  next: number;
}

const FIELDS = 4;
// A wave packs its time offsets and positions in one number for a native sort: offsets below
// 2^33 ms (three months) with positions below 2^20 stay exact.
const POSITION_BITS = 2 ** 20;
const OFFSET_LIMIT = 2 ** 33;

export class WaveQueue implements SimulatedTime {
  time = 0;
  kind = 0;
  subject = 0;
  private heap: Wave[] = [];
  private pending: number[] = [];
  private pushed = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(time: number, kind: number, subject: number): void {
    if (!Number.isFinite(time)) throw new RangeError(`an event needs a finite time, got ${time}`);
    this.pending.push(time, this.pushed++, kind, subject);
    this.count++;
  }

  peekTime(): number {
    this.seal();
    const wave = this.heap[0];
    return wave ? wave.data[wave.next]! : Number.POSITIVE_INFINITY;
  }

  pop(): boolean {
    this.seal();
    const wave = this.heap[0];
    if (!wave) return false;
    const at = wave.next;
    this.time = wave.data[at]!;
    this.kind = wave.data[at + 2]!;
    this.subject = wave.data[at + 3]!;
    wave.next += FIELDS;
    this.count--;
    if (wave.next === wave.data.length) {
      const last = this.heap.pop()!;
      if (this.heap.length > 0) this.heap[0] = last;
    }
    if (this.heap.length > 0) this.siftDown(0);
    return true;
  }

  /** The events pushed since the last look become a wave. */
  private seal(): void {
    if (this.pending.length === 0) return;
    const wave: Wave = { data: sortedEvents(this.pending), next: 0 };
    this.pending = [];
    this.heap.push(wave);
    this.siftUp(this.heap.length - 1);
  }

  private siftUp(i: number): void {
    const wave = this.heap[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(wave, this.heap[parent]!)) break;
      this.heap[i] = this.heap[parent]!;
      i = parent;
    }
    this.heap[i] = wave;
  }

  private siftDown(i: number): void {
    const wave = this.heap[i]!;
    const n = this.heap.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && before(this.heap[right]!, this.heap[left]!) ? right : left;
      if (!before(this.heap[child]!, wave)) break;
      this.heap[i] = this.heap[child]!;
      i = child;
    }
    this.heap[i] = wave;
  }
}

function before(a: Wave, b: Wave): boolean {
  const ta = a.data[a.next]!;
  const tb = b.data[b.next]!;
  return ta < tb || (ta === tb && a.data[a.next + 1]! < b.data[b.next + 1]!);
}

/** The events of a wave (four numbers each, in push order) sorted by time, then push order. */
function sortedEvents(events: readonly number[]): Float64Array {
  const n = events.length / FIELDS;
  const order = n === 1 ? [0] : sortedPositions(events, n);
  const data = new Float64Array(events.length);
  for (let k = 0; k < n; k++) {
    const from = order[k]! * FIELDS;
    for (let f = 0; f < FIELDS; f++) data[k * FIELDS + f] = events[from + f]!;
  }
  return data;
}

function sortedPositions(events: readonly number[], n: number): ArrayLike<number> {
  let first = Number.POSITIVE_INFINITY;
  let whole = n < POSITION_BITS;
  for (let k = 0; k < n; k++) {
    const time = events[k * FIELDS]!;
    first = Math.min(first, time);
    whole &&= Number.isInteger(time);
  }
  const packed = new Float64Array(n);
  for (let k = 0; whole && k < n; k++) {
    const offset = events[k * FIELDS]! - first;
    if (offset >= OFFSET_LIMIT) whole = false;
    packed[k] = offset * POSITION_BITS + k;
  }
  if (!whole) {
    // Pushed in order, so a stable sort by time keeps the push order of equal times.
    return Array.from({ length: n }, (_, k) => k).sort((a, b) => events[a * FIELDS]! - events[b * FIELDS]!);
  }
  packed.sort();
  return packed.map((p) => p % POSITION_BITS);
}
