import { z } from 'zod';
import type { SourceAdvisory } from './advisory.ts';
import { unique, URGENCIES, type Urgency } from './changelog.ts';

/*
 * Which rollout policy a patch takes, by what its packages' changelogs say rather than by a
 * severity someone typed. An ordered list; the first rule that matches picks the policy. Pure.
 *
 *     policyRules:
 *       - name: urgent-or-cve
 *         when: { urgency: [high, emergency, critical], cve: true }   # any of these
 *         policy: critical-security
 *       - name: everything-else                                      # no `when`: always matches
 *         policy: standard
 *
 * The policy is a name only here: the lab does not know the rollout's policies, so whoever loads
 * the rules (the scenario loader) checks the name against them.
 */

const RULE_NAME = /^[a-z0-9][a-z0-9_.-]{0,47}$/;

export const policyRuleSchema = z.strictObject(
  {
    name: z.string({ error: 'expected a rule name' }).regex(RULE_NAME, 'expected a rule name of up to 48 lower-case letters, digits, "_", "." or "-"'),
    when: z
      .strictObject(
        {
          urgency: z.array(z.enum(URGENCIES, { error: `expected an urgency: ${URGENCIES.join(', ')}` }), { error: `expected a list of urgencies such as [high, emergency]` }).min(1, 'expected at least one urgency').optional(),
          cve: z.boolean({ error: 'expected true (any CVE id matches) or false' }).optional(),
          advisory: z.boolean({ error: 'expected true (any DSA or DLA id matches) or false' }).optional(),
        },
        { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown key ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}; expected only urgency, cve, advisory` : 'expected a condition {urgency, cve, advisory}') },
      )
      .optional(),
    policy: z.string({ error: 'expected a policy name such as critical-security or standard' }).min(1, 'expected a policy name such as critical-security or standard'),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown key ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}; expected only name, when, policy` : 'expected a rule {name, when, policy}') },
);

export const policyRulesSchema = z
  .array(policyRuleSchema, { error: 'expected a list of rules, each {name, when, policy}' })
  .superRefine((rules, ctx) => {
    const seen = new Map<string, number>();
    rules.forEach((rule, i) => {
      const first = seen.get(rule.name);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `expected a name no other rule has, ${JSON.stringify(rule.name)} is already rule ${first}` });
      seen.set(rule.name, i);
    });
  });

export type PolicyRule = z.infer<typeof policyRuleSchema>;

/** What the advisories said that made the rule match: only the facts its conditions asked about. */
export interface RuleEvidence {
  cves: string[];
  /** The highest urgency among the matched updates' changelogs, when the rule asked about urgency. */
  urgency?: Urgency;
  advisories: string[];
  /** Source packages whose changelogs gave the facts above. */
  sources: string[];
}

export interface RulePick {
  rule: string;
  policy: string;
  evidence: RuleEvidence;
}


/** The first rule the advisories match, with what matched; null when none does. */
export function pickPolicy(rules: readonly PolicyRule[], advisories: readonly SourceAdvisory[]): RulePick | null {
  for (const rule of rules) {
    const evidence = ruleEvidence(rule, advisories);
    if (evidence) return { rule: rule.name, policy: rule.policy, evidence };
  }
  return null;
}

/**
 * A rule with conditions matches when any of them holds, and its evidence is what matched; one
 * without matches anything, and its evidence is what the whole patch's changelogs say.
 */
export function ruleEvidence(rule: PolicyRule, advisories: readonly SourceAdvisory[]): RuleEvidence | null {
  const when = rule.when;
  if (!when || (when.urgency === undefined && when.cve === undefined && when.advisory === undefined)) return evidenceOf(advisories, advisories, advisories, advisories);
  const urgent = when.urgency ? advisories.filter((a) => a.urgency !== undefined && when.urgency!.includes(a.urgency)) : [];
  const withCve = when.cve ? advisories.filter((a) => a.cves.length > 0) : [];
  const withAdvisory = when.advisory ? advisories.filter((a) => a.dsas.length + a.dlas.length > 0) : [];
  if (urgent.length + withCve.length + withAdvisory.length === 0) return null;
  return evidenceOf(urgent, withCve, withAdvisory, [...urgent, ...withCve, ...withAdvisory]);
}

function evidenceOf(urgent: readonly SourceAdvisory[], withCve: readonly SourceAdvisory[], withAdvisory: readonly SourceAdvisory[], all: readonly SourceAdvisory[]): RuleEvidence {
  // Debian ranks emergency and critical alike; the list's order breaks the tie, so the answer never depends on the packages' order.
  const highest = urgent.flatMap((a) => (a.urgency ? [a.urgency] : [])).sort((a, b) => URGENCIES.indexOf(b) - URGENCIES.indexOf(a))[0];
  return {
    cves: unique(withCve.flatMap((a) => a.cves)).sort(),
    ...(highest ? { urgency: highest } : {}),
    advisories: unique(withAdvisory.flatMap((a) => [...a.dsas, ...a.dlas])).sort(),
    sources: unique(all.filter((a) => a.changelogFrom !== undefined).map((a) => a.source)).sort(),
  };
}

/** "CVE-2026-1234, urgency high, from the package changelog", for the rollout's own line. */
export function describeEvidence(evidence: RuleEvidence): string {
  const cves = evidence.cves.length > 4 ? [...evidence.cves.slice(0, 4), `+${evidence.cves.length - 4} more`] : evidence.cves;
  const facts = [...cves, ...(evidence.urgency ? [`urgency ${evidence.urgency}`] : []), ...evidence.advisories];
  if (facts.length > 0) return `${facts.join(', ')}, from the package changelog`;
  return evidence.sources.length > 0 ? `no CVE id, urgency or DSA/DLA id in the changelogs of ${evidence.sources.join(', ')}` : 'no changelog could be read';
}
