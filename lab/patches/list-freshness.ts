/**
 * Whether a run refreshes the shared package lists. `always` is for runs whose point is to see
 * what is new (a scheduled regression run after Patch Tuesday, `lab run --refresh`); `if-stale`
 * reuses lists that another run refreshed a short while ago from exactly the same sources.
 */
export type RefreshLists = 'always' | 'if-stale';

/** Long enough for a lab run, a rollout and a second lab run in a row to share one refresh; short next to how often Debian publishes. */
export const DEFAULT_LISTS_MAX_AGE_MS = 10 * 60_000;

export interface ListsState {
  /** When these lists (one hash of the sources) were last refreshed without an error; undefined when never. */
  refreshedAt: number | undefined;
  /** apt's index files are there: a stamp beside an emptied directory must not pass for fresh lists. */
  present: boolean;
}

export type ListsDecision =
  | { refresh: true; why: 'asked' | 'never refreshed' | 'lists missing' | 'stale' | 'stamp from the future'; ageMs?: number }
  | { refresh: false; ageMs: number };

/** Pure: the lists' state, the mode, the time and the window decide. */
export function decideListsRefresh(mode: RefreshLists, lists: ListsState, now: number, maxAgeMs: number): ListsDecision {
  if (mode === 'always') return { refresh: true, why: 'asked', ...ageOf(lists, now) };
  if (lists.refreshedAt === undefined) return { refresh: true, why: 'never refreshed' };
  if (!lists.present) return { refresh: true, why: 'lists missing' };
  const ageMs = now - lists.refreshedAt;
  // A clock set back (or a stamp from another machine sharing the cache) cannot vouch for anything.
  if (ageMs < 0) return { refresh: true, why: 'stamp from the future', ageMs };
  if (ageMs > maxAgeMs) return { refresh: true, why: 'stale', ageMs };
  return { refresh: false, ageMs };
}

function ageOf(lists: ListsState, now: number): { ageMs?: number } {
  return lists.refreshedAt === undefined ? {} : { ageMs: now - lists.refreshedAt };
}

/** What the report keeps about the lists a run used. */
export interface ListsUsed {
  refreshed: boolean;
  /** When the lists the run used were fetched from the mirror (ISO time). */
  refreshedAt: string;
  /** How old they were when the run used them; 0 when this run refreshed them. */
  ageMs: number;
  /** Why they were refreshed, or the window that let them be reused. */
  reason: string;
}

export function listsUsed(decision: ListsDecision, refreshedAt: number, maxAgeMs: number): ListsUsed {
  if (decision.refresh) {
    const why = decision.why === 'stale' && decision.ageMs !== undefined ? `older than ${formatDuration(maxAgeMs)} (${formatDuration(decision.ageMs)})` : decision.why;
    return { refreshed: true, refreshedAt: new Date(refreshedAt).toISOString(), ageMs: 0, reason: why };
  }
  return { refreshed: false, refreshedAt: new Date(refreshedAt).toISOString(), ageMs: decision.ageMs, reason: `refreshed within the last ${formatDuration(maxAgeMs)}` };
}

/** One line for the terminal and the progress log. Pure. */
export function describeLists(lists: ListsUsed): string {
  return lists.refreshed
    ? `package lists: refreshed by this run (${lists.reason})`
    : `package lists: reused, refreshed ${formatDuration(lists.ageMs)} ago (${lists.reason}; --refresh forces a refresh)`;
}

/** PATCHLAB_LISTS_MAX_AGE in seconds; anything else is an error the user must see, not a silent default. */
export function listsMaxAgeFrom(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.PATCHLAB_LISTS_MAX_AGE;
  if (raw === undefined || raw === '') return DEFAULT_LISTS_MAX_AGE_MS;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`PATCHLAB_LISTS_MAX_AGE: expected a number of seconds (0 or more), got ${JSON.stringify(raw)}`);
  return seconds * 1000;
}

/** Seconds under two minutes, whole minutes above: an age to read at a glance. */
function formatDuration(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}
