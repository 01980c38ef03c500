import type { SourceAdvisory } from '../../lab/advisories/advisory.ts';
import { advisoriesFromCache } from '../../lab/advisories/cache-advisories.ts';
import type { PackageCache } from '../../lab/patches/cache.ts';
import type { Progress } from '../../lab/progress.ts';
import type { SightingStore } from '../../lab/sightings/sighting-store.ts';
import { ageWaitFor, describeAgeWait, type AgeWait } from '../engine/age-wait.ts';
import type { RolloutPolicy } from '../engine/policy.ts';
import type { PreparedPatch } from '../fleets/containers/prepared-patch.ts';
import { choosePolicy, type PolicyChoice } from './policy-choice.ts';
import type { RolloutPlan } from './rollout-plan.ts';

/**
 * What a prepared patch decides about its own rollout, known only once its packages are in the
 * cache: the policy its advisories pick, and whether its updates are old enough to go out.
 */
export interface PatchGates {
  policy: RolloutPolicy;
  policyChoice: PolicyChoice;
  ageWait: AgeWait | null;
}

export async function patchGates(
  id: string,
  plan: Pick<RolloutPlan, 'policy' | 'severity' | 'severityTyped' | 'policyRules' | 'minimumAgeMs'>,
  prepared: PreparedPatch,
  deps: {
    cache: PackageCache;
    sightings: SightingStore;
    now: number;
    progress: Progress;
    /** Instead of this process's cache: the advisories a worker read from the cache it prepared the patch in. */
    readAdvisories?: () => Promise<SourceAdvisory[]>;
  },
): Promise<PatchGates> {
  const upgrades = prepared.packages.flatMap((p) => (p.from ? [{ name: p.name, installed: p.from, candidate: p.to }] : []));
  // Advisories only when a rule will read them: each means opening a .deb.
  // A changelog that cannot be read must not stop the rollout: the rules then see no advisory, and the choice says why.
  let unread: string | undefined;
  const advisories = plan.policyRules && !plan.severityTyped
    ? await (deps.readAdvisories ? deps.readAdvisories() : advisoriesFromCache(deps.cache, upgrades)).catch((error: Error) => {
        unread = error.message;
        return [];
      })
    : [];
  const chosen = choosePolicy({ policy: plan.policy, severity: plan.severity, severityTyped: plan.severityTyped === true, ...(plan.policyRules ? { policyRules: plan.policyRules } : {}) }, advisories);
  const { policy } = chosen;
  const choice = unread === undefined ? chosen.choice : { ...chosen.choice, text: `${chosen.choice.text}; the advisories could not be read: ${unread}` };
  deps.progress(choice.text);

  // This rollout has seen its updates too: one nobody saw before starts its age now.
  const updates = prepared.packages.map((p) => ({ name: p.name, version: p.to }));
  await deps.sightings.noteSightings(updates, deps.now, `rollout ${id}`);
  const seen = await deps.sightings.firstSightings(updates);
  const ageWait = ageWaitFor(
    seen.map((s) => ({ name: s.name, version: s.version, firstSeenAt: s.firstSeenAt })),
    plan.minimumAgeMs ?? 0,
    deps.now,
  );
  if (ageWait) for (const line of describeAgeWait(ageWait)) deps.progress(line);
  return { policy, policyChoice: choice, ageWait };
}
