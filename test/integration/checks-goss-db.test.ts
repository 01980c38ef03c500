import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGossFile } from '../../lab/checks/goss-load.ts';
import { runGossChecks } from '../../lab/checks/goss-run.ts';
import { DockerHostProvider } from '../../lab/hosts/docker-provider.ts';
import type { Host } from '../../lab/hosts/host.ts';
import { startService, stopService } from '../../lab/hosts/services.ts';
import { resolveImage, type ResolvedImage } from '../../lab/images/build.ts';

const runId = `test-checks-goss-db-${process.pid}`;
const example = loadGossFile(join(import.meta.dirname, '..', '..', 'lab', 'images', 'definitions', 'db', 'db.goss.yaml'));

describe('goss checks on a real db host', () => {
  let image: ResolvedImage;
  let host: Host | undefined;

  beforeAll(async () => {
    image = await resolveImage('db');
    host = await new DockerHostProvider().start({ image: image.tag, runId, role: 'db' });
    expect((await startService(host, image.definition)).ok).toBe(true);
  });
  afterAll(async () => {
    await host?.stop();
  });

  it('passes the shipped example, including the query through su and psql', async () => {
    const results = await runGossChecks(example, { host: host as Host, label: 'baseline' });
    for (const result of results) expect(result, `${result.id}: ${result.message}`).toMatchObject({ status: 'pass' });
    expect(results.map((r) => r.id)).toEqual([
      'package:postgresql-15',
      'process:postgres',
      'port:5432',
      `command:su postgres -c "psql -tAc 'select 1'"`,
    ]);
  });

  it('fails the process, port and query once PostgreSQL is stopped', async () => {
    await stopService(host as Host, image.definition);
    const results = await runGossChecks(example, { host: host as Host, label: 'patched' });
    expect(results.map((r) => r.status)).toEqual(['pass', 'fail', 'fail', 'fail']);
    expect(results[3]?.message).toMatch(/^exit-status: expected 0, got 2 \(stderr: ".*"\); stdout: expected to match \/\^1\$\/, got ""$/);
  });
});
