import { Command, CommanderError } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { runInterruptCleanups } from '../lab/interrupt.ts';

type Register = (program: Command) => void;

/**
 * Each command's module, loaded only when asked for: importing them all (the web server, Docker
 * and database clients, the simulator) took seconds of CPU before any command ran, and CLI
 * starts add up in scripts, tests and cron. Help (no command, an unknown one) loads them all.
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  init: async () => (await import('./commands/init.ts')).initCommand,
  images: async () => (await import('./commands/images.ts')).imagesCommand,
  patches: async () => (await import('./commands/patches.ts')).patchesCommand,
  lab: async () => (await import('./commands/lab.ts')).labCommand,
  rollout: async () => (await import('./commands/rollout.ts')).rolloutCommand,
  schedule: async () => (await import('./commands/schedule.ts')).scheduleCommand,
  holds: async () => (await import('./commands/holds.ts')).holdsCommand,
  serve: async () => (await import('./commands/serve.ts')).serveCommand,
  simulate: async () => (await import('./commands/simulate.ts')).simulateCommand,
  users: async () => (await import('./commands/users.ts')).usersCommand,
  inventory: async () => (await import('./commands/inventory.ts')).inventoryCommand,
  demo: async () => (await import('./commands/demo.ts')).demoCommand,
};

const program = new Command('patchlab')
  .description('Patch test-lab and staged-rollout simulator: prove Debian patches on disposable twins of production images.')
  .showHelpAfterError()
  .exitOverride();

// Global options come before the command name only in help calls (`patchlab --help`), which load all.
const asked = process.argv[2];
const wanted = asked !== undefined && Object.hasOwn(COMMANDS, asked) ? [asked] : Object.keys(COMMANDS);
for (const register of await Promise.all(wanted.map((name) => COMMANDS[name]!()))) register(program);

// Interrupted: let commands record where they stopped, then remove this process's own hosts
// before leaving, as `finally` would have. A rollout's fleet is spared: it is kept to be resumed.
// `patchlab rollout status | head` closes the pipe early: that is the reader's choice, not a crash.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});

async function reapMine(): Promise<void> {
  const { reap } = await import('../lab/hosts/reaper.ts');
  await reap({ mine: true, spareKept: true });
}

let interruptedAt: number | undefined;
// Work cut short by the clean-up (a host removed under a run) fails as it likes: the process is leaving.
process.on('unhandledRejection', (reason) => {
  if (interruptedAt === undefined) throw reason;
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // Ctrl-C reaches tsx's node and ours at once, and tsx passes it on too: a repeat within a
    // second is that echo. A later one means "now": leave without the clean-up.
    if (interruptedAt !== undefined) {
      if (Date.now() - interruptedAt > 1_000) process.exit(signal === 'SIGINT' ? 130 : 143);
      return;
    }
    interruptedAt = Date.now();
    process.stderr.write(`\npatchlab: ${signal}: stopping, and removing the hosts this process made\n`);
    runInterruptCleanups(signal, 30_000)
      .then(() => reapMine())
      // A second pass for hosts whose start was under way during the first.
      .then(() => sleep(500))
      .then(() => reapMine())
      .catch(() => undefined)
      .finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode;
  } else {
    process.stderr.write(`patchlab: ${(error as Error).message}\n`);
    process.exitCode = 2;
  }
}
