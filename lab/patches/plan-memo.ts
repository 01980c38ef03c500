import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, shortHash } from '../images/hash.ts';

/**
 * What apt answers depends only on what the host has installed, the package lists and the
 * question. A run whose image and lists are the same as an earlier run's (lists reused within
 * their window) gets the same answer, so it is kept beside the cache and read back instead of
 * asking apt again: each simulation costs a second or more of the lab run.
 */
export interface PlanMemoKey {
  /** sha256 of the host's dpkg status file: exactly what it has installed. */
  installed: string;
  /** Which lists (a hash of their sources) ... */
  lists: string;
  /** ... as one refresh left them: a new refresh is a new key. */
  refreshedAt: number;
  /** 'discover', or the exact package versions of a fetch. */
  question: unknown;
}

/** Answers older than this are removed when a new one is written: lists that old are refreshed anyway. */
const KEEP_MS = 24 * 60 * 60_000;

export class PlanMemo {
  constructor(
    private readonly dir: string,
    private readonly now: () => number = Date.now,
  ) {}

  recall<T>(key: PlanMemoKey): T | undefined {
    try {
      const stored = JSON.parse(readFileSync(this.file(key), 'utf8')) as { key?: unknown; answer?: T };
      // The whole key is kept and compared: a short hash alone could collide.
      return canonicalJson(stored.key) === canonicalJson(key) ? stored.answer : undefined;
    } catch {
      // None yet, or a torn or foreign file: ask apt.
      return undefined;
    }
  }

  remember(key: PlanMemoKey, answer: unknown): void {
    mkdirSync(this.dir, { recursive: true });
    const file = this.file(key);
    const draft = `${file}.${process.pid}.tmp`;
    writeFileSync(draft, `${JSON.stringify({ key, answer })}\n`);
    // A reader sees the old file or the whole new one, never half of it.
    renameSync(draft, file);
    this.forgetOld();
  }

  private file(key: PlanMemoKey): string {
    return join(this.dir, `${shortHash(key, 24)}.json`);
  }

  private forgetOld(): void {
    for (const name of readdirSync(this.dir)) {
      const path = join(this.dir, name);
      try {
        if (this.now() - statSync(path).mtimeMs > KEEP_MS) rmSync(path, { force: true });
      } catch {
        // Removed by another run meanwhile.
      }
    }
  }
}
