import { isRingCommand, RING_COMMANDS, ROLLOUT_COMMANDS, type CommandName, type RingCommandName } from './command-names.ts';
import { isUnderway } from './phase.ts';
import { ENGINE, hostsOfRing, RolloutError, type AuditEntry, type HostState, type RolloutState } from './state.ts';
import { startRollback, updateRing, withAudit } from './transitions.ts';

/** Who asks and why; both go into the audit log. */
export interface Command {
  actor: string;
  reason: string;
}

/** A release manager's command as the CLI, the page and the API give it. */
export type CommandRequest =
  | (Command & { name: (typeof ROLLOUT_COMMANDS)[number] })
  | (Command & { name: RingCommandName; ring: string });

/** The command applied to the state; the same state back when it changes nothing. */
export function applyCommand(state: RolloutState, request: CommandRequest, now: number): RolloutState {
  const command = { actor: request.actor, reason: request.reason };
  switch (request.name) {
    case 'pause':
      return pause(state, command, now);
    case 'resume':
      return resume(state, command, now);
    case 'rollback':
      return rollback(state, command, now);
    case 'override-age':
      return overrideAge(state, command, now);
    case 'promote':
      return promote(state, { ...command, ring: request.ring }, now);
    case 'approve':
      return approve(state, { ...command, ring: request.ring }, now);
  }
}

/** What each command does, in the words the CLI's help and the page's buttons use. */
export const COMMAND_SUMMARIES: Readonly<Record<CommandName, string>> = {
  pause: 'stop starting new hosts until resumed',
  resume: 'go on after a pause (accepting the failures it paused for)',
  rollback: 'roll back every host the patch reached',
  promote: 'move to the named ring now',
  approve: 'approve a ring that requires approval',
  'override-age': 'patch now, before its updates reach the minimum age (admins only)',
};

/** One command the state would accept, ready to be given (with its ring, for promote and approve). */
export type CommandOffer = { name: (typeof ROLLOUT_COMMANDS)[number] } | { name: RingCommandName; ring: string };

/** The commands on offer (see availableActions) one by one, in the order the page shows them. */
export function offeredCommands(actions: AvailableActions): CommandOffer[] {
  return [
    ...actions.approve.map((ring) => ({ name: 'approve' as const, ring })),
    ...(actions.promoteTo ? [{ name: 'promote' as const, ring: actions.promoteTo }] : []),
    ...ROLLOUT_COMMANDS.filter((name) => actions[name]).map((name) => ({ name })),
  ];
}

/** What the buttons offer: the commands that would change this state. */
export interface AvailableActions {
  pause: boolean;
  resume: boolean;
  rollback: boolean;
  /** The ring a promote would move to, if the current one is fully patched. */
  promoteTo: string | null;
  /** Rings from the current one on that still need an approval. */
  approve: string[];
  /** The rollout waits for its updates' minimum age and an admin may cut the wait short. */
  'override-age': boolean;
}

/** The commands this state would accept and act on, by the same rules the commands below enforce. */
export function availableActions(state: RolloutState): AvailableActions {
  const next = state.rings[state.ring + 1];
  return {
    pause: mayPause(state),
    resume: mayResume(state),
    rollback: mayRollBack(state),
    promoteTo: isUnderway(state.phase) && currentRingPatched(state) && next ? next.name : null,
    approve: isUnderway(state.phase) ? state.rings.filter((r, i) => i >= state.ring && r.requiresApproval && !r.approval).map((r) => r.name) : [],
    'override-age': mayOverrideAge(state),
  };
}

const mayPause = (state: RolloutState) => state.phase === 'running' || state.phase === 'awaiting-approval';
const mayResume = (state: RolloutState) => state.phase === 'paused' && state.paused !== null;
const mayRollBack = (state: RolloutState) => state.phase !== 'rolling-back' && state.phase !== 'rolled-back';
// Without a clock: a wait whose time has passed stops being offered once the first host is patched.
const mayOverrideAge = (state: RolloutState) => isUnderway(state.phase) && !!state.ageWait && state.ageWait.override === null && state.hosts.every((h) => h.phase === 'pending');
const currentRingPatched = (state: RolloutState) => hostsOfRing(state, state.ring).every((h) => h.phase !== 'pending' && h.phase !== 'patching');

/*
 * What a release manager can do. Each command sets an absolute value ("paused", "ring pilot
 * approved", "current ring is broad"), so a doubled click or a retried request changes nothing
 * the second time. A command the state does not allow throws a RolloutError that says why.
 */

export function pause(state: RolloutState, command: Command, now: number): RolloutState {
  check(command);
  if (state.phase === 'paused') return state;
  if (!mayPause(state)) throw new RolloutError(`cannot pause a rollout that is ${state.phase}`);
  return withAudit(
    { ...state, phase: 'paused', paused: { by: command.actor, at: now, reason: command.reason } },
    entry(state, command, 'pause', now),
  );
}

/** Resuming accepts the failures the rollout paused for: they stop nothing more, though they still spend the budget. */
export function resume(state: RolloutState, command: Command, now: number): RolloutState {
  check(command);
  if (state.phase === 'running' || state.phase === 'awaiting-approval') return state;
  if (!mayResume(state) || !state.paused) throw new RolloutError(`cannot resume a rollout that is ${state.phase}`);
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
  if (!isUnderway(state.phase)) throw new RolloutError(`cannot approve a ring of a rollout that is ${state.phase}`);
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
  if (!isUnderway(state.phase)) throw new RolloutError(`cannot promote a rollout that is ${state.phase}`);
  if (index !== state.ring + 1) throw new RolloutError(`promote one ring at a time: the rollout is in ring ${state.rings[state.ring]?.name}`);
  const unfinished = hostsOfRing(state, state.ring).filter((h) => h.phase === 'pending' || h.phase === 'patching');
  if (!currentRingPatched(state)) throw new RolloutError(`ring ${state.rings[state.ring]?.name} still has ${unfinished.length} hosts to patch`);
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

/** Patching may start before the updates reach the minimum age; the reason goes into the audit log. */
export function overrideAge(state: RolloutState, command: Command, now: number): RolloutState {
  check(command);
  if (state.ageWait?.override) return state;
  if (!mayOverrideAge(state) || !state.ageWait) {
    throw new RolloutError(state.ageWait ? `cannot override the minimum age of a rollout that is ${state.phase} or already patching` : `rollout ${state.id} does not wait for a minimum age`);
  }
  const { until, minimumAgeMs, young } = state.ageWait;
  return withAudit(
    { ...state, ageWait: { ...state.ageWait, override: { by: command.actor, at: now, reason: command.reason } } },
    { ...entry(state, command, 'override-age', now), figures: { waitUntil: until, minimumAgeMs, youngUpdates: young.length } },
  );
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

function entry(state: RolloutState, command: Command, action: 'pause' | 'resume' | 'approve' | 'promote' | 'override-age', now: number): AuditEntry {
  return { at: now, actor: command.actor, action, ring: state.ring, reasons: [command.reason], figures: {}, hosts: [] };
}
