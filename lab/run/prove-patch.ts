import type { Host } from '../hosts/host.ts';
import { applyPatch, rollbackPatch, type ApplyOutcome, type DpkgLimits } from '../patches/apply.ts';
import type { VersionChange } from '../patches/apt-output.ts';
import type { PackageCache } from '../patches/cache.ts';
import type { FetchedPatch } from '../patches/fetcher.ts';
import type { HostCheckResult, LabSets } from './lab-sets.ts';
import { kernelInstalledBy } from './reboot-step.ts';
import type { LabReport } from './report.ts';
import { describeChange, failedPackages, rebootHost, restartTargets, writeConsole } from './run-steps.ts';

/*
 * The proof of a patch once it is fetched and the twins' services run: install it, restart, check,
 * roll it back, restart, check again. The unpatched twin's checks run meanwhile (they do not
 * depend on the patch). Two schedules with the same evidence:
 * - in place: the rollback on the patched host after its checks (VMs, which reboot after each
 *   step; sets of several hosts);
 * - on a rollback twin: a third twin gets the same apt transaction at the same time as the patched
 *   host, and is rolled back while the patched host is restarted and checked.
 */

export interface ProofContext {
  sets: LabSets;
  targets: readonly string[];
  fetched: FetchedPatch;
  cache: PackageCache;
  report: LabReport;
  phase: <T>(name: string, work: () => Promise<T>) => Promise<T>;
  reportDir: string;
  rebootTimeoutMs?: number;
}

/** Filled as the proof goes, so that a failure half-way still leaves the results it had. */
export interface ProofResults {
  baseline: HostCheckResult[];
  patched: HostCheckResult[];
  rolledBack: HostCheckResult[];
  installFailed: string[];
}

export interface ProofSets {
  baseline: Map<string, Host>;
  patched: Map<string, Host>;
  /** Present: the rollback is rehearsed on this set instead of on the patched one. */
  rollbackTwin?: Map<string, Host>;
}

export async function provePatch(ctx: ProofContext, sets: ProofSets, results: ProofResults): Promise<void> {
  const baselineChecks = ctx.phase('run checks on the unpatched twin', () => ctx.sets.runChecks(sets.baseline, 'baseline')).then((r) => {
    results.baseline = r;
  });
  const patchedHost = sets.patched.get(ctx.targets[0] as string) as Host;
  // A host that reboots after the patch and after the rollback proves both on itself.
  if (!sets.rollbackTwin || patchedHost.reboot) return settledInOrder([baselineChecks, proveInPlace(ctx, sets.patched, results)]);
  // The patched host's install is the report's; the twin's must be the same transaction.
  const installed = install(ctx, patchedHost, 'apply the patch').then((outcome) => {
    recordInstall(ctx, outcome, results);
    return outcome;
  });
  const onPatched = installed.then(() => checkPatched(ctx, sets.patched, results));
  // Hosts done with are removed while the twin's rollback goes on, not all at the end.
  const removing = [baselineChecks.finally(() => ctx.sets.remove(sets.baseline)), onPatched.finally(() => ctx.sets.remove(sets.patched))];
  await settledInOrder([baselineChecks, onPatched, rehearseRollback(ctx, sets.rollbackTwin, installed, results), ...removing]);
}

/** Waits for every branch, so none still runs on a host being removed; then the first failure in the given order. */
async function settledInOrder(work: readonly Promise<unknown>[]): Promise<void> {
  const settled = await Promise.allSettled(work);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
}

// Under TCG every instruction of dpkg and its scripts is emulated: a kernel's initramfs alone takes minutes.
const limitsFor = (host: Host, pins: FetchedPatch['sha256']): DpkgLimits => ({ timeoutMs: host.kind === 'vm' ? 45 * 60_000 : 10 * 60_000, pins });

async function install(ctx: ProofContext, host: Host, phase: string): Promise<ApplyOutcome> {
  const { fetched } = ctx;
  return ctx.phase(phase, () => applyPatch(host, fetched.installFiles, fetched.plan.removals.map((r) => r.name), limitsFor(host, fetched.sha256)));
}

function recordInstall(ctx: ProofContext, outcome: ApplyOutcome, results: ProofResults): void {
  ctx.report.install = { ok: outcome.ok, changes: outcome.changes, output: outcome.output, durationMs: outcome.durationMs };
  if (!outcome.ok) results.installFailed = failedPackages(outcome.output, ctx.fetched.plan.installs.map((i) => i.name));
}

async function checkPatched(ctx: ProofContext, set: Map<string, Host>, results: ProofResults): Promise<void> {
  ctx.report.services.patched = await ctx.phase('restart the service on the patched host', () => restartTargets(ctx.sets, set, ctx.targets));
  results.patched = await ctx.phase('run checks on the patched host', () => ctx.sets.runChecks(set, 'patched'));
}

/** `fresh`: nothing ran on the host since the install, so its versions are the install's `after`. */
async function rollBack(ctx: ProofContext, host: Host, installed: ApplyOutcome, fresh = false): Promise<void> {
  const limits = { ...limitsFor(host, ctx.fetched.sha256), ...(fresh ? { current: installed.after } : {}) };
  const rollback = await ctx.phase('roll back the patch', () => rollbackPatch(host, installed.before, ctx.cache, limits));
  ctx.report.rollback = {
    restored: rollback.restored,
    remaining: rollback.remaining,
    reinstalled: rollback.reinstalled,
    purged: rollback.purged,
    durationMs: rollback.durationMs,
  };
}

async function checkRolledBack(ctx: ProofContext, set: Map<string, Host>, results: ProofResults): Promise<void> {
  ctx.report.services.afterRollback = await ctx.phase('restart the service after rollback', () => restartTargets(ctx.sets, set, ctx.targets));
  results.rolledBack = await ctx.phase('run checks after rollback', () => ctx.sets.runChecks(set, 'rolled-back'));
}

/** Returns early when the patched host is gone (it did not come back from a reboot): nothing more can be learnt from it. */
async function proveInPlace(ctx: ProofContext, set: Map<string, Host>, results: ProofResults): Promise<void> {
  const { report } = ctx;
  const patched = set.get(ctx.targets[0] as string) as Host;
  const installed = await install(ctx, patched, 'apply the patch');
  recordInstall(ctx, installed, results);
  if (patched.reboot) {
    // A patch shows some harm only on the next boot: a kernel, an initramfs, a boot script.
    report.reboot = await ctx.phase('reboot the patched host', () =>
      rebootHost(patched, kernelInstalledBy(ctx.fetched.plan.installs.map((i) => i.name)), ctx.rebootTimeoutMs),
    );
    if (!report.reboot.ok) {
      writeConsole(ctx.reportDir, 'patched', report.reboot.console);
      return;
    }
  }
  await checkPatched(ctx, set, results);
  await rollBack(ctx, patched, installed);
  if (report.reboot) {
    const kernelBefore = report.reboot.kernelBefore;
    report.rollbackReboot = await ctx.phase('reboot the rolled-back host', () =>
      rebootHost(patched, report.reboot?.expectedKernel ? kernelBefore : undefined, ctx.rebootTimeoutMs),
    );
    if (!report.rollbackReboot.ok) {
      writeConsole(ctx.reportDir, 'rolled-back', report.rollbackReboot.console);
      return;
    }
  }
  await checkRolledBack(ctx, set, results);
}

/**
 * The rollback proves that the transaction the patched host got can be undone, so the twin's must
 * be that transaction: the same versions from the same versions, else the run is an error.
 */
async function rehearseRollback(ctx: ProofContext, set: Map<string, Host>, onPatched: Promise<ApplyOutcome>, results: ProofResults): Promise<void> {
  // Both installs run at once: the twin's rollback then overlaps the patched host's restart and checks.
  const twin = set.get(ctx.targets[0] as string) as Host;
  const installed = await install(ctx, twin, 'apply the patch on the rollback twin');
  await rollBack(ctx, twin, installed, true);
  const patched = await onPatched.catch(() => undefined);
  const differs = patched && transactionDifference(patched, installed);
  if (differs) throw new Error(`the rollback twin ${twin.name} did not get the patched host's transaction: ${differs}`);
  await checkRolledBack(ctx, set, results);
}

/** What differs between two installs of the same patch on twins of the same image, in words; undefined when nothing does. */
export function transactionDifference(a: Pick<ApplyOutcome, 'ok' | 'changes'>, b: Pick<ApplyOutcome, 'ok' | 'changes'>): string | undefined {
  if (a.ok !== b.ok) return `the install ${a.ok ? 'succeeded' : 'failed'} on the patched host and ${b.ok ? 'succeeded' : 'failed'} on the twin`;
  const key = (c: VersionChange) => `${c.name} ${c.before ?? '-'} ${c.after ?? '-'}`;
  const one = new Set(a.changes.map(key));
  const other = new Set(b.changes.map(key));
  const onlyA = a.changes.filter((c) => !other.has(key(c))).map(describeChange);
  const onlyB = b.changes.filter((c) => !one.has(key(c))).map(describeChange);
  if (onlyA.length === 0 && onlyB.length === 0) return undefined;
  return [onlyA.length ? `only on the patched host: ${onlyA.join(', ')}` : '', onlyB.length ? `only on the twin: ${onlyB.join(', ')}` : ''].filter(Boolean).join('; ');
}
