/** What a scenario's `fleet.simulate` says of the simulated world, durations in ms; every field optional. */
export interface SimulationFields {
  patchDuration?: number;
  patchSpread?: number;
  rollbackDuration?: number;
  checkLatency?: number;
  latencySpread?: number;
  tick?: number;
  patchTimeout?: number;
  releaseManager?: { approveAfter?: number; respondAfter?: number; onPause?: 'resume' | 'rollback' };
}

/** How the simulated world behaves, every default filled in; durations in ms. */
export interface SimulationSettings {
  /** Median time a host takes to install the patch; each host's own time is log-normal around it. */
  patchMedianMs: number;
  patchSpread: number;
  rollbackMedianMs: number;
  /** Median check latency of an unpatched host. */
  checkLatencyMs: number;
  latencySpread: number;
  /** The engine is consulted on this grid only: the driver reports host events once a tick. */
  tickMs: number;
  /** An offline host's patch fails after this long without an answer. */
  patchTimeoutMs: number;
  releaseManager: { approveAfterMs: number; respondAfterMs: number; onPause: 'resume' | 'rollback' };
  /**
   * Latency samples each side of a ring's latency gate gets at most: with a hundred thousand
   * hosts the test has all the power it needs long before every check of every host is kept.
   */
  latencySampleBudget: number;
  /**
   * Engine decisions a run may take before it is stopped, or null for no limit (the default:
   * stepping by waves, a decision costs what it changes, and the horizon ends an endless run).
   */
  maxSteps: number | null;
  /** Simulated time a run may take before it is stopped. */
  horizonMs: number;
}

const MINUTE = 60_000;
/** From this size on, a tick under a minute would cost more engine steps than it buys precision. */
export const COARSE_TICK_HOSTS = 10_000;

export const DEFAULTS = {
  patchMedianMs: 2 * MINUTE,
  patchSpread: 0.5,
  rollbackMedianMs: MINUTE,
  checkLatencyMs: 100,
  latencySpread: 0.2,
  patchTimeoutMs: 15 * MINUTE,
  approveAfterMs: 30 * MINUTE,
  respondAfterMs: 30 * MINUTE,
  latencySampleBudget: 20_000,
  maxSteps: null,
  horizonMs: 365 * 24 * 60 * MINUTE,
} as const;

/**
 * The settings for one fleet size. The tick defaults to the check interval, the cadence at which
 * new evidence arrives; from COARSE_TICK_HOSTS hosts on it is at least a minute, because every
 * engine decision looks at every host.
 */
export function resolveSettings(
  fields: SimulationFields,
  context: { hosts: number; checkIntervalMs: number },
  overrides: Partial<Pick<SimulationSettings, 'tickMs' | 'maxSteps' | 'horizonMs'>> = {},
): SimulationSettings {
  const tick = context.hosts >= COARSE_TICK_HOSTS ? Math.max(context.checkIntervalMs, MINUTE) : context.checkIntervalMs;
  return {
    patchMedianMs: fields.patchDuration ?? DEFAULTS.patchMedianMs,
    patchSpread: fields.patchSpread ?? DEFAULTS.patchSpread,
    rollbackMedianMs: fields.rollbackDuration ?? DEFAULTS.rollbackMedianMs,
    checkLatencyMs: fields.checkLatency ?? DEFAULTS.checkLatencyMs,
    latencySpread: fields.latencySpread ?? DEFAULTS.latencySpread,
    tickMs: overrides.tickMs ?? fields.tick ?? tick,
    patchTimeoutMs: fields.patchTimeout ?? DEFAULTS.patchTimeoutMs,
    releaseManager: {
      approveAfterMs: fields.releaseManager?.approveAfter ?? DEFAULTS.approveAfterMs,
      respondAfterMs: fields.releaseManager?.respondAfter ?? DEFAULTS.respondAfterMs,
      onPause: fields.releaseManager?.onPause ?? 'resume',
    },
    latencySampleBudget: DEFAULTS.latencySampleBudget,
    maxSteps: overrides.maxSteps ?? DEFAULTS.maxSteps,
    horizonMs: overrides.horizonMs ?? DEFAULTS.horizonMs,
  };
}
