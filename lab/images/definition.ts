import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { packageName } from '../config/names.ts';
import { projectRoot } from '../config/paths.ts';
import { InputError, loadYamlFile } from '../config/validation.ts';

const argv = z.array(z.string().min(1)).min(1, 'expected a command as a list of words, such as [nginx, -s, quit]');

export const imageDefinitionSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'expected a lower-case image name (letters, digits, "_", ".", "-")'),
    description: z.string().optional(),
    suite: z.string().regex(/^[a-z]+$/, 'expected a Debian suite name such as bookworm').default('bookworm'),
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
        /** Ports that answer once the service is up. */
        ready: z.array(z.number().int().min(1).max(65535)).default([]),
      })
      .optional(),
    ports: z.array(z.number().int().min(1).max(65535)).default([]),
    /** Checks a lab run uses when the user names none: goss YAML files and browser specs, relative to the definition. */
    checks: z.array(z.string().min(1)).default([]),
  })
  .strict();

export type ImageDefinition = z.infer<typeof imageDefinitionSchema> & {
  /** The definition file, for error messages and to resolve `files[].source`. */
  file: string;
};

export const builtInDefinitionsDir = join(projectRoot, 'lab', 'images', 'definitions');

export function loadImageDefinition(file: string): ImageDefinition {
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
  parsed.checks.forEach((c, i) => {
    if (!existsSync(sourceOf(file, c))) throw new InputError(file, [`checks[${i}]: expected a check file, ${sourceOf(file, c)} does not exist`]);
  });
  return { ...parsed, file: resolve(file) };
}

export function sourceOf(definitionFile: string, source: string): string {
  return isAbsolute(source) ? source : join(dirname(definitionFile), source);
}

/** Definitions by name, from the built-in folder and any extra folders the user names. */
export function imageCatalog(extraDirs: readonly string[] = []): Map<string, string> {
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
  return catalog;
}
