import { z } from 'zod';
import { fieldPath, InputError, loadYamlFile, parseYamlWith } from '../config/validation.ts';
import {
  gossFileSchema,
  type CommandAttributes,
  type FileAttributes,
  type GossFile,
  type HttpAttributes,
  type PackageAttributes,
  type PortAttributes,
  type ProcessAttributes,
  type ServiceAttributes,
} from './goss-schema.ts';

/** One resource of a goss file; `key` is its name there (the URL, the command, the path, ...). */
export type GossCheck =
  | { kind: 'package'; key: string; attributes: PackageAttributes }
  | { kind: 'service'; key: string; attributes: ServiceAttributes }
  | { kind: 'process'; key: string; attributes: ProcessAttributes }
  | { kind: 'port'; key: string; attributes: PortAttributes }
  | { kind: 'http'; key: string; attributes: HttpAttributes }
  | { kind: 'command'; key: string; attributes: CommandAttributes }
  | { kind: 'file'; key: string; attributes: FileAttributes };

export interface GossSpec {
  /** Where the checks came from, for reports and error messages. */
  file: string;
  /**
   * Grouped by resource type (package, service, process, port, http, command, file); within a
   * type in the file's order, except that JavaScript puts number-like keys (port "443") first.
   */
  checks: GossCheck[];
}

/** Reads a goss file; every problem is an InputError naming the file, the field and what was expected. */
export function loadGossFile(file: string): GossSpec {
  return toSpec(loadYamlFile(z.unknown(), file), file);
}

/** Same, for text already in memory; `file` names it in messages. */
export function parseGoss(text: string, file: string): GossSpec {
  return toSpec(parseYamlWith(z.unknown(), text, file), file);
}

function toSpec(document: unknown, file: string): GossSpec {
  const parsed = gossFileSchema.safeParse(document);
  if (!parsed.success) throw new InputError(file, parsed.error.issues.flatMap(describeIssue));
  return { file, checks: checksOf(parsed.data) };
}

function checksOf(goss: GossFile): GossCheck[] {
  const entries = <K extends GossCheck['kind'], A>(kind: K, group: Record<string, A> | undefined) =>
    Object.entries(group ?? {}).map(([key, attributes]) => ({ kind, key, attributes }));
  return [
    ...entries('package', goss.package),
    ...entries('service', goss.service),
    ...entries('process', goss.process),
    ...entries('port', goss.port),
    ...entries('http', goss.http),
    ...entries('command', goss.command),
    ...entries('file', goss.file),
  ];
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
