import type pg from 'pg';
import type { SourceAdvisory } from '../../../lab/advisories/advisory.ts';
import type { Hold } from '../../../lab/holds/holds.ts';
import { engineFlag } from '../../../lab/jobs/engine-routing.ts';
import { addJob, askJob } from '../../../lab/jobs/job-results.ts';
import { liveEngines } from '../../../lab/jobs/worker-liveness.ts';
import type { PatchRequest } from '../../../lab/patches/request.ts';
import type { HostFault, PreparedPatch } from '../containers/prepared-patch.ts';

/*
 * The two jobs that let a coordinator start a rollout on containers without an engine of its own:
 * preparing the patch (resolve, fetch, pin sha256) on any worker, and starting or removing the
 * fleet's hosts on the engine of a chosen worker. Their keys follow from the rollout's id, so a
 * coordinator that asks again after a restart finds the same job or its answer.
 */

export const PREPARE_TASK = 'prepare-patch';
export const FLEET_HOSTS_TASK = 'fleet-hosts';

export interface PreparePayload {
  rolloutId: string;
  key: string;
  /** The image's name or reference, resolved (built if need be) on the worker's engine. */
  image: string;
  /** The plan's check files; empty: the image definition's own. */
  checks: string[];
  request: PatchRequest;
  holds?: Hold[];
  mirror?: { archive?: string; security?: string };
  faults: { badPackage?: boolean; latencyMs?: number };
  /** Read the advisories of the patch's .debs: only the worker's cache holds them. */
  advisories: boolean;
}

export interface PrepareAnswer {
  image: { name: string; tag: string };
  checks: string[];
  prepared?: PreparedPatch;
  advisories?: SourceAdvisory[];
  /** Why the advisories could not be read. */
  unread?: string;
  /** Why there is nothing to roll out (the same on every worker, so not retried). */
  error?: string;
}

export interface StartHostsPayload {
  action: 'start';
  rolloutId: string;
  key: string;
  dockerHost: string;
  image: string;
  size: number;
  groups: { count: number; labels: Record<string, string> }[];
  namePrefix: string;
  only: string[];
  faults: [string, HostFault[]][];
  labels: Record<string, string>;
}

export interface RemoveHostsPayload {
  action: 'remove';
  rolloutId: string;
  key: string;
  dockerHost: string;
}

export type FleetHostsPayload = StartHostsPayload | RemoveHostsPayload;

/** A job that fails for its worker (not for its input) is tried again, on any worker that may take it. */
const ATTEMPTS = 4;

export async function askPrepare(pool: pg.Pool, payload: Omit<PreparePayload, 'key'>): Promise<PrepareAnswer> {
  const key = `${payload.rolloutId}/prepare`;
  const job = { task: PREPARE_TASK, payload: { ...payload, key }, key, maxAttempts: ATTEMPTS };
  const answer = (await askJob(pool, key, (client) => addJob(client, job), { what: `preparing the patch of rollout ${payload.rolloutId}`, pollMs: 250 })) as PrepareAnswer;
  if (answer.error) throw new Error(`rollout ${payload.rolloutId}: ${answer.error}`);
  return answer;
}

/**
 * Asks a worker on `payload.dockerHost` to start or remove the rollout's hosts there; returns the
 * ids it started or removed. While no live worker is on that engine the job waits, and `say`
 * hears so once (and again if the worker that came goes).
 */
export async function askFleetHosts(pool: pg.Pool, payload: Omit<StartHostsPayload, 'key'> | Omit<RemoveHostsPayload, 'key'>, say?: (why: string) => void, now: () => number = Date.now): Promise<string[]> {
  const key = `${payload.rolloutId}/${payload.action}-hosts/${engineFlag(payload.dockerHost)}`;
  const job = { task: FLEET_HOSTS_TASK, payload: { ...payload, key }, key, maxAttempts: ATTEMPTS, flags: [engineFlag(payload.dockerHost)], queue: key };
  const what = `${payload.action === 'start' ? 'starting' : 'removing'} the hosts of rollout ${payload.rolloutId} on ${payload.dockerHost}`;
  const since = now();
  const check = async () =>
    (await liveEngines(pool, now())).includes(payload.dockerHost) ? undefined : `rollout ${payload.rolloutId}: ${what}: waiting for a worker on engine ${payload.dockerHost} since ${new Date(since).toISOString()}`;
  const answer = (await askJob(pool, key, (client) => addJob(client, job), { what, pollMs: 250, ...(say ? { whyWaiting: { check, say } } : {}) })) as { hosts: string[] };
  return answer.hosts;
}
