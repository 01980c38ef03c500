import { describeAgeWait, waitingUntil } from './age-wait.ts';
import type { Decision, Figures, HostFailureReport } from './decision.ts';
import { notePositions, patchingCount } from './engine-memo.ts';
import { describeBreach, describeHosts, describeLatency, describeRegression, healthFigures, latencyFigures } from './explain.ts';
import { formatDuration, listNames, plural } from './format.ts';
import { ringHealth } from './health.ts';
import { pendingOfRing } from './host-summary.ts';
import { type RingHealth } from './host-verdict.ts';
import { mayJudgeLater, ringLatency } from './latency-gate.ts';
import { indexObservations, type Observation, type ObservationIndex } from './observations.ts';
import { LATENCY_SOAK_EXTENSION, soakFor, type RolloutPolicy } from './policy.ts';
import { currentRing, mayRunNewVersion, type RolloutState } from './state.ts';

/**
 * What to do next, from the state, the check results so far and the time; nothing else. Health
 * comes first: a ring over its failure budget rolls back every host patched so far, even while
 * paused or awaiting approval; a failure nobody has accepted yet pauses the rollout at once;
 * a failed check waiting for its re-check holds everything. Only then does the engine patch,
 * soak, judge latency and promote.
 *
 * Observations come as a list, or already indexed by host (oldest first), which a simulator of a
 * large fleet keeps up to date as checks arrive rather than have every decision sort them again.
 */
export function decide(
  state: RolloutState,
  observations: readonly Observation[] | ObservationIndex,
  now: number,
  policy: RolloutPolicy,
): Decision {
  if (state.phase === 'completed') return hold(state, [`the rollout completed; nothing left to do`]);
  if (state.phase === 'rolled-back') return hold(state, [`the rollout was rolled back; nothing left to do`]);
  if (state.phase === 'rolling-back') return rollbackRemaining(state);

  const history = 'get' in observations ? observations : indexObservations(observations);
  const health = state.rings.slice(0, state.ring + 1).map((_, ring) => ringHealth(state, ring, history, now, policy));
  const figures = Object.assign({}, ...health.map(healthFigures)) as Figures;

  const breached = health.filter((h) => h.breached);
  if (breached.length > 0) {
    return rollback(state, breached.map(describeBreach), health.flatMap((h) => h.failed), figures);
  }
  if (state.paused) {
    const { by, at, reason } = state.paused;
    return hold(state, [`paused by ${by} at ${new Date(at).toISOString()}: ${reason}`], figures);
  }
  const unaccepted = health
    .map((h) => ({ h, fresh: h.failed.filter((f) => !f.accepted) }))
    .filter(({ fresh }) => fresh.length > 0);
  if (unaccepted.length > 0) {
    return {
      action: 'pause',
      ring: state.ring,
      failures: unaccepted.flatMap(({ fresh }) => fresh.map(({ hostId, reason }) => ({ hostId, reason }))),
      reasons: [
        ...unaccepted.map(
          ({ h, fresh }) =>
            `ring ${h.name}: ${plural(fresh.length, 'host')} failed, ${h.failed.length} in all, ` +
            `within its failure budget of ${h.budget}: ${describeHosts(fresh)}`,
        ),
        'promotion stops until a release manager resumes (accepting these failures) or rolls back',
      ],
      figures,
    };
  }
  return advance(state, health, history, now, policy, figures);
}

function advance(
  state: RolloutState,
  health: readonly RingHealth[],
  history: ObservationIndex,
  now: number,
  policy: RolloutPolicy,
  figures: Figures,
): Decision {
  const until = waitingUntil(state.ageWait, now);
  if (until !== null && state.ageWait) {
    return hold(state, describeAgeWait(state.ageWait), { ...figures, waitUntil: until, minimumAgeMs: state.ageWait.minimumAgeMs, youngUpdates: state.ageWait.young.length });
  }
  const ring = currentRing(state);
  if (ring.startedAt === null && ring.requiresApproval && !ring.approval) {
    const reason = `ring ${ring.name} needs a release manager's approval before its first host is patched`;
    return { action: 'await-approval', ring: state.ring, reasons: [reason], figures };
  }
  const suspects = health.flatMap((h) => h.suspect);
  if (suspects.length > 0) {
    return hold(state, [`waiting for the re-check of ${describeHosts(suspects)} before patching or promoting further`], figures);
  }

  const pending = pendingOfRing(state.hosts, state.ring);
  const patching = patchingCount(state.hosts);
  const slots = ring.concurrency - patching;
  const work = { ...figures, concurrency: ring.concurrency, patching, pending: pending.count };
  if (pending.count > 0 && slots <= 0) {
    return hold(state, [`ring ${ring.name}: ${plural(patching, 'host')} patching, as many as its concurrency of ${ring.concurrency} allows`], work);
  }
  if (pending.count > 0) {
    const chosen = pending.first(slots);
    const hosts = chosen.hosts.map((h) => h.id);
    notePositions(hosts, chosen.positions);
    return {
      action: 'patch-hosts',
      ring: state.ring,
      hosts,
      reasons: [
        `ring ${ring.name}: patching ${listNames(hosts)} ` +
          `(${pending.count} of ${ring.hostIds.length} hosts not yet patched, ${patching} patching, concurrency ${ring.concurrency})`,
      ],
      figures: work,
    };
  }
  if (patching > 0) return hold(state, [`ring ${ring.name}: waiting for ${plural(patching, 'host')} to finish patching`], work);

  // A ring promoted by hand may still have hosts nobody has checked yet; they count as much as this ring's.
  const unobserved = health.flatMap((h) => h.unobserved);
  if (unobserved.length > 0) {
    return hold(state, [`waiting for the first check results of ${listNames(unobserved)}`], figures);
  }
  const current = health[state.ring]!;
  if (ring.soakStartedAt === null) throw new Error(`ring ${ring.name} is fully patched but its soak never started`);
  const soak = soakFor(ring, policy);
  const soaked = now - ring.soakStartedAt - ring.pausedDuringSoakMs;
  const soakFigures = { ...figures, soakMs: soak, soakedMs: soaked, policy: policy.name };
  if (soaked < soak) {
    return hold(state, [`ring ${ring.name}: soaking, ${formatDuration(soaked)} of ${formatDuration(soak)} (${policy.name} policy)`], soakFigures);
  }

  // Judged once, when the soak ends: testing at every tick would multiply the chances of a false alarm.
  const latency = ring.healthGate.latency ? ringLatency(state, state.ring, history, policy.latency) : null;
  const judged = { ...soakFigures, ...(latency ? latencyFigures(ring.name, latency) : {}) };
  // A gate that could not judge has not passed: soak on while samples come in (a busy fleet
  // checks less often than planned), up to the soak again twice over; but not for samples no
  // host can give any more (the last ring's baseline: every host already runs the patch).
  const unjudged = latency !== null && (latency.tooFewSamples.length > 0 || latency.compared.length === 0);
  const hopeless = unjudged && !mayJudgeLater(latency, policy.latency, laterRingsPending(state));
  if (unjudged && !hopeless && soaked < soak * LATENCY_SOAK_EXTENSION) {
    return hold(state, [`ring ${ring.name}: soaked ${formatDuration(soaked)}, soaking on until the latency gate has enough samples`, ...describeLatency(latency)], judged);
  }
  if (latency?.regressed) {
    const slower = latency.compared.filter((c) => c.regressed).map((c) => describeRegression(ring.name, c, latency.alphaPerCheck));
    return rollback(state, slower, health.flatMap((h) => h.failed), judged);
  }

  const reasons = [
    `ring ${ring.name} soaked ${formatDuration(soaked)} with ${current.passing} of ${plural(current.size, 'host')} passing` +
      (current.flaky.length > 0 ? ` (flaky, cleared on re-check: ${listNames(current.flaky)})` : '') +
      (current.failed.length > 0 ? ` and ${current.failed.length} accepted failures` : ''),
    ...(latency ? describeLatency(latency) : [`ring ${ring.name} is not judged on latency`]),
    ...(hopeless ? [`ring ${ring.name}: no host is left on its old version to give the latency gate baseline samples`] : []),
  ];
  const next = state.rings[state.ring + 1];
  if (!next) return { action: 'complete', ring: state.ring, reasons: [...reasons, 'every ring is patched'], figures: judged };
  return { action: 'promote', ring: state.ring, toRing: state.ring + 1, reasons: [...reasons, `promoting to ring ${next.name}`], figures: judged };
}

/** Hosts of a later ring not yet patched: the latency gate's baseline can still grow. */
function laterRingsPending(state: RolloutState): boolean {
  return state.rings.some((_, r) => r > state.ring && pendingOfRing(state.hosts, r).count > 0);
}

function rollback(state: RolloutState, why: string[], failures: readonly HostFailureReport[], figures: Figures): Decision {
  const hosts = state.hosts.filter(mayRunNewVersion).map((h) => h.id);
  return {
    action: 'rollback',
    ring: state.ring,
    hosts,
    failures: failures.map(({ hostId, reason }) => ({ hostId, reason })),
    reasons: [...why, `rolling back every host patched so far: ${plural(hosts.length, 'host')}`],
    figures: { ...figures, rollingBack: hosts.length },
  };
}

/** Repeated while the rollback runs, so a restarted driver learns what is left to restore. */
function rollbackRemaining(state: RolloutState): Decision {
  const hosts = state.hosts.filter(mayRunNewVersion).map((h) => h.id);
  return {
    action: 'rollback',
    ring: state.ring,
    hosts,
    failures: [],
    reasons: [`rolling back: ${plural(hosts.length, 'host')} still to return to their base version`],
    figures: { rollingBack: hosts.length },
  };
}

function hold(state: RolloutState, reasons: string[], figures: Figures = {}): Decision {
  return { action: 'hold', ring: state.ring, reasons, figures };
}
