import type { Command } from 'commander';
import { buildAll, buildDefinition } from '../../lab/images/build.ts';
import { imageCatalog, loadImageDefinition } from '../../lab/images/definition.ts';
import { stderrProgress } from '../../lab/progress.ts';
import { dockerStartup, mirrorFrom, type MirrorFlags } from './common.ts';

export function imagesCommand(program: Command): void {
  const images = program.command('images').description('production image definitions and their local builds');
  images
    .command('build')
    .description('build images from their definitions; an image whose definition hash exists is not rebuilt')
    .argument('[names...]', 'definitions to build (default: all)')
    .option('--force', 'build even if an image with the same hash exists')
    .option('--definitions <dir>', 'an extra folder of image definitions')
    .option('--mirror <url>', 'Debian archive to debootstrap from (default: from this machine\'s apt sources)')
    .action(async (names: string[], flags: { force?: boolean; definitions?: string } & MirrorFlags) => {
      const progress = stderrProgress('images');
      await dockerStartup(progress);
      const options = {
        progress,
        force: flags.force ?? false,
        definitionDirs: flags.definitions ? [flags.definitions] : [],
        ...(flags.mirror ? { mirror: mirrorFrom(flags) } : {}),
      };
      const catalog = imageCatalog(options.definitionDirs);
      const built = names.length === 0
        ? await buildAll(options)
        : await Promise.all(names.map((name) => {
            const file = catalog.get(name);
            if (!file) throw new Error(`images build: no definition named ${name} (known: ${[...catalog.keys()].join(', ')})`);
            return buildDefinition(loadImageDefinition(file), options);
          }));
      for (const image of built) console.log(`${image.name.padEnd(8)} ${image.tag}  ${image.built ? 'built' : 'up to date'}`);
    });
  images
    .command('list')
    .description('list the image definitions')
    .action(() => {
      for (const [name, file] of imageCatalog()) {
        const def = loadImageDefinition(file);
        console.log(`${name.padEnd(8)} ${def.suite.padEnd(10)} ${def.packages.join(' ')}  ${def.description ?? ''}`);
      }
    });
}
