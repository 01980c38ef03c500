import type { PatchRequest } from '../../lab/patches/request.ts';
import type { RingSpec } from '../engine/plan.ts';
import type { PlanPolicyRules } from './policy-choice.ts';
import type { RolloutPolicy, Severity } from '../engine/policy.ts';
import type { Fault } from '../fleets/faults.ts';
import type { FleetShape } from '../fleets/host-labels.ts';
import type { RebootPolicy, ServerFleetPlan } from '../fleets/ssh/server-fleet-plan.ts';

/**
 * A rollout as the driver takes it: parsed and checked already (a scenario file is one source,
 * loaded above the rollout by `scenarios/`), paths absolute, durations in ms.
 */
export interface RolloutPlan {
  /** Where the plan came from, as the rollout records it: the scenario file, absolute. */
  file: string;
  name: string;
  /** An image definition name (web, db) or a local image reference, as `lab run --image` takes it. */
  image: string;
  patch: PatchRequest;
  severity: Severity;
  /** The severity was typed by hand: it overrides the policy rules, and the rollout says so. */
  severityTyped?: boolean;
  /** Rules that pick the policy from the prepared patch's advisories; `policy` applies when none matches. */
  policyRules?: PlanPolicyRules;
  /** Updates first seen less than this long ago make the rollout wait (0 or absent: no wait). */
  minimumAgeMs?: number;
  /** Check files, absolute; empty means the image definition's own checks. */
  checks: string[];
  /** How many hosts, their groups, and the seed that picks which hosts a fault hits. */
  fleet: FleetShape & { seed: number };
  /** A team's servers from an inventory, reached over SSH, instead of containers started for the rollout. */
  servers?: ServerFleetPlan;
  /** By ring name: whether its servers reboot after their patch (never when not named). */
  reboots?: Record<string, RebootPolicy>;
  rings: RingSpec[];
  /** The policy the severity gives, as the plan adjusts it; rules may pick another once the patch is prepared. */
  policy: RolloutPolicy;
  /** How often every host's checks run: the driver's cadence, which the engine only sees as results. */
  checkIntervalMs: number;
  faults: Fault[];
}
