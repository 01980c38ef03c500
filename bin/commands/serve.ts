import { InvalidArgumentError, type Command } from 'commander';
import { imageCatalog } from '../../lab/images/definition.ts';
import type { Notification } from '../../lab/notify/notification.ts';
import { JsonHostScanStore } from '../../lab/inventory/scan/scan-store.ts';
import { PackageCache } from '../../lab/patches/cache.ts';
import { onInterrupt } from '../../lab/interrupt.ts';
import { stderrProgress } from '../../lab/progress.ts';
import { INTERRUPT_ACTOR, runRollout } from '../../rollout/drive/run-rollout.ts';
import { RolloutSupervisor } from '../../rollout/drive/supervisor.ts';
import { currentHolds, loadProjectScenario, webhookNotifier } from './common.ts';
import { keptFleetAdvice, terminalView } from './rollout.ts';
import { runScheduleAndReport } from '../../lab/schedule/reported-run.ts';
import { bisectMaxRunsFrom } from '../../lab/schedule/schedule-bisect.ts';
import { Scheduler } from '../../lab/schedule/scheduler.ts';
import { DATABASE_URL_VARIABLE, openConfiguredStore } from '../../rollout/store/open-store.ts';
import { createApp } from '../../web/app.ts';
import { UserStore } from '../../web/auth/user-store.ts';
import { listen } from '../../web/server.ts';
import { advisoriesFromCache } from '../../lab/advisories/cache-advisories.ts';
import { dockerDiscover } from '../../lab/patches/discover.ts';
import { PatchDiscovery } from '../../web/services/patch-discovery.ts';
import { claimSlotWithJob, scheduledRunPayload } from '../../lab/jobs/scheduled-run-job.ts';
import { openWorkQueue } from '../../lab/jobs/work-queue.ts';
import { workerWaitSource } from '../../rollout/fleets/jobs/worker-waits.ts';

export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) throw new InvalidArgumentError('expected a port number from 0 to 65535');
  return port;
}

export interface ServeFlags {
  port: number;
  host: string;
  scenario?: string;
  /** Print the scenario's rollout moving in the terminal too (the demo does). */
  live?: boolean;
  /** false (--no-drive): leave rollouts that no process drives alone. */
  drive?: boolean;
}

export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('the web page: rollouts with their rings, hosts and decisions, lab runs, candidate patches; release managers steer rollouts from it')
    .option('--port <port>', 'port to listen on', parsePort, 8080)
    .option('--host <address>', 'address to listen on (127.0.0.1: this machine only)', '127.0.0.1')
    .option('--scenario <file>', 'also run the rollout this scenario describes, in this process, e.g. scenarios/demo.yaml')
    .option('--no-drive', 'do not drive unfinished rollouts that no process drives (by default serve drives them, so Resume on the page moves them)')
    .action(serve);
}

export async function serve(flags: ServeFlags): Promise<void> {
  const progress = stderrProgress('serve');
  // A broken scenario is refused before anything listens.
  if (flags.scenario) loadProjectScenario(flags.scenario);
  const store = await openConfiguredStore();
  const users = UserStore.open();
  const cache = new PackageCache();
  const discovery = new PatchDiscovery(dockerDiscover(cache), () => [...imageCatalog().keys()]);
  // Advisories of a rollout's patch come from the cache the lab runs fill; never a download from the page.
  const app = createApp({
    store,
    users,
    discovery,
    hostScans: new JsonHostScanStore(),
    readAdvisories: (updates) => advisoriesFromCache(cache, updates),
    workerWaits: workerWaitSource(process.env[DATABASE_URL_VARIABLE]),
  });
  const server = await listen(app, { host: flags.host, port: flags.port });
  console.log(`patchlab serve: ${server.url}`);
  const notifier = webhookNotifier();
  const notify = (notification: Notification | null) => notification && notifier.notify(notification);
  // Schedules added with `patchlab schedule add` run here; missed slots run once, now.
  new Scheduler({
    store,
    // With PostgreSQL and a live worker, a due slot's run is a job for the workers, added in the claim's own transaction.
    claim: async (due, claimant, at) => {
      const queue = await openWorkQueue(process.env[DATABASE_URL_VARIABLE]);
      if (!queue) return (await store.claimScheduleSlot(due.name, due.slotAt, claimant, at)) ? 'run' : 'taken';
      try {
        return (await claimSlotWithJob(queue.pool, scheduledRunPayload(due, await currentHolds(store), bisectMaxRunsFrom()), claimant, at)) ? 'queued' : 'taken';
      } finally {
        await queue.close();
      }
    },
    run: async (spec, due) =>
      runScheduleAndReport(spec, {
        store,
        holds: await currentHolds(store),
        slotAt: due.slotAt,
        coalesced: due.coalesced,
        cache,
        bisectMaxRuns: bisectMaxRunsFrom(),
        progress: stderrProgress('schedule'),
        notify,
      }),
    progress: stderrProgress('schedule'),
  }).start();
  if (flags.drive !== false) {
    const supervisor = new RolloutSupervisor({
      store,
      drive: (id, signal) => runRollout(undefined, { id, store, cache, signal, progress: stderrProgress('rollout'), onNotification: notify }),
      progress,
    });
    supervisor.start();
    onInterrupt(async (signal) => supervisor.stop(new Error(`${signal} to patchlab serve`)));
  }
  if (users.listUsers().length === 0) console.log('no user can log in yet; add the first admin with: patchlab users add <name> --role admin');

  if (flags.scenario) {
    const file = flags.scenario;
    // Not awaited: the page shows the rollout while it runs, and serving goes on after it ends.
    const stop = new AbortController();
    const view = terminalView(!flags.live);
    // A scenario that does not load is reported like a rollout that stops: the page goes on serving.
    const running = (async () => runRollout(loadProjectScenario(file), {
      holds: await currentHolds(store),
      signal: stop.signal,
      store,
      cache,
      progress: stderrProgress('rollout'),
      onNotification: notify,
      onStart: (id, state) => {
        console.log(`rollout ${id}: ${server.url}/rollouts/${encodeURIComponent(id)}`);
        view.onStart?.(id, state);
      },
      ...(view.onDecision ? { onDecision: view.onDecision } : {}),
    }))().then(
      (state) => {
        progress(`rollout ${state.id} ${state.phase}${stop.signal.aborted ? '' : '; still serving'}`);
        if (stop.signal.aborted && state.paused?.by === INTERRUPT_ACTOR) console.log(keptFleetAdvice(file, state.id));
      },
      (error: Error) => progress(`the rollout of ${file} stopped: ${error.message}; still serving`),
    );
    // Stopping the server stops driving its rollout: paused, with its fleet kept to be resumed.
    onInterrupt(async (signal) => {
      stop.abort(new Error(`${signal} to patchlab serve`));
      await running;
    });
  }
}
