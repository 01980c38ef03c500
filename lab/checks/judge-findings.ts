import { showValue } from './matcher-values.ts';
import { describeMatcher, excerpt, matches } from './matcher-eval.ts';
import { type Matcher } from './matchers.ts';
import type { CheckResult } from './types.ts';

/**
 * What a judge says about one resource: what differs, in words ("status: expected 200, got
 * 502"); no problems means pass. `skipped` says why it was not judged at all (status skip).
 */
export interface Judgement {
  problems: string[];
  skipped?: string;
  metrics?: CheckResult['metrics'];
  evidence?: CheckResult['evidence'];
}

/** goss's implicit expectation where a file names none: the thing must exist for its other attributes to hold. */
const MUST_EXIST: Matcher = { op: 'equal', value: true };

export class Findings {
  readonly problems: string[] = [];

  /**
   * One attribute against its expectation. `none` names an empty list in messages
   * ("none installed"); `detail` adds what explains the value (the command's last stderr line).
   */
  expect(attribute: string, matcher: Matcher | undefined, actual: unknown, options: { detail?: string; none?: string } = {}): void {
    if (!matcher || matches(matcher, actual)) return;
    for (const difference of differences(matcher, actual, options.none ?? 'none')) this.problems.push(`${attribute}: ${difference}${options.detail ?? ''}`);
  }

  /**
   * goss's `exists`: a thing that is not there fails every attribute but `exists: false`, and
   * nothing more is judged of it. Says whether it is there, to judge its other attributes.
   */
  expectPresence<T>(exists: Matcher | undefined, found: T | undefined): found is T {
    const there = found !== undefined;
    this.expect('exists', there ? exists : (exists ?? MUST_EXIST), there);
    return there;
  }

  /** Text patterns, each its own problem: `body: expected to contain "ok", got "<h1>502..."`. */
  expectText(attribute: string, matchers: readonly Matcher[] | undefined, text: string): void {
    for (const matcher of matchers ?? []) {
      if (!matches(matcher, text)) this.problems.push(`${attribute}: expected to ${describeMatcher(matcher)}, got ${excerpt(text)}`);
    }
  }

  judgement(extra: Omit<Judgement, 'problems'> = {}): Judgement {
    return { problems: this.problems, ...extra };
  }
}

/** A list expected to hold elements says which it lacks, one by one, as goss's list default reads. */
function differences(matcher: Matcher, actual: unknown, none: string): string[] {
  if (matcher.op === 'equal') return [`expected ${showValue(matcher.value)}, got ${showValue(actual)}`];
  if (matcher.op === 'contain-elements' && Array.isArray(actual)) {
    const got = actual.map(String).join(', ') || none;
    const lacking = matcher.matchers.filter((m) => !actual.some((element) => matches(m, element)));
    if (lacking.length > 0) return lacking.map((m) => `expected one to ${describeMatcher(m)}, got ${got}`);
    return [`expected to ${describeMatcher(matcher)}, each by an element of its own, got ${got}`];
  }
  return [`expected to ${describeMatcher(matcher)}, got ${showValue(actual)}`];
}
