import { mustExec, type ExecResult, type Host } from '../hosts/host.ts';
import { DPKG_QUERY_ARGV, diffVersions, parseDpkgQuery, type VersionChange, type VersionMap } from './apt-output.ts';
import { APT_ENV, aptInstallArgv } from './apt-install.ts';
import type { PackageCache } from './cache.ts';
import { verifyPins, type Pins } from './pinned-files.ts';

export async function installedVersions(host: Host): Promise<VersionMap> {
  return parseDpkgQuery((await mustExec(host, DPKG_QUERY_ARGV)).stdout);
}

export interface ApplyOutcome {
  ok: boolean;
  before: VersionMap;
  after: VersionMap;
  changes: VersionChange[];
  /** apt's and dpkg's output: the evidence when an install fails. */
  output: string;
  durationMs: number;
}

export interface DpkgLimits {
  /** How long one install may take; a VM under TCG needs many times a container's. */
  timeoutMs?: number;
  /**
   * The sha256 of every file the stored plan pinned: each file is proven on the host before apt
   * may use it, and a file that differs is refused before anything changes. Without pins (a plan
   * stored before they were kept) the files are used as the cache holds them.
   */
  pins?: Pins;
  /** Rollback only: the versions on the host now, when the caller has just read them (an install's `after`). */
  current?: VersionMap;
}

const DPKG_TIMEOUT_MS = 600_000;

function timedOutNote(result: { timedOut: boolean }, timeoutMs: number): string {
  return result.timedOut ? `\nthe install did not finish within ${Math.round(timeoutMs / 1000)} s and was killed\n` : '';
}

/**
 * One apt transaction with the versions before and after it. apt marks a package it was given by
 * name or file as installed by hand. An unattended upgrade keeps the marks, so a patched host
 * must too: a library pulled in as a dependency stays one that `apt autoremove` may take once
 * nothing needs it. The queries only read, so each pair runs at once; `known` is the versions
 * the caller has just read, when nothing can have changed them since.
 */
async function markedTransaction(host: Host, argv: readonly string[], timeoutMs: number, known?: VersionMap): Promise<{ result: ExecResult; before: VersionMap; after: VersionMap }> {
  const [before, marks] = await Promise.all([known ?? installedVersions(host), autoMarked(host)]);
  const result = await host.exec(argv, { env: APT_ENV, timeoutMs });
  const [after, marksAfter] = await Promise.all([installedVersions(host), marks.size > 0 ? autoMarked(host) : marks]);
  // Only packages still there: a removed one has no mark to keep.
  const restore = [...marks].filter((name) => !marksAfter.has(name) && after.has(name));
  if (restore.length > 0) await host.exec(['apt-mark', 'auto', ...restore], { timeoutMs: 60_000 });
  return { result, before, after };
}

async function autoMarked(host: Host): Promise<Set<string>> {
  const result = await host.exec(['apt-mark', 'showauto'], { timeoutMs: 60_000 });
  return new Set(result.exitCode === 0 ? result.stdout.split('\n').map((l) => l.trim()).filter(Boolean) : []);
}

/** Installs the fetched files from the read-only cache mount in one apt transaction (see apt-install.ts). */
export async function applyPatch(
  host: Host,
  installFiles: readonly string[],
  removals: readonly string[] = [],
  limits: DpkgLimits = {},
): Promise<ApplyOutcome> {
  const timeoutMs = limits.timeoutMs ?? DPKG_TIMEOUT_MS;
  const started = Date.now();
  if (limits.pins) await verifyPins(host, installFiles, limits.pins);
  if (installFiles.length === 0 && removals.length === 0) {
    const versions = await installedVersions(host);
    return { ok: true, before: versions, after: versions, changes: [], output: '', durationMs: Date.now() - started };
  }
  const { result, before, after } = await markedTransaction(host, aptInstallArgv(installFiles, removals, 'patch'), timeoutMs);
  const output = result.stdout + result.stderr + timedOutNote(result, timeoutMs);
  const ok = result.exitCode === 0 && !result.timedOut;
  return { ok, before, after, changes: diffVersions(before, after), output, durationMs: Date.now() - started };
}

export interface RollbackOutcome {
  /** True when every package is back on its version from before the patch. */
  restored: boolean;
  /** What still differs from before, if anything. */
  remaining: VersionChange[];
  reinstalled: string[];
  purged: string[];
  output: string;
  durationMs: number;
}

/**
 * Puts every package back on the exact version it had before, from the cache (the fetcher
 * downloaded the replaced versions alongside the new ones), then verifies with dpkg-query.
 */
export async function rollbackPatch(host: Host, before: VersionMap, cache: PackageCache, limits: DpkgLimits = {}): Promise<RollbackOutcome> {
  const timeoutMs = limits.timeoutMs ?? DPKG_TIMEOUT_MS;
  const started = Date.now();
  const current = limits.current ?? (await installedVersions(host));
  const changes = diffVersions(before, current);
  const purged = changes.filter((c) => c.before === undefined).map((c) => c.name);
  const reinstall = changes.filter((c) => c.before !== undefined);
  const files = reinstall.map((c) => {
    const file = cache.cachedDeb(c.name, c.before ?? '');
    if (!file) throw new Error(`rollback on ${host.name}: ${c.name} ${c.before} is not in the package cache`);
    return file;
  });
  let output = '';
  if (limits.pins) await verifyPins(host, files, limits.pins);
  let after = current;
  if (files.length > 0 || purged.length > 0) {
    const transaction = await markedTransaction(host, aptInstallArgv(files, purged, 'restore'), timeoutMs, current);
    output = transaction.result.stdout + transaction.result.stderr + timedOutNote(transaction.result, timeoutMs);
    after = transaction.after;
  }
  const remaining = diffVersions(before, after);
  return {
    restored: remaining.length === 0,
    remaining,
    reinstalled: reinstall.map((c) => `${c.name}=${c.before}`),
    purged,
    output,
    durationMs: Date.now() - started,
  };
}
