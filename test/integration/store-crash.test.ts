import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { projectRoot } from '../../lab/config/paths.ts';
import { STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import { openStore } from '../../rollout/store/sqlite-store.ts';
import { CRASH_ROLLOUT, crashStart, crashStep } from '../fixtures/store/crash-steps.ts';

const CHILD = join(projectRoot, 'test', 'fixtures', 'store', 'append-transitions.ts');

let dir: string;
let path: string;
const children: ChildProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'patchlab-store-crash-'));
  path = join(dir, 'patchlab.db');
});

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs the child until it has reported `commits` seqs, then kill -9s it mid-loop, `phase` of the
 * way (0 to 1) into a step as long as the steps so far: runs at different phases land the kill in
 * different parts of a step, among them the writes.
 */
function runAndKill(commits: number, phase: number): Promise<{ resumedAt: number; committed: number[] }> {
  // Node with tsx's loader rather than the tsx command, which runs the script in a grandchild a kill -9 would miss.
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, path], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  let resumedAt = -1;
  const committed: number[] = [];
  const arrivals: number[] = [];
  let killing = false;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (out + chunk).split('\n');
    out = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('resumed ')) resumedAt = Number(line.slice('resumed '.length));
      else {
        committed.push(Number(line));
        arrivals.push(performance.now());
      }
    }
    if (committed.length >= commits && !killing) {
      killing = true;
      const stepMs = (arrivals.at(-1)! - arrivals[0]!) / (arrivals.length - 1);
      setTimeout(() => child.kill('SIGKILL'), phase * stepMs);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ resumedAt, committed });
      else reject(new Error(`the child exited with ${code ?? signal} before it was killed:\n${err}`));
    });
  });
}

async function storedSeq(): Promise<number> {
  const store = openStore(path);
  try {
    return (await store.loadRollout(CRASH_ROLLOUT))?.seq ?? -1;
  } finally {
    await store.close();
  }
}

it('after kill -9 mid-loop, keeps every committed transition and the state after the last, and resumes there', async () => {
  const setup = openStore(path);
  await setup.createRollout({ state: crashStart(), scenario: 'crash.yaml', policy: STANDARD_POLICY });
  await setup.close();

  let seq = 0;
  for (const phase of [0.1, 0.35, 0.6, 0.85]) {
    const run = await runAndKill(6, phase);
    // Resumes exactly where the killed run left off, with every seq it reported.
    expect(run.resumedAt).toBe(seq);
    expect(run.committed).toEqual(run.committed.map((_, i) => seq + i + 1));
    seq = await storedSeq();
    expect(seq).toBeGreaterThanOrEqual(run.committed.at(-1)!);
  }

  const store = openStore(path);
  const stored = (await store.loadRollout(CRASH_ROLLOUT))!;
  const transitions = await store.transitions(CRASH_ROLLOUT);
  await store.close();

  expect(transitions.map((t) => t.seq)).toEqual(Array.from({ length: stored.seq }, (_, i) => i + 1));

  // Replaying the stored transitions gives exactly the stored state: no step is half there.
  let replayed = crashStart();
  for (const transition of transitions) {
    const step = crashStep(replayed, transition.seq);
    expect(transition).toEqual({ ...step.transition, seq: transition.seq });
    replayed = step.state;
  }
  expect(stored.state).toEqual(replayed);

  const db = new Database(path, { readonly: true });
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  db.close();
});
