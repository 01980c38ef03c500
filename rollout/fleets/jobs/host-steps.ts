import type pg from 'pg';
import { engineFlag } from '../../../lab/jobs/engine-routing.ts';
import { addJob } from '../../../lab/jobs/job-results.ts';
import type { NewTransition } from '../../store/rollout-store.ts';

/** The task name of a host step in the queue. */
export const HOST_STEP_TASK = 'host-step';

export type HostStep = 'patch' | 'rollback' | 'check';

export interface HostStepPayload {
  rolloutId: string;
  hostId: string;
  step: HostStep;
  /** The job's key, under which its result is kept. */
  key: string;
}

/**
 * A patch or a rollback of one host is one job however often it is asked for: the decision's
 * transaction adds it, the fleet asks again when it acts on the decision, and a resumed driver asks
 * once more; all three name the same key and the queue keeps one job. A check is a fresh job each
 * round.
 */
export function stepKey(rolloutId: string, hostId: string, step: Exclude<HostStep, 'check'>): string {
  return `${rolloutId}/${hostId}/${step}`;
}

/** The host steps a stored transition asks for: an engine's patch-hosts or rollback decision. */
export function stepsAskedBy(transition: Pick<NewTransition, 'kind' | 'payload'>): { hostId: string; step: 'patch' | 'rollback' }[] {
  if (transition.kind !== 'decision') return [];
  const decision = transition.payload as { action?: string; hosts?: unknown };
  if (!Array.isArray(decision.hosts)) return [];
  const step = decision.action === 'patch-hosts' ? 'patch' : decision.action === 'rollback' ? 'rollback' : undefined;
  if (!step) return [];
  return decision.hosts.filter((h): h is string => typeof h === 'string').map((hostId) => ({ hostId, step }));
}

/** How often a host step is tried when its worker fails (not the host: a host's own failure is a result). */
export const HOST_STEP_ATTEMPTS = 8;

/**
 * Adds a host step on the given connection, inside whatever transaction it is in. The steps of one
 * host share a queue, so they run one at a time in the order asked (a rollback never runs beside a
 * patch still in flight on another worker), and only a worker on the host's engine takes them.
 */
export async function addHostStep(client: pg.ClientBase, payload: HostStepPayload, dockerHost?: string): Promise<void> {
  const engine = dockerHost ?? (await enginesOf(client, payload.rolloutId, [payload.hostId])).get(payload.hostId);
  // A check goes before waiting patches: the engine fails a patched host not checked within the policy's check timeout.
  const priority = payload.step === 'check' ? -1 : 0;
  const flags = engine === undefined ? [] : [engineFlag(engine)];
  await addJob(client, { task: HOST_STEP_TASK, payload, key: payload.key, maxAttempts: HOST_STEP_ATTEMPTS, queue: `${payload.rolloutId}/${payload.hostId}`, priority, flags });
}

/** The engine each of these hosts of a rollout lives on, for those registered. */
async function enginesOf(client: pg.ClientBase, rolloutId: string, hostIds: readonly string[]): Promise<Map<string, string>> {
  const { rows } = await client.query<{ host_id: string; docker_host: string }>(
    'SELECT host_id, docker_host FROM patchlab_fleet_hosts WHERE rollout_id = $1 AND host_id = ANY($2::text[])',
    [rolloutId, [...hostIds]],
  );
  return new Map(rows.map((r) => [r.host_id, r.docker_host]));
}

/**
 * For the store: the jobs of a decision, in the decision's own transaction, for the hosts that
 * workers reach (registered in patchlab_fleet_hosts). A rollout this process drives on its own
 * fleet adds none: a worker that started later would otherwise find steps nobody waits for.
 */
export async function addStepsOfTransition(client: pg.PoolClient, rolloutId: string, transition: NewTransition): Promise<void> {
  const steps = stepsAskedBy(transition);
  if (steps.length === 0) return;
  const onWorkers = await enginesOf(client, rolloutId, steps.map((s) => s.hostId));
  for (const { hostId, step } of steps) {
    const engine = onWorkers.get(hostId);
    if (engine !== undefined) await addHostStep(client, { rolloutId, hostId, step, key: stepKey(rolloutId, hostId, step) }, engine);
  }
}
