import { describe, expect, it } from 'vitest';
import { findCulprits, probePoints, type Outcome, type StepEvent } from '../../lab/bisect/culprit-search.ts';

const letters = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

describe('culprit search', () => {
  it('binary-searches one culprit among 8 in 3 runs, confirms it, and reuses a run of the rest it already has', async () => {
    const tested: string[] = [];
    const events: StepEvent<string>[] = [];
    const result = await findCulprits({
      items: letters,
      wholeSetFailed: true,
      test: async (subset) => {
        tested.push(subset.join(''));
        return subset.includes('f') ? 'fail' : 'pass';
      },
      onStep: (e) => events.push(e),
    });
    expect(tested).toEqual(['abcd', 'abcdef', 'abcde', 'f', 'abcdegh']);
    expect(result).toMatchObject({ culprits: [['f']], provenBy: [4], rest: ['a', 'b', 'c', 'd', 'e', 'g', 'h'], restProvenBy: 5, testsRun: 5, waves: 5 });
    expect(result.steps.map((s) => s.purpose)).toEqual(['search', 'search', 'search', 'confirm', 'rest']);
    // A page sees each step start, then finish with its outcome.
    expect(events.map((e) => `${e.state}:${e.step.index}:${e.step.outcome ?? ''}`)).toEqual([
      'started:1:', 'finished:1:pass', 'started:2:', 'finished:2:fail', 'started:3:', 'finished:3:pass',
      'started:4:', 'finished:4:fail', 'started:5:', 'finished:5:pass',
    ]);
  });

  it('needs no confirmation when the culprit is the first item, and no rest run when the rest was a probe already', async () => {
    const result = await findCulprits({ items: letters, wholeSetFailed: true, test: async (s) => (s.includes('h') ? 'fail' : 'pass') });
    // abcd, abcdef and abcdefg pass; h alone is confirmed, and abcdefg, the rest, passed already.
    expect(result.culprits).toEqual([['h']]);
    expect(result.restProvenBy).toBe(3);
    const first = await findCulprits({ items: letters, wholeSetFailed: true, test: async (s) => (s.includes('a') ? 'fail' : 'pass') });
    expect(first.culprits).toEqual([['a']]);
    expect(first.steps.map((s) => s.purpose)).toEqual(['search', 'search', 'search', 'rest']);
  });

  it('finds a culprit pair that breaks only together', async () => {
    const result = await findCulprits({ items: letters, test: async (s) => (s.includes('b') && s.includes('g') ? 'fail' : 'pass') });
    expect(result.culprits).toEqual([['b', 'g']]);
    expect(result.steps[0]?.purpose).toBe('whole');
  });

  it('uses spare slots: the confirmation and the run of the rest go together', async () => {
    const result = await findCulprits({ items: letters, wholeSetFailed: true, concurrency: 2, test: async (s) => (s.includes('f') ? 'fail' : 'pass') });
    const lastWave = result.steps.filter((s) => s.wave === result.waves);
    expect(lastWave.map((s) => s.purpose).sort()).toEqual(['confirm', 'rest']);
  });

  it('passes on the error of a test once its wave has settled, and refuses an answer that is not pass or fail', async () => {
    let running = 0;
    const failing = findCulprits({
      items: letters,
      wholeSetFailed: true,
      concurrency: 3,
      test: async (subset) => {
        running++;
        await new Promise((resolve) => setTimeout(resolve, subset.length));
        running--;
        if (subset.length === 2) throw new Error('docker went away');
        return 'pass';
      },
    });
    await expect(failing).rejects.toThrow('docker went away');
    expect(running).toBe(0);
    await expect(findCulprits({ items: letters, wholeSetFailed: true, test: async () => 'maybe' as Outcome })).rejects.toThrow(
      'bisect: a test must answer "pass" or "fail", got "maybe"',
    );
  });

  it('spreads probes evenly inside the open range, confirmation first', () => {
    expect(probePoints(0, 8, 1)).toEqual([4]);
    expect(probePoints(0, 8, 3)).toEqual([2, 4, 6]);
    expect(probePoints(-1, 5, 1)).toEqual([0]);
    expect(probePoints(-1, 6, 3)).toEqual([0, 2, 4]);
    expect(probePoints(3, 5, 4)).toEqual([4]);
  });
});
