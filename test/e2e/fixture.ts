import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { openStore } from '../../rollout/store/sqlite-store.ts';
import type { Store } from '../../rollout/store/store.ts';
import { createApp, type WebAppOptions } from '../../web/app.ts';
import { UserStore } from '../../web/auth/user-store.ts';
import { listen, type RunningServer } from '../../web/server.ts';

/*
 * What the page-level e2e files share: a served app over a SQLite store in a temporary home, the
 * three roles as users, Debian's Chromium, and a way to log in and take a screenshot. Each file
 * starts its own (vitest runs files in separate workers); none starts a container.
 */

export const SHOTS = join(import.meta.dirname, 'screenshots');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const PASSWORD = { alice: 'alice releases carefully', bob: 'bob releases on fridays', victor: 'victor only watches', root: 'root administers users' };
export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

export interface WebLab {
  url: string;
  store: Store;
  users: UserStore;
  browser: Browser;
  home: string;
  close(): Promise<void>;
}

export async function startWebLab(options: Pick<WebAppOptions, 'pollMs' | 'discovery' | 'readAdvisories'> = {}): Promise<WebLab> {
  mkdirSync(SHOTS, { recursive: true });
  writeFileSync(join(SHOTS, '.gitignore'), '*\n!.gitignore\n');
  const home = mkdtempSync(join(tmpdir(), 'patchlab-e2e-page-'));
  const store = openStore(join(home, 'patchlab.db'));
  // A cheap scrypt: these users exist for one test run.
  const users = UserStore.open(join(home, 'users.db'), { cost: { N: 1024, r: 8, p: 1 } });
  await users.addUser('alice', 'release-manager', PASSWORD.alice);
  await users.addUser('bob', 'release-manager', PASSWORD.bob);
  await users.addUser('victor', 'viewer', PASSWORD.victor);
  await users.addUser('root', 'admin', PASSWORD.root);
  const server: RunningServer = await listen(createApp({ ...options, store, users, pollMs: options.pollMs ?? 1_000 }), { host: '127.0.0.1', port: 0 });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  return {
    url: server.url,
    store,
    users,
    browser,
    home,
    close: async () => {
      await browser.close();
      await server.close();
      await store.close();
      users.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export interface Session {
  context: BrowserContext;
  page: Page;
  /** Script errors and console errors the page reported; a test expects none. */
  errors: string[];
}

export async function loggedIn(lab: WebLab, name: keyof typeof PASSWORD, options: { viewport?: { width: number; height: number }; javaScript?: boolean } = {}): Promise<Session> {
  const context = await lab.browser.newContext({ viewport: options.viewport ?? DESKTOP, javaScriptEnabled: options.javaScript ?? true });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  await page.goto(`${lab.url}/login`);
  await page.fill('input[name=username]', name);
  await page.fill('input[name=password]', PASSWORD[name]);
  await Promise.all([page.waitForURL(`${lab.url}/rollouts`), page.click('button[type=submit]')]);
  return { context, page, errors };
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}
