import type { PackageCache } from '../patches/cache.ts';
import { silent, type Progress } from '../progress.ts';
import type { LabReport } from '../run/report.ts';
import type { Hold } from '../holds/holds.ts';
import { runLabOnImage } from '../run/run-image.ts';
import type { ScheduledImageResult, ScheduleRunRecord } from './schedule-store.ts';
import type { LabRunStore } from '../store/lab-run-store.ts';
import type { ScheduleStore } from './schedule-store.ts';
import type { BisectStore } from '../bisect/bisect-store.ts';
import { bisectScheduledFailure } from './schedule-bisect.ts';
import { newlyUpgradable } from './history.ts';
import type { ScheduleSpec } from './spec.ts';

export interface ScheduledRunOptions {
  store: ScheduleStore & LabRunStore & BisectStore;
  /** Packages kept back from every run's patch. */
  holds?: readonly Hold[];
  /** Null for a run asked for by hand. */
  slotAt: number | null;
  coalesced?: boolean;
  cache?: PackageCache;
  mirror?: { archive?: string; security?: string };
  progress?: Progress;
  now?: () => number;
  /** The HTTP client for the failure webhook; fetch by default. */
  post?: (url: string, body: string) => Promise<{ status: number }>;
  /** Lab runs to spend bisecting each image that fails (PATCHLAB_BISECT_MAX_RUNS in bin/); 0 or absent: no bisection. */
  bisectMaxRuns?: number;
  /** Runs the lab on one image; the real lab by default. */
  lab?: (image: string, patch: string[]) => Promise<LabReport>;
}

const WEBHOOK_TIMEOUT_MS = 10_000;

/**
 * One regression run of a schedule: the lab on every image it names (each run refreshes the
 * package lists, so it sees what became upgradable since), each report kept with the lab runs,
 * and the run's summary stored for the history. A failure of one image does not stop the others,
 * and a webhook that does not answer does not lose the run.
 */
export async function runSchedule(spec: ScheduleSpec, options: ScheduledRunOptions): Promise<ScheduleRunRecord> {
  const now = options.now ?? Date.now;
  const progress = options.progress ?? silent;
  const startedAt = now();
  const previous = (await options.store.scheduleRuns({ schedule: spec.name })).at(-1);
  const patch = spec.patch.split(',').map((word) => word.trim());
  const holds = options.holds ?? [];
  const lab =
    options.lab ??
    ((image: string, words: string[]) =>
      // 'always': a Patch Tuesday run exists to see updates published since the last run, never lists another run left.
      runLabOnImage({ image, patch: words, refreshLists: 'always', holds, progress, ...(options.cache ? { cache: options.cache } : {}), ...(options.mirror ? { mirror: options.mirror } : {}) }));

  const images: ScheduledImageResult[] = [];
  for (const image of spec.images) {
    progress(`schedule ${spec.name}: lab run on ${image}`);
    try {
      const report = await lab(image, patch);
      await options.store.saveLabRun(report);
      const result = resultOf(image, report, previous?.images.find((i) => i.image === image));
      // Only a failure names packages to suspect: a lab error says nothing about them.
      if (report.verdict === 'fail' && (options.bisectMaxRuns ?? 0) > 0) {
        progress(`schedule ${spec.name}: ${image} failed; bisecting run ${report.runId} in at most ${options.bisectMaxRuns} lab run(s)`);
        result.bisect = await bisectScheduledFailure({ report, store: options.store, lab, maxLabRuns: options.bisectMaxRuns ?? 0, progress, now });
      }
      images.push(result);
    } catch (error) {
      images.push({ image, verdict: 'error', upgradable: [], newlyUpgradable: [], patches: [], checks: [], error: (error as Error).message });
    }
  }

  const run: ScheduleRunRecord = { schedule: spec.name, startedAt, slotAt: options.slotAt, coalesced: options.coalesced ?? false, finishedAt: now(), images };
  if (spec.webhook && images.some((i) => i.verdict !== 'pass')) {
    run.webhook = await callWebhook(spec.webhook, run, options.post ?? postJson);
    progress(`schedule ${spec.name}: webhook ${run.webhook.status ?? run.webhook.error}`);
  }
  await options.store.recordScheduleRun(run);
  return run;
}

function resultOf(image: string, report: LabReport, previous: ScheduledImageResult | undefined): ScheduledImageResult {
  const candidates = report.candidates.map((c) => ({ name: c.name, candidate: c.candidate }));
  const before = (previous?.upgradable ?? []).map((word) => {
    const [name = '', candidate = ''] = word.split('=');
    return { name, candidate };
  });
  return {
    image,
    runId: report.runId,
    verdict: report.verdict,
    upgradable: candidates.map((c) => `${c.name}=${c.candidate}`),
    newlyUpgradable: newlyUpgradable(before, candidates).map((c) => `${c.name}=${c.candidate}`),
    patches: report.patch.packages.map((p) => ({ name: p.name, version: p.to })),
    checks: report.checks.flatMap((c) => (c.patched ? [{ id: c.id, name: c.name, status: c.patched.status }] : [])),
    ...(report.verdict === 'error' ? { error: report.reasons.join('; ') } : {}),
  };
}

async function callWebhook(url: string, run: ScheduleRunRecord, post: NonNullable<ScheduledRunOptions['post']>): Promise<{ status?: number; error?: string }> {
  try {
    const { status } = await post(url, JSON.stringify({ event: 'scheduled-run-failed', ...run }));
    return { status };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

async function postJson(url: string, body: string): Promise<{ status: number }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
  });
  return { status: response.status };
}
