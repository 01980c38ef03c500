import { Option, type Command } from 'commander';
import { join } from 'node:path';
import { dataDir } from '../../lab/config/paths.ts';
import { reap } from '../../lab/hosts/reaper.ts';
import { loadRunReport } from '../../lab/bisect/bisect-items.ts';
import { bisectRun, summarizeBisect } from '../../lab/bisect/lab-bisect.ts';
import { stderrProgress } from '../../lab/progress.ts';
import { summarize } from '../../lab/run/report.ts';
import { runLabOnImage, type HostKind } from '../../lab/run/run-image.ts';
import { exitCodeOf } from '../../lab/run/verdict.ts';
import { labRunNotification } from '../../lab/notify/run-notifications.ts';
import type { Store } from '../../rollout/store/store.ts';
import { reapNetworks } from '../../lab/run/set-network.ts';
import { projectOption, useProject, type ProjectFlags } from './project-option.ts';
import { collect, currentHolds, withStore, NOTIFY_GRACE_MS, webhookNotifier, mirrorOverrides, newRunId, type MirrorFlags } from './common.ts';

export interface LabRunFlags extends MirrorFlags {
  image: string;
  patch: string[];
  checks?: string[];
  reportDir?: string;
  json?: boolean;
  host?: HostKind;
  refresh?: boolean;
  target?: string[];
  project?: string;
}

/** Runs the lab once and prints the summary; resolves to the exit status the verdict calls for. */
export async function labRun(flags: LabRunFlags): Promise<number> {
  useProject(flags);
  // One store for the holds the run applies and the report it saves.
  return withStore((store) => labRunWith(flags, store));
}

async function labRunWith(flags: LabRunFlags, store: Store): Promise<number> {
  const holds = await currentHolds(store);
  const report = await runLabOnImage({
    holds,
    image: flags.image,
    patch: flags.patch,
    ...(flags.target ? { targets: flags.target } : {}),
    ...(flags.checks ? { checks: flags.checks } : {}),
    ...(flags.reportDir ? { reportDir: flags.reportDir } : {}),
    ...(flags.host ? { host: flags.host } : {}),
    mirror: mirrorOverrides(flags),
    refreshLists: flags.refresh ? 'always' : 'if-stale',
    progress: stderrProgress('lab'),
  });
  const reportDir = flags.reportDir ?? join(dataDir(), 'runs', report.runId);
  // Kept in the store as well, so `serve` shows it beside the rollouts and a schedule's history can compare runs.
  await store.saveLabRun(report);
  console.log(flags.json ? JSON.stringify(report, null, 2) : summarize(report));
  if (!flags.json) console.log(`report: ${join(reportDir, 'report.json')}  junit: ${join(reportDir, 'junit.xml')}`);
  const failed = labRunNotification(report);
  if (failed) {
    const notifier = webhookNotifier();
    notifier.notify(failed);
    await notifier.idle(NOTIFY_GRACE_MS);
  }
  return exitCodeOf(report.verdict);
}

export function labCommand(program: Command): void {
  const lab = program.command('lab').description('prove a patch on disposable twins of a production image');
  projectOption(lab
    .command('run'))
    .description('start twin hosts, patch one, check both, roll back, and write a report (exit 0 pass, 1 fail, 2 error)')
    .requiredOption('--image <name>', 'image definition name (the project\'s, or the built-in web, db) or a local image reference')
    .option('--target <host>', 'the host of the image\'s set to patch, when its definition needs others (e.g. db); default: the image itself', collect)
    .requiredOption('--patch <what>', '"security", "all", package[=version] names, or a .deb file (repeatable, comma separated)', collect)
    .option('--checks <file>', 'goss YAML or browser spec (.ts/.mjs); default: the image definition\'s checks', collect)
    .option('--report-dir <dir>', 'where report.json, junit.xml and screenshots go (default: $PATCHLAB_HOME/runs/<run id>)')
    .addOption(new Option('--host <kind>', 'twin hosts: containers, or VMs that boot the image with Debian\'s kernel and reboot after the patch').choices(['container', 'vm']).default('container'))
    .option('--json', 'print the whole report as JSON')
    .option('--refresh', 'refresh the package lists even if another run refreshed them within the last 10 minutes (PATCHLAB_LISTS_MAX_AGE, in seconds)')
    .option('--mirror <url>', 'Debian archive (default: from this machine\'s apt sources)')
    .option('--security-mirror <url>', 'Debian security archive (default: from this machine\'s apt sources)')
    .action(async (flags: LabRunFlags) => {
      process.exitCode = await labRun(flags);
    });
  projectOption(lab
    .command('bisect <run>'))
    .description('find which source packages of a failing run break it, by lab runs on subsets, and prove the rest passes (exit 0 culprits found, 2 error)')
    .option('--checks <file>', 'the checks the run used, when it was not the image definition\'s own', collect)
    .option('--concurrency <n>', 'lab runs at once (each starts three containers)', (v) => Number.parseInt(v, 10), 1)
    .option('--json', 'print the bisect report as JSON')
    .option('--mirror <url>', 'Debian archive (default: from this machine\'s apt sources)')
    .option('--security-mirror <url>', 'Debian security archive (default: from this machine\'s apt sources)')
    .action(async (run: string, flags: { checks?: string[]; concurrency: number; json?: boolean } & MirrorFlags & ProjectFlags) => {
      useProject(flags);
      if (!Number.isInteger(flags.concurrency) || flags.concurrency < 1) throw new Error(`--concurrency: expected a whole number of at least 1, got ${JSON.stringify(flags.concurrency)}`);
      const { report } = loadRunReport(run, join(dataDir(), 'runs'));
      const bisectId = newRunId('bisect');
      const progress = stderrProgress('bisect');
      // Stored as it goes, each subset's run with the lab runs, so `serve` shows the bisection live.
      const bisect = await withStore((store) => bisectRun({
        bisectId,
        report,
        dir: join(dataDir(), 'runs', bisectId),
        concurrency: flags.concurrency,
        progress,
        onUpdate: (snapshot) => store.saveBisect(snapshot),
        // Same image, checks and host kind as the run; the lists it used are reused while fresh.
        runSubset: async (patch, reportDir) => {
          const run = await runLabOnImage({
            image: report.image.name,
            patch,
            ...(flags.checks ? { checks: flags.checks } : {}),
            ...(report.topology ? { targets: report.topology.targets } : {}),
            reportDir,
            host: report.hostKind === 'vm' ? 'vm' : 'container',
            mirror: mirrorOverrides(flags),
            refreshLists: 'if-stale',
            progress: (message) => progress(`  ${message}`),
          });
          await store.saveLabRun(run);
          return run;
        },
      }));
      console.log(flags.json ? JSON.stringify(bisect, null, 2) : summarizeBisect(bisect));
      if (!flags.json) console.log(`bisect report: ${join(dataDir(), 'runs', bisectId, 'bisect.json')}`);
    });
  lab
    .command('reap')
    .description('remove containers, snapshots and VM hosts left behind by dead patchlab processes')
    .option('--all', 'remove every patchlab container and snapshot, even those of running processes')
    .option('--run <id>', 'remove one run\'s or rollout\'s hosts, a kept fleet included (an interrupted rollout keeps its fleet to be resumed)')
    .action(async (flags: { all?: boolean; run?: string }) => {
      const removed = await reap({ all: flags.all ?? false, ...(flags.run ? { runId: flags.run } : {}) });
      // After the containers: a network with a container on it cannot be removed.
      const networks = await reapNetworks({ all: flags.all ?? false, ...(flags.run ? { runId: flags.run } : {}) });
      console.log(`removed ${removed.containers.length} container(s), ${removed.images.length} snapshot image(s), ${removed.vms.length} VM host(s), ${networks.length} network(s)`);
      for (const name of [...removed.containers, ...removed.images, ...removed.vms, ...networks]) console.log(`  ${name}`);
    });
}
