import type Docker from 'dockerode';
import { setTimeout as sleep } from 'node:timers/promises';
import { batchedExecs } from '../../../lab/checks/exec-batch.ts';
import type { CheckResult } from '../../../lab/checks/types.ts';
import { dockerClient } from '../../../lab/hosts/docker-client.ts';
import { DockerHostProvider } from '../../../lab/hosts/docker-provider.ts';
import { guardedHost } from '../../../lab/hosts/guarded-host.ts';
import type { Host } from '../../../lab/hosts/host.ts';
import { RUN_LABEL } from '../../../lab/hosts/labels.ts';
import { restartService, startService, stopService } from '../../../lab/hosts/services.ts';
import type { ImageDefinition } from '../../../lab/images/definition.ts';
import { applyPatch, rollbackPatch } from '../../../lab/patches/apply.ts';
import { dpkgErrors } from '../../../lab/patches/apt-output.ts';
import type { PackageCache } from '../../../lab/patches/cache.ts';
import type { Progress } from '../../../lab/progress.ts';
import type { CheckSuite } from '../../../lab/run/lab-run.ts';
import type { Fleet } from '../fleet.ts';
import type { Observation } from '../../engine/observations.ts';
import type { FleetHost } from '../../engine/plan.ts';
import type { HostEvent } from '../../engine/transitions.ts';
import { unprefixed } from './container-labels.ts';
import { ShellSession } from './shell-session.ts';
import { FLEET_HOST_LABEL, startFleetHosts, stopHosts } from './start-hosts.ts';
import type { HostFault, PreparedPatch } from './prepared-patch.ts';

interface Member {
  host: Host;
  labels: Record<string, string>;
  version: string;
  /** Check runs still to fail on purpose (the flaky fault). */
  flakesLeft: number;
  lost: boolean;
  /** The shell its checks run in, once it has been checked. */
  shell?: ShellSession;
}

export interface ContainerFleetOptions {
  rolloutId: string;
  image: { tag: string; definition?: ImageDefinition };
  prepared: PreparedPatch;
  cache: PackageCache;
  checks: CheckSuite;
  faults: ReadonlyMap<string, readonly HostFault[]>;
  progress?: Progress;
  now?: () => number;
  docker?: Docker;
  /** More labels for every container of the fleet. */
  labels?: Record<string, string>;
  /** Asked before every command on a host: false once the driver's lease may have run out (see guarded-host.ts). */
  mayAct?: () => boolean;
}

/**
 * The real fleet: each host a long-lived container from the production image, patched, checked
 * and rolled back through the lab's own code. Its containers carry the rollout's id as
 * patchlab.keep, so a restarted process finds them again instead of reaping them.
 */
export class ContainerFleet implements Fleet {
  private constructor(
    private readonly options: ContainerFleetOptions,
    private readonly members: Map<string, Member>,
    /** A fleet opened for one step on one host (a worker's) is never closed: it keeps no shell open. */
    private readonly keepsShells = true,
  ) {
    const { mayAct, rolloutId } = options;
    if (mayAct) for (const [id, m] of members) m.host = guardedHost(m.host, mayAct, `fleet host ${id}: not touched, this driver's lease of rollout ${rolloutId} may have run out`);
  }

  /**
   * Starts the fleet: `groups` label the first hosts, the rest are unlabelled. The patch may still
   * be being prepared: the containers start meanwhile, and the fleet is ready once both are.
   */
  static async provision(
    options: Omit<ContainerFleetOptions, 'prepared'> & {
      prepared: PreparedPatch | Promise<PreparedPatch>;
      size: number;
      groups?: { count: number; labels: Record<string, string> }[];
      namePrefix?: string;
    },
  ): Promise<ContainerFleet> {
    const [started, prepared] = await Promise.allSettled([startFleetHosts(options), options.prepared]);
    if (prepared.status === 'rejected' || started.status === 'rejected') {
      if (started.status === 'fulfilled') await stopHosts(started.value.values());
      // The patch's own failure first: it says why there is nothing to roll out.
      throw prepared.status === 'rejected' ? prepared.reason : (started as PromiseRejectedResult).reason;
    }
    const members = new Map<string, Member>(
      [...started.value].map(([id, { host, labels }]) => [id, { host, labels, version: prepared.value.baseVersion, flakesLeft: 0, lost: false }]),
    );
    return new ContainerFleet({ ...options, prepared: prepared.value }, new Map([...members].sort(([a], [b]) => a.localeCompare(b))));
  }

  /** Finds the containers of a rollout again after a restart; `only` one host, for a worker's step on it. */
  static async attach(options: ContainerFleetOptions, only?: string): Promise<ContainerFleet> {
    const docker = options.docker ?? dockerClient();
    const provider = new DockerHostProvider(docker);
    const host = only === undefined ? FLEET_HOST_LABEL : `${FLEET_HOST_LABEL}=${only}`;
    const found = await docker.listContainers({ all: true, filters: { label: [`${RUN_LABEL}=${options.rolloutId}`, host] } });
    const members = new Map<string, Member>();
    for (const c of found) {
      const id = c.Labels[FLEET_HOST_LABEL] ?? c.Id;
      const host = await provider.attach(c.Id);
      const labels = unprefixed(c.Labels);
      const member: Member = { host, labels, version: options.prepared.baseVersion, flakesLeft: 0, lost: c.State !== 'running' };
      if (!member.lost) member.version = await versionOf(host, options.prepared);
      members.set(id, member);
    }
    return new ContainerFleet(options, new Map([...members].sort(([a], [b]) => a.localeCompare(b))), only === undefined);
  }

  hosts(): FleetHost[] {
    return [...this.members].map(([id, m]) => ({ id, labels: m.labels, version: m.version }));
  }

  async patch(hostId: string): Promise<HostEvent> {
    const member = this.member(hostId);
    try {
      return await this.patchMember(hostId, member);
    } catch (error) {
      // Throws while the engine does not answer: the runner tries again, and finds out then.
      if (!(await this.isGone(member))) throw error;
      member.lost = true;
      return { type: 'patch-failed', hostId, version: member.version, reason: 'the host went away mid-patch: its container no longer runs' };
    }
  }

  private async patchMember(hostId: string, member: Member): Promise<HostEvent> {
    const { prepared } = this.options;
    const faults = this.options.faults.get(hostId) ?? [];
    // A patch whose process was killed goes on inside the host: let it end, and never run it twice.
    await dpkgSettled(member.host);
    if ((await versionOf(member.host, prepared)) === prepared.version && !faults.some((f) => f.kind === 'host-lost')) {
      await restartService(member.host, this.options.image.definition);
      member.version = prepared.version;
      return { type: 'patched', hostId, version: member.version };
    }
    const extra = faults.flatMap((f) => (f.kind === 'bad-package' || f.kind === 'latency' ? [prepared.faultDebs[f.kind] ?? []] : [])).flat();
    const installing = applyPatch(member.host, [...prepared.installFiles, ...extra], prepared.removals, { ...(prepared.sha256 ? { pins: prepared.sha256 } : {}) });
    if (faults.some((f) => f.kind === 'host-lost')) {
      // The host goes away while dpkg runs, as a machine that loses power mid-patch would.
      // Handled from the start: dpkg fails as soon as its host is gone, which may be before stop() returns.
      const ended = installing.catch(() => undefined);
      await sleep(300);
      member.lost = true;
      await member.host.stop();
      await ended;
      return { type: 'patch-failed', hostId, version: member.version, reason: 'the host went away mid-patch' };
    }
    let outcome;
    try {
      outcome = await installing;
    } catch (error) {
      // The engine or the container went away under dpkg: patch() finds out which.
      if (await this.isGone(member).catch(() => true)) throw error;
      return { type: 'patch-failed', hostId, version: member.version, reason: (error as Error).message };
    }
    if (!outcome.ok) {
      member.version = await versionOf(member.host, prepared);
      return { type: 'patch-failed', hostId, version: member.version, reason: dpkgErrors(outcome.output) ?? lastLine(outcome.output) };
    }
    await restartService(member.host, this.options.image.definition);
    member.version = prepared.version;
    member.flakesLeft = faults.reduce((n, f) => (f.kind === 'flaky' ? n + f.failures : n), 0);
    return { type: 'patched', hostId, version: member.version };
  }

  async rollback(hostId: string): Promise<HostEvent> {
    const member = this.member(hostId);
    const { prepared } = this.options;
    // A lost host runs nothing at all, and certainly not the new version.
    if (member.lost) return { type: 'rolled-back', hostId, version: prepared.baseVersion };
    let outcome;
    try {
      outcome = await rollbackPatch(member.host, new Map(Object.entries(prepared.baseVersions)), this.options.cache, { ...(prepared.sha256 ? { pins: prepared.sha256 } : {}) });
      await restartService(member.host, this.options.image.definition);
    } catch (error) {
      if (!(await this.isGone(member))) throw error;
      member.lost = true;
      return { type: 'rolled-back', hostId, version: prepared.baseVersion };
    }
    member.version = outcome.restored ? prepared.baseVersion : await versionOf(member.host, prepared);
    if (!outcome.restored) throw new Error(`fleet host ${hostId}: rollback left ${outcome.remaining.map((r) => r.name).join(', ')} changed`);
    return { type: 'rolled-back', hostId, version: member.version };
  }

  async check(hostId: string): Promise<Observation> {
    const member = this.member(hostId);
    const now = this.options.now ?? Date.now;
    const at = now();
    if (member.lost) {
      return { hostId, at, version: member.version, checks: [{ id: 'host:reachable', status: 'error', message: 'the host is gone: its container no longer runs' }] };
    }
    // Every host is checked every few seconds while others install the patch on the same cores: the probes of a step run together, in a shell kept open.
    if (this.keepsShells) member.shell ??= new ShellSession(this.options.docker ?? dockerClient(), member.host.id, this.options.mayAct, `fleet host ${hostId}: not checked, this driver's lease of rollout ${this.options.rolloutId} may have run out`);
    const shell = member.shell;
    const target = { host: shell ? batchedExecs(member.host, (script, timeoutMs) => shell.run(script, timeoutMs)) : batchedExecs(member.host), label: hostId };
    let results: CheckResult[];
    if (member.flakesLeft > 0) {
      // The flaky fault: the service is really down for this one check run, then back.
      member.flakesLeft -= 1;
      await stopService(member.host, this.options.image.definition);
      results = await this.options.checks.run(target);
      await startService(member.host, this.options.image.definition);
    } else {
      results = await this.options.checks.run(target);
    }
    return {
      hostId,
      at,
      version: member.version,
      checks: results.map((r) => ({ id: r.id, status: r.status, ...(r.metrics ? { metrics: r.metrics } : {}), ...evidenceOf(r) })),
    };
  }

  async close(): Promise<void> {
    for (const m of this.members.values()) m.shell?.close();
    await Promise.all([...this.members.values()].map((m) => m.host.stop().catch(() => undefined)));
    await this.options.checks.close().catch(() => undefined);
  }

  /**
   * Whether the host's container has stopped or been removed, as every container of an engine
   * without live-restore has once that engine restarts. Throws while the engine does not answer:
   * the host may still be running, and nobody can tell yet.
   */
  private async isGone(member: Member): Promise<boolean> {
    const docker = this.options.docker ?? dockerClient();
    try {
      return !(await docker.getContainer(member.host.id).inspect()).State.Running;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return true;
      throw error;
    }
  }

  private member(hostId: string): Member {
    const member = this.members.get(hostId);
    if (!member) throw new Error(`the fleet of rollout ${this.options.rolloutId} has no host ${hostId}`);
    return member;
  }
}

const DPKG_SETTLE_MS = 300_000;

/** Waits while an install runs on the host (one a killed patchlab process started): apt-get, or a dpkg it runs. */
async function dpkgSettled(host: Host): Promise<void> {
  const deadline = Date.now() + DPKG_SETTLE_MS;
  // A fixed script: nothing of the user's reaches this shell.
  while ((await host.exec(['sh', '-c', 'grep -qsxE "dpkg|apt-get" /proc/[0-9]*/comm'], { timeoutMs: 10_000 })).exitCode === 0) {
    if (Date.now() > deadline) throw new Error(`an install (apt-get or dpkg) still runs on ${host.name} after ${DPKG_SETTLE_MS / 1000} s`);
    await sleep(500);
  }
}

/** A host runs the patch when every package of it is on its new version. */
async function versionOf(host: Host, prepared: PreparedPatch): Promise<string> {
  const result = await host.exec(['dpkg-query', '-W', '-f=${Package}\\t${Version}\\n', ...prepared.packages.map((p) => p.name)]);
  const installed = new Map(result.stdout.split('\n').map((l) => l.split('\t') as [string, string]));
  return prepared.packages.every((p) => installed.get(p.name) === p.to) ? prepared.version : prepared.baseVersion;
}

/** Evidence is kept longer than this in the lab's report; a stored observation keeps an excerpt. */
export const EVIDENCE_MAX_CHARS = 500;

/**
 * What a check that did not pass said and saw, shortened, for the rollout page. A pass keeps
 * nothing: every host is checked every few seconds, and a pass needs no explanation.
 */
export function evidenceOf(result: CheckResult): { message?: string; output?: string } {
  if (result.status === 'pass' || result.status === 'skip') return {};
  const message = shorten(result.message);
  const output = shorten(result.evidence?.output ?? '');
  return { ...(message ? { message } : {}), ...(output ? { output } : {}) };
}

function shorten(text: string): string {
  const trimmed = text.trim();
  return trimmed.length <= EVIDENCE_MAX_CHARS ? trimmed : `${trimmed.slice(0, EVIDENCE_MAX_CHARS - 1)}…`;
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).slice(-2).join(' / ') || 'dpkg failed';
}
