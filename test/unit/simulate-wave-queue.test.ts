import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventQueue } from '../../rollout/simulate/event-queue.ts';
import { WaveQueue } from '../../rollout/simulate/wave-queue.ts';

describe('wave queue', () => {
  it('gives events back by time, and events at the same time in the order they were pushed, across waves', () => {
    const queue = new WaveQueue();
    queue.push(30, 1, 0);
    queue.push(10, 2, 1);
    expect(queue.peekTime()).toBe(10);
    queue.push(30, 3, 2);
    queue.push(10, 5, 4);
    queue.push(2 ** 40, 6, 5);
    const out: number[][] = [];
    while (queue.pop()) out.push([queue.time, queue.kind, queue.subject]);
    expect(out).toEqual([
      [10, 2, 1],
      [10, 5, 4],
      [30, 1, 0],
      [30, 3, 2],
      [2 ** 40, 6, 5],
    ]);
    expect(queue.size).toBe(0);
    expect(queue.peekTime()).toBe(Number.POSITIVE_INFINITY);
    expect(() => queue.push(Number.NaN, 1, 1)).toThrow(/finite time/);
  });

  it('pops exactly what a heap of single events pops, through any mix of pushes, looks and pops', () => {
    const op = fc.oneof(
      { weight: 4, arbitrary: fc.record({ push: fc.oneof(fc.integer({ min: 0, max: 60 }), fc.double({ min: 0, max: 60, noNaN: true }), fc.constant(2 ** 45)) }) },
      { weight: 1, arbitrary: fc.constant({ peek: true as const }) },
      { weight: 2, arbitrary: fc.constant({ pop: true as const }) },
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 1500, size: 'max' }), (ops) => {
        const waves = new WaveQueue();
        const heap = new EventQueue();
        let n = 0;
        for (const o of ops) {
          if ('push' in o) {
            waves.push(o.push, n % 7, n);
            heap.push(o.push, n % 7, n);
            n++;
          } else if ('peek' in o) {
            assert.equal(waves.peekTime(), heap.peekTime());
          } else {
            assert.equal(waves.pop(), heap.pop());
            assert.deepEqual([waves.time, waves.kind, waves.subject], [heap.time, heap.kind, heap.subject]);
          }
          assert.equal(waves.size, heap.size);
        }
      }),
      { seed: 11, numRuns: 60 },
    );
  });
});
