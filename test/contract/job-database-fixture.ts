import { afterAll, beforeAll } from 'vitest';
import { openJobDatabase, type JobDatabase } from '../../rollout/fleets/jobs/job-store.ts';
import { startPostgresCluster, type PostgresCluster, type TestDatabaseOnCluster } from './postgres-cluster.ts';

export interface JobDatabaseFixture {
  cluster: PostgresCluster;
  database: TestDatabaseOnCluster;
  jobs: JobDatabase;
}

/**
 * A throwaway PostgreSQL cluster with one database and its job queue for the file's tests; torn
 * down after the file's own afterAll hooks (vitest runs them last registered first), so a test's
 * clean-up may still use it. Call at the top of the file or of a describe.
 */
export function useJobDatabase(timeoutMs = 120_000): () => JobDatabaseFixture {
  let fixture: Partial<JobDatabaseFixture> = {};
  beforeAll(async () => {
    const cluster = await startPostgresCluster();
    fixture = { cluster };
    const database = await cluster.createDatabase();
    fixture = { cluster, database, jobs: await openJobDatabase(database.url) };
  }, timeoutMs);
  afterAll(async () => {
    await fixture.jobs?.close();
    await fixture.database?.drop();
    await fixture.cluster?.stop();
  }, timeoutMs);
  return () => {
    if (!fixture.jobs) throw new Error('the job database is not open yet (useJobDatabase opens it in beforeAll)');
    return fixture as JobDatabaseFixture;
  };
}
