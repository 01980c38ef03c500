import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../lab/checks/types.ts';
import { junitXml, type LabReport } from '../../lab/run/report.ts';
import { compareChecks, decideVerdict, exitCodeOf } from '../../lab/run/verdict.ts';

const result = (id: string, status: CheckResult['status'], message = ''): CheckResult => ({
  id,
  kind: 'http',
  name: `http ${id}`,
  status,
  message,
  durationMs: 12,
});

describe('comparing twins', () => {
  it('blames the patch only when the unpatched twin passes', () => {
    const compared = compareChecks(
      [result('a', 'pass'), result('b', 'fail'), result('c', 'fail'), result('d', 'error'), result('e', 'pass')],
      [result('a', 'fail', 'status: expected 200, got 502'), result('b', 'fail'), result('c', 'pass'), result('d', 'pass'), result('e', 'pass')],
    );
    expect(Object.fromEntries(compared.map((c) => [c.id, c.comparison]))).toEqual({
      a: 'broken-by-patch',
      b: 'already-broken',
      c: 'fixed-by-patch',
      d: 'check-error',
      e: 'ok',
    });
  });

  it('fails naming the broken check and passes with a note on what was already broken', () => {
    const broken = decideVerdict({ checks: compareChecks([result('a', 'pass')], [result('a', 'fail', 'connection refused')]) });
    expect(broken).toEqual({ verdict: 'fail', reasons: ['check http a broken by the patch: connection refused'] });
    const already = decideVerdict({ checks: compareChecks([result('a', 'fail'), result('b', 'pass')], [result('a', 'fail'), result('b', 'pass')]) });
    expect(already.verdict).toBe('pass');
    expect(already.reasons).toContain('check http a was already broken before the patch');
  });

  it('fails when the install fails or the rollback does not restore, and errors on a lab problem', () => {
    const ok = compareChecks([result('a', 'pass')], [result('a', 'pass')]);
    expect(decideVerdict({ checks: ok, install: { ok: false, failedPackages: ['nginx'], output: 'dpkg: error processing nginx' } }).reasons[0]).toMatch(
      /^installing nginx failed: dpkg: error processing nginx/,
    );
    expect(decideVerdict({ checks: ok, rollback: { restored: false, remaining: ['apt (2.6.2 instead of 2.6.1)'] } }).verdict).toBe('fail');
    expect(decideVerdict({ checks: ok, labError: 'lab error: mirror unreachable' })).toEqual({ verdict: 'error', reasons: ['lab error: mirror unreachable'] });
    expect(decideVerdict({ checks: compareChecks([result('a', 'error', 'timed out')], [result('a', 'pass')]) }).verdict).toBe('error');
  });

  it('fails when a check that passed before does not pass after rollback', () => {
    const checks = compareChecks([result('a', 'pass')], [result('a', 'pass')], [result('a', 'fail', 'still 502')]);
    expect(decideVerdict({ checks }).reasons).toEqual(['check http a still fails after rollback: still 502']);
  });

  it('maps verdicts to exit codes', () => {
    expect(['pass', 'fail', 'error'].map((v) => exitCodeOf(v as 'pass'))).toEqual([0, 1, 2]);
  });
});

describe('JUnit XML', () => {
  it('writes a failure per broken check and escapes what it quotes', () => {
    const checks = compareChecks([result('a', 'pass'), result('b', 'pass')], [result('a', 'fail', 'body lacks <h1> & "ok"'), result('b', 'pass')]);
    const report: LabReport = {
      runId: 'r1',
      image: { name: 'web', tag: 'patchlab/web:abc' },
      hostKind: 'container',
      startedAt: '2026-11-23T09:00:00.000Z',
      finishedAt: '2026-11-23T09:01:00.000Z',
      durationMs: 60_000,
      verdict: 'fail',
      reasons: [],
      patch: { request: ['security'], packages: [], debs: [], downloadedBytes: 0, reusedFiles: 0 },
      candidates: [],
      install: { ok: true, changes: [], output: 'Setting up \u0001nginx', durationMs: 2000 },
      services: {},
      checks,
      timings: {},
      hosts: {},
    };
    const xml = junitXml(report);
    expect(xml).toContain('tests="3" failures="1" errors="0"');
    expect(xml).toContain('<failure message="broken by the patch: body lacks &lt;h1&gt; &amp; &quot;ok&quot;"/>');
    expect(xml).toContain('<testcase classname="check.http" name="http b" time="0.012"/>');
    expect(xml).toContain('<system-out>Setting up nginx</system-out>');
  });
});
