import { Cron } from 'croner';
import { z } from 'zod';
import { DEBIAN_PACKAGE, DEBIAN_VERSION } from '../config/names.ts';
import { describeIssues, InputError } from '../config/validation.ts';
import { isTimeZone } from './zoned-time.ts';

/**
 * Offsets stop at 27 days because the next Patch Tuesday is at least 28 days later: each run then
 * belongs to exactly one Patch Tuesday. None are negative: a run before Patch Tuesday would test
 * the previous month's patches again.
 */
export const MAX_OFFSET_DAYS = 27;

const lowerCaseName = (example: string) =>
  z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, `expected a lower-case name (letters, digits, "_", ".", "-"), such as ${example}`);

const timeZone = z.string().refine(isTimeZone, {
  error: (issue) => `expected an IANA time zone such as Europe/Berlin or UTC, got ${JSON.stringify(issue.input)}`,
});

const at = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a 24-hour wall-clock time HH:MM, such as 03:00');

/** The words `lab run --patch` takes, less the existence check of .deb files, which is I/O and happens at run time. */
function isPatchWord(word: string): boolean {
  if (word === 'security' || word === 'all' || word.endsWith('.deb')) return true;
  const [pkg = '', version, ...rest] = word.split('=');
  return DEBIAN_PACKAGE.test(pkg) && (version === undefined || DEBIAN_VERSION.test(version)) && rest.length === 0;
}

const patch = z
  .string()
  .refine((value) => value.split(',').every((word) => isPatchWord(word.trim())), {
    error: 'expected "security", "all", Debian package names (optionally name=version) or .deb files, comma separated',
  });

const common = {
  name: lowerCaseName('web-monthly'),
  images: z.array(lowerCaseName('web')).min(1, 'expected at least one image name'),
  patch,
  webhook: z.url({ protocol: /^https?$/, error: 'expected an http or https URL' }).optional(),
};

export const patchTuesdayTimingSchema = z.strictObject({
  kind: z.literal('patch-tuesday'),
  offsetDays: z
    .number({ error: `expected a whole number of days from 0 to ${MAX_OFFSET_DAYS}` })
    .int(`expected a whole number of days from 0 to ${MAX_OFFSET_DAYS}`)
    .min(0, `expected a whole number of days from 0 to ${MAX_OFFSET_DAYS}: runs before Patch Tuesday would test last month's patches`)
    .max(MAX_OFFSET_DAYS, `expected at most ${MAX_OFFSET_DAYS} days: the next Patch Tuesday is 28 days later at the earliest`),
  at,
  timeZone,
});

/**
 * Plain five-field cron (minute hour day-of-month month day-of-week, or @daily and the like), Vixie
 * semantics; six fields put seconds first, for a run a few seconds from now.
 */
export const cronTimingSchema = z.strictObject({
  kind: z.literal('cron'),
  expression: z.string().superRefine((expression, ctx) => {
    const problem = cronProblem(expression);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  timeZone,
});

export const scheduleSpecSchema = z.discriminatedUnion(
  'kind',
  [patchTuesdayTimingSchema.extend(common), cronTimingSchema.extend(common)],
  { error: 'expected kind "patch-tuesday" or "cron"' },
);

export type PatchTuesdayTiming = Omit<z.infer<typeof patchTuesdayTimingSchema>, 'kind'>;
export type CronTiming = Omit<z.infer<typeof cronTimingSchema>, 'kind'>;
export type ScheduleTiming = z.infer<typeof patchTuesdayTimingSchema> | z.infer<typeof cronTimingSchema>;
export type ScheduleSpec = z.infer<typeof scheduleSpecSchema>;

/** Validation and run times build jobs the same way, so an expression that validates is the one that runs. */
export function cronJob(expression: string, timeZone?: string): Cron {
  return new Cron(expression, { mode: '5-or-6-parts', ...(timeZone ? { timezone: timeZone } : {}) });
}

function cronProblem(expression: string): string | undefined {
  let job: Cron;
  try {
    job = cronJob(expression);
  } catch (error) {
    return `expected a five-field cron expression such as "0 3 * * 2" (or six, seconds first): ${(error as Error).message.replace(/^CronPattern: /, '')}`;
  }
  // A fixed start keeps validation pure; every five-field pattern that ever matches recurs within 28 years.
  if (job.nextRun(new Date(Date.UTC(2000, 0, 1))) === null) {
    return `expected a cron expression that matches some date, ${JSON.stringify(expression)} never does`;
  }
  return undefined;
}

/** Validates a schedule from any source (a YAML file, CLI flags); problems name the field and what was expected. */
export function parseScheduleSpec(input: unknown, source = 'schedule'): ScheduleSpec {
  const result = scheduleSpecSchema.safeParse(input);
  if (!result.success) throw new InputError(source, describeIssues(result.error));
  return result.data;
}

/** The timing as a person reads it, for lists. */
export function describeTiming(spec: ScheduleSpec): string {
  return spec.kind === 'cron'
    ? `cron "${spec.expression}" (${spec.timeZone})`
    : `Patch Tuesday${spec.offsetDays > 0 ? ` + ${spec.offsetDays} d` : ''} at ${spec.at} (${spec.timeZone})`;
}
