import { storedPolicyChoice, type PolicyChoice } from '../../rollout/drive/policy-choice.ts';
import type { PatchRef } from '../../rollout/engine/state.ts';
import type { RolloutSummary } from '../../rollout/store/rollout-store.ts';

/*
 * The label beside a rollout's patch: the policy that applies and where it came from. A patch's
 * severity is what the plan said before any rule looked at the advisories; beside a policy a rule
 * picked it would contradict it ("high" beside critical-security), so it is shown only where it is
 * what picked the policy, or for a rollout from before policy choices were stored. Pure.
 */

export interface PolicyLabel {
  /** "critical-security policy", or "high" for a rollout from before policy choices. */
  text: string;
  /** Where it came from: "rule 'urgent-or-cve'", "severity high, typed in the scenario"; null when unknown. */
  from: string | null;
  /** The badge's class: the severity's colour where the severity decided, else the policy's. */
  className: string;
}

export function policyLabel(choice: PolicyChoice | null, patch: PatchRef): PolicyLabel {
  if (!choice) return { text: patch.severity, from: null, className: `severity-${patch.severity}` };
  const text = `${choice.policy} policy`;
  switch (choice.by) {
    case 'rule':
      return { text, from: `rule '${choice.rule ?? '?'}'${choice.rulesFrom ? ` of ${choice.rulesFrom}` : ''}`, className: 'policy-by-rule' };
    case 'no-rule-matched':
      return { text, from: `by default: no rule${choice.rulesFrom ? ` of ${choice.rulesFrom}` : ''} matched`, className: `severity-${choice.severity ?? patch.severity}` };
    case 'typed-severity':
      return { text, from: `severity ${choice.severity ?? patch.severity}, typed in the scenario`, className: `severity-${choice.severity ?? patch.severity}` };
    case 'severity':
      return { text, from: `severity ${choice.severity ?? patch.severity}`, className: `severity-${choice.severity ?? patch.severity}` };
  }
}

/** A listed rollout's policy choice, from its summary (read as loosely as from its meta). */
export const listedPolicyChoice = (summary: Pick<RolloutSummary, 'policyChoice'>): PolicyChoice | null => storedPolicyChoice({ policyChoice: summary.policyChoice });

/** The label of a listed rollout: the same as its page's summary shows. */
export const listedPolicyLabel = (summary: Pick<RolloutSummary, 'policyChoice' | 'patch'>): PolicyLabel => policyLabel(listedPolicyChoice(summary), summary.patch);

/** One line: "critical-security policy (rule 'urgent-or-cve' of patchlab.yaml)". */
export const policyLabelText = (label: PolicyLabel): string => (label.from ? `${label.text} (${label.from})` : label.text);
