import { describe, expect, it } from 'vitest';
import { kernelInstalledBy, rebootProblem, type RebootRecord } from '../../lab/run/reboot-step.ts';

const cameBack: RebootRecord = { ok: true, detail: 'came back', durationMs: 40_000, console: '', kernel: '6.1.0-56-amd64', kernelBefore: '6.1.0-50-amd64' };

describe('the reboot step of a VM lab run', () => {
  it('knows which kernel a patch installs from its package names, not from the metapackage', () => {
    expect(kernelInstalledBy(['tzdata', 'linux-image-amd64', 'linux-image-6.1.0-56-amd64'])).toBe('6.1.0-56-amd64');
    expect(kernelInstalledBy(['linux-image-amd64'])).toBeUndefined();
    expect(kernelInstalledBy(['linux-image-6.1.0-9-amd64', 'linux-image-6.1.0-10-amd64'])).toBe('6.1.0-10-amd64');
    expect(kernelInstalledBy(['linux-image-6.1.0-56-amd64-dbg', 'nginx'])).toBeUndefined();
  });

  it('fails a host that booted another kernel than the one it should run', () => {
    expect(rebootProblem({ ...cameBack, expectedKernel: '6.1.0-56-amd64' }, 'patched')).toBeUndefined();
    expect(rebootProblem({ ...cameBack, kernel: '6.1.0-50-amd64', expectedKernel: '6.1.0-56-amd64' }, 'patched')).toBe(
      'the patched host booted kernel 6.1.0-50-amd64, expected 6.1.0-56-amd64',
    );
  });

  it('fails a host that never came back, quoting the console line that says why', () => {
    const panic = [
      '[    3.80] Loading, please wait...',
      '[    3.91] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)',
      '[    3.93]  kernel_init+0x16/0x130',
      '[    3.94] ---[ end Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0) ]---',
    ].join('\n');
    expect(rebootProblem({ ...cameBack, ok: false, detail: 'the VM stopped while booting', console: panic }, 'patched')).toBe(
      'the patched host did not come back from its reboot: the VM stopped while booting; console: Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0) / ---[ end Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0) ]---',
    );
  });

  it('quotes the last console lines when none says why', () => {
    const quiet = { ...cameBack, ok: false, detail: 'no answer from its agent within 300 s', console: 'a\nb\n\nc\nd\n' };
    expect(rebootProblem(quiet, 'rolled-back')).toBe('the rolled-back host did not come back from its reboot: no answer from its agent within 300 s; console: b / c / d');
  });
});
