import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Host } from '../hosts/host.ts';
import { restartService, type ServiceOutcome } from '../hosts/services.ts';
import type { LabSets } from './lab-sets.ts';
import type { RebootRecord } from './reboot-step.ts';

/* Steps of a lab run (lab-run.ts) that need nothing of the run but their arguments. */

/** What a fleet does after patching (needrestart), on each patched host; the first outcome that went wrong, else the first. */
export async function restartTargets(sets: LabSets, set: Map<string, Host>, targets: readonly string[]): Promise<ServiceOutcome> {
  const outcomes = await Promise.all(targets.map((t) => restartService(set.get(t) as Host, sets.member(t).image.definition)));
  return outcomes.find((o) => !o.ok) ?? (outcomes[0] as ServiceOutcome);
}

export async function rebootHost(host: Host, expectedKernel: string | undefined, timeoutMs: number | undefined): Promise<RebootRecord> {
  const kernelBefore = (await host.exec(['uname', '-r'], { timeoutMs: 30_000 })).stdout.trim();
  const outcome = await (host.reboot as NonNullable<Host['reboot']>).call(host, timeoutMs);
  return { ...outcome, kernelBefore, ...(expectedKernel ? { expectedKernel } : {}) };
}

/** The whole console tail beside the report: the first thing to read when a host did not boot. */
export function writeConsole(dir: string, which: string, text: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `console-${which}.log`), `${text}\n`);
}

export function describeChange(change: { name: string; before?: string; after?: string }): string {
  return `${change.name} (${change.after ?? 'removed'} instead of ${change.before ?? 'absent'})`;
}

/** dpkg names the packages it could not configure; fall back to the whole set. */
export function failedPackages(output: string, names: readonly string[]): string[] {
  const failed = new Set<string>();
  for (const m of output.matchAll(/^ ([a-z0-9][a-z0-9+.-]+)(?::\w+)?$/gm)) if (m[1]) failed.add(m[1]);
  for (const m of output.matchAll(/error processing (?:package|archive) \S*?([a-z0-9][a-z0-9+.-]+)(?::\w+)?[_ (]/g)) if (m[1]) failed.add(m[1]);
  return failed.size > 0 ? [...failed] : [...names];
}
