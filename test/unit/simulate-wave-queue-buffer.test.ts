import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { EventQueue } from '../../rollout/simulate/event-queue.ts';
import { WaveQueue } from '../../rollout/simulate/wave-queue.ts';

/*
 * The wave queue keeps the events pushed since its last look in one buffer that grows as a wave
 * does and is let go after a wave of more than 65,536 events: waves of any size, one after
 * another, must still come out exactly as from a heap of single events.
 */

describe('wave queue buffer', () => {
  it('pops what a heap pops through waves from one event to a hundred thousand, whole and fractional times', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ size: fc.oneof(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 60_000, max: 100_000 })), fractional: fc.boolean(), seed: fc.nat(), pops: fc.nat({ max: 5000 }) }), {
          minLength: 1,
          maxLength: 4,
        }),
        (waves) => {
          const queue = new WaveQueue();
          const heap = new EventQueue();
          let n = 0;
          const popBoth = () => {
            assert.equal(queue.pop(), heap.pop());
            assert.deepEqual([queue.time, queue.kind, queue.subject], [heap.time, heap.kind, heap.subject]);
          };
          for (const wave of waves) {
            let x = wave.seed;
            for (let k = 0; k < wave.size; k++) {
              x = (x * 1_103_515_245 + 12_345) >>> 0;
              const time = 1_000 + (x % 5_000) + (wave.fractional ? 0.25 : 0);
              queue.push(time, n % 5, n);
              heap.push(time, n % 5, n);
              n++;
            }
            for (let k = 0; k < wave.pops && heap.size > 0; k++) popBoth();
            assert.equal(queue.size, heap.size);
          }
          while (heap.size > 0) popBoth();
          assert.equal(queue.pop(), false);
        },
      ),
      { seed: 18, numRuns: 12 },
    );
  });
});
