import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { fieldPath, InputError, loadYamlFile, parseYamlWith } from '../config/validation.ts';
import { includedFiles, MAX_INCLUDE_DEPTH } from './goss-include.ts';
import { gossFileSchema, type AttributesOf, type GossFile, type ResourceType } from './goss-schema.ts';
import { targetProblems } from './goss-targets.ts';

/** The resource types that are checks; `gossfile` only includes other files. */
export type CheckType = Exclude<ResourceType, 'gossfile'>;

/** One resource of a goss file; `key` is its name there (the URL, the command, the path, ...). */
export type GossCheck = { [K in CheckType]: { kind: K; key: string; attributes: AttributesOf<K> } }[CheckType];

/** The order checks run and report in: the types patchlab has always read first, then the rest. */
const CHECK_ORDER: readonly CheckType[] = [
  'package', 'service', 'process', 'port', 'http', 'command', 'file',
  'user', 'group', 'kernel-param', 'mount', 'interface', 'addr', 'dns', 'matching',
];

export interface GossSpec {
  /** Where the checks came from, for reports and error messages. */
  file: string;
  /**
   * The file's own checks grouped by resource type (in CHECK_ORDER), within a type in the file's
   * order except that JavaScript puts number-like keys (port "443") first; then each included
   * file's, in the order of its gossfile entries.
   */
  checks: GossCheck[];
}

/** Reads a goss file and the files it includes; every problem is an InputError naming the file, the field and what was expected. */
export function loadGossFile(file: string): GossSpec {
  return loadTree(file, loadYamlFile(z.unknown(), file), { chain: [realFile(file)], seen: new Set() });
}

/** Same, for text already in memory; `file` names it in messages and anchors relative includes. */
export function parseGoss(text: string, file: string): GossSpec {
  return loadTree(file, parseYamlWith(z.unknown(), text, file), { chain: [realFile(file)], seen: new Set() });
}

interface Walk {
  /** Real paths from the top file down to this one: an include of any of them is a cycle. */
  chain: string[];
  /** Files already read elsewhere in the tree: their checks are there already. */
  seen: Set<string>;
}

function loadTree(file: string, document: unknown, walk: Walk): GossSpec {
  const parsed = gossFileSchema.safeParse(document);
  if (!parsed.success) throw new InputError(file, parsed.error.issues.flatMap(describeIssue));
  const goss = parsed.data as GossFile;
  const problems = CHECK_ORDER.flatMap((type) =>
    Object.entries(goss[type] ?? {}).flatMap(([key, attributes]) =>
      targetProblems(type, key, attributes).map((p) => `${fieldPath([type, ...p.path])}: ${p.message}`),
    ),
  );
  if (problems.length > 0) throw new InputError(file, problems);

  const checks = checksOf(goss);
  const from = new Map(checks.map((c) => [`${c.kind}:${c.key}`, file]));
  for (const [key, include] of Object.entries(goss.gossfile ?? {})) {
    if (include.skip) continue;
    const where = fieldPath(['gossfile', key]);
    const files = includedFiles(include.file ?? key, file);
    if (typeof files === 'string') throw new InputError(file, [`${where}: ${files}`]);
    for (const child of files) {
      const real = realFile(child);
      if (walk.chain.includes(real)) {
        throw new InputError(file, [`${where}: ${child} is already being read (an include cycle: ${[...walk.chain, real].join(' -> ')})`]);
      }
      if (walk.chain.length >= MAX_INCLUDE_DEPTH) {
        throw new InputError(file, [`${where}: expected includes at most ${MAX_INCLUDE_DEPTH} files deep, ${child} would be deeper`]);
      }
      if (walk.seen.has(real)) continue;
      walk.seen.add(real);
      for (const check of loadChild(child, file, where, { chain: [...walk.chain, real], seen: walk.seen })) {
        const id = `${check.kind}:${check.key}`;
        const earlier = from.get(id);
        if (earlier) {
          throw new InputError(file, [`${where}: ${child} has ${check.kind} ${JSON.stringify(check.key)}, and so has ${earlier}; goss would silently keep only one of them`]);
        }
        from.set(id, child);
        checks.push(check);
      }
    }
  }
  return { file, checks };
}

/** An included file's checks; its own mistakes name it, and where it was included from. */
function loadChild(child: string, parent: string, where: string, walk: Walk): GossCheck[] {
  try {
    return loadTree(child, loadYamlFile(z.unknown(), child), walk).checks;
  } catch (error) {
    if (error instanceof InputError && error.file === child) {
      throw new InputError(child, error.problems.map((p) => `${p} (included by ${parent}, ${where})`));
    }
    throw error;
  }
}

function realFile(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return resolve(file);
  }
}

function checksOf(goss: GossFile): GossCheck[] {
  return CHECK_ORDER.flatMap((kind) => Object.entries(goss[kind] ?? {}).map(([key, attributes]) => ({ kind, key, attributes }) as GossCheck));
}

/**
 * zod reports unknown keys once per object and a bad record key as a nested issue; a user wants
 * one line per key, each with its full path, e.g. "http.http://localhost/.statuz: unknown attribute, ...".
 */
function describeIssue(issue: z.core.$ZodIssue): string[] {
  if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `${fieldPath([...issue.path, key])}: ${issue.message}`);
  if (issue.code === 'invalid_key') return [`${fieldPath(issue.path)}: ${issue.issues.map((inner) => inner.message).join('; ')}`];
  return [`${fieldPath(issue.path)}: ${issue.message}`];
}
