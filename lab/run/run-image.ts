import { join } from 'node:path';
import { debianMirror } from '../config/mirror.ts';
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
import { checkFilesFor, loadCheckSuite } from './check-suite.ts';
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
  /** How old reusable lists may be; PATCHLAB_LISTS_MAX_AGE (seconds) or 10 minutes by default. */
  listsMaxAgeMs?: number;
  cache?: PackageCache;
  progress?: Progress;
  /** What the twins are: containers (default) or VMs booting Debian's kernel from the same image. */
  host?: HostKind;
}

export type HostKind = 'container' | 'vm';

/** A lab run from names, as `lab run` and a scheduled run start one: the image's own checks unless others are given. */
export async function runLabOnImage(options: ImageLabRun): Promise<LabReport> {
  const progress = options.progress ?? silent;
  const request = parsePatchArgs(options.patch);
  const listsMaxAgeMs = options.listsMaxAgeMs ?? listsMaxAgeFrom();
  await dockerStartup(progress);
  const runId = newRunId('lab');
  const resolved = await resolveImage(options.image, { progress });
  const vm = options.host === 'vm' ? await ensureVmImage(options.image, resolved.tag, { progress }) : undefined;
  // A VM run's fetcher and twins start from the VM form: its pending updates include the kernel.
  const image = vm ? { ...resolved, tag: vm.dockerTag } : resolved;
  const reportDir = options.reportDir ?? join(dataDir(), 'runs', runId);
  const checkFiles = options.checks?.length ? options.checks : checkFilesFor(image.definition);
  const checks = await loadCheckSuite(checkFiles, {
    screenshotDir: join(reportDir, 'screenshots'),
    ...(image.definition?.ports[0] ? { port: image.definition.ports[0] } : {}),
  });
  progress(`run ${runId}: image ${options.image} (${image.tag}) on ${vm ? 'VM' : 'container'} hosts, patch ${options.patch.join(' ')}, ${checkFiles.length} check file(s)`);
  return runLab({
    runId,
    image: { name: options.image, tag: image.tag, ...(image.definition ? { definition: image.definition } : {}) },
    request,
    requestText: options.patch,
    checks,
    provider: vm ? new QemuHostProvider(vm) : new DockerHostProvider(),
    fetcherProvider: new DockerHostProvider(),
    cache: options.cache ?? new PackageCache(),
    mirror: debianMirror(image.definition?.suite ?? 'bookworm', options.mirror ?? {}),
    refreshLists: options.refreshLists,
    listsMaxAgeMs,
    reportDir,
    progress,
  });
}
