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
/**
 * Events pushed since the last look wait in one typed buffer, written in place: a list of numbers
 * grown push by push is copied at each growth and left to the collector. A buffer that grew past
 * this many events for one large wave is let go after it, rather than held for the rest of the run.
 */
const KEPT_BUFFER_EVENTS = 1 << 16;
// A wave packs its time offsets and positions in one number for a native sort: offsets below
// 2^33 ms (three months) with positions below 2^20 stay exact.
const POSITION_BITS = 2 ** 20;
const OFFSET_LIMIT = 2 ** 33;

export class WaveQueue implements SimulatedTime {
  time = 0;
  kind = 0;
  subject = 0;
  private heap: Wave[] = [];
  private pending = new Float64Array(1024 * FIELDS);
  private pendingEvents = 0;
  private pushed = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(time: number, kind: number, subject: number): void {
    if (!Number.isFinite(time)) throw new RangeError(`an event needs a finite time, got ${time}`);
    let at = this.pendingEvents * FIELDS;
    if (at === this.pending.length) {
      const grown = new Float64Array(this.pending.length * 2);
      grown.set(this.pending);
      this.pending = grown;
    }
    const pending = this.pending;
    pending[at++] = time;
    pending[at++] = this.pushed++;
    pending[at++] = kind;
    pending[at] = subject;
    this.pendingEvents++;
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
    if (this.pendingEvents === 0) return;
    const wave: Wave = { data: sortedEvents(this.pending, this.pendingEvents), next: 0 };
    this.pendingEvents = 0;
    if (this.pending.length > KEPT_BUFFER_EVENTS * FIELDS) this.pending = new Float64Array(1024 * FIELDS);
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

/** The first n events of `events` (four numbers each, in push order) sorted by time, then push order. */
function sortedEvents(events: Float64Array, n: number): Float64Array {
  const data = new Float64Array(n * FIELDS);
  if (n === 1) {
    data.set(events.subarray(0, FIELDS));
    return data;
  }
  const packed = packedKeys(events, n);
  if (packed) {
    for (let k = 0, to = 0; k < n; k++) {
      let from = (packed[k]! % POSITION_BITS) * FIELDS;
      data[to++] = events[from++]!;
      data[to++] = events[from++]!;
      data[to++] = events[from++]!;
      data[to++] = events[from]!;
    }
    return data;
  }
  // Pushed in order, so a stable sort by time keeps the push order of equal times.
  const order = Array.from({ length: n }, (_, k) => k).sort((a, b) => events[a * FIELDS]! - events[b * FIELDS]!);
  for (let k = 0; k < n; k++) data.set(events.subarray(order[k]! * FIELDS, order[k]! * FIELDS + FIELDS), k * FIELDS);
  return data;
}

/** Each event's time offset and place in the wave packed in one number, sorted natively; null when they do not fit. */
function packedKeys(events: Float64Array, n: number): Float64Array | null {
  if (n >= POSITION_BITS) return null;
  let first = Number.POSITIVE_INFINITY;
  for (let k = 0; k < n; k++) {
    const time = events[k * FIELDS]!;
    if (!Number.isInteger(time)) return null;
    if (time < first) first = time;
  }
  const packed = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const offset = events[k * FIELDS]! - first;
    if (offset >= OFFSET_LIMIT) return null;
    packed[k] = offset * POSITION_BITS + k;
  }
  return packed.sort();
}
