import { basename, dirname, resolve } from 'node:path';
import { InputError, loadYamlFile, parseYamlWith } from '../lab/config/validation.ts';
import { parsePatchArgs, PatchRequestError, type PatchRequest } from '../lab/patches/request.ts';
import { formatDuration } from '../rollout/engine/format.ts';
import { DEFAULT_RINGS, type RingSpec } from '../rollout/engine/plan.ts';
import { NAMED_POLICIES, namedPolicy, policyFor, type RolloutPolicy } from '../rollout/engine/policy.ts';
import type { PolicyRule } from '../lab/advisories/policy-rules.ts';
import type { PlanPolicyRules } from '../rollout/drive/policy-choice.ts';
import type { RolloutPlan } from '../rollout/drive/rollout-plan.ts';
import type { Fault } from '../rollout/fleets/faults.ts';
import type { ServerFleetPlan } from '../rollout/fleets/ssh/server-fleet-plan.ts';
import { assignmentProblems, demandProblems, unmatchedLabels, type ScenarioFleet } from './fleet.ts';
import { hostLabels } from '../rollout/fleets/host-labels.ts';
import { isFile } from './files.ts';
import { groupsOfHosts, readServerFleet } from './inventory-fleet.ts';
import { scenarioSchema, shown, type ScenarioFault, type ScenarioFile } from './schema.ts';

/** One staged rollout as a scenario file gives it: the plan the driver takes, and what people read. */
export interface Scenario extends RolloutPlan {
  description: string;
  /** The patch as words, .deb paths made absolute: what `--patch` would be given, and what reports show. */
  patchWords: string[];
  fleet: ScenarioFleet;
}

/** What a project's patchlab.yaml gives every scenario that does not say otherwise. */
export interface ScenarioDefaults {
  file: string;
  policyRules?: PolicyRule[];
  minimumAgeMs?: number;
}

export function loadScenario(file: string, defaults?: ScenarioDefaults): Scenario {
  return complete(loadYamlFile(scenarioSchema, file), file, defaults);
}

export function parseScenario(text: string, file: string, defaults?: ScenarioDefaults): Scenario {
  return complete(parseYamlWith(scenarioSchema, text, file), file, defaults);
}

const CHECK_FILE = /\.(ya?ml|ts|mts|js|mjs)$/;

/** Checks that need more than one field, and the conversion into the engine's types; every problem is listed. */
function complete(raw: ScenarioFile, file: string, defaults: ScenarioDefaults | undefined): Scenario {
  const dir = dirname(resolve(file));
  const problems: string[] = [];

  const expectedName = basename(file).replace(/\.ya?ml$/, '');
  if (raw.name !== expectedName) problems.push(`name: expected ${JSON.stringify(expectedName)} to match the file name, got ${JSON.stringify(raw.name)}`);

  const patch = readPatch(raw.patch, dir, problems);
  const checks = raw.checks.map((check, i) => {
    const path = resolve(dir, check);
    if (!CHECK_FILE.test(path)) problems.push(`checks[${i}]: expected a goss YAML file (.yaml, .yml) or a browser spec (.ts, .mts, .js, .mjs), got ${shown(check)}`);
    else if (!isFile(path)) problems.push(`checks[${i}]: expected a check file, ${path} does not exist`);
    return path;
  });

  const servers = readServerFleet(raw, dir, problems);
  const fleet = fleetOf(raw, servers);
  const grouped = fleet.groups.reduce((sum, g) => sum + g.count, 0);
  if (!servers && grouped > fleet.hosts) {
    problems.push(`fleet.groups: expected counts adding up to at most ${fleet.hosts} (fleet.hosts), they add up to ${grouped}`);
  }

  const rings = raw.rings?.map(ringSpec) ?? DEFAULT_RINGS.map((r) => structuredClone(r));
  // A fleet that is not there (no hosts, an inventory that does not load) has no rings to check yet.
  if (fleet.hosts > 0) problems.push(...planProblems(raw, fleet, rings));

  const severity = raw.severity ?? (patch.request.security || patch.request.all ? 'high' : 'medium');
  const policy = adjusted(raw, policyFor(severity));
  const policyRules = rulesOf(raw, file, defaults, problems);
  const minimumAgeMs = raw.minimumAge ?? defaults?.minimumAgeMs;
  const checkIntervalMs = raw.policy.checkInterval;
  if (checkIntervalMs >= policy.checkTimeoutMs) {
    const from = raw.policy.checkTimeout !== undefined ? 'policy.checkTimeout' : `the ${policy.name} policy`;
    problems.push(
      `policy.checkInterval: expected less than the check timeout (${formatDuration(policy.checkTimeoutMs)}, from ${from}), got ${formatDuration(checkIntervalMs)}`,
    );
  }

  raw.faults.forEach((fault, i) => problems.push(...faultProblems(fault, `faults[${i}].hosts`, fleet, rings)));

  if (problems.length > 0) throw new InputError(file, problems);
  return {
    file: resolve(file),
    name: raw.name,
    description: raw.description,
    image: raw.image,
    patch: patch.request,
    patchWords: patch.words,
    severity,
    ...(raw.severity !== undefined ? { severityTyped: true } : {}),
    ...(policyRules ? { policyRules } : {}),
    ...(minimumAgeMs ? { minimumAgeMs } : {}),
    checks,
    fleet,
    ...(servers ? { servers } : {}),
    reboots: Object.fromEntries((raw.rings ?? []).map((r) => [r.name, r.reboot])),
    rings,
    policy,
    checkIntervalMs,
    faults: raw.faults.map(faultOf),
  };
}

/**
 * The patch words through the CLI's own grammar, each list entry on its own so an error names
 * it. A .deb path is relative to the scenario file, not to wherever the command was started.
 */
function readPatch(values: readonly string[], dir: string, problems: string[]): { request: PatchRequest; words: string[] } {
  const request: PatchRequest = { security: false, all: false, packages: [], debs: [] };
  const words: string[] = [];
  values.forEach((value, i) => {
    const at = values.length === 1 ? 'patch' : `patch[${i}]`;
    const entryWords = value
      .split(',')
      .map((w) => w.trim())
      .filter(Boolean)
      .map((w) => (w.endsWith('.deb') ? resolve(dir, w) : w));
    const missing = entryWords.filter((w) => w.endsWith('.deb') && !isFile(w));
    if (missing.length > 0) {
      problems.push(...missing.map((path) => `${at}: expected a readable .deb file, ${path} does not exist`));
      return;
    }
    try {
      const entry = parsePatchArgs(entryWords, at);
      request.security ||= entry.security;
      request.all ||= entry.all;
      request.packages.push(...entry.packages);
      request.debs.push(...entry.debs);
      words.push(...entryWords);
    } catch (error) {
      if (!(error instanceof PatchRequestError)) throw error;
      problems.push(error.message);
    }
  });
  return { request, words };
}

function ringSpec(ring: NonNullable<ScenarioFile['rings']>[number]): RingSpec {
  // The reboot policy is the fleet's business, not the engine's: it goes to the plan's reboots.
  const { soak, reboot: _reboot, ...rest } = ring;
  return { ...rest, soakMs: soak };
}

/** The fleet's shape: as written, or the inventory's servers grouped by their labels. */
function fleetOf(raw: ScenarioFile, servers: ServerFleetPlan | undefined): ScenarioFleet {
  const { seed, simulate } = raw.fleet;
  if (servers) return { hosts: servers.servers.length, groups: groupsOfHosts(servers.servers), seed, simulate };
  return { hosts: raw.fleet.hosts ?? 0, groups: raw.fleet.groups, seed, simulate };
}

function planProblems(raw: ScenarioFile, fleet: ScenarioFleet, rings: readonly RingSpec[]): string[] {
  const at = (i: number) => (raw.rings ? `rings[${i}].hosts` : `rings (none given, so the default ring ${rings[i]?.name ?? i})`);
  const unmatched = rings.flatMap((ring, i) => {
    const wrong = ring.hosts !== 'rest' && 'labels' in ring.hosts ? unmatchedLabels(ring.hosts.labels, fleet.groups) : null;
    return wrong ? [`${at(i)}.labels: ${wrong}`] : [];
  });
  const { hosts, simulate } = fleet;
  const size = raw.fleet.inventory === undefined ? 'fleet.hosts' : 'the inventory\'s host count';
  const real = demandProblems(rings, hostLabels(fleet), size, at);
  const simulated =
    simulate.hosts === hosts ? [] : demandProblems(rings, hostLabels(fleet, simulate.hosts), 'fleet.simulate.hosts', at);
  // The engine's own assignment only when the cheap checks pass: it would report their problems again, less clearly.
  const assigned =
    unmatched.length + real.length === 0 ? assignmentProblems(rings, hostLabels(fleet), raw.name, at) : [];
  return [...unmatched, ...real, ...simulated, ...assigned];
}

/**
 * The scenario's rules, else the project's, each naming a policy patchlab has; a wrong name in the
 * project's file is that file's error, not the scenario's.
 */
function rulesOf(raw: ScenarioFile, file: string, defaults: ScenarioDefaults | undefined, problems: string[]): PlanPolicyRules | undefined {
  const rules = raw.policyRules ?? defaults?.policyRules;
  if (!rules) return undefined;
  const from = raw.policyRules ? resolve(file) : defaults!.file;
  const wrong = rules.flatMap((rule, i) =>
    namedPolicy(rule.policy) ? [] : [`policyRules[${i}].policy: expected one of ${NAMED_POLICIES.map((p) => p.name).join(', ')}, got ${JSON.stringify(rule.policy)}`],
  );
  if (wrong.length > 0 && !raw.policyRules) throw new InputError(from, wrong);
  problems.push(...wrong);
  return { rules, from, policies: Object.fromEntries(NAMED_POLICIES.map((p) => [p.name, adjusted(raw, p)])) };
}

/** A named policy with the scenario's own policy fields laid over it. */
function adjusted(raw: ScenarioFile, base: RolloutPolicy): RolloutPolicy {
  const { checkTimeout, maxFlaps, latency, soakFactor } = raw.policy;
  const adjusted = checkTimeout !== undefined || maxFlaps !== undefined || latency !== undefined || soakFactor !== undefined;
  return {
    name: adjusted ? `${base.name} as adjusted by ${raw.name}` : base.name,
    soakFactor: soakFactor ?? base.soakFactor,
    checkTimeoutMs: checkTimeout ?? base.checkTimeoutMs,
    maxFlaps: maxFlaps ?? base.maxFlaps,
    latency: {
      alpha: latency?.alpha ?? base.latency.alpha,
      minEffectRatio: latency?.minEffectRatio ?? base.latency.minEffectRatio,
      minSamples: latency?.minSamples ?? base.latency.minSamples,
    },
  };
}

function faultProblems(fault: ScenarioFault, at: string, fleet: ScenarioFleet, rings: readonly RingSpec[]): string[] {
  const { ring, indices, labels } = fault.hosts;
  const problems: string[] = [];
  const names = rings.map((r) => r.name);
  if (ring !== undefined && !names.includes(ring)) problems.push(`${at}.ring: expected one of the rings ${names.join(', ')}, got ${shown(ring)}`);
  indices?.forEach((index, j) => {
    if (index >= fleet.hosts) problems.push(`${at}.indices[${j}]: expected a host index from 0 to ${fleet.hosts - 1} (fleet.hosts is ${fleet.hosts}), got ${index}`);
  });
  const wrong = labels ? unmatchedLabels(labels, fleet.groups) : null;
  if (wrong) problems.push(`${at}.labels: ${wrong}`);
  return problems;
}

function faultOf(fault: ScenarioFault): Fault {
  if (fault.kind !== 'slow-report') return fault;
  const { delay, ...rest } = fault;
  return { ...rest, delayMs: delay };
}
