import type { Command } from 'commander';
import { userInfo } from 'node:os';
import { onInterrupt } from '../../lab/interrupt.ts';
import { parsePatchArgs } from '../../lab/patches/request.ts';
import { stderrProgress } from '../../lab/progress.ts';
import { giveCommand } from '../../rollout/drive/control.ts';
import { COMMAND_SUMMARIES } from '../../rollout/engine/commands.ts';
import { isRingCommand, needsAdmin, RING_COMMANDS, ROLLOUT_COMMANDS, type CommandName } from '../../rollout/engine/command-names.ts';
import { canAdminister } from '../../web/auth/roles.ts';
import { UserStore } from '../../web/auth/user-store.ts';
import { decisionLines, ringLines, waitLines } from '../../rollout/drive/live-view.ts';
import { storedPolicyChoice } from '../../rollout/drive/policy-choice.ts';
import { INTERRUPT_ACTOR, runRollout, type RolloutRunOptions } from '../../rollout/drive/run-rollout.ts';
import type { RolloutState } from '../../rollout/engine/state.ts';
import { isTerminal } from '../../rollout/engine/phase.ts';
import { DATABASE_URL_VARIABLE, openConfiguredStore } from '../../rollout/store/open-store.ts';
import { readWorkerWaits, workerWaitText } from '../../rollout/fleets/jobs/worker-waits.ts';
import type { Store } from '../../rollout/store/store.ts';
import { listedPolicyLabel, policyLabel, policyLabelText } from '../../web/model/policy-label.ts';
import { rolloutStatus, statusText } from '../../web/model/rollout-status.ts';
import { waitingUntil } from '../../rollout/engine/age-wait.ts';
import { collect, currentHolds, loadProjectScenario, mirrorOverrides, withStore, NOTIFY_GRACE_MS, webhookNotifier, type MirrorFlags } from './common.ts';

export function exitCodeOfRollout(state: RolloutState): number {
  return state.phase === 'completed' ? 0 : state.phase === 'rolled-back' ? 1 : 2;
}

/** The terminal's view of a rollout as it moves: its rings at the start, then every decision. */
export function terminalView(quiet = false): Pick<RolloutRunOptions, 'onStart' | 'onDecision'> {
  let started = Date.now();
  return {
    onStart: (id, state) => {
      started = Date.now();
      if (quiet) return;
      console.log(`rollout ${id}`);
      for (const line of ringLines(state)) console.log(line);
      for (const line of waitLines(state, Date.now())) console.log(line);
      if (state.paused) console.log(`paused by ${state.paused.by}: ${state.paused.reason}\nit goes on once resumed, in the web page or with: patchlab rollout resume ${id} --reason <why>`);
    },
    onDecision: (decision, state) => {
      if (quiet) return;
      for (const line of decisionLines(decision, state, Date.now() - started)) console.log(line);
      if (decision.action !== 'patch-hosts') for (const line of ringLines(state)) console.log(line);
    },
  };
}

/** A new rollout of the scenario file, or, with `--id` of a stored one, that rollout resumed from what it stored (the file may then be left out). */
export async function startRollout(file: string | undefined, flags: { id?: string; keep?: boolean; quiet?: boolean; patch?: string[] } & MirrorFlags): Promise<RolloutState> {
  if (!file && !flags.id) throw new Error('give a scenario file to start a rollout, or --id ID to resume a stored one');
  // Refused before anything starts, naming the flag.
  const patch = flags.patch ? parsePatchArgs(flags.patch, '--patch') : undefined;
  const stop = new AbortController();
  const notifier = webhookNotifier();
  const holds = await withStore(currentHolds);
  const running = runRollout(file ? loadProjectScenario(file) : undefined, {
    holds,
    onNotification: (notification) => notifier.notify(notification),
    signal: stop.signal,
    ...(flags.id ? { id: flags.id } : {}),
    ...(flags.keep ? { keep: true } : {}),
    ...(patch ? { patch } : {}),
    mirror: mirrorOverrides(flags),
    progress: stderrProgress('rollout'),
    ...terminalView(flags.quiet),
  });
  // Ctrl-C stops driving and pauses the rollout, rather than leaving it "running" with nobody behind it.
  const off = onInterrupt(async (signal) => {
    stop.abort(new Error(`${signal} to the rollout start process`));
    await running.catch(() => undefined);
  });
  try {
    const final = await running;
    console.log(`rollout ${final.id}: ${final.phase}`);
    if (stop.signal.aborted && final.paused?.by === INTERRUPT_ACTOR) console.log(keptFleetAdvice(file, final.id));
    return final;
  } finally {
    off();
    await notifier.idle(NOTIFY_GRACE_MS);
  }
}

/** What to do with the fleet an interrupted rollout keeps. */
export function keptFleetAdvice(file: string | undefined, id: string): string {
  return [
    `its fleet is kept, paused. To go on: patchlab rollout start ${file ? `${file} ` : ''}--id ${id} (or run patchlab serve: it drives it), then resume it in the web page or with patchlab rollout resume ${id} --reason <why>.`,
    `To give it up instead: patchlab lab reap --run ${id}`,
  ].join('\n');
}

function actor(flags: { by?: string }): string {
  return flags.by ?? process.env.PATCHLAB_USER ?? userInfo().username;
}

/** An admin's command from the terminal: the actor must be an admin among the users the page knows. */
function refuseUnlessAdmin(name: CommandName, actor: string): void {
  if (!needsAdmin(name)) return;
  const users = UserStore.open();
  try {
    const user = users.getUser(actor);
    if (!user || !canAdminister(user.role)) {
      throw new Error(`${name} needs the admin role: ${actor} is ${user ? `a ${user.role}` : 'not one of patchlab\'s users'} (give --by NAME of an admin, or PATCHLAB_USER; patchlab users add NAME --role admin makes one)`);
    }
  } finally {
    users.close();
  }
}

/** One line a rollout: id, what it is doing (a wait for the minimum age with until when), ring, patch and the policy that applies, last change. */
async function listRollouts(store: Store): Promise<void> {
  const now = Date.now();
  for (const r of await store.listRollouts()) {
    const status = statusText(rolloutStatus(r.phase, r.ageWaitUntil, now));
    console.log(`${r.id.padEnd(32)} ${status.padEnd(17)} ring ${String(r.ring).padEnd(8)} ${r.patch.name} (${r.patch.version}, ${policyLabelText(listedPolicyLabel(r))})  ${new Date(r.updatedAt).toISOString()}`);
  }
}

async function showStatus(id: string | undefined): Promise<void> {
  const store = await openConfiguredStore();
  try {
    if (!id) return listRollouts(store);
    const record = await store.loadRollout(id);
    if (!record) throw new Error(`no rollout ${id}`);
    const { state } = record;
    const choice = storedPolicyChoice(record.meta);
    const now = Date.now();
    console.log(`rollout ${id}: ${statusText(rolloutStatus(state.phase, waitingUntil(state.ageWait, now), now))}, patch ${state.patch.name} (${state.patch.version}, ${policyLabelText(policyLabel(choice, state.patch))})`);
    console.log(choice?.text ?? `policy ${record.policy.name}`);
    for (const line of waitLines(state, now)) console.log(line);
    if (!isTerminal(state.phase)) for (const wait of await readWorkerWaits(process.env[DATABASE_URL_VARIABLE], id, now)) console.log(workerWaitText(wait));
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
    .argument('[scenario]', 'scenario YAML file, e.g. scenarios/demo.yaml; not needed to resume a stored rollout with --id')
    .option('--id <id>', 'rollout id (default: a new one); an existing id resumes that rollout')
    .option('--keep', 'leave the fleet running at the end')
    .option('--patch <what>', 'instead of the scenario\'s patch: "security", "all", package[=version] names, or a .deb file (repeatable, comma separated)', collect)
    .option('--mirror <url>', 'Debian archive (default: from this machine\'s apt sources)')
    .option('--security-mirror <url>', 'Debian security archive (default: from this machine\'s apt sources)')
    .action(async (file: string | undefined, flags: { id?: string; keep?: boolean; patch?: string[] } & MirrorFlags) => {
      process.exitCode = exitCodeOfRollout(await startRollout(file, flags));
    });
  rollout
    .command('list')
    .description('list rollouts, newest first: what each is doing (or until when it waits for its updates\' minimum age), its ring and patch')
    .action(() => withStore(listRollouts));
  rollout
    .command('status')
    .description('list rollouts, or show one: rings, hosts and the latest decisions with their reasons')
    .argument('[id]', 'rollout id')
    .action(showStatus);
  for (const name of [...ROLLOUT_COMMANDS, ...RING_COMMANDS]) {
    const command = rollout
      .command(name)
      .description(`${COMMAND_SUMMARIES[name]}; idempotent, recorded in the audit log`)
      .argument('<id>', 'rollout id')
      .requiredOption('--reason <text>', 'why, for the audit log')
      .option('--by <name>', 'who (default: $PATCHLAB_USER or the login name)');
    if (isRingCommand(name)) command.requiredOption('--ring <name>', 'the ring');
    command.action(async (id: string, flags: { reason: string; by?: string; ring?: string }) => {
      const store = await openConfiguredStore();
      try {
        const by = { actor: actor(flags), reason: flags.reason };
        refuseUnlessAdmin(name, by.actor);
        const state = await giveCommand(store, id, isRingCommand(name) ? { name, ring: flags.ring ?? '', ...by } : { name, ...by });
        console.log(`rollout ${id}: ${state.phase}`);
        for (const line of ringLines(state)) console.log(line);
      } finally {
        await store.close();
      }
    });
  }
}
