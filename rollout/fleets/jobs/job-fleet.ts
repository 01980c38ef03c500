import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Observation } from '../../engine/observations.ts';
import type { FleetHost } from '../../engine/plan.ts';
import type { HostEvent } from '../../engine/transitions.ts';
import type { Fleet } from '../fleet.ts';
import { addHostStep, stepKey, type HostStep, type HostStepPayload } from './host-steps.ts';
import { askJob } from '../../../lab/jobs/job-results.ts';

export interface JobFleetOptions {
  pool: pg.Pool;
  rolloutId: string;
  /** The hosts as the stored rollout knows them; their versions follow the answers. */
  hosts: readonly FleetHost[];
  /** How often to look for an answer. */
  pollMs?: number;
}

/**
 * The fleet of a coordinator without Docker: every host step is a job in the queue, taken by a
 * worker (`patchlab worker`) that reaches the host's engine, and this side waits for its answer.
 * The runner and the engine are the same as with a local fleet; only where the work runs moves.
 */
export class JobFleet implements Fleet {
  private readonly members: Map<string, FleetHost>;
  private closed = false;

  constructor(private readonly options: JobFleetOptions) {
    this.members = new Map(options.hosts.map((h) => [h.id, { ...h, labels: { ...h.labels } }]));
  }

  hosts(): FleetHost[] {
    return [...this.members.values()];
  }

  async patch(hostId: string): Promise<HostEvent> {
    return this.noted(await this.ask<HostEvent>(hostId, 'patch', stepKey(this.options.rolloutId, hostId, 'patch')));
  }

  async rollback(hostId: string): Promise<HostEvent> {
    return this.noted(await this.ask<HostEvent>(hostId, 'rollback', stepKey(this.options.rolloutId, hostId, 'rollback')));
  }

  async check(hostId: string): Promise<Observation> {
    return this.noted(await this.ask<Observation>(hostId, 'check', `${this.options.rolloutId}/${hostId}/check/${randomUUID()}`));
  }

  /** The queue and its answers outlive this process; only its own unread answers go. */
  async close(): Promise<void> {
    this.closed = true;
    await this.options.pool.query('DELETE FROM patchlab_job_results WHERE owner = $1', [this.options.rolloutId]).catch(() => undefined);
  }

  private noted<T extends { hostId: string; version: string }>(answer: T): T {
    const member = this.members.get(answer.hostId);
    if (member) member.version = answer.version;
    return answer;
  }

  private async ask<T>(hostId: string, step: HostStep, key: string): Promise<T> {
    if (!this.members.has(hostId)) throw new Error(`the fleet of rollout ${this.options.rolloutId} has no host ${hostId}`);
    const { pool, rolloutId } = this.options;
    const payload: HostStepPayload = { rolloutId, hostId, step, key };
    return (await askJob(pool, key, (client) => addHostStep(client, payload), {
      what: `${step} of ${hostId}`,
      ...(this.options.pollMs ? { pollMs: this.options.pollMs } : {}),
      stopped: () => this.closed,
    })) as T;
  }
}

/** Where each host of a rollout lives, for the workers that take its steps. */
export async function registerFleetHosts(pool: pg.Pool, rolloutId: string, hosts: readonly { hostId: string; dockerHost: string }[], at: number = Date.now()): Promise<void> {
  for (const h of hosts) {
    await pool.query(
      `INSERT INTO patchlab_fleet_hosts (rollout_id, host_id, docker_host, started_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (rollout_id, host_id) DO UPDATE SET docker_host = excluded.docker_host, started_at = excluded.started_at`,
      [rolloutId, h.hostId, h.dockerHost, at],
    );
  }
}
