import { describe, expect, it } from 'vitest';
import { parseScheduleSpec } from '../../lab/schedule/spec.ts';
import type { ScheduleRunRecord } from '../../lab/schedule/schedule-store.ts';
import type { Viewer } from '../../web/views/layout.ts';
import { schedulesPage } from '../../web/views/schedules-page.ts';

const viewer: Viewer = { name: 'victor', role: 'viewer', csrfToken: 'tok' };
const T0 = Date.UTC(2026, 10, 11, 2);
const spec = parseScheduleSpec({ kind: 'patch-tuesday', name: 'web-monthly', offsetDays: 1, at: '03:00', timeZone: 'Europe/Paris', images: ['web'], patch: 'security' });

function run(at: number, verdict: 'pass' | 'fail', runId: string, packages: [string, string][], http: 'pass' | 'fail'): ScheduleRunRecord {
  return {
    schedule: 'web-monthly',
    startedAt: at,
    slotAt: at,
    coalesced: false,
    finishedAt: at + 60_000,
    images: [{ image: 'web', runId, verdict, upgradable: [], newlyUpgradable: [], patches: packages.map(([name, version]) => ({ name, version })), checks: [{ id: 'http:/', name: '<script>alert(1)</script>', status: http }] }],
  };
}

describe('the schedules page', () => {
  it('lists schedules with their next run, flags a regression and names the package that first broke a check', () => {
    const runs = [run(T0, 'pass', 'lab-1', [['openssl', '3.0.15']], 'pass'), run(T0 + 28 * 86_400_000, 'fail', 'lab-2', [['openssl', '3.0.15'], ['nginx', '1.22.1-9+deb12u11']], 'fail')];
    const page = schedulesPage([{ spec, addedAt: T0 - 86_400_000 }], runs, viewer).value;
    expect(page).toMatch(/<tr data-schedule="web-monthly"><td><b>web-monthly<\/b><\/td><td>Patch Tuesday \+ 1 d at 03:00 \(Europe\/Paris\)<\/td>/);
    // The run of 9 December 2026 (Patch Tuesday the 8th, plus a day) is next.
    expect(page).toContain('2026-12-09');
    expect(page).toMatch(/data-run="lab-2">.*<b>regression<\/b>/);
    expect(page).not.toMatch(/data-run="lab-1">[^\n]*regression/);
    expect(page).toContain('after nginx 1.22.1-9+deb12u11');
    expect(page).not.toContain('<script>alert(1)</script>');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});
