import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UpdatedBinary } from '../../lab/advisories/advisory.ts';
import { readAdvisories } from '../../lab/advisories/read-advisories.ts';
import { buildDeb } from '../../lab/patches/synthetic-deb.ts';
import { PatchDiscovery } from '../../web/services/patch-discovery.ts';
import { driveModel } from '../unit/web-fixtures.ts';
import { loggedIn, shot, startWebLab, type WebLab } from './fixture.ts';
import { MODEL_META, storeModelRollout } from './model-rollouts.ts';

/*
 * What each update fixes, on the patches page, the rollout page and in the API, in Chromium.
 * The advisories are read by the lab's own reader from real .debs built with dpkg-deb, whose
 * changelogs name known CVE ids, an urgency, a DSA and a bug; one package ships no changelog.
 * Discovery itself (a container) is web-ui.test.ts's: here it hands over these packages.
 */

const OLD = '3.0.13-1~deb12u1';
const NEW = '3.0.15-1~deb12u1';
const CHANGELOG = `openssl (${NEW}) bookworm-security; urgency=high

  * Non-maintainer upload by the Security Team.
  * Fix CVE-2024-5535 and CVE-2024-9143 (DSA-5764-1). Closes: #1078312

 -- Debian Security Team <security-team@example.org>  Sun, 01 Dec 2024 10:00:00 +0000

openssl (${OLD}) bookworm; urgency=medium

  * Older release, already installed: CVE-2023-0001 must not be listed.

 -- Maintainer <m@example.org>  Mon, 01 Jan 2024 10:00:00 +0000
`;

const dir = mkdtempSync(join(tmpdir(), 'patchlab-e2e-advisories-'));
const debs = new Map<string, string>();
let lab: WebLab;
let reads = 0;

const updates: UpdatedBinary[] = [
  { name: 'openssl', installed: OLD, candidate: NEW },
  { name: 'libssl3', installed: OLD, candidate: NEW },
  { name: 'patchlab-undocumented', installed: '1.0-1', candidate: '1.0-2' },
];
const read = (wanted: UpdatedBinary[]) => {
  reads++;
  return readAdvisories(wanted, async (name, version) => debs.get(`${name}=${version}`));
};

beforeAll(async () => {
  debs.set(`openssl=${NEW}`, buildDeb({ name: 'openssl', version: NEW, description: 'stand-in', files: [], changelog: CHANGELOG }, dir));
  // Its doc folder is openssl's, as Debian's libssl3 ships it: the source's changelog is read once for both.
  debs.set(`libssl3=${NEW}`, buildDeb({ name: 'libssl3', version: NEW, source: 'openssl', description: 'stand-in', files: [] }, dir));
  debs.set('patchlab-undocumented=1.0-2', buildDeb({ name: 'patchlab-undocumented', version: '1.0-2', description: 'ships no changelog', files: [{ path: '/etc/undocumented', content: 'x\n' }] }, dir));
  const candidates = updates.map((u) => ({ ...u, suite: 'bookworm-security', origin: 'Debian', security: true }));
  const discovery = new PatchDiscovery(async () => ({ candidates, advisories: await read(updates) }), () => ['web']);
  lab = await startWebLab({ discovery, readAdvisories: read });
  // The model rollout installs openssl and libssl3 OLD -> NEW, and names no lab run that proved them.
  await storeModelRollout(lab.store, driveModel((l) => l.state.phase === 'completed'), 'advisories-rollout');
  expect(MODEL_META.prepared.packages.map((p) => `${p.name} ${p.from} ${p.to}`)).toEqual([`openssl ${OLD} ${NEW}`, `libssl3 ${OLD} ${NEW}`]);
}, 60_000);

afterAll(async () => {
  await lab?.close();
  rmSync(dir, { recursive: true, force: true });
});

const TRACKER = 'https://security-tracker.debian.org/tracker/';

describe('advisories on the pages', () => {
  it('the patches page lists per source package the CVEs linked to the tracker, urgency, DSA, bugs and where the severity came from', async () => {
    const { context, page, errors } = await loggedIn(lab, 'alice');
    await page.goto(`${lab.url}/patches`);
    await page.click('#image-web button[type=submit]');
    const table = page.locator('#advisories-web');
    await table.waitFor();
    const openssl = table.locator('tr[data-source="openssl"]');
    expect(await openssl.locator('td.cves a').evaluateAll((as) => as.map((a) => [a.textContent, a.getAttribute('href')]))).toEqual([
      ['CVE-2024-5535', `${TRACKER}CVE-2024-5535`],
      ['CVE-2024-9143', `${TRACKER}CVE-2024-9143`],
    ]);
    expect(await openssl.locator('td.advisory-ids a').getAttribute('href')).toBe(`${TRACKER}DSA-5764-1`);
    expect(await openssl.locator('td.bugs a').getAttribute('href')).toBe('https://bugs.debian.org/1078312');
    expect(await openssl.locator('td.urgency').textContent()).toBe('high');
    expect(await openssl.getAttribute('data-severity')).toBe('high');
    expect(await openssl.locator('.basis').textContent()).toBe(`from the package changelog: urgency=high in ${NEW}; names 2 CVE id(s), DSA-5764-1`);
    expect(await openssl.textContent()).toContain('libssl3');
    const none = table.locator('tr[data-source="patchlab-undocumented"]');
    expect(await none.locator('.basis').textContent()).toBe('no changelog in the package');
    expect(await none.getAttribute('data-severity')).toBe('unknown');
    // Each candidate's row says what its source's changelog says.
    expect(await page.locator('table.candidates tr[data-package="libssl3"] td.advisory').textContent()).toBe('high 2 CVE');
    expect(await page.locator('table.candidates tr[data-package="patchlab-undocumented"] td.advisory').textContent()).toBe('no changelog');
    await shot(page, 'patches-advisories');
    // Polling the page does not read the changelogs again: they were read once, with the candidates.
    const before = reads;
    await page.goto(`${lab.url}/patches`);
    await page.goto(`${lab.url}/patches/list`);
    expect(reads).toBe(before);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('the rollout page shows what its patch fixes, read once', async () => {
    const { context, page, errors } = await loggedIn(lab, 'victor');
    const before = reads;
    await page.goto(`${lab.url}/rollouts/advisories-rollout`);
    const row = page.locator('#rollout-advisories tr[data-source="openssl"]');
    expect(await row.locator('td.cves a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))).toEqual([`${TRACKER}CVE-2024-5535`, `${TRACKER}CVE-2024-9143`]);
    expect(await row.locator('.basis').textContent()).toContain('from the package changelog: urgency=high');
    expect(await page.locator('#rollout-advisories tr').count()).toBe(2);
    await shot(page, 'rollout-advisories');
    await page.reload();
    expect(reads).toBe(before + 1);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('the API gives them for patches and for a rollout', async () => {
    const token = lab.users.tokens.create('victor', 'e2e').secret;
    const get = async (path: string) => (await fetch(`${lab.url}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } })).json();
    const patches = (await get('/patches')) as { images: { image: string; candidates: { name: string; source: string | null }[]; advisories: { source: string; cves: string[]; urgency?: string; links: { id: string; url: string }[] }[] }[] };
    const web = patches.images.find((i) => i.image === 'web');
    expect(web?.candidates.find((c) => c.name === 'libssl3')?.source).toBe('openssl');
    expect(web?.advisories.find((a) => a.source === 'openssl')).toMatchObject({ cves: ['CVE-2024-5535', 'CVE-2024-9143'], urgency: 'high' });
    const rollout = (await get('/rollouts/advisories-rollout')) as { advisories: { source: string; links: { id: string; url: string }[] }[] };
    expect(rollout.advisories.map((a) => a.source)).toEqual(['openssl']);
    expect(rollout.advisories[0]?.links).toContainEqual({ id: 'CVE-2024-9143', url: `${TRACKER}CVE-2024-9143` });
  });
});
