import type { z } from 'zod';
import { HttpError } from '../http.ts';

/** A form checked against its schema, less the CSRF field; a 400 names what is wrong. */
export function formOf<T>(schema: z.ZodType<T>, body: unknown): T {
  const { _csrf: _, ...fields } = (body ?? {}) as Record<string, unknown>;
  const parsed = schema.safeParse(fields);
  if (!parsed.success) throw new HttpError(400, parsed.error.issues.map((i) => `${i.path.join('.') || 'form'}: ${i.message}`).join('; '));
  return parsed.data;
}
