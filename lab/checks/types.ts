import type { Host } from '../hosts/host.ts';

/** goss's resource types that are checks (all but gossfile, which includes files), and browser specs. */
export type CheckKind =
  | 'package' | 'service' | 'process' | 'port' | 'http' | 'command' | 'file'
  | 'user' | 'group' | 'kernel-param' | 'mount' | 'interface' | 'addr' | 'dns' | 'matching'
  | 'browser';

/**
 * pass / fail: the check ran and judged the host. error: the check itself could not run or
 * judge (it hung, the host is gone). skip: this attribute cannot be observed on this kind of host.
 */
export type CheckStatus = 'pass' | 'fail' | 'error' | 'skip';

export interface CheckResult {
  /** Stable across twins, so the baseline and patched results of one check can be paired: "http:http://localhost/healthz". */
  id: string;
  kind: CheckKind;
  /** What a person reads: "http http://localhost/healthz". */
  name: string;
  status: CheckStatus;
  /** Why it failed, in words: "status: expected 200, got 502". Empty on pass. */
  message: string;
  durationMs: number;
  timedOut?: boolean;
  /** Figures a rollout can compare between patched and unpatched hosts. */
  metrics?: { latencyMs?: number };
  evidence?: { screenshot?: string; output?: string };
}

export interface CheckTarget {
  host: Host;
  /** Names the host in messages and file names: "patched", "baseline". */
  label: string;
}
