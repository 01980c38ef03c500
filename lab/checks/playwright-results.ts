import { basename } from 'node:path';
import { describeFailure } from './browser.ts';
import type { CheckResult } from './types.ts';

/** The parts of Playwright Test's JSON report patchlab reads. */
interface JsonReport {
  suites?: JsonSuite[];
  errors?: { message?: string }[];
}
interface JsonSuite {
  title: string;
  specs?: JsonSpec[];
  suites?: JsonSuite[];
}
interface JsonSpec {
  title: string;
  tests?: { status?: string; results?: JsonResult[] }[];
}
interface JsonResult {
  status?: string;
  duration?: number;
  error?: { message?: string };
  errors?: { message?: string }[];
  attachments?: { name?: string; path?: string; contentType?: string }[];
}

/**
 * One check per test, its id from the spec file and the test's titles (describe blocks included),
 * so the same test pairs up across twins. Pure.
 */
export function resultsOfPlaywrightJson(report: JsonReport, file: string, where: (message: string) => string): CheckResult[] {
  const results: CheckResult[] = [];
  const visit = (suite: JsonSuite, titles: string[]) => {
    for (const spec of suite.specs ?? []) {
      const path = [...titles, spec.title];
      for (const test of spec.tests ?? []) results.push(checkOf(file, path, test, where));
    }
    for (const inner of suite.suites ?? []) visit(inner, [...titles, inner.title]);
  };
  // The top suites are the files; their title is the file's name, which the id already holds.
  for (const top of report.suites ?? []) visit(top, []);
  if (results.length === 0 && report.errors?.length) {
    const message = describeFailure(report.errors.map((e) => e.message ?? '').join('\n'));
    return [{ id: `playwright:${file}`, kind: 'browser', name: `playwright ${basename(file)}`, status: 'error', message: where(`Playwright Test could not run ${file}: ${message}`), durationMs: 0 }];
  }
  return results;
}

function checkOf(file: string, titles: string[], test: { status?: string; results?: JsonResult[] }, where: (message: string) => string): CheckResult {
  const last = test.results?.at(-1) ?? {};
  const identity = { id: `playwright:${file}:${titles.join(' › ')}`, kind: 'browser' as const, name: `playwright ${basename(file)} › ${titles.join(' › ')}` };
  const screenshot = last.attachments?.find((a) => a.name === 'screenshot' && a.path)?.path;
  const trace = last.attachments?.find((a) => a.name === 'trace' && a.path)?.path;
  const evidence = { ...(screenshot ? { screenshot } : {}), ...(trace ? { output: `trace: ${trace}` } : {}) };
  const base = { ...identity, durationMs: Math.round(last.duration ?? 0), ...(screenshot || trace ? { evidence } : {}) };
  const message = describeFailure(last.error?.message ?? last.errors?.map((e) => e.message).join('\n') ?? '');
  if (test.status === 'skipped' || last.status === 'skipped') return { ...base, status: 'skip', message: 'skipped by the spec' };
  if (test.status === 'expected' || test.status === 'flaky') return { ...base, status: 'pass', message: '' };
  // A test that ran out of time could not judge the page: an error, as a hung browser check is.
  if (last.status === 'timedOut') return { ...base, status: 'error', timedOut: true, message: where(`test timed out: ${message}`) };
  return { ...base, status: 'fail', message: message || `test ${last.status ?? test.status ?? 'failed'}` };
}
