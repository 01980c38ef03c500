import picomatch from 'picomatch';
import { PatchRequestError, type SelectedPatch } from '../patches/request.ts';

/** A package kept back from every patch until someone lifts it: a name or a glob (`linux-image-*`), with who and why. */
export interface Hold {
  pattern: string;
  reason: string;
  by: string;
  at: number;
  /** Where it comes from: the holds store (set from the page, the API or the CLI), or a scenario or project file. */
  source: string;
}

export interface HeldUpdate {
  name: string;
  version: string;
  hold: Hold;
}

/** The hold that keeps a package back, if any; the first listed wins. Pure. */
export function holdOf(name: string, holds: readonly Hold[]): Hold | undefined {
  return holds.find((hold) => picomatch.isMatch(name, hold.pattern));
}

/** The patch without the held updates, and those left out with the hold that kept each back. Pure. */
export function withoutHeld(selected: SelectedPatch, holds: readonly Hold[]): { selected: SelectedPatch; held: HeldUpdate[] } {
  const held: HeldUpdate[] = [];
  const packages = selected.packages.filter((p) => {
    const hold = holdOf(p.name, holds);
    if (hold) held.push({ ...p, hold });
    return !hold;
  });
  return { selected: { ...selected, packages }, held };
}

/**
 * A held package apt would still install, pulled in by an update that needs its new version:
 * the patch cannot go on without it, so it does not go on. Throws a PatchRequestError naming it.
 */
export function refuseHeldInPlan(planned: readonly { name: string }[], holds: readonly Hold[]): void {
  const pulled = planned.flatMap((p) => {
    const hold = holdOf(p.name, holds);
    return hold ? [`${p.name} (held by ${hold.by}: ${hold.reason})`] : [];
  });
  if (pulled.length > 0) {
    throw new PatchRequestError(`the patch needs held package(s) ${pulled.join(', ')}: leave out what depends on them, or lift the hold`);
  }
}

/** "tzdata (held by alice: waits for the DST fix)": how a report says why an update was left out. */
export function describeHeld(held: HeldUpdate): string {
  return `${held.name} ${held.version} (held by ${held.hold.by}${held.hold.source === 'store' ? '' : ` in ${held.hold.source}`}: ${held.hold.reason})`;
}

export const HOLD_PATTERN = /^[a-z0-9*?[\]{},.+-]{1,100}$/;
