import type { GossCheck, GossSpec } from './goss-load.ts';
import type { AttributesOf } from './goss-schema.ts';
import { targetOf } from './goss-targets.ts';
import { ProbeError, onHost, type ProbeContext } from './host-probes.ts';
import type { Judgement } from './judge-findings.ts';
import { judgeCommand, judgeFile, judgePackage, judgePort, judgeRunning } from './judges-host.ts';
import { judgeAddr, judgeDns, judgeHttp } from './judges-network.ts';
import { judgeGroup, judgeInterface, judgeKernelParam, judgeMatching, judgeMount, judgeUser } from './judges-system.ts';
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
  const own = 'timeout' in check.attributes ? check.attributes.timeout : undefined;
  const standard = options.timeoutMs ?? (check.kind === 'http' ? GOSS_DEFAULT_TIMEOUT_MS.http : GOSS_DEFAULT_TIMEOUT_MS.other);
  const base = {
    id: `${check.kind}:${check.key}`,
    kind: check.kind,
    name: `${check.kind} ${check.key}`,
    // An http or command timeout limits the whole check; addr, dns and mount pass theirs to the host, which needs time around it.
    timeoutMs: own === undefined ? standard : check.kind === 'http' || check.kind === 'command' ? own : standard + own,
  };
  const target = targetOf(check.kind, check.key, check.attributes);
  const one = (judge: (ctx: ProbeContext) => Promise<Judgement>): Job[] => [{ ...base, judge }];
  switch (check.kind) {
    case 'package':
      return one((ctx) => judgePackage(target, check.attributes, ctx));
    case 'process':
      return one((ctx) => judgeRunning(target, check.attributes.running, ctx));
    case 'port':
      return one((ctx) => judgePort(target, check.attributes, ctx));
    case 'http':
      return one((ctx) => judgeHttp(target, check.attributes, ctx));
    case 'command':
      return one((ctx) => judgeCommand(target, check.attributes, ctx));
    case 'file':
      return one((ctx) => judgeFile(target, check.attributes, ctx));
    case 'user':
      return one((ctx) => judgeUser(target, check.attributes, ctx));
    case 'group':
      return one((ctx) => judgeGroup(target, check.attributes, ctx));
    case 'kernel-param':
      return one((ctx) => judgeKernelParam(target, check.attributes, ctx));
    case 'mount':
      return one((ctx) => judgeMount(target, check.attributes, ctx));
    case 'interface':
      return one((ctx) => judgeInterface(target, check.attributes, ctx));
    case 'addr':
      return one((ctx) => judgeAddr(target, check.attributes, ctx));
    case 'dns':
      return one((ctx) => judgeDns(target, check.attributes, ctx));
    case 'matching':
      return one(async () => judgeMatching(check.attributes));
    case 'service':
      return serviceJobs(target, check.attributes, base);
  }
}

/**
 * A container has no init system: `running` is judged by a process of the service's name
 * (so a service whose daemon has another name, like postgresql's postgres, needs a process check),
 * and `enabled` and `runlevels` cannot be observed at all, so each gets its own result with status skip.
 */
function serviceJobs(name: string, attributes: AttributesOf<'service'>, base: Omit<Job, 'judge'>): Job[] {
  const jobs: Job[] = [];
  if (attributes.running !== undefined || (attributes.enabled === undefined && attributes.runlevels === undefined)) {
    jobs.push({ ...base, judge: (ctx) => judgeRunning(name, attributes.running, ctx) });
  }
  const unobservable = {
    enabled: 'enabled: not observable in a container (no init system starts services at boot); not judged',
    runlevels: 'runlevels: not observable in a container (no init system, so no runlevels); not judged',
  };
  for (const attribute of ['enabled', 'runlevels'] as const) {
    if (attributes[attribute] === undefined) continue;
    jobs.push({ ...base, id: `${base.id}:${attribute}`, name: `${base.name} ${attribute}`, judge: unobservable[attribute] });
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
    const status = verdict.skipped !== undefined ? 'skip' : verdict.problems.length === 0 ? 'pass' : 'fail';
    return {
      ...identity,
      status,
      message: verdict.skipped ?? verdict.problems.join('; '),
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
