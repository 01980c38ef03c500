import type pg from 'pg';
import { shortHash } from '../images/hash.ts';

/*
 * A job that must run beside one Docker engine (start a rollout's hosts there, a step on a host
 * that lives there) carries that engine's flag. graphile-worker skips a job that has any flag a
 * worker forbids, so each worker forbids the flags of every engine it knows of but its own: the
 * engines of the other workers and those the stored fleets live on.
 */

/** The engine a process with this environment reaches: DOCKER_HOST, else the local socket. */
export const engineOf = (env: NodeJS.ProcessEnv = process.env): string => env.DOCKER_HOST || 'unix:///var/run/docker.sock';

/** A flag is short text: the engine's URL may be long, and may name a user. */
export const engineFlag = (dockerHost: string): string => `engine:${shortHash(dockerHost, 16)}`;

/** The flags of every known engine except `own`. */
export async function otherEnginesFlags(pool: pg.Pool, own: string): Promise<string[]> {
  const { rows } = await pool.query<{ docker_host: string }>(
    `SELECT docker_host FROM patchlab_workers WHERE docker_host IS NOT NULL AND docker_host <> $1
     UNION SELECT docker_host FROM patchlab_fleet_hosts WHERE docker_host <> $1`,
    [own],
  );
  return rows.map((r) => engineFlag(r.docker_host));
}
