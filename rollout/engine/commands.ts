import { ENGINE, hostsOfRing, RolloutError, type AuditEntry, type HostState, type RolloutState } from './state.ts';
import { startRollback, updateRing, withAudit } from './transitions.ts';

/** Who asks and why; both go into the audit log. */
export interface Command {
  actor: string;
  reason: string;
}

/*
 * What a release manager can do. Each command sets an absolute value ("paused", "ring pilot
 * approved", "current ring is broad"), so a doubled click or a retried request changes nothing
 * the second time. A command the state does not allow throws a RolloutError that says why.
 */

export function pause(state: RolloutState, command: Command, now: number): RolloutState {
  check(command);
  if (state.phase === 'paused') return state;
  if (state.phase !== 'running' && state.phase !== 'awaiting-approval') throw new RolloutError(`cannot pause a rollout that is ${state.phase}`);
  return withAudit(
    { ...state, phase: 'paused', paused: { by: command.actor, at: now, reason: command.reason } },
    entry(state, command, 'pause', now),
  );
}

/** Resuming accepts the failures the rollout paused for: they stop nothing more, though they still spend the budget. */
export function resume(state: RolloutState, command: Command, now: number): RolloutState {
  check(command);
  if (state.phase === 'running' || state.phase === 'awaiting-approval') return state;
  if (state.phase !== 'paused' || !state.paused) throw new RolloutError(`cannot resume a rollout that is ${state.phase}`);
  const pausedAt = state.paused.at;
  const rings = updateRing(state.rings, state.ring, (r) =>
    r.soakStartedAt === null ? r : { ...r, pausedDuringSoakMs: r.pausedDuringSoakMs + now - Math.max(pausedAt, r.soakStartedAt) },
  );
  return withAudit(
    { ...state, phase: 'running', paused: null, rings, hosts: acceptFailures(state.hosts, command.actor) },
    entry(state, command, 'resume', now),
  );
}

export function approve(state: RolloutState, command: Command & { ring: string }, now: number): RolloutState {
  check(command);
  const index = ringIndex(state, command.ring);
  const ring = state.rings[index];
  if (!ring || ring.approval) return state;
  if (!ring.requiresApproval) throw new RolloutError(`ring ${ring.name} does not need approval`);
  if (!isUnderway(state)) throw new RolloutError(`cannot approve a ring of a rollout that is ${state.phase}`);
  const starts = state.phase === 'awaiting-approval' && index === state.ring;
  return withAudit(
    {
      ...state,
      phase: starts ? 'running' : state.phase,
      rings: updateRing(state.rings, index, (r) => ({ ...r, approval: { by: command.actor, at: now, reason: command.reason } })),
    },
    { ...entry(state, command, 'approve', now), ring: index },
  );
}

/**
 * Moves the rollout on to the named ring without waiting for the rest of the soak or the gates:
 * the release manager takes the decision and accepts the failures so far. Every host of the
 * current ring must be patched first, so no host is ever left behind in a ring already passed.
 */
export function promote(state: RolloutState, command: Command & { ring: string }, now: number): RolloutState {
  check(command);
  const index = ringIndex(state, command.ring);
  if (index <= state.ring) return state;
  if (!isUnderway(state)) throw new RolloutError(`cannot promote a rollout that is ${state.phase}`);
  if (index !== state.ring + 1) throw new RolloutError(`promote one ring at a time: the rollout is in ring ${state.rings[state.ring]?.name}`);
  const unfinished = hostsOfRing(state, state.ring).filter((h) => h.phase === 'pending' || h.phase === 'patching');
  if (unfinished.length > 0) throw new RolloutError(`ring ${state.rings[state.ring]?.name} still has ${unfinished.length} hosts to patch`);
  return withAudit(
    {
      ...state,
      phase: 'running',
      paused: null,
      ring: index,
      rings: updateRing(state.rings, state.ring, (r) => ({ ...r, promotedAt: now })),
      hosts: acceptFailures(state.hosts, command.actor),
    },
    entry(state, command, 'promote', now),
  );
}

export function rollback(state: RolloutState, command: Command, now: number): RolloutState {
  check(command);
  return startRollback(state, command.actor, [command.reason], {}, [], now);
}

/** Neither finished nor rolling back: a ring can still be approved or promoted. */
function isUnderway(state: RolloutState): boolean {
  return state.phase === 'running' || state.phase === 'paused' || state.phase === 'awaiting-approval';
}

function acceptFailures(hosts: HostState[], actor: string): HostState[] {
  if (!hosts.some((h) => h.failure && h.failure.acceptedBy === null)) return hosts;
  return hosts.map((h) => (h.failure && h.failure.acceptedBy === null ? { ...h, failure: { ...h.failure, acceptedBy: actor } } : h));
}

function ringIndex(state: RolloutState, name: string): number {
  const index = state.rings.findIndex((r) => r.name === name);
  if (index < 0) throw new RolloutError(`rollout ${state.id} has no ring ${name}; its rings are ${state.rings.map((r) => r.name).join(', ')}`);
  return index;
}

function check({ actor, reason }: Command): void {
  if (actor.trim() === '' || actor === ENGINE) throw new RolloutError(`a command needs the name of the person giving it, not "${actor}"`);
  if (reason.trim() === '') throw new RolloutError('a command needs a reason for the audit log');
}

function entry(state: RolloutState, command: Command, action: 'pause' | 'resume' | 'approve' | 'promote', now: number): AuditEntry {
  return { at: now, actor: command.actor, action, ring: state.ring, reasons: [command.reason], figures: {}, hosts: [] };
}
