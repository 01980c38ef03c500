import type { GossCheck, GossSpec } from './goss-load.ts';
import type { ServiceAttributes } from './goss-schema.ts';
import { judgeCommand, judgeFile, judgeHttp, judgePackage, judgePort, judgeRunning, type Judgement } from './goss-judges.ts';
import { ProbeError, onHost, type ProbeContext } from './host-probes.ts';
import type { CheckKind, CheckResult, CheckTarget } from './types.ts';

export interface GossRunOptions {
  /** Limit for each check that names no `timeout` of its own. Unset: goss's defaults (http 5 s, others 10 s). */
  timeoutMs?: number;
}

const GOSS_DEFAULT_TIMEOUT_MS = { http: 5_000, other: 10_000 };
/** Checks only read the host, so they may overlap; a bound keeps a large file from flooding the engine with execs. */
const CONCURRENCY = 8;

/** One judgement to make: most goss resources are one, a service with `enabled` is two. */
interface Job {
  id: string;
  kind: CheckKind;
  name: string;
  timeoutMs: number;
  /** A string says why this is not judged (status skip). */
  judge: ((ctx: ProbeContext) => Promise<Judgement>) | string;
}

/**
 * Runs every check of a goss file against one host. Results come back in the spec's order, and a
 * check's id depends only on the file, so the results of twin hosts pair up by id.
 */
export async function runGossChecks(spec: GossSpec, target: CheckTarget, options: GossRunOptions = {}): Promise<CheckResult[]> {
  const jobs = spec.checks.flatMap((check) => {
    const jobs = jobsFor(check, options);
    return check.attributes.skip ? jobs.map((job) => ({ ...job, judge: 'skip: true in the goss file' })) : jobs;
  });
  return mapConcurrently(jobs, CONCURRENCY, (job) => runJob(job, target));
}

function jobsFor(check: GossCheck, options: GossRunOptions): Job[] {
  const ownTimeout = 'timeout' in check.attributes ? check.attributes.timeout : undefined;
  const base = {
    id: `${check.kind}:${check.key}`,
    kind: check.kind,
    name: `${check.kind} ${check.key}`,
    timeoutMs: ownTimeout ?? options.timeoutMs ?? (check.kind === 'http' ? GOSS_DEFAULT_TIMEOUT_MS.http : GOSS_DEFAULT_TIMEOUT_MS.other),
  };
  switch (check.kind) {
    case 'package':
      return [{ ...base, judge: (ctx) => judgePackage(check.key, check.attributes, ctx) }];
    case 'process':
      return [{ ...base, judge: (ctx) => judgeRunning(check.key, check.attributes.running, ctx) }];
    case 'port':
      return [{ ...base, judge: (ctx) => judgePort(check.key, check.attributes, ctx) }];
    case 'http':
      return [{ ...base, judge: (ctx) => judgeHttp(check.key, check.attributes, ctx) }];
    case 'command':
      return [{ ...base, judge: (ctx) => judgeCommand(check.key, check.attributes, ctx) }];
    case 'file':
      return [{ ...base, judge: (ctx) => judgeFile(check.key, check.attributes, ctx) }];
    case 'service':
      return serviceJobs(check.key, check.attributes, base);
  }
}

/**
 * A container has no init system: `running` is judged by a process of the service's name
 * (so a service whose daemon has another name, like postgresql's postgres, needs a process check),
 * and `enabled` cannot be observed at all, so it gets its own result with status skip.
 */
function serviceJobs(name: string, attributes: ServiceAttributes, base: Omit<Job, 'judge'>): Job[] {
  const jobs: Job[] = [];
  if (attributes.running !== undefined || attributes.enabled === undefined) {
    jobs.push({ ...base, judge: (ctx) => judgeRunning(name, attributes.running, ctx) });
  }
  if (attributes.enabled !== undefined) {
    jobs.push({
      ...base,
      id: `${base.id}:enabled`,
      name: `${base.name} enabled`,
      judge: 'enabled: not observable in a container (no init system starts services at boot); not judged',
    });
  }
  return jobs;
}

async function runJob(job: Job, target: CheckTarget): Promise<CheckResult> {
  const identity = { id: job.id, kind: job.kind, name: job.name };
  if (typeof job.judge === 'string') return { ...identity, status: 'skip', message: job.judge, durationMs: 0 };
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const verdict = await job.judge({ target, timeoutMs: job.timeoutMs });
    return {
      ...identity,
      status: verdict.problems.length === 0 ? 'pass' : 'fail',
      message: verdict.problems.join('; '),
      durationMs: elapsed(),
      ...(verdict.metrics ? { metrics: verdict.metrics } : {}),
      ...(verdict.evidence ? { evidence: verdict.evidence } : {}),
    };
  } catch (error) {
    const timedOut = error instanceof ProbeError && error.timedOut;
    const message = error instanceof ProbeError ? error.message : `${onHost(target)}: ${job.name} could not be judged: ${(error as Error).message}`;
    return { ...identity, status: 'error', message, durationMs: elapsed(), ...(timedOut ? { timedOut } : {}) };
  }
}

async function mapConcurrently<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
