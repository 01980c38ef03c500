import Docker from 'dockerode';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUN_LABEL } from '../../lab/hosts/labels.ts';
import { resolveImage } from '../../lab/images/build.ts';
import type { LabReport } from '../../lab/run/report.ts';
import { dbLocalOnlyDeb } from '../fixtures/project/shop-db-patch.ts';

/*
 * Issue 14: a team's own estate. The demo project (test/fixtures/project) as a new user would use
 * it: its images by name, a Dockerfile image, an existing image, a web + db topology whose web
 * page reads the database, and a Playwright Test spec. The three lab runs go at once: each mostly
 * waits on apt and Docker.
 */

const docker = new Docker();
const bin = join(import.meta.dirname, '..', '..', 'bin', 'patchlab');
const demo = join(import.meta.dirname, '..', 'fixtures', 'project');
/** The existing image of the demo's intranet definition: the demo web image, tagged as a team's own. */
const EXISTING = { repo: 'patchlab-fixture/intranet', tag: '1' };
const scratch = mkdtempSync(join(tmpdir(), 'patchlab-lab-project-'));

interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
  report?: LabReport;
}

async function patchlab(args: string[], reportDir?: string): Promise<CliOutcome> {
  const withReport = reportDir ? [...args, '--report-dir', reportDir] : args;
  const outcome = await promisify(execFile)(bin, withReport, { maxBuffer: 64 * 1024 * 1024 }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
  const file = reportDir ? join(reportDir, 'report.json') : '';
  return { ...outcome, ...(file && existsSync(file) ? { report: JSON.parse(readFileSync(file, 'utf8')) as LabReport } : {}) };
}

/** Containers and networks of a run still on the engine: none, once the run is over. */
async function leftBy(runId: string | undefined): Promise<number> {
  const filters = { label: [`${RUN_LABEL}=${runId}`] };
  return (await docker.listContainers({ all: true, filters })).length + (await docker.listNetworks({ filters })).length;
}

const labRun = (image: string, patch: string, name: string, extra: string[] = []) =>
  patchlab(['lab', 'run', '--project', demo, '--image', image, '--patch', patch, ...extra], join(scratch, name));

describe('a team\'s project folder in the lab', () => {
  let builtOutput = '';

  beforeAll(async () => {
    await docker.getImage((await resolveImage('web')).tag).tag(EXISTING);
    const built = await patchlab(['images', 'build', '--project', demo]);
    expect(built.code, built.stderr).toBe(0);
    builtOutput = built.stdout;
  });
  afterAll(async () => {
    await docker.getImage(`${EXISTING.repo}:${EXISTING.tag}`).remove({ noprune: true }).catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  });

  it('images build builds the project\'s own images: a package list, a Dockerfile, and takes the existing one as it is', () => {
    expect(builtOutput).toMatch(/^intranet +patchlab-fixture\/intranet:1 +existing image$/m);
    expect(builtOutput).toMatch(/^shop-db +patchlab\/shop-db:[0-9a-f]{12} +(built|up to date)$/m);
    expect(builtOutput).toMatch(/^shop-web +patchlab\/shop-web:[0-9a-f]{12} +(built|up to date)$/m);
    expect(builtOutput).not.toMatch(/^web /m);
  });

  describe.concurrent('at once', () => {
    it('a Dockerfile whose FROM is no local image fails, saying no registry is reachable and what to start from', async () => {
      const root = join(scratch, 'remote-from');
      mkdirSync(join(root, 'images', 'remote'), { recursive: true });
      writeFileSync(join(root, 'patchlab.yaml'), 'images: images\n');
      writeFileSync(join(root, 'images', 'remote.yaml'), 'name: remote\ndockerfile: remote/Dockerfile\n');
      writeFileSync(join(root, 'images', 'remote', 'Dockerfile'), 'FROM patchlab-no-such-image/base:1\nRUN true\n');
      const outcome = await patchlab(['images', 'build', '--project', root]);
      expect(outcome.code).toBe(2);
      expect(outcome.stderr).toContain(`image definition remote (${join(root, 'images', 'remote.yaml')}): docker build of ${join(root, 'images', 'remote', 'Dockerfile')} failed pulling its FROM image`);
      expect(outcome.stderr).toContain('No container registry is reachable here: FROM must name an image on this Docker engine, such as the suite\'s base image (ARG PATCHLAB_BASE then FROM ${PATCHLAB_BASE})');
    });

    it('a patch that breaks only the database is caught by the web host\'s Playwright test, on the web + db topology', async () => {
      const deb = dbLocalOnlyDeb(join(scratch, 'debs'));
      const outcome = await labRun('shop-web', deb, 'topology', ['--target', 'db']);
      const report = outcome.report as LabReport;
      expect(report.verdict, `${outcome.stdout}\n${outcome.stderr}`).toBe('fail');
      expect(outcome.code).toBe(1);
      expect(report.topology).toEqual({
        hosts: [
          { name: 'shop-web', image: 'shop-web', tag: expect.stringMatching(/^patchlab\/shop-web:/) },
          { name: 'db', image: 'shop-db', tag: expect.stringMatching(/^patchlab\/shop-db:/) },
        ],
        targets: ['db'],
      });
      const byName = new Map(report.checks.map((c) => [c.name, c]));
      const listTest = 'shop-web: playwright shop.spec.ts › products › the list is read from the database';
      expect(byName.get(listTest)).toMatchObject({ host: 'shop-web', comparison: 'broken-by-patch', afterRollback: { status: 'pass' } });
      expect(byName.get(listTest)?.patched?.message).toContain('Database unavailable');
      expect(byName.get('shop-web: playwright shop.spec.ts › the home page links to the products')?.comparison).toBe('ok');
      // The database host's own checks see nothing wrong: only the page on the other host shows it.
      const db = report.checks.filter((c) => c.host === 'db');
      expect(db.map((c) => c.name)).toEqual(['db: process postgres', 'db: port tcp:5432', 'db: command products']);
      expect(db.every((c) => c.comparison === 'ok')).toBe(true);
      expect(report.checks.filter((c) => c.host === 'shop-web').every((c) => c.comparison === 'ok' || c.name === listTest)).toBe(true);
      expect(report.reasons).toEqual([expect.stringMatching(new RegExp(`^check ${listTest.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} broken by the patch: `))]);
      expect(report.rollback).toMatchObject({ restored: true, purged: ['shop-db-hardening'] });
      // Evidence in the run folder: a screenshot of every test, a trace of the failed one.
      expect(existsSync(byName.get(listTest)?.patched?.evidence?.screenshot ?? '')).toBe(true);
      expect(byName.get(listTest)?.patched?.evidence?.output).toMatch(/^trace: .*trace\.zip$/);
      expect(outcome.stdout).toContain('hosts per set: shop-web (shop-web), db (shop-db); patched: db');
      expect(await leftBy(report.runId)).toBe(0);
    }, 300_000);

    it('an existing image runs with the service its definition starts: both check formats pass on both twins', async () => {
      const outcome = await labRun('intranet', 'tzdata', 'existing');
      const report = outcome.report as LabReport;
      expect(report.verdict, `${outcome.stdout}\n${outcome.stderr}`).toBe('pass');
      expect(report.image).toEqual({ name: 'intranet', tag: 'patchlab-fixture/intranet:1' });
      expect(report.services.baseline?.ok).toBe(true);
      expect(report.checks.map((c) => `${c.kind} ${c.comparison}`).sort()).toEqual(['browser ok', 'http ok', 'process ok']);
      expect(await leftBy(report.runId)).toBe(0);
    }, 300_000);

    it('an image whose service never becomes ready is an error naming the image and the probe, not a pass', async () => {
      const root = join(scratch, 'stuck');
      mkdirSync(join(root, 'images'), { recursive: true });
      writeFileSync(join(root, 'patchlab.yaml'), 'images: images\n');
      writeFileSync(
        join(root, 'images', 'stuck.yaml'),
        `name: stuck\nimage: ${EXISTING.repo}:${EXISTING.tag}\nservice: { start: ['true'], ready: ['http://localhost:8080/ready'], timeout: 3 }\nports: [8080]\n`,
      );
      const outcome = await patchlab(['lab', 'run', '--project', root, '--image', 'stuck', '--patch', 'tzdata'], join(scratch, 'stuck-run'));
      expect(outcome.code).toBe(2);
      expect(outcome.report?.verdict).toBe('error');
      expect(outcome.report?.reasons).toEqual([
        'lab error: the service of image stuck does not start on the unpatched twin: image stuck: ready probe http://localhost:8080/ready did not answer within 3 s',
      ]);
      expect(await leftBy(outcome.report?.runId)).toBe(0);
    }, 300_000);
  });
});
