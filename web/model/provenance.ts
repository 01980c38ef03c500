import { z } from 'zod';
import type { SourceAdvisory } from '../../lab/advisories/advisory.ts';
import type { LabRunSummary } from '../../lab/store/lab-run-store.ts';
import { patchPackage, type PatchPackage } from './lab-run-patches.ts';

/*
 * Where a rollout's patch came from, read from the meta its driver stored (RolloutMeta in
 * rollout/drive/run-rollout.ts): the image, the packages prepared, and the lab run that proved
 * them when the meta names one. Read loosely: a rollout stored by an older version, or by a test,
 * may lack any of it, and the page says what is missing rather than failing.
 */

const metaSchema = z.looseObject({
  image: z.object({ name: z.string(), tag: z.string() }).optional().catch(undefined),
  prepared: z
    .object({ packages: z.array(z.object({ name: z.string(), from: z.string().optional(), to: z.string() })) })
    .optional()
    .catch(undefined),
  labRunId: z.string().optional().catch(undefined),
});

export interface Provenance {
  image: { name: string; tag: string } | null;
  /** Null when the meta holds no prepared patch. */
  packages: PatchPackage[] | null;
  /** The lab run the meta names as the patch's proof. */
  labRunId: string | null;
  /** Without a named run: the image's runs that installed exactly these versions. */
  matchingRuns: LabRunSummary[];
  /** How many of the image's latest runs were compared. */
  runsCompared: number;
  /** What the patch's updates fix, per source package; null when it cannot be read. */
  advisories?: SourceAdvisory[] | null;
}

export function readMeta(meta: Record<string, unknown>): Pick<Provenance, 'image' | 'packages' | 'labRunId'> {
  const parsed = metaSchema.safeParse(meta);
  const data = parsed.success ? parsed.data : {};
  return {
    image: data.image ?? null,
    packages: data.prepared?.packages.map(patchPackage) ?? null,
    labRunId: data.labRunId ?? null,
  };
}
