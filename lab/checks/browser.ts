import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { onHost } from './host-probes.ts';
import { excerpt } from './matcher-eval.ts';
import type { CheckResult, CheckTarget } from './types.ts';

/**
 * Browser checks: a user-written ES module (.ts or .mjs) drives the host's page in Debian's
 * Chromium and throws to fail.
 *
 *   import type { BrowserCheckContext } from 'lab/checks/browser.ts';
 *   export default async function ({ page, baseUrl, expectText, assert }: BrowserCheckContext) {
 *     await page.goto(baseUrl);
 *     await expectText('h1', 'IT service desk');
 *   }
 *
 * page        a Playwright Page in a fresh browser context (no cookies shared between checks)
 * baseUrl     http://<host address>[:port], without a trailing slash
 * expectText  waits until the first element matching the selector contains the text (case
 *             sensitive), else throws saying what the element held instead
 * assert      node:assert/strict, for anything else
 * Page actions wait at most `actionTimeoutMs`, so a missing element fails the check with
 * Playwright's message long before the whole check's `timeoutMs` would call it hung.
 */
export interface BrowserCheckContext {
  page: Page;
  baseUrl: string;
  expectText: (selector: string, text: string) => Promise<void>;
  assert: typeof assert;
}

export type BrowserCheck = (context: BrowserCheckContext) => Promise<void>;

export interface BrowserCheckOptions {
  /** Where a PNG of the page is kept after every check, pass or fail. */
  screenshotDir: string;
  /** The whole check; past it the check is an error with timedOut. Default 60 s. */
  timeoutMs?: number;
  /** Each page action and wait. Default 5 s. */
  actionTimeoutMs?: number;
  /** The host's web port. Default 80. */
  port?: number;
  /** Debian's Chromium by default; playwright's own download cannot be fetched here. */
  executablePath?: string;
}

/** The flags measured to work for Debian's Chromium here: run as root, no display, no network chatter. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

class CheckTimedOut extends Error {}

/** One Chromium for many checks (launching costs up to 3 s); each check gets its own context. */
export class BrowserChecks {
  private constructor(
    private readonly browser: Browser,
    private readonly options: Required<BrowserCheckOptions>,
  ) {}

  static async launch(options: BrowserCheckOptions): Promise<BrowserChecks> {
    const settled = { timeoutMs: 60_000, actionTimeoutMs: 5_000, port: 80, executablePath: '/usr/bin/chromium', ...options };
    mkdirSync(settled.screenshotDir, { recursive: true });
    const browser = await chromium.launch({ executablePath: settled.executablePath, args: CHROMIUM_ARGS });
    return new BrowserChecks(browser, settled);
  }

  async run(file: string, target: CheckTarget): Promise<CheckResult> {
    const identity = { id: `browser:${file}`, kind: 'browser' as const, name: `browser ${file}` };
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let check: BrowserCheck;
    try {
      check = await loadBrowserCheck(file);
    } catch (error) {
      return { ...identity, status: 'error', message: (error as Error).message, durationMs: elapsed() };
    }
    try {
      const context = await this.browser.newContext();
      context.setDefaultTimeout(this.options.actionTimeoutMs);
      try {
        const page = await context.newPage();
        const outcome = await this.drive(check, page, target, file);
        const screenshot = join(this.options.screenshotDir, `${slug(target.label)}--${slug(basename(file))}.png`);
        const evidence = await page
          .screenshot({ path: screenshot, timeout: this.options.actionTimeoutMs })
          .then(() => ({ screenshot }))
          .catch((error: Error) => ({ output: `no screenshot: ${error.message.split('\n')[0]}` }));
        return { ...identity, ...outcome, durationMs: elapsed(), evidence };
      } finally {
        await context.close();
      }
    } catch (error) {
      // The browser itself failed (crashed, closed): the check could not judge the host.
      return { ...identity, status: 'error', message: `${onHost(target)}: browser check ${file} could not run: ${(error as Error).message}`, durationMs: elapsed() };
    }
  }

  private async drive(check: BrowserCheck, page: Page, target: CheckTarget, file: string): Promise<Pick<CheckResult, 'status' | 'message' | 'timedOut'>> {
    const { port, timeoutMs, actionTimeoutMs } = this.options;
    const reached = target.host.endpoint(port);
    const host = reached.address.includes(':') ? `[${reached.address}]` : reached.address;
    const baseUrl = `http://${host}${reached.port === 80 ? '' : `:${reached.port}`}`;
    // Through then(): a check that throws before its first await must fail like one that rejects.
    const running = Promise.resolve().then(() =>
      check({ page, baseUrl, assert, expectText: (selector, text) => expectText(page, selector, text, actionTimeoutMs) }),
    );
    // Once timed out, closing the context makes the abandoned check reject; nobody waits for it any more.
    running.catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new CheckTimedOut()), timeoutMs);
    });
    try {
      await Promise.race([running, deadline]);
      return { status: 'pass', message: '' };
    } catch (error) {
      if (error instanceof CheckTimedOut) {
        return { status: 'error', timedOut: true, message: `${onHost(target)}: browser check ${file} timed out after ${timeoutMs} ms` };
      }
      return { status: 'fail', message: describeFailure(error) };
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.browser.close();
  }
}

/** Imports the check module; tsx (or vitest) is the loader, so .ts files import as they are. */
export async function loadBrowserCheck(file: string): Promise<BrowserCheck> {
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(resolve(file)).href)) as { default?: unknown };
  } catch (error) {
    throw new Error(`browser check ${file} cannot be loaded: ${(error as Error).message.split('\n')[0]}`);
  }
  if (typeof module.default !== 'function') {
    throw new Error(`browser check ${file} has no default export function: expected export default async function ({ page, baseUrl }) { ... }`);
  }
  return module.default as BrowserCheck;
}

async function expectText(page: Page, selector: string, text: string, timeoutMs: number): Promise<void> {
  // hasText with a string ignores case; a regex of the escaped text does not.
  const exact = new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  try {
    await page.locator(selector, { hasText: exact }).first().waitFor({ timeout: timeoutMs });
  } catch {
    const found = await page.locator(selector).first().textContent({ timeout: 100 }).catch(() => null);
    const what = found === null ? 'found no such element' : `found ${excerpt(found.trim())}`;
    throw new Error(`expected ${selector} to contain ${JSON.stringify(text)}, ${what} on ${page.url()}`);
  }
}

/** A thrown non-Error still deserves words; Playwright's call log is kept, it says what was awaited. */
export function describeFailure(error: unknown): string {
  // Playwright colours its call log for terminals; reports and web pages want plain text.
  const message = (error instanceof Error ? error.message : String(error)).replace(/\u001b\[[0-9;]*m/g, '');
  return message.length > 2000 ? `${message.slice(0, 2000)}...` : message;
}

function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '_');
}
