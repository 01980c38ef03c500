import { mustExec, type Host } from '../hosts/host.ts';
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
}

const DPKG_TIMEOUT_MS = 600_000;

function timedOutNote(result: { timedOut: boolean }, timeoutMs: number): string {
  return result.timedOut ? `\nthe install did not finish within ${Math.round(timeoutMs / 1000)} s and was killed\n` : '';
}

/**
 * apt marks a package it was given by name or file as installed by hand. An unattended upgrade
 * keeps the marks, so a patched host must too: a library pulled in as a dependency stays one
 * that `apt autoremove` may take once nothing needs it.
 */
async function keepingAutoMarks<T>(host: Host, install: () => Promise<T>): Promise<T> {
  const before = await autoMarked(host);
  const result = await install();
  if (before.size > 0) {
    const after = await autoMarked(host);
    const lost = [...before].filter((name) => !after.has(name));
    // Only packages still there: a removed one has no mark to keep.
    const installed = lost.length > 0 ? await installedVersions(host) : new Map();
    const restore = lost.filter((name) => installed.has(name));
    if (restore.length > 0) await host.exec(['apt-mark', 'auto', ...restore], { timeoutMs: 60_000 });
  }
  return result;
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
  const before = await installedVersions(host);
  let output = '';
  let ok = true;
  if (installFiles.length > 0 || removals.length > 0) {
    const result = await keepingAutoMarks(host, () => host.exec(aptInstallArgv(installFiles, removals, 'patch'), { env: APT_ENV, timeoutMs }));
    output = result.stdout + result.stderr + timedOutNote(result, timeoutMs);
    ok = result.exitCode === 0 && !result.timedOut;
  }
  const after = await installedVersions(host);
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
  const changes = diffVersions(before, await installedVersions(host));
  const purged = changes.filter((c) => c.before === undefined).map((c) => c.name);
  const reinstall = changes.filter((c) => c.before !== undefined);
  const files = reinstall.map((c) => {
    const file = cache.cachedDeb(c.name, c.before ?? '');
    if (!file) throw new Error(`rollback on ${host.name}: ${c.name} ${c.before} is not in the package cache`);
    return file;
  });
  let output = '';
  if (limits.pins) await verifyPins(host, files, limits.pins);
  if (files.length > 0 || purged.length > 0) {
    const result = await keepingAutoMarks(host, () => host.exec(aptInstallArgv(files, purged, 'restore'), { env: APT_ENV, timeoutMs }));
    output = result.stdout + result.stderr + timedOutNote(result, timeoutMs);
  }
  const remaining = diffVersions(before, await installedVersions(host));
  return {
    restored: remaining.length === 0,
    remaining,
    reinstalled: reinstall.map((c) => `${c.name}=${c.before}`),
    purged,
    output,
    durationMs: Date.now() - started,
  };
}
