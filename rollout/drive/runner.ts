import { isTerminal } from '../engine/phase.ts';
import type { Decision } from '../engine/decision.ts';
import { decide } from '../engine/engine.ts';
import type { Fleet } from '../fleets/fleet.ts';
import type { Observation } from '../engine/observations.ts';
import type { RolloutPolicy } from '../engine/policy.ts';
import { hostsInFlight, type Phase, type RolloutState } from '../engine/state.ts';
import { apply, applyHostEvents, type HostEvent } from '../engine/transitions.ts';
import { GONE_REASON } from '../engine/hosts-gone.ts';
import { CheckRounds } from './check-rounds.ts';

/** The slice of the store the runner needs: read the current state, append a transition atomically. */
export interface RunnerStore {
  current(id: string): Promise<{ state: RolloutState; seq: number }>;
  /** Stores the state after a step; false when another process wrote first (reload and decide again). */
  commit(id: string, step: { at: number; actor: string; kind: 'decision' | 'host-events'; payload: unknown }, after: RolloutState, expectedSeq: number): Promise<boolean>;
}

export interface RunnerOptions {
  store: RunnerStore;
  fleet: Fleet;
  policy: RolloutPolicy;
  checkIntervalMs: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Told of every stored decision, for a live view. */
  onDecision?: (decision: Decision, state: RolloutState) => void;
  onError?: (message: string) => void;
  /**
   * Told of every round of check results before the engine may judge by them, so that a store
   * can keep them first: a restarted runner then decides from the same evidence.
   */
  onObservations?: (batch: Observation[], state: RolloutState) => Promise<void>;
  /**
   * Told when the stored phase changes while this runner drives the rollout, whoever changed it
   * (the engine, the fleet's events, a command given elsewhere); not for the phase it found.
   */
  onPhase?: (state: RolloutState, previous: Phase) => void;
  /**
   * Told once, before anything is done, of the rollout's hosts its fleet does not have (removed
   * by hand while nobody drove it). They are never checked; a patch of one fails at once with
   * GONE_REASON once the rollout is not paused, and a rollback of one is done, as nothing runs there.
   */
  onHostsGone?: (hostIds: string[], state: RolloutState) => Promise<void>;
  /** Observations from before a restart. */
  history?: Observation[];
  signal?: AbortSignal;
  /**
   * Whether this runner may still decide and act (its lease surely holds); while false it only
   * waits, so a driver woken from a pause longer than its lease starts no host work of its own.
   */
  mayAct?: () => boolean;
}

/** How often the store is read again for commands given elsewhere, when nothing of this process's own has happened. */
const TICK_MS = 250;
/** How long a host whose work failed waits before it is tried again. */
const RETRY_MS = 2_000;

/**
 * Drives one rollout to its end: decide, store, then act, so a step is never acted on unless it
 * was stored first. Host work runs in the background; its results come back as host events,
 * applied in this loop only, so this process is the single writer of its own steps. Commands
 * from people (other processes) land in the store; the loop reads the state anew every tick.
 */
export async function driveRollout(id: string, options: RunnerOptions): Promise<RolloutState> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const observations: Observation[] = [...(options.history ?? [])];
  const events: HostEvent[] = [];
  const busy = new Set<string>();
  let phase: Phase | undefined;
  // A host's result or a round of checks wakes the loop at once: the next wave or decision does not wait out the tick.
  let wakeUp: (() => void) | undefined;
  let woken = false;
  const wake = () => (wakeUp ? wakeUp() : (woken = true));
  const pause = async () => {
    if (woken) {
      woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const done = () => {
        if (wakeUp === done) wakeUp = undefined;
        resolve();
      };
      wakeUp = done;
      void sleep(TICK_MS).then(done);
    });
  };
  const checks = new CheckRounds({
    fleet: options.fleet,
    intervalMs: options.checkIntervalMs,
    now,
    record: async (batch, state) => {
      await options.onObservations?.(batch, state);
      observations.push(...batch);
    },
    onRecorded: wake,
    ...(options.onError ? { onError: options.onError } : {}),
  });

  const retryAt = new Map<string, number>();
  const work = (hostId: string, job: () => Promise<HostEvent>) => {
    if (busy.has(hostId) || now() < (retryAt.get(hostId) ?? 0)) return;
    busy.add(hostId);
    // Not busy once its event is queued, in the same step: the loop applies queued events before it looks at hosts in flight.
    job().then(
      (event) => {
        busy.delete(hostId);
        events.push(event);
        wake();
      },
      (error: Error) => {
        // Not at every tick: a Docker engine that is restarting answers nothing for seconds.
        retryAt.set(hostId, now() + RETRY_MS);
        busy.delete(hostId);
        options.onError?.(`host ${hostId}: ${error.message}; will try again in ${RETRY_MS / 1000} s`);
      },
    );
  };
  let gone: ReadonlySet<string> | undefined;
  const hostOf = (state: RolloutState, hostId: string) => state.hosts.find((h) => h.id === hostId);
  const patchOrConfirm = (hostId: string, state: RolloutState) =>
    work(hostId, async () => {
      if (gone?.has(hostId)) return { type: 'patch-failed', hostId, version: hostOf(state, hostId)?.version ?? '', reason: GONE_REASON };
      // After a restart the host may have finished before the process died: never patch it twice.
      const version = options.fleet.hosts().find((h) => h.id === hostId)?.version;
      if (version === state.patch.version) return { type: 'patched', hostId, version };
      return options.fleet.patch(hostId);
    });
  const rollbackOrConfirm = (hostId: string, state: RolloutState) =>
    work(hostId, async () => {
      if (gone?.has(hostId)) return { type: 'rolled-back', hostId, version: hostOf(state, hostId)?.baseVersion ?? '' };
      const version = options.fleet.hosts().find((h) => h.id === hostId)?.version;
      if (version !== undefined && version !== state.patch.version) {
        const base = state.hosts.find((h) => h.id === hostId)?.baseVersion;
        if (version === base) return { type: 'rolled-back', hostId, version };
      }
      return options.fleet.rollback(hostId);
    });

  for (;;) {
    // A round of checks still running would record its results after the caller closed the store.
    if (options.signal?.aborted) {
      await checks.settled();
      return (await options.store.current(id)).state;
    }
    if (options.mayAct?.() === false) {
      await sleep(TICK_MS);
      continue;
    }
    const { state, seq } = await options.store.current(id);
    if (gone === undefined) {
      const inFleet = new Set(options.fleet.hosts().map((h) => h.id));
      gone = new Set(state.hosts.filter((h) => !inFleet.has(h.id)).map((h) => h.id));
      // Said once: asked every tick, a fleet without them answered the same error every few seconds, forever.
      if (gone.size > 0) await options.onHostsGone?.([...gone], state);
      continue;
    }
    if (phase !== undefined && state.phase !== phase) options.onPhase?.(state, phase);
    phase = state.phase;
    if (isTerminal(state.phase) && busy.size === 0) {
      await checks.settled();
      return state;
    }

    if (events.length > 0) {
      const batch = events.splice(0, events.length);
      const after = applyHostEvents(state, batch, now());
      if (after !== state && !(await options.store.commit(id, { at: now(), actor: 'fleet', kind: 'host-events', payload: batch }, after, seq))) {
        events.unshift(...batch);
      }
      continue;
    }

    for (const host of hostsInFlight(state)) {
      // A gone host's failure would be judged at once, and may roll back the others: not while a person holds the rollout paused.
      if (gone.has(host.id) && state.phase === 'paused') continue;
      if (host.phase === 'patching') patchOrConfirm(host.id, state);
      else rollbackOrConfirm(host.id, state);
    }

    checks.startDue(state, gone.size > 0 ? new Set([...busy, ...gone]) : busy);

    if (!isTerminal(state.phase)) {
      const decision = decide(state, observations, now(), options.policy);
      const after = apply(state, decision, now());
      if (after !== state) {
        if (!(await options.store.commit(id, { at: now(), actor: 'engine', kind: 'decision', payload: decision }, after, seq))) continue;
        options.onDecision?.(decision, after);
        if (decision.action === 'patch-hosts') for (const hostId of decision.hosts) patchOrConfirm(hostId, after);
        if (decision.action === 'rollback') for (const hostId of decision.hosts) rollbackOrConfirm(hostId, after);
        continue;
      }
    }
    await pause();
  }
}
