/**
 * Finds which items of a failing set make it fail: the culprit search behind `lab bisect`. Pure
 * apart from the injected `test`, so its guarantees are property-tested without a container.
 *
 * Each round is a binary search for the shortest failing prefix of the candidates, added to what
 * is known to be needed. For one culprit among N that costs ceil(log2 N) tests, one to confirm
 * the culprit fails alone (skipped when the search showed it already), and one of the rest to
 * show it passes. Given a monotone test (a superset of a failing set fails), every culprit set
 * found fails and passes without any one of its items (1-minimal). When the rest still fails,
 * another round searches it, so independent culprits are all found.
 *
 * The empty set passes by definition (nothing changed), and is never tested.
 */

export type Outcome = 'pass' | 'fail';
export type StepPurpose = 'whole' | 'search' | 'confirm' | 'rest';

export interface BisectStep<T> {
  /** 1-based, in the order the tests started. */
  index: number;
  /** Tests of one wave run at the same time. */
  wave: number;
  purpose: StepPurpose;
  subset: T[];
  /** Absent while the test runs. */
  outcome?: Outcome;
  durationMs?: number;
}

export interface StepEvent<T> {
  state: 'started' | 'finished';
  step: BisectStep<T>;
}

export interface CulpritSearchOptions<T> {
  items: readonly T[];
  /** `step` says which step this test is (its index in `steps`), for the caller's own records. */
  test: (subset: T[], step: { index: number; purpose: StepPurpose }) => Promise<Outcome>;
  /** How many tests may run at once (default 1). Above 1, a wave probes several points: fewer waves, more tests. */
  concurrency?: number;
  /** The caller saw the whole set fail (the run being bisected): it is not tested again. */
  wholeSetFailed?: boolean;
  onStep?: (event: StepEvent<T>) => void;
  now?: () => number;
}

export interface CulpritSearchResult<T> {
  /** Disjoint minimal failing sets, in the order found; empty when the whole set passes. */
  culprits: T[][];
  /** For each culprit set, the step that saw it fail on its own, or 'given' (the whole set the caller saw fail). */
  provenBy: (number | 'given')[];
  /** Everything but the culprits; it passed (step `restProvenBy`, or trivially when empty). */
  rest: T[];
  restProvenBy: number | 'given' | 'empty';
  testsRun: number;
  waves: number;
  steps: BisectStep<T>[];
}

export async function findCulprits<T>(options: CulpritSearchOptions<T>): Promise<CulpritSearchResult<T>> {
  const search = new Search(options);
  return search.run();
}

class Search<T> {
  private readonly concurrency: number;
  private readonly steps: BisectStep<T>[] = [];
  /** Outcomes by subset (sorted item indices): a subset is never tested twice. */
  private readonly known = new Map<string, { outcome: Promise<Outcome>; step: number | 'given' }>();
  private waves = 0;

  constructor(private readonly options: CulpritSearchOptions<T>) {
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
  }

  async run(): Promise<CulpritSearchResult<T>> {
    const all = this.options.items.map((_, i) => i);
    const done = (culprits: number[][], provenBy: (number | 'given')[], rest: number[], restProvenBy: number | 'given' | 'empty') => ({
      culprits: culprits.map((c) => this.subset(c)),
      provenBy,
      rest: this.subset(rest),
      restProvenBy,
      testsRun: this.steps.length,
      waves: this.waves,
      steps: this.steps,
    });
    if (all.length === 0) return done([], [], [], 'empty');
    if (this.options.wholeSetFailed) this.known.set(key(all), { outcome: Promise.resolve('fail'), step: 'given' });
    const [whole] = await this.wave([{ indices: all, purpose: 'whole' }]);
    if (whole === 'pass') return done([], [], all, this.stepOf(all));
    const culprits: number[][] = [];
    let pool = all;
    for (;;) {
      const culprit = await this.minimalFailing(pool);
      culprits.push(culprit);
      const rest = pool.filter((i) => !culprit.includes(i));
      if (rest.length === 0) return done(culprits, culprits.map((c) => this.stepOf(c)), [], 'empty');
      const [outcome] = await this.wave([{ indices: rest, purpose: 'rest' }]);
      if (outcome === 'pass') return done(culprits, culprits.map((c) => this.stepOf(c)), all.filter((i) => !culprits.flat().includes(i)), this.stepOf(rest));
      pool = rest;
    }
  }

  /** A 1-minimal failing subset of `pool`, which is known to fail. */
  private async minimalFailing(pool: readonly number[]): Promise<number[]> {
    let needed: number[] = [];
    let candidates = [...pool];
    // Shortest failing prefix length lies in (lo, hi]; lo = -1: not even `needed` alone is known to pass.
    let lo = 0;
    let hi = candidates.length;
    for (;;) {
      while (hi - lo > 1) {
        // Beside a confirmation, one slot tests what the rest would be if it holds: with one culprit, the next question.
        const speculate = lo < 0 && this.concurrency > 1;
        const points = probePoints(lo, hi, speculate ? this.concurrency - 1 : this.concurrency);
        const requests = points.map((length) => ({
          indices: [...needed, ...candidates.slice(0, length)],
          purpose: (length === 0 ? 'confirm' : 'search') as StepPurpose,
        }));
        if (speculate) requests.push({ indices: pool.filter((i) => !needed.includes(i)), purpose: 'rest' });
        const outcomes = await this.wave(requests);
        // Failing probes lower hi first, so that a test that is not monotone still narrows the range.
        points.forEach((length, i) => outcomes[i] === 'fail' && (hi = Math.min(hi, length)));
        points.forEach((length, i) => outcomes[i] === 'pass' && length < hi && (lo = Math.max(lo, length)));
      }
      if (hi === 0) return needed;
      needed = [...needed, candidates[hi - 1] as number];
      candidates = candidates.slice(0, hi - 1);
      // needed + candidates is the failing prefix just found: with no candidates left, needed is proven.
      if (candidates.length === 0) return needed;
      lo = -1;
      hi = candidates.length;
    }
  }

  /** Runs the subsets not known yet, at most `concurrency` at once, and answers for all of them. */
  private async wave(requests: { indices: number[]; purpose: StepPurpose }[]): Promise<Outcome[]> {
    const fresh = requests.filter((r, i) => !this.known.has(key(r.indices)) && requests.findIndex((o) => key(o.indices) === key(r.indices)) === i);
    if (fresh.length > 0) this.waves++;
    for (const r of fresh) {
      const step: BisectStep<T> = { index: this.steps.length + 1, wave: this.waves, purpose: r.purpose, subset: this.subset(r.indices) };
      this.steps.push(step);
      this.known.set(key(r.indices), { outcome: this.runStep(step), step: step.index });
    }
    // allSettled: a test that throws must not leave the others of its wave running unwatched.
    const settled = await Promise.allSettled(requests.map((r) => (this.known.get(key(r.indices)) as { outcome: Promise<Outcome> }).outcome));
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    return settled.map((s) => (s as PromiseFulfilledResult<Outcome>).value);
  }

  private async runStep(step: BisectStep<T>): Promise<Outcome> {
    const now = this.options.now ?? Date.now;
    const started = now();
    this.options.onStep?.({ state: 'started', step: { ...step } });
    const outcome = await this.options.test([...step.subset], { index: step.index, purpose: step.purpose });
    if (outcome !== 'pass' && outcome !== 'fail') throw new Error(`bisect: a test must answer "pass" or "fail", got ${JSON.stringify(outcome)}`);
    step.outcome = outcome;
    step.durationMs = now() - started;
    this.options.onStep?.({ state: 'finished', step: { ...step } });
    return outcome;
  }

  private stepOf(indices: readonly number[]): number | 'given' {
    return this.known.get(key(indices))?.step ?? 'given';
  }

  private subset(indices: readonly number[]): T[] {
    return [...indices].sort((a, b) => a - b).map((i) => this.options.items[i] as T);
  }
}

function key(indices: readonly number[]): string {
  return [...indices].sort((a, b) => a - b).join(',');
}

/**
 * Prefix lengths to test, strictly inside (lo, hi). With lo = -1 the first is 0: does what is
 * known to be needed fail alone? In the common case of one culprit it does, and the round ends.
 */
export function probePoints(lo: number, hi: number, concurrency: number): number[] {
  const points = new Set<number>();
  let from = lo;
  let slots = concurrency;
  if (lo < 0) {
    points.add(0);
    from = 0;
    slots--;
  }
  const span = hi - from;
  for (let i = 1; i <= slots; i++) points.add(from + Math.round((i * span) / (slots + 1)));
  return [...points].filter((p) => p > lo && p < hi).sort((a, b) => a - b);
}
