import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserChecks } from '../../lab/checks/browser.ts';
import type { CheckResult, CheckTarget } from '../../lab/checks/types.ts';
import { DockerHostProvider } from '../../lab/hosts/docker-provider.ts';
import { mustExec, type Host } from '../../lab/hosts/host.ts';
import { startService } from '../../lab/hosts/services.ts';
import { resolveImage } from '../../lab/images/build.ts';

const runId = `test-checks-browser-${process.pid}`;
const example = join(import.meta.dirname, '..', '..', 'lab', 'images', 'definitions', 'web', 'web.browser.ts');
const fixture = (name: string) => join(import.meta.dirname, '..', 'fixtures', 'checks', name);
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function expectPngScreenshot(result: CheckResult | undefined): void {
  const path = result?.evidence?.screenshot;
  expect(path, 'a screenshot path in the evidence').toBeTypeOf('string');
  expect(readFileSync(path as string).subarray(0, 8)).toEqual(PNG_SIGNATURE);
}

describe('browser checks in Chromium against a real web host', () => {
  let host: Host | undefined;
  let target: CheckTarget;
  let browser: BrowserChecks | undefined;
  const screenshotDir = mkdtempSync(join(tmpdir(), 'patchlab-checks-browser-'));

  beforeAll(async () => {
    const image = await resolveImage('web');
    [host, browser] = await Promise.all([
      new DockerHostProvider().start({ image: image.tag, runId, role: 'web' }),
      BrowserChecks.launch({ screenshotDir, timeoutMs: 20_000, actionTimeoutMs: 1_500 }),
    ]);
    target = { host, label: 'baseline' };
    expect((await startService(host, image.definition)).ok).toBe(true);
  });
  afterAll(async () => {
    await browser?.close();
    await host?.stop();
    rmSync(screenshotDir, { recursive: true, force: true });
  });

  it('passes the shipped example on a healthy host and keeps a PNG of the page', async () => {
    const result = await (browser as BrowserChecks).run(example, target);
    expect(result).toMatchObject({ id: `browser:${example}`, kind: 'browser', status: 'pass', message: '' });
    expectPngScreenshot(result);
  });

  it('fails a spec that throws, with its message, and still keeps a screenshot', async () => {
    const result = await (browser as BrowserChecks).run(fixture('throws.browser.mjs'), target);
    expect(result.status).toBe('fail');
    expect(result.message).toMatch(/^Expected values to be strictly equal:[\s\S]*'Intranet - IT service desk'[\s\S]*'Some other title'/);
    expectPngScreenshot(result);
  });

  it('calls a module that cannot load, or has no default export, an error naming the file', async () => {
    const missing = await (browser as BrowserChecks).run(fixture('no-such.browser.mjs'), target);
    const noDefault = await (browser as BrowserChecks).run(fixture('no-default.browser.mjs'), target);
    const broken = await (browser as BrowserChecks).run(fixture('does-not-parse.browser.mjs'), target);
    expect(missing).toMatchObject({ status: 'error', message: expect.stringContaining(`browser check ${fixture('no-such.browser.mjs')} cannot be loaded`) });
    expect(noDefault).toMatchObject({ status: 'error', message: `browser check ${fixture('no-default.browser.mjs')} has no default export function: expected export default async function ({ page, baseUrl }) { ... }` });
    expect(broken).toMatchObject({ status: 'error', message: expect.stringContaining(`browser check ${fixture('does-not-parse.browser.mjs')} cannot be loaded`) });
  });

  it('calls a spec that never finishes an error with timedOut, naming the host and the file', async () => {
    const impatient = await BrowserChecks.launch({ screenshotDir, timeoutMs: 1_000 });
    try {
      const result = await impatient.run(fixture('hangs.browser.mjs'), target);
      expect(result).toMatchObject({
        status: 'error',
        timedOut: true,
        message: `on host baseline (${target.host.name}): browser check ${fixture('hangs.browser.mjs')} timed out after 1000 ms`,
      });
      expectPngScreenshot(result);
    } finally {
      await impatient.close();
    }
  });

  it('fails the example when the page is broken, saying what it found, with a screenshot of the broken page', async () => {
    await mustExec(target.host, ['sh', '-c', 'echo "<h1>Under maintenance</h1>" > /var/www/intranet/index.html']);
    const result = await (browser as BrowserChecks).run(example, { ...target, label: 'patched' });
    expect(result.status).toBe('fail');
    expect(result.message).toBe(`expected h1 to contain "IT service desk", found "Under maintenance" on http://${target.host.address}/`);
    expectPngScreenshot(result);
    expect(result.evidence?.screenshot).toBe(join(screenshotDir, 'patched--web.browser.ts.png'));
  });
});
