import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostScan } from '../../lab/inventory/scan/host-scan.ts';
import { JsonHostScanStore } from '../../lab/inventory/scan/scan-store.ts';
import { STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import { createRollout } from '../../rollout/engine/state.ts';
import { openStore } from '../../rollout/store/sqlite-store.ts';
import type { Store } from '../../rollout/store/store.ts';
import { createApp } from '../../web/app.ts';
import { UserStore } from '../../web/auth/user-store.ts';
import { listen, type RunningServer } from '../../web/server.ts';

/*
 * The Hosts page in Debian's Chromium, as a viewer reads it: compliance per group and per host
 * from scans kept by the real scan store (two scans a host, so the first-seen map has a past),
 * last patched from dpkg's log and from a stored rollout over servers, and a CSV download whose
 * rows are the table's, with a hostile host name that must stay text in both.
 */

const home = mkdtempSync(join(tmpdir(), 'patchlab-e2e-hosts-'));
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PASSWORD = 'victor only watches';
const DAY = 86_400_000;
const security = (name: string) => ({ name, installed: '1', candidate: '2', suite: 'bookworm-security', origin: 'Debian-Security:12', security: true });
const HOSTILE = '=HYPERLINK("http://evil.example","<b>x</b>")';

let store: Store;
let users: UserStore;
let server: RunningServer;
let browser: Browser;

/** RFC 4180 records, as a spreadsheet reads them. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\r' && text[i + 1] === '\n') row.push(cell), rows.push(row), (row = []), (cell = ''), i++;
    else cell += c;
  }
  return rows;
}

async function tableRows(page: Page, selector: string): Promise<string[][]> {
  return page.$$eval(`${selector} tr`, (trs) => trs.map((tr) => [...tr.querySelectorAll('th, td')].map((cell) => cell.textContent ?? '')));
}

beforeAll(async () => {
  const now = Date.now();
  const at = (daysAgo: number) => new Date(now - daysAgo * DAY).toISOString();
  const scans = new JsonHostScanStore(join(home, 'inventory'));
  const scan = (host: string, groups: string[], scannedAt: string, extra: Partial<HostScan>): HostScan => ({ host, address: '10.0.0.1', groups, scannedAt, durationMs: 900, warnings: [], ...extra });
  // web01 has missed openssl's update for 9 days; a later scan also finds curl's.
  scans.save(scan('web01', ['web', 'prod'], at(9), { suite: 'bookworm', pending: [security('openssl')], rebootRequired: false }));
  scans.save(scan('web01', ['web', 'prod'], at(0.01), { suite: 'bookworm', pending: [security('openssl'), security('curl')], rebootRequired: true, lastPatchedAt: at(20) }));
  scans.save(scan('web02', ['web', 'prod'], at(0.01), { suite: 'bookworm', pending: [], rebootRequired: false }));
  scans.save(scan('db01', ['db', 'prod'], at(0.01), { error: { reason: 'sudo-refused', message: 'sudo refused on db01 for deploy: sudo: a password is required' } }));
  scans.save(scan(HOSTILE, [], at(0.01), { pending: [], rebootRequired: false }));

  store = openStore(join(home, 'patchlab.db'));
  // A rollout over servers patched web02 two days ago.
  const state = createRollout({ id: 'rollout-servers', patch: { name: 'tzdata', version: 'patch-1', severity: 'high' }, hosts: [{ id: 'web02', labels: {}, version: 'base' }], rings: [{ name: 'all', hosts: 'rest', concurrency: { count: 1 }, failureBudget: { count: 0 }, soakMs: 0, requiresApproval: false, healthGate: { latency: false } }], now: now - 3 * DAY });
  state.hosts = state.hosts.map((h) => ({ ...h, phase: 'healthy', version: 'patch-1', patchedAt: now - 2 * DAY }));
  await store.createRollout({ state, scenario: 'ssh.yaml', policy: STANDARD_POLICY, meta: { servers: { inventory: 'hosts.ini', servers: [] } } });

  users = UserStore.open(join(home, 'users.db'));
  await users.addUser('victor', 'viewer', PASSWORD);
  server = await listen(createApp({ store, users, hostScans: scans }), { host: '127.0.0.1', port: 0 });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await store?.close();
  users?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('the Hosts page', () => {
  it('is behind the login', async () => {
    const res = await fetch(`${server.url}/hosts.csv`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?next=%2Fhosts.csv');
  });

  it('shows a viewer compliance per group and per host, and exports CSV and JSON that match the table', async () => {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 900 } });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/login`);
    await page.fill('input[name=username]', 'victor');
    await page.fill('input[name=password]', PASSWORD);
    await Promise.all([page.waitForURL(`${server.url}/rollouts`), page.click('button[type=submit]')]);
    await Promise.all([page.waitForURL(`${server.url}/hosts`), page.click('nav >> text=Hosts')]);

    const hosts = await tableRows(page, 'table.hosts-compliance');
    const row = (name: string) => hosts.find((r) => r[0] === name) ?? [];
    expect(hosts[0]).toEqual(['host', 'groups', 'compliant', 'security pending', 'other pending', 'oldest security pending since', 'age of oldest', 'last patched', 'reboot pending', 'scanned', 'problem']);
    expect(row('web01').slice(1, 9)).toEqual(['web, prod', 'no', '2', '0', expect.stringMatching(/ UTC$/), '9 d', expect.stringMatching(/ UTC$/), 'yes']);
    expect(row('web02').slice(2, 4)).toEqual(['yes', '0']);
    // Last patched by the stored rollout, two days ago: dpkg's log on web02 told nothing.
    expect(row('web02')[7]?.slice(0, 10)).toBe(new Date(Date.now() - 2 * DAY).toISOString().slice(0, 10));
    expect(row('db01').slice(2, 4)).toEqual(['unknown', 'unknown']);
    expect(row('db01')[10]).toMatch(/^sudo refused on db01/);
    // The hostile name is text on the page: no link, no bold.
    expect(row(HOSTILE)[0]).toBe(HOSTILE);
    expect(await page.locator('table.hosts-compliance a, table.hosts-compliance b').count()).toBe(0);
    const groups = await tableRows(page, 'table.groups-compliance');
    expect(groups.find((g) => g[0] === 'prod')?.slice(1, 4)).toEqual(['3', '1 of 3', '2']);
    expect(groups.find((g) => g[0] === 'web')?.slice(5, 7)).toEqual(['9 d', '1']);

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('a[href="/hosts.csv"]')]);
    const csv = parseCsv(readFileSync(await download.path(), 'utf8'));
    // The CSV is the table, cell for cell, except that a cell a spreadsheet would run as a formula starts with '.
    expect(csv).toEqual(hosts.map((r) => r.map((cell) => (/^[=+\-@]/.test(cell) ? `'${cell}` : cell))));
    expect(csv.find((r) => r[0]?.includes('HYPERLINK'))?.[0]).toBe(`'${HOSTILE}`);

    const json = (await (await page.request.get(`${server.url}/hosts.json`)).json()) as { hosts: { host: string; compliant: boolean }[] };
    expect(json.hosts.map((h) => [h.host, h.compliant])).toEqual(hosts.slice(1).map((r) => [r[0], r[2] === 'yes']));
    await page.screenshot({ path: join(import.meta.dirname, 'screenshots', 'hosts.png'), fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);
});
