import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import type { Hold } from '../holds/holds.ts';
import { InputError, loadYamlFile } from '../config/validation.ts';
import { durationExpected, parseDuration } from '../config/duration.ts';
import { policyRulesSchema, type PolicyRule } from '../advisories/policy-rules.ts';

export const PROJECT_FILE = 'patchlab.yaml';

const paths = (what: string) =>
  z
    .union([z.string().min(1, `expected ${what}`), z.array(z.string().min(1, `expected ${what}`))])
    .transform((v) => (typeof v === 'string' ? [v] : v))
    .optional();

/** A package name as Debian writes it, or a shell-style glob of one (linux-image-*, libssl[0-9]*). */
const hold = z
  .string()
  .regex(/^[a-z0-9*?[][a-z0-9+.\-*?[\]]*$/, 'expected a Debian package name or a glob of one, such as linux-image-*');

/**
 * patchlab.yaml, at the root of a team's project folder. Every path is relative to the file:
 *   images: images          # folders of image definitions (every *.yaml in them), or files
 *   checks: checks          # folders (or files) of goss files and browser specs
 *   scenarios: scenarios    # folders (or files) of rollout scenarios
 *   holds: [linux-image-*]  # packages a patch must not touch (names or globs)
 *   policyRules: [...]      # which policy a rollout takes, by its patch's advisories (a scenario's own win)
 *   minimumAge: 3d          # roll out only updates first seen this long ago (a scenario's own wins)
 */
export const projectSchema = z.strictObject({
  images: paths('a folder or file of image definitions'),
  checks: paths('a folder or file of checks'),
  scenarios: paths('a folder or file of scenarios'),
  holds: z.array(hold).default([]),
  policyRules: policyRulesSchema.optional(),
  minimumAge: z
    .string({ error: `expected ${durationExpected(0)}` })
    .transform((text, ctx) => parseDuration(text) ?? (ctx.addIssue({ code: 'custom', message: `expected ${durationExpected(0)}, got ${JSON.stringify(text)}` }), z.NEVER))
    .optional(),
});

export interface Project {
  /** The folder that holds patchlab.yaml. */
  root: string;
  file: string;
  /** Image definition files, from the folders and files patchlab.yaml names. */
  imageFiles: string[];
  /** Folders a definition's checks are also looked up in, when not beside the definition. */
  checkDirs: string[];
  /** Every check file found: goss files, browser specs, Playwright Test specs. */
  checkFiles: string[];
  scenarioFiles: string[];
  holds: string[];
  policyRules?: PolicyRule[];
  minimumAgeMs?: number;
}

export interface FindProjectOptions {
  /** `--project DIR`; wins over the environment and the working directory. */
  explicit?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/**
 * The project patchlab works in: `--project DIR`, else PATCHLAB_PROJECT, else the nearest
 * patchlab.yaml from the working directory upwards (as git finds its repository). None is fine:
 * the built-in images are the demo.
 */
export function findProject(options: FindProjectOptions = {}): Project | undefined {
  const env = options.env ?? process.env;
  if (options.explicit) return loadProjectDir(options.explicit, '--project');
  if (env.PATCHLAB_PROJECT) return loadProjectDir(env.PATCHLAB_PROJECT, 'PATCHLAB_PROJECT');
  for (let dir = resolve(options.cwd ?? process.cwd()); ; dir = dirname(dir)) {
    if (existsSync(join(dir, PROJECT_FILE))) return loadProject(join(dir, PROJECT_FILE));
    if (dirname(dir) === dir) return undefined;
  }
}

function loadProjectDir(dir: string, where: string): Project {
  const file = join(resolve(dir), PROJECT_FILE);
  if (!existsSync(file)) throw new Error(`${where} ${dir}: expected a project folder with a ${PROJECT_FILE} at its root (patchlab init ${dir} writes one)`);
  return loadProject(file);
}

const YAML_FILE = /\.ya?ml$/;
const CHECK_FILE = /\.(ya?ml|ts|mts|js|mjs)$/;

export function loadProject(file: string): Project {
  const parsed = loadYamlFile(projectSchema, file);
  const root = dirname(resolve(file));
  const listed = (field: 'images' | 'checks' | 'scenarios', pattern: RegExp, recursive: boolean) =>
    (parsed[field] ?? []).flatMap((entry, i) => filesOf(file, `${field}${parsed[field]!.length > 1 ? `[${i}]` : ''}`, resolve(root, entry), pattern, recursive));
  const checkDirs = (parsed.checks ?? []).map((c) => resolve(root, c)).filter((p) => existsSync(p) && statSync(p).isDirectory());
  return {
    root,
    file: resolve(file),
    // Only the folder's own *.yaml: a definition's files (site.conf, checks) live in subfolders beside it.
    imageFiles: listed('images', YAML_FILE, false),
    checkDirs,
    checkFiles: listed('checks', CHECK_FILE, true),
    scenarioFiles: listed('scenarios', YAML_FILE, false),
    holds: parsed.holds,
    ...(parsed.policyRules ? { policyRules: parsed.policyRules } : {}),
    ...(parsed.minimumAge !== undefined ? { minimumAgeMs: parsed.minimumAge } : {}),
  };
}

function filesOf(projectFile: string, field: string, path: string, pattern: RegExp, recursive: boolean): string[] {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw new InputError(projectFile, [`${field}: expected a folder or file, ${path} does not exist`]);
  }
  if (stat.isFile()) return [path];
  const found: string[] = [];
  for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const full = join(path, entry.name);
    if (entry.isDirectory() && recursive) found.push(...filesOf(projectFile, field, full, pattern, true));
    else if (entry.isFile() && pattern.test(entry.name)) found.push(full);
  }
  return found;
}

/** The project's holds as the lab applies them, each saying it comes from patchlab.yaml. */
export function projectHolds(project: Pick<Project, 'holds' | 'file'>): Hold[] {
  return project.holds.map((pattern) => ({ pattern, reason: 'listed in the project\'s holds', by: 'the project', at: 0, source: project.file }));
}
