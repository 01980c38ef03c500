import { z } from 'zod';
import { durationExpected, parseDuration } from '../lab/config/duration.ts';
import type { SimulationFields } from '../rollout/simulate/settings.ts';

/*
 * How the simulated fleet behaves, beyond the faults: `fleet.simulate` in a scenario. The faults
 * (bad-package with a probability and labels, latency, offline, slow-report, check-noise) say
 * what goes wrong; these say how long things take and how the people in the loop answer. Every
 * field is optional; `patchlab simulate` fills in and prints the defaults.
 */

function duration(minMs: number) {
  const expected = `expected ${durationExpected(minMs)}`;
  return z.unknown().transform((input, ctx): number => {
    const ms = typeof input === 'string' ? parseDuration(input) : null;
    if (ms !== null && ms >= minMs) return ms;
    ctx.addIssue({ code: 'custom', message: `${expected}, got ${typeof input === 'string' ? JSON.stringify(input) : String(input)}` });
    return z.NEVER;
  });
}

function number(min: number, max: number, what: string) {
  const expected = `expected ${what}: a number from ${min} to ${max}`;
  return z.number({ error: expected }).refine((n) => n >= min && n <= max, expected);
}

const releaseManagerShape = {
  /** How long a ring that needs approval waits for it. */
  approveAfter: duration(0).optional(),
  /** How long a pause for failures within the budget lasts before the release manager acts. */
  respondAfter: duration(0).optional(),
  /** What the release manager then does: accept the failures and resume, or roll back. */
  onPause: z.enum(['resume', 'rollback'], { error: 'expected resume or rollback' }).optional(),
};

const releaseManager = z.strictObject(releaseManagerShape, {
  error: (issue) => {
    const allowed = Object.keys(releaseManagerShape).join(', ');
    if (issue.code === 'unrecognized_keys') return `unknown key ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}; expected only ${allowed}`;
    if (issue.code === 'invalid_type') return `expected a mapping (keys: ${allowed})`;
    return undefined;
  },
});

/** Spread into `fleet.simulate` by the scenario schema, beside its hosts and seed. */
export const simulationShape = {
  /** Median time one host takes to install the patch. */
  patchDuration: duration(1).optional(),
  /** Log-normal spread of patch and rollback times: 0 means every host takes the median. */
  patchSpread: number(0, 3, 'a spread such as 0.5').optional(),
  rollbackDuration: duration(1).optional(),
  /** Median latency of a check on an unpatched host, in ms; latency faults add to it. */
  checkLatency: number(0.1, 60_000, 'milliseconds such as 100').optional(),
  latencySpread: number(0, 3, 'a spread such as 0.2').optional(),
  /** How often the driver reports and the engine decides. */
  tick: duration(1).optional(),
  /** How long a patch waits for an offline host before it counts as failed. */
  patchTimeout: duration(1).optional(),
  /** How the release manager answers: approvals, and pauses for failures within the budget. */
  releaseManager: releaseManager.optional(),
};

/** The fields as the scenario loader leaves them: durations already in ms. */
const loaded = z.object({
  patchDuration: z.number().optional(),
  patchSpread: z.number().optional(),
  rollbackDuration: z.number().optional(),
  checkLatency: z.number().optional(),
  latencySpread: z.number().optional(),
  tick: z.number().optional(),
  patchTimeout: z.number().optional(),
  releaseManager: z
    .object({ approveAfter: z.number().optional(), respondAfter: z.number().optional(), onPause: z.enum(['resume', 'rollback']).optional() })
    .optional(),
});

/** The simulator's fields of a loaded scenario's `fleet.simulate` (which the Scenario type leaves out). */
export function simulationFields(simulate: object): SimulationFields {
  return loaded.parse(simulate);
}
