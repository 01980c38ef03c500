import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_SUITE } from '../config/mirror.ts';
import { packageName } from '../config/names.ts';
import { projectRoot } from '../config/paths.ts';
import { InputError, loadYamlFile } from '../config/validation.ts';
import { findProject, type Project } from '../project/project.ts';

const argv = z.array(z.string().min(1)).min(1, 'expected a command as a list of words, such as [nginx, -s, quit]');
const port = z.number().int().min(1).max(65535);

/** A ready probe: a port that must listen, or a URL on the host itself that must answer. */
const readyProbe = z.union([
  port,
  z
    .string()
    .regex(/^http:\/\/(localhost|127\.0\.0\.1)(:\d{1,5})?(\/\S*)?$/, 'expected a port number or a URL on the host itself, such as http://localhost:8080/healthz'),
]);

const imageName = z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'expected a lower-case image name (letters, digits, "_", ".", "-")');

/**
 * A host this image needs in its lab set: `needs: [db]`, or with the name and environment the
 * image uses to reach it: `{ image: db, hostname: db, env: { DB_HOST: db } }`. Normalized to the
 * long form.
 */
const need = z
  .union([
    imageName,
    z.strictObject({
      image: imageName,
      hostname: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'expected a host name (lower-case letters, digits, "-")').optional(),
      env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name'), z.string()).optional(),
    }),
  ])
  .transform((n) => (typeof n === 'string' ? { image: n } : n));

export const imageDefinitionSchema = z
  .object({
    name: imageName,
    description: z.string().optional(),
    suite: z.string().regex(/^[a-z]+$/, 'expected a Debian suite name such as bookworm').default(DEFAULT_SUITE),
    packages: z.array(packageName).default([]),
    files: z
      .array(
        z.strictObject({
          // Docker expands $VAR and ${VAR}, and reads \ as its escape, in a COPY destination, even in
          // the JSON form layerDockerfile writes: such a path would land somewhere else than it says.
          path: z
            .string()
            .startsWith('/', 'expected an absolute path inside the image')
            .regex(/^[^$\\\p{Cc}]*$/u, 'expected a path without "$", "\\" or control characters (Docker would expand $VAR in it)'),
          source: z.string().min(1, 'expected a file path relative to the definition'),
          mode: z.number().int().min(0).max(0o7777).optional(),
        }),
      )
      .default([]),
    setup: z.array(argv).default([]).describe('commands run once at build time, each a list of words'),
    service: z
      .strictObject({
        start: argv,
        stop: argv.optional(),
        /** Probes that all answer once the service is up: ports that listen, URLs that answer 2xx/3xx. */
        ready: z.array(readyProbe).default([]),
        /** Seconds to wait for ready; 30 when absent (absent, not defaulted: the definition's hash stays as it was). */
        timeout: z.number().positive('expected a number of seconds above 0').max(3600, 'expected at most 3600 seconds').optional(),
      })
      .optional(),
    ports: z.array(port).default([]),
    /** A Dockerfile (relative to the definition) the local engine builds, instead of a package list. */
    dockerfile: z.string().min(1, 'expected a Dockerfile path relative to the definition').optional(),
    /** The Dockerfile's build context; its own folder when absent. */
    context: z.string().min(1, 'expected a folder relative to the definition').optional(),
    /** An image already on this Docker engine, used as it is: nothing is built. */
    image: z
      .string()
      .max(255)
      .regex(/^[a-z0-9][a-z0-9._/:@-]*$/, 'expected a local image reference such as team/app:1.4 (docker images lists them)')
      .optional(),
    /** Hosts started beside this one in each lab set, on a network of the set's own. */
    needs: z.array(need).optional(),
    /** Checks a lab run uses when the user names none: goss YAML files and browser specs, relative to the definition. */
    checks: z.array(z.string().min(1)).default([]),
  })
  .strict()
  .superRefine((def, context) => {
    // One way to make the image: what a package list adds cannot be added to a Dockerfile's or an existing image.
    const made = def.image !== undefined ? 'image' : def.dockerfile !== undefined ? 'dockerfile' : undefined;
    if (made === undefined) {
      if (def.context !== undefined) context.addIssue({ code: 'custom', path: ['context'], message: 'expected only with dockerfile:' });
      return;
    }
    if (made === 'image' && def.dockerfile !== undefined) {
      context.addIssue({ code: 'custom', path: ['dockerfile'], message: 'expected either image: (an existing image) or dockerfile:, not both' });
    }
    for (const field of ['packages', 'files', 'setup'] as const) {
      if (def[field].length > 0) context.addIssue({ code: 'custom', path: [field], message: `expected no ${field} with ${made}: (put them in the Dockerfile)` });
    }
    if (made === 'image' && def.context !== undefined) context.addIssue({ code: 'custom', path: ['context'], message: 'expected only with dockerfile:' });
  });

/** How a definition's image comes to be: built from a package list, built from a Dockerfile, or taken as it is. */
export type ImageKind = 'packages' | 'dockerfile' | 'image';

export function kindOf(def: Pick<ImageDefinition, 'image' | 'dockerfile'>): ImageKind {
  return def.image !== undefined ? 'image' : def.dockerfile !== undefined ? 'dockerfile' : 'packages';
}

export type ImageDefinition = z.infer<typeof imageDefinitionSchema> & {
  /** The definition file, for error messages and to resolve `files[].source`. */
  file: string;
};

export const builtInDefinitionsDir = join(projectRoot, 'lab', 'images', 'definitions');

/**
 * Loads and checks a definition. `checkDirs`: folders a check not found beside the definition is
 * looked up in (the project's checks folders); checks come back as absolute paths.
 */
export function loadImageDefinition(file: string, checkDirs: readonly string[] = findProject()?.checkDirs ?? []): ImageDefinition {
  const parsed = loadYamlFile(imageDefinitionSchema, file);
  const expected = basename(file).replace(/\.ya?ml$/, '');
  if (parsed.name !== expected) {
    throw new InputError(file, [`name: expected ${JSON.stringify(expected)} to match the file name, got ${JSON.stringify(parsed.name)}`]);
  }
  parsed.files.forEach((f, i) => {
    try {
      readFileSync(sourceOf(file, f.source));
    } catch {
      throw new InputError(file, [`files[${i}].source: expected a readable file, ${sourceOf(file, f.source)} is not`]);
    }
  });
  const checks = parsed.checks.map((c, i) => {
    const found = [sourceOf(file, c), ...(isAbsolute(c) ? [] : checkDirs.map((d) => join(d, c)))].find((p) => existsSync(p));
    if (!found) throw new InputError(file, [`checks[${i}]: expected a check file, ${sourceOf(file, c)} does not exist${checkDirs.length ? ` (nor in ${checkDirs.join(', ')})` : ''}`]);
    return resolve(found);
  });
  if (parsed.dockerfile !== undefined && !isFile(sourceOf(file, parsed.dockerfile))) {
    throw new InputError(file, [`dockerfile: expected a Dockerfile, ${sourceOf(file, parsed.dockerfile)} is not a readable file`]);
  }
  if (parsed.context !== undefined && !isDirectory(sourceOf(file, parsed.context))) {
    throw new InputError(file, [`context: expected a folder, ${sourceOf(file, parsed.context)} is not one`]);
  }
  return { ...parsed, checks, file: resolve(file) };
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

export function sourceOf(definitionFile: string, source: string): string {
  return isAbsolute(source) ? source : join(dirname(definitionFile), source);
}

/**
 * Definitions by name: the built-in demo ones, any extra folders the user names, then the
 * project's (found as findProject finds it), each later one replacing an earlier of the same name.
 */
export function imageCatalog(extraDirs: readonly string[] = [], project: Project | undefined = findProject()): Map<string, string> {
  const catalog = new Map<string, string>();
  for (const dir of [builtInDefinitionsDir, ...extraDirs]) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      throw new Error(`image definitions folder ${dir} cannot be read`);
    }
    for (const name of names.filter((n) => /\.ya?ml$/.test(n))) {
      catalog.set(name.replace(/\.ya?ml$/, ''), join(dir, name));
    }
  }
  const fromProject = new Map<string, string>();
  for (const file of project?.imageFiles ?? []) {
    const name = basename(file).replace(/\.ya?ml$/, '');
    const other = fromProject.get(name);
    if (other) throw new InputError(project?.file ?? file, [`images: two definitions named ${name}: ${other} and ${file}`]);
    fromProject.set(name, file);
    catalog.set(name, file);
  }
  return catalog;
}
