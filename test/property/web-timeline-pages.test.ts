import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pause, resume } from '../../rollout/engine/commands.ts';
import type { RolloutState } from '../../rollout/engine/state.ts';
import { olderEntriesUpdate, TIMELINE_PAGE, timelineSection } from '../../web/views/timeline.ts';
import { driveModel } from '../unit/web-fixtures.ts';

/*
 * The paged timeline: the page shows the latest entries, and following "older entries" from there
 * shows every other entry once, newest first, ending at the first. Checked on rollouts the engine
 * made, with any number of commands written after (each command one entry).
 */

const base = driveModel((lab) => lab.state.rings[0]!.soakStartedAt !== null);

function withCommands(count: number): RolloutState {
  let state = base.lab.state;
  for (let i = 0; i < count; i++) state = (i % 2 === 0 ? pause : resume)(state, { actor: 'alice', reason: `command ${i}` }, base.lab.now + i);
  return state;
}

const entryIds = (markup: string) => [...markup.matchAll(/<li class="entry[^"]*" id="audit-(\d+)"/g)].map((m) => Number(m[1]));
const olderLink = (markup: string) => /id="timeline-older"[^>]*><a href="[^"]*\?before=(\d+)"/.exec(markup)?.[1];

/** Every entry id shown, following "older entries" from the page to its end; and how many requests that took. */
function followToFirst(state: RolloutState): { ids: number[]; requests: number } {
  const page = timelineSection(state, 2000, true).value;
  const ids = entryIds(page);
  let before = olderLink(page);
  let requests = 0;
  while (before !== undefined) {
    const answer = olderEntriesUpdate(state, Number(before)).value;
    requests++;
    ids.push(...entryIds(answer));
    before = olderLink(answer);
    expect(requests).toBeLessThan(100);
  }
  return { ids, requests };
}

describe('the paged timeline', () => {
  it('shows the latest entries first and reaches every older one exactly once, down to the first', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 260 }), (commands) => {
        const state = withCommands(commands);
        const total = state.audit.length;
        const page = timelineSection(state, 2000, true).value;
        expect(entryIds(page)).toEqual(Array.from({ length: Math.min(total, TIMELINE_PAGE) }, (_, i) => total - 1 - i));
        const { ids, requests } = followToFirst(state);
        expect(ids).toEqual(Array.from({ length: total }, (_, i) => total - 1 - i));
        expect(requests).toBe(Math.max(0, Math.ceil((total - TIMELINE_PAGE) / TIMELINE_PAGE)));
      }),
      { numRuns: 40 },
    );
  });

  it('says what an older entry says: its reasons, as written', () => {
    const state = withCommands(120);
    const answer = olderEntriesUpdate(state, 3).value;
    expect(entryIds(answer)).toEqual([2, 1, 0]);
    expect(answer).toContain('hx-swap="beforeend"');
    expect(answer).not.toContain('?before=');
    const newest = timelineSection(state, 2000, true).value;
    expect(newest).toContain('command 119');
    expect(newest).not.toContain('command 0<');
  });
});
