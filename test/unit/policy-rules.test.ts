import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SourceAdvisory } from '../../lab/advisories/advisory.ts';
import { URGENCIES } from '../../lab/advisories/changelog.ts';
import { pickPolicy, ruleEvidence, type PolicyRule } from '../../lab/advisories/policy-rules.ts';
import { InputError } from '../../lab/config/validation.ts';
import { loadProject } from '../../lab/project/project.ts';
import { choosePolicy } from '../../rollout/drive/policy-choice.ts';
import { CRITICAL_SECURITY_POLICY, STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import { parseScenario } from '../../scenarios/load.ts';

/** An advisory as the changelog reader makes it; only the fields a rule reads vary. */
const advisory = fc
  .record({
    source: fc.constantFrom('openssl', 'tzdata', 'perl', 'nginx', 'xz-utils', 'glibc'),
    cves: fc.uniqueArray(fc.integer({ min: 1000, max: 1020 }).map((n) => `CVE-2026-${n}`), { maxLength: 3 }),
    dsas: fc.uniqueArray(fc.constantFrom('DSA-5900-1', 'DSA-5901-1'), { maxLength: 1 }),
    dlas: fc.uniqueArray(fc.constantFrom('DLA-4100-1'), { maxLength: 1 }),
    urgency: fc.option(fc.constantFrom(...URGENCIES), { nil: undefined }),
  })
  .map(({ source, cves, dsas, dlas, urgency }): SourceAdvisory => ({
    source,
    binaries: [{ name: source, installed: '1.0-1', candidate: '1.0-2' }],
    installed: '1.0-1',
    candidate: '1.0-2',
    changelogFrom: `${source}.deb:usr/share/doc/${source}/changelog.Debian.gz`,
    entries: [],
    cves,
    dsas,
    dlas,
    bugs: [],
    ...(urgency ? { urgency } : {}),
    severity: { level: 'unknown', basis: 'from the package changelog' },
    links: [],
    notes: [],
  }));

const rule = (i: number) =>
  fc
    .record(
      {
        urgency: fc.uniqueArray(fc.constantFrom(...URGENCIES), { minLength: 1, maxLength: 3 }),
        cve: fc.boolean(),
        advisory: fc.boolean(),
      },
      { requiredKeys: [] },
    )
    .chain((when) => fc.constantFrom<PolicyRule>({ name: `rule-${i}`, when, policy: i % 2 ? 'standard' : 'critical-security' }, { name: `rule-${i}`, policy: 'standard' }));
const rules = fc.integer({ min: 0, max: 5 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => rule(i))));

/** What a rule asks, said independently of the implementation: does any advisory satisfy any condition? */
function matches(r: PolicyRule, advisories: readonly SourceAdvisory[]): boolean {
  const w = r.when;
  if (!w || (w.urgency === undefined && w.cve === undefined && w.advisory === undefined)) return true;
  return advisories.some(
    (a) => (a.urgency !== undefined && (w.urgency ?? []).includes(a.urgency)) || (w.cve === true && a.cves.length > 0) || (w.advisory === true && a.dsas.length + a.dlas.length > 0),
  );
}

describe('policy rules', () => {
  it('pick the first rule that matches, and only one that matches', () => {
    fc.assert(
      fc.property(rules, fc.array(advisory, { maxLength: 6 }), (list, advisories) => {
        const pick = pickPolicy(list, advisories);
        const first = list.findIndex((r) => matches(r, advisories));
        if (first < 0) {
          expect(pick).toBeNull();
          return;
        }
        expect(pick?.rule).toBe(list[first]!.name);
        expect(pick?.policy).toBe(list[first]!.policy);
      }),
    );
  });

  it('give evidence that is in the advisories, and pick the same whatever order the packages come in', () => {
    fc.assert(
      fc.property(rules, fc.array(advisory, { maxLength: 6 }), fc.context(), (list, advisories, ctx) => {
        const pick = pickPolicy(list, advisories);
        const reversed = pickPolicy(list, [...advisories].reverse());
        expect(reversed).toEqual(pick);
        if (!pick) return;
        ctx.log(JSON.stringify(pick));
        const cves = new Set(advisories.flatMap((a) => a.cves));
        for (const cve of pick.evidence.cves) expect(cves.has(cve)).toBe(true);
        if (pick.evidence.urgency) expect(advisories.some((a) => a.urgency === pick.evidence.urgency)).toBe(true);
        for (const source of pick.evidence.sources) expect(advisories.some((a) => a.source === source)).toBe(true);
      }),
    );
  });

  it('never stop matching when the patch brings one more advisory', () => {
    fc.assert(
      fc.property(rule(0), fc.array(advisory, { maxLength: 5 }), advisory, (r, advisories, extra) => {
        if (ruleEvidence(r, advisories)) expect(ruleEvidence(r, [...advisories, extra])).not.toBeNull();
      }),
    );
  });

  it('say which rule picked the policy and the figures behind it; a typed severity overrides them and says so', () => {
    const [withCve] = fc.sample(advisory.map((a) => ({ ...a, source: 'openssl', cves: ['CVE-2026-1234'], urgency: 'high' as const, dsas: [], dlas: [] })), 1);
    const policyRules = {
      rules: [{ name: 'urgent-or-cve', when: { urgency: ['high' as const, 'emergency' as const], cve: true }, policy: 'critical-security' }],
      from: '/p/patchlab.yaml',
      policies: { standard: STANDARD_POLICY, 'critical-security': CRITICAL_SECURITY_POLICY },
    };
    const plan = { policy: STANDARD_POLICY, severity: 'high' as const, severityTyped: false, policyRules };
    const picked = choosePolicy(plan, [withCve!]);
    expect(picked.policy).toBe(CRITICAL_SECURITY_POLICY);
    expect(picked.choice.text).toBe("policy critical-security, picked by rule 'urgent-or-cve' (CVE-2026-1234, urgency high, from the package changelog)");
    expect(picked.choice.evidence).toEqual({ cves: ['CVE-2026-1234'], urgency: 'high', advisories: [], sources: ['openssl'] });

    const routine = { ...policyRules, rules: [...policyRules.rules, { name: 'routine', policy: 'standard' }] };
    const medium = { ...withCve!, source: 'tzdata', cves: [], urgency: 'medium' as const };
    expect(choosePolicy({ ...plan, policyRules: routine }, [medium]).choice.text).toBe("policy standard, picked by rule 'routine' (urgency medium, from the package changelog)");
    const { urgency: _none, ...quiet } = medium;
    expect(choosePolicy({ ...plan, policyRules: routine }, [quiet]).choice.text).toBe("policy standard, picked by rule 'routine' (no CVE id, urgency or DSA/DLA id in the changelogs of tzdata)");

    const none = choosePolicy(plan, []);
    expect(none.policy).toBe(STANDARD_POLICY);
    expect(none.choice.text).toBe("policy standard, by default: no rule of /p/patchlab.yaml matched the patch's advisories (severity high)");

    const typed = choosePolicy({ ...plan, severity: 'critical', severityTyped: true, policy: CRITICAL_SECURITY_POLICY }, []);
    expect(typed.choice).toMatchObject({ by: 'typed-severity', policy: 'critical-security' });
    expect(typed.choice.text).toBe('policy critical-security, from the severity critical typed in the scenario (an explicit override; the policy rules of /p/patchlab.yaml are not applied)');
  });
});

const dir = mkdtempSync(join(tmpdir(), 'patchlab-rules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const scenario = (extra: string) => `name: rules\nimage: web\npatch: security\nfleet: { hosts: 4 }\n${extra}`;
const problemsOf = (load: () => unknown): { file: string; problems: readonly string[] } => {
  try {
    load();
  } catch (error) {
    if (error instanceof InputError) return { file: error.file, problems: error.problems };
    throw error;
  }
  throw new Error('expected an InputError');
};

describe('policy rules in files', () => {
  it('a scenario: each wrong field named with what was expected', () => {
    const file = join(dir, 'rules.yaml');
    const wrong = problemsOf(() =>
      parseScenario(
        scenario(`policyRules:\n  - { name: a, when: { urgency: [hgih] }, policy: critical-security }\n  - { name: a, when: { cves: true }, policy: fast }\nminimumAge: 3 days\n`),
        file,
      ),
    );
    expect(wrong.file).toBe(file);
    expect(wrong.problems).toEqual([
      'policyRules[0].when.urgency[0]: expected an urgency: low, medium, high, emergency, critical',
      'policyRules[1].when: unknown key "cves"; expected only urgency, cve, advisory',
      'minimumAge: expected a duration such as 30s, 5m, 1h or 24h (a whole number then ms, s, m, h or d, at most 365d), got "3 days"',
    ]);
    expect(problemsOf(() => parseScenario(scenario(`policyRules: [{ name: a, policy: standard }, { name: a, policy: standard }]\n`), file)).problems).toEqual([
      'policyRules[1].name: expected a name no other rule has, "a" is already rule 0',
    ]);
    expect(problemsOf(() => parseScenario(scenario(`policyRules: [{ name: a, policy: fast }]\n`), file)).problems).toEqual([
      'policyRules[0].policy: expected one of standard, critical-security, got "fast"',
    ]);
  });

  it('a project: its rules and minimum age apply to a scenario without its own, and a wrong policy name is the project file\'s error', () => {
    const projectFile = join(dir, 'patchlab.yaml');
    writeFileSync(projectFile, 'policyRules:\n  - { name: any-cve, when: { cve: true }, policy: critical-security }\nminimumAge: 3d\n');
    const project = loadProject(projectFile);
    expect(project).toMatchObject({ minimumAgeMs: 3 * 86_400_000, policyRules: [{ name: 'any-cve', when: { cve: true }, policy: 'critical-security' }] });
    const defaults = { file: project.file, policyRules: project.policyRules!, minimumAgeMs: project.minimumAgeMs! };
    const file = join(dir, 'rules.yaml');
    expect(parseScenario(scenario(''), file, defaults)).toMatchObject({ minimumAgeMs: 3 * 86_400_000, policyRules: { from: projectFile, rules: [{ name: 'any-cve' }] } });
    const own = parseScenario(scenario('policyRules: [{ name: all, policy: standard }]\nminimumAge: 0s\nseverity: critical\n'), file, defaults);
    expect(own).toMatchObject({ severityTyped: true, policyRules: { from: file, rules: [{ name: 'all' }] } });
    expect(own.minimumAgeMs).toBeUndefined();
    expect(problemsOf(() => parseScenario(scenario(''), file, { ...defaults, policyRules: [{ name: 'x', policy: 'quick' }] }))).toEqual({
      file: projectFile,
      problems: ['policyRules[0].policy: expected one of standard, critical-security, got "quick"'],
    });
    writeFileSync(projectFile, 'minimumAge: soon\n');
    expect(problemsOf(() => loadProject(projectFile)).problems).toEqual(['minimumAge: expected a duration such as 30s, 5m, 1h or 24h (a whole number then ms, s, m, h or d, at most 365d), got "soon"']);
  });
});
