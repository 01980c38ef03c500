import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DEFAULT_SUITE, type DebianMirror } from '../config/mirror.ts';
import { HostCommandError, mustExec, type Host } from '../hosts/host.ts';
import { shortHash } from '../images/hash.ts';
import { withLock } from '../images/lock.ts';
import { type Progress } from '../progress.ts';
import { CACHE_MOUNT } from './apt-install.ts';
import { debFileName, isSecurityOrigin, parseAptSimulation, sourceSuite, type AptPlan } from './apt-output.ts';
import { decideListsRefresh, describeLists, listsUsed, type ListsState, type ListsUsed, type RefreshLists } from './list-freshness.ts';
import { pinFiles } from './pinned-files.ts';
import { PlanMemo, type PlanMemoKey } from './plan-memo.ts';
import type { CandidatePatch, SelectedPatch } from './request.ts';

/** What a fetcher needs of the package cache: where it is, and which files it already holds. */
export interface CacheFiles {
  readonly root: string;
  cachedDeb(name: string, version: string): string | undefined;
  addLocalDeb(path: string): string;
}

export interface FetchedPatch {
  selected: SelectedPatch;
  plan: AptPlan;
  /** Host paths under CACHE_MOUNT to hand to apt-get, in one call. */
  installFiles: string[];
  /** Bytes this fetch pulled from the mirror; 0 when everything was cached already. */
  downloadedBytes: number;
  /** Files that were already in the cache. */
  reusedFiles: number;
  /** The plan came from an earlier run on the same image and lists, not from apt (see plan-memo.ts). */
  planReused: boolean;
  /**
   * The sha256 of every .deb the patch installs and of every version a rollback puts back, by
   * host path: stored with the plan, so every host installs exactly these bytes (pinned-files.ts).
   */
  sha256: Record<string, string>;
}

export class Fetcher {
  private suite = DEFAULT_SUITE;
  private aptOptions: string[] = [];
  /** Which lists this fetcher used, and how old they were; set by refresh. */
  lists: ListsUsed | undefined;
  /** Which lists, as which refresh left them: half of every memo key. */
  private listsVersion: { lists: string; refreshedAt: number } | undefined;
  private installed: Promise<string | undefined> | undefined;

  constructor(
    private readonly cache: CacheFiles,
    readonly host: Host,
    private readonly progress: Progress,
    private readonly now: () => number = Date.now,
    /** Without one, every question goes to apt. */
    private readonly memo?: PlanMemo,
  ) {}

  /**
   * Adds the suite's security and updates archives to the host and refreshes the package lists,
   * unless `if-stale` allows lists of the same sources refreshed within `maxAgeMs`.
   */
  async refresh(mirror: DebianMirror, mode: RefreshLists, maxAgeMs: number): Promise<void> {
    const release = (await mustExec(this.host, ['cat', '/etc/os-release'])).stdout;
    this.suite = /^VERSION_CODENAME=(\w+)/m.exec(release)?.[1] ?? this.suite;
    const sources = [
      `deb ${mirror.archive} ${this.suite}-updates main`,
      `deb ${mirror.security} ${this.suite}-security main`,
      '',
    ].join('\n');
    await this.host.copyIn([{ path: '/etc/apt/sources.list.d/patchlab-updates.list', content: sources }]);
    const imageSources = (await this.host.exec(['cat', '/etc/apt/sources.list'])).stdout;
    // Lists are shared by every image whose sources are the same.
    const lists = `lists/${shortHash({ imageSources, sources })}`;
    mkdirSync(join(this.cache.root, lists, 'partial'), { recursive: true });
    this.aptOptions = [
      '-o', `Dir::Cache::Archives=${CACHE_MOUNT}/archives`,
      '-o', `Dir::State::Lists=${CACHE_MOUNT}/${lists}`,
      // The cache belongs to root on the lab machine; apt's _apt user could not write it.
      '-o', 'APT::Sandbox::User=root',
      '-o', 'Acquire::Retries=3',
      // As the images were built: the plan, the download and the install must agree on what a patch pulls in.
      '-o', 'APT::Install-Recommends=false',
    ];
    // Beside the lists, not in them: apt-get update deletes any file of its lists directory it did not fetch.
    const stamp = join(this.cache.root, `${lists}.refreshed`);
    await withLock(join(this.cache.root, '..', 'locks'), 'package-cache', async () => {
      // Decided under the lock: a run that waited for another's refresh then finds the lists fresh.
      const state = readListsState(stamp, join(this.cache.root, lists));
      const decision = decideListsRefresh(mode, state, this.now(), maxAgeMs);
      if (!decision.refresh) {
        if (state.refreshedAt !== undefined) this.listsVersion = { lists, refreshedAt: state.refreshedAt };
        this.lists = listsUsed(decision, state.refreshedAt ?? this.now(), maxAgeMs);
        this.progress(describeLists(this.lists));
        return;
      }
      this.progress(`package lists: apt-get update on ${this.suite}, ${this.suite}-updates, ${this.suite}-security`);
      const started = this.now();
      // A refresh that fails half-way may leave some lists new and some old: nothing vouches for them until one succeeds.
      rmSync(stamp, { force: true });
      // --error-on=any: an archive that cannot be reached must not pass for one with nothing new.
      await mustExec(this.host, ['apt-get', ...this.aptOptions, '-q', '--error-on=any', 'update'], { timeoutMs: 300_000 });
      // Only a refresh without an error vouches for the lists; the time it started is the oldest their content can be.
      writeFileSync(stamp, `${JSON.stringify({ refreshedAt: started })}\n`);
      this.listsVersion = { lists, refreshedAt: started };
      this.lists = listsUsed(decision, started, maxAgeMs);
    });
  }

  /** What the image can upgrade, as the security and updates archives stand now. */
  async discover(): Promise<CandidatePatch[]> {
    const key = await this.memoKey('discover');
    const remembered = key && this.memo?.recall<CandidatePatch[]>(key);
    if (remembered) {
      this.progress('candidate patches: reused from an earlier run on the same image and lists');
      return remembered;
    }
    const candidates = await this.discoverWithApt();
    if (key) this.memo?.remember(key, candidates);
    return candidates;
  }

  private async discoverWithApt(): Promise<CandidatePatch[]> {
    const plan = parseAptSimulation((await this.apt(['-s', 'dist-upgrade'])).stdout);
    return plan.installs
      .filter((i) => i.from !== undefined)
      .map((i) => ({
        name: i.name,
        installed: i.from ?? '',
        candidate: i.to,
        suite: sourceSuite(i.origin, this.suite),
        origin: i.origin,
        security: isSecurityOrigin(i.origin),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Downloads what the patch needs (with its new dependencies) and the versions it replaces,
   * each .deb once. apt leaves a file alone that is already in the cache.
   */
  async fetch(selected: SelectedPatch): Promise<FetchedPatch> {
    const fetched = await this.fetchUnpinned(selected);
    const rollbackFiles = [...fetched.plan.installs.filter((i) => i.from).map((i) => ({ name: i.name, version: i.from ?? '' })), ...fetched.plan.removals].flatMap(
      (p) => this.cache.cachedDeb(p.name, p.version) ?? [],
    );
    return { ...fetched, sha256: pinFiles(this.cache.root, [...new Set([...fetched.installFiles, ...rollbackFiles])]) };
  }

  private async fetchUnpinned(selected: SelectedPatch): Promise<Omit<FetchedPatch, 'sha256'>> {
    // A local .deb is not in the lists: its plan is always worked out anew.
    const key = selected.debs.length === 0 ? await this.memoKey({ fetch: selected.packages }) : undefined;
    const remembered = key && this.memo?.recall<AptPlan>(key);
    if (remembered) {
      const reused = this.fromCache(selected, remembered);
      if (reused) {
        this.progress(`package cache: the plan of ${remembered.installs.length} package(s) reused from an earlier run on the same image and lists; every file is cached`);
        return reused;
      }
    }
    const fetched = await this.fetchWithApt(selected);
    if (key) this.memo?.remember(key, fetched.plan);
    return fetched;
  }

  /** The patch from a remembered plan, when the cache holds every file it and its rollback need. */
  private fromCache(selected: SelectedPatch, plan: AptPlan): Omit<FetchedPatch, 'sha256'> | undefined {
    const needed = [
      ...plan.installs.map((i) => ({ name: i.name, version: i.to })),
      ...plan.installs.filter((i) => i.from).map((i) => ({ name: i.name, version: i.from ?? '' })),
      ...plan.removals,
    ];
    if (!needed.every((p) => this.cache.cachedDeb(p.name, p.version))) return undefined;
    const installFiles = plan.installs.map((i) => this.cache.cachedDeb(i.name, i.to) as string);
    return { selected, plan, installFiles, downloadedBytes: 0, reusedFiles: installFiles.length, planReused: true };
  }

  private async memoKey(question: unknown): Promise<PlanMemoKey | undefined> {
    if (!this.memo || !this.listsVersion) return undefined;
    this.installed ??= this.host
      .exec(['sha256sum', '/var/lib/dpkg/status'], { timeoutMs: 30_000 })
      .then((r) => (r.exitCode === 0 ? /^[0-9a-f]{64}/.exec(r.stdout)?.[0] : undefined))
      .catch(() => undefined);
    const installed = await this.installed;
    return installed ? { installed, ...this.listsVersion, question } : undefined;
  }

  private async fetchWithApt(selected: SelectedPatch): Promise<Omit<FetchedPatch, 'sha256'>> {
    const localFiles = selected.debs.map((d) => this.cache.addLocalDeb(d));
    const targets = [...selected.packages.map((p) => `${p.name}=${p.version}`), ...localFiles];
    const simulated = await this.apt(['-s', 'install', ...targets], true);
    const plan = parseAptSimulation(simulated.stdout);
    if (simulated.exitCode !== 0) {
      throw new Error(`apt cannot install the patch on ${this.host.name}: ${lastLines(simulated.stdout + simulated.stderr)}`);
    }
    const before = this.archiveSizes();
    await withLock(join(this.cache.root, '..', 'locks'), 'package-cache', async () => {
      this.progress(`package cache: downloading ${plan.installs.length} package(s) and the versions they replace`);
      // apt would find every file in the cache and download nothing, after resolving the whole patch again.
      const allCached = localFiles.length === 0 && plan.installs.every((i) => this.cache.cachedDeb(i.name, i.to));
      if (targets.length > 0 && !allCached) await this.apt(['install', '--download-only', '-y', '--no-install-recommends', ...targets]);
      const previous = [
        ...plan.installs.filter((i) => i.from).map((i) => ({ name: i.name, version: i.from ?? '' })),
        ...plan.removals,
      ];
      await this.downloadMissing(previous);
    });
    const after = this.archiveSizes();
    const localByName = new Map<string, string>();
    for (const file of localFiles) {
      const field = await mustExec(this.host, ['dpkg-deb', '--field', file, 'Package']);
      localByName.set(field.stdout.trim(), file);
    }
    const installFiles = plan.installs.map((i) => {
      const cached = localByName.get(i.name) ?? this.cache.cachedDeb(i.name, i.to);
      if (!cached) throw new Error(`package cache: ${debFileName(i.name, i.to, i.arch)} is missing after the download`);
      return cached;
    });
    for (const file of localFiles) if (!installFiles.includes(file)) installFiles.push(file);
    let downloadedBytes = 0;
    for (const [file, size] of after) if (!before.has(file)) downloadedBytes += size;
    return {
      selected,
      plan,
      installFiles,
      downloadedBytes,
      reusedFiles: installFiles.filter((f) => before.has(basename(f))).length,
      planReused: false,
    };
  }

  /**
   * Downloads exact versions into the cache, each only if it is not there yet: the candidates
   * whose changelogs `patches list` reads, without resolving a whole patch.
   */
  async download(packages: readonly { name: string; version: string }[]): Promise<void> {
    await withLock(join(this.cache.root, '..', 'locks'), 'package-cache', () => this.downloadMissing(packages));
  }

  /** Call with the package-cache lock held. */
  private async downloadMissing(packages: readonly { name: string; version: string }[]): Promise<void> {
    const missing = packages.filter((p) => !this.cache.cachedDeb(p.name, p.version));
    if (missing.length === 0) return;
    await mustExec(this.host, ['apt-get', ...this.aptOptions, '-q', 'download', ...missing.map((p) => `${p.name}=${p.version}`)], {
      workdir: `${CACHE_MOUNT}/archives`,
      timeoutMs: 600_000,
    });
  }

  async close(): Promise<void> {
    await this.host.stop();
  }

  private archiveSizes(): Map<string, number> {
    const dir = join(this.cache.root, 'archives');
    return new Map(readdirSync(dir).filter((f) => f.endsWith('.deb')).map((f) => [f, statSync(join(dir, f)).size]));
  }

  private async apt(args: string[], allowFailure = false) {
    const argv = ['apt-get', ...this.aptOptions, '-q', ...args];
    const result = await this.host.exec(argv, { timeoutMs: 600_000, env: { DEBIAN_FRONTEND: 'noninteractive' } });
    if (!allowFailure && (result.exitCode !== 0 || result.timedOut)) throw new HostCommandError(this.host.name, argv, result);
    return result;
  }
}

function readListsState(stamp: string, listsDir: string): ListsState {
  let refreshedAt: number | undefined;
  try {
    const parsed = JSON.parse(readFileSync(stamp, 'utf8')) as { refreshedAt?: unknown };
    if (typeof parsed.refreshedAt === 'number' && Number.isFinite(parsed.refreshedAt)) refreshedAt = parsed.refreshedAt;
  } catch {
    // No stamp, or a torn one: the lists were never vouched for.
  }
  const present = existsSync(listsDir) && readdirSync(listsDir).some((f) => /_Packages(\.\w+)?$/.test(f));
  return { refreshedAt, present };
}

function lastLines(text: string, n = 6): string {
  return text.trim().split('\n').filter((l) => !/^(Reading|Building|Note,)/.test(l)).slice(-n).join('\n');
}
