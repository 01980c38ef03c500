import { z } from 'zod';
import type { Figures } from '../../rollout/engine/decision.ts';
import type { AuditAction, RolloutState } from '../../rollout/engine/state.ts';

/*
 * Every rollout's audit log as one list, filtered by rollout, actor, action and time, for the
 * audit page and its CSV export. The entries are the rollouts' own (RolloutState.audit): the
 * engine's decisions and each release manager's command with its reason. Pure.
 */

export interface AuditRow {
  rolloutId: string;
  /** Position in its rollout's log: with the id, names the entry on the rollout page (#audit-N). */
  index: number;
  at: number;
  actor: string;
  action: AuditAction;
  ring: string;
  reasons: string[];
  hosts: string[];
  figures: Figures;
}

export interface AuditFilter {
  rollout?: string;
  actor?: string;
  action?: string;
  /** Inclusive, ms since the epoch. */
  from?: number;
  /** Exclusive. */
  to?: number;
}

/** "2026-12-07T05:40" as a datetime-local field sends it (the page's times are UTC), or a full ISO time. */
const time = z
  .string()
  .trim()
  .transform((value, ctx) => {
    if (value === '') return undefined;
    const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,3})?)?$/.test(value) ? `${value}Z` : value;
    const ms = /^\d{4}-\d\d-\d\dT/.test(iso) ? Date.parse(iso) : Number.NaN;
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: 'custom', message: `expected a UTC time such as 2026-12-07T05:40, got ${JSON.stringify(value.slice(0, 40))}` });
      return z.NEVER;
    }
    return ms;
  });

const text = z
  .string({ error: 'expected one value' })
  .trim()
  .max(200, 'expected at most 200 characters')
  .transform((v) => (v === '' ? undefined : v));

export const auditQuery = z.object({
  rollout: text.optional(),
  actor: text.optional(),
  action: text.optional(),
  from: time.optional(),
  to: time.optional(),
});

/** The query string as a filter, or the problems with it in words. */
export function parseAuditFilter(query: unknown): { filter: AuditFilter } | { problems: string[] } {
  const parsed = auditQuery.safeParse(query);
  if (!parsed.success) return { problems: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) };
  const filter = Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined)) as AuditFilter;
  return { filter };
}

/** The entries of these rollouts that pass the filter, newest first. */
export function auditRows(states: readonly RolloutState[], filter: AuditFilter): AuditRow[] {
  const rows: AuditRow[] = [];
  for (const state of states) {
    if (filter.rollout !== undefined && state.id !== filter.rollout) continue;
    state.audit.forEach((entry, index) => {
      if (filter.actor !== undefined && entry.actor !== filter.actor) return;
      if (filter.action !== undefined && entry.action !== filter.action) return;
      if (filter.from !== undefined && entry.at < filter.from) return;
      if (filter.to !== undefined && entry.at >= filter.to) return;
      const ring = state.rings[entry.ring]?.name ?? `ring ${entry.ring}`;
      rows.push({ rolloutId: state.id, index, at: entry.at, actor: entry.actor, action: entry.action, ring, reasons: entry.reasons, hosts: entry.hosts, figures: entry.figures });
    });
  }
  return rows.sort((a, b) => b.at - a.at || a.rolloutId.localeCompare(b.rolloutId) || b.index - a.index);
}

/** What the filter's fields offer: every actor and action the rollouts' logs hold. */
export function auditChoices(states: readonly RolloutState[]): { actors: string[]; actions: string[] } {
  const actors = new Set<string>();
  const actions = new Set<string>();
  for (const state of states) {
    for (const entry of state.audit) {
      actors.add(entry.actor);
      actions.add(entry.action);
    }
  }
  return { actors: [...actors].sort(), actions: [...actions].sort() };
}
