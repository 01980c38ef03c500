import { describe, expect, it } from 'vitest';
import { resultsOfPlaywrightJson } from '../../lab/checks/playwright-results.ts';

const file = '/team/checks/shop.spec.ts';
const where = (message: string) => `on host patched (c1): ${message}`;

describe('reading back Playwright Test\'s JSON report', () => {
  it('makes a check of every test, its id from the file and the titles, describe blocks included', () => {
    const results = resultsOfPlaywrightJson(
      {
        suites: [
          {
            title: 'shop.spec.ts',
            specs: [{ title: 'home', tests: [{ status: 'expected', results: [{ status: 'passed', duration: 812.4, attachments: [{ name: 'screenshot', path: '/run/a.png' }] }] }] }],
            suites: [
              {
                title: 'products',
                specs: [
                  {
                    title: 'list',
                    tests: [{ status: 'unexpected', results: [{ status: 'failed', duration: 5000, error: { message: '\u001b[31mExpected: "Products"\u001b[39m' }, attachments: [{ name: 'trace', path: '/run/t.zip' }] }] }],
                  },
                  { title: 'later', tests: [{ status: 'skipped', results: [{ status: 'skipped' }] }] },
                  { title: 'slow', tests: [{ status: 'unexpected', results: [{ status: 'timedOut', error: { message: 'Test timeout of 30000ms exceeded.' } }] }] },
                ],
              },
            ],
          },
        ],
      },
      file,
      where,
    );
    expect(results).toEqual([
      { id: `playwright:${file}:home`, kind: 'browser', name: 'playwright shop.spec.ts › home', status: 'pass', message: '', durationMs: 812, evidence: { screenshot: '/run/a.png' } },
      { id: `playwright:${file}:products › list`, kind: 'browser', name: 'playwright shop.spec.ts › products › list', status: 'fail', message: 'Expected: "Products"', durationMs: 5000, evidence: { output: 'trace: /run/t.zip' } },
      { id: `playwright:${file}:products › later`, kind: 'browser', name: 'playwright shop.spec.ts › products › later', status: 'skip', message: 'skipped by the spec', durationMs: 0 },
      { id: `playwright:${file}:products › slow`, kind: 'browser', name: 'playwright shop.spec.ts › products › slow', status: 'error', timedOut: true, message: 'on host patched (c1): test timed out: Test timeout of 30000ms exceeded.', durationMs: 0 },
    ]);
  });

  it('makes a spec that cannot load one error naming the file and what Playwright said', () => {
    const results = resultsOfPlaywrightJson({ suites: [], errors: [{ message: 'SyntaxError: Unexpected token (3:1)' }] }, file, where);
    expect(results).toEqual([
      { id: `playwright:${file}`, kind: 'browser', name: 'playwright shop.spec.ts', status: 'error', message: `on host patched (c1): Playwright Test could not run ${file}: SyntaxError: Unexpected token (3:1)`, durationMs: 0 },
    ]);
  });
});
