import { closeSync, openSync, readSync } from 'node:fs';
import { Composer, isAlias, isMap, isPair, isScalar, isSeq, Lexer, LineCounter, Parser, YAMLParseError, type CST, type Document } from 'yaml';
import type { z } from 'zod';

/** A message lists this many problems at most: a 100,000-entry list of wrong values must not make a 7 MB message. */
const MAX_LISTED_PROBLEMS = 20;

/** A user's file was wrong: names the file, the field and what was expected. */
export class InputError extends Error {
  readonly problems: readonly string[];

  constructor(
    readonly file: string,
    problems: readonly string[],
  ) {
    const clean = problems.map(printable);
    const listed = clean.slice(0, MAX_LISTED_PROBLEMS);
    const more = clean.length - listed.length;
    super(`${file}: ${clean.length === 1 ? clean[0] : `\n  - ${listed.join('\n  - ')}${more > 0 ? `\n  - ... and ${more} more` : ''}`}`);
    this.problems = clean;
    this.name = 'InputError';
  }
}

/**
 * Control and format characters from the file (ESC, NUL, a newline in a key, a right-to-left
 * override) written as \u escapes: a message is printed on a terminal, which would act on them.
 */
export function printable(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, (c) => {
    const code = c.codePointAt(0) ?? 0;
    return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

export function fieldPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path
    .map((p, i) => {
      if (typeof p === 'number') return `[${p}]`;
      // A key a reader could not tell from the message around it is quoted: "" (an empty key is
      // valid YAML), " a", ": " or "a: b". Ordinary ones stay as written: http.http://localhost/.body.
      const key = String(p);
      const shown = key === '' || /^[\s:"]|\s$|: /.test(key) ? JSON.stringify(key) : key;
      return i === 0 ? shown : `.${shown}`;
    })
    .join('');
}

export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${fieldPath(issue.path)}: ${issue.message}`);
}

/**
 * What a patchlab YAML file may hold. Scenarios, goss files and image definitions are written by
 * hand and weigh a few kilobytes; these bounds are far above that, and far below what makes the
 * YAML library or a schema crash or stall:
 * - `bytes`: the library composes 100,000 to 200,000 nodes a second, and some broken text takes
 *   it 10 µs a character (333,000 anchors on one node); 512 KiB keeps any file to a few seconds.
 * - `depth`: composing and converting recurse; near 900 levels the stack overflows, and V8 can
 *   then abort the whole process (a fatal "out of memory" in its RegExp compiler), not throw.
 * - `mapEntries`: the library's duplicate-key check is quadratic (20,000 keys take 5 s).
 * - `values`: aliases multiply; a "billion laughs" of ten lines expands to 10^9 values.
 */
export const YAML_LIMITS = {
  bytes: 512 * 1024,
  depth: 64,
  mapEntries: 10_000,
  listEntries: 100_000,
  values: 500_000,
} as const;

const TOO_LARGE = `(top level): expected at most ${YAML_LIMITS.bytes} bytes of YAML (a hand-written file is far smaller)`;

/** Parses YAML text and validates it; every problem names file and field. */
export function parseYamlWith<S extends z.ZodType>(schema: S, text: string, file: string): z.infer<S> {
  const result = schema.safeParse(readYaml(text, file));
  if (!result.success) throw new InputError(file, describeIssues(result.error));
  return result.data;
}

/**
 * YAML text to plain values, or an InputError naming the line. The text is parsed once, and its
 * shape checked as it is parsed, before the library composes it (composing recurses); aliases are
 * checked before they are expanded.
 */
export function readYaml(text: string, file: string): unknown {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > YAML_LIMITS.bytes) throw new InputError(file, [`${TOO_LARGE}, got ${bytes}`]);
  const lines = new LineCounter();
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return `at line ${line}, column ${col}`;
  };
  let doc: Document.Parsed | undefined;
  try {
    doc = compose(text, lines, at);
  } catch (error) {
    if (error instanceof Refused) throw new InputError(file, [error.message]);
    throw error;
  }
  if (doc.errors.length > 0) {
    throw new InputError(
      file,
      doc.errors.map((e) => `not valid YAML: ${e.message.split('\n')[0]}${e.pos[0] >= 0 ? ` ${at(e.pos[0])}` : ''}`),
    );
  }
  const expansionProblem = expansionOf(doc, text, at);
  if (expansionProblem) throw new InputError(file, [expansionProblem]);
  try {
    // expansionOf bounds what aliases expand to; the library's own bound stays as a second guard.
    return doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    throw new InputError(file, [`not valid YAML: ${(error as Error).message}`]);
  }
}

/** Thrown inside compose and expansionOf only, to leave with the first problem. */
class Refused extends Error {}

/**
 * parseDocument, with the shape of the text checked as its lexemes arrive: the library's parser
 * keeps the open collections on an explicit stack (no recursion), so a document nested 100,000
 * deep or a 20,000-key mapping is refused before the composer, which recurses and checks
 * duplicate keys in quadratic time, ever sees it.
 */
function compose(text: string, lines: LineCounter, at: (offset: number) => string): Document.Parsed {
  const parser = new Parser(lines.addNewLine);
  function* tokens() {
    lines.addNewLine(0); // Parser.parse() counts the first line itself; Parser.next() does not.
    let errors = 0;
    for (const lexeme of new Lexer().lex(text)) {
      for (const token of parser.next(lexeme)) {
        // The composer takes about 10 µs over each error token: 1,000,000 "]" would take 10 s. The
        // first few are all a message lists anyway, and stopping early still leaves them all errors.
        if (token.type === 'error' && ++errors > MAX_LISTED_PROBLEMS) return;
        yield token;
      }
      const problem = shapeProblem(parser.stack, parser.offset, at);
      if (problem) throw new Refused(problem);
    }
    yield* parser.end();
  }
  let doc: Document.Parsed | undefined;
  for (const composed of new Composer({ uniqueKeys: true }).compose(tokens(), true, text.length)) {
    if (doc) {
      doc.errors.push(new YAMLParseError([composed.range[0], composed.range[1]], 'MULTIPLE_DOCS', 'Source contains multiple documents'));
      break;
    }
    doc = composed;
  }
  // compose(..., forceDoc = true) always yields a document, an empty one for empty text.
  return doc as Document.Parsed;
}

function shapeProblem(stack: readonly CST.Token[], offset: number, at: (offset: number) => string): string | null {
  // The stack holds the document and the scalar being read besides the collections.
  if (stack.length > YAML_LIMITS.depth) {
    const depth = stack.filter((t) => t.type === 'block-map' || t.type === 'block-seq' || t.type === 'flow-collection').length;
    if (depth > YAML_LIMITS.depth) return `not accepted as YAML: mappings and lists nested deeper than ${YAML_LIMITS.depth} levels ${at(offset)}`;
  }
  // Entries go to the innermost open collection, near the top of the stack.
  for (const token of stack.slice(-3)) {
    if (token.type !== 'block-map' && token.type !== 'block-seq' && token.type !== 'flow-collection') continue;
    const isMapping = token.type === 'block-map' || (token.type === 'flow-collection' && token.start.source === '{');
    const limit = isMapping ? YAML_LIMITS.mapEntries : YAML_LIMITS.listEntries;
    if (token.items.length > limit) return `not accepted as YAML: a ${isMapping ? 'mapping' : 'list'} of more than ${limit} entries, starting ${at(token.offset)}`;
  }
  return null;
}

interface Extent {
  /** Values once every alias is expanded: collections and scalars, each time they appear. */
  values: number;
  /** Levels of collections in this node, itself included, aliases expanded. */
  height: number;
}

/**
 * Walks the composed document once, without expanding aliases (an anchor's extent is measured
 * once and reused), and returns the first problem, or null:
 * - an alias with no anchor before it, or inside its own anchor (its value would contain itself,
 *   and a schema would recurse until the stack overflows);
 * - aliases that expand past the value or depth limits (a "billion laughs");
 * - a key that JavaScript would not keep: "__proto__" (an assignment sets the prototype instead,
 *   so a goss check of that name would silently vanish), or two keys that differ in YAML but not
 *   as JavaScript keys (80 and "80": the later would silently replace the earlier).
 * Recursion is bounded: compose has already refused text nested deeper than the limit.
 */
function expansionOf(doc: Document, text: string, at: (offset: number) => string): string | null {
  const anchors = new Map<string, unknown>();
  const measured = new Map<unknown, Extent>();
  const open = new Set<unknown>();
  const startOf = (node: unknown) => (node as { range?: [number, number, number] } | null)?.range;
  const refuse = (path: readonly PropertyKey[], node: unknown, problem: string): never => {
    const range = startOf(node);
    throw new Refused(`${fieldPath(path)}: ${problem}${range ? ` ${at(range[0])}` : ''}`);
  };
  const within = (path: readonly PropertyKey[], node: unknown, depth: number, extent: Extent): Extent => {
    if (extent.values > YAML_LIMITS.values) refuse(path, node, `not accepted as YAML: aliases expand to more than ${YAML_LIMITS.values} values`);
    if (depth + extent.height > YAML_LIMITS.depth) {
      refuse(path, node, `not accepted as YAML: aliases expand to mappings and lists nested deeper than ${YAML_LIMITS.depth} levels`);
    }
    return extent;
  };

  const visit = (node: unknown, depth: number, path: PropertyKey[]): Extent => {
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (target === undefined) return refuse(path, node, `not valid YAML: Unresolved alias *${node.source}, no anchor &${node.source} comes before it`);
      if (open.has(target)) return refuse(path, node, `not accepted as YAML: alias *${node.source} is inside its own anchor &${node.source}, so its value would contain itself`);
      return within(path, node, depth, measured.get(target) as Extent);
    }
    if (isPair(node)) {
      // A pair outside a mapping: an item of an ordered map (!!omap), which is a sequence of pairs.
      const key = visit(node.key, depth, path);
      const value = visit(node.value, depth, path);
      return { values: key.values + value.values, height: Math.max(key.height, value.height) };
    }
    if (!isMap(node) && !isSeq(node)) {
      if (isScalar(node) && node.anchor) {
        anchors.set(node.anchor, node);
        measured.set(node, { values: 1, height: 0 });
      }
      return { values: 1, height: 0 };
    }
    // Set before the items are visited: an alias among them resolves to this node, as the library resolves it.
    if (node.anchor) anchors.set(node.anchor, node);
    open.add(node);
    const extent: Extent = { values: 1, height: 1 };
    const add = (child: Extent) => {
      extent.values += child.values;
      extent.height = Math.max(extent.height, child.height + 1);
    };
    if (isSeq(node)) {
      node.items.forEach((item, i) => add(visit(item, depth + 1, [...path, i])));
    } else {
      const keys = new Map<string, unknown>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        // The key toJS will use, for scalar keys: String(value), null as "".
        const scalarKey = isScalar(pair.key) && (pair.key.value === null || typeof pair.key.value !== 'object');
        const key = scalarKey ? String((pair.key as { value: unknown }).value ?? '') : undefined;
        const keyPath = [...path, key ?? '(key)'];
        if (key === '__proto__') return refuse(keyPath, pair.key, '"__proto__" cannot be a key (JavaScript would take it for the prototype of the mapping)');
        if (key !== undefined) {
          const earlier = keys.get(key);
          const source = (k: unknown) => text.slice(startOf(k)?.[0] ?? 0, startOf(k)?.[1] ?? 0);
          if (earlier !== undefined) {
            return refuse(keyPath, pair.key, `not valid YAML: Map keys must be unique; ${source(earlier)} and ${source(pair.key)} are the same key ${JSON.stringify(key)}`);
          }
          keys.set(key, pair.key);
        }
        add(visit(pair.key, depth + 1, keyPath));
        add(visit(pair.value, depth + 1, keyPath));
      }
    }
    open.delete(node);
    measured.set(node, extent);
    return within(path, node, depth, extent);
  };

  try {
    visit(doc.contents, 0, []);
    return null;
  } catch (error) {
    if (error instanceof Refused) return error.message;
    throw error;
  }
}

/** The file's text, reading one byte past the limit at most: /dev/zero or a 10 GB file is refused, not read whole. */
function readBounded(file: string): { text: string; tooLarge: boolean } {
  const fd = openSync(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let length = 0;
    while (length <= YAML_LIMITS.bytes) {
      const chunk = Buffer.allocUnsafe(64 * 1024);
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      length += n;
    }
    return { text: Buffer.concat(chunks, length).toString('utf8'), tooLarge: length > YAML_LIMITS.bytes };
  } finally {
    closeSync(fd);
  }
}

export function loadYamlFile<S extends z.ZodType>(schema: S, file: string): z.infer<S> {
  let read: { text: string; tooLarge: boolean };
  try {
    read = readBounded(file);
  } catch (error) {
    throw new InputError(file, [`cannot read the file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`]);
  }
  if (read.tooLarge) throw new InputError(file, [`${TOO_LARGE}, the file is larger`]);
  return parseYamlWith(schema, read.text, file);
}
