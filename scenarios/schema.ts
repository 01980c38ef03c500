import { z } from 'zod';
import type { Amount, HostSelector } from '../rollout/engine/plan.ts';
import { REBOOT_POLICIES } from '../rollout/fleets/ssh/server-fleet-plan.ts';
import { durationExpected, parseDuration } from '../lab/config/duration.ts';
import { policyRulesSchema } from '../lab/advisories/policy-rules.ts';
import { simulationShape } from './simulate-schema.ts';

/** The largest fleet a scenario describes, real or simulated. */
export const MAX_HOSTS = 100_000;

/*
 * The YAML as written, checked field by field. Each field's own form is checked here; what
 * depends on other fields (ring names a fault refers to, hosts a plan needs) is checked in
 * load.ts once the whole file has its shape.
 */

/** `got` overrides how the value is shown, when the wrong part is deep inside it. */
type Parsed<T> = { value: T } | { expected: string; got?: string };

/** The value as a message shows it, briefly: a user needs to recognise it, not read it back. */
export function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return Array.isArray(value) ? 'a list' : 'a mapping';
}

/** A field with several accepted forms, where zod's union message ("Invalid input") would name none of them. */
function field<T>(parse: (input: unknown) => Parsed<T>) {
  return z.unknown().transform((input, ctx): T => {
    const result = parse(input);
    if ('value' in result) return result.value;
    ctx.addIssue({ code: 'custom', message: `expected ${result.expected}, got ${result.got ?? shown(input)}` });
    return z.NEVER;
  });
}

/** A mapping that names the keys it allows when it meets one it does not. */
function strictObject<S extends z.ZodRawShape>(shape: S, expected = 'a mapping') {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') {
        return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}; expected only ${allowed}`;
      }
      if (issue.code === 'invalid_type') return `expected ${expected} (keys: ${allowed}), got ${shown(issue.input)}`;
      return undefined;
    },
  });
}

function duration(minMs: number) {
  const expected = durationExpected(minMs);
  return field((input): Parsed<number> => {
    const ms = typeof input === 'string' ? parseDuration(input) : null;
    return ms !== null && ms >= minMs ? { value: ms } : { expected };
  });
}

const PERCENT = /^(\d+(?:\.\d+)?)%$/;

/** A host count or "<n>%"; `least` is the smallest count allowed, and a percentage above 0 is required when it is 1. */
function parseAmount(input: unknown, least: 0 | 1, what: string): Parsed<Amount> {
  if (typeof input === 'number') {
    return Number.isInteger(input) && input >= least && input <= MAX_HOSTS
      ? { value: { count: input } }
      : { expected: `a whole number of ${what} from ${least} to ${MAX_HOSTS}` };
  }
  const percent = typeof input === 'string' ? PERCENT.exec(input) : null;
  if (percent) {
    const value = Number(percent[1]);
    const inRange = (least === 0 ? value >= 0 : value > 0) && value <= 100;
    return inRange ? { value: { percent: value } } : { expected: `a percentage ${least === 0 ? 'from 0%' : 'above 0%'} up to 100%` };
  }
  return { expected: `a number of ${what} such as 4, or a percentage such as "10%"` };
}

const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/;
const LABEL_VALUE = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,62}$/;
const LABELS_EXPECTED =
  'labels as a mapping such as {site: paris}: names and values of letters, digits, ".", "_", "-", "/" (values also ":"), quoted if they look like numbers';

function parseLabels(input: unknown): Parsed<Record<string, string>> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { expected: LABELS_EXPECTED };
  const entries = Object.entries(input);
  if (entries.length === 0) return { expected: LABELS_EXPECTED, got: 'no labels' };
  const wrong = entries.find(([k, v]) => !LABEL_KEY.test(k) || typeof v !== 'string' || !LABEL_VALUE.test(v));
  return wrong ? { expected: LABELS_EXPECTED, got: `${shown(wrong[0])}: ${shown(wrong[1])}` } : { value: Object.fromEntries(entries) as Record<string, string> };
}

const labels = field(parseLabels);

const ringHosts = field((input): Parsed<HostSelector> => {
  if (input === 'rest') return { value: 'rest' };
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    const keys = Object.keys(input);
    const selected = keys.length === 1 && keys[0] === 'labels' ? parseLabels((input as { labels: unknown }).labels) : null;
    if (selected && 'value' in selected) return { value: { labels: selected.value } };
    return { expected: `{labels: {...}} with ${LABELS_EXPECTED}`, ...(selected?.got ? { got: selected.got } : {}) };
  }
  const amount = parseAmount(input, 1, 'hosts');
  // A number or a percentage out of range gets the range alone; anything else hears of every form.
  if ('value' in amount || typeof input === 'number' || (typeof input === 'string' && PERCENT.test(input))) return amount;
  return { expected: `${amount.expected}, "rest" or {labels: {site: paris}}` };
});

/** One message for every way a number can be wrong, where zod's int/min/max would each add their own. */
function wholeNumber(min: number, max: number, what: string) {
  const expected = `expected ${what}: a whole number from ${min} to ${max}`;
  return z.number({ error: expected }).refine((n) => Number.isInteger(n) && n >= min && n <= max, expected);
}

const hostCount = wholeNumber(1, MAX_HOSTS, 'a number of hosts');
const seed = wholeNumber(0, 0xffff_ffff, 'a seed');

function share(what: string) {
  const expected = `expected ${what}: a number from 0 to 1`;
  return z.number({ error: expected }).refine((n) => n >= 0 && n <= 1, expected);
}

const RING_NAME = /^[a-z][a-z0-9-]{0,31}$/;

const ring = strictObject(
  {
    name: z.string({ error: 'expected a ring name' }).regex(RING_NAME, 'expected a ring name: a lower-case letter, then lower-case letters, digits or "-"'),
    hosts: ringHosts,
    concurrency: field((input) => parseAmount(input, 1, 'hosts patched at once')).default({ count: 1 }),
    soak: duration(0),
    failureBudget: field((input) => parseAmount(input, 0, 'failed hosts tolerated')).default({ count: 0 }),
    requiresApproval: z.boolean({ error: 'expected true or false' }).default(false),
    healthGate: strictObject({ latency: z.boolean({ error: 'expected true or false' }).default(false) }).default({ latency: false }),
    // Servers only (fleet.inventory): a container cannot reboot.
    reboot: z.enum(REBOOT_POLICIES, { error: (issue) => `expected ${REBOOT_POLICIES.join(', ')}, got ${shown(issue.input)}` }).default('never'),
  },
  'a ring',
);

const rings = z
  .array(ring, { error: 'expected a list of rings, each {name, hosts, soak, ...}' })
  .min(1, 'expected at least one ring')
  .superRefine((list, ctx) => {
    list.forEach((r, i) => {
      const first = list.findIndex((other) => other.name === r.name);
      if (first < i) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `expected a name no other ring has, ${JSON.stringify(r.name)} is already rings[${first}]` });
      if (r.hosts === 'rest' && i < list.length - 1) {
        ctx.addIssue({ code: 'custom', path: [i, 'hosts'], message: `expected "rest" only in the last ring (it takes every host left), ring ${r.name} is not last` });
      }
    });
  });

/** "all", or filters that narrow one another; an empty mapping narrows nothing, like "all". */
const faultSelector = z.preprocess(
  (input) => (input === 'all' ? {} : input),
  strictObject(
    {
      probability: share('a probability').optional(),
      fraction: share('a fraction').optional(),
      labels: labels.optional(),
      ring: z.string({ error: 'expected a ring name' }).optional(),
      indices: z
        .array(wholeNumber(0, MAX_HOSTS - 1, 'a host index'), { error: 'expected a list of host indices such as [3, 7]' })
        .min(1, 'expected at least one host index')
        .optional(),
    },
    '"all" or a host selector',
  ).refine((s) => s.probability === undefined || s.fraction === undefined, 'expected either probability or fraction, not both'),
);

const faultKinds = ['bad-package', 'latency', 'host-lost', 'flaky', 'disk-full', 'offline', 'slow-report', 'check-noise'] as const;

function faultOf<K extends (typeof faultKinds)[number], S extends z.ZodRawShape>(kind: K, shape: S) {
  return strictObject({ kind: z.literal(kind), hosts: faultSelector, ...shape }, 'a fault');
}

const fault = z.discriminatedUnion(
  'kind',
  [
    faultOf('bad-package', { effect: z.literal('break-service', { error: 'expected break-service' }).default('break-service') }),
    faultOf('latency', { addMs: wholeNumber(1, 60_000, 'milliseconds to add, such as 200') }),
    faultOf('host-lost', { when: z.literal('mid-patch', { error: 'expected mid-patch' }).default('mid-patch') }),
    faultOf('flaky', { failures: wholeNumber(1, 100, 'a number of failed check runs').default(1) }),
    faultOf('disk-full', {}),
    faultOf('offline', {}),
    faultOf('slow-report', { delay: duration(1) }),
    faultOf('check-noise', { flipProbability: share('a probability') }),
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? `expected kind to be one of ${faultKinds.join(', ')}, got ${shown((issue.input as { kind?: unknown } | undefined)?.kind)}`
        : `expected a fault {kind, hosts, ...}, got ${shown(issue.input)}`,
  },
);

/** Image definition names and scenario names alike: both are file names too. */
const NAME = /^[a-z0-9][a-z0-9_.-]*$/;
/** Docker's reference grammar: [registry[:port]/]path[:tag][@digest]. */
const IMAGE_REFERENCE =
  /^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

const patchWords = field((input): Parsed<string[]> => {
  const expected = 'patch words ("security", "all", package[=version], or a .deb path): one string or a list of strings';
  if (typeof input === 'string') return { value: [input] };
  const list = Array.isArray(input) && input.length > 0 && input.every((w) => typeof w === 'string');
  return list ? { value: input as string[] } : { expected };
});

export const scenarioSchema = strictObject(
  {
    name: z.string({ error: 'expected a scenario name' }).regex(NAME, 'expected a lower-case name (letters, digits, "_", ".", "-") matching the file name'),
    description: z.string({ error: 'expected a description as text' }).default(''),
    image: z
      .string({ error: 'expected an image definition name such as web, or an image reference such as debian:bookworm' })
      .refine((s) => NAME.test(s) || IMAGE_REFERENCE.test(s), 'expected an image definition name such as web, or an image reference such as debian:bookworm'),
    patch: patchWords,
    severity: z.enum(['low', 'medium', 'high', 'critical'], { error: 'expected low, medium, high or critical' }).optional(),
    /** Pick the policy from the patch's advisories (first match wins); a typed severity overrides them. */
    policyRules: policyRulesSchema.optional(),
    /** Approve only updates first seen at least this long ago; younger ones make the rollout wait. */
    minimumAge: duration(0).optional(),
    checks: z.array(z.string().min(1, 'expected a file path'), { error: 'expected a list of check files (goss YAML or browser specs)' }).default([]),
    fleet: strictObject(
      {
        // One of the two: containers started for the rollout, or a team's servers (load.ts checks which).
        hosts: hostCount.optional(),
        inventory: z.string({ error: 'expected an inventory file (Ansible INI or YAML, or patchlab YAML)' }).min(1, 'expected an inventory file').optional(),
        ssh: strictObject(
          {
            config: z.string({ error: 'expected an ssh config file (ssh -F)' }).min(1, 'expected an ssh config file').optional(),
            lockWait: duration(0).optional(),
            lostAfter: duration(1).optional(),
            rebootTimeout: duration(1).optional(),
          },
          'ssh settings {config, lockWait, lostAfter, rebootTimeout}',
        ).optional(),
        groups: z
          .array(strictObject({ count: hostCount, labels }, 'a group {count, labels}'), { error: 'expected a list of groups such as [{count: 8, labels: {site: paris}}]' })
          .default([]),
        seed: seed.default(1),
        simulate: strictObject({ hosts: hostCount.default(MAX_HOSTS), seed: seed.default(7), ...simulationShape }).default({ hosts: MAX_HOSTS, seed: 7 }),
      },
      'a fleet {hosts, groups} or {inventory}',
    ),
    rings: rings.optional(),
    policy: strictObject({
      checkInterval: duration(1).default(60_000),
      checkTimeout: duration(1).optional(),
      maxFlaps: wholeNumber(0, 100, 'a number of flaps').optional(),
      latency: strictObject({
        alpha: z.number({ error: 'expected a significance level such as 0.01' }).gt(0, 'expected a significance level above 0').lt(1, 'expected a significance level below 1').optional(),
        minEffectRatio: z.number({ error: 'expected a ratio such as 0.1 (10 % slower)' }).min(0, 'expected a ratio of 0 or more').max(100, 'expected a ratio of at most 100').optional(),
        minSamples: wholeNumber(2, 1_000_000, 'a number of samples').optional(),
      }).optional(),
      soakFactor: z.number({ error: 'expected a factor such as 0.5' }).gt(0, 'expected a factor above 0').max(100, 'expected a factor of at most 100').optional(),
    }).default({ checkInterval: 60_000 }),
    faults: z.array(fault, { error: 'expected a list of faults, each {kind, hosts, ...}' }).default([]),
  },
  'a scenario',
);

export type ScenarioFile = z.infer<typeof scenarioSchema>;
export type ScenarioFault = ScenarioFile['faults'][number];
