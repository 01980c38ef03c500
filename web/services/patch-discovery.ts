import type { SourceAdvisory } from '../../lab/advisories/advisory.ts';
import type { CandidatePatch } from '../../lab/patches/request.ts';

/*
 * Candidate patches per image, remembered in memory with the time they were found. Discovery
 * starts a container and refreshes the package lists, so it runs only when someone asks for it
 * (the page's refresh button), never on a page load, and one image is never discovered twice at
 * the same time.
 */

/**
 * The port discovery runs through; bin/ wires the lab's (lab/patches/discover.ts), tests may wire
 * their own. The advisories are read once, with the candidates, and kept with them: the page is
 * polled, and reading a changelog means opening a .deb.
 */
export type Discover = (image: string) => Promise<Discovered>;

export interface Discovered {
  candidates: CandidatePatch[];
  /** One per source package of the candidates, from their changelogs in the package cache. */
  advisories: SourceAdvisory[];
}

export type DiscoveryStatus = 'never' | 'running' | 'ready' | 'failed';

export interface DiscoveryEntry {
  image: string;
  status: DiscoveryStatus;
  /** The last list found; kept while a refresh runs or after one fails. */
  candidates: CandidatePatch[];
  advisories: SourceAdvisory[];
  /** When `candidates` were found. */
  foundAt: number | null;
  startedAt: number | null;
  error: string | null;
}

export class UnknownImageError extends Error {
  override name = 'UnknownImageError';
}

export class PatchDiscovery {
  private readonly entries = new Map<string, DiscoveryEntry>();
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly discover: Discover,
    private readonly images: () => readonly string[],
    private readonly now: () => number = Date.now,
  ) {}

  list(): DiscoveryEntry[] {
    return this.images().map((image) => this.entries.get(image) ?? { image, status: 'never', candidates: [], advisories: [], foundAt: null, startedAt: null, error: null });
  }

  /** Starts a discovery of the image unless one is running; returns at once. */
  refresh(image: string): DiscoveryEntry {
    if (!this.images().includes(image)) throw new UnknownImageError(`no image definition named ${image}; known: ${this.images().join(', ')}`);
    const before = this.list().find((e) => e.image === image)!;
    if (this.running.has(image)) return before;
    const entry: DiscoveryEntry = { ...before, status: 'running', startedAt: this.now(), error: null };
    this.entries.set(image, entry);
    const job = this.discover(image)
      .then(({ candidates, advisories }) => {
        this.entries.set(image, { ...entry, status: 'ready', candidates, advisories, foundAt: this.now(), error: null });
      })
      .catch((error: Error) => {
        this.entries.set(image, { ...entry, status: 'failed', error: error.message });
      })
      .finally(() => this.running.delete(image));
    this.running.set(image, job);
    return entry;
  }

  /** Resolves once no discovery runs: for a clean shutdown, and for tests. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }
}

/** The severity a rollout of the candidate gets by default, as a scenario would assign it. */
export function candidateSeverity(candidate: CandidatePatch): 'high' | 'medium' {
  return candidate.security ? 'high' : 'medium';
}
