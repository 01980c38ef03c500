import { loadScenario, type Scenario } from '../../scenarios/load.ts';
import { DEFAULT_SUITE, debianMirror, type DebianMirror } from '../../lab/config/mirror.ts';
import type { HoldStore } from '../../lab/holds/hold-store.ts';
import type { Hold } from '../../lab/holds/holds.ts';
import { findProject, projectHolds } from '../../lab/project/project.ts';
import { openConfiguredStore } from '../../rollout/store/open-store.ts';
import type { Store } from '../../rollout/store/store.ts';
import { WebhookNotifier } from '../../lab/notify/webhook-notifier.ts';
import { webhookTargetsFrom } from '../../lab/notify/webhook-targets.ts';

export { dockerStartup } from '../../lab/hosts/startup.ts';
export { newRunId } from '../../lab/run/run-id.ts';

export interface MirrorFlags {
  mirror?: string;
  securityMirror?: string;
}

/** The archives the flags override; the rest come from this machine's apt sources. */
export function mirrorOverrides(flags: MirrorFlags): { archive?: string; security?: string } {
  return { ...(flags.mirror ? { archive: flags.mirror } : {}), ...(flags.securityMirror ? { security: flags.securityMirror } : {}) };
}

export function mirrorFrom(flags: MirrorFlags, suite = DEFAULT_SUITE): DebianMirror {
  return debianMirror(suite, mirrorOverrides(flags));
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** The notifier of PATCHLAB_WEBHOOKS (none set: it posts nothing); failures go to stderr. */
export function webhookNotifier(): WebhookNotifier {
  return new WebhookNotifier({ targets: webhookTargetsFrom(), log: (message) => process.stderr.write(`patchlab: ${message}\n`) });
}

/** How long a finished command waits for its notifications before it exits. */
export const NOTIFY_GRACE_MS = 15_000;

/** A scenario with what the project's patchlab.yaml gives every scenario (policy rules, minimum age) where it says nothing itself. */
export function loadProjectScenario(file: string): Scenario {
  const project = findProject();
  return loadScenario(file, project ? { file: project.file, ...(project.policyRules ? { policyRules: project.policyRules } : {}), ...(project.minimumAgeMs !== undefined ? { minimumAgeMs: project.minimumAgeMs } : {}) } : undefined);
}

/** Every hold in force: those set from the page, the API or the CLI, then the project's own. */
export async function currentHolds(store: HoldStore): Promise<Hold[]> {
  const project = findProject();
  return [...(await store.listHolds()), ...(project ? projectHolds(project) : [])];
}

/** The configured store for one command's work, closed after it whatever happens. */
export async function withStore<T>(work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openConfiguredStore();
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}
