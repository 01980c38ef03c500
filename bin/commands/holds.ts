import type { Command } from 'commander';
import { userInfo } from 'node:os';
import { HOLD_PATTERN } from '../../lab/holds/holds.ts';
import { withStore } from './common.ts';

const actor = (flags: { by?: string }) => flags.by ?? process.env.PATCHLAB_USER ?? userInfo().username;

function pattern(value: string): string {
  if (!HOLD_PATTERN.test(value)) throw new Error(`expected a package name or glob (lower case letters, digits, + - . and * ? [ ] { }), got ${JSON.stringify(value)}`);
  return value;
}

export function holdsCommand(program: Command): void {
  const holds = program.command('holds').description('packages kept back from every patch (lab runs, rollouts, scheduled runs) until lifted; each change is recorded with who and why');
  holds
    .command('list')
    .description('the holds in force')
    .action(() =>
      withStore(async (store) => {
        for (const h of await store.listHolds()) console.log(`${h.pattern.padEnd(24)} held by ${h.by} ${new Date(h.at).toISOString()}: ${h.reason}`);
      }),
    );
  holds
    .command('add')
    .description('hold a package (a name or a glob such as linux-image-*)')
    .argument('<package>', 'package name or glob', pattern)
    .requiredOption('--reason <text>', 'why, for the record')
    .option('--by <name>', 'who (default: $PATCHLAB_USER or the login name)')
    .action((name: string, flags: { reason: string; by?: string }) =>
      withStore(async (store) => {
        await store.addHold({ pattern: name, reason: flags.reason, by: actor(flags), at: Date.now() });
        console.log(`held ${name}: ${flags.reason}`);
      }),
    );
  holds
    .command('lift')
    .description('lift a hold')
    .argument('<package>', 'the name or glob as it was held', pattern)
    .requiredOption('--reason <text>', 'why, for the record')
    .option('--by <name>', 'who (default: $PATCHLAB_USER or the login name)')
    .action((name: string, flags: { reason: string; by?: string }) =>
      withStore(async (store) => {
        if (!(await store.liftHold(name, actor(flags), flags.reason, Date.now()))) throw new Error(`${name} is not held; see patchlab holds list`);
        console.log(`lifted ${name}: ${flags.reason}`);
      }),
    );
  holds
    .command('log')
    .description('every hold and lift, oldest first')
    .action(() =>
      withStore(async (store) => {
        for (const e of await store.holdEvents()) console.log(`${new Date(e.at).toISOString()} ${e.action.padEnd(4)} ${e.pattern.padEnd(24)} ${e.by}: ${e.reason}`);
      }),
    );
}
