import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { CHROMIUM_ARGS } from './browser.ts';
import { onHost } from './host-probes.ts';
import { resultsOfPlaywrightJson } from './playwright-results.ts';
import type { CheckResult, CheckTarget } from './types.ts';

/**
 * A team's Playwright Test specs, run unchanged by Playwright Test's own runner against one host:
 * `baseURL` is the host's service port, the browser is Debian's Chromium, and the JSON reporter's
 * output is read back, one check per test.
 */
export interface PlaywrightTestOptions {
  /** Where each run's screenshots, traces and junit.xml are kept: the run folder. */
  outputDir: string;
  /** The host's web port. Default 80. */
  port?: number;
  /** One spec file's whole run; past it the runner is killed and its tests are errors. Default 5 min. */
  timeoutMs?: number;
  executablePath?: string;
}

/** A Playwright Test spec imports @playwright/test; patchlab's own browser checks do not. */
export function isPlaywrightTestSpec(file: string): boolean {
  try {
    return /(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"]@playwright\/test['"]/.test(readFileSync(file, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * The runner of the @playwright/test the spec itself imports (its project's node_modules), else
 * patchlab's own: two copies in one run make Playwright refuse the spec.
 */
export function playwrightRunnerFor(file: string): string {
  for (const from of [resolve(file), import.meta.filename]) {
    try {
      return join(dirname(createRequire(from).resolve('@playwright/test/package.json')), 'cli.js');
    } catch {
      // not installed there; try the next place
    }
  }
  throw new Error(`Playwright Test spec ${file} needs @playwright/test (1.65.1, the version of playwright-core): npm install @playwright/test@1.65.1`);
}

/** Runs one spec file against the host; every test of it is a check of its own. */
export async function runPlaywrightSpec(file: string, target: CheckTarget, options: PlaywrightTestOptions): Promise<CheckResult[]> {
  const started = performance.now();
  const whole = { id: `playwright:${file}`, kind: 'browser' as const, name: `playwright ${basename(file)}` };
  const failed = (message: string, timedOut = false): CheckResult[] => [
    { ...whole, status: 'error', message: `${onHost(target)}: ${message}`, durationMs: Math.round(performance.now() - started), ...(timedOut ? { timedOut } : {}) },
  ];
  let runner: string;
  try {
    runner = playwrightRunnerFor(file);
  } catch (error) {
    return failed((error as Error).message);
  }
  const outputDir = join(options.outputDir, slug(`${target.label}--${basename(file)}`));
  rmSync(outputDir, { recursive: true, force: true });
  mkdirSync(outputDir, { recursive: true });
  const configDir = mkdtempSync(join(tmpdir(), 'patchlab-playwright-'));
  const jsonFile = join(configDir, 'results.json');
  try {
    writeFileSync(join(configDir, 'playwright.config.mjs'), configText(file, target, options, outputDir, jsonFile));
    const timeoutMs = options.timeoutMs ?? 5 * 60_000;
    const exit = await runProcess(process.execPath, [runner, 'test', '--config', join(configDir, 'playwright.config.mjs')], configDir, timeoutMs);
    if (exit.timedOut) return failed(`Playwright Test run of ${file} timed out after ${timeoutMs} ms`, true);
    if (!existsSync(jsonFile)) return failed(`Playwright Test run of ${file} wrote no results (exit ${exit.code}): ${exit.output.trim().split('\n').slice(-5).join(' / ')}`);
    const results = resultsOfPlaywrightJson(JSON.parse(readFileSync(jsonFile, 'utf8')), file, (message) => `${onHost(target)}: ${message}`);
    return results.length > 0 ? results : failed(`Playwright Test found no test in ${file}: ${exit.output.trim().split('\n').slice(-3).join(' / ')}`);
  } finally {
    rmSync(configDir, { recursive: true, force: true });
  }
}

/** The config, generated in a folder of its own: the team's spec and its folder stay as they are. */
function configText(file: string, target: CheckTarget, options: PlaywrightTestOptions, outputDir: string, jsonFile: string): string {
  const reached = target.host.endpoint(options.port ?? 80);
  const host = reached.address.includes(':') ? `[${reached.address}]` : reached.address;
  const exact = `^${resolve(file).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
  const config = {
    testDir: dirname(resolve(file)),
    outputDir,
    workers: 1,
    retries: 0,
    reporter: [['json', { outputFile: jsonFile }], ['junit', { outputFile: join(outputDir, 'junit.xml') }]],
    use: {
      baseURL: `http://${host}:${reached.port}`,
      browserName: 'chromium',
      headless: true,
      screenshot: 'on',
      trace: 'retain-on-failure',
      launchOptions: { executablePath: options.executablePath ?? '/usr/bin/chromium', args: CHROMIUM_ARGS },
    },
  };
  return `// Written by patchlab for one run of ${file} against ${target.label}.\nexport default { ...${JSON.stringify(config, null, 2)}, testMatch: [new RegExp(${JSON.stringify(exact)})] };\n`;
}

/** argv, never a shell string; its own process group, so a timeout takes its workers and browsers along. */
function runProcess(command: string, args: string[], cwd: string, timeoutMs: number): Promise<{ code: number | null; output: string; timedOut: boolean }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0', PW_TEST_HTML_REPORT_OPEN: 'never' } });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, output, timedOut });
    });
  });
}

function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '_');
}
