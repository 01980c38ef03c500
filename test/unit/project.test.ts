import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { InputError } from '../../lab/config/validation.ts';
import { definitionHash } from '../../lab/images/build.ts';
import { imageCatalog, kindOf, loadImageDefinition } from '../../lab/images/definition.ts';
import { holdOf } from '../../lab/holds/holds.ts';
import { findProject, loadProject, projectHolds } from '../../lab/project/project.ts';
import { writeStarter } from '../../lab/project/starter.ts';
import { attempt } from '../fixtures/fuzz/kit.ts';

/** A package the project's holds keep back, as the lab applies them. */
const isHeld = (project: { holds: string[] }, name: string) => holdOf(name, projectHolds({ file: 'patchlab.yaml', ...project })) !== undefined;

const demo = join(import.meta.dirname, '..', 'fixtures', 'project');
const bin = join(import.meta.dirname, '..', '..', 'bin', 'patchlab');
const scratch = mkdtempSync(join(tmpdir(), 'patchlab-project-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let made = 0;
/** A project folder of files (path -> text), with a patchlab.yaml unless one is given. */
function project(files: Record<string, string>): string {
  const root = join(scratch, `p${made++}`);
  for (const [path, text] of Object.entries({ 'patchlab.yaml': 'images: images\n', ...files })) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** The InputError loading `file` gives; the fuzz kit checks it names the file and a field. */
function refusal(file: string, load: (file: string) => unknown): InputError {
  const outcome = attempt(file, () => load(file));
  if (!('error' in outcome)) throw new Error(`expected ${file} to be refused`);
  return outcome.error;
}

describe('the project folder', () => {
  it('loads the demo project: its definitions, checks (in subfolders too), scenarios and holds', () => {
    const loaded = loadProject(join(demo, 'patchlab.yaml'));
    expect(loaded.imageFiles.map((f) => f.slice(demo.length + 1))).toEqual(['images/intranet.yaml', 'images/shop-db.yaml', 'images/shop-web.yaml']);
    expect(loaded.checkFiles.map((f) => f.slice(demo.length + 1))).toEqual(expect.arrayContaining(['checks/shop.spec.ts', 'checks/included/accounts.goss.yaml']));
    expect(loaded.checkDirs).toEqual([join(demo, 'checks')]);
    expect(loaded.scenarioFiles).toEqual([]);
    expect(loaded.holds).toEqual(['linux-image-*', 'postgresql-15']);
    expect(isHeld(loaded, 'linux-image-6.1.0-28-amd64')).toBe(true);
    expect(isHeld(loaded, 'postgresql-15')).toBe(true);
    expect(isHeld(loaded, 'postgresql-client-15')).toBe(false);
    expect(isHeld({ holds: ['libssl[0-9]*', 'tzdat?'] }, 'libssl3')).toBe(true);
    expect(isHeld({ holds: ['libssl[0-9]*', 'tzdat?'] }, 'tzdata')).toBe(true);
  });

  it('is found by --project, else PATCHLAB_PROJECT, else upwards from the working directory, else there is none', () => {
    const root = project({ 'images/.keep': '', 'deep/er/file': '' });
    expect(findProject({ cwd: join(root, 'deep', 'er'), env: {} })?.root).toBe(root);
    expect(findProject({ cwd: scratch, env: { PATCHLAB_PROJECT: root } })?.root).toBe(root);
    expect(findProject({ cwd: scratch, env: { PATCHLAB_PROJECT: root }, explicit: demo })?.root).toBe(demo);
    expect(findProject({ cwd: tmpdir(), env: {} })).toBeUndefined();
    expect(() => findProject({ env: { PATCHLAB_PROJECT: scratch } })).toThrow(`PATCHLAB_PROJECT ${scratch}: expected a project folder with a patchlab.yaml at its root`);
  });

  it('names the file, the field and what was expected when patchlab.yaml is wrong', () => {
    const badHold = project({ 'patchlab.yaml': 'holds: ["rm -rf /"]\n' });
    expect(refusal(join(badHold, 'patchlab.yaml'), loadProject).message).toBe(
      `${join(badHold, 'patchlab.yaml')}: holds[0]: expected a Debian package name or a glob of one, such as linux-image-*`,
    );
    const missing = project({ 'patchlab.yaml': 'images: images\nchecks: [checks, more-checks]\n', 'images/.keep': '', 'checks/.keep': '' });
    expect(refusal(join(missing, 'patchlab.yaml'), loadProject).message).toBe(
      `${join(missing, 'patchlab.yaml')}: checks[1]: expected a folder or file, ${join(missing, 'more-checks')} does not exist`,
    );
    const unknown = project({ 'patchlab.yaml': 'image: images\n' });
    expect(refusal(join(unknown, 'patchlab.yaml'), loadProject).message).toMatch(/patchlab\.yaml: .*"image"/);
  });

  it('patchlab init writes a starter that loads, and never overwrites it', async () => {
    const root = join(scratch, 'started');
    const file = writeStarter(root);
    expect(readFileSync(file, 'utf8')).toContain('FROM ${PATCHLAB_BASE}');
    expect(loadProject(file)).toMatchObject({ imageFiles: [], checkFiles: [], scenarioFiles: [], holds: [] });
    expect(() => writeStarter(root)).toThrow(`${file} already exists: patchlab init never overwrites a project file`);
    const again = await promisify(execFile)(bin, ['init', root]).then(() => undefined, (e: { code: number; stderr: string }) => e);
    expect(again).toMatchObject({ code: 2, stderr: expect.stringContaining('already exists') });
  });

  it('images list shows the project\'s definitions beside the built-in ones, with their kind and the hosts they need', async () => {
    const { stdout } = await promisify(execFile)(bin, ['images', 'list', '--project', demo]);
    expect(stdout).toContain(`project ${demo}  (holds: linux-image-* postgresql-15)`);
    expect(stdout).toMatch(/^web +built-in +bookworm nginx-light/m);
    expect(stdout).toMatch(/^intranet +project +image patchlab-fixture\/intranet:1/m);
    expect(stdout).toMatch(/^shop-web +project +dockerfile shop-web\/Dockerfile \(bookworm\) +needs db/m);
  });
});

describe('image definitions of a project', () => {
  const catalog = imageCatalog([], loadProject(join(demo, 'patchlab.yaml')));

  it('finds the project\'s images by name, of three kinds; the built-in ones stay', () => {
    expect([...catalog.keys()]).toEqual(['db', 'web', 'intranet', 'shop-db', 'shop-web']);
    const kinds = ['intranet', 'shop-db', 'shop-web'].map((n) => kindOf(loadImageDefinition(catalog.get(n) as string, [join(demo, 'checks')])));
    expect(kinds).toEqual(['image', 'packages', 'dockerfile']);
  });

  it('reads needs in both forms, and looks checks up beside the definition, then in the project\'s checks', () => {
    const web = loadImageDefinition(catalog.get('shop-web') as string, [join(demo, 'checks')]);
    expect(web.needs).toEqual([{ image: 'shop-db', hostname: 'db', env: { PGHOST: 'db' } }]);
    expect(web.checks).toEqual([join(demo, 'images', 'shop-web', 'shop-web.goss.yaml'), join(demo, 'checks', 'shop.spec.ts')]);
    expect(web.service?.ready).toEqual(['http://localhost/']);
    const root = project({ 'images/app.yaml': 'name: app\nimage: team/app:1\nneeds: [db]\n' });
    expect(loadImageDefinition(join(root, 'images', 'app.yaml'), []).needs).toEqual([{ image: 'db' }]);
  });

  it('refuses a definition that mixes kinds or names what is not there, naming the file, the field and what was expected', () => {
    const root = project({
      'images/mixed.yaml': 'name: mixed\ndockerfile: Dockerfile\npackages: [curl]\n',
      'images/both.yaml': 'name: both\nimage: team/app:1\ndockerfile: Dockerfile\n',
      'images/nodocker.yaml': 'name: nodocker\ndockerfile: missing/Dockerfile\n',
      'images/probe.yaml': 'name: probe\nimage: team/app:1\nservice: { start: [app], ready: ["http://example/"] }\n',
      'images/timeout.yaml': 'name: timeout\nimage: team/app:1\nservice: { start: [app], timeout: 0 }\n',
      'images/ref.yaml': 'name: ref\nimage: "Team App"\n',
      'images/need.yaml': 'name: need\nimage: team/app:1\nneeds: [{ image: db, hostname: "Db_1" }]\n',
      'images/nocheck.yaml': 'name: nocheck\nimage: team/app:1\nchecks: [nowhere.spec.ts]\n',
    });
    const message = (name: string) => refusal(join(root, 'images', `${name}.yaml`), (f) => loadImageDefinition(f, [join(root, 'checks')])).message;
    const file = (name: string) => join(root, 'images', `${name}.yaml`);
    expect(message('mixed')).toBe(`${file('mixed')}: packages: expected no packages with dockerfile: (put them in the Dockerfile)`);
    expect(message('both')).toBe(`${file('both')}: dockerfile: expected either image: (an existing image) or dockerfile:, not both`);
    expect(message('nodocker')).toBe(`${file('nodocker')}: dockerfile: expected a Dockerfile, ${join(root, 'images', 'missing', 'Dockerfile')} is not a readable file`);
    expect(message('probe')).toContain('service.ready[0]: expected a port number or a URL on the host itself, such as http://localhost:8080/healthz');
    expect(message('timeout')).toBe(`${file('timeout')}: service.timeout: expected a number of seconds above 0`);
    expect(message('ref')).toBe(`${file('ref')}: image: expected a local image reference such as team/app:1.4 (docker images lists them)`);
    expect(message('need')).toContain('needs[0].hostname: expected a host name (lower-case letters, digits, "-")');
    expect(message('nocheck')).toBe(`${file('nocheck')}: checks[0]: expected a check file, ${join(root, 'images', 'nowhere.spec.ts')} does not exist (nor in ${join(root, 'checks')})`);
  });

  it('refuses two definitions of one name in a project', () => {
    const root = project({ 'patchlab.yaml': 'images: [a, b]\n', 'a/app.yaml': 'name: app\n', 'b/app.yaml': 'name: app\n' });
    expect(() => imageCatalog([], loadProject(join(root, 'patchlab.yaml')))).toThrow(`images: two definitions named app: ${join(root, 'a', 'app.yaml')} and ${join(root, 'b', 'app.yaml')}`);
  });

  it('hashes a Dockerfile image by its Dockerfile and every file of its context', () => {
    const root = project({ 'images/app.yaml': 'name: app\ndockerfile: app/Dockerfile\n', 'images/app/Dockerfile': 'FROM scratch\n', 'images/app/site/index.html': 'one\n' });
    const hash = () => definitionHash(loadImageDefinition(join(root, 'images', 'app.yaml'), []));
    const first = hash();
    writeFileSync(join(root, 'images', 'app', 'site', 'index.html'), 'two\n');
    const second = hash();
    writeFileSync(join(root, 'images', 'app', 'Dockerfile'), 'FROM scratch\nLABEL a=b\n');
    expect(new Set([first, second, hash()]).size).toBe(3);
  });
});
