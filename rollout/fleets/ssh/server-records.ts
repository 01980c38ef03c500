import type { Host } from '../../../lab/hosts/host.ts';
import { shortHash } from '../../../lab/images/hash.ts';
import { installedVersions } from '../../../lab/patches/apply.ts';
import { DPKG_QUERY_ARGV, parseDpkgQuery, type VersionMap } from '../../../lab/patches/apt-output.ts';
import type { PreparedPatch } from '../containers/prepared-patch.ts';
import { AptTransaction, type AptTransactionOptions } from './apt-transaction.ts';

/*
 * What a rollout leaves on each server, in root's own folder: the record of its apt transactions
 * and dpkg's view of the server before the patch. It lives on the server, not in the driver, so a
 * driver killed at any moment, or another machine resuming the rollout, finds it there.
 */

/** The rollout's folder on a server; named by a hash, so no rollout id ever becomes a path. Pure. */
export function recordsFolder(rolloutId: string): string {
  return `/var/lib/patchlab/rollouts/${shortHash(rolloutId, 16)}`;
}

export function transactionOf(server: Host, rolloutId: string, kind: 'patch' | 'restore', options: AptTransactionOptions): AptTransaction {
  return new AptTransaction(server, `${recordsFolder(rolloutId)}/${kind}`, options);
}

/** A server whose packages are neither all before nor all after the patch (an install cut short, a partial rollback). */
export const PARTLY_PATCHED = 'partly-patched';
/** A server on which an apt transaction of this rollout still runs. */
export const IN_FLIGHT = 'in-flight';

/** Once per rollout and server, before its patch: the versions a rollback returns to. Written aside and renamed. */
const SAVE_BEFORE = [
  'd=$1; shift',
  '[ -e "$d/versions-before" ] && exit 0',
  'mkdir -p "$d" && chmod 700 "$d" && "$@" >"$d/versions-before.new" && mv "$d/versions-before.new" "$d/versions-before"',
].join('\n');

export async function saveVersionsBefore(server: Host, rolloutId: string): Promise<void> {
  const result = await server.exec(['sh', '-c', SAVE_BEFORE, 'sh', recordsFolder(rolloutId), ...DPKG_QUERY_ARGV], { timeoutMs: 60_000 });
  if (result.exitCode !== 0) throw new Error(`on ${server.name}: cannot record the versions before the patch: ${result.stderr.trim()}`);
}

/** Undefined when the patch never got as far as recording them: then it changed nothing. */
export async function versionsBefore(server: Host, rolloutId: string): Promise<VersionMap | undefined> {
  const result = await server.exec(['cat', `${recordsFolder(rolloutId)}/versions-before`], { timeoutMs: 60_000 });
  return result.exitCode === 0 ? parseDpkgQuery(result.stdout) : undefined;
}

/** What the patch's packages say about a server: the patch, the base, or neither. Pure. */
export function versionFrom(installed: VersionMap, prepared: PreparedPatch): string {
  if (prepared.packages.every((p) => installed.get(p.name) === p.to)) return prepared.version;
  if (prepared.packages.every((p) => installed.get(p.name) === p.from)) return prepared.baseVersion;
  return PARTLY_PATCHED;
}

/** The patch's packages whose installed version is not the one the patch was prepared against. Pure. */
export function unexpectedVersions(installed: VersionMap, prepared: PreparedPatch): string[] {
  return prepared.packages
    .filter((p) => installed.get(p.name) !== p.from)
    .map((p) => `${p.name} ${installed.get(p.name) ?? '(not installed)'} where the patch expects ${p.from ?? '(not installed)'}`);
}

/** The server's version for the runner, confirmed with dpkg-query; IN_FLIGHT while a transaction of this rollout still runs. */
export async function serverVersion(server: Host, rolloutId: string, prepared: PreparedPatch, options: AptTransactionOptions): Promise<string> {
  for (const kind of ['patch', 'restore'] as const) {
    if ((await transactionOf(server, rolloutId, kind, options).state()).kind === 'running') return IN_FLIGHT;
  }
  return versionFrom(await installedVersions(server), prepared);
}

/**
 * The versions a rollback installs: the server as it is now, with only what the patch touched
 * (its packages, its removals, and packages new since) put back as they were before. Anything
 * else that changed on the server meanwhile is not the rollout's to undo. Pure.
 */
export function restoreTarget(before: VersionMap, now: VersionMap, prepared: PreparedPatch): VersionMap {
  const touched = new Set([...prepared.packages.map((p) => p.name), ...prepared.removals, ...[...now.keys()].filter((name) => !before.has(name))]);
  const target = new Map(now);
  for (const name of touched) {
    const version = before.get(name);
    if (version === undefined) target.delete(name);
    else target.set(name, version);
  }
  return target;
}
