import type { Command } from 'commander';
import { resolve } from 'node:path';
import { findProject, type Project } from '../../lab/project/project.ts';

export interface ProjectFlags {
  project?: string;
}

/** `--project DIR` on a command that finds images by name. */
export function projectOption(command: Command): Command {
  return command.option('--project <dir>', 'the team\'s project folder (default: PATCHLAB_PROJECT, else the nearest patchlab.yaml from here upwards)');
}

/**
 * The project of this command. `--project` is passed on as PATCHLAB_PROJECT, so every part that
 * finds images by name (the catalog, a rollout's image, a schedule's run) finds the same project.
 */
export function useProject(flags: ProjectFlags): Project | undefined {
  if (flags.project) process.env.PATCHLAB_PROJECT = resolve(flags.project);
  return findProject();
}
