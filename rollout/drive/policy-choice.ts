import type { SourceAdvisory } from '../../lab/advisories/advisory.ts';
import { describeEvidence, pickPolicy, type PolicyRule, type RuleEvidence } from '../../lab/advisories/policy-rules.ts';
import type { RolloutPolicy, Severity } from '../engine/policy.ts';

/** Rules a plan carries, and the policies they may pick, already adjusted by the plan's own policy fields. */
export interface PlanPolicyRules {
  rules: PolicyRule[];
  /** Where the rules were written: the scenario or the project's patchlab.yaml. */
  from: string;
  policies: Record<string, RolloutPolicy>;
}

/** How a rollout came by its policy, as its meta stores it and the CLI, API and page show it. */
export interface PolicyChoice {
  policy: string;
  by: 'rule' | 'no-rule-matched' | 'typed-severity' | 'severity';
  rule?: string;
  rulesFrom?: string;
  evidence?: RuleEvidence;
  severity?: Severity;
  /** One line: "policy critical-security, picked by rule 'urgent-or-cve' (CVE-2026-1234, urgency high, from the package changelog)". */
  text: string;
}

export interface PolicyInputs {
  /** The policy the plan's severity gives: what applies when no rule decides. */
  policy: RolloutPolicy;
  severity: Severity;
  /** The scenario typed `severity:`: an explicit override, no rule is applied. */
  severityTyped: boolean;
  policyRules?: PlanPolicyRules;
}

/** The rollout's policy, from the rules over the prepared patch's advisories, or from its severity. Pure. */
export function choosePolicy(plan: PolicyInputs, advisories: readonly SourceAdvisory[]): { policy: RolloutPolicy; choice: PolicyChoice } {
  const { policy, severity } = plan;
  if (plan.severityTyped) {
    const ignored = plan.policyRules ? `; the policy rules of ${plan.policyRules.from} are not applied` : '';
    return { policy, choice: { policy: policy.name, by: 'typed-severity', severity, text: `policy ${policy.name}, from the severity ${severity} typed in the scenario (an explicit override${ignored})` } };
  }
  if (!plan.policyRules) {
    return { policy, choice: { policy: policy.name, by: 'severity', severity, text: `policy ${policy.name}, from the severity ${severity} (no policy rules given)` } };
  }
  const { rules, from, policies } = plan.policyRules;
  const pick = pickPolicy(rules, advisories);
  const picked = pick ? policies[pick.policy] : undefined;
  if (!pick || !picked) {
    return {
      policy,
      choice: { policy: policy.name, by: 'no-rule-matched', rulesFrom: from, severity, text: `policy ${policy.name}, by default: no rule of ${from} matched the patch's advisories (severity ${severity})` },
    };
  }
  return {
    policy: picked,
    choice: { policy: picked.name, by: 'rule', rule: pick.rule, rulesFrom: from, evidence: pick.evidence, text: `policy ${picked.name}, picked by rule '${pick.rule}' (${describeEvidence(pick.evidence)})` },
  };
}

/** The choice a rollout's stored meta holds, read loosely: a rollout from before policy rules has none. */
export function storedPolicyChoice(meta: Record<string, unknown>): PolicyChoice | null {
  const choice = meta.policyChoice as Partial<PolicyChoice> | undefined;
  return choice && typeof choice.text === 'string' && typeof choice.policy === 'string' ? (choice as PolicyChoice) : null;
}
