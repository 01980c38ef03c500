import { positionOf } from './engine-memo.ts';
import { countVerdict, emptyRingHealth, finishRingHealth, FAILED_RUN, judgeHost, PASSING as PASSING_VERDICT, runOf, type HostVerdict, type RingHealth } from './host-verdict.ts';
import type { ObservationVisitor } from './positioned-histories.ts';
import { ringJournal, summaryOf } from './host-summary.ts';
import { PositionSet } from './position-set.ts';
import type { ObservationLog } from './observation-log.ts';
import type { RolloutPolicy } from './policy.ts';
import { hostsOfRing, type HostState, type RolloutState } from './state.ts';

/*
 * ringHealth for a rollout whose checks are kept in an ObservationLog: each host's verdict is
 * remembered and judged again only when something it depends on changed (the host's state, its
 * history, the target, the policy or the take-overs), or when it may have turned with the clock (an unobserved
 * or suspect host whose timeout ran out). The result is the one a full pass would give, in the
 * same order: the same judgeHost decides, and the same countVerdict adds the hosts up.
 */

const NOT_PATCHED = 0;
const PASSING = 1;
const OTHER = 2;

interface RingMemo {
  hosts: readonly HostState[];
  /** For each position in the ring, the host's position in the list. */
  inList: Int32Array;
  target: string;
  checkTimeoutMs: number;
  maxFlaps: number;
  /** The state's take-overs judged by: a new one may move any timeout, so it starts afresh. */
  takeOvers: readonly number[];
  /** Log changes already taken into account. */
  cursor: number;
  /** The journal of in-place edits of the ring's list last looked at, and how much of it was read. */
  journal: readonly number[];
  journalRead: number;
  kinds: Uint8Array;
  /** The verdicts of OTHER hosts, which the lists name. */
  verdicts: (HostVerdict | undefined)[];
  /** Positions whose verdict may change with the time alone, and the earliest time one may. */
  timed: PositionSet;
  turnsAt: number;
  passing: number;
  /** Positions of OTHER hosts. */
  others: PositionSet;
  /** The call that last marked each position as changed, so a position is judged once per call. */
  marked: Int32Array;
  calls: number;
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
  const memo = known && stillApplies(known, hosts, state, policy) ? known : fresh(state, ring, hosts, policy, log);
  memo.inList = summaryOf(state.hosts).rings[ring]?.inList ?? memo.inList;
  if (memo !== known) {
    byRing.set(key, memo);
    for (let p = 0; p < hosts.length; p++) judge(memo, p, log, now, policy);
  } else {
    const changed = changedPositions(memo, state, ring, hosts, log);
    if (now >= memo.turnsAt) {
      for (const p of memo.timed.members()) mark(memo, changed, p);
      memo.turnsAt = Number.POSITIVE_INFINITY;
    }
    for (const p of changed) judge(memo, p, log, now, policy);
  }

  const health = emptyRingHealth(spec, ring);
  health.patched = memo.passing;
  health.passing = memo.passing;
  for (const p of memo.others.inOrder()) countVerdict(health, hosts[p]!, memo.verdicts[p]!);
  return finishRingHealth(health);
}

function stillApplies(memo: RingMemo, hosts: readonly HostState[], state: RolloutState, policy: RolloutPolicy): boolean {
  if (memo.hosts.length !== hosts.length || memo.target !== state.patch.version) return false;
  if (!sameTakeOvers(memo.takeOvers, takeOversOf(state))) return false;
  if (memo.checkTimeoutMs !== policy.checkTimeoutMs || memo.maxFlaps !== policy.maxFlaps) return false;
  if (memo.hosts === hosts) return true;
  for (let p = 0; p < hosts.length; p++) if (hosts[p] !== memo.hosts[p] && hosts[p]!.id !== memo.hosts[p]!.id) return false;
  return true;
}

function fresh(state: RolloutState, ring: number, hosts: readonly HostState[], policy: RolloutPolicy, log: ObservationLog): RingMemo {
  return {
    hosts,
    inList: new Int32Array(0),
    target: state.patch.version,
    checkTimeoutMs: policy.checkTimeoutMs,
    maxFlaps: policy.maxFlaps,
    takeOvers: takeOversOf(state),
    cursor: log.changeCount,
    journal: ringJournal(state.hosts, ring),
    journalRead: ringJournal(state.hosts, ring).length,
    kinds: new Uint8Array(hosts.length),
    verdicts: new Array<HostVerdict | undefined>(hosts.length),
    timed: new PositionSet(hosts.length),
    turnsAt: Number.POSITIVE_INFINITY,
    passing: 0,
    others: new PositionSet(hosts.length),
    marked: new Int32Array(hosts.length),
    calls: 0,
  };
}

const NONE: readonly number[] = [];
const takeOversOf = (state: RolloutState): readonly number[] => state.takeOvers ?? NONE;
/** Take-overs are only ever added: the same count and last one are the same list. */
const sameTakeOvers = (a: readonly number[], b: readonly number[]) => a === b || (a.length === b.length && a.at(-1) === b.at(-1));

/**
 * Hosts replaced since the last call, each once however many checks it got: those the journal of
 * the list last looked at says were edited in place, then, when the list is another one, those
 * whose pointers differ (a transition keeps every host object it does not change); and hosts the
 * log says got new checks.
 */
function changedPositions(memo: RingMemo, state: RolloutState, ring: number, hosts: readonly HostState[], log: ObservationLog): number[] {
  const changed: number[] = [];
  memo.calls++;
  for (let n = memo.journalRead; n < memo.journal.length; n++) mark(memo, changed, memo.journal[n]!);
  if (memo.hosts !== hosts) {
    for (let p = 0; p < hosts.length; p++) if (hosts[p] !== memo.hosts[p]) mark(memo, changed, p);
    memo.hosts = hosts;
  }
  memo.journal = ringJournal(state.hosts, ring);
  memo.journalRead = memo.journal.length;
  const positionInRing = summaryOf(state.hosts).positionInRing;
  for (let n = memo.cursor; n < log.changeCount; n++) {
    // A position given with a check result is the host's (the log's contract): whether it is in
    // this ring is two numbers away, with no look at the host.
    const given = log.changePositionAt(n);
    const i = given >= 0 ? given : positionOf(state, log.changeAt(n), undefined);
    if (i === undefined || i >= state.hosts.length) continue;
    const p = positionInRing[i]!;
    if (memo.inList[p] === i) mark(memo, changed, p);
  }
  memo.cursor = log.changeCount;
  return changed;
}

function mark(memo: RingMemo, changed: number[], p: number): void {
  if (memo.marked[p] === memo.calls) return;
  memo.marked[p] = memo.calls;
  changed.push(p);
}

function judge(memo: RingMemo, p: number, log: ObservationLog, now: number, policy: RolloutPolicy): void {
  const host = memo.hosts[p]!;
  const before = memo.kinds[p];
  if (before === PASSING) memo.passing--;
  memo.verdicts[p] = undefined;
  memo.timed.delete(p);
  const verdict =
    host.phase === 'healthy' || host.phase === 'failed'
      ? passingInLog(host, memo.inList[p] ?? -1, log, memo.target, now)
        ? PASSING_VERDICT
        : judgeHost(host, log.historyAt(memo.inList[p] ?? -1, host.id) ?? [], memo.target, now, policy, memo.takeOvers)
      : null;
  const kind = verdict === null ? NOT_PATCHED : verdict.kind === 'passing' ? PASSING : OTHER;
  memo.kinds[p] = kind;
  if (kind === PASSING) memo.passing++;
  if (kind === OTHER) memo.others.add(p);
  else memo.others.delete(p);
  if (verdict === null) return;
  if (kind === OTHER) memo.verdicts[p] = verdict;
  const turns = turnsAt(host, verdict, policy);
  if (turns !== null) {
    memo.timed.add(p);
    memo.turnsAt = Math.min(memo.turnsAt, turns);
  }
}

/** When a verdict may turn with the clock alone: an unobserved or suspect host fails when its timeout runs out. */
function turnsAt(host: HostState, verdict: HostVerdict, policy: RolloutPolicy): number | null {
  // Until a host has a patch time, judgeHost measures from now: its verdict changes at every call.
  if (host.patchedAt === null && host.failure === null) return Number.NEGATIVE_INFINITY;
  if (verdict.kind === 'unobserved' || verdict.kind === 'suspect') return verdict.since + policy.checkTimeoutMs;
  return null;
}

/*
 * What judgeHost's first look finds (no failure recorded, a run since the patch and none failed),
 * read from the log's columns without a history made for the host: most hosts, most of the time.
 * Anything else, or a host the log does not keep by position, is judged in full.
 */
const seen = { target: '', since: 0, runs: 0, failed: false };
const countRun: ObservationVisitor = (_hostId, _position, at, version, checks) => {
  const run = runOf(version, at, checks, seen.target, seen.since);
  if (run === FAILED_RUN) seen.failed = true;
  else seen.runs += run;
};

function passingInLog(host: HostState, position: number, log: ObservationLog, target: string, now: number): boolean {
  if (host.phase !== 'healthy' || host.failure) return false;
  seen.target = target;
  seen.since = host.patchedAt ?? now;
  seen.runs = 0;
  seen.failed = false;
  return log.visitAt(position, host.id, countRun) && !seen.failed && seen.runs > 0;
}
