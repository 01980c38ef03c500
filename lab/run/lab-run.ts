import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckResult } from '../checks/types.ts';
import type { DebianMirror } from '../config/mirror.ts';
import { advisoriesFromCache } from '../advisories/cache-advisories.ts';
import type { Host, HostProvider } from '../hosts/host.ts';
import type { ServiceOutcome } from '../hosts/services.ts';
import type { ImageDefinition } from '../images/definition.ts';
import { onInterrupt } from '../interrupt.ts';
import type { PackageCache } from '../patches/cache.ts';
import type { RefreshLists } from '../patches/list-freshness.ts';
import { describeHeld, refuseHeldInPlan, withoutHeld, type Hold } from '../holds/holds.ts';
import { isEmptyPatch, selectPatch, type PatchRequest } from '../patches/request.ts';
import { silent, type Progress } from '../progress.ts';
import { LabSets, type CheckSuite, type SetMember, type SetRole } from './lab-sets.ts';
import { junitXml, type LabReport } from './report.ts';
import type { SetNetworks } from './set-network.ts';
import { provePatch, type ProofResults } from './prove-patch.ts';
import { rebootProblem } from './reboot-step.ts';
import { describeChange } from './run-steps.ts';
import { compareChecks, decideVerdict } from './verdict.ts';

export type { CheckSuite, SetMember };

export interface LabRunOptions {
  runId: string;
  image: { name: string; tag: string; definition?: ImageDefinition };
  request: PatchRequest;
  /** The words the user gave, for the report. */
  requestText: string[];
  checks: CheckSuite;
  /** Hosts the image needs (its database), started beside it in each set, on the set's own network. */
  needs?: SetMember[];
  /** The hosts the patch is applied to, by name in the set; the run's image when absent. */
  targets?: string[];
  /** Required with `needs`: one network per set. */
  networks?: SetNetworks;
  provider: HostProvider;
  /** The fetcher is always a container of the image (a VM run's image has a container form too). */
  fetcherProvider?: HostProvider;
  /**
   * Rehearse the rollback on a third twin that gets the same transaction at the same time as the
   * patched host, instead of on the patched host after its checks: the same proof, sooner. For
   * hosts that do not reboot, in sets of one host.
   */
  rollbackTwin?: boolean;
  /** Reboot limit for hosts that can reboot (VMs). */
  rebootTimeoutMs?: number;
  cache: PackageCache;
  mirror: DebianMirror;
  /** A scheduled run passes 'always': its point is to see what is new since the last one. */
  refreshLists: RefreshLists;
  listsMaxAgeMs?: number;
  reportDir: string;
  /** Packages kept back: left out of the patch with their reason, and never installed. */
  holds?: readonly Hold[];
  progress?: Progress;
  now?: () => number;
}

/**
 * Proves a patch on twin hosts: both start from the same image, only one is patched, both are
 * checked, so a failure is blamed on the patch only when the twin passes. Then the patch is
 * rolled back to show it can be undone. Every host is removed in `finally`, whatever happened.
 */
export async function runLab(options: LabRunOptions): Promise<LabReport> {
  const now = options.now ?? Date.now;
  const progress = options.progress ?? silent;
  const startedAt = now();
  const timings: Record<string, number> = {};
  const hosts: Host[] = [];
  // The environment a need names is how the image reaches that host (DB_HOST=db): it is set on the image's host.
  const env = Object.assign({}, ...(options.image.definition?.needs ?? []).map((n) => n.env ?? {})) as Record<string, string>;
  const primary: SetMember = { name: options.image.name, image: options.image, checks: options.checks, ...(Object.keys(env).length ? { env } : {}) };
  const members: SetMember[] = [primary, ...(options.needs ?? [])];
  const targets = options.targets?.length ? options.targets : [options.image.name];
  const sets = new LabSets(members, {
    provider: options.provider,
    runId: options.runId,
    mounts: [options.cache.hostMount()],
    ...(options.networks ? { networks: options.networks } : {}),
    onHost: (host, role, member) => {
      report.hosts[sets.label(role, member.name)] = host.name;
      if (member === members[0]) report.hosts[role] = host.name;
      report.hostKind = host.kind;
    },
  });
  // The fetcher discovers and fetches on the image the patch is for: the target's.
  const targetImage = sets.member(targets[0] as string).image;
  // Ctrl-C: the CLI removes this process's containers, but a set's network only goes with its hosts gone first.
  const forgetInterrupt = sets.topology ? onInterrupt(() => sets.removeAll()) : () => false;
  const report: LabReport = {
    runId: options.runId,
    image: { name: options.image.name, tag: options.image.tag },
    hostKind: 'container',
    startedAt: new Date(startedAt).toISOString(),
    finishedAt: '',
    durationMs: 0,
    verdict: 'error',
    reasons: [],
    patch: { request: options.requestText, packages: [], debs: options.request.debs, downloadedBytes: 0, reusedFiles: 0 },
    candidates: [],
    services: {},
    checks: [],
    timings,
    hosts: {},
    ...(members.length > 1 ? { topology: { hosts: members.map((m) => ({ name: m.name, image: m.image.name, tag: m.image.tag })), targets } } : {}),
  };
  const phase = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const t = now();
    progress(name);
    try {
      return await work();
    } finally {
      timings[name] = now() - t;
    }
  };

  /** Every way out of a run writes its report, the early "nothing to patch" included. */
  const concluded = (): LabReport => {
    report.finishedAt = new Date(now()).toISOString();
    report.durationMs = now() - startedAt;
    writeReport(report, options.reportDir);
    return report;
  };

  let labError: string | undefined;
  const results: ProofResults = { baseline: [], patched: [], rolledBack: [], installFailed: [] };
  const roles: SetRole[] = options.rollbackTwin && !sets.topology ? ['baseline', 'patched', 'rolled-back'] : ['baseline', 'patched'];
  let twinsStarting: Promise<Map<string, Host>[]> | undefined;
  let servicesStarting: Promise<Map<string, ServiceOutcome>[]> | undefined;
  let fetcherClosing: Promise<void> | undefined;
  let advisoriesReading: Promise<void> | undefined;
  try {
    // Twins start with the fetcher, and their services while it resolves the patch: none depends on the patch.
    twinsStarting = phase('start twin hosts', async () => {
      // allSettled: when one set fails, the other must still be known, so `finally` removes it.
      const settled = await Promise.allSettled(roles.map((role) => sets.start(role)));
      const failed = settled.find((s) => s.status === 'rejected');
      if (failed) throw failed.reason;
      return settled.map((s) => (s as PromiseFulfilledResult<Map<string, Host>>).value);
    });
    twinsStarting.catch(() => undefined); // awaited below; this only stops an unhandled rejection meanwhile
    servicesStarting = twinsStarting.then((started) => phase('start services', () => Promise.all(started.map((set) => sets.startServices(set)))));
    servicesStarting.catch(() => undefined);
    const fetcher = await phase('refresh package lists', () =>
      options.cache.openFetcher({
        provider: options.fetcherProvider ?? options.provider,
        image: targetImage.tag,
        runId: options.runId,
        mirror: options.mirror,
        refreshLists: options.refreshLists,
        ...(options.listsMaxAgeMs !== undefined ? { listsMaxAgeMs: options.listsMaxAgeMs } : {}),
        progress,
        now,
      }),
    );
    hosts.push(fetcher.host);
    if (fetcher.lists) report.lists = fetcher.lists;
    const fetched = await (async () => {
      try {
        report.candidates = await phase('discover candidate patches', () => fetcher.discover());
        const { selected, held } = withoutHeld(selectPatch(options.request, report.candidates, targetImage.name), options.holds ?? []);
        if (held.length > 0) report.held = held.map(describeHeld);
        if (isEmptyPatch(selected)) return undefined;
        const fetched = await phase('fetch into the package cache', () => fetcher.fetch(selected));
        refuseHeldInPlan(fetched.plan.installs, options.holds ?? []);
        return fetched;
      } finally {
        // Removed while the twins go on; `finally` below waits for it before the run ends.
        fetcherClosing = fetcher.close();
      }
    })();
    const [baselineSet, patchedSet, rollbackTwin] = await twinsStarting;
    if (!baselineSet || !patchedSet) throw new Error('twin hosts did not start');
    if (!fetched) {
      report.reasons = [`nothing to patch: no pending update matches ${options.requestText.join(' ')} on image ${targetImage.name}`];
      report.verdict = 'pass';
      return concluded();
    }
    const byName = new Map(report.candidates.map((c) => [c.name, c]));
    report.patch.packages = fetched.plan.installs.map((i) => ({
      name: i.name,
      ...(i.from ? { from: i.from } : {}),
      to: i.to,
      ...(byName.get(i.name) ? { suite: byName.get(i.name)?.suite, security: byName.get(i.name)?.security } : {}),
    }));
    report.patch.downloadedBytes = fetched.downloadedBytes;
    report.patch.reusedFiles = fetched.reusedFiles;
    report.patch.planReused = fetched.planReused;
    report.patch.sha256 = fetched.sha256;
    // The patch is cached by now: what its upgrades fix, read from their own changelogs, while the twins start.
    const upgrades = report.patch.packages.flatMap((p) => (p.from ? [{ name: p.name, installed: p.from, candidate: p.to }] : []));
    // Read while the patch is proved; `finally` waits for it.
    advisoriesReading = phase('read advisories from the changelogs', () =>
      // Advisories inform a review; failing to read them must not fail the proof of the patch.
      advisoriesFromCache(options.cache, upgrades).catch((error: Error) => {
        progress(`advisories: not read: ${error.message}`);
        return undefined;
      }),
    ).then((advisories) => {
      report.advisories = advisories;
    });

    const [baselineServices, patchedServices] = await servicesStarting;
    report.services.baseline = baselineServices?.get(members[0]?.name as string);
    report.services.patched = patchedServices?.get(targets[0] as string);
    for (const member of members) {
      const outcome = baselineServices?.get(member.name);
      // Checks against a service that never came up would judge nothing: "already broken" on both twins, a meaningless pass.
      if (outcome && !outcome.ok) throw new Error(`the service of image ${member.image.name} does not start on the unpatched twin: ${outcome.output}`);
    }
    const proof = { sets, targets, fetched, cache: options.cache, report, phase, reportDir: options.reportDir, ...(options.rebootTimeoutMs ? { rebootTimeoutMs: options.rebootTimeoutMs } : {}) };
    await provePatch(proof, { baseline: baselineSet, patched: patchedSet, ...(rollbackTwin ? { rollbackTwin } : {}) }, results);
  } catch (error) {
    labError = `lab error: ${(error as Error).message}`;
  } finally {
    // A twin still starting when something failed must be waited for, or it would be left behind.
    await twinsStarting?.catch(() => undefined);
    await servicesStarting?.catch(() => undefined);
    await fetcherClosing?.catch(() => undefined);
    await advisoriesReading;
    await phase('remove hosts', () => Promise.all([...hosts.map((h) => h.stop().catch(() => undefined)), sets.removeAll()]));
    forgetInterrupt();
  }
  if (report.reasons.length === 0) {
    report.checks = compareChecks(results.baseline, results.patched, results.rolledBack);
    const outcome = decideVerdict({
      checks: report.checks,
      ...(report.install ? { install: { ok: report.install.ok, failedPackages: results.installFailed, output: report.install.output } } : {}),
      ...(report.rollback ? { rollback: { restored: report.rollback.restored, remaining: report.rollback.remaining.map(describeChange) } } : {}),
      ...(labError ? { labError } : {}),
      reboots: [
        ...(report.reboot ? [rebootProblem(report.reboot, 'patched')] : []),
        ...(report.rollbackReboot ? [rebootProblem(report.rollbackReboot, 'rolled-back')] : []),
      ].filter((p): p is string => p !== undefined),
    });
    report.verdict = outcome.verdict;
    report.reasons = outcome.reasons;
  }
  return concluded();
}


export function writeReport(report: LabReport, dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, 'junit.xml'), junitXml(report));
}

export type { ServiceOutcome };
