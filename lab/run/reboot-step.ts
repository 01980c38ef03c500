import type { RebootOutcome } from '../hosts/host.ts';

/** What a lab run keeps of a reboot: the outcome, and which kernel should have come up. */
export interface RebootRecord extends RebootOutcome {
  /** uname -r before the reboot. */
  kernelBefore: string;
  /** The kernel the host must run now: the one the patch installed, or the one before a rollback. */
  expectedKernel?: string;
}

/**
 * The kernel release a patch installs, from the names of the packages it installs: Debian names
 * each kernel build linux-image-<release> (linux-image-6.1.0-56-amd64 runs as 6.1.0-56-amd64);
 * linux-image-amd64 is only the metapackage that pulls it in. Pure.
 */
export function kernelInstalledBy(packageNames: readonly string[]): string | undefined {
  const releases = packageNames
    .map((name) => /^linux-image-(\d[a-z0-9.+~-]*)$/.exec(name)?.[1])
    .filter((r): r is string => r !== undefined && !r.endsWith('-dbg') && !r.endsWith('-unsigned'));
  return releases.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).at(-1);
}

/** The console lines that say why a boot stopped, else its last lines. Pure. */
export function bootEvidence(console: string): string {
  const lines = console
    .split('\n')
    .map((l) => l.replace(/^\[\s*\d+\.\d+\]\s*/, '').trim())
    .filter(Boolean);
  const telling = lines.filter((l) => /kernel panic|unable to mount|not syncing|emergency|gave up waiting|fail/i.test(l));
  return (telling.length > 0 ? telling.slice(0, 2) : lines.slice(-3)).join(' / ');
}

/** Why a reboot makes the run fail, if it does. Pure. */
export function rebootProblem(record: RebootRecord, which: 'patched' | 'rolled-back'): string | undefined {
  if (!record.ok) {
    const evidence = bootEvidence(record.console);
    return `the ${which} host did not come back from its reboot: ${record.detail}${evidence ? `; console: ${evidence}` : ''}`;
  }
  if (record.expectedKernel && record.kernel !== record.expectedKernel) {
    return `the ${which} host booted kernel ${record.kernel ?? 'unknown'}, expected ${record.expectedKernel}`;
  }
  return undefined;
}
