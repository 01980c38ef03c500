import type { Decision, Figures, HostFailureReport } from './decision.ts';
import { editHosts, notedPositions, patchingCount, positionOf, touchedCount, withHostsChanged } from './engine-memo.ts';
import { plural } from './format.ts';
import { ringBusy } from './host-summary.ts';
import { appended } from './owned-lists.ts';
import {
  ENGINE,
  mayRunNewVersion,
  RolloutError,
  type AuditEntry,
  type HostState,
  type RingState,
  type RolloutState,
} from './state.ts';

/** What a fleet driver reports back about one host. */
export type HostEvent =
  | { type: 'patched'; hostId: string; version: string }
  | { type: 'patch-failed'; hostId: string; version: string; reason: string }
  | { type: 'rolled-back'; hostId: string; version: string };

/**
 * The state after a decision or a host event. Both carry absolute values, so applying the same
 * one twice returns the state of the first time; a step that changes nothing returns the very
 * same state and leaves no audit entry.
 */
export function apply(state: RolloutState, step: Decision | HostEvent, now: number): RolloutState {
  return 'action' in step ? applyDecision(state, step, now) : applyHostEvents(state, [step], now);
}

function applyDecision(state: RolloutState, decision: Decision, now: number): RolloutState {
  const entry = { at: now, actor: ENGINE, ring: decision.ring, reasons: decision.reasons, figures: decision.figures, hosts: [] };
  switch (decision.action) {
    case 'hold':
      return state;
    case 'patch-hosts': {
      if (state.phase !== 'running') return state;
      const ring = state.rings[state.ring];
      const patching = patchingCount(state.hosts);
      // A stale decision must not overrun the concurrency, so it is enforced here as well.
      const positions = pendingAmong(state, decision.hosts).slice(0, Math.max((ring?.concurrency ?? 0) - patching, 0));
      if (positions.length === 0) return state;
      const start = positions.map((i) => state.hosts[i]!.id);
      return withAudit(
        {
          ...state,
          hosts: withHostsChanged(state, start, { phase: 'patching', patchStartedAt: now }, positions),
          rings: updateRing(state.rings, state.ring, (r) => (r.startedAt === null ? { ...r, startedAt: now } : r)),
        },
        { ...entry, action: 'patch-hosts', hosts: start },
      );
    }
    case 'promote':
      if (state.phase !== 'running' || state.ring !== decision.ring || !state.rings[decision.toRing]) return state;
      return withAudit(
        { ...state, ring: decision.toRing, rings: updateRing(state.rings, decision.ring, (r) => ({ ...r, promotedAt: now })) },
        { ...entry, action: 'promote' },
      );
    case 'complete':
      if (state.phase !== 'running') return state;
      return withAudit({ ...state, phase: 'completed' }, { ...entry, action: 'complete' });
    case 'await-approval':
      if (state.phase !== 'running') return state;
      return withAudit({ ...state, phase: 'awaiting-approval' }, { ...entry, action: 'await-approval' });
    case 'pause': {
      const hosts = recordFailures(state.hosts, decision.failures, now);
      const pauses = state.phase === 'running' || state.phase === 'awaiting-approval';
      if (!pauses && hosts === state.hosts) return state;
      const paused = pauses ? { by: ENGINE, at: now, reason: decision.reasons.join('; ') } : state.paused;
      return withAudit({ ...state, hosts, phase: pauses ? 'paused' : state.phase, paused }, { ...entry, action: 'pause' });
    }
    case 'rollback':
      return startRollback(state, ENGINE, decision.reasons, decision.figures, decision.failures, now);
  }
}

/**
 * Host events handed over one at a time, each valid until the next is asked for: a caller with a
 * million of them need not make a million objects that live only until they are applied.
 */
export interface HostEventStream {
  readonly count: number;
  eventAt(k: number): HostEvent;
}

/**
 * Several events at once cost one copy of the host list, which matters with a hundred thousand
 * hosts, and none on a list its holder owns. A caller that knows where its hosts are in the list
 * may say so in `positions` (parallel to the events): used where the host there has that id.
 */
export function applyHostEvents(
  state: RolloutState,
  events: readonly HostEvent[] | HostEventStream,
  now: number,
  positions?: ArrayLike<number>,
): RolloutState {
  const edits = editHosts(state.hosts);
  const healthy = new HealthyChanges(now);
  const count = Array.isArray(events) ? events.length : (events as HostEventStream).count;
  const eventAt = Array.isArray(events) ? (k: number) => events[k]! : (k: number) => (events as HostEventStream).eventAt(k);
  for (let k = 0; k < count; k++) {
    const event = eventAt(k);
    const i = positionOf(state, event.hostId, positions?.[k]);
    const host = i === undefined ? undefined : edits.get(i);
    if (i === undefined || !host) throw new RolloutError(`rollout ${state.id} has no host ${event.hostId}`);
    const change = hostChange(host, event, state.patch.version, now, healthy);
    if (change !== null) edits.update(i, change);
  }
  if (!edits.changed) return state;
  return finishRollback(startSoak({ ...state, hosts: edits.result() }, now), now);
}

/** The change a patch that landed makes, one for every host of a batch on the same version: an edit in place copies it. */
class HealthyChanges {
  private readonly byVersion = new Map<string, Partial<HostState>>();
  constructor(private readonly now: number) {}

  of(version: string): Partial<HostState> {
    let change = this.byVersion.get(version);
    if (!change) {
      change = { phase: 'healthy', version, patchedAt: this.now };
      this.byVersion.set(version, change);
    }
    return change;
  }
}

/**
 * Positions of the named hosts of the current ring that are still pending, each once, in state
 * order; found through the positions the engine noted when it named them, when it did.
 */
function pendingAmong(state: RolloutState, ids: readonly string[]): number[] {
  const noted = notedPositions(ids);
  const positions: number[] = [];
  ids.forEach((id, k) => {
    const i = positionOf(state, id, noted?.[k]);
    const host = i === undefined ? undefined : state.hosts[i];
    if (i !== undefined && host?.ring === state.ring && host.phase === 'pending') positions.push(i);
  });
  // Sorted, a host named twice is next to itself.
  return [...Int32Array.from(positions).sort()].filter((i, k, sorted) => k === 0 || sorted[k - 1] !== i);
}

/** What an event changes on a host: its fields that change, or null when it changes nothing. */
function hostChange(host: HostState, event: HostEvent, target: string, now: number, healthy: HealthyChanges): Partial<HostState> | null {
  const repeated = host.version === event.version;
  // A patch still in flight when the rollback was ordered lands on a host already marked for rollback.
  if (host.phase === 'rolling-back' && event.type !== 'rolled-back') return repeated ? null : { version: event.version };
  switch (event.type) {
    case 'patched':
      if (host.phase === 'patching') {
        if (event.version !== target) return failedChange(event.version, `installed ${event.version} instead of ${target}`, now);
        return healthy.of(event.version);
      }
      if ((host.phase === 'healthy' || host.phase === 'failed') && repeated) return null;
      break;
    case 'patch-failed':
      if (host.phase === 'patching') return failedChange(event.version, `patch failed: ${event.reason}`, now);
      if (host.phase === 'failed' && repeated) return null;
      break;
    case 'rolled-back':
      if (event.version === target) throw new RolloutError(`host ${host.id} reports a rollback but still runs ${target}`);
      if (host.phase === 'rolling-back') return { phase: 'rolled-back', version: event.version };
      if (host.phase === 'rolled-back' && repeated) return null;
      break;
  }
  throw new RolloutError(`host ${host.id} is ${host.phase} on ${host.version}; it cannot report ${event.type} on ${event.version}`);
}

function failedChange(version: string, reason: string, now: number): Partial<HostState> {
  return { phase: 'failed', version, patchedAt: now, failure: { reason, at: now, acceptedBy: null } };
}

/** The soak clock starts when the ring's last host finishes patching. */
function startSoak(state: RolloutState, now: number): RolloutState {
  const ring = state.rings[state.ring];
  if (!ring || ring.startedAt === null || ring.soakStartedAt !== null || state.phase === 'rolling-back') return state;
  return ringBusy(state.hosts, state.ring) ? state : { ...state, rings: updateRing(state.rings, state.ring, (r) => ({ ...r, soakStartedAt: now })) };
}

function finishRollback(state: RolloutState, now: number): RolloutState {
  if (state.phase !== 'rolling-back' || touchedCount(state.hosts) > 0) return state;
  const restored = state.hosts.filter((h) => h.phase === 'rolled-back').length;
  return withAudit(
    { ...state, phase: 'rolled-back' },
    {
      at: now,
      actor: ENGINE,
      action: 'rolled-back',
      ring: state.ring,
      reasons: [`every host the patch touched is back on its base version (${plural(restored, 'host')}); none runs ${state.patch.version}`],
      figures: { rolledBack: restored },
      hosts: [],
    },
  );
}

/** Shared by the engine's rollback and a release manager's: every host the patch may have touched goes back. */
export function startRollback(
  state: RolloutState,
  actor: string,
  reasons: string[],
  figures: Figures,
  failures: readonly HostFailureReport[],
  now: number,
): RolloutState {
  if (state.phase === 'rolling-back' || state.phase === 'rolled-back') return state;
  const recorded = recordFailures(state.hosts, failures, now);
  const targets = recorded.filter(mayRunNewVersion).map((h) => h.id);
  const restoring = new Set(targets);
  const rolling: RolloutState = {
    ...state,
    phase: 'rolling-back',
    paused: null,
    hosts: recorded.map((h) => (restoring.has(h.id) ? { ...h, phase: 'rolling-back' } : h)),
  };
  return finishRollback(withAudit(rolling, { at: now, actor, action: 'rollback', ring: state.ring, reasons, figures, hosts: targets }), now);
}

/** Failures the engine judged from check results become part of the state, so they outlive the observations. */
function recordFailures(hosts: HostState[], failures: readonly HostFailureReport[], now: number): HostState[] {
  const reasons = new Map(failures.map((f) => [f.hostId, f.reason]));
  if (!hosts.some((h) => h.phase === 'healthy' && reasons.has(h.id))) return hosts;
  return hosts.map((h) => {
    const reason = reasons.get(h.id);
    return h.phase === 'healthy' && reason !== undefined ? { ...h, phase: 'failed', failure: { reason, at: now, acceptedBy: null } } : h;
  });
}

export function updateRing(rings: RingState[], index: number, change: (ring: RingState) => RingState): RingState[] {
  return rings.map((r, i) => (i === index ? change(r) : r));
}

export function withAudit(state: RolloutState, entry: AuditEntry): RolloutState {
  return { ...state, audit: appended(state.audit, entry) };
}
