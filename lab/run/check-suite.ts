import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BrowserChecks, loadBrowserCheck } from '../checks/browser.ts';
import { loadGossFile, type GossSpec } from '../checks/goss-load.ts';
import { runGossChecks } from '../checks/goss-run.ts';
import { isPlaywrightTestSpec, playwrightRunnerFor, runPlaywrightSpec } from '../checks/playwright-test.ts';
import type { CheckResult, CheckTarget } from '../checks/types.ts';
import { InputError } from '../config/validation.ts';
import { sourceOf, type ImageDefinition } from '../images/definition.ts';
import type { CheckSuite } from './lab-sets.ts';

const BROWSER_SPEC = /\.(ts|mts|js|mjs)$/;

/** The checks an image definition names, as paths. */
export function checkFilesFor(definition: ImageDefinition | undefined): string[] {
  return (definition?.checks ?? []).map((c) => sourceOf(definition?.file ?? '', c));
}

export interface CheckSuiteOptions {
  screenshotDir: string;
  /** The host's web port for browser specs. */
  port?: number;
}

/**
 * Loads every check file before any host starts, so a malformed file ends the run at once with
 * the file and field named, and no container was ever made.
 */
export async function loadCheckSuite(files: readonly string[], options: CheckSuiteOptions): Promise<CheckSuite> {
  const goss: GossSpec[] = [];
  const browserFiles: string[] = [];
  const playwrightFiles: string[] = [];
  for (const file of files) {
    if (!existsSync(file)) throw new InputError(file, ['--checks: expected a goss YAML file or a browser spec, the file does not exist']);
    if (BROWSER_SPEC.test(file) && isPlaywrightTestSpec(file)) {
      // Its runner must be there before any host starts; the spec itself is Playwright's to load.
      playwrightRunnerFor(file);
      playwrightFiles.push(file);
    } else if (BROWSER_SPEC.test(file)) {
      await loadBrowserCheck(file);
      browserFiles.push(file);
    } else {
      goss.push(loadGossFile(file));
    }
  }
  let browser: Promise<BrowserChecks> | undefined;
  return {
    async run(target: CheckTarget): Promise<CheckResult[]> {
      const results: CheckResult[] = [];
      for (const spec of goss) results.push(...(await runGossChecks(spec, target)));
      if (browserFiles.length > 0) {
        browser ??= BrowserChecks.launch({ screenshotDir: options.screenshotDir, ...(options.port ? { port: options.port } : {}) });
        const launched = await browser;
        for (const file of browserFiles) results.push(await launched.run(file, target));
      }
      for (const file of playwrightFiles) {
        results.push(...(await runPlaywrightSpec(file, target, { outputDir: join(options.screenshotDir, 'playwright'), ...(options.port ? { port: options.port } : {}) })));
      }
      return results;
    },
    async close(): Promise<void> {
      if (browser) await (await browser).close();
    },
  };
}
