import type { Hold } from '../holds/holds.ts';
import { join } from 'node:path';
import { imageMirror } from '../config/mirror.ts';
import { dataDir } from '../config/paths.ts';
import { DockerHostProvider } from '../hosts/docker-provider.ts';
import { dockerStartup } from '../hosts/startup.ts';
import { QemuHostProvider } from '../hosts/vm/qemu-provider.ts';
import { ensureVmImage } from '../hosts/vm/vm-image.ts';
import { resolveImage } from '../images/build.ts';
import { PackageCache } from '../patches/cache.ts';
import { listsMaxAgeFrom, type RefreshLists } from '../patches/list-freshness.ts';
import { parsePatchArgs } from '../patches/request.ts';
import { silent, type Progress } from '../progress.ts';
import type { ImageDefinition } from '../images/definition.ts';
import { checkFilesFor, loadCheckSuite, type CheckSuiteOptions } from './check-suite.ts';
import type { SetMember } from './lab-sets.ts';
import { DockerSetNetworks, reapNetworks } from './set-network.ts';
import { runLab } from './lab-run.ts';
import type { LabReport } from './report.ts';
import { newRunId } from './run-id.ts';

export interface ImageLabRun {
  image: string;
  /** The words of `--patch`: security, all, name[=version], .deb files. */
  patch: string[];
  checks?: string[];
  reportDir?: string;
  mirror?: { archive?: string; security?: string };
  /** 'always' for a scheduled run or `lab run --refresh`; 'if-stale' reuses lists of the same sources refreshed recently. */
  refreshLists: RefreshLists;
  /** Packages kept back from the patch (see lab/holds/holds.ts). */
  holds?: readonly Hold[];
  /** How old reusable lists may be; PATCHLAB_LISTS_MAX_AGE (seconds) or 10 minutes by default. */
  listsMaxAgeMs?: number;
  cache?: PackageCache;
  progress?: Progress;
  /** What the twins are: containers (default) or VMs booting Debian's kernel from the same image. */
  host?: HostKind;
  /** The host of the set to patch (`--target db`), by hostname or image name; the image itself when absent. */
  targets?: string[];
  /** A new one by default; given when a worker runs the run another process named. */
  runId?: string;
}

export type HostKind = 'container' | 'vm';

/** A lab run from names, as `lab run` and a scheduled run start one: the image's own checks unless others are given. */
export async function runLabOnImage(options: ImageLabRun): Promise<LabReport> {
  const progress = options.progress ?? silent;
  const request = parsePatchArgs(options.patch);
  const listsMaxAgeMs = options.listsMaxAgeMs ?? listsMaxAgeFrom();
  await dockerStartup(progress);
  const runId = options.runId ?? newRunId('lab');
  const resolved = await resolveImage(options.image, { progress });
  const vm = options.host === 'vm' ? await ensureVmImage(options.image, resolved.tag, { progress }) : undefined;
  // A VM run's fetcher and twins start from the VM form: its pending updates include the kernel.
  const image = vm ? { ...resolved, tag: vm.dockerTag } : resolved;
  const reportDir = options.reportDir ?? join(dataDir(), 'runs', runId);
  const checkFiles = options.checks?.length ? options.checks : checkFilesFor(image.definition);
  const checks = await loadCheckSuite(checkFiles, checkOptions(reportDir, image.definition, undefined));
  const needs = await neededHosts(image.definition, reportDir, progress);
  if (needs.length > 0 && vm) throw new Error(`image ${options.image} needs ${needs.map((n) => n.name).join(', ')}: hosts that need others run as containers only (drop --host vm)`);
  const targets = targetsOf(options.image, needs, options.targets);
  if (needs.length > 0) await reapNetworks().catch(() => undefined);
  progress(`run ${runId}: image ${options.image} (${image.tag}) on ${vm ? 'VM' : 'container'} hosts, patch ${options.patch.join(' ')}, ${checkFiles.length} check file(s)${needs.length ? `, with ${needs.map((n) => n.name).join(', ')} beside it, patching ${targets.join(', ')}` : ''}`);
  const target = needs.find((n) => n.name === targets[0]);
  return runLab({
    runId,
    image: { name: options.image, tag: image.tag, ...(image.definition ? { definition: image.definition } : {}) },
    request,
    requestText: options.patch,
    checks,
    ...(needs.length > 0 ? { needs, targets, networks: new DockerSetNetworks() } : {}),
    // Containers are cheap to start: a third twin rehearses the rollback (see runLab); a VM reboots and proves it on itself.
    rollbackTwin: !vm,
    provider: vm ? new QemuHostProvider(vm) : new DockerHostProvider(),
    fetcherProvider: new DockerHostProvider(),
    cache: options.cache ?? new PackageCache(),
    mirror: imageMirror(target?.image.definition ?? image.definition, options.mirror),
    refreshLists: options.refreshLists,
    ...(options.holds ? { holds: options.holds } : {}),
    listsMaxAgeMs,
    reportDir,
    progress,
  });
}

function checkOptions(reportDir: string, definition: ImageDefinition | undefined, host: string | undefined): CheckSuiteOptions {
  return {
    screenshotDir: join(reportDir, 'screenshots', ...(host ? [host] : [])),
    ...(definition?.ports[0] ? { port: definition.ports[0] } : {}),
  };
}

/** The hosts a definition needs, each built (or found) with its own checks and the name the image reaches it by. */
async function neededHosts(definition: ImageDefinition | undefined, reportDir: string, progress: Progress): Promise<SetMember[]> {
  const needs = definition?.needs ?? [];
  const names = needs.map((n) => n.hostname ?? n.image);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new Error(`image definition ${definition?.name} (${definition?.file}): needs: two hosts named ${twice}; give each a hostname of its own`);
  return Promise.all(
    needs.map(async (need, i) => {
      const resolved = await resolveImage(need.image, { progress });
      const name = names[i] as string;
      return {
        name,
        image: { name: need.image, tag: resolved.tag, ...(resolved.definition ? { definition: resolved.definition } : {}) },
        checks: await loadCheckSuite(checkFilesFor(resolved.definition), checkOptions(reportDir, resolved.definition, name)),
      };
    }),
  );
}

/** `--target` by hostname or by image name; one host per run for now (the patch plan is worked out on its image). */
function targetsOf(image: string, needs: readonly SetMember[], asked: readonly string[] | undefined): string[] {
  if (!asked?.length) return [image];
  const known = [image, ...needs.map((n) => n.name)];
  const targets = asked.map((t) => (t === image ? image : needs.find((n) => n.name === t || n.image.name === t)?.name));
  const unknown = asked.filter((_, i) => targets[i] === undefined);
  if (unknown.length > 0) throw new Error(`--target ${unknown.join(', ')}: not a host of this run (hosts: ${known.join(', ')})`);
  if (new Set(targets).size > 1) throw new Error(`--target: one host per run (the patch is worked out on that host's image), got ${asked.join(', ')}`);
  return [targets[0] as string];
}
