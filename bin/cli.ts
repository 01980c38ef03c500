import { Command, CommanderError } from 'commander';
import { reap } from '../lab/hosts/reaper.ts';
import { imagesCommand } from './commands/images.ts';
import { demoCommand } from './commands/demo.ts';
import { labCommand } from './commands/lab.ts';
import { patchesCommand } from './commands/patches.ts';
import { rolloutCommand } from './commands/rollout.ts';
import { scheduleCommand } from './commands/schedule.ts';
import { serveCommand } from './commands/serve.ts';
import { simulateCommand } from './commands/simulate.ts';
import { usersCommand } from './commands/users.ts';

const program = new Command('patchlab')
  .description('Patch test-lab and staged-rollout simulator: prove Debian patches on disposable twins of production images.')
  .showHelpAfterError()
  .exitOverride();

imagesCommand(program);
patchesCommand(program);
labCommand(program);
rolloutCommand(program);
scheduleCommand(program);
serveCommand(program);
simulateCommand(program);
usersCommand(program);
demoCommand(program);

// Interrupted: remove this process's own hosts before leaving, as `finally` would have.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\npatchlab: ${signal}, removing this run's hosts\n`);
    reap({ mine: true })
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
