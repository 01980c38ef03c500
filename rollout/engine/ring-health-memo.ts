import { countVerdict, emptyRingHealth, finishRingHealth, judgeHost, type HostVerdict, type RingHealth } from './host-verdict.ts';
import type { ObservationLog } from './observation-log.ts';
import type { RolloutPolicy } from './policy.ts';
import { hostsOfRing, type HostState, type RolloutState } from './state.ts';

/*
 * ringHealth for a rollout whose checks are kept in an ObservationLog: each host's verdict is
 * remembered and judged again only when something it depends on changed (the host's state, its
 * history, the target or the policy), or when it may turn with the clock (unobserved and suspect
 * hosts, whose timeouts run). The result is the one a full pass would give, in the same order:
 * the same judgeHost decides, and the same countVerdict adds the hosts up.
 */

const NOT_PATCHED = 0;
const PASSING = 1;
const OTHER = 2;

interface RingMemo {
  hosts: readonly HostState[];
  positionOf: Map<string, number>;
  target: string;
  checkTimeoutMs: number;
  maxFlaps: number;
  /** Log changes already taken into account. */
  cursor: number;
  kinds: Uint8Array;
  /** The verdicts of OTHER hosts, which the lists name. */
  verdicts: (HostVerdict | undefined)[];
  /** Positions judged again at every call: their verdict may change with the time alone. */
  timed: Set<number>;
  passing: number;
  others: number;
}

const memos = new WeakMap<ObservationLog, Map<string, RingMemo>>();

export function ringHealthFromLog(state: RolloutState, ring: number, log: ObservationLog, now: number, policy: RolloutPolicy): RingHealth {
  const spec = state.rings[ring];
  if (!spec) throw new Error(`rollout ${state.id} has no ring ${ring}`);
  const hosts = hostsOfRing(state, ring);
  let byRing = memos.get(log);
  if (!byRing) {
    byRing = new Map();
    memos.set(log, byRing);
  }
  const key = `${state.id}\u0000${ring}`;
  const known = byRing.get(key);
  const memo = known && stillApplies(known, hosts, state.patch.version, policy) ? known : fresh(hosts, state.patch.version, policy, log);
  if (memo !== known) {
    byRing.set(key, memo);
    for (let p = 0; p < hosts.length; p++) judge(memo, p, log, now, policy);
  } else {
    const changed = changedPositions(memo, hosts, log);
    for (const p of memo.timed) changed.add(p);
    for (const p of changed) judge(memo, p, log, now, policy);
  }

  const health = emptyRingHealth(spec, ring);
  health.patched = memo.passing;
  health.passing = memo.passing;
  if (memo.others > 0) {
    for (let p = 0; p < hosts.length; p++) if (memo.kinds[p] === OTHER) countVerdict(health, hosts[p]!, memo.verdicts[p]!);
  }
  return finishRingHealth(health);
}

function stillApplies(memo: RingMemo, hosts: readonly HostState[], target: string, policy: RolloutPolicy): boolean {
  if (memo.hosts.length !== hosts.length || memo.target !== target) return false;
  if (memo.checkTimeoutMs !== policy.checkTimeoutMs || memo.maxFlaps !== policy.maxFlaps) return false;
  if (memo.hosts === hosts) return true;
  for (let p = 0; p < hosts.length; p++) if (hosts[p] !== memo.hosts[p] && hosts[p]!.id !== memo.hosts[p]!.id) return false;
  return true;
}

function fresh(hosts: readonly HostState[], target: string, policy: RolloutPolicy, log: ObservationLog): RingMemo {
  return {
    hosts,
    positionOf: new Map(hosts.map((h, p) => [h.id, p])),
    target,
    checkTimeoutMs: policy.checkTimeoutMs,
    maxFlaps: policy.maxFlaps,
    cursor: log.changeCount,
    kinds: new Uint8Array(hosts.length),
    verdicts: new Array<HostVerdict | undefined>(hosts.length),
    timed: new Set(),
    passing: 0,
    others: 0,
  };
}

/**
 * Hosts whose state object was replaced since the last call, and hosts the log says got new
 * checks, each once however many checks it got.
 */
function changedPositions(memo: RingMemo, hosts: readonly HostState[], log: ObservationLog): Set<number> {
  const changed = new Set<number>();
  if (memo.hosts !== hosts) {
    // A pointer comparison per host: a transition keeps every host object it does not change.
    for (let p = 0; p < hosts.length; p++) if (hosts[p] !== memo.hosts[p]) changed.add(p);
    memo.hosts = hosts;
  }
  for (let n = memo.cursor; n < log.changeCount; n++) {
    const p = memo.positionOf.get(log.changeAt(n));
    if (p !== undefined) changed.add(p);
  }
  memo.cursor = log.changeCount;
  return changed;
}

function judge(memo: RingMemo, p: number, log: ObservationLog, now: number, policy: RolloutPolicy): void {
  const host = memo.hosts[p]!;
  const before = memo.kinds[p];
  if (before === PASSING) memo.passing--;
  else if (before === OTHER) memo.others--;
  memo.verdicts[p] = undefined;
  memo.timed.delete(p);
  if (host.phase !== 'healthy' && host.phase !== 'failed') {
    memo.kinds[p] = NOT_PATCHED;
    return;
  }
  const verdict = judgeHost(host, log.get(host.id) ?? [], memo.target, now, policy);
  if (verdict.kind === 'passing') {
    memo.kinds[p] = PASSING;
    memo.passing++;
  } else {
    memo.kinds[p] = OTHER;
    memo.others++;
    memo.verdicts[p] = verdict;
  }
  // Until a host has a patch time, judgeHost measures from now; unobserved and suspect hosts time out.
  if (verdict.kind === 'unobserved' || verdict.kind === 'suspect' || (host.patchedAt === null && host.failure === null)) memo.timed.add(p);
}
