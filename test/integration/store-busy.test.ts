import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { projectRoot } from '../../lab/config/paths.ts';
import { STANDARD_POLICY } from '../../rollout/engine/policy.ts';
import { pause } from '../../rollout/engine/commands.ts';
import { openStore } from '../../rollout/store/sqlite-store.ts';
import { sampleState, T0 } from '../fixtures/store/samples.ts';

const HOLD_MS = 600;
/** Another process (`serve`, say) takes the write lock and keeps it a while. */
const HOLDER = `
  const db = new (require('better-sqlite3'))(process.env.DB);
  db.exec('BEGIN IMMEDIATE');
  process.stdout.write('locked\\n');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${HOLD_MS});
  db.exec('COMMIT');
`;

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'patchlab-store-busy-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

it('waits for another process’s write lock instead of failing', async () => {
  const path = join(dir, 'patchlab.db');
  const store = openStore(path);
  const state = sampleState();
  await store.createRollout({ state, scenario: 's.yaml', policy: STANDARD_POLICY });

  const holder = spawn(process.execPath, ['-e', HOLDER], { cwd: projectRoot, env: { ...process.env, DB: path }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(holder, 'exit');
  await once(holder.stdout.setEncoding('utf8'), 'data');

  const started = performance.now();
  const paused = pause(state, { actor: 'alice', reason: 'from the CLI while serve runs' }, T0 + 1000);
  const seq = await store.recordTransition(state.id, { at: T0 + 1000, actor: 'alice', kind: 'command', payload: { command: 'pause' } }, paused, 0);
  expect(seq).toBe(1);
  expect(performance.now() - started).toBeGreaterThan(HOLD_MS / 2);
  expect(await exited).toEqual([0, null]);
  await store.close();
});
