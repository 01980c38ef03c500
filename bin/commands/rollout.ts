import type { Command } from 'commander';
import { userInfo } from 'node:os';
import { dockerClient } from '../../lab/hosts/docker-client.ts';
import { isOwnerAlive, KEEP_LABEL, OWNER_LABEL } from '../../lab/hosts/labels.ts';
import { DockerHostProvider } from '../../lab/hosts/docker-provider.ts';
import { resolveImage } from '../../lab/images/build.ts';
import { PackageCache } from '../../lab/patches/cache.ts';
import { stderrProgress } from '../../lab/progress.ts';
import { checkFilesFor, loadCheckSuite } from '../../lab/run/check-suite.ts';
import { giveCommand, type CommandName } from '../../rollout/control.ts';
import { ContainerFleet } from '../../rollout/fleets/container-fleet.ts';
import { faultsForHosts } from '../../rollout/fleets/faults-for-hosts.ts';
import { decisionLines, ringLines } from '../../rollout/fleets/live-view.ts';
import { preparePatch } from '../../rollout/fleets/prepare.ts';
import type { HostFault, PreparedPatch } from '../../rollout/fleets/prepared-patch.ts';
import { driveRollout } from '../../rollout/runner.ts';
import { createRollout, type RolloutState } from '../../rollout/state.ts';
import { runnerStore } from '../../rollout/store/runner-store.ts';
import { openStore } from '../../rollout/store/sqlite-store.ts';
import type { Store } from '../../rollout/store/store.ts';
import { loadScenario, type Scenario } from '../../scenarios/load.ts';
import { hostLabels } from '../../scenarios/fleet.ts';
import { dockerStartup, mirrorFrom, newRunId } from './common.ts';

/** What a resumed rollout needs that is not in the engine's state. */
interface RolloutMeta {
  image: { name: string; tag: string };
  prepared: PreparedPatch;
  checks: string[];
  faults: [string, HostFault[]][];
  checkIntervalMs: number;
}

const TERMINAL = new Set(['completed', 'rolled-back']);

export function exitCodeOfRollout(state: RolloutState): number {
  return state.phase === 'completed' ? 0 : state.phase === 'rolled-back' ? 1 : 2;
}

/**
 * Fleet containers outlive a killed process on purpose (patchlab.keep), so the rollout can be
 * resumed. Once their rollout is over or unknown, and their owner is dead, they go.
 */
async function reapFinishedFleets(store: Store): Promise<number> {
  const docker = dockerClient();
  const kept = await docker.listContainers({ all: true, filters: { label: [KEEP_LABEL] } });
  let removed = 0;
  for (const c of kept) {
    const id = c.Labels[KEEP_LABEL] ?? '';
    if (isOwnerAlive(c.Labels[OWNER_LABEL])) continue;
    const record = await store.loadRollout(id);
    if (record && !TERMINAL.has(record.state.phase)) continue;
    await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
    removed++;
  }
  return removed;
}

export async function startRollout(file: string, flags: { id?: string; keep?: boolean; quiet?: boolean }): Promise<RolloutState> {
  const progress = stderrProgress('rollout');
  const scenario = loadScenario(file);
  const store = openStore();
  try {
    await dockerStartup(progress);
    const reaped = await reapFinishedFleets(store);
    if (reaped > 0) progress(`removed ${reaped} container(s) of finished rollouts`);
    const id = flags.id ?? newRunId('rollout');
    const existing = await store.loadRollout(id);
    const cache = new PackageCache();
    let fleet: ContainerFleet;
    let meta: RolloutMeta;
    if (existing) {
      meta = existing.meta as unknown as RolloutMeta;
      progress(`rollout ${id}: resuming (${existing.state.phase}, ring ${existing.state.rings[existing.state.ring]?.name})`);
      fleet = await ContainerFleet.attach({ rolloutId: id, image: await resolveImage(meta.image.name), prepared: meta.prepared, cache, checks: await fleetChecks(meta.checks), faults: new Map(meta.faults) });
    } else {
      ({ fleet, meta } = await newRollout(id, scenario, store, cache, progress));
    }
    const started = Date.now();
    const record = await store.loadRollout(id);
    if (!flags.quiet) for (const line of ringLines(record?.state ?? (existing as { state: RolloutState }).state)) console.log(line);
    let final: RolloutState;
    try {
      final = await driveRollout(id, {
        store: runnerStore(store),
        fleet,
        policy: scenario.policy,
        checkIntervalMs: meta.checkIntervalMs,
        onDecision: (decision, state) => {
          if (flags.quiet) return;
          for (const line of decisionLines(decision, state, Date.now() - started)) console.log(line);
          if (decision.action !== 'patch-hosts') for (const line of ringLines(state)) console.log(line);
        },
        onError: (message) => progress(message),
      });
    } finally {
      if (!flags.keep) await fleet.close();
    }
    console.log(`rollout ${id}: ${final.phase}`);
    return final;
  } finally {
    await store.close();
  }
}

async function newRollout(id: string, scenario: Scenario, store: Store, cache: PackageCache, progress: ReturnType<typeof stderrProgress>) {
  const image = await resolveImage(scenario.image, { progress });
  const checks = scenario.checks.length > 0 ? scenario.checks : checkFilesFor(image.definition).filter((f) => /\.ya?ml$/.test(f));
  progress(`rollout ${id}: scenario ${scenario.name}, ${scenario.fleet.hosts} ${scenario.image} hosts, rings ${scenario.rings.map((r) => r.name).join(' → ')}`);
  const prepared = await preparePatch({
    runId: id,
    image: { name: scenario.image, tag: image.tag },
    request: scenario.patch,
    provider: new DockerHostProvider(),
    cache,
    mirror: mirrorFrom({}, image.definition?.suite),
    faults: {
      badPackage: scenario.faults.some((f) => f.kind === 'bad-package'),
      latencyMs: scenario.faults.find((f) => f.kind === 'latency' && 'addMs' in f)?.kind === 'latency' ? (scenario.faults.find((f) => f.kind === 'latency') as { addMs: number }).addMs : 0,
    },
    progress,
  });
  progress(`patch: ${prepared.name} as ${prepared.version}`);
  // Rings and faults are settled before any container starts, so the fleet starts with its faults.
  const labels = hostLabels(scenario.fleet);
  const planned = labels.map((l, i) => ({ id: `${scenario.image.replace(/[^a-z0-9]+/g, '-')}-${String(i + 1).padStart(2, '0')}`, labels: { ...l }, version: prepared.baseVersion }));
  const state = createRollout({ id, patch: { name: prepared.name, version: prepared.version, severity: scenario.severity }, hosts: planned, rings: scenario.rings, now: Date.now() });
  const faults = faultsForHosts(scenario.faults, planned, state, scenario.fleet.seed);
  for (const [host, list] of faults) progress(`fault on ${host}: ${list.map((f) => f.kind).join(', ')}`);
  const meta: RolloutMeta = { image: { name: scenario.image, tag: image.tag }, prepared, checks, faults: [...faults], checkIntervalMs: scenario.checkIntervalMs };
  const fleet = await ContainerFleet.provision({
    rolloutId: id,
    image,
    prepared,
    cache,
    checks: await fleetChecks(checks),
    faults,
    size: scenario.fleet.hosts,
    groups: scenario.fleet.groups,
    namePrefix: scenario.image.replace(/[^a-z0-9]+/g, '-'),
    progress,
  });
  try {
    await store.createRollout({ state, scenario: scenario.file, policy: scenario.policy, meta: meta as unknown as Record<string, unknown> });
  } catch (error) {
    await fleet.close();
    throw error;
  }
  return { fleet, meta };
}

function fleetChecks(files: string[]) {
  return loadCheckSuite(files, { screenshotDir: '/tmp' });
}

function actor(flags: { by?: string }): string {
  return flags.by ?? process.env.PATCHLAB_USER ?? userInfo().username;
}

async function showStatus(id: string | undefined): Promise<void> {
  const store = openStore();
  try {
    if (!id) {
      for (const r of await store.listRollouts()) {
        console.log(`${r.id.padEnd(32)} ${r.phase.padEnd(17)} ring ${String(r.ring).padEnd(8)} ${r.patch.name} (${r.patch.version})  ${new Date(r.updatedAt).toISOString()}`);
      }
      return;
    }
    const record = await store.loadRollout(id);
    if (!record) throw new Error(`no rollout ${id}`);
    const { state } = record;
    console.log(`rollout ${id}: ${state.phase}, patch ${state.patch.name} (${state.patch.version}, ${state.patch.severity})`);
    for (const line of ringLines(state)) console.log(line);
    console.log('decisions (newest last):');
    for (const entry of state.audit.slice(-12)) {
      console.log(`  ${new Date(entry.at).toISOString()} ${entry.actor.padEnd(10)} ${entry.action.padEnd(14)} ${state.rings[entry.ring]?.name ?? ''}: ${entry.reasons.join('; ')}`);
    }
  } finally {
    await store.close();
  }
}

export function rolloutCommand(program: Command): void {
  const rollout = program.command('rollout').description('staged rollouts through rings on a real fleet of containers');
  rollout
    .command('start')
    .description('start the rollout a scenario describes, with a live view; with --id of a rollout whose process died, resume it')
    .argument('<scenario>', 'scenario YAML file, e.g. scenarios/demo.yaml')
    .option('--id <id>', 'rollout id (default: a new one); an existing id resumes that rollout')
    .option('--keep', 'leave the fleet running at the end')
    .action(async (file: string, flags: { id?: string; keep?: boolean }) => {
      process.exitCode = exitCodeOfRollout(await startRollout(file, flags));
    });
  rollout
    .command('status')
    .description('list rollouts, or show one: rings, hosts and the latest decisions with their reasons')
    .argument('[id]', 'rollout id')
    .action(showStatus);
  const commands: [CommandName, string][] = [
    ['pause', 'stop starting new hosts until resumed'],
    ['resume', 'go on after a pause (accepting the failures it paused for)'],
    ['rollback', 'roll back every host the patch reached'],
    ['promote', 'move to the named ring now'],
    ['approve', 'approve a ring that requires approval'],
  ];
  for (const [name, description] of commands) {
    const command = rollout
      .command(name)
      .description(`${description}; idempotent, recorded in the audit log`)
      .argument('<id>', 'rollout id')
      .requiredOption('--reason <text>', 'why, for the audit log')
      .option('--by <name>', 'who (default: $PATCHLAB_USER or the login name)');
    if (name === 'promote' || name === 'approve') command.requiredOption('--ring <name>', 'the ring');
    command.action(async (id: string, flags: { reason: string; by?: string; ring?: string }) => {
      const store = openStore();
      try {
        const state = await giveCommand(store, id, { name, actor: actor(flags), reason: flags.reason, ...(flags.ring ? { ring: flags.ring } : {}) });
        console.log(`rollout ${id}: ${state.phase}`);
        for (const line of ringLines(state)) console.log(line);
      } finally {
        await store.close();
      }
    });
  }
}
