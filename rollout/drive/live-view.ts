import { describeAgeWait, waitingUntil } from '../engine/age-wait.ts';
import type { Decision } from '../engine/decision.ts';
import type { RolloutState } from '../engine/state.ts';

/** One line per ring: what a release manager glances at. Pure. */
export function ringLines(state: RolloutState): string[] {
  return state.rings.map((ring, index) => {
    const hosts = state.hosts.filter((h) => h.ring === index);
    const count = (phase: string) => hosts.filter((h) => h.phase === phase).length;
    const marker = index === state.ring ? '▶' : ' ';
    const status = index < state.ring ? 'done' : index === state.ring ? state.phase : 'waiting';
    return `${marker} ${ring.name.padEnd(8)} ${status.padEnd(17)} healthy ${count('healthy')}/${hosts.length}  patching ${count('patching')}  failed ${count('failed')}/${ring.failureBudget} budget  rolled back ${count('rolled-back')}`;
  });
}

/** The decision as the terminal shows it. Pure. */
export function decisionLines(decision: Decision, state: RolloutState, elapsedMs: number): string[] {
  const ring = state.rings[decision.ring]?.name ?? `ring ${decision.ring}`;
  const hosts = 'hosts' in decision && decision.hosts.length > 0 ? ` [${decision.hosts.join(', ')}]` : '';
  return [`[${(elapsedMs / 1000).toFixed(1).padStart(6)}s] ${ring}: ${decision.action}${hosts}`, ...decision.reasons.map((r) => `           ${r}`)];
}

/** The minimum-age wait, while it holds the rollout, and how to cut it short; an override once given. Pure. */
export function waitLines(state: RolloutState, now: number): string[] {
  const wait = state.ageWait;
  if (!wait) return [];
  if (wait.override) return [`minimum age overridden by ${wait.override.by} at ${new Date(wait.override.at).toISOString()}: ${wait.override.reason}`];
  if (waitingUntil(wait, now) === null) return [];
  return [...describeAgeWait(wait), `an admin overrides it with: patchlab rollout override-age ${state.id} --reason <why>`];
}
