import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';

/** A user's file was wrong: names the file, the field and what was expected. */
export class InputError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file}: ${problems.length === 1 ? problems[0] : `\n  - ${problems.join('\n  - ')}`}`);
    this.name = 'InputError';
  }
}

export function fieldPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('');
}

export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${fieldPath(issue.path)}: ${issue.message}`);
}

/** Parses YAML text and validates it; every problem names file and field. */
export function parseYamlWith<S extends z.ZodType>(schema: S, text: string, file: string): z.infer<S> {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new InputError(file, doc.errors.map((e) => `not valid YAML: ${e.message.split('\n')[0]}`));
  }
  let value: unknown;
  try {
    // Some bad documents only show when converted: an alias to no anchor, an alias bomb.
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    throw new InputError(file, [`not valid YAML: ${(error as Error).message}`]);
  }
  const result = schema.safeParse(value);
  if (!result.success) throw new InputError(file, describeIssues(result.error));
  return result.data;
}

export function loadYamlFile<S extends z.ZodType>(schema: S, file: string): z.infer<S> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputError(file, [`cannot read the file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`]);
  }
  return parseYamlWith(schema, text, file);
}
