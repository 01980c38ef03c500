/** Urgency of the patch, in the Debian security tracker's words plus 'critical' for actively exploited holes. */
export type Severity = 'low' | 'medium' | 'high' | 'critical';

/** When a ring's check latency counts as a regression against unpatched hosts. */
export interface LatencyGate {
  /** Family-wise significance level, shared by every check compared. */
  alpha: number;
  /** The patched median must exceed the baseline median by at least this fraction (0.1: 10 % slower). */
  minEffectRatio: number;
  /** Latency samples each side needs before a check is judged at all. */
  minSamples: number;
}

export interface RolloutPolicy {
  name: string;
  /** Multiplies every ring's soak time. */
  soakFactor: number;
  /**
   * How long the engine waits for the next check result: after a host is patched, and after a
   * failed check for the re-check that may clear it. Silence past this counts as a failure.
   */
  checkTimeoutMs: number;
  /** Failures cleared by a passing re-check a host may have before it counts as failed anyway. */
  maxFlaps: number;
  latency: LatencyGate;
}

export const STANDARD_POLICY: RolloutPolicy = {
  name: 'standard',
  soakFactor: 1,
  checkTimeoutMs: 10 * 60_000,
  maxFlaps: 2,
  latency: { alpha: 0.01, minEffectRatio: 0.1, minSamples: 20 },
};

/** Exposure to the hole costs more than a shorter look at each ring; gates and budgets stay as they are. */
export const CRITICAL_SECURITY_POLICY: RolloutPolicy = {
  ...STANDARD_POLICY,
  name: 'critical-security',
  soakFactor: 0.25,
};

/** The policies a rule may pick by name. */
export const NAMED_POLICIES: readonly RolloutPolicy[] = [STANDARD_POLICY, CRITICAL_SECURITY_POLICY];

export function namedPolicy(name: string): RolloutPolicy | undefined {
  return NAMED_POLICIES.find((p) => p.name === name);
}

export function policyFor(severity: Severity): RolloutPolicy {
  return severity === 'critical' ? CRITICAL_SECURITY_POLICY : STANDARD_POLICY;
}

export function soakFor(ring: { soakMs: number }, policy: RolloutPolicy): number {
  return Math.round(ring.soakMs * policy.soakFactor);
}

/** How many soaks long a ring may soak at most while its latency gate waits for samples. */
export const LATENCY_SOAK_EXTENSION = 3;
