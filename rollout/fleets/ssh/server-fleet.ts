import { batchedExecs } from '../../../lab/checks/exec-batch.ts';
import type { ImageDefinition } from '../../../lab/images/definition.ts';
import { SshHostError } from '../../../lab/hosts/ssh/ssh-host.ts';
import { restartService } from '../../../lab/hosts/services.ts';
import { applyPatch, installedVersions, rollbackPatch } from '../../../lab/patches/apply.ts';
import { dpkgErrors, diffVersions } from '../../../lab/patches/apt-output.ts';
import type { PackageCache } from '../../../lab/patches/cache.ts';
import { silent, type Progress } from '../../../lab/progress.ts';
import type { CheckSuite } from '../../../lab/run/lab-run.ts';
import type { Observation } from '../../engine/observations.ts';
import type { FleetHost } from '../../engine/plan.ts';
import type { HostEvent } from '../../engine/transitions.ts';
import type { HostFault, PreparedPatch } from '../containers/prepared-patch.ts';
import type { Fleet } from '../fleet.ts';
import type { AptTransactionOptions } from './apt-transaction.ts';
import { describeManagers, waitForOtherApt } from './other-apt.ts';
import { rebootAsPolicy } from './reboot.ts';
import type { RebootPolicy, ServerFleetPlan } from './server-fleet-plan.ts';
import { isPassingFailure, ServerLink, type Connect } from './server-link.ts';
import { PARTLY_PATCHED, restoreTarget, saveVersionsBefore, serverVersion, transactionOf, unexpectedVersions, versionsBefore, versionFrom } from './server-records.ts';
import { stageOnServer } from './staging.ts';

export interface ServerFleetOptions {
  rolloutId: string;
  plan: ServerFleetPlan;
  /** The image the patch was prepared on; its definition's service is restarted after a patch, as needrestart would. */
  image: { tag: string; definition?: ImageDefinition };
  prepared: PreparedPatch;
  cache: PackageCache;
  checks: CheckSuite;
  /** bad-package and latency only: packages installed with the patch on purpose. */
  faults: ReadonlyMap<string, readonly HostFault[]>;
  reboots: ReadonlyMap<string, RebootPolicy>;
  progress?: Progress;
  now?: () => number;
  /** How a server is reached; tests may give another. */
  connect?: Connect;
  /** The longest one apt transaction may run. */
  dpkgTimeoutMs?: number;
  /** A stored rollout resumed: its transactions may have run on servers that do not answer now. */
  resumed?: boolean;
}

interface Member {
  link: ServerLink;
  labels: Record<string, string>;
  version: string;
  /** Has not answered for the fleet's limit; checked again at the next check round. */
  lost: boolean;
  /** An apt transaction of this rollout may have started on it. */
  touched: boolean;
}

/** How far a patch got, for the reason a failure gives. */
type Stage = 'before the patch' | 'while copying the patch' | 'while apt ran' | 'after apt, restarting the service' | 'rebooting';

/**
 * A team's servers from an inventory as the rollout's fleet, reached over SSH. The patch is the
 * lab's own apt transaction from the central cache, its files copied to the server and proven
 * by sha256 there first; the rollback is the lab's restore transaction. Each transaction runs at
 * most once per rollout and server, detached from the connection (apt-transaction.ts), so a
 * dropped connection or a killed driver is waited out and confirmed with dpkg-query, never run
 * twice. patchlab did not make these servers and never starts, stops or removes one.
 */
export class ServerFleet implements Fleet {
  private constructor(
    private readonly options: ServerFleetOptions,
    private readonly members: Map<string, Member>,
  ) {}

  /** Connects to every server (four at a time) and reads what each runs; one that does not answer is kept, on its base version. */
  static async open(options: ServerFleetOptions): Promise<ServerFleet> {
    const progress = options.progress ?? silent;
    const client = { ...(options.plan.sshConfig ? { configFile: options.plan.sshConfig } : {}), hostKeys: 'strict' as const };
    const members = new Map<string, Member>();
    const fleet = new ServerFleet(options, members);
    const servers = [...options.plan.servers];
    for (let i = 0; i < servers.length; i += 4) {
      await Promise.all(
        servers.slice(i, i + 4).map(async (target) => {
          // A new rollout has touched nothing yet; a resumed one may have, wherever it cannot tell.
          const member: Member = { link: new ServerLink(target, client, options.connect), labels: { ...target.labels }, version: options.prepared.baseVersion, lost: false, touched: options.resumed === true };
          members.set(target.name, member);
          try {
            member.version = await serverVersion(member.link, options.rolloutId, options.prepared, fleet.transactionOptions());
            member.touched = member.version !== options.prepared.baseVersion || (await versionsBefore(member.link, options.rolloutId)) !== undefined;
          } catch (error) {
            if (!(error instanceof SshHostError)) throw error;
            progress(`fleet: ${target.name} cannot be used now (${error.message}); its patch will say so if it still cannot`);
          }
        }),
      );
    }
    progress(`fleet: ${members.size} servers of ${options.plan.inventory}`);
    return fleet;
  }

  hosts(): FleetHost[] {
    return [...this.members].map(([id, m]) => ({ id, labels: m.labels, version: m.version }));
  }

  async patch(hostId: string): Promise<HostEvent> {
    return this.patchAttempt(hostId, 1);
  }

  private async patchAttempt(hostId: string, attempt: number): Promise<HostEvent> {
    const member = this.member(hostId);
    const stage: { at: Stage } = { at: 'before the patch' };
    try {
      return await this.patchServer(hostId, member, stage);
    } catch (error) {
      return this.failedPatch(hostId, member, stage.at, error, attempt);
    }
  }

  private async patchServer(hostId: string, member: Member, stage: { at: Stage }): Promise<HostEvent> {
    const { prepared, rolloutId } = this.options;
    const server = member.link;
    const transaction = transactionOf(server, rolloutId, 'patch', this.transactionOptions());
    if ((await transaction.state()).kind === 'none') {
      // None of ours: any apt or dpkg at work is another's (unattended-upgrades, a person).
      const others = await waitForOtherApt(server, this.options.plan.waits.lockWaitMs);
      if (others.length > 0) {
        return this.patchFailed(hostId, member, `another apt holds the dpkg lock: ${describeManagers(others)} still ran after ${Math.round(this.options.plan.waits.lockWaitMs / 1000)} s of waiting; nothing was changed`);
      }
      const installed = await installedVersions(server);
      if (versionFrom(installed, prepared) !== prepared.version) {
        const unexpected = unexpectedVersions(installed, prepared);
        if (unexpected.length > 0) return this.patchFailed(hostId, member, `not the versions the patch was prepared on (image ${this.options.image.tag}): ${unexpected.join('; ')}; nothing was changed`);
        stage.at = 'while copying the patch';
        await stageOnServer(server, this.options.cache, this.installFiles(hostId), prepared.sha256);
        await saveVersionsBefore(server, rolloutId);
      }
    }
    stage.at = 'while apt ran';
    member.touched = true;
    // Starts the transaction, or waits for the one a dead driver started: never twice.
    const outcome = await applyPatch(transaction.host(), this.installFiles(hostId), prepared.removals, { timeoutMs: this.dpkgTimeoutMs() });
    if (!outcome.ok) {
      member.version = await serverVersion(server, rolloutId, prepared, this.transactionOptions());
      return this.patchFailed(hostId, member, dpkgErrors(outcome.output) ?? lastLines(outcome.output));
    }
    stage.at = 'after apt, restarting the service';
    await restartService(server, this.options.image.definition);
    stage.at = 'rebooting';
    const policy = this.options.reboots.get(hostId) ?? 'never';
    const reboot = await rebootAsPolicy(server, policy, this.options.plan.waits.rebootTimeoutMs);
    if (reboot.kind === 'failed') {
      member.version = await serverVersion(server, rolloutId, prepared, this.transactionOptions()).catch(() => PARTLY_PATCHED);
      return this.patchFailed(hostId, member, reboot.reason);
    }
    if (reboot.kind === 'rebooted') this.progress(`${hostId}: rebooted in ${Math.round(reboot.durationMs / 1000)} s, kernel ${reboot.kernel}`);
    member.version = await serverVersion(server, rolloutId, prepared, this.transactionOptions());
    if (member.version !== prepared.version) return this.patchFailed(hostId, member, `apt ended well, but dpkg-query shows ${member.version} instead of ${prepared.version}`);
    return { type: 'patched', hostId, version: member.version };
  }

  /**
   * A failure of the patch as the host event that says why: the server refused (host key, login,
   * sudo), or stopped answering; a dropped connection that comes back is tried again.
   */
  private async failedPatch(hostId: string, member: Member, stage: Stage, error: unknown, attempt: number): Promise<HostEvent> {
    if (!isPassingFailure(error)) {
      // Refused for good (host key, login, sudo): no waiting changes that.
      if (error instanceof SshHostError) return this.patchFailed(hostId, member, `${stage}: ${error.message}`);
      throw error;
    }
    const waits = this.options.plan.waits;
    const back = await member.link.answersWithin(waits.lostAfterMs);
    if (back.ok) {
      // The transaction's record on the server makes going on safe: a started apt is waited for, not started again.
      this.progress(`${hostId}: the connection dropped ${stage} (${error.message}); it answers again, going on`);
      if (attempt < 5) return this.patchAttempt(hostId, attempt + 1);
      throw error;
    }
    member.lost = true;
    const untouched = stage === 'before the patch' && !member.touched;
    if (!untouched) member.version = PARTLY_PATCHED;
    const what = untouched ? 'unreachable before the patch, nothing was changed' : `lost ${stage === 'before the patch' ? 'mid-patch' : stage}`;
    return this.patchFailed(hostId, member, `${what}: no answer for ${Math.round(waits.lostAfterMs / 1000)} s (${back.last.message})`);
  }

  async rollback(hostId: string): Promise<HostEvent> {
    const member = this.member(hostId);
    const { prepared, rolloutId } = this.options;
    const server = member.link;
    try {
      const before = await versionsBefore(server, rolloutId);
      if (before) {
        const transaction = transactionOf(server, rolloutId, 'restore', this.transactionOptions());
        const current = await installedVersions(server);
        const target = restoreTarget(before, current, prepared);
        if ((await transaction.state()).kind === 'none') {
          // A missing one is named by rollbackPatch, which looks for the same files.
          const files = diffVersions(target, current).flatMap((c) => (c.before ? [this.options.cache.cachedDeb(c.name, c.before) ?? []] : [])).flat();
          await stageOnServer(server, this.options.cache, files, prepared.sha256);
        }
        // Starts the restore, or waits for the one a dead driver started: never twice.
        const outcome = await rollbackPatch(transaction.host(), target, this.options.cache, { timeoutMs: this.dpkgTimeoutMs() });
        await restartService(server, this.options.image.definition);
        if (!outcome.restored) throw new Error(`rollback on ${hostId} left ${outcome.remaining.map((r) => `${r.name} ${r.after ?? '(removed)'}`).join(', ')}: ${lastLines(outcome.output)}`);
      }
      member.version = await serverVersion(server, rolloutId, prepared, this.transactionOptions());
    } catch (error) {
      // A server is never written off: the rollback waits for it (the runner tries again).
      if (isPassingFailure(error)) member.lost = !(await member.link.answersWithin(0)).ok;
      throw error;
    }
    if (member.version !== prepared.baseVersion) throw new Error(`rollback on ${hostId}: dpkg-query shows ${member.version}, not the versions before the patch`);
    member.lost = false;
    return { type: 'rolled-back', hostId, version: member.version };
  }

  async check(hostId: string): Promise<Observation> {
    const member = this.member(hostId);
    const at = (this.options.now ?? Date.now)();
    const unreachable = { hostId, at, version: member.version, checks: [{ id: 'host:reachable', status: 'error' as const }] };
    if (member.lost) {
      if (!(await member.link.answersWithin(0)).ok) return unreachable;
      member.lost = false;
    }
    try {
      await member.link.connected();
      // One ssh exec per step of the probes, not one per probe: each costs a session, sudo and a shell on the server.
      const results = await this.options.checks.run({ host: batchedExecs(member.link), label: hostId });
      return { hostId, at, version: member.version, checks: results.map((r) => ({ id: r.id, status: r.status, ...(r.metrics ? { metrics: r.metrics } : {}) })) };
    } catch (error) {
      if (!(error instanceof SshHostError)) throw error;
      return unreachable;
    }
  }

  /** Closes the connections; the servers go on as they are. */
  async close(): Promise<void> {
    await Promise.all([...this.members.values()].map((m) => m.link.stop()));
    await this.options.checks.close().catch(() => undefined);
  }

  private installFiles(hostId: string): string[] {
    const { prepared } = this.options;
    const faults = this.options.faults.get(hostId) ?? [];
    const extra = faults.flatMap((f) => (f.kind === 'bad-package' || f.kind === 'latency' ? [prepared.faultDebs[f.kind] ?? []] : [])).flat();
    return [...prepared.installFiles, ...extra];
  }

  private patchFailed(hostId: string, member: Member, reason: string): HostEvent {
    this.progress(`${hostId}: patch failed: ${reason}`);
    return { type: 'patch-failed', hostId, version: member.version, reason };
  }

  private transactionOptions(): AptTransactionOptions {
    return { timeoutMs: this.dpkgTimeoutMs(), progress: this.progress };
  }

  private dpkgTimeoutMs(): number {
    return this.options.dpkgTimeoutMs ?? 600_000;
  }

  private get progress(): Progress {
    return this.options.progress ?? silent;
  }

  private member(hostId: string): Member {
    const member = this.members.get(hostId);
    if (!member) throw new Error(`the fleet of rollout ${this.options.rolloutId} has no server ${hostId}`);
    return member;
  }
}

function lastLines(text: string): string {
  return text.trim().split('\n').filter(Boolean).slice(-2).join(' / ') || 'apt failed';
}
