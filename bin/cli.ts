import { Command, CommanderError } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { reap } from '../lab/hosts/reaper.ts';
import { runInterruptCleanups } from '../lab/interrupt.ts';
import { holdsCommand } from './commands/holds.ts';
import { imagesCommand } from './commands/images.ts';
import { initCommand } from './commands/init.ts';
import { inventoryCommand } from './commands/inventory.ts';
import { demoCommand } from './commands/demo.ts';
import { labCommand } from './commands/lab.ts';
import { patchesCommand } from './commands/patches.ts';
import { rolloutCommand } from './commands/rollout.ts';
import { scheduleCommand } from './commands/schedule.ts';
import { serveCommand } from './commands/serve.ts';
import { simulateCommand } from './commands/simulate.ts';
import { usersCommand } from './commands/users.ts';
import { workerCommand } from './commands/worker.ts';

const program = new Command('patchlab')
  .description('Patch test-lab and staged-rollout simulator: prove Debian patches on disposable twins of production images.')
  .showHelpAfterError()
  .exitOverride();

initCommand(program);
imagesCommand(program);
patchesCommand(program);
labCommand(program);
rolloutCommand(program);
scheduleCommand(program);
holdsCommand(program);
serveCommand(program);
simulateCommand(program);
usersCommand(program);
inventoryCommand(program);
demoCommand(program);
workerCommand(program);

// Interrupted: let commands record where they stopped, then remove this process's own hosts
// before leaving, as `finally` would have. A rollout's fleet is spared: it is kept to be resumed.
// `patchlab rollout status | head` closes the pipe early: that is the reader's choice, not a crash.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});

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
      .then(() => reap({ mine: true, spareKept: true }))
      // A second pass for hosts whose start was under way during the first.
      .then(() => sleep(500))
      .then(() => reap({ mine: true, spareKept: true }))
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
