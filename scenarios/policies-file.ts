import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { InputError, parseYamlWith } from '../lab/config/validation.ts';
import { parseScenario } from './load.ts';
import type { PolicyVariant } from '../rollout/simulate/policies.ts';

const NAME = /^[A-Za-z0-9][A-Za-z0-9 ./_,:%()-]{0,47}$/;

const policiesSchema = z.strictObject(
  {
    policies: z
      .array(
        z.strictObject(
          {
            name: z.string({ error: 'expected a policy name' }).regex(NAME, 'expected a policy name of up to 48 letters, digits, spaces or . / _ , : % ( ) -'),
            rings: z.unknown().optional(),
            policy: z.unknown().optional(),
          },
          { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown key ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}; expected only name, rings, policy` : 'expected a policy {name, rings, policy}') },
        ),
        { error: 'expected a list of policies, each {name, rings, policy}' },
      )
      .min(1, 'expected at least one policy'),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown key ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}; expected only policies` : 'expected a mapping with a list of policies') },
);

/**
 * Policies to compare, from a file beside the scenario:
 *
 *     policies:
 *       - name: cautious
 *         rings: [...]            # as a scenario's rings; the scenario's when left out
 *         policy: { soakFactor: 2 } # merged over the scenario's policy
 *
 * Each entry is laid over the scenario and read by the scenario's own loader, so a ring or a
 * policy field is checked exactly as in a scenario, and an error names this file and the entry.
 */
export function parsePolicies(text: string, file: string, scenarioText: string, scenarioFile: string): PolicyVariant[] {
  const { policies } = parseYamlWith(policiesSchema, text, file);
  const base = parse(scenarioText) as Record<string, unknown>;
  const problems: string[] = [];
  const seen = new Map<string, number>();
  const variants = policies.flatMap((entry, i): PolicyVariant[] => {
    const first = seen.get(entry.name);
    if (first !== undefined) problems.push(`policies[${i}].name: expected a name no other policy has, ${JSON.stringify(entry.name)} is already policies[${first}]`);
    seen.set(entry.name, i);
    const merged = {
      ...base,
      ...(entry.rings === undefined ? {} : { rings: entry.rings }),
      ...(entry.policy === undefined ? {} : { policy: mergedPolicy(base.policy, entry.policy) }),
    };
    try {
      const scenario = parseScenario(stringify(merged), scenarioFile);
      return [{ name: entry.name, rings: scenario.rings, policy: scenario.policy }];
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      problems.push(...error.problems.map((problem) => `policies[${i}].${problem}`));
      return [];
    }
  });
  if (problems.length > 0) throw new InputError(file, problems);
  return variants;
}

function mergedPolicy(scenario: unknown, entry: unknown): unknown {
  const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  return isMapping(scenario) && isMapping(entry) ? { ...scenario, ...entry } : entry;
}
