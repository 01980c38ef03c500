import { ensureJobSchema } from '../../lab/jobs/job-schema.ts';
import { addStepsOfTransition } from '../fleets/jobs/host-steps.ts';
import { openPostgresStore } from './postgres-store.ts';
import { defaultStorePath, openStore } from './sqlite-store.ts';
import type { Store } from './store.ts';

/** Names the PostgreSQL database to keep state in; unset (or empty), the SQLite file in PATCHLAB_HOME. */
export const DATABASE_URL_VARIABLE = 'PATCHLAB_DATABASE_URL';

/**
 * The store this installation is configured for: PostgreSQL when PATCHLAB_DATABASE_URL gives a
 * postgres:// or postgresql:// URL (a Unix socket as postgresql:///patchlab?host=/run/postgresql),
 * otherwise the embedded SQLite file, as `openStore()` opens it.
 */
export async function openConfiguredStore(env: NodeJS.ProcessEnv = process.env): Promise<Store> {
  const url = env[DATABASE_URL_VARIABLE];
  if (url === undefined || url === '') return openStore(defaultStorePath(env));
  // The host steps a decision asks of workers are added in the decision's own transaction.
  return openPostgresStore(url, { withinTransition: addStepsOfTransition, prepare: ensureJobSchema });
}
