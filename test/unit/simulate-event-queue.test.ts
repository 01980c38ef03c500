import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventQueue } from '../../rollout/simulate/event-queue.ts';

function drain(queue: EventQueue): [number, number, number][] {
  const out: [number, number, number][] = [];
  while (queue.pop()) out.push([queue.time, queue.kind, queue.subject]);
  return out;
}

describe('event queue', () => {
  it('gives events back by time, and events at the same time in the order they were pushed', () => {
    const queue = new EventQueue();
    queue.push(30, 1, 0);
    queue.push(10, 2, 1);
    queue.push(30, 3, 2);
    queue.push(20, 4, 3);
    queue.push(10, 5, 4);
    expect(queue.peekTime()).toBe(10);
    expect(drain(queue)).toEqual([
      [10, 2, 1],
      [10, 5, 4],
      [20, 4, 3],
      [30, 1, 0],
      [30, 3, 2],
    ]);
    expect(queue.pop()).toBe(false);
    expect(queue.peekTime()).toBe(Number.POSITIVE_INFINITY);
  });

  it('grows past its first allocation and still orders every event', () => {
    const queue = new EventQueue();
    for (let i = 0; i < 5000; i++) queue.push((i * 7919) % 5003, 0, i);
    const times = drain(queue).map(([t]) => t);
    expect(times).toHaveLength(5000);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('refuses an event with no finite time', () => {
    expect(() => new EventQueue().push(Number.NaN, 1, 1)).toThrow(/finite time/);
    expect(() => new EventQueue().push(Number.POSITIVE_INFINITY, 1, 1)).toThrow(/finite time/);
  });

  it('agrees with a stable sort through any mix of pushes and pops, past its first growth', () => {
    const op = fc.oneof(
      { weight: 3, arbitrary: fc.record({ push: fc.integer({ min: 0, max: 50 }) }) },
      { weight: 1, arbitrary: fc.constant({ pop: true as const }) },
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 2000, size: 'max' }), (ops) => {
        const queue = new EventQueue();
        // The model: pending events kept sorted by (time, push order), inserted after their equals.
        const model: { time: number; seq: number }[] = [];
        let seq = 0;
        for (const o of ops) {
          if ('push' in o) {
            queue.push(o.push, 1, seq);
            const at = model.findIndex((e) => e.time > o.push);
            model.splice(at < 0 ? model.length : at, 0, { time: o.push, seq: seq++ });
          } else {
            const expected = model.shift();
            assert.equal(queue.pop(), expected !== undefined);
            if (expected) assert.deepEqual([queue.time, queue.subject], [expected.time, expected.seq]);
          }
          assert.equal(queue.size, model.length);
        }
      }),
      { seed: 7, numRuns: 40 },
    );
  });
});
