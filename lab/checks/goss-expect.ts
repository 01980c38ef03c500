import { z } from 'zod';
import { describeValue, MatcherSyntaxError, parseMatcher, parseMatcherList, type Matcher } from './matchers.ts';

/**
 * The building blocks of the goss schema (goss-schema.ts): a resource's attribute map, and the
 * value of one attribute read as a matcher. In goss nearly every attribute is a matcher: a bare
 * value (`status: 200`) is its default matcher and a map is an advanced one (`status: {lt: 400}`).
 */

/** The type of value the host reports for an attribute, which a bare expectation must have. */
export type Shape = 'boolean' | 'integer' | 'string' | 'scalar' | 'list';

const SHAPES: Record<Shape, { what: string; example: string }> = {
  boolean: { what: 'true or false', example: '{not: true}' },
  integer: { what: 'a whole number', example: '{lt: 400}' },
  string: { what: 'a string', example: '{have-prefix: x}' },
  scalar: { what: 'a value', example: '{gt: 0}' },
  list: { what: 'a list', example: '{contain-element: x}' },
};

/**
 * An attribute's expectation as one matcher. A bare value must have the attribute's shape (a
 * typo such as `installed: "yes"` is refused, not compared); a list means "contains these".
 */
export function parseExpectation(value: unknown, shape: Shape): Matcher {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return parseMatcher(value, 'equal');
  if (!fitsShape(value, shape)) {
    const { what, example } = SHAPES[shape];
    throw new MatcherSyntaxError([], `expected ${what}, or a matcher map such as ${example}, got ${describeValue(value)}`);
  }
  return parseMatcher(value, 'equal');
}

function fitsShape(value: unknown, shape: Shape): boolean {
  switch (shape) {
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'string':
      return typeof value === 'string';
    case 'scalar':
      return typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
    case 'list':
      return Array.isArray(value);
  }
}

/** Runs a matcher parser inside a schema, turning its error into an issue at the matcher's own path. */
function matcherField<T>(parse: (value: unknown) => T) {
  return z.unknown().transform((value, ctx) => {
    try {
      return parse(value);
    } catch (error) {
      if (!(error instanceof MatcherSyntaxError)) throw error;
      ctx.addIssue({ code: 'custom', message: error.message, path: error.path });
      return z.NEVER;
    }
  });
}

/** An attribute the host reports as a value of this shape; a bare string may be limited to a few words. */
export const expectation = (shape: Shape, words?: readonly string[]) =>
  matcherField((value) => {
    if (words && typeof value === 'string' && !words.includes(value)) {
      throw new MatcherSyntaxError([], `expected one of ${words.join(', ')}, got ${JSON.stringify(value)}`);
    }
    return parseExpectation(value, shape);
  });

/** goss's `matching` compares content of any type: any bare value, list or matcher map. */
export const anyExpectation = matcherField((value) => {
  if (value === undefined || value === null) throw new MatcherSyntaxError([], 'expected what the content must match (a value, a list or a matcher map), got nothing');
  return parseMatcher(value, 'equal');
});

/** Text goss reads line by line (file contents, command output, http body): patterns that must all hold. */
export const patterns = matcherField((value) => parseMatcherList(value, 'pattern'));

/** goss writes modes as quoted octal ("0644"); an unquoted 0644 reaches us as the number 644, meant as octal too. */
export const fileMode = matcherField((value): Matcher => {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return parseMatcher(value, 'equal');
  const digits = typeof value === 'string' || typeof value === 'number' ? String(value) : '';
  if (!/^0?[0-7]{3,4}$/.test(digits)) {
    throw new MatcherSyntaxError([], `expected an octal mode such as "0644", or a matcher map such as {or: ["0644", "0640"]}, got ${JSON.stringify(value) ?? 'nothing'}`);
  }
  return { op: 'equal', value: digits.padStart(4, '0').slice(-4) };
});

export const milliseconds = z.number().int().positive('expected a timeout in milliseconds, greater than 0');

/** What goss lets every resource carry: a title and free-form meta for reports, and skip. */
const COMMON = {
  title: z.string().optional(),
  meta: z.record(z.string(), z.unknown(), { error: 'expected a map of anything (goss keeps it for reports)' }).optional(),
  skip: z.boolean().optional(),
};

/** A resource's attributes, goss's common ones included; an unknown key's message lists what was expected. */
export function attributes<S extends z.ZodRawShape>(shape: S) {
  const expected = [...Object.keys(shape), ...Object.keys(COMMON)].join(', ');
  return z.strictObject(
    { ...shape, ...COMMON },
    {
      error: (issue) => {
        if (issue.code === 'unrecognized_keys') return `unknown attribute, expected one of ${expected}`;
        if (issue.code === 'invalid_type') return `expected a map of attributes (${expected})`;
        return undefined;
      },
    },
  );
}
