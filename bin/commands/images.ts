import type { Command } from 'commander';
import { buildDefinition } from '../../lab/images/build.ts';
import { builtInDefinitionsDir, imageCatalog, kindOf, loadImageDefinition, type ImageDefinition } from '../../lab/images/definition.ts';
import { stderrProgress } from '../../lab/progress.ts';
import { dockerStartup, mirrorFrom, type MirrorFlags } from './common.ts';
import { projectOption, useProject, type ProjectFlags } from './project-option.ts';

export function imagesCommand(program: Command): void {
  const images = program.command('images').description('production image definitions and their local builds');
  projectOption(
    images
      .command('build')
      .description('build images from their definitions (a project\'s own, else the built-in demo ones); an image whose definition hash exists is not rebuilt')
      .argument('[names...]', 'definitions to build (default: all of the project, or all built-in ones without a project)')
      .option('--force', 'build even if an image with the same hash exists')
      .option('--definitions <dir>', 'an extra folder of image definitions')
      .option('--mirror <url>', 'Debian archive to debootstrap from (default: from this machine\'s apt sources)'),
  ).action(async (names: string[], flags: { force?: boolean; definitions?: string } & MirrorFlags & ProjectFlags) => {
    const project = useProject(flags);
    const progress = stderrProgress('images');
    await dockerStartup(progress);
    const options = {
      progress,
      force: flags.force ?? false,
      definitionDirs: flags.definitions ? [flags.definitions] : [],
      ...(flags.mirror ? { mirror: mirrorFrom(flags) } : {}),
    };
    const catalog = imageCatalog(options.definitionDirs);
    const files = names.length > 0
      ? names.map((name) => {
          const file = catalog.get(name);
          if (!file) throw new Error(`images build: no definition named ${name} (known: ${[...catalog.keys()].join(', ')})`);
          return file;
        })
      // Inside a project, its own images: the demo ones are not the team's to build.
      : project && !flags.definitions ? project.imageFiles : [...catalog.values()];
    // One at a time: builds of one suite share its base image, and two cores are easily filled.
    for (const file of files) {
      const image = await buildDefinition(loadImageDefinition(file), options);
      const state = kindOf(image.definition as ImageDefinition) === 'image' ? 'existing image' : image.built ? 'built' : 'up to date';
      console.log(`${image.name.padEnd(12)} ${image.tag}  ${state}`);
    }
  });
  projectOption(images.command('list').description('list the image definitions: the project\'s, then the built-in demo ones')).action((flags: ProjectFlags) => {
    const project = useProject(flags);
    if (project) console.log(`project ${project.root}${project.holds.length ? `  (holds: ${project.holds.join(' ')})` : ''}`);
    for (const [name, file] of imageCatalog()) {
      const def = loadImageDefinition(file);
      const origin = file.startsWith(builtInDefinitionsDir) ? 'built-in' : 'project';
      const needs = def.needs?.length ? `  needs ${def.needs.map((n) => n.hostname ?? n.image).join(', ')}` : '';
      console.log(`${name.padEnd(12)} ${origin.padEnd(9)} ${describeMaking(def)}${needs}  ${def.description ?? ''}`);
    }
  });
}

function describeMaking(def: ImageDefinition): string {
  switch (kindOf(def)) {
    case 'image':
      return `image ${def.image}`;
    case 'dockerfile':
      return `dockerfile ${def.dockerfile} (${def.suite})`;
    default:
      return `${def.suite} ${def.packages.join(' ')}`;
  }
}
