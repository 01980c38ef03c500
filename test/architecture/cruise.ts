import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface Violation {
  rule: string;
  from: string;
  to: string;
  /** For a loop: the modules on it. */
  cycle?: string[];
}

const root = join(import.meta.dirname, '..', '..');
const CONFIG = join(import.meta.dirname, 'dependency-rules.mjs');
const CLI = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

interface CruiseJson {
  summary: { violations: { rule: { name: string }; from: string; to: string; cycle?: (string | { name: string })[] }[] };
}

/**
 * Every import in `folders` (relative to the project) that breaks the architecture rules, by
 * dependency-cruiser's own command (its API does not load its swc parser under a TypeScript loader).
 * `base` says where the tree of the rules' folders sits, for a tree other than the project's.
 */
export async function architectureViolations(folders: string[], options: { base?: string } = {}): Promise<Violation[]> {
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, '--config', CONFIG, '--output-type', 'json', ...folders], {
    cwd: root,
    env: { ...process.env, DEPCRUISE_BASE: options.base ?? '' },
    maxBuffer: 256 * 1024 * 1024,
  }).catch((error: { stdout?: string; message: string }) => {
    // It exits non-zero when it finds violations; the JSON is still complete.
    if (error.stdout) return { stdout: error.stdout };
    throw error;
  });
  const result = JSON.parse(stdout) as CruiseJson;
  return result.summary.violations.map((v) => ({
    rule: v.rule.name,
    from: v.from,
    to: v.to,
    ...(v.cycle ? { cycle: v.cycle.map((c) => (typeof c === 'string' ? c : c.name)) } : {}),
  }));
}
