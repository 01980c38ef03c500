import { z } from 'zod';
import { HOLD_PATTERN } from '../../lab/holds/holds.ts';
import { RING_COMMANDS, ROLLOUT_COMMANDS } from '../../rollout/engine/command-names.ts';

/** A command as the API takes it: the same names, rings and reasons as the CLI and the page. */
export const commandBody = z.discriminatedUnion(
  'name',
  [
    z.strictObject({ name: z.enum(ROLLOUT_COMMANDS), reason: z.string().trim().min(1, 'give a reason: it goes into the audit log').max(500) }),
    z.strictObject({
      name: z.enum(RING_COMMANDS),
      ring: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'expected a ring name'),
      reason: z.string().trim().min(1, 'give a reason: it goes into the audit log').max(500),
    }),
  ],
  { error: `expected name ${[...ROLLOUT_COMMANDS, ...RING_COMMANDS].join(', ')}` },
);

export const labRunsQuery = z.strictObject({
  image: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

const reason = z.string().trim().min(1, 'give a reason: it goes into the record of holds').max(500);

/** A hold as the API sets it: a package name or glob, and why. */
export const holdBody = z.strictObject({ package: z.string().regex(HOLD_PATTERN, 'expected a package name or glob such as linux-image-*'), reason });

/** Lifting a hold needs a reason too. */
export const liftBody = z.strictObject({ reason });
