import { describe, expect, it } from 'vitest';
import { decideListsRefresh, DEFAULT_LISTS_MAX_AGE_MS, describeLists, listsMaxAgeFrom, listsUsed } from '../../lab/patches/list-freshness.ts';

const NOW = Date.UTC(2026, 10, 10, 9, 0, 0);
const MIN = 60_000;
const present = (refreshedAt: number | undefined) => ({ refreshedAt, present: true });

describe('whether a run refreshes the package lists', () => {
  it('reuses lists of the same sources refreshed within the window, and says how old they are', () => {
    const decision = decideListsRefresh('if-stale', present(NOW - 3 * MIN), NOW, 10 * MIN);
    expect(decision).toEqual({ refresh: false, ageMs: 3 * MIN });
    expect(describeLists(listsUsed(decision, NOW - 3 * MIN, 10 * MIN))).toBe(
      'package lists: reused, refreshed 3 min ago (refreshed within the last 10 min; --refresh forces a refresh)',
    );
  });

  it('refreshes lists older than the window', () => {
    const decision = decideListsRefresh('if-stale', present(NOW - 11 * MIN), NOW, 10 * MIN);
    expect(decision).toMatchObject({ refresh: true, why: 'stale' });
    expect(describeLists(listsUsed(decision, NOW, 10 * MIN))).toBe('package lists: refreshed by this run (older than 10 min (11 min))');
  });

  it('refreshes lists never refreshed without an error: a failed refresh (a bad mirror) leaves no stamp', () => {
    expect(decideListsRefresh('if-stale', present(undefined), NOW, 10 * MIN)).toEqual({ refresh: true, why: 'never refreshed' });
  });

  it('refreshes when the stamp is there but apt\'s index files are gone', () => {
    expect(decideListsRefresh('if-stale', { refreshedAt: NOW - MIN, present: false }, NOW, 10 * MIN)).toEqual({ refresh: true, why: 'lists missing' });
  });

  it('refreshes when the stamp is from the future: a clock set back cannot vouch for the lists', () => {
    expect(decideListsRefresh('if-stale', present(NOW + MIN), NOW, 10 * MIN)).toMatchObject({ refresh: true, why: 'stamp from the future' });
  });

  it("always refreshes when asked to (a scheduled run, lab run --refresh), however fresh the lists are", () => {
    const decision = decideListsRefresh('always', present(NOW - 1000), NOW, 10 * MIN);
    expect(decision).toMatchObject({ refresh: true, why: 'asked' });
    expect(listsUsed(decision, NOW, 10 * MIN)).toEqual({ refreshed: true, refreshedAt: new Date(NOW).toISOString(), ageMs: 0, reason: 'asked' });
  });

  it('a window of 0 refreshes every time', () => {
    expect(decideListsRefresh('if-stale', present(NOW - 1), NOW, 0)).toMatchObject({ refresh: true, why: 'stale' });
  });

  it('reads the window from PATCHLAB_LISTS_MAX_AGE in seconds, and refuses nonsense', () => {
    expect(listsMaxAgeFrom({})).toBe(DEFAULT_LISTS_MAX_AGE_MS);
    expect(listsMaxAgeFrom({ PATCHLAB_LISTS_MAX_AGE: '90' })).toBe(90_000);
    expect(() => listsMaxAgeFrom({ PATCHLAB_LISTS_MAX_AGE: 'soon' })).toThrow(/PATCHLAB_LISTS_MAX_AGE: expected a number of seconds/);
    expect(() => listsMaxAgeFrom({ PATCHLAB_LISTS_MAX_AGE: '-5' })).toThrow(/0 or more/);
  });
});
