import { InvalidArgumentError, type Command } from 'commander';
import { stderrProgress } from '../../lab/progress.ts';
import { nextRunAt } from '../../lab/schedule/due.ts';
import { imageHistories, storedRunsOf } from '../../lab/schedule/history.ts';
import { runSchedule } from '../../lab/schedule/scheduled-run.ts';
import { bisectMaxRunsFrom } from '../../lab/schedule/schedule-bisect.ts';
import { bisectNotifications, scheduleNotification } from '../../lab/notify/run-notifications.ts';
import { describeTiming, parseScheduleSpec, type ScheduleSpec } from '../../lab/schedule/spec.ts';
import { lastSlotRuns } from '../../lab/schedule/scheduler.ts';
import type { ScheduleRunRecord } from '../../lab/schedule/schedule-store.ts';
import { collect, currentHolds, mirrorOverrides, NOTIFY_GRACE_MS, webhookNotifier, withStore, type MirrorFlags } from './common.ts';
import { sightingsOfScheduleRun } from '../../lab/sightings/sightings-of.ts';

interface AddFlags {
  patchTuesday?: boolean;
  offsetDays?: number;
  at?: string;
  cron?: string;
  tz: string;
  image: string[];
  patch: string;
  webhook?: string;
}

function wholeNumber(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number of days');
  return Number(value);
}

/** The flags as the one schedule schema sees them, so the CLI and a file get the same errors. */
function specFrom(name: string, flags: AddFlags): ScheduleSpec {
  if (Boolean(flags.patchTuesday) === Boolean(flags.cron)) throw new InvalidArgumentError('give exactly one of --patch-tuesday or --cron');
  const common = { name, images: flags.image, patch: flags.patch, timeZone: flags.tz, ...(flags.webhook ? { webhook: flags.webhook } : {}) };
  const input = flags.cron
    ? { kind: 'cron', expression: flags.cron, ...common }
    : { kind: 'patch-tuesday', offsetDays: flags.offsetDays ?? 0, at: flags.at ?? '03:00', ...common };
  return parseScheduleSpec(input, 'the schedule add flags');
}

const iso = (ms: number | null) => (ms === null ? 'never' : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z'));

export function scheduleCommand(program: Command): void {
  const schedule = program.command('schedule').description('recurring regression lab runs: after Patch Tuesday, or on a cron expression; `serve` runs them');
  schedule
    .command('add')
    .description('add a schedule')
    .argument('<name>', 'a lower-case name, e.g. web-monthly')
    .option('--patch-tuesday', 'the second Tuesday of each month (plus --offset-days), at --at')
    .option('--offset-days <n>', 'days after Patch Tuesday, 0 to 27', wholeNumber)
    .option('--at <HH:MM>', 'wall-clock time in --tz (default 03:00)')
    .option('--cron <expression>', 'a five-field cron expression (six with seconds first), e.g. "0 3 * * 2"')
    .option('--tz <zone>', 'IANA time zone', Intl.DateTimeFormat().resolvedOptions().timeZone)
    .requiredOption('--image <name>', 'image to run the lab on (repeatable)', collect)
    .option('--patch <what>', 'what to patch, as lab run --patch takes it, comma separated', 'security')
    .option('--webhook <url>', 'POST the run as JSON to this URL when an image does not pass')
    .action(async (name: string, flags: AddFlags) => {
      const spec = specFrom(name, flags);
      await withStore(async (store) => {
        const addedAt = Date.now();
        await store.addSchedule({ spec, addedAt });
        console.log(`schedule ${spec.name}: ${describeTiming(spec)}, next run ${iso(nextRunAt(spec, addedAt))}`);
      });
    });
  schedule
    .command('list')
    .description('list schedules with their next run')
    .action(() =>
      withStore(async (store) => {
        const last = lastSlotRuns(await store.scheduleRuns());
        for (const { spec, addedAt } of await store.listSchedules()) {
          console.log(`${spec.name.padEnd(20)} ${describeTiming(spec).padEnd(44)} images ${spec.images.join(',').padEnd(10)} patch ${spec.patch.padEnd(10)} next ${iso(nextRunAt(spec, last.get(spec.name) ?? addedAt))}`);
        }
      }),
    );
  schedule
    .command('run-now')
    .description('run a schedule now, once, and store the result in its history; an image that fails is bisected (at most PATCHLAB_BISECT_MAX_RUNS lab runs, default 6; 0: never)')
    .argument('<name>', 'schedule name')
    .option('--mirror <url>', 'Debian archive (default: from this machine\'s apt sources)')
    .option('--security-mirror <url>', 'Debian security archive (default: from this machine\'s apt sources)')
    .action((name: string, flags: MirrorFlags) =>
      withStore(async (store) => {
        const found = (await store.listSchedules()).find((s) => s.spec.name === name);
        if (!found) throw new Error(`no schedule named ${name}; see patchlab schedule list`);
        const run = await runSchedule(found.spec, {
          store,
          holds: await currentHolds(store),
          slotAt: null,
          progress: stderrProgress('schedule'),
          mirror: mirrorOverrides(flags),
          bisectMaxRuns: bisectMaxRunsFrom(),
        });
        const seen = sightingsOfScheduleRun(run);
        await store.noteSightings(seen.updates, seen.at, seen.seenBy);
        for (const image of run.images) console.log(`${image.image}: ${image.verdict}${image.error ? ` (${image.error})` : ''}, ${image.newlyUpgradable.length} newly upgradable`);
        const notifications = [scheduleNotification(run), ...bisectNotifications(run)].filter((n) => n !== null);
        for (const n of notifications.filter((n) => n.kind === 'bisect.finished')) console.log(n.text);
        if (notifications.length > 0) {
          const notifier = webhookNotifier();
          for (const n of notifications) notifier.notify(n);
          await notifier.idle(NOTIFY_GRACE_MS);
        }
        process.exitCode = run.images.every((i) => i.verdict === 'pass') ? 0 : run.images.some((i) => i.verdict === 'error') ? 2 : 1;
      }),
    );
  schedule
    .command('history')
    .description('runs per image: regressions, and which patch first broke which check')
    .argument('[name]', 'only this schedule')
    .action((name: string | undefined) =>
      withStore(async (store) => {
        const runs = await store.scheduleRuns(name ? { schedule: name } : {});
        for (const run of runs) {
          console.log(`${iso(run.startedAt)} ${run.schedule.padEnd(20)} ${run.slotAt === null ? 'by hand' : run.coalesced ? 'for missed slots' : 'on schedule'}`);
          for (const image of run.images) console.log(`  ${image.image.padEnd(8)} ${image.verdict.padEnd(5)} new: ${image.newlyUpgradable.join(' ') || 'none'}`);
        }
        for (const history of imageHistories(storedRunsOf(runs))) {
          const regressions = history.runs.filter((r) => r.regression);
          console.log(`${history.image}: ${history.runs.length} run(s), ${regressions.length} regression(s)${regressions.map((r) => ` ${iso(r.at)}`).join('')}`);
          for (const broke of history.firstBreaks) {
            console.log(`  ${broke.checkName} first failed ${iso(broke.at)}, after ${broke.suspects.map((p) => `${p.name}=${p.version}`).join(' ') || 'no package change (flaky?)'}`);
          }
        }
      }),
    );
  schedule
    .command('remove')
    .description('remove a schedule and its history')
    .argument('<name>', 'schedule name')
    .action((name: string) => withStore((store) => store.removeSchedule(name)));
}
