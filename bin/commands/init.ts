import type { Command } from 'commander';
import { writeStarter } from '../../lab/project/starter.ts';

export function initCommand(program: Command): void {
  program
    .command('init')
    .description('write a commented patchlab.yaml and empty images/, checks/ and scenarios/ folders (never overwrites)')
    .argument('[dir]', 'the project folder', '.')
    .action((dir: string) => {
      const file = writeStarter(dir);
      console.log(`wrote ${file}`);
      console.log('next: put image definitions in images/, then `patchlab images list` and `patchlab lab run --image NAME --patch security`');
    });
}
