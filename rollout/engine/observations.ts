/** Same vocabulary as the lab's check results, so a CheckResult can be passed as it is. */
export type CheckStatus = 'pass' | 'fail' | 'error' | 'skip';

export interface ObservedCheck {
  /** Stable across hosts, so one check's latencies can be compared between patched and unpatched hosts. */
  id: string;
  status: CheckStatus;
  metrics?: { latencyMs?: number };
  /**
   * Evidence for a check that did not pass, so the page can show why without the host: what the
   * check wanted and got ("status: expected 200, got 502") and an excerpt of what it saw (what
   * `nginx -t` printed). Shortened by the fleet driver; absent on a pass and in older records.
   */
  message?: string;
  output?: string;
}

/** One run of the checks against one host. */
export interface Observation {
  hostId: string;
  at: number;
  /** What the host ran when checked; tells patched samples from baseline ones. */
  version: string;
  checks: readonly ObservedCheck[];
}

export type ObservationIndex = ReadonlyMap<string, readonly Observation[]>;

/** Observations by host, oldest first. */
export function indexObservations(observations: readonly Observation[]): ObservationIndex {
  const byHost = new Map<string, Observation[]>();
  for (const observation of observations) {
    const list = byHost.get(observation.hostId);
    if (list) list.push(observation);
    else byHost.set(observation.hostId, [observation]);
  }
  for (const list of byHost.values()) list.sort((a, b) => a.at - b.at);
  return byHost;
}

/**
 * The checks an observation failed; an error counts as a failure, because a check that cannot
 * reach the host says as much about the host as a wrong answer does. Null when every check
 * was skipped and the run says nothing.
 */
export function failingChecks(observation: Observation): string[] | null {
  const judged = observation.checks.filter((c) => c.status !== 'skip');
  if (judged.length === 0) return null;
  return judged.filter((c) => c.status !== 'pass').map((c) => c.id);
}
