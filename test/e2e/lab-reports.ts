import type { LabReport } from '../../lab/run/report.ts';

/**
 * A stored lab run's report, as small as the pages need: a run of the web image that installed
 * these packages and passed its one check.
 */
export function labReport(runId: string, packages: { name: string; from?: string; to: string }[], startedAt = new Date()): LabReport {
  const check = { id: 'http:http://localhost/healthz', kind: 'http' as const, name: 'http http://localhost/healthz', status: 'pass' as const, message: '', durationMs: 40 };
  return {
    runId,
    image: { name: 'web', tag: 'patchlab/web:model' },
    hostKind: 'container',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date(startedAt.getTime() + 60_000).toISOString(),
    durationMs: 60_000,
    verdict: 'pass',
    reasons: ['1 check passes on the patched host as on its unpatched twin'],
    patch: { request: packages.map((p) => p.name), packages: packages.map((p) => ({ ...p, suite: 'bookworm-security', security: true })), debs: [], downloadedBytes: 1000, reusedFiles: 0 },
    candidates: [],
    services: {},
    checks: [{ id: check.id, name: check.name, kind: 'http', comparison: 'ok', baseline: check, patched: check }],
    timings: { install: 2000 },
    hosts: {},
  };
}
