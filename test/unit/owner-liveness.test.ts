import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { isOwnerAlive, ownerToken } from '../../lab/hosts/labels.ts';

describe('owner liveness, which decides what the reaper removes and who drives a rollout', () => {
  it('calls a live process alive, and the same pid with another start time dead', () => {
    expect(isOwnerAlive(ownerToken())).toBe(true);
    const [host, pid] = ownerToken().split(':');
    expect(isOwnerAlive(`${host}:${pid}:1`)).toBe(false);
  });

  it('calls a zombie dead: it has died, only nobody has collected it yet', async () => {
    // `sleep 0` ends at once; its parent then becomes `sleep 5`, which never collects it.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 5']);
    try {
      const pid = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (c: Buffer) => resolve(c.toString().trim()))));
      const token = ownerToken(pid);
      for (let i = 0; i < 50 && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '); i++) await sleep(20);
      expect(readFileSync(`/proc/${pid}/stat`, 'utf8')).toContain(') Z ');
      expect(isOwnerAlive(token)).toBe(false);
    } finally {
      parent.kill();
    }
  });
});
