import { describe, expect, it } from 'vitest';
import type { CheckStatus } from '../../lab/checks/types.ts';
import type { Verdict } from '../../lab/run/verdict.ts';
import { imageHistories, newlyUpgradable, type StoredRun } from '../../lab/schedule/history.ts';

let clock = 0;
function run(image: string, verdict: Verdict, patches: string[], checks: Record<string, CheckStatus> = {}): StoredRun {
  clock += 1;
  return {
    runId: `${image}-${clock}`,
    at: clock,
    image,
    verdict,
    patches: patches.map((p) => {
      const [name = '', version = ''] = p.split('=');
      return { name, version };
    }),
    checks: Object.entries(checks).map(([id, status]) => ({ id, name: `check ${id}`, status })),
  };
}
const flags = (runs: StoredRun[]) => imageHistories(runs).map((h) => ({ image: h.image, regressions: h.runs.map((r) => r.regression) }));

describe('regression flags', () => {
  it('flags a failure after a pass, and only that', () => {
    const verdicts: Verdict[] = ['fail', 'pass', 'fail', 'fail', 'pass', 'fail'];
    expect(flags(verdicts.map((v) => run('web', v, [])))).toEqual([
      { image: 'web', regressions: [false, false, true, false, false, true] },
    ]);
  });

  it('looks past runs in error, which judged nothing', () => {
    expect(flags([run('web', 'pass', []), run('web', 'error', []), run('web', 'fail', [])])).toEqual([
      { image: 'web', regressions: [false, false, true] },
    ]);
  });

  it('keeps images apart and runs in time order', () => {
    const webPass = run('web', 'pass', []);
    const dbPass = run('db', 'pass', []);
    const webFail = run('web', 'fail', []);
    const dbFail = run('db', 'fail', []);
    expect(flags([webFail, dbFail, dbPass, webPass])).toEqual([
      { image: 'db', regressions: [false, true] },
      { image: 'web', regressions: [false, true] },
    ]);
  });
});

describe('first breaks', () => {
  it('blames the packages new since the check last passed, once per check', () => {
    const runs = [
      run('web', 'pass', ['openssl=3.0.1', 'nginx=1.22.1-9'], { http: 'pass', port: 'pass' }),
      run('web', 'error', ['openssl=3.0.1', 'libc6=2.36-9'], { http: 'error', port: 'pass' }),
      run('web', 'fail', ['openssl=3.0.2', 'nginx=1.22.1-9', 'libc6=2.36-9'], { http: 'fail', port: 'pass' }),
      run('web', 'pass', ['openssl=3.0.3'], { http: 'pass', port: 'pass' }),
      run('web', 'fail', ['openssl=3.0.4'], { http: 'fail', port: 'fail' }),
    ];
    const [web] = imageHistories(runs);
    expect(web?.firstBreaks).toEqual([
      {
        checkId: 'http',
        checkName: 'check http',
        runId: runs[2]?.runId,
        at: runs[2]?.at,
        lastPassRunId: runs[0]?.runId,
        suspects: [
          { name: 'openssl', version: '3.0.2' },
          { name: 'libc6', version: '2.36-9' },
        ],
      },
      {
        checkId: 'port',
        checkName: 'check port',
        runId: runs[4]?.runId,
        at: runs[4]?.at,
        lastPassRunId: runs[3]?.runId,
        suspects: [{ name: 'openssl', version: '3.0.4' }],
      },
    ]);
  });

  it('blames nothing for a check that never passed, and no package when none changed', () => {
    const [web] = imageHistories([
      run('web', 'fail', ['a=1'], { http: 'fail', disk: 'pass' }),
      run('web', 'fail', ['a=1'], { http: 'fail', disk: 'fail' }),
    ]);
    expect(web?.firstBreaks.map((b) => [b.checkId, b.suspects])).toEqual([['disk', []]]);
  });
});

describe('newlyUpgradable', () => {
  it('is what is new, or has a new candidate version, since the last run', () => {
    const previous = [
      { name: 'openssl', candidate: '3.0.15-1~deb12u1' },
      { name: 'libc6', candidate: '2.36-9+deb12u8' },
    ];
    const current = [
      { name: 'openssl', candidate: '3.0.15-1~deb12u1', security: true },
      { name: 'libc6', candidate: '2.36-9+deb12u9', security: true },
      { name: 'tzdata', candidate: '2025b-0+deb12u1', security: false },
    ];
    expect(newlyUpgradable(previous, current)).toEqual([current[1], current[2]]);
    expect(newlyUpgradable([], current)).toEqual(current);
  });
});
